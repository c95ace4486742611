from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from accounts.login import LoginForm
from common.help import guide
from common.service_worker import service_worker
from common.views import favicon, manifest
from grids.urls import urlpatterns as grid_patterns
from interop.api_urls import api_patterns, open311_patterns
from meetings.public import meeting_page
from workbench.place_urls import urlpatterns as place_patterns
from workbench.views import home

# The admin's titles in the app's words (Django's default reads "Django 管理" in Chinese).
admin.site.site_header = _("Youjie administration")
admin.site.site_title = _("Youjie administration")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", home, name="home"),
    # At the root so that it may control every page (offline field work, cases/offline.py).
    path("sw.js", service_worker, name="service_worker"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("language/", login_not_required(set_language), name="set_language"),
    # One "grids" namespace: the sheet import (grids) and the browse pages (workbench).
    path("places/", include((grid_patterns + place_patterns, "grids"))),
    path("cases/", include("cases.urls")),
    path("meetings/", include("meetings.urls")),
    path("recurring/", include("recurring.urls")),
    path("notifications/", include("notifications.urls")),
    path("reports/", include("reports.urls")),
    path("access-log/", include("audit.urls")),
    path("integration/", include("interop.urls")),
    # Partners: residents' apps (Open311), the 12345 hotline, the API schema and its page.
    path("open311/v2/", include((open311_patterns, "open311"))),
    path("api/", include((api_patterns, "api"))),
    # The residents' pages: short links for QR codes and posters.
    path("r/m/<str:token>/", meeting_page, name="meeting_public"),
    path("r/", include("residents.urls")),
    # The user guide, built from docs/ (common/help.py says why the app serves it).
    path("help/", guide, name="help_index"),
    path("help/<path:path>", guide, name="help"),
    path("admin/", admin.site.urls),
    path("manifest.webmanifest", manifest, name="manifest"),
    path("favicon.ico", favicon, name="favicon"),
]

# A bad query parameter (common.params) is a 400 page that says which one.
handler400 = "common.views.bad_request"
