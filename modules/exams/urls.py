"""Grades URLs, one list per area (each area's views live in views_<area>.py)."""

from modules.exams import urls_family, urls_gradebook, urls_office, urls_reportcards, urls_schedule

app_name = "exams"

urlpatterns = [
    *urls_gradebook.urlpatterns,
    *urls_office.urlpatterns,
    *urls_family.urlpatterns,
    *urls_reportcards.urlpatterns,
    *urls_schedule.urlpatterns,
]
