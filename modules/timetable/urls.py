"""The timetable pages, under /timetable/, one namespace, one URL file per area."""

from __future__ import annotations

from modules.timetable import urls_cover, urls_drafts, urls_feeds, urls_requirements, urls_week

app_name = "timetable"

urlpatterns = (
    urls_requirements.urlpatterns
    + urls_drafts.urlpatterns
    + urls_week.urlpatterns
    + urls_cover.urlpatterns
    + urls_feeds.urlpatterns
)
