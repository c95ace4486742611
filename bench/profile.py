"""Where a page's milliseconds go, on a seeded bench database (bench/run.py leaves one).

    python bench/profile.py [--url /cases/] [--persona street] [--requests 300] [--cprofile]
    python bench/profile.py --wrk [--url /cases/] [--seconds 15]

In-process (the default): the page is asked for with the Django test client and the session
cookie a browser would send; the CPU time of this thread is summed per part (session and
user, scope, each template, each model's queries and counts, the fragments' versions), so
a profiler's own overhead does not distort the shares. --cprofile prints cProfile's top
functions instead.

--wrk: the page under gunicorn -w 2 (production's config) and wrk -t2 -c8, with the CPU each
process used per request: gunicorn's, PostgreSQL's backends', wrk's, and the machine's.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on the path, and this file would stand in for the
# standard library's `profile`, which cProfile imports.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault(
    "BENCH_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/" + os.environ.get("BENCH_DATABASE", "youjie_bench"),
)
CLOCK = time.thread_time


def _wrap(owner, name, label, spent):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = CLOCK()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label(args) if callable(label) else label] += CLOCK() - started

    setattr(owner, name, wrapper)


def instrument(spent):
    """Time the parts every page shares."""
    import django.contrib.auth as auth
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.handlers.base import BaseHandler
    from django.db.models import query
    from django.template import base

    from accounts.scope import Scope
    from common import fragments

    _wrap(BaseHandler, "get_response", "request (middleware and view)", spent)
    _wrap(SessionStore, "load", "session (query and signature)", spent)
    _wrap(auth, "get_user", "session and user", spent)
    _wrap(Scope, "for_user", "scope (the user's roles)", spent)
    _wrap(fragments, "version", "kept fragments' versions (Redis)", spent)
    _wrap(base.Template, "render", lambda a: f"template {a[0].origin.template_name}", spent)
    _wrap(query.QuerySet, "_fetch_all", lambda a: f"query {a[0].model.__name__}", spent)
    _wrap(query.QuerySet, "count", lambda a: f"count {a[0].model.__name__}", spent)


def in_process(url, persona, requests, cprofile):
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.measure import personas
    from bench.serve import session_key

    client = Client()
    client.cookies["sessionid"] = session_key(personas()[persona])
    for _ in range(5):
        assert client.get(url).status_code == 200
    if cprofile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(requests):
            client.get(url)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(40)
        return
    spent = defaultdict(float)
    instrument(spent)
    client.get(url)
    spent.clear()
    totals = []
    for _ in range(requests):
        started = CLOCK()
        client.get(url)
        totals.append(CLOCK() - started)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    print(
        f"{url} as {persona}: CPU per request {statistics.median(totals) * 1000:.2f} ms "
        f"(median of {requests}), {len(queries)} queries"
    )
    print("  parts (nested parts are inside the ones above them; ms per request):")
    for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        if seconds / requests >= 0.02e-3:
            print(f"    {seconds / requests * 1000:6.2f}  {label}")


def _cpu_seconds(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_seconds():
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(values) - values[3] - values[4]) / hz, sum(values) / hz


def under_wrk(url, persona, seconds, port=8797):
    import django

    django.setup()
    import urllib.request

    import psycopg
    from django.conf import settings
    from django.db import connection

    from bench.measure import personas
    from bench.serve import gunicorn, session_key

    database = settings.DATABASES["default"]["NAME"]
    cookie = f"sessionid={session_key(personas()[persona])}"
    connection.close()
    admin = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

    def backends():
        with psycopg.connect(admin, autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
            return [row[0] for row in rows]

    with gunicorn(port, "-w", "2", ready_within=30) as server:
        page = urllib.request.Request(f"http://127.0.0.1:{port}{url}", headers={"Cookie": cookie})
        for _ in range(10):
            urllib.request.urlopen(page).read()
        children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
        workers = [server.pid, *map(int, children.stdout.split())]
        app_before = sum(map(_cpu_seconds, workers))
        db_before = {pid: _cpu_seconds(pid) for pid in backends()}
        busy_before, all_before = _machine_seconds()
        wrk = subprocess.Popen(
            ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}"]
            + [f"http://127.0.0.1:{port}{url}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        wrk_seconds = 0.0
        while wrk.poll() is None:
            wrk_seconds = max(wrk_seconds, _cpu_seconds(wrk.pid))
            time.sleep(0.2)
        out = wrk.stdout.read()
        app = sum(map(_cpu_seconds, workers)) - app_before
        db = sum(_cpu_seconds(pid) - db_before.get(pid, 0.0) for pid in backends())
        busy_after, all_after = _machine_seconds()
    served = int(re.search(r"(\d+) requests in", out).group(1))
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    busy = busy_after - busy_before
    print(
        f"{url} as {persona}, gunicorn -w 2, wrk -t2 -c8 {seconds} s: {rate} req/s, "
        f"p50 {latency['50']}, p99 {latency['99']}"
    )
    print(
        f"  CPU ms per request: gunicorn {app / served * 1000:.1f}, PostgreSQL "
        f"{db / served * 1000:.1f}, wrk {wrk_seconds / served * 1000:.2f}; the whole machine "
        f"{busy / served * 1000:.1f} ({busy / (all_after - all_before):.0%} busy)"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="/cases/")
    parser.add_argument(
        "--persona", default="street", choices=["street", "officer", "worker", "admin"]
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--wrk", action="store_true")
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    if urlsplit(args.url).netloc:
        parser.error("--url is a path on the app, e.g. /cases/")
    if args.wrk:
        under_wrk(args.url, args.persona, args.seconds)
    else:
        in_process(args.url, args.persona, args.requests, args.cprofile)


if __name__ == "__main__":
    main()
