"""The two helpers every page goes through: `role_required` (visitors to log in, the wrong role 403, the right
one in) and `render_page` (the whole page, or only its fragment for htmx, both saying they vary with
HX-Request). Driven through HTTP, with small views of this module mounted next to the project's URLs; the
project's own pages are walked by the access matrix (tests/access)."""

from __future__ import annotations

import pytest
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path, reverse
from django.views.decorators.http import require_GET

from modules.accounts import rules
from modules.core.access import role_required
from modules.core.htmx import render_page
from modules.core.models import Job
from tests import factories as f

HTMX = {"HTTP_HX_REQUEST": "true"}


@require_GET
@role_required(rules.is_teacher)
def teachers_only(request):
    """A page for teachers."""
    return HttpResponse(f"Hello {request.user.first_name}")


@login_required
def job_page(request, pk):
    job = get_object_or_404(Job, pk=pk, owner=request.user)
    status = int(request.GET.get("status", 200))
    return render_page(request, "core/job.html", {"job": job}, partial="progress", status=status)


@login_required
def job_page_whole(request, pk):
    job = get_object_or_404(Job, pk=pk, owner=request.user)
    return render_page(request, "core/job.html", {"job": job})


urlpatterns = [
    path("helpers/teachers-only/", teachers_only, name="helpers_teachers_only"),
    path("helpers/job/<uuid:pk>/", job_page, name="helpers_job"),
    path("helpers/job/<uuid:pk>/whole/", job_page_whole, name="helpers_job_whole"),
    path("", include("portal.urls")),
]

pytestmark = pytest.mark.urls(__name__)


# role_required


def test_it_sends_a_visitor_to_log_in_and_back(client, db):
    url = reverse("helpers_teachers_only")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_it_sends_a_visitor_to_log_in_from_an_htmx_request_too(client, db):
    response = client.get(reverse("helpers_teachers_only"), **HTMX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("persona", ["admin", "bursar", "guardian", "student"])
def test_it_refuses_the_wrong_role_with_403(as_user, persona, request):
    user = request.getfixturevalue(persona)
    response = as_user(user).get(reverse("helpers_teachers_only"))
    assert response.status_code == 403
    assert "Hello" not in response.content.decode()


def test_it_lets_the_right_role_in(as_user, teacher):
    response = as_user(teacher).get(reverse("helpers_teachers_only"))
    assert response.status_code == 200
    assert response.content.decode() == "Hello Tom"


def test_it_lets_in_a_parent_who_also_teaches(as_user, guardian):
    f.StaffFactory(user=guardian, position="teacher")
    response = as_user(guardian).get(reverse("helpers_teachers_only"))
    assert response.status_code == 200


def test_it_keeps_the_method_check_of_the_view(as_user, teacher):
    assert as_user(teacher).post(reverse("helpers_teachers_only")).status_code == 405


def test_the_decorated_view_keeps_its_name_and_docstring():
    assert teachers_only.__name__ == "teachers_only"
    assert teachers_only.__doc__ == "A page for teachers."


# render_page


@pytest.fixture
def job(admin):
    return Job.objects.create(kind="report_cards", owner=admin, total=40, done=10)


def test_it_renders_the_whole_page_for_a_plain_request(as_user, admin, job):
    response = as_user(admin).get(reverse("helpers_job", args=[job.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" in text
    assert "<h1" in text
    assert 'id="job-progress"' in text
    assert "HX-Request" in response["Vary"]


def test_it_renders_only_the_fragment_for_htmx(as_user, admin, job):
    response = as_user(admin).get(reverse("helpers_job", args=[job.pk]), **HTMX)
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert "<h1" not in text
    assert text.lstrip().startswith('<div id="job-progress"')
    assert "10 of 40 done (25%)." in text
    assert "HX-Request" in response["Vary"]


def test_the_vary_header_keeps_what_the_middleware_adds(as_user, admin, job):
    response = as_user(admin).get(reverse("helpers_job", args=[job.pk]), **HTMX)
    varies = [part.strip() for part in response["Vary"].split(",")]
    assert varies.count("HX-Request") == 1
    assert len(varies) > 1  # the session and language middleware add theirs after the view


def test_it_keeps_the_status_given(as_user, admin, job):
    client = as_user(admin)
    url = reverse("helpers_job", args=[job.pk]) + "?status=409"
    assert client.get(url).status_code == 409
    fragment = client.get(url, **HTMX)
    assert fragment.status_code == 409
    assert "<html" not in fragment.content.decode()


def test_without_a_partial_htmx_gets_the_whole_page_still_marked_as_varying(as_user, admin, job):
    response = as_user(admin).get(reverse("helpers_job_whole", args=[job.pk]), **HTMX)
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]
