"""Both login pages (/login/ and /admin/login/) go through the throttle in `throttle.py`.

The backend refuses a locked try before its password is checked, whatever view called
`authenticate()`; the forms turn that refusal into a message saying how long to wait; the
signals count failures and clear a pair after a success.
"""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.dispatch import receiver
from django.utils.translation import ngettext

from common.forms import PageForm

from . import throttle
from .scope import roles_of_the_user


class ThrottledModelBackend(ModelBackend):
    def get_user(self, user_id):
        """The session's account, its roles read in the same query (`roles_of_the_user`): the
        request's scope (accounts/middleware.py) then needs no query of its own."""
        user = (
            get_user_model()
            ._default_manager.annotate(roles_text=roles_of_the_user())
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None and throttle.locked_for(request, username):
            raise PermissionDenied  # stops authenticate(): no other backend is tried
        return super().authenticate(request, username=username, password=password, **kwargs)


def wait_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "Too many failed logins. Try again in %(minutes)s minute.",
        "Too many failed logins. Try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


class ThrottledLoginMixin:
    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            username = self.cleaned_data.get("username")
            wait = throttle.locked_for(self.request, username) if username else 0
            if wait:
                raise ValidationError(wait_message(wait), code="throttled") from None
            raise


class LoginForm(ThrottledLoginMixin, PageForm, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, PageForm, AdminAuthenticationForm):
    pass


@receiver(user_login_failed, dispatch_uid="accounts.count_failed_login")
def count_failed_login(sender, credentials, request=None, **kwargs):
    username = credentials.get("username")
    if username:
        throttle.record_failure(request, username)


@receiver(user_logged_in, dispatch_uid="accounts.clear_login_failures")
def clear_login_failures(sender, request, user, **kwargs):
    throttle.record_success(request, user.get_username())
