"""The reports pages, under /reports/, one namespace, one URL file per area."""

from __future__ import annotations

from modules.reports import urls_builder, urls_dashboards, urls_returns

app_name = "reports"

urlpatterns = urls_dashboards.urlpatterns + urls_builder.urlpatterns + urls_returns.urlpatterns
