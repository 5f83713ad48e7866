"""Homework on the student's and the guardian's home, and the Homework link in the navigation per role."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories as f

pytestmark = pytest.mark.django_db
HOME = reverse("home")


def homework(school, **extra):
    extra.setdefault("offering", school.offering)
    return f.AssignmentFactory(term=school.term, **extra)


def test_it_shows_the_student_what_is_overdue_and_due_this_week(as_user, student, school):
    now = timezone.now()
    homework(
        school,
        title="Overdue map",
        opens_at=now - datetime.timedelta(days=9),
        due_at=now - datetime.timedelta(days=1),
    )
    soon = homework(school, title="Poem for Friday", due_at=now + datetime.timedelta(days=2))
    homework(school, title="Term project", due_at=now + datetime.timedelta(days=30))
    done = homework(school, title="Done already", due_at=now + datetime.timedelta(days=1))
    f.SubmissionFactory(assignment=done, student=school.child)
    page = as_user(student).get(HOME).content.decode()
    card = page.split('data-testid="home-homework"')[1].split("</section>")[0]
    assert "Overdue map" in card
    assert "Poem for Friday" in card
    assert reverse("assignments:student_assignment", args=[soon.pk]) in card
    assert "Term project" not in card
    assert "Done already" not in card
    assert reverse("assignments:student_list") in card


def test_it_tells_the_student_when_nothing_is_due(as_user, student, school):
    page = as_user(student).get(HOME).content.decode()
    assert "Nothing overdue and nothing due in the next seven days." in page


def test_it_tells_a_guardian_each_childs_homework_on_the_home(as_user, guardian, school):
    now = timezone.now()
    homework(school, opens_at=now - datetime.timedelta(days=9), due_at=now - datetime.timedelta(days=1))
    homework(school, due_at=now + datetime.timedelta(days=2))
    homework(school, due_at=now + datetime.timedelta(days=3))
    page = as_user(guardian).get(HOME).content.decode()
    line = page.split(f'data-testid="home-homework-{school.child.pk}"')[1].split("</p>")[0]
    assert "Homework: 1 missing, 2 due this week" in line
    assert reverse("assignments:child_list", args=[school.child.pk]) in line


def test_it_keeps_the_family_homes_flat_in_homework_and_children(as_user, guardian, student, school):
    def count(user) -> int:
        client = as_user(user)
        client.get(HOME)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(HOME).status_code == 200
        return len(captured)

    now = timezone.now()
    homework(school, due_at=now + datetime.timedelta(days=1))
    f.SubmissionFactory(
        assignment=homework(school, due_at=now + datetime.timedelta(days=2)), student=school.child
    )
    before = (count(guardian), count(student))
    for day in range(3, 7):
        f.SubmissionFactory(
            assignment=homework(school, due_at=now + datetime.timedelta(days=day)), student=school.child
        )
        homework(school, due_at=now + datetime.timedelta(days=day))
    sibling = f.StudentFactory()
    f.EnrollmentFactory(student=sibling, section=school.other_section)
    f.GuardianLinkFactory(student=sibling, guardian=school.guardian_profile)
    homework(school, offering=school.other_offering, due_at=now + datetime.timedelta(days=1))
    assert (count(guardian), count(student)) == before


@pytest.mark.parametrize(
    ("persona", "url_name"),
    [
        ("student", "assignments:student_list"),
        ("guardian", "assignments:children"),
        ("teacher", "assignments:teacher_list"),
    ],
)
def test_it_links_homework_in_the_navigation_per_role(persona, url_name, request, as_user, school):
    page = as_user(request.getfixturevalue(persona)).get(HOME).content.decode()
    navigation = page.split('id="nav-main"')[1].split("navbar-nav ms-auto")[0]
    assert f'href="{reverse(url_name)}"' in navigation
    assert ">Homework<" in navigation


def test_it_marks_the_homework_link_as_the_current_page(as_user, student, school):
    page = as_user(student).get(reverse("assignments:student_list")).content.decode()
    assert f'aria-current="page" href="{reverse("assignments:student_list")}"' in page


def test_it_gives_the_bursar_no_homework_link(as_user, bursar, school):
    assert ">Homework<" not in as_user(bursar).get(HOME).content.decode()
