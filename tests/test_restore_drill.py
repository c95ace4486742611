"""`make restore-drill` (bin/restore_drill.py) end to end: pgBackRest backs up a PostgreSQL
cluster of its own into a stand-in object store, a fresh cluster recovers to a moment before a
mistake, and every table and photo comes back as it was then.

It starts two PostgreSQL clusters (as the postgres user), the object store and the demo street,
on free ports below 32768 under .run/pitr-drill/: a few minutes, so it runs in `make drills`
(CI runs it after `make test`), not in `make test`. pgBackRest and the PostgreSQL 15 server
are Debian packages (`make drills` installs pgbackrest where missing); under CI=true a
missing one fails the test, elsewhere it is skipped with that reason."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / ".run" / "pitr-drill" / "report.json"

# A drill: `make drills` runs it (CI runs that after `make test`), as `make restore-drill` does.
pytestmark = [pytest.mark.live, pytest.mark.drill, pytest.mark.timeout(900)]


def test_the_database_and_photos_come_back_from_the_object_store_as_they_were_before_a_mistake():
    missing = [
        tool
        for tool in ("pgbackrest", "/usr/lib/postgresql/15/bin/initdb", "openssl")
        if not shutil.which(tool)
    ]
    if os.geteuid() != 0:
        missing.append("root (PostgreSQL runs as the postgres user)")
    if missing:
        message = f"the restore drill needs {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)

    done = subprocess.run(
        [sys.executable, "bin/restore_drill.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=840,
        # The demo street with a month of cases rather than a year: the drill proves the same
        # with fewer rows (`make restore-drill` takes the seed's whole year).
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "DEMO_CASES_PER_YEAR": "200",
        },
    )

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    report = json.loads(REPORT.read_text())
    checks = {what: (expected, got, result) for what, expected, got, result in report["checks"]}
    assert all(result == "pass" for _e, _g, result in checks.values())
    # The cases and their history as they were at T: same rows, same checksums.
    expected, got, _ = checks["table cases_case"]
    assert expected == got and expected.startswith(f"{report['figures']['cases']:,} rows")
    assert checks["table cases_caseevent"][0] == checks["table cases_caseevent"][1]
    # The mistake after T (every phone blanked) is not in the restored database.
    assert int(checks["the mistake is gone: cases with a phone"][1]) > 0
    # Photos: the two deleted after T are back, byte for byte.
    assert checks["photos at T (sha256 of each object)"][2] == "pass"
    assert report["figures"]["photos"] >= 7
    # The repository lists both backups, is encrypted, and /metrics saw the backups and the
    # archive failures.
    assert checks["backups in the object store"][1] == "full, diff"
    assert checks["backup.info in the store is ciphertext"][1] == "Salted__"
    assert checks["/metrics: archive failures counted while archiving is stopped"][2] == "pass"
    assert "PASS" in done.stdout.splitlines()[-1]
