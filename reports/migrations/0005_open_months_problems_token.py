"""The token of the open month's problems (reports/kept.py, OPEN_MONTHS_PROBLEMS): the hot spots
and 每月一题 of the open month are kept under it until the problems' months change."""

import secrets
from datetime import date

from django.db import migrations

OPEN_MONTHS_PROBLEMS = date(1, 1, 1)  # as reports/kept.py names it


def give_it_a_token(apps, schema_editor):
    apps.get_model("reports", "MonthToken").objects.get_or_create(
        month=OPEN_MONTHS_PROBLEMS, defaults={"token": secrets.token_hex(8)}
    )


def take_it_away(apps, schema_editor):
    apps.get_model("reports", "MonthToken").objects.filter(month=OPEN_MONTHS_PROBLEMS).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_month_tokens")]

    operations = [migrations.RunPython(give_it_a_token, take_it_away, elidable=False)]
