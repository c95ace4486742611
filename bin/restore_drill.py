"""`make restore-drill`: recover 有解 to a point in time from the object store, and prove it.

Everything runs on loopback under .run/pitr-drill/, on ports below 32768 chosen free when it
starts (Linux gives outgoing connections ports from 32768 up, so none can take them), and is
stopped and removed at the end (KEEP=1 keeps the data directories). Nothing touches the
machine's own PostgreSQL.

1. A stand-in object store (moto's S3 server over TLS, ops/objectstore.py) with two buckets:
   youjie-backup for pgBackRest's repository, youjie-media (versioned) for the photos.
2. A source PostgreSQL cluster that archives every WAL segment with `pgbackrest archive-push`,
   set up with the project's own ops/pgbackrest.conf (encrypted repository, retention). The
   demo street is migrated and seeded; its photos are uploaded through the app's S3 storage.
3. A full backup; more work (photos, changed cases); a differential backup; more work that only
   the archived WAL has. The figures of every table (rows and checksum) and of every photo
   (sha256) are taken at moment T. Then a mistake: every case's phone blanked, photos deleted.
4. Archiving is stopped for a moment (`pgbackrest stop`): /metrics must count the failures.
5. A fresh cluster on its own port is restored from the object store to T (`pgbackrest restore
   --type=time`), and the photos as they were at T are copied from their versions into a fresh
   bucket. Every table and photo is compared with the figures of T; the mistake must be gone.

Prints a pass/fail table (also in .run/pitr-drill/report.md) and exits 1 on any failure.
"""

import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bin"))
from backup import FIRST, DemoPhoto, table_figures  # noqa: E402  (bin/backup.py)

RUN = ROOT / ".run" / "pitr-drill"
PG = RUN / "pg"  # owned by postgres: data directories, pgBackRest's logs and locks
PGBIN = Path("/usr/lib/postgresql/15/bin")
PY = ROOT / ".venv" / "bin" / "python"
CONFIG = ROOT / "ops" / "pgbackrest.conf"
STANZA = "youjie"
REPO_BUCKET, MEDIA_BUCKET, RESTORED_MEDIA_BUCKET = (
    "youjie-backup",
    "youjie-media",
    "youjie-media-restored",
)
KEYS = {"AWS_ACCESS_KEY_ID": "drill", "AWS_SECRET_ACCESS_KEY": "drill-secret"}
REGION = "us-east-1"


def say(message):
    print(f"[{datetime.now(UTC):%H:%M:%S} UTC] {message}", flush=True)


def free_port(start):
    """The first port from `start` that nothing listens on (all below 32768)."""
    for port in range(start, start + 500):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port from {start}")


def as_postgres(*command, env=None, check=True):
    done = subprocess.run(
        ["runuser", "-u", "postgres", "--", *map(str, command)],
        capture_output=True,
        text=True,
        env=env,
    )
    if check and done.returncode:
        raise SystemExit(f"{command[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done


class Drill:
    def __init__(self):
        self.checks = []  # (what, expected, got, passed)
        self.figures = {}  # for the report
        self.store_port = free_port(29100)
        self.source_port = free_port(25432)
        self.restored_port = free_port(self.source_port + 1)
        self.store_url = f"https://localhost:{self.store_port}"
        self.processes = []
        self.cipher_pass = secrets.token_urlsafe(32)

    # The object store ------------------------------------------------------------------------
    def start_store(self):
        store = RUN / "objectstore"
        store.mkdir(parents=True)
        # pgBackRest checks the certificate against the endpoint's host name (not an IP SAN).
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-keyout", store / "key.pem", "-out", store / "cert.pem", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
            check=True, capture_output=True,
        )  # fmt: skip
        (store / "cert.pem").chmod(0o644)
        self.ca = store / "cert.pem"
        log = open(store / "gunicorn.log", "w")  # noqa: SIM115  (kept open for the server)
        self.store = subprocess.Popen(
            [PY, "-m", "gunicorn", "--chdir", ROOT / "ops", "-w", "1", "--threads", "8",
             "-k", "gthread", "--bind", f"127.0.0.1:{self.store_port}", "--no-control-socket",
             "--certfile", store / "cert.pem", "--keyfile", store / "key.pem",
             "objectstore:application"],
            stdout=log, stderr=log,
        )  # fmt: skip
        self.processes.append(self.store)
        os.environ.update({**KEYS, "AWS_CA_BUNDLE": str(self.ca)})
        import boto3

        self.s3 = boto3.client("s3", endpoint_url=self.store_url, region_name=REGION)
        for _ in range(100):
            try:
                self.s3.list_buckets()
                break
            except Exception:
                time.sleep(0.1)
        for bucket in (REPO_BUCKET, MEDIA_BUCKET, RESTORED_MEDIA_BUCKET):
            self.s3.create_bucket(Bucket=bucket)
        # The photos' bucket keeps every version: a deleted or damaged photo can be brought
        # back as it was at any moment, as the database can.
        self.s3.put_bucket_versioning(
            Bucket=MEDIA_BUCKET, VersioningConfiguration={"Status": "Enabled"}
        )

    # pgBackRest -------------------------------------------------------------------------------
    def pgbackrest_env(self, data, port):
        """ops/pgbackrest.conf as shipped; the per-site options come from the environment."""
        return {
            **os.environ,
            "PGBACKREST_CONFIG": str(CONFIG),
            "PGBACKREST_REPO1_S3_ENDPOINT": "localhost",
            "PGBACKREST_REPO1_STORAGE_PORT": str(self.store_port),
            "PGBACKREST_REPO1_STORAGE_CA_FILE": str(self.ca),
            "PGBACKREST_REPO1_S3_REGION": REGION,
            "PGBACKREST_REPO1_S3_BUCKET": REPO_BUCKET,
            "PGBACKREST_REPO1_S3_KEY": KEYS["AWS_ACCESS_KEY_ID"],
            "PGBACKREST_REPO1_S3_KEY_SECRET": KEYS["AWS_SECRET_ACCESS_KEY"],
            "PGBACKREST_REPO1_CIPHER_PASS": self.cipher_pass,
            "PGBACKREST_PG1_PATH": str(data),
            "PGBACKREST_PG1_PORT": str(port),
            "PGBACKREST_PG1_SOCKET_PATH": str(PG),
            "PGBACKREST_LOG_PATH": str(PG),
            "PGBACKREST_LOCK_PATH": str(PG),
            "PGBACKREST_LOG_LEVEL_CONSOLE": "warn",
        }

    def pgbackrest(self, *args, data=None, port=None, check=True):
        env = self.pgbackrest_env(data or self.source, port or self.source_port)
        return as_postgres("pgbackrest", f"--stanza={STANZA}", *args, env=env, check=check)

    # PostgreSQL -------------------------------------------------------------------------------
    def start_source(self):
        self.source = PG / "source"
        as_postgres(PGBIN / "initdb", "-D", self.source, "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--locale=C.UTF-8", "--data-checksums")  # fmt: skip
        with open(self.source / "postgresql.conf", "a") as conf:
            conf.write(
                f"\n# The restore drill (bin/restore_drill.py)\n"
                f"listen_addresses = '127.0.0.1'\nport = {self.source_port}\n"
                f"unix_socket_directories = '{PG}'\nwal_level = replica\n"
                "archive_mode = on\n"
                # The server runs archive_command with the environment it was started with:
                # the per-site options of ops/pgbackrest.conf.
                f"archive_command = 'pgbackrest --stanza={STANZA} archive-push %p'\n"
                "archive_timeout = 60\n"
            )
        self.start_server(self.source, self.source_port, "source")
        self.source_url = f"postgres://postgres@127.0.0.1:{self.source_port}/youjie"
        with psycopg.connect(self.url(self.source_port, "postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE youjie")

    def start_server(self, data, port, name):
        env = self.pgbackrest_env(data, port)
        as_postgres(PGBIN / "pg_ctl", "-D", data, "-l", PG / f"{name}.log", "-w", "-t", "300",
                    "start", env=env)  # fmt: skip

    def stop_server(self, data):
        if (data / "postmaster.pid").exists():
            as_postgres(PGBIN / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop", check=False)

    @staticmethod
    def url(port, database="youjie"):
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    def sql(self, query, port=None):
        with psycopg.connect(self.url(port or self.source_port), autocommit=True) as conn:
            cursor = conn.execute(query)
            return cursor.fetchone() if cursor.description else None

    # The app, on the source cluster -------------------------------------------------------------
    def start_app(self):
        """Django in this process, on the source cluster, with the photos in the object store."""
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "DATABASE_URL": self.source_url,
                "STORAGE_S3_BUCKET": MEDIA_BUCKET,
                "STORAGE_S3_ENDPOINT_URL": self.store_url,
                "STORAGE_S3_REGION": REGION,
                "STORAGE_S3_ACCESS_KEY": KEYS["AWS_ACCESS_KEY_ID"],
                "STORAGE_S3_SECRET_KEY": KEYS["AWS_SECRET_ACCESS_KEY"],
                "PGBACKREST_STANZA": STANZA,
                "BACKUP_INFO_CACHE_SECONDS": "0",
                "METRICS_DISK_PATHS": str(RUN),
            }
        )
        # /metrics runs `pgbackrest info` from this process: the repository's options too.
        os.environ.update(self.pgbackrest_env(self.source, self.source_port))
        for name in ("REDIS_URL", "REDIS_SENTINELS", "DATABASE_OWNER_URL", "DATABASE_REPLICA_URL"):
            os.environ.pop(name, None)
        import django

        django.setup()
        from django.core.management import call_command

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        self.figures["seed_seconds"] = round(time.monotonic() - started, 1)

    def add_photos(self, count, start):
        from cases.models import Case
        from cases.workflow import add_photo

        for case in Case.objects.order_by("pk")[start : start + count]:
            add_photo(case, DemoPhoto(case.pk), None)

    def change_cases(self, count, note):
        from cases.models import Case

        ids = list(Case.objects.order_by("-pk").values_list("pk", flat=True)[:count])
        Case.objects.filter(pk__in=ids).update(description=note)

    def photo_figures(self, bucket):
        """{key: sha256} of every object in a bucket."""
        found = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                body = self.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                found[item["Key"]] = hashlib.sha256(body).hexdigest()
        return found

    def restore_photos_to(self, moment):
        """Each photo as it was at `moment` (its newest version from before it; none if it was
        deleted by then or did not exist yet), copied into a fresh bucket."""
        latest = {}
        pages = self.s3.get_paginator("list_object_versions").paginate(Bucket=MEDIA_BUCKET)
        for page in pages:
            entries = [(v, False) for v in page.get("Versions", [])]
            entries += [(m, True) for m in page.get("DeleteMarkers", [])]
            for entry, deleted in entries:
                if entry["LastModified"] > moment:
                    continue
                kept = latest.get(entry["Key"])
                if kept is None or entry["LastModified"] >= kept[0]["LastModified"]:
                    latest[entry["Key"]] = (entry, deleted)
        copied = 0
        for key, (entry, deleted) in latest.items():
            if deleted:
                continue
            self.s3.copy_object(
                Bucket=RESTORED_MEDIA_BUCKET,
                Key=key,
                CopySource={"Bucket": MEDIA_BUCKET, "Key": key, "VersionId": entry["VersionId"]},
            )
            copied += 1
        return copied

    def scrape(self):
        """The backup and archiving figures of /metrics, read as a scrape reads them."""
        from prometheus_client import generate_latest
        from prometheus_client.parser import text_string_to_metric_families

        from monitoring.metrics import StateCollector

        text = generate_latest(StateCollector()).decode()
        samples = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
        return samples

    # Checks -------------------------------------------------------------------------------------
    def check(self, what, expected, got, passed=None):
        passed = expected == got if passed is None else passed
        self.checks.append((what, str(expected), str(got), "pass" if passed else "FAIL"))

    def wait_archived(self, segment_query="SELECT pg_walfile_name(pg_current_wal_lsn())"):
        """Switch to a new WAL segment and wait until the one before it is archived."""
        (segment,) = self.sql(segment_query)
        self.sql("SELECT pg_switch_wal()")
        for _ in range(600):
            (last,) = self.sql("SELECT last_archived_wal FROM pg_stat_archiver")
            if last and last >= segment:
                return segment
            time.sleep(0.1)
        raise SystemExit(f"WAL segment {segment} was not archived in 60 s")

    # The drill ----------------------------------------------------------------------------------
    def run(self):
        if os.geteuid() != 0:
            raise SystemExit("The drill runs PostgreSQL as the postgres user: run it as root.")
        for tool in ("pgbackrest", PGBIN / "initdb", "openssl"):
            if not shutil.which(str(tool)):
                raise SystemExit(
                    f"missing {tool}: apt-get install pgbackrest postgresql-15 openssl"
                )
        shutil.rmtree(RUN, ignore_errors=True)
        PG.mkdir(parents=True)
        shutil.chown(PG, "postgres", "postgres")
        if as_postgres("test", "-w", PG, check=False).returncode:
            raise SystemExit(
                f"The postgres user cannot write {PG}: chmod o+x every folder above it."
            )
        started = time.monotonic()
        say(f"object store https://localhost:{self.store_port} (moto, TLS)")
        self.start_store()
        say(f"source cluster :{self.source_port}, WAL archived by pgbackrest archive-push")
        self.start_source()
        self.pgbackrest("stanza-create")
        say("migrate and seed the demo street; photos into the object store")
        self.start_app()
        self.add_photos(3, 0)

        say("full backup")
        t0 = time.monotonic()
        self.pgbackrest("--type=full", "backup")
        self.figures["full_backup_seconds"] = round(time.monotonic() - t0, 1)
        self.add_photos(2, 3)
        self.change_cases(5, "after the full backup")
        say("differential backup")
        t0 = time.monotonic()
        self.pgbackrest("--type=diff", "backup")
        self.figures["diff_backup_seconds"] = round(time.monotonic() - t0, 1)
        self.add_photos(2, 5)  # after the last backup: only the WAL has these
        self.change_cases(3, "after the differential backup")
        from django.db import connections

        connections.close_all()

        # The moment to recover to: nothing writes between the figures and T.
        with psycopg.connect(self.source_url) as conn:
            tables = table_figures(conn)
        photos = self.photo_figures(MEDIA_BUCKET)
        time.sleep(1.1)
        (moment,) = self.sql("SELECT now()")
        time.sleep(1.1)
        say(f"T = {moment.isoformat()}; then the mistake")
        (phones,) = self.sql("SELECT count(*) FROM cases_case WHERE resident_phone <> ''")
        self.sql("UPDATE cases_case SET resident_phone = ''")
        lost = sorted(photos)[:2]
        for key in lost:  # a careless clean-up removes photos
            self.s3.delete_object(Bucket=MEDIA_BUCKET, Key=key)
        self.wait_archived()

        self.metrics_drill()

        say(f"restore from the object store to T into a fresh cluster :{self.restored_port}")
        self.restored = PG / "restored"
        self.restored.mkdir(mode=0o700)
        shutil.chown(self.restored, "postgres", "postgres")
        t0 = time.monotonic()
        # pgBackRest's time format, in UTC, to the millisecond (T is a second before the
        # mistake, so the microseconds cut off do not matter).
        target = f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"[:-3] + "+00"
        self.pgbackrest("--type=time", f"--target={target}",
                        "--target-action=promote", "restore",
                        data=self.restored, port=self.restored_port)  # fmt: skip
        with open(self.restored / "postgresql.auto.conf", "a") as conf:
            # A copy for the drill: its own port, and it archives nothing into the source's
            # repository (a real recovery would archive on, as the new primary).
            conf.write(f"port = {self.restored_port}\narchive_mode = off\n")
        self.start_server(self.restored, self.restored_port, "restored")
        for _ in range(600):
            (recovering,) = self.sql("SELECT pg_is_in_recovery()", self.restored_port)
            if not recovering:
                break
            time.sleep(0.1)
        self.figures["restore_seconds"] = round(time.monotonic() - t0, 1)
        copied = self.restore_photos_to(moment)

        with psycopg.connect(self.url(self.restored_port)) as conn:
            restored = table_figures(conn)
            named = {
                row[0] for row in conn.execute("SELECT 'media/' || image FROM cases_casephoto")
            }
            (phones_back,) = conn.execute(
                "SELECT count(*) FROM cases_case WHERE resident_phone <> ''"
            ).fetchone()
        restored_photos = self.photo_figures(RESTORED_MEDIA_BUCKET)

        names = FIRST + sorted(set(tables) - set(FIRST))
        for name in names:
            want, got = tables.get(name), restored.get(name)
            self.check(
                f"table {name}",
                f"{want['rows']:,} rows, md5 {want['checksum'][:12]}",
                f"{got['rows']:,} rows, md5 {got['checksum'][:12]}" if got else "missing",
            )
        for name in sorted(set(restored) - set(tables)):
            self.check(f"table {name}", "absent", "present (extra)")
        self.check("photos at T (sha256 of each object)", f"{len(photos)} photos",
                   f"{copied} photos", restored_photos == photos)  # fmt: skip
        self.check("every photo a restored row names is in the store", len(named),
                   len(named & set(restored_photos)))  # fmt: skip
        self.check("the mistake is gone: cases with a phone", phones, phones_back)
        self.figures.update(
            {
                "tables": len(tables),
                "cases": tables["cases_case"]["rows"],
                "history_rows": tables["cases_caseevent"]["rows"],
                "photos": len(photos),
                "target": target,
                "seconds": round(time.monotonic() - started, 1),
            }
        )
        self.check_repository()

    def check_repository(self):
        """What pgBackRest says of its repository, and that it is encrypted in the store."""
        info = json.loads(self.pgbackrest("--output=json", "info").stdout)[0]
        kinds = [backup["type"] for backup in info["backup"]]
        self.check("backups in the object store", "full, diff", ", ".join(kinds))
        self.check("repository status", "ok", info["status"]["message"])
        self.check("repository encryption", "aes-256-cbc", info["cipher"])
        head = self.s3.get_object(
            Bucket=REPO_BUCKET, Key=f"pgbackrest/backup/{STANZA}/backup.info"
        )["Body"].read(8)
        # Encrypted files are OpenSSL's format; the plain file starts "[backrest]".
        self.check("backup.info in the store is ciphertext", "Salted__", head.decode("latin-1"))
        archived = self.s3.list_objects_v2(
            Bucket=REPO_BUCKET, Prefix=f"pgbackrest/archive/{STANZA}/"
        )
        self.figures["repository_objects"] = archived.get("KeyCount", 0)

    def metrics_drill(self):
        """/metrics reads the last backups from the repository and counts archive failures."""
        say("/metrics: the last backups, and archiving stopped for a moment")
        before = self.scrape()
        for kind in ("full", "diff"):
            finished = before.get(f"youjie_backup_last_completed_timestamp_seconds{{type={kind}}}")
            age = None if finished is None else time.time() - finished
            self.check(f"/metrics: last {kind} backup's age", "under 5 min",
                       "missing" if age is None else f"{age:.0f} s",
                       age is not None and age < 300)  # fmt: skip
        failures = before["youjie_wal_archive_failures_total"]
        # `pgbackrest stop` makes every archive-push fail, as an unreachable store would.
        self.pgbackrest("stop")
        self.next_segment()
        for _ in range(600):
            (failed,) = self.sql("SELECT failed_count FROM pg_stat_archiver")
            if failed > failures:
                break
            time.sleep(0.1)
        during = self.scrape()["youjie_wal_archive_failures_total"]
        self.check("/metrics: archive failures counted while archiving is stopped",
                   f"more than {failures:.0f}", f"{during:.0f}", during > failures)  # fmt: skip
        self.pgbackrest("start")
        (pending,) = self.sql("SELECT last_failed_wal FROM pg_stat_archiver")
        # After three failures PostgreSQL waits up to a minute before it tries again; a new
        # segment wakes it, and it sends the one that failed first.
        self.next_segment()
        last = None
        for _ in range(900):
            (last,) = self.sql("SELECT last_archived_wal FROM pg_stat_archiver")
            if pending and last and last >= pending:
                break
            time.sleep(0.1)
        self.check("archiving resumes after `pgbackrest start`", pending, last,
                   bool(pending and last and last >= pending))  # fmt: skip

    def next_segment(self):
        """Something to archive: a commit (an empty segment is not switched), then a switch."""
        self.sql("SELECT txid_current()")
        self.sql("SELECT pg_switch_wal()")

    def stop(self):
        from contextlib import suppress

        for data in (PG / "restored", PG / "source"):
            with suppress(Exception):
                self.stop_server(data)
        for process in self.processes:
            process.terminate()
            with suppress(subprocess.TimeoutExpired):
                process.wait(10)
        if os.environ.get("KEEP") != "1":
            shutil.rmtree(PG, ignore_errors=True)

    def report(self):
        header = ("check", "expected (at T)", "restored", "result")
        widths = [max(len(r[i]) for r in [header, *self.checks]) for i in range(4)]
        lines = [
            f"Restore drill {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: point-in-time recovery from "
            f"the object store to T = {self.figures.get('target')}",
            "",
            "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
            "  ".join("-" * w for w in widths),
        ]
        for row in self.checks:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        failed = [row for row in self.checks if row[3] != "pass"]
        f = self.figures
        lines += [
            "",
            f"{f.get('tables')} tables, {f.get('cases', 0):,} cases, "
            f"{f.get('history_rows', 0):,} history rows, {f.get('photos')} photos. Seeded in "
            f"{f.get('seed_seconds')} s; full backup {f.get('full_backup_seconds')} s, "
            f"differential {f.get('diff_backup_seconds')} s; restored and recovered to T in "
            f"{f.get('restore_seconds')} s; the whole drill {f.get('seconds')} s.",
            f"{'FAIL' if failed or not self.checks else 'PASS'}: "
            f"{len(self.checks) - len(failed)} of {len(self.checks)} checks passed.",
        ]
        text = "\n".join(lines)
        print("\n" + text)
        RUN.mkdir(parents=True, exist_ok=True)
        (RUN / "report.md").write_text(text + "\n")
        (RUN / "report.json").write_text(
            json.dumps({"figures": f, "checks": self.checks}, indent=1)
        )
        return not failed and self.checks


def main():
    drill = Drill()
    try:
        drill.run()
    finally:
        drill.stop()
    sys.exit(0 if drill.report() else 1)


if __name__ == "__main__":
    main()
