from django.urls import path

from modules.people import views, views_import

app_name = "people"

urlpatterns = [
    path("students/", views.student_list, name="student_list"),
    path("students/new/", views.student_create, name="student_create"),
    path("students/export.xlsx", views_import.student_export, name="student_export"),
    path("students/<int:pk>/", views.student_detail, name="student_detail"),
    path("students/<int:pk>/edit/", views.student_edit, name="student_edit"),
    path("students/<int:pk>/photo/", views.student_photo, name="student_photo"),
    path("students/<int:pk>/guardians/add/", views.guardian_link_add, name="guardian_link_add"),
    path(
        "students/<int:pk>/guardians/<int:link_pk>/remove/",
        views.guardian_link_remove,
        name="guardian_link_remove",
    ),
    path("guardians/", views.guardian_list, name="guardian_list"),
    path("guardians/new/", views.guardian_create, name="guardian_create"),
    path("guardians/invite/", views_import.guardian_invite, name="guardian_invite"),
    path("guardians/<int:pk>/", views.guardian_detail, name="guardian_detail"),
    path("guardians/<int:pk>/edit/", views.guardian_edit, name="guardian_edit"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/photo/", views.staff_photo, name="staff_photo"),
    path("invite/<str:kind>/<int:pk>/", views.person_invite, name="person_invite"),
    path("audit/", views.audit_log, name="audit_log"),
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
