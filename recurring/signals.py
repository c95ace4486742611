"""What the problems' months tell the apps above them."""

from django.dispatch import Signal

# Sent by grouping.refresh_months inside the transaction that rewrote the rows, with
# months=the first days whose rows changed (the reports keep a past month's hot spots until
# its rows change: reports/kept.py).
months_changed = Signal()
