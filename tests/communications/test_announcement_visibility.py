"""Announcement.objects.visible_to(user): who sees what, and when."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from modules.communications.announcements import announcements_for_home
from modules.communications.models import Announcement, AudienceKind
from tests import factories as f

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def post(author, title, **fields):
    fields.setdefault("publish_at", timezone.now() - HOUR)
    return Announcement.objects.create(title=title, body="Details.", author=author, **fields)


def titles(user):
    return set(Announcement.objects.visible_to(user).values_list("title", flat=True))


def test_it_shows_a_section_announcement_to_that_sections_families_only(
    admin, school, guardian, other_guardian, student
):
    post(admin, "7A trip", audience=AudienceKind.SECTION, section=school.section)
    post(admin, "7B trip", audience=AudienceKind.SECTION, section=school.other_section)
    assert titles(guardian) == {"7A trip"}
    assert titles(student) == {"7A trip"}
    assert titles(other_guardian) == {"7B trip"}


def test_it_shows_a_class_announcement_to_its_students_guardians_and_teacher(
    admin, school, guardian, other_guardian, student, teacher, other_teacher, bursar
):
    post(admin, "Maths test", audience=AudienceKind.OFFERING, offering=school.offering)
    assert "Maths test" in titles(guardian)
    assert "Maths test" in titles(student)
    assert "Maths test" in titles(teacher)
    assert titles(other_guardian) == titles(other_teacher) == titles(bursar) == set()


def test_it_shows_a_grade_announcement_to_every_section_of_the_grade_this_year(
    admin, school, guardian, other_guardian, student, bursar
):
    post(admin, "Grade 7 meeting", audience=AudienceKind.GRADE_LEVEL, grade_level=school.section.grade_level)
    other_grade = f.GradeLevelFactory(name="Grade 8", order=8)
    post(admin, "Grade 8 meeting", audience=AudienceKind.GRADE_LEVEL, grade_level=other_grade)
    assert titles(guardian) == titles(other_guardian) == titles(student) == {"Grade 7 meeting"}
    assert titles(bursar) == set()


def test_it_ignores_last_years_grade_and_withdrawn_students(admin, school, guardian, student):
    last_year = f.AcademicYearFactory(
        name="old",
        start_date=school.year.start_date.replace(year=school.year.start_date.year - 1),
        end_date=school.year.end_date.replace(year=school.year.end_date.year - 1),
        is_current=False,
    )
    grade6 = f.GradeLevelFactory(name="Grade 6", order=6)
    old_section = f.SectionFactory(year=last_year, grade_level=grade6, name="6A")
    f.EnrollmentFactory(student=school.child, section=old_section)
    post(admin, "Grade 6 news", audience=AudienceKind.GRADE_LEVEL, grade_level=grade6)
    assert titles(guardian) == set()
    post(admin, "7A news", audience=AudienceKind.SECTION, section=school.section)
    school.child.enrollments.filter(section=school.section).update(status="withdrawn")
    assert titles(student) == set()


def test_it_shows_a_role_announcement_to_that_role_only(
    admin, school, teacher, other_teacher, bursar, guardian, student
):
    post(admin, "Staff meeting", audience=AudienceKind.ROLE, audience_role="teacher")
    post(admin, "Parents evening", audience=AudienceKind.ROLE, audience_role="guardian")
    post(admin, "Exam timetable", audience=AudienceKind.ROLE, audience_role="student")
    post(admin, "Budget", audience=AudienceKind.ROLE, audience_role="bursar")
    assert titles(teacher) == titles(other_teacher) == {"Staff meeting"}
    assert titles(guardian) == {"Parents evening"}
    assert titles(student) == {"Exam timetable"}
    assert titles(bursar) == {"Budget"}


def test_it_shows_a_school_announcement_to_everyone_signed_in(
    admin, school, teacher, bursar, guardian, other_guardian, student
):
    post(admin, "Snow day")
    for user in (admin, teacher, bursar, guardian, other_guardian, student):
        assert titles(user) == {"Snow day"}


def test_it_shows_administrators_every_published_announcement(admin, school, teacher):
    post(teacher, "Maths test", audience=AudienceKind.OFFERING, offering=school.offering)
    assert titles(admin) == {"Maths test"}


def test_it_shows_a_teacher_the_sections_they_lead_and_their_own_posts(admin, school, teacher, other_teacher):
    post(admin, "7A trip", audience=AudienceKind.SECTION, section=school.section)
    post(teacher, "For parents", audience=AudienceKind.ROLE, audience_role="guardian")
    assert titles(teacher) == {"7A trip", "For parents"}
    assert titles(other_teacher) == set()


def test_it_hides_an_announcement_until_it_is_published(admin, school, guardian):
    post(admin, "Next week", publish_at=timezone.now() + HOUR)
    assert titles(guardian) == set()
    assert Announcement.objects.readable_by(admin).count() == 1  # the manage view still shows it


def test_it_hides_an_expired_announcement(admin, school, guardian, teacher):
    post(teacher, "Yesterday", publish_at=timezone.now() - 3 * HOUR, expires_at=timezone.now() - HOUR)
    post(admin, "Still on", publish_at=timezone.now() - 3 * HOUR, expires_at=timezone.now() + HOUR)
    assert titles(guardian) == {"Still on"}
    # Its author still reaches it (to edit or delete it), but it is gone from their list.
    assert "Yesterday" not in titles(teacher)
    assert Announcement.objects.readable_by(teacher).filter(title="Yesterday").exists()


def test_it_shows_nothing_to_a_visitor(admin, school):
    from django.contrib.auth.models import AnonymousUser

    post(admin, "Snow day")
    assert not Announcement.objects.visible_to(AnonymousUser()).exists()
    assert not Announcement.objects.readable_by(AnonymousUser()).exists()


def test_it_puts_pinned_announcements_first_then_the_newest(admin, school, guardian):
    now = timezone.now()
    post(admin, "Old pinned", publish_at=now - 10 * HOUR, is_pinned=True)
    post(admin, "Newest", publish_at=now - HOUR)
    post(admin, "Older", publish_at=now - 5 * HOUR)
    assert [a.title for a in announcements_for_home(guardian)] == ["Old pinned", "Newest", "Older"]
    assert [a.title for a in announcements_for_home(guardian, limit=2)] == ["Old pinned", "Newest"]


def test_it_reads_the_home_card_in_one_query(admin, school, guardian, django_assert_num_queries):
    for number in range(8):
        post(admin, f"News {number}", audience=AudienceKind.SECTION, section=school.section)
    guardian.roles  # noqa: B018 - roles are cached per request by the middleware, not the selector's cost
    with django_assert_num_queries(1):
        items = announcements_for_home(guardian)
        [item.author.get_full_name() for item in items]
    assert len(items) == 5


def test_the_home_card_lists_the_latest_with_a_link_to_all(admin, school, guardian):
    from django.template.loader import render_to_string

    pinned = post(admin, "Uniform rules", publish_at=timezone.now() - 9 * HOUR, is_pinned=True)
    post(admin, "Snow day")
    html = render_to_string(
        "communications/announcements/_home_card.html",
        {"home_announcements": announcements_for_home(guardian)},
    )
    assert html.index("Uniform rules") < html.index("Snow day")
    assert f"/announcements/{pinned.pk}/" in html
    assert 'href="/announcements/"' in html
    assert "Pinned" in html
    empty = render_to_string("communications/announcements/_home_card.html", {"home_announcements": []})
    assert "No announcements at the moment." in empty
