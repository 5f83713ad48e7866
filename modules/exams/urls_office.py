"""Office grading setup and term controls; term comments and statistics for staff."""

from django.urls import path

from modules.exams import views_office

urlpatterns = [
    path("office/scales/", views_office.scale_list, name="scale_list"),
    path("office/scales/new/", views_office.scale_create, name="scale_create"),
    path("office/scales/<int:pk>/", views_office.scale_edit, name="scale_edit"),
    path("office/terms/", views_office.term_list, name="term_list"),
    path("office/terms/<int:pk>/publish/", views_office.term_publish, name="term_publish"),
    path("office/terms/<int:pk>/lock/", views_office.term_lock_view, name="term_lock"),
    path("office/terms/<int:pk>/unlock/", views_office.term_unlock_view, name="term_unlock"),
    path("comments/", views_office.comments_index, name="comments_index"),
    path(
        "comments/<str:kind>/<int:pk>/term/<int:term_pk>/",
        views_office.comments_class,
        name="comments_class",
    ),
    path(
        "comments/<str:kind>/<int:pk>/term/<int:term_pk>/student/<int:student_pk>/",
        views_office.comment_save,
        name="comment_save",
    ),
    path("statistics/", views_office.stats_index, name="stats_index"),
    path("statistics/class/<int:pk>/term/<int:term_pk>/", views_office.stats_class, name="stats_class"),
    path("statistics/assessment/<int:pk>/", views_office.stats_assessment, name="stats_assessment"),
]
