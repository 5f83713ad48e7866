"""Message threads: /messages/ (inbox), /messages/new/, /messages/<pk>/ and its replies."""

from django.urls import path

from modules.communications import views_messages as views

urlpatterns = [
    path("messages/", views.message_inbox, name="message_inbox"),
    path("messages/new/", views.message_new, name="message_new"),
    path("messages/<int:pk>/", views.thread_detail, name="thread_detail"),
    path("messages/<int:pk>/reply/", views.thread_reply, name="thread_reply"),
]
