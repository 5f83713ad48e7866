"""Printing a section's (or a grade's) report cards as ONE PDF on the queue: reruns, duplex, emailing."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.urls import reverse

from modules.communications.models import Delivery, Notification
from modules.core.models import Job, JobStatus, SchoolProfile
from modules.exams import report_cards
from modules.exams.models import CommentKind, Mark, TermComment
from tests import factories as f
from tests.exams.test_report_card_fixtures import pdf_bookmarks, pdf_pages, publish_term, sams_term
from tests.images import png_bytes
from tests.reauth import reauthenticate

URL = reverse("exams:report_card_batch")


def _classmates(school, names):
    students = []
    for first in names:
        student = f.StudentFactory(first_name=first, last_name="Class")
        f.EnrollmentFactory(student=student, section=school.section)
        students.append(student)
    return students


def _print(client, school, callbacks, **extra):
    data = {"term": school.term.pk, "sections": [school.section.pk], **extra}
    reauthenticate(client)  # printing a class's cards is a bulk export: the password again
    with callbacks(execute=True):
        response = client.post(URL, data)
    assert response.status_code == 302
    job = Job.objects.get(kind=report_cards.JOB_KIND)
    assert response["Location"] == reverse("job_progress", args=[job.pk])
    return job


def test_it_shows_the_choice_to_the_office_only(school, admin, teacher, as_user, client):
    assert as_user(admin).get(URL).status_code == 200
    assert as_user(teacher).get(URL).status_code == 403
    assert as_user(admin).delete(URL).status_code == 405


def test_it_asks_the_office_to_prove_who_they_are_before_printing(school, admin, as_user):
    client = as_user(admin)  # a session that has not typed its password lately (a laptop left signed in)
    response = client.post(URL, {"term": school.term.pk, "sections": [school.section.pk]})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate") + "?next=")
    assert not Job.objects.exists()
    reauthenticate(client)
    assert client.post(URL, {"term": school.term.pk, "sections": [school.section.pk]}).status_code == 302
    assert Job.objects.filter(kind=report_cards.JOB_KIND).exists()


def test_it_refuses_an_empty_choice_with_a_message(school, admin, as_user):
    response = as_user(admin).post(URL, {"term": school.term.pk})
    assert response.status_code == 400
    assert "Choose at least one section, or a grade level." in response.text
    assert not Job.objects.exists()


def test_it_prints_one_pdf_with_a_page_per_student_sorted_by_name(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    sams_term(school)
    _classmates(school, ["Zoe", "Abe"])
    profile = SchoolProfile.load()
    profile.logo.save("logo.png", ContentFile(png_bytes()), save=True)
    client = as_user(admin)
    job = _print(client, school, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    page = client.get(reverse("job_progress", args=[job.pk]))
    assert reverse("job_download", args=[job.pk]) in page.text
    download = client.get(reverse("job_download", args=[job.pk]))
    content = b"".join(download.streaming_content)
    pages = pdf_pages(content)
    assert len(pages) == 3
    # Sorted by name within the section: Abe Class, Zoe Class, Sam Parent (by last name, then first).
    assert ["Abe Class" in pages[0], "Zoe Class" in pages[1], "Sam Parent" in pages[2]] == [True] * 3
    # The viewer's sidebar lists each card at its page, as one document laid out whole would.
    card = "Report card · Term 1 (2026/2027): "
    assert pdf_bookmarks(content) == [
        (card + "Abe Class", 0),
        (card + "Zoe Class", 1),
        (card + "Sam Parent", 2),
    ]


def test_on_a_storage_without_paths_the_cards_are_merged_from_copies(
    school, admin, as_user, settings, django_capture_on_commit_callbacks
):
    # An S3-compatible storage (django-storages) gives no path: each laid-out file is copied to a scratch
    # directory for the merge. One card a part, so the merge reads three files.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 1
    sams_term(school)
    _classmates(school, ["Zoe", "Abe"])
    client = as_user(admin)
    job = _print(client, school, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    content = b"".join(client.get(reverse("job_download", args=[job.pk])).streaming_content)
    pages = pdf_pages(content)
    assert ["Abe Class" in pages[0], "Zoe Class" in pages[1], "Sam Parent" in pages[2]] == [True] * 3
    assert [page for _title, page in pdf_bookmarks(content)] == [0, 1, 2]


def test_it_prints_a_whole_grade_level_sorted_by_section(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    client = as_user(admin)
    with django_capture_on_commit_callbacks(execute=True):
        reauthenticate(client).post(
            URL, {"term": school.term.pk, "grade_level": school.section.grade_level.pk}
        )
    job = Job.objects.get(kind=report_cards.JOB_KIND)
    pages = pdf_pages(job.result_file.read())
    assert len(pages) == 2
    assert "Sam Parent" in pages[0]
    assert "Olive Elsewhere" in pages[1]


def test_it_pads_each_card_to_an_even_page_count_for_duplex(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    sams_term(school)
    long_one = _classmates(school, ["Abe"])[0]
    # 90 short lines (1,440 characters, within the 1,500 a comment may hold) push the card past one page.
    TermComment.objects.create(
        student=long_one, term=school.term, kind=CommentKind.PRINCIPAL, text="A long comment.\n" * 90
    )
    job = _print(as_user(admin), school, django_capture_on_commit_callbacks, duplex="on")
    job.refresh_from_db()
    pages = pdf_pages(job.result_file.read())
    blank = [i for i, text in enumerate(pages) if "intentionally left blank" in text]
    # Abe's card takes 2 pages (no padding), Sam's one page and a blank one.
    assert len(pages) % 2 == 0
    assert "Abe Class" in pages[0]
    assert "Sam Parent" in pages[len(pages) - 2]
    assert blank == [len(pages) - 1]
    assert not any("intentionally left blank" in text for text in pages[:-1])


def test_it_reuses_the_file_when_nothing_changed_and_replaces_it_otherwise(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    published, _hidden = sams_term(school)
    client = as_user(admin)
    job = _print(client, school, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    first_file = job.result_file.name
    _print(client, school, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert Job.objects.filter(kind=report_cards.JOB_KIND).count() == 1
    assert job.result_file.name == first_file
    assert "Nothing changed" in job.message
    Mark.objects.filter(assessment=published).update(score=2)
    _print(client, school, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert Job.objects.filter(kind=report_cards.JOB_KIND).count() == 1
    assert "Quiz A 2/20" in pdf_pages(job.result_file.read())[0]
    storage = job.result_file.storage
    assert job.result_file.name == first_file or not storage.exists(first_file)  # never two files
    # Another choice (duplex) is another job.
    _print_other = reauthenticate(client).post(
        URL, {"term": school.term.pk, "sections": [school.section.pk], "duplex": "on"}
    )
    assert _print_other.status_code == 302
    assert Job.objects.filter(kind=report_cards.JOB_KIND).count() == 2


def test_it_emails_families_once_published_and_counts_guardians_without_login(
    school, admin, guardian, as_user, django_capture_on_commit_callbacks
):
    sams_term(school)
    no_login = f.GuardianFactory(user=None, email="grandma@example.test")
    f.GuardianLinkFactory(
        student=school.child, guardian=no_login, relationship="grandparent", is_primary=False
    )
    client = as_user(admin)
    data = {"term": school.term.pk, "sections": [school.section.pk]}
    refused = client.post(reverse("exams:report_card_email"), data)
    assert refused.status_code == 400
    assert "Publish the term" in refused.text
    assert not Notification.objects.exists()
    publish_term(school.term)
    response = client.post(reverse("exams:report_card_email"), data, follow=True)
    assert "1 guardian was told" in response.text
    assert "1 guardian has no login to the portal and was skipped." in response.text
    notification = Notification.objects.get(recipient=guardian)
    assert notification.url == reverse("exams:report_card", args=[school.child.pk, school.term.pk])
    assert Delivery.objects.filter(recipient=guardian, kind="report_card_ready").exists()
    assert not Delivery.objects.filter(guardian=no_login).exists()
    # Again: nothing is sent twice.
    client.post(reverse("exams:report_card_email"), data)
    assert Notification.objects.filter(recipient=guardian).count() == 1


def test_it_refuses_the_email_action_to_others(school, teacher, as_user):
    response = as_user(teacher).post(reverse("exams:report_card_email"), {"term": school.term.pk})
    assert response.status_code == 403
    assert as_user(teacher).get(reverse("exams:report_card_email")).status_code in (403, 405)


def test_it_prints_only_published_marks_once_the_term_is_published(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    sams_term(school)
    publish_term(school.term)
    job = _print(as_user(admin), school, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    text = pdf_pages(job.result_file.read())[0]
    assert "Quiz A 18/20" in text
    assert "Quiz B" not in text
    assert "Staff preview" not in text
