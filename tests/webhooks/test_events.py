"""The school's events reach a subscribed endpoint from the real actions, through the pages: a register
submitted, marks published, a payment recorded at the office, students enrolled and withdrawn. Each arrives
signed (the signature verifies with the endpoint's secret), with its event headers and the payload the
office page documents; nothing is sent for events the endpoint did not choose, nor to a paused one."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.academics.models import Enrollment
from modules.attendance.events import register_submitted
from modules.core.models import SchoolProfile
from modules.fees import stripe_gateway
from modules.fees.models import Payment
from modules.webhooks.models import Delivery, DeliveryStatus
from modules.webhooks.services import endpoint_pause
from modules.webhooks.signing import webhook_signature_verify
from tests import factories as f
from tests.attendance.test_submit import choose, page_data, save_url
from tests.exams.test_gradebook import assessment
from tests.fees import stripe_fakes as fakes
from tests.fees.test_stripe_webhook import _checkout, _deliver

pytestmark = pytest.mark.django_db


def _one_event(receiver, secret: str, event: str) -> dict:
    """The only request the receiver got, checked as a receiver would; its JSON body."""
    [request] = receiver.requests
    assert request.path == "/hooks/studentflow?school=demo"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["StudentFlow-Event"] == event
    assert webhook_signature_verify(secret, request.headers["StudentFlow-Signature"], request.body)
    assert not webhook_signature_verify(
        "whsec_someone-else", request.headers["StudentFlow-Signature"], request.body
    )
    body = json.loads(request.body)
    assert body["type"] == event
    assert body["id"] == request.headers["StudentFlow-Delivery"]
    delivery = Delivery.objects.get(event_id=uuid.UUID(body["id"]))
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.SUCCEEDED,
        1,
        200,
    )
    return body


def test_it_posts_a_submitted_register(
    as_user, teacher, school, receiver, subscribe, django_capture_on_commit_callbacks
):
    _endpoint, secret = subscribe("register.submitted")
    classmate = f.StudentFactory()
    f.EnrollmentFactory(student=classmate, section=school.section)
    register = f.RegisterFactory(section=school.section)
    client = as_user(teacher)
    data = choose(page_data(client, register), school.child, "absent")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(save_url(register), {**data, "action": "submit"})
    assert response.status_code == 302
    register.refresh_from_db()
    body = _one_event(receiver, secret, "register.submitted")
    assert body["data"] == {
        "register": {
            "id": register.pk,
            "kind": register.kind,
            "date": register.date.isoformat(),
            "section": {"id": school.section.pk, "name": "7A"},
            "class": None,
            "period": None,
            "submitted_at": register.submitted_at.isoformat().replace("+00:00", "Z"),
        },
        "counts": {"present": 1, "absent": 1, "late": 0, "excused": 0},
    }
    # No names: the receiver reads the students through the API if it needs them.
    assert "Parent" not in receiver.requests[0].body.decode()


def test_it_posts_published_marks(
    as_user, teacher, school, receiver, subscribe, django_capture_on_commit_callbacks
):
    _endpoint, secret = subscribe("marks.published")
    quiz = assessment(school, name="Fractions quiz")
    f.MarkFactory(assessment=quiz, student=school.child, score=15)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(teacher).post(reverse("exams:gradebook_assessment_publish", args=[quiz.pk]))
    assert response.status_code == 302
    quiz.refresh_from_db()
    data = _one_event(receiver, secret, "marks.published")["data"]
    assert data["assessment"]["id"] == quiz.pk
    assert data["assessment"]["name"] == "Fractions quiz"
    assert data["assessment"]["max_score"] == "20.00"
    assert data["assessment"]["class"] == school.offering.pk
    assert data["assessment"]["subject"] == {"id": school.offering.subject_id, "name": "Mathematics"}
    assert data["assessment"]["section"] == {"id": school.section.pk, "name": "7A"}
    assert data["assessment"]["published_at"] == quiz.published_at.isoformat().replace("+00:00", "Z")
    assert data["marks"] == 1
    assert set(data) == {"assessment", "marks"}  # nobody's score


def test_it_posts_a_payment_recorded_at_the_office(
    as_user, bursar, school, receiver, subscribe, django_capture_on_commit_callbacks
):
    _endpoint, secret = subscribe("payment.recorded")
    invoice = f.InvoiceFactory(year=school.year, student=school.child, total="300.00")
    client = as_user(bursar)
    new = reverse("fees:payment_create")
    page = client.get(new, {"student": school.child.pk}).content.decode()
    token = re.search(r'name="token" value="([0-9a-f-]+)"', page).group(1)
    form = {
        "student": school.child.pk,
        "amount": "120.50",
        "method": "cash",
        "reference": "",
        "received_on": timezone.localdate().isoformat(),
        "invoice": "",
        "payer_name": "Pat Parent",
        "token": token,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{new}?student={school.child.pk}", form)
    assert response.status_code == 302
    payment = Payment.objects.get()
    data = _one_event(receiver, secret, "payment.recorded")["data"]
    assert data == {
        "payment": {
            "id": payment.pk,
            "receipt_number": payment.receipt_number,
            "student": school.child.pk,
            "amount": "120.50",
            "currency": SchoolProfile.load().currency,
            "method": "cash",
            "received_on": timezone.localdate().isoformat(),
            "allocations": [{"invoice": invoice.pk, "number": invoice.number, "amount": "120.50"}],
            "unallocated": "0.00",
        }
    }
    # The payer's name is not the receiver's business.
    assert "Pat Parent" not in receiver.requests[0].body.decode()
    # The same form sent again records nothing new and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{new}?student={school.child.pk}", form)
    assert len(receiver.requests) == 1


def test_it_posts_students_enrolled_and_a_student_who_left(
    as_user, admin, school, receiver, subscribe, django_capture_on_commit_callbacks
):
    _endpoint, secret = subscribe("student.enrolled", "student.left")
    first, second = f.StudentFactory.create_batch(2)
    office = as_user(admin)
    with django_capture_on_commit_callbacks(execute=True):
        office.post(
            reverse("academics:section_roster", args=[school.section.pk]), {"students": [first.pk, second.pk]}
        )
    rows = Enrollment.objects.filter(student__in=[first, second]).order_by("pk")
    data = _one_event(receiver, secret, "student.enrolled")["data"]
    assert data == {
        "enrolments": [
            {
                "id": row.pk,
                "student": row.student_id,
                "section": school.section.pk,
                "year": school.year.pk,
                "enrolled_on": row.enrolled_on.isoformat(),
            }
            for row in rows
        ]
    }
    receiver.requests.clear()
    enrollment = school.child.enrollments.get()
    with django_capture_on_commit_callbacks(execute=True):
        office.post(reverse("academics:enrollment_withdraw", args=[school.section.pk, enrollment.pk]))
    data = _one_event(receiver, secret, "student.left")["data"]
    assert data == {
        "enrolment": {
            "id": enrollment.pk,
            "student": school.child.pk,
            "section": school.section.pk,
            "year": school.year.pk,
            "status": "withdrawn",
            "ended_on": timezone.localdate().isoformat(),
        }
    }


def test_it_sends_only_the_events_chosen_and_nothing_to_a_paused_endpoint(
    as_user, admin, teacher, school, receiver, subscribe, django_capture_on_commit_callbacks
):
    endpoint, _secret = subscribe("payment.recorded")
    register = f.RegisterFactory(section=school.section)
    client = as_user(teacher)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(save_url(register), {**page_data(client, register), "action": "submit"})
    assert receiver.requests == []
    assert not Delivery.objects.exists()
    endpoint.events = ["register.submitted"]
    endpoint.save()
    endpoint_pause(endpoint=endpoint, by=admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(save_url(register), {**page_data(client, register), "action": "submit"})
    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_it_queues_an_event_announced_twice_once(
    school, receiver, subscribe, teacher, django_capture_on_commit_callbacks
):
    _endpoint, _secret = subscribe("register.submitted")
    other, _other_secret = subscribe("register.submitted")
    register = f.RegisterFactory(section=school.section, submitted_at=timezone.now(), state="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        register_submitted.deliver(register_id=register.pk, by=teacher)
        register_submitted.deliver(register_id=register.pk, by=teacher)
    assert len(receiver.requests) == 2  # one per endpoint
    assert Delivery.objects.count() == 2
    # The event's id is the same for both endpoints: the same event.
    assert len(set(Delivery.objects.values_list("event_id", flat=True))) == 1
    assert {r.headers["StudentFlow-Delivery"] for r in receiver.requests} == {
        str(Delivery.objects.first().event_id)
    }


@pytest.fixture
def fake_stripe(settings, monkeypatch):
    """Stripe faked at its HTTP boundary, as tests/fees/test_stripe_webhook.py does."""
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = fakes.WEBHOOK_SECRET
    fake = fakes.FakeStripeHTTP(checkout_url="https://checkout.stripe.test/pay")
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", fake)
    return fake


def test_it_posts_a_payment_stripe_confirmed_once_per_child_and_once_per_stripe_event(
    school, guardian, receiver, subscribe, fake_stripe, django_capture_on_commit_callbacks
):
    _endpoint, secret = subscribe("payment.recorded")
    session, sams, mias = _checkout(school, guardian, fake_stripe)
    with django_capture_on_commit_callbacks(execute=True):
        assert _deliver(fakes.paid(session)).status_code == 200
    bodies = [json.loads(request.body) for request in receiver.requests]
    assert all(
        webhook_signature_verify(secret, r.headers["StudentFlow-Signature"], r.body)
        for r in receiver.requests
    )
    assert sorted(
        (b["data"]["payment"]["student"], b["data"]["payment"]["amount"]) for b in bodies
    ) == sorted([(sams.student_id, "500.00"), (mias.student_id, "300.00")])
    assert {b["data"]["payment"]["method"] for b in bodies} == {"card"}
    # Stripe sends the same event again: nothing new is recorded, nothing new is posted.
    with django_capture_on_commit_callbacks(execute=True):
        assert _deliver(fakes.paid(session)).status_code == 200
    assert len(receiver.requests) == 2
