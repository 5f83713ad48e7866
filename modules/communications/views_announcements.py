from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.communications import announcements as service
from modules.communications.forms_announcements import AnnouncementForm
from modules.communications.models import Announcement, Attachment, Thread
from modules.core.access import role_required
from modules.core.htmx import render_page
from modules.core.ratelimits import rate_limit_hit

PER_PAGE = 20


def _paged(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


@require_GET
@login_required
def announcement_list(request):
    context = {
        "page_obj": _paged(request, service.announcements_for_list(request.user)),
        "can_post": service.can_post_announcements(request.user),
    }
    # The pager swaps only the list.
    return render_page(request, "communications/announcements/list.html", context, partial="results")


@require_GET
@role_required(service.can_post_announcements)
def announcement_manage(request):
    context = {
        "page_obj": _paged(request, service.announcements_for_manage(request.user)),
        "now": timezone.now(),
    }
    return render_page(request, "communications/announcements/manage.html", context, partial="results")


@require_GET
@login_required
def announcement_detail(request, pk):
    announcement = get_object_or_404(
        Announcement.objects.readable_by(request.user).select_related(
            "author", "grade_level", "section", "offering__subject", "offering__section"
        ),
        pk=pk,
    )
    context = {
        "announcement": announcement,
        "attachments": list(announcement.attachments.all()),
        "can_manage": Announcement.objects.manageable_by(request.user).filter(pk=pk).exists(),
        "now": timezone.now(),
    }
    return render(request, "communications/announcements/detail.html", context)


@require_http_methods(["GET", "POST"])
@role_required(service.can_post_announcements)
def announcement_create(request):
    return _announcement_form(request, Announcement())


@require_http_methods(["GET", "POST"])
@login_required
def announcement_edit(request, pk):
    return _announcement_form(
        request, get_object_or_404(Announcement.objects.manageable_by(request.user), pk=pk)
    )


def _announcement_form(request, announcement):
    is_new = announcement.pk is None
    form = AnnouncementForm(
        request.POST or None, request.FILES or None, instance=announcement, user=request.user
    )
    status = 200
    # Only new announcements count: each one notifies a whole audience; editing one adds none.
    if (
        request.method == "POST"
        and form.is_valid()
        and is_new
        and (hit := rate_limit_hit(request, action="announcement"))
    ):
        form.add_error(None, hit.message)
        status = 429
    if request.method == "POST" and form.is_valid():
        announcement = service.announcement_save(
            announcement=form.save(commit=False),
            by=request.user,
            attachments=form.new_attachments,
            remove_attachments=form.cleaned_data.get("remove_attachments") or (),
        )
        if announcement.publish_at > timezone.now():
            when = formats.date_format(timezone.localtime(announcement.publish_at), "DATETIME_FORMAT")
            messages.success(request, _("The announcement is scheduled for %(when)s.") % {"when": when})
        elif is_new:
            messages.success(request, _("The announcement was published."))
        else:
            messages.success(request, _("The announcement was saved."))
        return redirect("communications:announcement_detail", pk=announcement.pk)
    context = {"form": form, "announcement": announcement, "is_new": is_new}
    return render(request, "communications/announcements/form.html", context, status=status)


@require_POST
@login_required
def announcement_delete(request, pk):
    announcement = get_object_or_404(Announcement.objects.manageable_by(request.user), pk=pk)
    service.announcement_delete(announcement=announcement, by=request.user)
    messages.success(request, _("“%(title)s” was deleted.") % {"title": announcement.title})
    return redirect("communications:announcement_manage")


@require_GET
@login_required
def attachment_download(request, pk):
    """Any attachment (announcement or message), for those who may read what it is attached to."""
    user = request.user
    readable = Q(announcement__in=Announcement.objects.readable_by(user).values("pk")) | Q(
        message__thread__in=Thread.objects.visible_to(user).values("pk")
    )
    attachment = get_object_or_404(Attachment.objects.filter(readable), pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
