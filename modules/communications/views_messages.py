"""Message threads: the inbox, a new message, a thread and its replies (HTMX and plain POST)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from modules.communications import messaging
from modules.communications.forms_messages import NewThreadForm, ReplyForm
from modules.core.access import role_required
from modules.core.htmx import render_page
from modules.core.ratelimits import rate_limit_hit

TEMPLATE_INBOX = "communications/messages/inbox.html"
TEMPLATE_NEW = "communications/messages/new.html"
TEMPLATE_THREAD = "communications/messages/thread.html"
PER_PAGE = 25


@require_GET
@login_required
def message_inbox(request):
    page = Paginator(messaging.inbox_threads(request.user), PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "can_write": messaging.can_use_messaging(request.user)}
    return render(request, TEMPLATE_INBOX, context)


@require_http_methods(["GET", "POST"])
@role_required(messaging.can_use_messaging)
def message_new(request):
    initial = {"recipient": request.GET.get("to"), "student": request.GET.get("student")}
    form = NewThreadForm(request.POST or None, request.FILES or None, sender=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if hit := rate_limit_hit(request, action="message_thread"):
            form.add_error(None, hit.message)
            return render(request, TEMPLATE_NEW, {"form": form}, status=429)
        try:
            thread = messaging.thread_start(
                sender=request.user,
                recipient=data["recipient"],
                subject=data["subject"],
                body=data["body"],
                student=data.get("student"),
                files=data["attachments"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your message was sent."))
            return redirect("communications:thread_detail", pk=thread.pk)
    return render(request, TEMPLATE_NEW, {"form": form})


def _thread_page(request, thread, form, status=200):
    messaging.thread_mark_read(thread=thread, user=request.user)
    context = {
        "thread": thread,
        "thread_messages": messaging.thread_messages(thread),
        "others": [p.user for p in thread.participants.all() if p.user_id != request.user.pk],
        "form": form,
    }
    return render(request, TEMPLATE_THREAD, context, status=status)


@require_GET
@login_required
def thread_detail(request, pk):
    thread = get_object_or_404(messaging.threads_for(request.user), pk=pk)
    return _thread_page(request, thread, ReplyForm())


@require_POST
@login_required
def thread_reply(request, pk):
    thread = get_object_or_404(messaging.threads_for(request.user), pk=pk)
    form = ReplyForm(request.POST, request.FILES)
    message = None
    status = 200
    if form.is_valid():
        if hit := rate_limit_hit(request, action="message_reply"):
            form.add_error(None, hit.message)
            status = 429
        else:
            try:
                message = messaging.message_post(
                    thread=thread,
                    sender=request.user,
                    body=form.cleaned_data["body"],
                    files=form.cleaned_data["attachments"],
                )
            except ValidationError as error:
                form.add_error(None, error)
    if not request.htmx:
        if message is None:
            return _thread_page(request, thread, form, status=status)
        return redirect(f"{messaging.thread_url(thread)}#message-{message.pk}")
    if message is None:
        # The typed text comes back in the form, with the reasons; the list is left alone. A refusal
        # (even the rate limit's) is answered 200 here: htmx does not swap a 4xx into the page.
        context = {"thread": thread, "form": form}
        response = render_page(request, TEMPLATE_THREAD, context, partial="reply_form")
        return reswap(retarget(response, "#reply-form"), "outerHTML")
    context = {"thread": thread, "msg": message, "form": ReplyForm(), "oob": True}
    return render_page(request, TEMPLATE_THREAD, context, partial="reply_sent")
