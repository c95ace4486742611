from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        # Connect the signals of the login throttle and of the session limits.
        from . import login, session_limits  # noqa: F401
