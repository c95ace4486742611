from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo street (`manage.py seed_demo`): it builds on every app, so none builds on it."""

    name = "demo"
    verbose_name = _("Demo street")
