from django.contrib import admin
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.cache import patch_cache_control
from health_check.views import HealthCheckView

from modules.academics import urls_people as academics_people_urls
from modules.accounts import views as account_views
from modules.api import views_clients as api_clients
from modules.api.oneroster import rest as oneroster_rest
from modules.api.v1 import api as api_v1
from modules.core import views as core_views
from modules.people import urls as people_urls

# One way to sign in: the admin's own login form would skip allauth's MFA stage and its throttle.
admin.site.login = account_views.admin_login
admin.site.logout = account_views.admin_logout
admin.site.password_change = account_views.admin_password_change


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the icon (no 404 on every page).

    Not a permanent redirect: the icon's address changes with its content (hashed static files)."""
    response = HttpResponseRedirect(static("favicon.svg"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("", include("modules.home.urls")),
    path("", include("modules.accounts.urls")),
    # Before allauth's own: people see their sign-in address here but cannot add or change one.
    path("accounts/email/", account_views.email_address, name="account_email"),
    path("accounts/", include("allauth.urls")),
    # The people pages: people's own and academics' (students with their sections), one namespace.
    path("people/", include((people_urls.urlpatterns + academics_people_urls.urlpatterns, "people"))),
    path("academics/", include("modules.academics.urls")),
    path("", include("modules.communications.urls")),
    path("attendance/", include("modules.attendance.urls")),
    path("grades/", include("modules.exams.urls")),
    path("fees/", include("modules.fees.urls")),
    path("homework/", include("modules.assignments.urls")),
    path("timetable/", include("modules.timetable.urls")),
    path("reports/", include("modules.reports.urls")),
    path("privacy/", include("modules.privacy.urls")),
    path("api/v1/", api_v1.urls),
    path("api/tokens/", include("modules.api.urls")),
    path("api/clients/", include("modules.api.urls_clients")),
    path("api/oneroster/", include("modules.api.oneroster.urls")),
    path("ims/oneroster/rostering/v1p2/", include((oneroster_rest.urlpatterns, "oneroster"))),
    path("api/oauth/token", api_clients.oauth_token, name="oauth_token"),
    path("webhooks/", include("modules.webhooks.urls")),
    path("", include("modules.core.urls")),
    path(
        "health/",
        HealthCheckView.as_view(
            checks=[
                "health_check.checks.Database",
                "health_check.checks.Cache",
                "modules.core.health.QueueCheck",
                "modules.core.health.WorkerCheck",
                "modules.core.health.MailerCheck",
            ]
        ),
        name="health",
    ),
    path(
        "health/backups/",
        HealthCheckView.as_view(checks=["modules.core.health.BackupCheck"]),
        name="health_backups",
    ),
    path("admin/", admin.site.urls),
]

handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error

admin.site.site_header = "StudentFlow"
admin.site.site_title = "StudentFlow"
