"""people/ URLs of people's own pages (guardians, staff, photos, invitations, the audit log). The student
pages, the import and bulk invitations are academics' (modules/academics/urls_people.py); portal/urls.py
serves both under people/ in one `people:` namespace."""

from django.urls import path

from modules.people import views, views_photos

urlpatterns = [
    path("students/<int:pk>/photo/", views.student_photo, name="student_photo"),
    path(
        "students/<int:pk>/photo/thumbnail/",
        views_photos.student_photo_thumbnail,
        name="student_photo_thumbnail",
    ),
    path("students/<int:pk>/guardians/add/", views.guardian_link_add, name="guardian_link_add"),
    path(
        "students/<int:pk>/guardians/<int:link_pk>/remove/",
        views.guardian_link_remove,
        name="guardian_link_remove",
    ),
    path("guardians/", views.guardian_list, name="guardian_list"),
    path("guardians/new/", views.guardian_create, name="guardian_create"),
    path("guardians/<int:pk>/", views.guardian_detail, name="guardian_detail"),
    path("guardians/<int:pk>/edit/", views.guardian_edit, name="guardian_edit"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/photo/", views.staff_photo, name="staff_photo"),
    path("staff/<int:pk>/photo/thumbnail/", views_photos.staff_photo_thumbnail, name="staff_photo_thumbnail"),
    path("invite/<str:kind>/<int:pk>/", views.person_invite, name="person_invite"),
    path("audit/", views.audit_log, name="audit_log"),
]
