from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.demo import build_accounts
from cases.demo import build_cases
from cases.models import Case
from grids.demo import build_street
from meetings.demo import DemoSessions
from recurring.grouping import group_cases
from reports.rollups import rebuild


class Command(BaseCommand):
    help = (
        "Build the demo street 万青路街道: people, demo accounts, a year of cases. Safe to rerun."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            street, counts = build_street()
            logins = build_accounts(street)
            if not Case.objects.filter(street=street).exists():
                sessions = DemoSessions(street)
                counts.update(build_cases(street, sessions))
                counts.update(sessions.summary())
                rebuild()  # the year's cases were written in bulk, past the rollups
                # The year's recurring problems, as the nightly grouping would have found them.
                grouped = group_cases(since=timezone.now() - timedelta(days=366))
                counts["recurring problems"] = grouped.started
        created = ", ".join(f"{name} {n}" for name, n in counts.items() if n) or "nothing new"
        self.stdout.write(f"{street.name}: {created}")
        self.stdout.write(f"Demo logins (password {settings.DEMO_PASSWORD}):")
        for username, what in logins:
            self.stdout.write(f"  {username:<22} {what}")
