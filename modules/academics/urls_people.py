"""people/ URLs served by academics (they read and write enrolments): the student list, profile and form, a
staff member's page, the student import and export, and bulk guardian invitations. portal/urls.py serves them
with people's own under people/, in the `people:` namespace."""

from django.urls import path

from modules.academics import views_import, views_people

urlpatterns = [
    path("students/", views_people.student_list, name="student_list"),
    path("students/new/", views_people.student_create, name="student_create"),
    path("students/export.xlsx", views_import.student_export, name="student_export"),
    path("students/<int:pk>/", views_people.student_detail, name="student_detail"),
    path("students/<int:pk>/edit/", views_people.student_edit, name="student_edit"),
    path("guardians/invite/", views_import.guardian_invite, name="guardian_invite"),
    path("staff/<int:pk>/", views_people.staff_detail, name="staff_detail"),
    path("import/", views_import.import_start, name="import_start"),
    path("import/template.xlsx", views_import.import_template, name="import_template"),
    path("import/<uuid:pk>/", views_import.import_detail, name="import_detail"),
    path("import/<uuid:pk>/confirm/", views_import.import_confirm, name="import_confirm"),
    path(
        "import/<uuid:pk>/rejected.<str:file_format>",
        views_import.import_rejected,
        name="import_rejected",
    ),
]
