"""The teacher's inbox for one assignment: every active student of the class with the state of their work,
the time handed in, lateness, similarity and the mark (the gradebook's, once returned); its access; its
query count, flat in the number of hand-ins; the zip of every hand-in."""

from __future__ import annotations

import datetime
import io
import random
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.academics.models import EnrollmentStatus
from modules.assignments import zipping
from modules.assignments.marking import submissions_return
from modules.exams.services import mark_set
from tests import factories as f
from tests.assignments.inbox_fixtures import graded_homework, hand_in_file, homework_fixture, pupil  # noqa: F401


def _url(homework) -> str:
    return reverse("assignments:inbox", args=[homework.pk])


def _rows(response) -> dict[str, str]:
    """Each student's row as text, by their name as listed."""
    html = response.content.decode()
    rows = {}
    for chunk in html.split('<tr id="row-')[1:]:
        body = chunk.split("</tr>", 1)[0]
        text = " ".join(part.split(">", 1)[-1] for part in body.replace("\n", " ").split("<") if ">" in part)
        text = " ".join(text.split())
        name = text.split(" ", 2)
        rows[" ".join(name[:2])] = text
    return rows


def test_it_lists_every_active_student_with_where_their_work_stands(as_user, teacher, school, homework):
    withdrawn = pupil(school, "Wes", "Gone", "A-0199")
    withdrawn.enrollments.update(status=EnrollmentStatus.WITHDRAWN)
    response = as_user(teacher).get(_url(homework))
    assert response.status_code == 200
    rows = _rows(response)
    assert list(rows) == ["Late, Lee", "Missing, Max", "Parent, Sam"]
    assert "Handed in late" in rows["Late, Lee"]
    assert "late by 2 days" in rows["Late, Lee"]
    assert "1 file" in rows["Late, Lee"]
    assert "Missing" in rows["Missing, Max"]
    assert "Handed in" in rows["Parent, Sam"]
    assert "late by" not in rows["Parent, Sam"]
    assert "Not checked" in rows["Parent, Sam"]  # the similarity cell: no check has run yet
    assert "Olive" not in response.content.decode()  # 7B's student
    assert "Gone" not in response.content.decode()
    assert "2 of 3 handed in" in response.content.decode()
    assert reverse("assignments:similarity", args=[homework.pk]) in response.content.decode()


def test_it_shows_the_similarity_found(as_user, teacher, homework):
    homework.on_time.similarity_percent = 62
    homework.on_time.save()
    rows = _rows(as_user(teacher).get(_url(homework)))
    assert "62%" in rows["Parent, Sam"]


def test_it_shows_marks_drafted_and_returned(as_user, teacher, school, homework):
    homework.on_time.raw_score = 15
    homework.on_time.marked_at = timezone.now()
    homework.on_time.save()
    homework.late.raw_score = 15
    homework.late.marked_at = timezone.now()
    homework.late.save()
    rows = _rows(as_user(teacher).get(_url(homework)))
    assert "15 / 20" in rows["Parent, Sam"]
    assert "Not returned yet" in rows["Parent, Sam"]
    submissions_return(assignment=homework.assignment, by=teacher, student_ids=[homework.late.student_id])
    rows = _rows(as_user(teacher).get(_url(homework)))
    # Two days late at 10% a day: 15 less 20% is 12, the gradebook's mark.
    assert "12 / 20" in rows["Late, Lee"]
    assert "15 less 20% for lateness" in rows["Late, Lee"]
    assert "Returned" in rows["Late, Lee"]


def test_it_shows_a_mark_changed_in_the_gradebook(as_user, teacher, school, homework):
    homework.on_time.raw_score = 15
    homework.on_time.save()
    submissions_return(assignment=homework.assignment, by=teacher)
    mark_set(assessment=homework.assignment.assessment, student_id=school.child.pk, raw="18", by=teacher)
    rows = _rows(as_user(teacher).get(_url(homework)))
    assert "18 / 20" in rows["Parent, Sam"]
    assert "changed in the gradebook" in rows["Parent, Sam"]


def test_it_lets_the_office_in(as_user, admin, homework):
    assert as_user(admin).get(_url(homework)).status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_answers_only_get(as_user, teacher, homework, method):
    assert getattr(as_user(teacher), method)(_url(homework)).status_code == 405


@pytest.mark.parametrize("persona", ["student", "guardian", "bursar"])
def test_it_refuses_families_and_the_bursar(as_user, homework, persona, request):
    assert as_user(request.getfixturevalue(persona)).get(_url(homework)).status_code == 403


def test_it_hides_another_teachers_assignment(as_user, other_teacher, homework):
    assert as_user(other_teacher).get(_url(homework)).status_code == 404


def test_it_sends_visitors_to_sign_in(client, homework):
    assert client.get(_url(homework)).status_code == 302


def _more_hand_ins(school, assignment, count: int, start: int) -> None:
    for number in range(start, start + count):
        student = pupil(school, f"Kid{number:02d}", f"Pupil{number:02d}", f"B-{number:04d}")
        submission = f.SubmissionFactory(assignment=assignment, student=student, raw_score=10)
        hand_in_file(submission, "work.txt", b"work")


def test_it_loads_in_a_fixed_number_of_queries(as_user, teacher, school, homework, queries_exactly):
    """The user (1), the assignment (1), the students (1), their hand-ins with their files counted (1), the
    gradebook's marks (1), the unread notifications of the menu (1), the similarity threshold (1): 7, for 3
    students as for 43."""
    client = as_user(teacher)
    client.get(_url(homework))  # the session's first read
    with queries_exactly(7):
        assert client.get(_url(homework)).status_code == 200
    _more_hand_ins(school, homework.assignment, 40, 1)
    submissions_return(assignment=homework.assignment, by=teacher)  # their marks are read from the gradebook
    with queries_exactly(7):
        response = client.get(_url(homework))
    assert response.content.decode().count('<tr id="row-') == 43


def test_it_answers_htmx_with_the_table(as_user, teacher, homework):
    response = as_user(teacher).get(_url(homework), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="inbox-table">')
    assert "<h1" not in html
    assert "HX-Request" in response.headers["Vary"]


# ---- The zip -----------------------------------------------------------------------------------------------


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_it_zips_every_hand_in_in_a_folder_per_student(as_user, teacher, school, homework):
    hand_in_file(homework.on_time, "diagram.txt", b"light -> sugar")
    replaced = hand_in_file(homework.on_time, "old.txt", b"an earlier version")
    replaced.version = 0
    replaced.save()
    response = as_user(teacher).get(reverse("assignments:inbox_zip", args=[homework.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="Essay - Mathematics 7A.zip"'
    assert response["X-Content-Type-Options"] == "nosniff"
    archive = _zip(response)
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "Late, Lee (A-0101)/essay.txt",
        "Parent, Sam (A-0001)/answer.txt",
        "Parent, Sam (A-0001)/diagram.txt",
    ]
    assert archive.read("Parent, Sam (A-0001)/answer.txt") == b"Photosynthesis turns light into sugar."
    assert archive.read("Late, Lee (A-0101)/essay.txt") == b"Late but thorough."


def test_it_keeps_two_files_of_the_same_name_apart(as_user, teacher, homework):
    hand_in_file(homework.late, "ESSAY.txt", b"second")
    hand_in_file(homework.late, "../../etc/passwd", b"third")
    archive = _zip(as_user(teacher).get(reverse("assignments:inbox_zip", args=[homework.pk])))
    names = [name for name in archive.namelist() if name.startswith("Late")]
    assert names == [
        "Late, Lee (A-0101)/essay.txt",
        "Late, Lee (A-0101)/ESSAY (2).txt",
        "Late, Lee (A-0101)/_.._etc_passwd",
    ]


def test_it_streams_the_zip_in_bounded_pieces(teacher, homework):
    """A 3 MB file goes out in pieces of about 64 KiB, not held whole: memory stays bounded."""
    big = random.Random(16).randbytes(3 * 1024 * 1024)  # 3 MiB that does not compress
    hand_in_file(homework.on_time, "big.txt", big)
    pieces = list(zipping.zip_stream(zipping.zip_members(homework.assignment)))
    assert len(pieces) > 40
    assert max(len(piece) for piece in pieces) < 2 * zipping.PIECE
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert archive.read("Parent, Sam (A-0001)/big.txt") == big


def test_it_says_when_there_is_nothing_to_zip(as_user, teacher, school):
    empty = graded_homework(school, title="Nothing yet", due_at=timezone.now() + datetime.timedelta(days=2))
    client = as_user(teacher)
    response = client.get(reverse("assignments:inbox_zip", args=[empty.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("assignments:inbox", args=[empty.pk])
    assert "Nothing has been handed in yet" in response.content.decode()


def test_it_keeps_the_zip_to_the_class_teacher(as_user, other_teacher, guardian, homework):
    url = reverse("assignments:inbox_zip", args=[homework.pk])
    assert as_user(other_teacher).get(url).status_code == 404
    assert as_user(guardian).get(url).status_code == 403
