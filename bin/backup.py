"""Backups of 有解: the database (pg_dump, custom format) and the uploaded files (MEDIA_ROOT).

    make backup          bin/backup.py backup
    make restore         bin/backup.py restore   [BACKUP=.run/backups/<stamp>] [FORCE=1]
    make dump-drill      bin/backup.py drill     [BACKUP=...] [KEEP=1]

The database is DATABASE_URL and the files MEDIA_ROOT, as the app sees them. Without
DATABASE_URL the commands work on a demo database of their own, youjie_backup_demo on
127.0.0.1:5432 (migrated and seeded with the demo street and a few photos when missing), with
its files in .run/backup-demo/media; no other database is read or written.

backup    writes .run/backups/<stamp>/ (BACKUP_DIR for another folder; <stamp> is UTC):
            database.dump   pg_dump -Fc, taken in a snapshot exported from a REPEATABLE READ
                            transaction: the dump and the manifest's figures see one moment,
                            even while the app writes
            media.tar.gz    MEDIA_ROOT, archived after the snapshot (a photo's file is stored
                            before its row commits, so every photo the dump names is in it)
            manifest.json   rows and a checksum of every table at that moment (md5 over the
                            md5 of each row's text, in order), files and their sha256
restore   restores a backup (the newest by default) into RESTORE_DATABASE_URL (default the
          DATABASE_URL above) and its files into MEDIA_ROOT. A database that has tables, or a
          MEDIA_ROOT with files, is refused unless FORCE=1: the database is then dropped and
          made again, and the old files are moved aside to MEDIA_ROOT.replaced-<stamp>.
drill     restores the newest backup into a fresh database (<name>_restore_drill, on the same
          server, dropped afterwards unless KEEP=1) and its files into .run/restore-drill/media,
          then compares every table's rows and checksum and every file's sha256 with the
          manifest; prints a pass/fail table and exits 1 on any difference.

Point-in-time recovery needs WAL archiving on the server, which pg_dump does not use; see the
README ("Backups and point-in-time recovery") and the cluster primary of `make cluster`.
"""

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEMO_URL = "postgres://postgres@127.0.0.1:5432/youjie_backup_demo"
DEMO_MEDIA = ROOT / ".run" / "backup-demo" / "media"
BACKUPS = Path(os.environ.get("BACKUP_DIR") or ROOT / ".run" / "backups")
FIRST = ["cases_case", "cases_caseevent"]  # shown first: the cases and their history


# Where things are -----------------------------------------------------------------------------
def source():
    """(database URL, media root, whether it is the demo database)."""
    # The owner of the tables dumps and restores them: the app's own role owns nothing
    # (common/db_roles.py) and could not create them again.
    url = os.environ.get("DATABASE_OWNER_URL") or os.environ.get("DATABASE_URL", "")
    if not url:
        return DEMO_URL, Path(os.environ.get("MEDIA_ROOT") or DEMO_MEDIA), True
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Backups are for PostgreSQL: DATABASE_URL is not a postgres:// URL.")
    return url, Path(os.environ.get("MEDIA_ROOT") or ROOT / ".run" / "media"), False


def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_name(url):
    return urlsplit(url).path.lstrip("/")


def shown(url):
    """The URL without its password, for the manifest and messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    return urlunsplit(parts._replace(netloc=f"{netloc}:{parts.port}" if parts.port else netloc))


def newest_backup():
    chosen = os.environ.get("BACKUP")
    if chosen:
        return Path(chosen)
    found = sorted(
        (p for p in BACKUPS.glob("*") if (p / "manifest.json").exists()),
        key=lambda p: (p / "manifest.json").stat().st_mtime,
    )
    if not found:
        raise SystemExit(f"No backup in {BACKUPS}: run `make backup` first.")
    return found[-1]


# The demo database --------------------------------------------------------------------------
def prepare_demo(url, media):
    """youjie_backup_demo migrated and seeded (seed_demo is safe to rerun), with a few photos."""
    os.environ["DATABASE_URL"] = url
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command

    from cases.models import Case, CasePhoto
    from cases.workflow import add_photo

    call_command("ensure_database", verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    if not CasePhoto.objects.exists():
        for case in Case.objects.order_by("pk")[:3]:
            add_photo(case, DemoPhoto(case.pk), None)
    from django.db import connections

    connections.close_all()


class DemoPhoto:
    """A small JPEG, shaped like what cases.photos.clean_photo hands to add_photo."""

    extension, content_type = "jpg", "image/jpeg"

    def __init__(self, seed):
        from io import BytesIO

        from PIL import Image

        buffer = BytesIO()
        Image.new("RGB", (64, 48), (seed * 40 % 256, 120, 200)).save(buffer, "JPEG")
        self.data = buffer.getvalue()

    def as_file(self):
        from django.core.files.base import ContentFile

        return ContentFile(self.data)


# Figures of a database and of a folder --------------------------------------------------------
def table_figures(conn):
    """{table: {"rows": n, "checksum": md5}} of every table in the public schema. The checksum
    is the md5 of the md5 of each row's text, sorted: any changed, missing or extra row, in any
    column, changes it. Times are written in UTC, so the server's zone does not matter."""
    conn.execute("SET TIME ZONE 'UTC'")
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    ]
    figures = {}
    for table in tables:
        query = sql.SQL(
            "SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "
            "FROM (SELECT md5(t::text) AS h FROM {} t) rows"
        ).format(sql.Identifier(table))
        rows, checksum = conn.execute(query).fetchone()
        figures[table] = {"rows": rows, "checksum": checksum}
    return figures


def file_figures(folder):
    """{relative path: sha256} of every file under `folder`."""
    folder = Path(folder)
    if not folder.exists():
        return {}
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def archived_figures(path):
    """{relative path: sha256} of every file in a media archive, as file_figures."""
    found = {}
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            if member.isfile():
                data = archive.extractfile(member).read()
                found[os.path.normpath(member.name)] = hashlib.sha256(data).hexdigest()
    return dict(sorted(found.items()))


def run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{command[0]} failed:\n{done.stderr.strip()}")
    return done


# backup ---------------------------------------------------------------------------------------
def backup():
    url, media, demo = source()
    if demo:
        prepare_demo(url, media)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%SZ")
    folder = BACKUPS / stamp
    folder.mkdir(parents=True)
    started = time.monotonic()
    with psycopg.connect(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        # pg_dump reads in this transaction's snapshot while it stays open.
        dump = subprocess.Popen(
            ["pg_dump", "-Fc", f"--snapshot={snapshot}", "-f", str(folder / "database.dump"), url],
            stderr=subprocess.PIPE,
            text=True,
        )
        tables = table_figures(conn)
        server = conn.execute("SHOW server_version").fetchone()[0]
        _out, errors = dump.communicate()
        if dump.returncode:
            shutil.rmtree(folder)
            raise SystemExit(f"pg_dump failed:\n{errors.strip()}")
    with tarfile.open(folder / "media.tar.gz", "w:gz") as archive:
        if media.exists():
            archive.add(media, arcname=".")
    files = archived_figures(folder / "media.tar.gz")
    manifest = {
        "stamp": stamp,
        "database": shown(url),
        "server_version": server,
        "pg_dump": run(["pg_dump", "--version"]).stdout.strip(),
        "media_root": str(media),
        "tables": tables,
        "files": files,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    size = sum(p.stat().st_size for p in folder.iterdir())
    print(
        f"Backup {folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}: "
        f"{shown(url)}, {len(tables)} tables, {tables.get('cases_case', {}).get('rows', 0):,} "
        f"cases, {tables.get('cases_caseevent', {}).get('rows', 0):,} history rows; "
        f"{len(files)} files from {media}; {size / 1e6:.1f} MB in "
        f"{time.monotonic() - started:.1f} s"
    )
    return folder


# restore --------------------------------------------------------------------------------------
def table_count(url):
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]


def recreate_database(url):
    name = database_name(url)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as server:
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_exists(url):
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as server:
        return bool(
            server.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]
            ).fetchone()
        )


def restore_into(folder, url, media, force):
    if database_exists(url) and table_count(url) and not force:
        raise SystemExit(
            f"{shown(url)} already has tables. FORCE=1 replaces it (it is dropped first), or "
            "set RESTORE_DATABASE_URL to a new database."
        )
    if media.exists() and any(media.iterdir()):
        if not force:
            raise SystemExit(f"{media} has files already. FORCE=1 moves them aside first.")
        aside = media.with_name(f"{media.name}.replaced-{datetime.now(UTC):%Y%m%d-%H%M%SZ}")
        media.rename(aside)
        print(f"The files that were in {media} are now in {aside}.")
    recreate_database(url)
    started = time.monotonic()
    run(
        [
            "pg_restore",
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "-d",
            url,
            str(folder / "database.dump"),
        ]
    )
    media.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / "media.tar.gz") as archive:
        archive.extractall(media, filter="data")
    return time.monotonic() - started


def restore():
    folder = newest_backup()
    url, media, _demo = source()
    target = os.environ.get("RESTORE_DATABASE_URL") or url
    seconds = restore_into(folder, target, media, os.environ.get("FORCE") == "1")
    print(f"Restored {folder.name} into {shown(target)} and {media} in {seconds:.1f} s.")


# drill ----------------------------------------------------------------------------------------
def drill():
    folder = newest_backup()
    manifest = json.loads((folder / "manifest.json").read_text())
    url, _media, _demo = source()
    target = with_database(url, f"{database_name(url)}_restore_drill")
    media = BACKUPS.parent / "restore-drill" / "media"
    shutil.rmtree(media, ignore_errors=True)
    seconds = restore_into(folder, target, media, force=True)
    try:
        with psycopg.connect(target) as conn:
            restored = table_figures(conn)
        with psycopg.connect(url) as conn:  # the source now, for information
            now = table_figures(conn)
    finally:
        if os.environ.get("KEEP") != "1":
            with psycopg.connect(with_database(url, "postgres"), autocommit=True) as server:
                server.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(database_name(target))
                    )
                )
    files = file_figures(media)
    source_tables = manifest["tables"]
    names = FIRST + sorted(set(source_tables) - set(FIRST))
    rows = []
    for name in names:
        want, got = source_tables.get(name), restored.get(name)
        same = want == got
        changed = "" if now.get(name) == want else " (source changed since)"
        rows.append(
            (
                name,
                f"{want['rows']:,}" if want else "–",
                f"{got['rows']:,}" if got else "missing",
                (want or {}).get("checksum", "")[:12],
                (got or {}).get("checksum", "")[:12],
                ("pass" if same else "FAIL") + changed,
            )
        )
    extra = sorted(set(restored) - set(source_tables))
    rows += [(name, "–", f"{restored[name]['rows']:,}", "", "", "FAIL (extra)") for name in extra]
    same_files = files == manifest["files"]
    rows.append(
        (
            "MEDIA_ROOT files (sha256)",
            str(len(manifest["files"])),
            str(len(files)),
            digest(manifest["files"])[:12],
            digest(files)[:12],
            "pass" if same_files else "FAIL",
        )
    )
    widths = [max(len(r[i]) for r in rows + [HEADER]) for i in range(len(HEADER))]
    print(
        f"Restore drill: backup {folder.name} of {manifest['database']} restored into "
        f"{shown(target)} and {media} in {seconds:.1f} s\n"
    )
    for row in [HEADER, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    failed = [r for r in rows if r[5].startswith("FAIL")]
    print(
        f"\n{'FAIL' if failed else 'PASS'}: {len(rows) - len(failed)} of {len(rows)} "
        "tables and the files match the backup's manifest."
    )
    sys.exit(1 if failed else 0)


HEADER = ("table", "source rows", "restored rows", "source md5", "restored md5", "result")


def digest(files):
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["backup", "restore", "drill"])
    command = parser.parse_args().command
    {"backup": backup, "restore": restore, "drill": drill}[command]()


if __name__ == "__main__":
    main()
