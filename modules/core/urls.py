from django.urls import path

from modules.core import views

urlpatterns = [
    path("jobs/<uuid:pk>/", views.job_progress, name="job_progress"),
    path("jobs/<uuid:pk>/download/", views.job_download, name="job_download"),
]
