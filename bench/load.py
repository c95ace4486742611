"""`make bench-load`: the app under gunicorn on PostgreSQL, the demo street plus 100,000 cases,
driven by 32 concurrent clients on loopback.

1. Steady load, 60 s: a mix of case lists, case pages, reports and new cases (70/15/5/10) by
   grid workers, officers and street staff → every request must succeed.
2. The same load while PostgreSQL is restarted in the middle → the app recovers by itself
   (no restart of gunicorn); requests fail only while the database is down, and every case
   whose creation the app confirmed is in the database afterwards.

Prints p50/p99 latency, requests per second and errors per phase, and writes
bench/results/load.json.

    python bench/load.py [--seconds 60] [--clients 32] [--extra-cases 100000] [--no-restart]
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "youjie_load"
os.environ["BENCH_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
from bench import traffic  # noqa: E402

PORT = 8767
RESULTS = ROOT / "bench" / "results"
MIX = [("list", 70), ("case", 15), ("report", 5), ("create", 10)]


def prepare(extra_cases):
    import psycopg

    admin = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    import django

    django.setup()
    from django.core.management import call_command

    from bench import seed

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    demo = seed.case_count()
    seed.seed_cases(demo + extra_cases)
    print(f"seeded the demo street ({demo:,} cases) plus {extra_cases:,} cases", end=" ")
    print(f"in {time.monotonic() - started:.0f} s")


class Visitor(traffic.Browser):
    """One user's browser: a session cookie, its places, and what it asks for."""

    def __init__(self, user, kind, grid_units, case_ids, categories):
        from bench.serve import session_key

        super().__init__(PORT, cookies={"sessionid": session_key(user)})
        self.kind = kind
        self.grid_units = grid_units
        self.case_ids = case_ids
        self.categories = categories

    def create(self, confirmed):
        status, _loc, page = self.request("GET", "/cases/new/")
        token = traffic.csrf_token(page) if status == 200 else None
        if not token:
            return status or 0
        submission, fields = traffic.log_case_fields(
            token, random.choice(self.grid_units), random.choice(self.categories)
        )
        status, location, _body = self.request(
            "POST",
            "/cases/new/",
            urlencode(fields),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status == 302 and re.match(r"^/cases/\d+/$", location):
            confirmed.append((submission, int(location.split("/")[2])))
        return status

    def step(self, confirmed):
        action = random.choices([a for a, _w in MIX], [w for _a, w in MIX])[0]
        if action == "create" and self.kind == "street":
            action = "list"  # street staff read; grid workers and officers log
        if action == "list":
            return action, self.request("GET", "/cases/")[0]
        if action == "case":
            return action, self.request("GET", f"/cases/{random.choice(self.case_ids)}/")[0]
        if action == "report":
            return action, self.request("GET", "/reports/")[0]
        return action, self.create(confirmed)


def visitors(count):
    from accounts.models import Role
    from cases.models import Case, Category
    from grids.models import Unit

    categories = list(Category.objects.filter(is_active=True).values_list("pk", flat=True))
    roles = list(Role.objects.select_related("user").order_by("pk"))
    by_kind = {
        "street": [r for r in roles if r.kind == "street_staff"],
        "officer": [r for r in roles if r.kind == "community_officer"],
        "worker": [r for r in roles if r.kind == "grid_worker"],
    }
    found = []
    kinds = ["worker"] * 16 + ["officer"] * 12 + ["street"] * 4
    for n in range(count):
        kind = kinds[n % len(kinds)]
        role = by_kind[kind][n % len(by_kind[kind])]
        if kind == "worker":
            units = Unit.objects.filter(building__grid_id=role.grid_id)
            cases = Case.objects.filter(grid_id=role.grid_id)
        elif kind == "officer":
            units = Unit.objects.filter(building__grid__community_id=role.community_id)
            cases = Case.objects.filter(community_id=role.community_id)
        else:
            units = Unit.objects.none()
            cases = Case.objects.filter(street_id=role.street_id)
        units = list(units.values_list("building__grid_id", "building_id", "pk")[:200])
        ids = list(cases.order_by("-pk").values_list("pk", flat=True)[:500])
        found.append(Visitor(role.user, kind, units, ids, categories))
    return found


def run_phase(label, people, seconds, during=None):
    """All visitors at once for `seconds`; `during` runs in the middle (the fault)."""
    confirmed = []

    def step(visitor):
        started = time.monotonic()
        action, status = visitor.step(confirmed)
        return [(started, time.monotonic() - started, action, status)]

    samples, elapsed, fault = traffic.drive(people, seconds, step, during)
    return summarise(label, samples, confirmed, elapsed, fault)


def summarise(label, samples, confirmed, seconds, fault):
    ok = [s for s in samples if s[3] and s[3] < 500]
    errors = [s for s in samples if not s[3] or s[3] >= 500]
    times = sorted(s[1] * 1000 for s in ok)
    figures = {
        "phase": label,
        "seconds": round(seconds, 1),
        "requests": len(samples),
        "requests_per_second": round(len(samples) / seconds, 1),
        "p50_ms": round(statistics.median(times), 1) if times else None,
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 1) if times else None,
        "errors": len(errors),
        "by_action": {a: sum(1 for s in samples if s[2] == a) for a, _w in MIX},
        "cases_created": len(confirmed),
    }
    if fault:
        # A request belongs to the restart if it was still running when the database went
        # down; the app has recovered at the first success that began after it came back.
        down, up = fault["down_at"], fault["up_at"]
        recovered = min((s[0] for s in ok if s[0] > up), default=None)
        during = [s for s in errors if s[0] + s[1] >= down and (not recovered or s[0] < recovered)]
        figures["restart"] = {
            "database_down_seconds": round(up - down, 1),
            "errors_while_down_or_reconnecting": len(during),
            "errors_before_the_restart": sum(1 for s in errors if s[0] + s[1] < down),
            "errors_after_recovery": sum(1 for s in errors if recovered and s[0] >= recovered),
            "first_success_after_restart_s": round(recovered - up, 2) if recovered else None,
        }
    figures["confirmed"] = confirmed
    return figures


def restart_postgres():
    cluster = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
    ).stdout.split()
    down_at = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster[0], cluster[1], "restart"],
        check=True,
        capture_output=True,
    )
    return {"down_at": down_at, "up_at": time.monotonic()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--extra-cases", type=int, default=100_000)
    parser.add_argument("--no-restart", action="store_true")
    args = parser.parse_args()
    prepare(args.extra_cases)
    from django.db import connection

    people = visitors(args.clients)
    connection.close()
    from bench.serve import gunicorn

    with gunicorn(PORT, "--workers", "2", "--threads", "4", env={"CONN_MAX_AGE": "60"}):
        phases = [run_phase("steady load", people, args.seconds)]
        if not args.no_restart:
            phases.append(
                run_phase("PostgreSQL restarted mid-run", people, args.seconds, restart_postgres)
            )
    connection.close()
    for figures in phases:
        confirmed = figures.pop("confirmed")
        missing_ids, missing_submissions = traffic.lost_writes(confirmed)
        figures["confirmed_writes_lost"] = missing_ids + missing_submissions
        print(json.dumps(figures, ensure_ascii=False))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(phases, ensure_ascii=False, indent=2))
    steady = phases[0]
    failed = steady["errors"] or any(p["confirmed_writes_lost"] for p in phases)
    if len(phases) > 1:
        restart = phases[1]["restart"]
        failed = failed or restart["errors_after_recovery"] or restart["errors_before_the_restart"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
