"""Announcement pages: the list, the manage view, the detail page, and posting, editing and deleting."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.communications.models import Announcement, AudienceKind, Notification
from tests import factories as f

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)
LIST = reverse("communications:announcement_list")
MANAGE = reverse("communications:announcement_manage")
CREATE = reverse("communications:announcement_create")


def post(author, title, **fields):
    fields.setdefault("publish_at", timezone.now() - HOUR)
    return Announcement.objects.create(title=title, body=f"About {title}.", author=author, **fields)


def detail(item):
    return reverse("communications:announcement_detail", kwargs={"pk": item.pk})


def edit(item):
    return reverse("communications:announcement_edit", kwargs={"pk": item.pk})


def delete(item):
    return reverse("communications:announcement_delete", kwargs={"pk": item.pk})


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def form_data(**overrides):
    data = {
        "title": "Trip to the museum",
        "body": "We leave at 9.",
        "audience": "section",
        "publish_at": "",
        "expires_at": "",
    }
    data.update(overrides)
    return data


# --- the list ---------------------------------------------------------------------------------------------


def test_it_lists_what_the_guardian_may_see_pinned_first(as_user, admin, school, guardian):
    post(admin, "7A trip", audience=AudienceKind.SECTION, section=school.section)
    post(admin, "7B trip", audience=AudienceKind.SECTION, section=school.other_section)
    post(admin, "Uniform rules", publish_at=timezone.now() - 5 * HOUR, is_pinned=True)
    page = as_user(guardian).get(LIST).content.decode()
    assert "7A trip" in page
    assert "Uniform rules" in page
    assert "7B trip" not in page
    assert page.index("Uniform rules") < page.index("7A trip")
    assert "Pinned" in page
    assert "New announcement" not in page  # families do not post


def test_it_offers_teachers_the_buttons_to_post_and_manage(as_user, school, teacher):
    page = as_user(teacher).get(LIST).content.decode()
    assert CREATE in page
    assert MANAGE in page


def test_it_pages_the_list_newest_first(as_user, admin, school, guardian):
    for number in range(25):
        post(admin, f"Notice {number:02d}", publish_at=timezone.now() - (number + 1) * HOUR)
    first = as_user(guardian).get(LIST).content.decode()
    assert "Notice 00" in first
    assert "Notice 19" in first
    assert "Notice 20" not in first
    assert "Page 1 of 2" in first
    second = as_user(guardian).get(LIST, {"page": 2}).content.decode()
    assert "Notice 20" in second
    assert "Notice 24" in second
    assert "Notice 00" not in second


def test_it_answers_htmx_with_the_results_fragment(as_user, admin, school, guardian):
    post(admin, "Snow day")
    response = as_user(guardian).get(LIST, headers={"HX-Request": "true"})
    assert "Snow day" in response.content.decode()
    assert "<html" not in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_it_lists_in_a_fixed_number_of_queries(
    as_user, admin, school, guardian, django_assert_max_num_queries
):
    client = as_user(guardian)
    post(admin, "First", audience=AudienceKind.SECTION, section=school.section)
    with django_assert_max_num_queries(6):
        client.get(LIST)
    for number in range(15):
        author = f.StaffFactory().user
        post(author, f"News {number}", audience=AudienceKind.SECTION, section=school.section)
    with django_assert_max_num_queries(6):
        page = client.get(LIST).content.decode()
    assert "News 14" in page


def test_it_refuses_other_methods_and_sends_visitors_to_log_in(as_user, client, school, guardian):
    assert client.get(LIST).status_code == 302
    assert as_user(guardian).post(LIST).status_code == 405


# --- the manage view --------------------------------------------------------------------------------------


def test_it_shows_a_teacher_their_own_announcements_in_every_state(
    as_user, admin, school, teacher, other_teacher
):
    post(teacher, "Test on Friday", audience=AudienceKind.OFFERING, offering=school.offering)
    post(
        teacher,
        "Next week",
        audience=AudienceKind.SECTION,
        section=school.section,
        publish_at=timezone.now() + HOUR,
    )
    post(
        teacher,
        "Last week",
        audience=AudienceKind.SECTION,
        section=school.section,
        publish_at=timezone.now() - 5 * HOUR,
        expires_at=timezone.now() - HOUR,
    )
    post(other_teacher, "Not mine", audience=AudienceKind.SECTION, section=school.other_section)
    page = as_user(teacher).get(MANAGE).content.decode()
    assert "Test on Friday" in page
    assert "Next week" in page
    assert "Last week" in page
    assert "Not mine" not in page
    assert ">Scheduled</span>" in page
    assert ">Expired</span>" in page
    assert ">Published</span>" in page
    assert "Mathematics · 7A" in page
    assert "Section 7A" in page


def test_it_shows_administrators_every_announcement_to_manage(as_user, admin, school, teacher):
    post(
        teacher,
        "Next week",
        audience=AudienceKind.SECTION,
        section=school.section,
        publish_at=timezone.now() + HOUR,
    )
    assert "Next week" in as_user(admin).get(MANAGE).content.decode()


def test_it_refuses_the_manage_view_to_families(as_user, school, guardian, student, bursar):
    for user in (guardian, student, bursar):
        assert as_user(user).get(MANAGE).status_code == 403


# --- the detail page --------------------------------------------------------------------------------------


def test_it_shows_an_announcement_to_its_audience(as_user, admin, school, guardian):
    item = post(admin, "7A trip", audience=AudienceKind.SECTION, section=school.section)
    page = as_user(guardian).get(detail(item)).content.decode()
    assert "7A trip" in page
    assert "About 7A trip." in page
    assert edit(item) not in page


def test_it_hides_an_announcement_from_another_family(as_user, admin, school, other_guardian):
    item = post(admin, "7A trip", audience=AudienceKind.SECTION, section=school.section)
    assert as_user(other_guardian).get(detail(item)).status_code == 404


def test_it_hides_a_scheduled_announcement_except_from_its_author(as_user, school, teacher, guardian, admin):
    item = post(
        teacher,
        "Next week",
        audience=AudienceKind.SECTION,
        section=school.section,
        publish_at=timezone.now() + HOUR,
    )
    assert as_user(guardian).get(detail(item)).status_code == 404
    page = as_user(teacher).get(detail(item)).content.decode()
    assert "Scheduled" in page
    assert edit(item) in page
    assert as_user(admin).get(detail(item)).status_code == 200


# --- posting ------------------------------------------------------------------------------------------------


def test_it_lets_a_teacher_post_to_their_section_and_notifies_its_families(
    as_user, school, teacher, guardian, student, other_guardian, django_capture_on_commit_callbacks
):
    client = as_user(teacher)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(CREATE, form_data(section=school.section.pk))
    item = Announcement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail(item)
    assert (item.author, item.section, item.audience) == (teacher, school.section, "section")
    assert item.publish_at <= timezone.now()
    assert item.notified_at is None
    for callback in callbacks:  # what runs when the request's transaction commits: the publish task
        callback()
    item.refresh_from_db()
    assert item.notified_at is not None
    assert set(Notification.objects.values_list("recipient__email", flat=True)) == {
        guardian.email,
        student.email,
    }
    assert "The announcement was published." in client.get(response["Location"]).content.decode()


def test_it_lets_a_teacher_post_to_a_class_they_teach(as_user, school, teacher):
    response = as_user(teacher).post(CREATE, form_data(audience="offering", offering=school.offering.pk))
    assert response.status_code == 302
    assert Announcement.objects.get().offering == school.offering


def test_it_refuses_another_teachers_section(as_user, school, teacher):
    response = as_user(teacher).post(CREATE, form_data(section=school.other_section.pk))
    assert response.status_code == 200
    assert "Choose one of your own sections or classes." in response.content.decode()
    assert not Announcement.objects.exists()


def test_it_refuses_a_whole_school_announcement_from_a_teacher(as_user, school, teacher):
    response = as_user(teacher).post(CREATE, form_data(audience="school"))
    assert "Teachers can address only a section or a class they teach." in response.content.decode()
    assert not Announcement.objects.exists()


def test_it_asks_for_the_target_that_goes_with_the_audience(as_user, school, admin):
    client = as_user(admin)
    cases = {
        "role": "Choose who should receive it.",
        "grade_level": "Choose a grade level.",
        "section": "Choose a section.",
        "offering": "Choose a class.",
    }
    for audience, message in cases.items():
        assert message in client.post(CREATE, form_data(audience=audience)).content.decode()
    assert not Announcement.objects.exists()


def test_it_keeps_only_the_target_of_the_chosen_audience(as_user, school, admin):
    as_user(admin).post(
        CREATE,
        form_data(
            audience="role", audience_role="guardian", section=school.section.pk, offering=school.offering.pk
        ),
    )
    item = Announcement.objects.get()
    assert (item.audience_role, item.section, item.offering) == ("guardian", None, None)


def test_it_lets_an_administrator_address_a_grade_level(as_user, school, admin):
    grade = school.section.grade_level
    assert (
        as_user(admin).post(CREATE, form_data(audience="grade_level", grade_level=grade.pk)).status_code
        == 302
    )
    assert Announcement.objects.get().grade_level == grade


def test_it_requires_a_title_and_text_of_reasonable_length(as_user, school, admin):
    client = as_user(admin)
    page = client.post(CREATE, form_data(audience="school", title="", body="  ")).content.decode()
    assert "Give the announcement a title." in page
    assert "Write the announcement&#x27;s text." in page
    page = client.post(CREATE, form_data(audience="school", body="x" * 10_001)).content.decode()
    assert "at most 10000 characters" in page
    assert not Announcement.objects.exists()


def test_it_schedules_an_announcement_and_publishes_it_when_due(
    as_user, school, admin, guardian, django_capture_on_commit_callbacks
):
    publish_at = timezone.now() + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(admin).post(CREATE, form_data(audience="school", publish_at=local(publish_at)))
    item = Announcement.objects.get()
    assert item.notified_at is None
    assert not Notification.objects.exists()
    assert "scheduled for" in as_user(admin).get(response["Location"]).content.decode()
    assert as_user(guardian).get(detail(item)).status_code == 404

    from modules.communications.announcements import announcements_publish_due

    assert announcements_publish_due(now=item.publish_at + datetime.timedelta(minutes=1)) == 1
    assert Notification.objects.filter(recipient=guardian).count() == 1


def test_it_refuses_an_expiry_before_publication(as_user, school, admin):
    now = timezone.now()
    response = as_user(admin).post(
        CREATE, form_data(audience="school", publish_at=local(now + HOUR), expires_at=local(now))
    )
    assert "The expiry must be after the publication time." in response.content.decode()
    assert not Announcement.objects.exists()


def test_it_refuses_the_form_to_families_and_bursars(as_user, school, guardian, student, bursar):
    for user in (guardian, student, bursar):
        assert as_user(user).get(CREATE).status_code == 403
        assert as_user(user).post(CREATE, form_data(audience="school")).status_code == 403
    assert not Announcement.objects.exists()


def test_it_offers_a_teacher_only_their_sections_and_classes(as_user, school, teacher):
    form = as_user(teacher).get(CREATE).context["form"]
    assert list(form.fields["section"].queryset) == [school.section]
    assert list(form.fields["offering"].queryset) == [school.offering]
    assert [value for value, _label in form.fields["audience"].choices] == ["section", "offering"]


# --- editing and deleting --------------------------------------------------------------------------------


def test_it_lets_the_author_edit_without_notifying_again(as_user, school, teacher, guardian):
    item = post(
        teacher, "Trip", audience=AudienceKind.SECTION, section=school.section, notified_at=timezone.now()
    )
    response = as_user(teacher).post(
        edit(item),
        form_data(title="Trip (new time)", section=school.section.pk, publish_at=local(item.publish_at)),
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title == "Trip (new time)"
    assert not Notification.objects.exists()


def test_it_hides_another_teachers_announcement_from_editing(
    as_user, school, teacher, other_teacher, guardian
):
    item = post(other_teacher, "7B trip", audience=AudienceKind.SECTION, section=school.other_section)
    assert as_user(teacher).get(edit(item)).status_code == 404
    assert as_user(teacher).post(edit(item), form_data(section=school.section.pk)).status_code == 404
    assert as_user(teacher).post(delete(item)).status_code == 404
    assert as_user(guardian).get(edit(item)).status_code == 404
    assert Announcement.objects.get().title == "7B trip"


def test_it_lets_an_administrator_edit_a_teachers_announcement(as_user, school, admin, teacher):
    item = post(teacher, "Trip", audience=AudienceKind.SECTION, section=school.section)
    response = as_user(admin).post(
        edit(item),
        form_data(title="Trip (office)", section=school.section.pk, publish_at=local(item.publish_at)),
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.author) == ("Trip (office)", teacher)


def test_it_deletes_on_post_only(as_user, school, teacher):
    item = post(teacher, "Trip", audience=AudienceKind.SECTION, section=school.section)
    client = as_user(teacher)
    assert client.get(delete(item)).status_code == 405
    response = client.post(delete(item), follow=True)
    assert response.redirect_chain[-1][0] == MANAGE
    assert "“Trip” was deleted." in response.content.decode()
    assert not Announcement.objects.exists()


def test_it_refuses_methods_a_page_does_not_take(as_user, school, teacher):
    item = post(teacher, "Trip", audience=AudienceKind.SECTION, section=school.section)
    client = as_user(teacher)
    assert client.post(MANAGE).status_code == 405
    assert client.post(detail(item)).status_code == 405
    assert client.put(CREATE).status_code == 405
    assert client.put(edit(item)).status_code == 405


def test_it_manages_in_a_fixed_number_of_queries(as_user, school, admin, django_assert_max_num_queries):
    client = as_user(admin)
    post(admin, "First", audience=AudienceKind.OFFERING, offering=school.offering)
    with django_assert_max_num_queries(6):
        client.get(MANAGE)
    for number in range(15):
        author = f.StaffFactory().user
        post(author, f"Section news {number}", audience=AudienceKind.SECTION, section=school.section)
        post(author, f"Class news {number}", audience=AudienceKind.OFFERING, offering=school.other_offering)
    with django_assert_max_num_queries(6):
        page = client.get(MANAGE).content.decode()
    assert "Class news 14" in page
    assert "History · 7B" in page
