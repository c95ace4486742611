"""The backup schedule (ops/systemd/): systemd accepts the units, and over any week there is one
full backup (Sunday 01:30 in Asia/Shanghai) and a differential one every other night.

systemd-analyze comes with systemd (Debian's base system); under CI=true a missing one fails."""

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parent.parent / "ops" / "systemd"
SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def analyze():
    found = shutil.which("systemd-analyze")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("systemd-analyze is missing")
    pytest.skip("systemd-analyze is missing")


def test_systemd_accepts_the_backup_units(analyze):
    done = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in UNITS.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""


def runs_in_a_week(analyze, timer):
    (calendar,) = re.findall(r"^OnCalendar=(.+)$", (UNITS / timer).read_text(), re.M)
    done = subprocess.run(
        [analyze, "calendar", "--iterations=14", calendar],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TZ": "UTC"},
    )
    assert done.returncode == 0, done.stderr
    stamps = re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC", done.stdout)
    runs = [
        datetime.fromisoformat(stamp).replace(tzinfo=UTC).astimezone(SHANGHAI) for stamp in stamps
    ]
    first = runs[0]
    return [run for run in runs if run < first + timedelta(days=7)]


def test_a_full_backup_every_sunday_and_a_differential_every_other_night(analyze):
    full = runs_in_a_week(analyze, "youjie-backup-full.timer")
    diff = runs_in_a_week(analyze, "youjie-backup-diff.timer")

    assert [(run.strftime("%a"), f"{run:%H:%M}") for run in full] == [("Sun", "01:30")]
    assert sorted(run.strftime("%a") for run in diff) == sorted(
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    )
    assert {f"{run:%H:%M}" for run in diff} == {"01:30"}
    # Every night has exactly one backup.
    nights = sorted(run.date() for run in full + diff)
    assert len({run.strftime("%a") for run in full + diff}) == 7 == len(nights)
