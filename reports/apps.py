from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # The monthly figures follow the history in its own transaction (reports/rollups.py).
        # A history row reaches them through cases/consequences.py (rollups.follow_change);
        # these rows change figures without one.
        from cases.models import Case, Category, Escalation, ResidentRating
        from recurring.signals import months_changed

        from . import kept, rollups

        # The hot spots of a past month are kept until its problems' months change.
        months_changed.connect(kept.problem_months_changed, dispatch_uid="kept-problem-months")
        post_save.connect(kept.categories_renamed, sender=Category, dispatch_uid="kept-names")

        post_save.connect(
            rollups.refresh_after_case_saved, sender=Case, dispatch_uid="rollups-case"
        )
        for model in (Escalation, ResidentRating):
            post_save.connect(
                rollups.refresh_after_rating_or_escalation,
                sender=model,
                dispatch_uid=f"rollups-{model.__name__}",
            )
