"""The local similarity engine: document fingerprints by winnowing, as MOSS computes them (Schleimer,
Wilkerson and Aiken, "Winnowing: local algorithms for document fingerprinting", SIGMOD 2003).

No database here: texts in, scores and passages out (`compare`). `similarity_checks.py` feeds it the
hand-ins of an assignment's lineage and writes what it finds.

1. **Normalise.** A text becomes its words: runs of letters and digits (Unicode), NFKC-normalised and
   case-folded, so case, punctuation, line breaks and spacing never matter. Each word keeps its character
   offsets into the original text, which is how a passage is marked later.
2. **Word k-grams**, K = 5 consecutive words, each hashed to a 64-bit integer (every word once through
   BLAKE2b, the k-gram as the hash of its words' integers: deterministic across processes, unlike
   Python's salted string hash).
3. **Winnow**: of every window of W = 4 consecutive k-gram hashes keep the minimum (the rightmost one on a
   tie), each selected position once. The paper's two guarantees then read, in words: a shared run of
   W + K - 1 = 8 words or more is always found (at least one of its k-grams is selected in both texts),
   and a shared run shorter than K = 5 words never is. Five words is where coincidence stops: "on the
   other hand" (4) or "at the end of" (4) are everyone's; two students' identical 8-word sentences are
   not chance. The density of kept fingerprints is about 2 / (W + 1), 40 % of the k-grams: a
   2,000-word essay keeps some 800.
4. **Ignore the assignment's own text.** Every k-gram of the instructions and of the attached files (all
   of them, not only the winnowed ones, so a quotation is removed whatever context surrounds it) is taken
   out of each hand-in's fingerprints before anything is compared, and does not count in the shares.
5. **Compare** through an inverted index of the checked hand-ins' fingerprints (fingerprint → the
   hand-ins holding it): every text, this class's or an earlier one, meets it by one set intersection,
   and only the pairs sharing fingerprints are scored, never all pairs. The offsets of the words and the
   positions of each fingerprint are worked out only for the texts found in a pair.
6. **Score a pair** as both shares: the share of A's fingerprints found in B, and of B's found in A.
   Both are kept and shown; the pair's score, the one compared with the school's flag threshold, is the
   larger of the two, because a short hand-in copied whole into a longer one is a 100 % match however
   much the longer one adds (MOSS reports both the same way).
7. **Passages**: the matching fingerprints of a pair are chained along their diagonal (positions moving
   forward together in both texts, allowing a few edited words between them), each chain is widened to
   the exact run of equal words around it, and kept when it spans at least W + K - 1 words. Each passage
   is a pair of character ranges, one in each text, for the side-by-side page.

A hand-in with fewer than MIN_FINGERPRINTS fingerprints left (about 25 words of its own) is too short to
compare meaningfully: it is reported as such and left out (a two-line answer the whole class gives alike
is not copying).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

K = 5  # words per k-gram: shared runs shorter than this are never reported (noise threshold)
WINDOW = 4  # k-grams per winnowing window: shared runs of WINDOW + K - 1 words are always found
GUARANTEE = WINDOW + K - 1
MIN_FINGERPRINTS = 10  # fewer left after ignoring the assignment's text: too short to compare
# A pair is reported when they share at least this many fingerprints and its score reaches MIN_PERCENT.
MIN_SHARED = 3
MIN_PERCENT = 5.0
# Chaining fingerprints into passages: the furthest apart (in words) two matching k-grams of one passage
# may be (an edited word breaks the K k-grams covering it, and winnowing keeps one of every W), and how
# far their offsets may drift apart (words added or removed on one side).
CHAIN_GAP = 2 * (K + WINDOW)
CHAIN_DRIFT = 3
# One fingerprint repeated many times in both texts (a refrain) pairs at most this many positions.
MAX_POSITIONS = 8

WORD = re.compile(r"[^\W_]+")


_ids: dict[str, int] = {}


def _word_id(word: str) -> int:
    """A normalised word's 64-bit id (remembered: a school's vocabulary is small)."""
    value = _ids.get(word)
    if value is None:
        if len(_ids) > 500_000:
            _ids.clear()
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "big", signed=True)
        _ids[word] = value
    return value


def _normal(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold()


def _folded(text: str) -> str | None:
    """`text` case-folded when folding keeps every character in its place (no "ß" → "ss") and the text is
    already NFKC (as typed text nearly always is): its words can then be read from the folded text at the
    original's offsets, without normalising each word. None otherwise."""
    if not unicodedata.is_normalized("NFKC", text):
        return None
    folded = text.casefold()
    return folded if len(folded) == len(text) else None


def word_ids(text: str) -> list[int]:
    """The ids of the words of `text`, normalised."""
    folded = _folded(text)
    if folded is not None:
        return [_ids.get(word) or _word_id(word) for word in WORD.findall(folded)]
    return [_word_id(_normal(word)) for word in WORD.findall(text)]


def word_spans(text: str) -> list[tuple[int, int]]:
    """Where each word of `text` (as `word_ids` reads them) starts and ends in `text`."""
    folded = _folded(text)
    return [match.span() for match in WORD.finditer(folded if folded is not None else text)]


def tokenize(text: str) -> tuple[list[int], list[int], list[int]]:
    """The words of `text`: ids (after normalising), start and end offsets into `text`."""
    spans = word_spans(text)
    return word_ids(text), [start for start, _end in spans], [end for _start, end in spans]


@dataclass
class Fingerprinted:
    """A text as the engine sees it: its words' ids, every k-gram hash, the positions winnowing kept (less
    the ignored k-grams) and their hashes. The words' offsets and the positions of each fingerprint are
    worked out only for a text found in a pair (`spans`, `prints`)."""

    text: str
    ids: list[int]
    hashes: list[int]
    selected: list[int]
    values: set[int]

    @property
    def words(self) -> int:
        return len(self.ids)

    @cached_property
    def prints(self) -> dict[int, list[int]]:
        """Each fingerprint → the k-gram positions where it was kept."""
        positions: dict[int, list[int]] = {}
        for position in self.selected:
            positions.setdefault(self.hashes[position], []).append(position)
        return positions

    @cached_property
    def spans(self) -> list[tuple[int, int]]:
        return word_spans(self.text)


def kgram_hashes(ids: list[int], k: int = K) -> list[int]:
    """The hash of every run of `k` consecutive word ids (none when there are fewer than k words)."""
    return [hash(gram) for gram in zip(*(ids[i:] for i in range(k)), strict=False)]


def winnow(hashes: list[int], window: int = WINDOW) -> list[int]:
    """The positions winnowing selects: the minimum hash of every window of `window` consecutive hashes,
    the rightmost on a tie, each position once (in order). A text shorter than one window keeps the
    minimum of what it has."""
    if not hashes:
        return []
    window = min(window, len(hashes))
    # Each window's minimum, computed in C; then where it is, mostly without looking at the window again.
    minima = list(map(min, zip(*(hashes[i:] for i in range(window)), strict=False)))
    selected: list[int] = []
    previous = -1
    for start, minimum in enumerate(minima):
        newest = start + window - 1
        if hashes[newest] == minimum:
            position = newest  # the hash entering the window is the minimum, and the rightmost
        elif previous >= start and hashes[previous] == minimum:
            position = previous  # the previous window's choice is still in this one, still the minimum
        else:
            position = newest - hashes[start : newest + 1][::-1].index(minimum)
        if position != previous:
            selected.append(position)
            previous = position
    return selected


def fingerprint(text: str, *, ignored: frozenset[int] | set[int] = frozenset()) -> Fingerprinted:
    """Normalise, hash and winnow `text`; drop the fingerprints whose k-gram is in `ignored`."""
    ids = word_ids(text)
    hashes = kgram_hashes(ids)
    selected = winnow(hashes)
    if ignored:
        selected = [position for position in selected if hashes[position] not in ignored]
    values = set(map(hashes.__getitem__, selected))
    return Fingerprinted(text=text, ids=ids, hashes=hashes, selected=selected, values=values)


def ignored_kgrams(texts: Iterable[str]) -> frozenset[int]:
    """Every k-gram hash of the texts to ignore (the instructions, the attached files)."""
    ignored: set[int] = set()
    for text in texts:
        ignored.update(kgram_hashes(word_ids(text)))
    return frozenset(ignored)


@dataclass(frozen=True)
class Passage:
    """A stretch found in both texts: character ranges [start, end) in A's text and in B's, and its length
    in A's words."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    words: int

    def as_json(self) -> dict:
        return {"a": [self.a_start, self.a_end], "b": [self.b_start, self.b_end], "words": self.words}

    def swapped(self) -> Passage:
        return Passage(self.b_start, self.b_end, self.a_start, self.a_end, self.words)


@dataclass(frozen=True)
class Pair:
    """What two texts share: `a_percent` of A's fingerprints are found in B, `b_percent` of B's in A."""

    a: Hashable
    b: Hashable
    a_percent: float
    b_percent: float
    shared: int
    passages: tuple[Passage, ...]

    @property
    def percent(self) -> float:
        """The pair's score: the larger share (see the module's docstring)."""
        return max(self.a_percent, self.b_percent)

    def swapped(self) -> Pair:
        return Pair(
            a=self.b,
            b=self.a,
            a_percent=self.b_percent,
            b_percent=self.a_percent,
            shared=self.shared,
            passages=tuple(sorted((p.swapped() for p in self.passages), key=lambda p: p.a_start)),
        )


@dataclass
class Comparison:
    """The engine's answer: every reported pair with a document to check on side A (a pair of two checked
    documents is reported once each way), and the checked documents too short to compare."""

    pairs: list[Pair]
    too_short: set[Hashable]


def _chains(a: Fingerprinted, b: Fingerprinted, shared: set[int]) -> list[list[tuple[int, int]]]:
    matches = sorted(
        (pa, pb)
        for value in shared
        for pa in a.prints[value][:MAX_POSITIONS]
        for pb in b.prints[value][:MAX_POSITIONS]
    )
    chains: list[list[tuple[int, int]]] = []
    open_chains: list[list[tuple[int, int]]] = []
    for pa, pb in matches:
        open_chains = [chain for chain in open_chains if pa - chain[-1][0] <= CHAIN_GAP]
        for chain in open_chains:
            la, lb = chain[-1]
            if pa - la > 0 and 0 < pb - lb <= CHAIN_GAP and abs((pa - la) - (pb - lb)) <= CHAIN_DRIFT:
                chain.append((pa, pb))
                break
        else:
            chain = [(pa, pb)]
            chains.append(chain)
            open_chains.append(chain)
    return chains


def passages(a: Fingerprinted, b: Fingerprinted, shared: set[int]) -> list[Passage]:
    """The passages two fingerprinted texts share (see the module's docstring, step 7), in A's order."""
    spans: list[tuple[int, int, int, int]] = []  # word ranges, inclusive: a_first, a_last, b_first, b_last
    for chain in _chains(a, b, shared):
        a_first, b_first = chain[0]
        a_last, b_last = chain[-1][0] + K - 1, chain[-1][1] + K - 1
        # Widen to the exact run of equal words on each side of the chain.
        while a_first > 0 and b_first > 0 and a.ids[a_first - 1] == b.ids[b_first - 1]:
            a_first -= 1
            b_first -= 1
        while a_last + 1 < a.words and b_last + 1 < b.words and a.ids[a_last + 1] == b.ids[b_last + 1]:
            a_last += 1
            b_last += 1
        spans.append((a_first, a_last, b_first, b_last))
    spans.sort()
    merged: list[list[int]] = []
    for a_first, a_last, b_first, b_last in spans:
        last = merged[-1] if merged else None
        if last and a_first <= last[1] + 1 and b_first <= last[3] + 1 and b_last >= last[2] - 1:
            last[1] = max(last[1], a_last)
            last[2] = min(last[2], b_first)
            last[3] = max(last[3], b_last)
        else:
            merged.append([a_first, a_last, b_first, b_last])
    a_spans, b_spans = a.spans, b.spans
    return [
        Passage(
            a_spans[a_first][0],
            a_spans[a_last][1],
            b_spans[b_first][0],
            b_spans[b_last][1],
            a_last - a_first + 1,
        )
        for a_first, a_last, b_first, b_last in merged
        if a_last - a_first + 1 >= GUARANTEE
    ]


def pair_of(a_key: Hashable, a: Fingerprinted, b_key: Hashable, b: Fingerprinted) -> Pair:
    """Score and passages of two fingerprinted texts."""
    shared = a.values & b.values
    return Pair(
        a=a_key,
        b=b_key,
        a_percent=round(100 * len(shared) / len(a.values), 2) if a.values else 0.0,
        b_percent=round(100 * len(shared) / len(b.values), 2) if b.values else 0.0,
        shared=len(shared),
        passages=tuple(passages(a, b, shared)) if shared else (),
    )


def compare(
    documents: Mapping[Hashable, str],
    corpus: Mapping[Hashable, str] | None = None,
    *,
    ignore: Iterable[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Compare every text of `documents` with the others and with every text of `corpus` (earlier
    hand-ins, which are compared with `documents` but not scored among themselves). Keys are the caller's
    (submission ids). `progress(done, total)` is called as the documents are compared."""
    corpus = corpus or {}
    prints, too_short = _fingerprint_all([*documents.items(), *corpus.items()], ignored_kgrams(ignore))
    checked = [key for key in documents if key in prints]
    candidates = _candidates(checked, prints)
    pairs: list[Pair] = []
    done: set[tuple[Hashable, Hashable]] = set()
    for number, key in enumerate(checked, start=1):
        for other, shared in candidates[key].items():
            if shared < MIN_SHARED or (other, key) in done:
                continue
            both_checked = other in documents
            if both_checked:
                done.add((key, other))  # scored once, reported both ways
            pair = pair_of(key, prints[key], other, prints[other])
            if pair.percent < MIN_PERCENT:
                continue
            pairs.append(pair)
            if both_checked:
                pairs.append(pair.swapped())
        if progress is not None:
            progress(number, len(checked))
    return Comparison(pairs=pairs, too_short={key for key in documents if key in too_short})


def _fingerprint_all(
    texts: list[tuple[Hashable, str]], ignored: frozenset[int]
) -> tuple[dict[Hashable, Fingerprinted], set[Hashable]]:
    prints: dict[Hashable, Fingerprinted] = {}
    too_short: set[Hashable] = set()
    for key, text in texts:
        if key in prints or key in too_short:
            continue
        fingerprinted = fingerprint(text or "", ignored=ignored)
        if len(fingerprinted.values) < MIN_FINGERPRINTS:
            too_short.add(key)
        else:
            prints[key] = fingerprinted
    return prints, too_short


def _candidates(
    checked: list[Hashable], prints: dict[Hashable, Fingerprinted]
) -> dict[Hashable, dict[Hashable, int]]:
    """For each checked hand-in, every other text sharing fingerprints with it, and how many.

    The inverted index holds the checked hand-ins' fingerprints (fingerprint → the hand-ins holding it);
    every text meets it through one set intersection, so a text sharing nothing costs next to nothing."""
    index: dict[int, list[Hashable]] = {}
    for key in checked:
        for value in prints[key].values:
            index.setdefault(value, []).append(key)
    indexed = set(index)
    candidates: dict[Hashable, dict[Hashable, int]] = {key: {} for key in checked}
    for other, fingerprinted in prints.items():
        for value in fingerprinted.values & indexed:
            for key in index[value]:
                if key != other:
                    counts = candidates[key]
                    counts[other] = counts.get(other, 0) + 1
    return candidates
