from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from accounts.login import LoginForm
from common.service_worker import service_worker
from workbench.views import home

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
    path("places/", include("grids.urls")),
    path("cases/", include("cases.urls")),
    path("meetings/", include("meetings.urls")),
    path("notifications/", include("notifications.urls")),
    path("reports/", include("reports.urls")),
    path("access-log/", include("audit.urls")),
    # The residents' pages: short links for QR codes and posters.
    path("r/", include("residents.urls")),
    path("admin/", admin.site.urls),
]

# A bad query parameter (common.params) is a 400 page that says which one.
handler400 = "common.views.bad_request"
