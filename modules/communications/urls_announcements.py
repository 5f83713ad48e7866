from django.urls import path

from modules.communications import views_announcements as views

urlpatterns = [
    path("announcements/", views.announcement_list, name="announcement_list"),
    path("announcements/manage/", views.announcement_manage, name="announcement_manage"),
    path("announcements/new/", views.announcement_create, name="announcement_create"),
    path("announcements/<int:pk>/", views.announcement_detail, name="announcement_detail"),
    path("announcements/<int:pk>/edit/", views.announcement_edit, name="announcement_edit"),
    path("announcements/<int:pk>/delete/", views.announcement_delete, name="announcement_delete"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
]
