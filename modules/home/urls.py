from django.urls import path

from modules.home import views

# No namespace: "home" is where sign-in, the role switch and many pages send people back to.
urlpatterns = [
    path("", views.home, name="home"),
]
