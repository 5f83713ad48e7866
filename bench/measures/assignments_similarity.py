"""The similarity check on the queue: 40 hand-ins of 2,000 words compared with each other and with 200
earlier hand-ins of the same homework (five earlier settings of 40), within 3 s.

The fixture (idempotent) sets "Bench essay" for the attendance bench's 40-student section ("Bench 40") and
five earlier copies of it in the same lineage, each with a typed hand-in per student: essays drawn from a
vocabulary of 3,000 words with the skewed frequencies of real prose (the commonest words recur, so common
5-word runs exist, as they do between real essays), eight of this year's copying half of a classmate's and
ten copying a third of an earlier hand-in, with small edits. What is timed is `similarity_check` itself, as
the queue's task runs it: reading the lineage's texts (already extracted, as after the first check),
fingerprinting all 240, comparing through the index, writing every match and score.
"""

from __future__ import annotations

import datetime
import random

from bench.registry import measure

HAND_INS = 40
EARLIER_SETTINGS = 5
WORDS = 2_000
TITLE = "Bench essay"


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    words: set[str] = set()
    while len(words) < 3_000:
        words.add("".join(rng.choice(letters[: rng.randint(8, 26)]) for _ in range(rng.randint(2, 9))))
    ordered = sorted(words)
    rng.shuffle(ordered)
    return ordered, [1 / rank for rank in range(1, len(ordered) + 1)]  # Zipf: "the" is everywhere


def essays(seed: int = 16) -> tuple[list[str], list[list[str]]]:
    """This year's 40 essays and the five earlier settings' 40 each, with the copies described above."""
    rng = random.Random(seed)
    vocabulary, weights = _vocabulary(rng)

    def essay() -> list[str]:
        words = rng.choices(vocabulary, weights, k=WORDS)
        for at in range(rng.randint(12, 20), WORDS, rng.randint(12, 20)):
            words[at - 1] += "."
        return words

    def copy(source: list[str], share: float) -> list[str]:
        words = essay()
        length = int(WORDS * share)
        start = rng.randrange(WORDS - length)
        borrowed = list(source[start : start + length])
        for _ in range(length // 60):  # a word changed here and there
            borrowed[rng.randrange(length)] = rng.choice(vocabulary)
        at = rng.randrange(WORDS - length)
        words[at : at + length] = borrowed
        return words

    earlier = [[essay() for _ in range(HAND_INS)] for _ in range(EARLIER_SETTINGS)]
    current = [essay() for _ in range(HAND_INS)]
    for n in range(8):
        current[HAND_INS - 1 - n] = copy(current[n], 0.5)
    for n in range(10):
        current[10 + n] = copy(earlier[n % EARLIER_SETTINGS][n], 0.33)
    text = [" ".join(words) for words in current]
    return text, [[" ".join(words) for words in setting] for setting in earlier]


def bench_similarity():
    """The bench fixture (idempotent): this year's assignment with its 40 hand-ins, and the lineage's 200."""
    from django.utils import timezone

    from bench.measures.exams_gradebook import bench_gradebook
    from modules.assignments.models import Assignment, Submission

    offering, term, students, _assessments = bench_gradebook()
    students = list(students)[:HAND_INS]
    assignment = Assignment.objects.filter(offering=offering, title=TITLE, copied_from__isnull=True).first()
    if assignment is not None and assignment.submissions.count() == len(students):
        return assignment
    now = timezone.now()
    current, earlier = essays()
    assignment = assignment or Assignment.objects.create(
        offering=offering,
        term=term,
        title=TITLE,
        instructions="Write an essay of about 2,000 words. Quote your sources.",
        opens_at=now - datetime.timedelta(days=14),
        due_at=now - datetime.timedelta(days=1),
        published_at=now - datetime.timedelta(days=14),
    )
    Assignment.objects.filter(copied_from=assignment).delete()  # a fixture left half-made
    settings = [assignment]
    for years in range(1, EARLIER_SETTINGS + 1):
        settings.append(
            Assignment.objects.create(
                offering=offering,
                term=term,
                title=f"{TITLE} ({years} years ago)",
                lineage=assignment.lineage,
                copied_from=assignment,
                opens_at=now - datetime.timedelta(days=365 * years + 14),
                due_at=now - datetime.timedelta(days=365 * years),
                published_at=now - datetime.timedelta(days=365 * years + 14),
            )
        )
    for setting, texts in zip(settings, [current, *earlier], strict=True):
        Submission.objects.filter(assignment=setting).delete()
        Submission.objects.bulk_create(
            Submission(
                assignment=setting,
                student=student,
                text=text,
                submitted_at=setting.due_at - datetime.timedelta(hours=2),
                version=1,
                extracted_text=text,
                extracted_version=1,
            )
            for student, text in zip(students, texts, strict=False)
        )
    return assignment


@measure(
    "assignments: similarity check, 40 hand-ins of 2,000 words against each other and 200 earlier (queue)",
    budget_ms=3_000,
    budget_queries=20,
    runs=5,
    warmup=1,
)
def similarity_check_40(bench):
    from bench.measures.exams_gradebook import with_cpu_time
    from modules.assignments.similarity_checks import similarity_check

    assignment = bench_similarity()
    return with_cpu_time(
        lambda: similarity_check(assignment=assignment),
        "The queue's task: 240 texts read and fingerprinted, 40 compared through the index, 26 pairs and "
        "every score written.",
    )
