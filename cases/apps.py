from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from audit.details import read_exports_with
        from audit.models import Kind
        from common import fragments
        from grids.models import Community, Grid

        from .filters import FILTER_CHOICES, CaseFilter
        from .models import Category

        # The case list's filter panel offers these: a change renders it again.
        fragments.watch(FILTER_CHOICES, Community, Grid, Category)
        # The access log reads an export's filters by their labels and the names they chose.
        read_exports_with(
            Kind.CASE_EXPORT,
            CaseFilter.base_filters,
            named={"category": (Category, lambda category: category.name)},
        )
