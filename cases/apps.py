from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from common import fragments
        from grids.models import Community, Grid

        from .filters import FILTER_CHOICES
        from .models import Category

        # The case list's filter panel offers these: a change renders it again.
        fragments.watch(FILTER_CHOICES, Community, Grid, Category)
