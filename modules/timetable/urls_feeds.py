"""The timetable's calendar feed pages (see modules/timetable/urls.py; views_feeds.py)."""

from __future__ import annotations

from django.urls import path

from modules.timetable import views_feeds

urlpatterns = [
    path("calendar/", views_feeds.feed_settings, name="feed_settings"),
    path("calendar/new/", views_feeds.feed_make, name="feed_make"),
    path("calendar/revoke/", views_feeds.feed_revoke, name="feed_revoke"),
    path("feed/<slug:token>.ics", views_feeds.feed, name="feed"),
]
