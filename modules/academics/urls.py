# Placeholder replaced by the academics setup work in this same session.
from django.http import Http404
from django.urls import path

app_name = "academics"


def _missing(request, *args, **kwargs):
    raise Http404


urlpatterns = [
    path(f"{name}/", _missing, name=name)
    for name in ["setup", "year_list", "gradelevel_list", "subject_list", "section_list", "offering_list", "enrollment_list", "calendar"]
]
