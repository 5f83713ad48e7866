"""The office invites the guardians without a login of a section, a grade level or the whole school: it
sees who will be invited (and who has no email address), confirms, and a job on the queue sends each one
the invitation in their own language, with progress on the job page. Running it again invites nobody new."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from modules.academics import invites
from modules.core.models import AuditEvent, Job, JobStatus
from modules.people.models import Guardian
from tasks.academics import invite_guardians
from tests import factories as f
from tests.people.test_import_files import _on_the_queue, page_text


@pytest.fixture
def office(as_user, admin, school):
    return as_user(admin)


@pytest.fixture
def families(school):
    """Guardians without a login: two in 7A (Spanish and French) and one there without an email address,
    one in 7B, one in grade 8. The school's guardian personas have logins already."""

    def family(section, name, email, language):
        child = f.StudentFactory(first_name=f"Kid{name}", last_name="Family")
        f.EnrollmentFactory(student=child, section=section)
        guardian = f.GuardianFactory(
            user=None, first_name=name, last_name="Family", email=email, preferred_language=language
        )
        f.GuardianLinkFactory(student=child, guardian=guardian)
        return guardian

    grade8 = f.GradeLevelFactory(name="Grade 8", order=8)
    section8 = f.SectionFactory(year=school.year, grade_level=grade8, name="8A")
    return {
        "gina": family(school.section, "Gina", "gina@family.test", "es"),
        "felix": family(school.section, "Felix", "felix@family.test", "fr"),
        "nadia": family(school.section, "Nadia", "", "en"),
        "eve": family(school.other_section, "Eve", "eve@family.test", "en"),
        "hugo": family(section8, "Hugo", "hugo@family.test", "en"),
        "section8": section8,
    }


def _page(client, audience: str):
    return client.get(reverse("people:guardian_invite"), {"audience": audience})


def _invite(client, audience: str, expected: int):
    return _on_the_queue(
        client, reverse("people:guardian_invite"), {"audience": audience, "expected": expected}
    )


def test_the_guardian_list_leads_to_the_bulk_invitation(office, school):
    text = page_text(office.get(reverse("people:guardian_list")))
    assert reverse("people:guardian_invite") in text
    assert "Invite guardians without a login" in text


def test_it_shows_who_will_be_invited_and_who_has_no_email(office, school, families):
    response = _page(office, f"section:{school.section.pk}")
    text = page_text(response)
    assert response.status_code == 200
    assert "Guardians of 7A" in text
    assert "2 guardians without a login will be invited." in text
    assert "1 guardian has no email address and cannot be invited." in text
    assert "Nadia Family" in text
    assert reverse("people:guardian_edit", args=[families["nadia"].pk]) in text
    assert "Invite 2 guardians" in text
    assert not Job.objects.exists()
    assert not mail.outbox


def test_it_invites_each_guardian_in_their_language_on_the_queue(office, admin, school, families):
    response = _invite(office, f"section:{school.section.pk}", 2)
    job = Job.objects.get(kind=invites.INVITE_KIND)
    assert response.redirect_chain[0] == (reverse("job_progress", args=[job.pk]), 302)
    text = page_text(response)
    assert "Invitations to guardians · 7A" in text
    assert "Finished" in text
    assert "2 of 2 done (100%)." in text
    assert "2 invitations sent." in text

    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert set(subjects) == {"gina@family.test", "felix@family.test"}
    assert "Su cuenta en el portal de" in subjects["gina@family.test"]
    assert "Votre compte sur le portail de" in subjects["felix@family.test"]
    gina = Guardian.objects.select_related("user").get(pk=families["gina"].pk)
    assert gina.user.language == "es"
    assert not gina.user.has_usable_password()
    assert gina.user.invited_at is not None
    assert gina.user.invitation_due_at is None
    assert AuditEvent.objects.filter(action="guardian.invite", actor=admin).count() == 2
    assert AuditEvent.objects.get(action="guardian.bulk_invite").after["guardians"] == 2
    assert Guardian.objects.get(pk=families["eve"].pk).user is None  # another section


def test_a_second_run_invites_nobody_new(office, school, families):
    _invite(office, f"section:{school.section.pk}", 2)
    assert len(mail.outbox) == 2

    text = page_text(_page(office, f"section:{school.section.pk}"))
    assert "0 guardians without a login will be invited." in text
    assert "2 guardians were invited less than 3 days ago and will be skipped." in text
    assert "Nobody to invite here." in text
    response = _invite(office, f"section:{school.section.pk}", 0)
    assert "There is nobody to invite." in page_text(response)

    # The grade level: 7B's guardian is new; 7A's two are skipped, and the result says so.
    response = _invite(office, f"grade:{school.section.grade_level_id}", 1)
    text = page_text(response)
    assert "1 invitation sent." in text
    assert "2 guardians were invited less than 3 days ago and were skipped (their link still works)." in text
    assert [message.to for message in mail.outbox[2:]] == [["eve@family.test"]]


def test_an_invitation_past_its_validity_is_sent_again(office, school, families):
    _invite(office, f"section:{school.section.pk}", 2)
    gina = Guardian.objects.get(pk=families["gina"].pk)
    type(gina.user).objects.filter(pk=gina.user_id).update(
        invited_at=timezone.now() - datetime.timedelta(days=4)
    )
    text = page_text(_page(office, f"section:{school.section.pk}"))
    assert "1 guardian without a login will be invited." in text


def test_the_whole_school(office, school, families):
    text = page_text(_page(office, "school"))
    assert "Guardians of the whole school" in text
    assert "4 guardians without a login will be invited." in text  # Gina, Felix, Eve, Hugo
    _invite(office, "school", 4)
    assert len(mail.outbox) == 4


def test_numbers_that_changed_since_the_page_are_refused(office, school, families):
    response = _invite(office, f"section:{school.section.pk}", 3)
    assert response.status_code == 200
    assert "The numbers changed since this page was shown." in page_text(response)
    assert "2 guardians without a login will be invited." in page_text(response)
    assert not Job.objects.exists()
    assert not mail.outbox


def test_an_unknown_audience_is_refused_in_the_form(office, school, families):
    response = _page(office, "section:999999")
    assert response.status_code == 200
    assert "Select a valid choice." in page_text(response)
    response = _invite(office, "grade:abc", 1)
    assert "Select a valid choice." in page_text(response)
    assert not Job.objects.exists()


def test_a_restarted_run_does_not_invite_twice(office, school, families):
    _invite(office, f"section:{school.section.pk}", 2)
    job = Job.objects.get(kind=invites.INVITE_KIND)
    # As if the worker was killed after the first guardian (its lease ran out), and the sweeper requeued it.
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        done=1,
        result={**job.result, "counts": {"sent": 1}},
        leased_until=timezone.now() - datetime.timedelta(minutes=1),
    )
    invite_guardians(str(job.pk))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.done == 2
    assert job.message == "2 invitations sent."
    assert len(mail.outbox) == 2


def test_one_bulk_invitation_at_a_time(office, admin, school, families):
    Job.objects.create(kind=invites.INVITE_KIND, owner=admin, status=JobStatus.RUNNING)
    response = _invite(office, f"section:{school.section.pk}", 2)
    assert "Invitations are being sent to guardians already." in page_text(response)
    assert not mail.outbox


@pytest.mark.parametrize("persona", ["teacher", "guardian", "student", "bursar"])
def test_other_roles_are_refused(request, as_user, school, families, persona):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(reverse("people:guardian_invite")).status_code == 403
    response = client.post(reverse("people:guardian_invite"), {"audience": "school", "expected": 4})
    assert response.status_code == 403
    assert not Job.objects.exists()
    assert not mail.outbox


def test_wrong_methods_are_refused(office, school):
    assert office.put(reverse("people:guardian_invite")).status_code == 405


def test_a_run_larger_than_the_limit_is_refused(office, school, families, monkeypatch):
    monkeypatch.setattr(invites, "INVITE_MAX", 1)
    text = page_text(_page(office, f"section:{school.section.pk}"))
    assert "That is more than can be invited at once. Invite one grade level at a time." in text
    assert "Invite 2 guardians" not in text
    response = _invite(office, f"section:{school.section.pk}", 2)
    assert "At most 1 guardian can be invited at once." in page_text(response)
    assert not Job.objects.exists()
    assert not mail.outbox


def test_starting_bulk_invitations_is_rate_limited(office, school, families, settings):
    settings.STUDENTFLOW_RATE_LIMITS = {**settings.STUDENTFLOW_RATE_LIMITS, "bulk_invitation": "1/h"}
    _invite(office, f"section:{school.section.pk}", 2)
    response = _invite(office, f"section:{school.other_section.pk}", 1)
    assert response.status_code == 429
    assert "You have done this too many times in a short while." in page_text(response)
    assert Guardian.objects.get(pk=families["eve"].pk).user is None
    assert len(mail.outbox) == 2
