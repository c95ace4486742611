from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "interop"
    verbose_name = _("Interoperability")

    def ready(self):
        from . import schema, status_out  # noqa: F401 - the key in the schema; 签收, 退单, 办结
