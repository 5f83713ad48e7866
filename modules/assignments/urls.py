"""The assignments pages, under /homework/, one namespace, one URL file per area."""

from __future__ import annotations

from modules.assignments import urls_family, urls_inbox, urls_office, urls_similarity, urls_teacher

app_name = "assignments"

urlpatterns = (
    urls_teacher.urlpatterns
    + urls_inbox.urlpatterns
    + urls_family.urlpatterns
    + urls_similarity.urlpatterns
    + urls_office.urlpatterns
)
