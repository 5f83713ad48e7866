"""The returns pages of reports."""

from __future__ import annotations

from django.urls import URLPattern, path

from modules.reports import views_returns

urlpatterns: list[URLPattern] = [
    path("returns/", views_returns.returns_list, name="returns"),
    path("returns/<slug:slug>/", views_returns.return_detail, name="return_detail"),
    path("returns/<slug:slug>/pdf/", views_returns.return_pdf_prepare, name="return_pdf_prepare"),
]
