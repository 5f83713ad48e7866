"""The local similarity engine (modules/assignments/similarity.py): no database, texts in, pairs out."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest

from modules.assignments import similarity
from modules.assignments.similarity import compare, fingerprint, kgram_hashes, tokenize, winnow
from tests.assignments.similarity_texts import (
    BORROWED,
    EDITED_COPY,
    ESSAY,
    INSTRUCTIONS,
    OTHER_ESSAY,
    PASSAGE,
    SCIENCE_ESSAY,
)


def _pair(comparison, a, b):
    found = [pair for pair in comparison.pairs if pair.a == a and pair.b == b]
    return found[0] if found else None


def test_it_finds_identical_texts_whole():
    result = compare({"sam": ESSAY, "olive": ESSAY})
    pair = _pair(result, "sam", "olive")
    assert (pair.a_percent, pair.b_percent) == (100.0, 100.0)
    assert pair.percent == 100.0
    # One passage: the whole essay, as the same character range on both sides.
    assert [(p.a_start, p.a_end) for p in pair.passages] == [(0, len(ESSAY) - 1)]
    assert ESSAY[pair.passages[0].a_start : pair.passages[0].a_end].endswith("into the street")


def test_it_reports_a_pair_of_two_checked_hand_ins_both_ways():
    result = compare({"sam": ESSAY, "olive": EDITED_COPY})
    forth, back = _pair(result, "sam", "olive"), _pair(result, "olive", "sam")
    assert (forth.a_percent, forth.b_percent) == (back.b_percent, back.a_percent)
    assert [(p.a_start, p.b_start) for p in forth.passages] == [(p.b_start, p.a_start) for p in back.passages]


def test_it_finds_a_copy_with_edits_and_marks_the_copied_passages():
    result = compare({"sam": ESSAY, "olive": EDITED_COPY})
    pair = _pair(result, "olive", "sam")
    assert pair.a_percent > 60
    assert pair.b_percent > 60
    marked = [EDITED_COPY[p.a_start : p.a_end] for p in pair.passages]
    # The copied stretches are marked across the small edits ("near", "huge", "worker")...
    assert any("two bad harvests had doubled the price of bread" in text for text in marked)
    assert any("declared themselves a National Assembly" in text for text in marked)
    # ...and the rewritten conclusion is not.
    assert not any("the debt was the real cause" in text for text in marked)
    # Each passage is the same words on both sides, whatever the case and punctuation.
    for passage in pair.passages:
        mine = tokenize(EDITED_COPY[passage.a_start : passage.a_end])[0]
        theirs = tokenize(ESSAY[passage.b_start : passage.b_end])[0]
        assert mine[:5] == theirs[:5]
        assert mine[-5:] == theirs[-5:]


def test_it_ignores_case_punctuation_and_spacing_and_keeps_the_original_offsets():
    shouted = ESSAY.upper().replace(",", " ;").replace("\n\n", "\n   \n").replace(".", "!")
    pair = _pair(compare({"a": shouted, "b": ESSAY}), "a", "b")
    assert pair.a_percent == 100.0
    (passage,) = pair.passages
    assert shouted[passage.a_start : passage.a_start + 20] == "BY THE SPRING OF 178"
    assert ESSAY[passage.b_start : passage.b_start + 20] == "By the spring of 178"


def test_it_finds_nothing_between_unrelated_essays():
    result = compare({"a": ESSAY, "b": OTHER_ESSAY, "c": SCIENCE_ESSAY})
    assert result.pairs == []
    assert result.too_short == set()


def test_it_finds_a_borrowed_passage_in_a_longer_essay_and_scores_it_from_both_sides():
    pair = _pair(compare({"borrower": BORROWED, "author": ESSAY}), "borrower", "author")
    (passage,) = pair.passages
    assert PASSAGE in BORROWED[passage.a_start : passage.a_end]
    assert PASSAGE in ESSAY[passage.b_start : passage.b_end]
    assert 0 < pair.a_percent < 40
    assert 0 < pair.b_percent < 40
    assert pair.percent == max(pair.a_percent, pair.b_percent)


def test_it_ignores_the_instructions_that_every_hand_in_quotes():
    first = INSTRUCTIONS + "\n\n" + ESSAY
    second = INSTRUCTIONS + "\n\n" + OTHER_ESSAY
    assert _pair(compare({"a": first, "b": second}), "a", "b").a_percent > 10  # without ignoring: a match
    result = compare({"a": first, "b": second}, ignore=[INSTRUCTIONS])
    assert result.pairs == []


def test_it_ignores_the_instructions_whatever_their_case_and_spacing():
    quoted = INSTRUCTIONS.lower().replace(" ", "  ") + " " + ESSAY
    other = INSTRUCTIONS + " " + SCIENCE_ESSAY
    assert compare({"a": quoted, "b": other}, ignore=[INSTRUCTIONS]).pairs == []


def test_it_leaves_short_texts_out_as_too_short():
    short = "The answer is 42 because six times seven is 42."
    result = compare({"a": short, "b": short, "c": ESSAY, "d": ""})
    assert result.pairs == []
    assert result.too_short == {"a", "b", "d"}


def test_it_counts_a_text_made_only_of_the_instructions_as_too_short():
    result = compare({"a": INSTRUCTIONS, "b": INSTRUCTIONS + " " + ESSAY}, ignore=[INSTRUCTIONS])
    assert result.too_short == {"a"}


def test_it_compares_earlier_hand_ins_with_this_class_but_not_with_each_other():
    result = compare({"now": EDITED_COPY}, {"last_year": ESSAY, "last_year_copy": ESSAY})
    assert {(pair.a, pair.b) for pair in result.pairs} == {("now", "last_year"), ("now", "last_year_copy")}


def test_it_reports_progress_per_hand_in():
    calls = []
    compare({"a": ESSAY, "b": OTHER_ESSAY}, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]


# --------------------------------------------------------------------------------------- winnowing itself


def test_it_keeps_the_minimum_of_each_window_the_rightmost_on_a_tie():
    hashes = [77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98]
    # The paper's example (figure 2), windows of 4: (77,74,42,17) 17 … with ties resolved to the right.
    assert [hashes[p] for p in winnow(hashes, 4)] == [17, 17, 8, 39, 17]
    assert winnow([5, 5, 5, 5, 5], 4) == [3, 4]
    assert winnow([3, 1], 4) == [1]
    assert winnow([], 4) == []


def test_it_selects_each_position_once_and_in_order():
    rng = random.Random(16)
    hashes = [rng.randrange(1000) for _ in range(500)]
    selected = winnow(hashes, 4)
    assert selected == sorted(set(selected))
    for start in range(len(hashes) - 3):
        window = range(start, start + 4)
        assert any(p in window for p in selected)  # every window has its fingerprint
        chosen = max(p for p in window if hashes[p] == min(hashes[q] for q in window))
        assert chosen in selected


@pytest.mark.parametrize("seed", range(5))
def test_it_always_finds_a_shared_run_of_the_guaranteed_length(seed):
    rng = random.Random(seed)
    vocabulary = [f"w{n}" for n in range(3000)]
    run = " ".join(rng.choice(vocabulary) for _ in range(similarity.GUARANTEE))
    a = " ".join(rng.choice(vocabulary) for _ in range(60)) + " " + run + " " + "x " * 3
    b = "y " * 7 + run + " " + " ".join(rng.choice(vocabulary) for _ in range(60))
    shared = set(fingerprint(a).prints) & set(fingerprint(b).prints)
    assert shared


def test_it_never_matches_a_shared_run_shorter_than_k_words():
    rng = random.Random(3)
    vocabulary = [f"w{n}" for n in range(3000)]
    run = " ".join(rng.choice(vocabulary) for _ in range(similarity.K - 1))
    a = " ".join(rng.choice(vocabulary) for _ in range(60)) + " " + run
    b = run + " " + " ".join(rng.choice(vocabulary) for _ in range(60))
    assert not set(fingerprint(a).prints) & set(fingerprint(b).prints)


def test_it_hashes_the_same_k_gram_the_same_in_any_process():
    # Word ids come from BLAKE2b and a tuple of ints hashes without Python's per-process string salt.
    code = (
        "from modules.assignments.similarity import kgram_hashes, tokenize;"
        "print(kgram_hashes(tokenize('One two, three four five six')[0]))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {f"{kgram_hashes(tokenize('one two three four five six')[0])}\n"}
