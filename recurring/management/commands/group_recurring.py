import time
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recurring.grouping import group_cases


class Command(BaseCommand):
    help = (
        "Group cases that are the same problem in the same place into recurring problems, as "
        "the nightly task does; --since YYYY-MM-DD looks at every case logged since that day "
        "instead of each street's window (a first run over past history)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="look at cases logged since this day (YYYY-MM-DD)")
        parser.add_argument("--street", type=int, help="one street's cases only (its id)")

    def handle(self, *args, **options):
        since = None
        if options["since"]:
            try:
                day = datetime.strptime(options["since"], "%Y-%m-%d")
            except ValueError:
                raise CommandError("--since: give a day as YYYY-MM-DD") from None
            since = timezone.make_aware(day)
        started = time.monotonic()
        result = group_cases(street_id=options["street"], since=since)
        if result.skipped:
            self.stdout.write("Another grouping run is under way; nothing done.")
            return
        self.stdout.write(
            f"{result.joined} cases joined problems, {result.started} problems started "
            f"in {time.monotonic() - started:.1f} s"
        )
