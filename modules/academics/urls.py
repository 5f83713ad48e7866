from django.urls import path

from modules.academics import views

app_name = "academics"

urlpatterns = [
    path("", views.setup, name="setup"),
    path("years/", views.year_list, name="year_list"),
    path("years/new/", views.year_create, name="year_create"),
    path("years/<int:pk>/", views.year_detail, name="year_detail"),
    path("years/<int:pk>/edit/", views.year_edit, name="year_edit"),
    path("years/<int:pk>/make-current/", views.year_set_current, name="year_set_current"),
    path("years/<int:year_pk>/terms/new/", views.term_create, name="term_create"),
    path("years/<int:year_pk>/terms/<int:pk>/edit/", views.term_edit, name="term_edit"),
    path("grade-levels/", views.gradelevel_list, name="gradelevel_list"),
    path("grade-levels/new/", views.gradelevel_create, name="gradelevel_create"),
    path("grade-levels/<int:pk>/edit/", views.gradelevel_edit, name="gradelevel_edit"),
    path("grade-levels/<int:pk>/delete/", views.gradelevel_delete, name="gradelevel_delete"),
    path("subjects/", views.subject_list, name="subject_list"),
    path("subjects/new/", views.subject_create, name="subject_create"),
    path("subjects/<int:pk>/edit/", views.subject_edit, name="subject_edit"),
    path("subjects/<int:pk>/delete/", views.subject_delete, name="subject_delete"),
    path("rooms/", views.room_list, name="room_list"),
    path("rooms/new/", views.room_create, name="room_create"),
    path("rooms/<int:pk>/edit/", views.room_edit, name="room_edit"),
    path("rooms/<int:pk>/delete/", views.room_delete, name="room_delete"),
    path("periods/", views.period_list, name="period_list"),
    path("periods/new/", views.period_create, name="period_create"),
    path("periods/<int:pk>/edit/", views.period_edit, name="period_edit"),
    path("sections/", views.section_list, name="section_list"),
    path("sections/new/", views.section_create, name="section_create"),
    path("sections/<int:pk>/", views.section_roster, name="section_roster"),
    path("sections/<int:pk>/edit/", views.section_edit, name="section_edit"),
    path(
        "sections/<int:pk>/enrollments/<int:enrollment_pk>/withdraw/",
        views.enrollment_withdraw,
        name="enrollment_withdraw",
    ),
    path(
        "sections/<int:pk>/enrollments/<int:enrollment_pk>/move/",
        views.enrollment_move,
        name="enrollment_move",
    ),
    path("enrollments/", views.enrollment_list, name="enrollment_list"),
    path("classes/", views.offering_list, name="offering_list"),
    path("classes/new/", views.offering_create, name="offering_create"),
    path("classes/<int:pk>/edit/", views.offering_edit, name="offering_edit"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/new/", views.event_create, name="event_create"),
    path("calendar/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("calendar/<int:pk>/delete/", views.event_delete, name="event_delete"),
]
