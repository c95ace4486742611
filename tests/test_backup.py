"""`make backup`, `make restore` and `make dump-drill` (bin/backup.py) on the test database:
a backup restores to the same rows and files, a lost file is caught, and a restore never
overwrites a database that has data unless told to."""

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.db import connection

from cases.models import Case, CaseEvent, State

from .factories import CaseFactory

ROOT = Path(__file__).resolve().parent.parent


def database_url():
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def backups(tmp_path, command, **env):
    media = tmp_path / "media"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(media),
        "BACKUP_DIR": str(tmp_path / "backups"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "bin/backup.py", command],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def city(transactional_db, tmp_path):
    """Three cases with their history, committed (pg_dump sees only committed rows), and two
    uploaded files."""
    cases = [CaseFactory() for _ in range(3)]
    for case in cases:
        CaseEvent.objects.create(
            case=case, move="log", from_state="", to_state=State.SUBMITTED, actor=None
        )
    media = tmp_path / "media" / "case-photos" / "2026" / "11"
    media.mkdir(parents=True)
    (media / "a.jpg").write_bytes(b"\xff\xd8 first photo")
    (media / "b.jpg").write_bytes(b"\xff\xd8 second photo")
    return cases


def result_of(output, table):
    line = next(line for line in output.splitlines() if line.startswith(table + " "))
    return line.split()


def test_a_restored_backup_has_every_row_and_file_of_the_moment_it_was_taken(city, tmp_path):
    made = backups(tmp_path, "backup")
    assert made.returncode == 0, made.stderr
    assert "3 cases, 3 history rows; 2 files" in made.stdout

    # The app goes on writing after the backup: the drill compares with the backup's moment.
    Case.objects.filter(pk=city[0].pk).update(state=State.ACCEPTED)
    drill = backups(tmp_path, "drill")

    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert result_of(drill.stdout, "cases_case")[1:3] == ["3", "3"]
    assert result_of(drill.stdout, "cases_case")[5:] == ["pass", "(source", "changed", "since)"]
    assert result_of(drill.stdout, "cases_caseevent")[5:] == ["pass"]
    assert result_of(drill.stdout, "MEDIA_ROOT")[3:5] == ["2", "2"]
    assert result_of(drill.stdout, "MEDIA_ROOT")[-1] == "pass"
    assert drill.stdout.rstrip().endswith("match the backup's manifest.")
    assert "PASS" in drill.stdout.splitlines()[-1]
    restored = tmp_path / "restore-drill" / "media" / "case-photos" / "2026" / "11" / "a.jpg"
    assert restored.read_bytes() == b"\xff\xd8 first photo"


def test_the_drill_fails_when_a_file_is_missing_from_the_backup(city, tmp_path):
    assert backups(tmp_path, "backup").returncode == 0
    (folder,) = (tmp_path / "backups").iterdir()
    # The archive loses a photo (a disk error, a careless copy); the manifest still names it.
    with tarfile.open(folder / "media.tar.gz") as archive:
        kept = [m for m in archive.getmembers() if not m.name.endswith("b.jpg")]
        contents = {m.name: archive.extractfile(m).read() for m in kept if m.isfile()}
    with tarfile.open(folder / "media.tar.gz", "w:gz") as archive:
        for member in kept:
            if member.isfile():
                archive.addfile(member, io.BytesIO(contents[member.name]))
    drill = backups(tmp_path, "drill")

    assert drill.returncode == 1
    assert result_of(drill.stdout, "MEDIA_ROOT")[3:5] == ["2", "1"]
    assert "FAIL" in result_of(drill.stdout, "MEDIA_ROOT")
    assert drill.stdout.splitlines()[-1].startswith("FAIL")


def test_a_restore_refuses_a_database_with_data_and_says_how_to_replace_it(city, tmp_path):
    assert backups(tmp_path, "backup").returncode == 0
    manifest = json.loads(next((tmp_path / "backups").glob("*/manifest.json")).read_text())
    assert manifest["tables"]["cases_case"]["rows"] == 3

    refused = backups(tmp_path, "restore")

    assert refused.returncode == 1
    assert "already has tables. FORCE=1 replaces it" in refused.stderr
    assert Case.objects.count() == 3  # untouched
