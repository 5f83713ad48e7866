"""A report card is laid out once: a batch takes the cards already laid out from the same HTML (by an earlier
batch, or ahead of the office when the term's results are published) and lays out only the others; a card
whose marks changed is laid out again; cards no batch used for a while are forgotten with their files."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from modules.core.jobs import job_children
from modules.core.models import Job, JobStatus
from modules.exams import report_cards
from modules.exams.models import Mark, RenderedCard, TermStatus
from tests import factories as f
from tests.exams.test_report_card_fixtures import pdf_pages
from tests.exams.test_report_card_parts import _classmates
from tests.reauth import reauthenticate

URL = reverse("exams:report_card_batch")
pytestmark = pytest.mark.django_db


def _print(client, school, callbacks, **extra) -> Job:
    """The office asks for 7A's cards (a new job each time, as another person would) and gets the file."""
    Job.objects.filter(kind=report_cards.JOB_KIND).delete()
    with callbacks(execute=True):
        response = reauthenticate(client).post(
            URL, {"term": school.term.pk, "sections": [school.section.pk], **extra}
        )
    assert response.status_code == 302
    job = Job.objects.get(kind=report_cards.JOB_KIND)
    assert job.status == JobStatus.SUCCEEDED, job.message
    return job


def _laid_out(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if "rendered." in record.getMessage()]


def test_a_second_print_of_the_same_class_lays_out_nothing_and_gives_the_same_pages(
    school, admin, as_user, settings, django_capture_on_commit_callbacks, caplog
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 2
    _classmates(school, 4)  # 5 cards, parts of 2, 2 and 1
    client = as_user(admin)
    caplog.set_level(logging.INFO, logger="modules.exams.report_cards")
    first = _print(client, school, django_capture_on_commit_callbacks)
    assert len(_laid_out(caplog)) == 3
    assert RenderedCard.objects.count() == 5
    first_pages = pdf_pages(first.result_file.read())
    caplog.clear()

    second = _print(client, school, django_capture_on_commit_callbacks)
    assert _laid_out(caplog) == []  # no part at all: only the merge
    assert not job_children(second).exists()
    assert (second.done, second.total, second.result["pages"]) == (5, 5, 5)
    assert pdf_pages(second.result_file.read()) == first_pages


def test_a_changed_mark_lays_out_that_card_alone_and_the_file_shows_it(
    school, admin, as_user, settings, django_capture_on_commit_callbacks, caplog
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 2
    pupils = _classmates(school, 3)
    quiz = f.AssessmentFactory(offering=school.offering, term=school.term, name="Quiz", max_score=10)
    for pupil in pupils:
        f.MarkFactory(assessment=quiz, student=pupil, score=5)
    client = as_user(admin)
    _print(client, school, django_capture_on_commit_callbacks)
    caplog.set_level(logging.INFO, logger="modules.exams.report_cards")
    caplog.clear()
    Mark.objects.filter(assessment=quiz, student=pupils[1]).update(score=9)

    job = _print(client, school, django_capture_on_commit_callbacks)
    assert len(_laid_out(caplog)) == 1
    assert RenderedCard.objects.count() == 5  # four cards unchanged, the changed one's old and new layouts
    pages = pdf_pages(job.result_file.read())
    assert len(pages) == 4
    assert "Pupil01 Class" in pages[1]
    assert "Quiz 9/10" in pages[1]
    assert "Pupil00 Class" in pages[0]
    assert "Quiz 5/10" in pages[0]


def test_duplex_and_one_sided_cards_are_laid_out_apart(
    school, admin, as_user, settings, django_capture_on_commit_callbacks, caplog
):
    _classmates(school, 1)
    client = as_user(admin)
    _print(client, school, django_capture_on_commit_callbacks)
    caplog.set_level(logging.INFO, logger="modules.exams.report_cards")
    caplog.clear()
    job = _print(client, school, django_capture_on_commit_callbacks, duplex="on")
    assert len(_laid_out(caplog)) == 1
    pages = pdf_pages(job.result_file.read())
    assert len(pages) == 4  # each one-page card followed by its blank page
    assert "intentionally left blank" in pages[1]
    assert "intentionally left blank" in pages[3]


def test_publishing_the_results_lays_out_every_sections_cards_so_that_printing_only_merges(
    school, admin, as_user, settings, django_capture_on_commit_callbacks, caplog
):
    _classmates(school, 2)
    f.AssessmentFactory(offering=school.offering, term=school.term, name="Test")
    client = as_user(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exams:term_publish", args=[school.term.pk]), follow=True)
    assert "Term 1 results are published" in response.text
    assert RenderedCard.objects.count() == 4  # 7A's three cards and 7B's one
    caplog.set_level(logging.INFO, logger="modules.exams.report_cards")
    caplog.clear()

    job = _print(client, school, django_capture_on_commit_callbacks)
    assert _laid_out(caplog) == []
    pages = pdf_pages(job.result_file.read())
    assert len(pages) == 3
    # A published card is dated the day the results were published, so that printing it again (on
    # another day) gives the same card.
    published = timezone.localdate(TermStatus.objects.get(term=school.term).results_published_at)
    assert f"issued {date_format(published, 'DATE_FORMAT')}" in pages[0]
    assert "Staff preview" not in pages[0]


def test_a_preview_printed_before_publishing_is_not_taken_for_the_published_card(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    f.AssessmentFactory(offering=school.offering, term=school.term, name="Test")
    client = as_user(admin)
    preview = _print(client, school, django_capture_on_commit_callbacks)
    assert "Staff preview" in pdf_pages(preview.result_file.read())[0]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("exams:term_publish", args=[school.term.pk]))
    published = _print(client, school, django_capture_on_commit_callbacks)
    assert "Staff preview" not in pdf_pages(published.result_file.read())[0]


def test_cards_unused_for_the_kept_days_are_forgotten_with_their_files(
    school, admin, as_user, settings, django_capture_on_commit_callbacks
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 1
    _classmates(school, 1)  # two cards, each in a file of its own
    _print(as_user(admin), school, django_capture_on_commit_callbacks)
    old, recent = RenderedCard.objects.order_by("pk")
    assert old.file != recent.file
    RenderedCard.objects.filter(pk=old.pk).update(used_at=timezone.now() - datetime.timedelta(days=61))
    RenderedCard.objects.filter(pk=recent.pk).update(used_at=timezone.now() - datetime.timedelta(days=59))

    assert report_cards.rendered_cards_prune() == 1
    assert list(RenderedCard.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not default_storage.exists(old.file)
    assert default_storage.exists(recent.file)


def test_a_card_forgotten_between_the_plan_and_the_merge_is_laid_out_again(
    school, admin, as_user, settings, django_capture_on_commit_callbacks
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 1
    _classmates(school, 1)
    client = as_user(admin)
    _print(client, school, django_capture_on_commit_callbacks)
    gone = RenderedCard.objects.order_by("pk").first()
    default_storage.delete(gone.file)  # its file lost (another node pruned it, a disk restored)
    job = _print(client, school, django_capture_on_commit_callbacks)
    assert len(pdf_pages(job.result_file.read())) == 2
    assert RenderedCard.objects.count() == 2


def _gone(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if "gone at the merge" in record.getMessage()]


def test_cards_whose_files_were_all_lost_are_laid_out_again_in_one_run(
    school, admin, as_user, settings, django_capture_on_commit_callbacks, caplog
):
    """A database restored without its media (or a new node's empty disk): the records say three cards
    are laid out, their files are gone. The batch lays the three out again at once, in its first run; it
    does not find them missing one file per merge (which gave up after two re-layouts)."""
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 1
    _classmates(school, 3)  # four cards, each in a file of its own
    client = as_user(admin)
    _print(client, school, django_capture_on_commit_callbacks)
    kept, *lost = RenderedCard.objects.order_by("pk")
    for card in lost:
        default_storage.delete(card.file)
    caplog.set_level(logging.INFO, logger="modules.exams.report_cards")
    caplog.clear()

    job = _print(client, school, django_capture_on_commit_callbacks)
    assert job.attempts == 1
    assert len(_laid_out(caplog)) == 3  # the three lost, not the one kept
    assert _gone(caplog) == []
    pages = pdf_pages(job.result_file.read())
    assert len(pages) == 4
    assert RenderedCard.objects.filter(pk=kept.pk).exists()
    assert all(default_storage.exists(card.file) for card in RenderedCard.objects.all())


def test_cards_lost_between_the_plan_and_the_merge_are_laid_out_again_by_one_more_run(
    school, admin, as_user, settings, django_capture_on_commit_callbacks, caplog, monkeypatch
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 1
    _classmates(school, 3)
    client = as_user(admin)
    _print(client, school, django_capture_on_commit_callbacks)
    merge = report_cards._batch_merge
    calls = []

    def files_lost_first(job):  # every laid-out file deleted just before the first merge (a prune, a disk)
        if not calls:
            for card in RenderedCard.objects.all():
                default_storage.delete(card.file)
        calls.append(job.pk)
        return merge(job)

    monkeypatch.setattr(report_cards, "_batch_merge", files_lost_first)
    caplog.set_level(logging.INFO, logger="modules.exams.report_cards")
    caplog.clear()
    job = _print(client, school, django_capture_on_commit_callbacks)
    assert len(_gone(caplog)) == 1  # one more run for the four, not one per file
    assert len(_laid_out(caplog)) == 4
    assert len(pdf_pages(job.result_file.read())) == 4


class LosingStorage(FileSystemStorage):
    """A broken storage: it says it saved the laid-out cards and does not keep them."""

    def _save(self, name, content):
        if name.startswith(report_cards.RENDERED_DIR):
            return name
        return super()._save(name, content)


def test_a_storage_that_loses_the_laid_out_cards_fails_the_batch_saying_so_instead_of_looping(
    school, admin, as_user, settings, django_capture_on_commit_callbacks, caplog
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.exams.test_report_card_laid_out.LosingStorage"},
    }
    _classmates(school, 1)
    client = as_user(admin)
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.INFO):
        reauthenticate(client).post(URL, {"term": school.term.pk, "sections": [school.section.pk]})
    job = Job.objects.get(kind=report_cards.JOB_KIND)
    assert job.status == JobStatus.FAILED
    assert "laid-out cards went missing from the file storage" in job.message
    assert len(_laid_out(caplog)) == 1 + report_cards.MERGE_RELAYS  # laid out, then twice again, no more
    page = client.get(reverse("job_progress", args=[job.pk])).text
    assert "The report cards could not be printed: laid-out cards went missing from the file storage" in page


def test_a_schools_own_layout_without_the_card_marker_is_laid_out_card_by_card(
    school, admin, as_user, settings, django_capture_on_commit_callbacks, caplog, tmp_path
):
    """A school's template that does not start each card with <section class="report-card"> cannot be cut
    into cards: each card's key is then made from the card rendered alone, and reprints still lay out
    nothing."""
    own = tmp_path / "exams" / "report_card.html"
    own.parent.mkdir()
    own.write_text(
        "<!doctype html><html><head><style>h1 { bookmark-level: 1 } .card { break-before: page }</style>"
        "</head><body>{% for card in batch.cards %}<div class='card'><h1>Our card: "
        "{{ card.student.full_name }}</h1></div>{% endfor %}</body></html>",
        encoding="utf-8",
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path), *settings.TEMPLATES[0]["DIRS"]]}]
    _classmates(school, 1)
    client = as_user(admin)
    first = _print(client, school, django_capture_on_commit_callbacks)
    assert [("Our card" in page) for page in pdf_pages(first.result_file.read())] == [True, True]
    caplog.set_level(logging.INFO, logger="modules.exams.report_cards")
    caplog.clear()
    second = _print(client, school, django_capture_on_commit_callbacks)
    assert _laid_out(caplog) == []
    assert len(pdf_pages(second.result_file.read())) == 2
