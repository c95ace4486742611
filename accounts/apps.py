from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from django.contrib.auth import get_user_model

        from common import fragments

        # Connect the signals of the login throttle and of the session limits.
        from . import login, session_limits  # noqa: F401
        from .models import Role
        from .selectors import PEOPLE

        # Pages keep what they render from people and roles (the case list's owner choices)
        # until a role or an account changes. An account shows only through its roles: a new
        # one has none yet, and a login (last_login) changes no name.
        fragments.watch(PEOPLE, Role)
        fragments.watch(PEOPLE, get_user_model(), unless=_changes_no_one_shown)


def _changes_no_one_shown(created=False, update_fields=None, **kwargs) -> bool:
    return created or update_fields == frozenset({"last_login"})
