"""Messages (scope `messages:read`): the announcements the caller's pages show them (published, not expired,
addressed to them) and their own notifications."""

# No `from __future__ import annotations` here: django-ninja reads the endpoints' annotations as types.

import datetime

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from modules.api.auth import TokenAuth
from modules.api.lists import PAGE, Moment, Pages, narrowed
from modules.api.scopes import MESSAGES_READ
from modules.communications.models import Announcement, Notification

router = Router(auth=TokenAuth(MESSAGES_READ), tags=["messages"])


class AnnouncementOut(Schema):
    id: int
    title: str
    body: str
    publish_at: datetime.datetime
    expires_at: datetime.datetime | None
    is_pinned: bool
    updated_at: datetime.datetime


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class AnnouncementFilter(Schema):
    changed_since: Moment | None = None


class NotificationFilter(Schema):
    unread: bool | None = None
    changed_since: Moment | None = None


@router.get("/announcements", response=list[AnnouncementOut], summary="Announcements")
@paginate(Pages, **PAGE)
def announcements(request, filters: Query[AnnouncementFilter]):
    rows = Announcement.objects.visible_to(request.auth.user).order_by()
    return narrowed(rows, updated_at__gte=filters.changed_since)


@router.get("/notifications", response=list[NotificationOut], summary="Your notifications")
@paginate(Pages, **PAGE)
def notifications(request, filters: Query[NotificationFilter]):
    return narrowed(
        Notification.objects.for_user(request.auth.user).order_by(),
        read_at__isnull=filters.unread,
        created_at__gte=filters.changed_since,
    )
