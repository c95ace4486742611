"""`make bench-morning`: a city's morning under load. The app under gunicorn (production's config,
config/gunicorn.conf.py) on the benchmark's city, with every kind of user at once:

- grid workers log new cases (点单, the logging form) and make the follow-up visit (查单) on
  resolved cases of their own grid, through the case page's form;
- community officers read their case list and open cases from it;
- street staff open the monthly report;
- residents look up their requests on the public site (tracking code and the phone's last four
  digits), each from an address of their own, as nginx passes it on (X-Forwarded-For);
- the residents' app (an Open311 partner, with its API key) reads its requests: the list of the
  newest 1,000 and single requests, within its key's allowance.

Each client is one person: a page, then a pause (`--think`, about 2 s) as a person reads or
types. Prints a Markdown table of p50/p95/p99 per page with the errors (no answer or 5xx) and
the answers the scenario did not expect (a 403, a 429...) named, writes
bench/results/morning.json and exits non-zero on FAIL. Target: no error, no unexpected answer,
each page's p95 under 250 ms.

    python bench/morning.py [--database youjie_bench] [--clients 64] [--seconds 120] [--seed N]

The database is used as it is when it has cases (the scenario adds cases and follow-up visits
to it); when it does not exist or has none, or with --seed N, the benchmark's seeding
(bench/seed.py) grows it to N cases (1,000,000 by default).
"""

import argparse
import itertools
import json
import math
import os
import platform
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import traffic  # noqa: E402

PORT = 8768
RESULTS = ROOT / "bench" / "results"
TARGET_P95_MS = 250
DEFAULT_CASES = 1_000_000
# The share of the clients each kind of person takes (out of 32; 64 clients: twice these).
PERSONAS = {"worker": 12, "officer": 9, "street": 2, "resident": 8, "partner": 1}
# Open311 reads: one list of the newest requests for every four single requests.
PARTNER_LIST_SHARE = 0.2
# The partner keeps to this share of its key's allowance (API_CALLS_PER_KEY_PER_MINUTE).
PARTNER_ALLOWANCE_USED = 5 / 6
# Residents' lookups arrive from phones: each from an address of its own, from the shared
# address space carriers give phones (100.64.0.0/10).
RESIDENT_NETWORK = 100 << 24 | 64 << 16
# The case page drawn again with why a move was refused (templates/cases/detail.html).
REFUSAL = b'data-testid="refusal"'
# What each page answers when it works.
EXPECTED = {
    "new case form": {200},
    "log a case (POST)": {302},
    "case page": {200},
    "查单 follow-up (POST)": {302},
    "case list": {200},
    "monthly report": {200},
    "lookup form": {200},
    "lookup (POST)": {302},
    "request status": {200},
    "Open311 requests.json": {200},
    "Open311 one request": {200},
}
PAGES = list(EXPECTED)  # the table's order


def environment(args):
    """The database, the Redis database and the proxy the settings read: set before Django."""
    os.environ["BENCH_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    # The cache on Redis, as production has it: the rate limits count across both workers. A
    # Redis database of the scenario's own, emptied before the run.
    os.environ["REDIS_URL"] = os.environ.get("BENCH_MORNING_REDIS_URL", "redis://127.0.0.1:6379/12")
    # As production behind nginx (config/nginx-youjie.conf) and `make cluster`: the proxy on
    # loopback is trusted, so each resident's address counts, not the proxy's.
    os.environ["TRUSTED_PROXIES"] = "127.0.0.1/32"


def prepare(database, seed_to):
    """Create and seed the database only when asked (--seed) or when it has no cases."""
    import psycopg
    from psycopg import sql

    admin = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    import django

    django.setup()
    from django.core.management import call_command

    from bench import seed
    from bench.quiet import settle

    call_command("migrate", verbosity=0)
    have = seed.case_count()
    if seed_to or not have:
        target = seed_to or DEFAULT_CASES
        started = time.monotonic()
        seed.seed_city()
        seed.seed_cases(target)
        print(f"seeded {database} to {seed.case_count():,} cases in ", end="")
        print(f"{time.monotonic() - started:.0f} s; waiting for PostgreSQL to settle")
        settle()
    from interop.models import ApiKey

    if not ApiKey.objects.filter(prefix=seed.API_KEY_PREFIX, revoked_at=None).exists():
        sys.exit(f"{database} has no benchmark partner (bench/seed.py): run with --seed N")
    return seed.case_count()


def allocate(clients):
    """How many clients of each kind: in proportion to PERSONAS, at least one of each."""
    total = sum(PERSONAS.values())
    counts = {kind: max(1, math.floor(clients * share / total)) for kind, share in PERSONAS.items()}
    by_remainder = sorted(PERSONAS, key=lambda k: -((clients * PERSONAS[k] / total) % 1))
    for kind in itertools.cycle(by_remainder):
        if sum(counts.values()) >= clients:
            break
        counts[kind] += 1
    return counts


class Person(traffic.Browser):
    """A client: a browser that times each page it asks for, and pauses as a person does."""

    def __init__(self, think, cookies=None, headers=None):
        super().__init__(PORT, cookies=cookies, headers=headers)
        self.think = think
        self.samples = []

    def page(self, label, method, path, body=None, headers=None, refusals=()):
        """Ask for a page; record (started, elapsed, label, status, verdict). The verdict is
        "ok" for the answer the page gives when it works, "refused" for a status in `refusals`
        on a page that says why (the app's refusal under concurrency), "error" for no answer
        or a 5xx, else "unexpected"."""
        started = time.monotonic()
        status, location, body = self.request(method, path, body, headers)
        elapsed = time.monotonic() - started
        if status in EXPECTED[label]:
            verdict = "ok"
        elif status in refusals and REFUSAL in body:
            verdict = "refused"
        elif status == 0 or status >= 500:
            verdict = "error"
        else:
            verdict = "unexpected"
        self.samples.append((started, elapsed, label, status, verdict))
        return status, location, body

    def take(self):
        taken, self.samples = self.samples, []
        return taken

    def pause(self):
        traffic.pause(self.think)

    def post_form(self, label, path, fields, refusals=()):
        body, content_type = traffic.multipart(fields)
        return self.page(
            label, "POST", path, body, {"Content-Type": content_type}, refusals=refusals
        )


class GridWorker(Person):
    """点单 and 查单, as the grid workers of a few grids, one after another: each makes the
    follow-up visits of its own grid's resolved cases, then the next takes over."""

    def __init__(self, think, rounds, categories, outcome):
        super().__init__(think)
        self.rounds = rounds  # [(session key, [(grid, building, unit)], [resolved case ids])]
        self.categories = categories
        self.outcome = outcome  # the scenario's record of logged cases and visits

    def step(self):
        while len(self.rounds) > 1 and not self.rounds[0][2]:
            self.rounds.pop(0)  # this worker's visits are made: the next worker's turn
            self.cookies = {}
        session, places, resolved = self.rounds[0]
        self.cookies.setdefault("sessionid", session)
        if resolved and random.random() < 0.5:
            self.follow_up(resolved.pop())
        else:
            self.log_case(places)
        return self.take()

    def log_case(self, places):
        status, _location, page = self.page("new case form", "GET", "/cases/new/")
        token = traffic.csrf_token(page) if status == 200 else None
        self.pause()  # the resident tells, the worker types
        if not token:
            return
        submission, fields = traffic.log_case_fields(
            token, random.choice(places), random.choice(self.categories)
        )
        status, location, _body = self.post_form("log a case (POST)", "/cases/new/", fields)
        if status == 302 and location.startswith("/cases/"):
            self.outcome["logged"].append((submission, int(location.split("/")[2])))
            self.page("case page", "GET", location)  # the tracking code to give the resident
        self.pause()

    def follow_up(self, case_id):
        path = f"/cases/{case_id}/"
        status, _location, page = self.page("case page", "GET", path)
        form = traffic.form_fields(page, "case-form-verify") if status == 200 else None
        self.pause()  # the visit: the resident says how it went
        if form is None:
            # The page offers no 查单: someone made the visit first (the app decides).
            self.outcome["not_offered"].append(case_id)
            return
        action, fields = form
        fields["verify-satisfaction"] = random.choices(
            [c for c in fields["verify-satisfaction"] if c], [85, 12, 3]
        )[0]
        fields["verify-note"] = "回访居民，问题已解决（负载测试）"
        status, location, _body = self.post_form(
            "查单 follow-up (POST)", action, fields, refusals={409}
        )
        if status == 302:
            self.outcome["visited"].append(case_id)
            self.page("case page", "GET", location)
        elif status == 409:
            self.outcome["refused"].append(case_id)
        self.pause()


class Officer(Person):
    """A community officer: the case list, and now and then a case from it."""

    def __init__(self, think, session):
        super().__init__(think, cookies={"sessionid": session})

    def step(self):
        status, _location, page = self.page("case list", "GET", "/cases/")
        self.pause()
        listed = traffic.CASE_LINK.findall(page.decode(errors="ignore")) if status == 200 else []
        if listed and random.random() < 0.6:
            self.page("case page", "GET", f"/cases/{random.choice(listed)}/")
            self.pause()
        return self.take()


class StreetStaff(Person):
    """Street staff: this month's report of their street."""

    def __init__(self, think, session):
        super().__init__(think, cookies={"sessionid": session})

    def step(self):
        self.page("monthly report", "GET", "/reports/")
        self.pause()
        return self.take()


class Residents(Person):
    """One resident after another, each on a phone of their own (a new browser and address),
    looking up their request: the form, the tracking code and the last four digits, the answer."""

    addresses = itertools.count(random.randrange(1 << 21))
    lock = threading.Lock()

    def __init__(self, think, codes):
        super().__init__(think)
        self.codes = codes  # [(tracking code, the phone's last four digits)]

    def step(self):
        with self.lock:
            n = next(self.addresses) % (1 << 22)
        address = RESIDENT_NETWORK + n
        self.cookies = {}
        self.headers = {
            "X-Forwarded-For": ".".join(str(address >> s & 255) for s in (24, 16, 8, 0))
        }
        status, _location, page = self.page("lookup form", "GET", "/r/status/")
        token = traffic.csrf_token(page) if status == 200 else None
        self.pause()
        if token:
            code, last4 = random.choice(self.codes)
            fields = {"csrfmiddlewaretoken": token, "tracking_code": code, "phone_last4": last4}
            status, location, _body = self.page(
                "lookup (POST)",
                "POST",
                "/r/status/",
                urlencode(fields),
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            if status == 302:
                self.page("request status", "GET", location)
            self.pause()
        return self.take()


class Pacer:
    """Calls spread evenly at `per_minute`, shared by the partner's clients."""

    def __init__(self, per_minute):
        self.interval = 60 / per_minute
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self):
        with self.lock:
            slot = max(self.next, time.monotonic())
            self.next = slot + self.interval
        time.sleep(max(0.0, slot - time.monotonic()))


class Partner(Person):
    """The residents' app reading Open311 with its key: its newest requests, and the status of
    requests it filed."""

    def __init__(self, key, codes, pacer):
        super().__init__(0, headers={"X-API-Key": key})
        self.codes = codes
        self.pacer = pacer

    def step(self):
        self.pacer.wait()
        if random.random() < PARTNER_LIST_SHARE:
            self.page("Open311 requests.json", "GET", "/open311/v2/requests.json")
        else:
            code = random.choice(self.codes)
            self.page("Open311 one request", "GET", f"/open311/v2/requests/{code}.json")
        return self.take()


def people(clients, seconds, think, rng):
    """The clients, with what each needs from the database: sessions, places and cases."""
    from django.conf import settings

    from accounts.models import Role
    from bench import seed
    from bench.serve import session_key
    from cases.models import Case, Category
    from grids.models import Unit
    from interop.models import ExternalRef

    counts = allocate(clients)
    outcome = {"logged": [], "visited": [], "refused": [], "not_offered": []}
    roles = list(Role.objects.select_related("user").order_by("pk"))
    by_kind = defaultdict(list)
    for role in roles:
        by_kind[role.kind].append(role)
    for kind in by_kind.values():
        rng.shuffle(kind)
    found = []

    # Grid workers: grids with resolved cases, dealt out so that no two clients share one and
    # each has enough visits for the run (one every two pauses or so, half of the steps).
    categories = list(Category.objects.filter(is_active=True).values_list("pk", flat=True))
    resolved = defaultdict(list)
    for grid, pk in Case.objects.filter(state="resolved", duplicate_of=None).values_list(
        "grid_id", "pk"
    ):
        resolved[grid].append(pk)
    grids = sorted(resolved)
    rng.shuffle(grids)
    wanted = math.ceil(seconds / max(think, 0.5)) + 5
    workers = {r.grid_id: r for r in by_kind["grid_worker"]}
    dealt, given = [[] for _ in range(counts["worker"])], [0] * counts["worker"]
    for grid in grids:
        n = min(range(len(dealt)), key=given.__getitem__)
        if given[n] >= wanted:
            break
        if grid in workers:
            dealt[n].append(grid)
            given[n] += len(resolved[grid])
    spare = (g for g in workers if g not in resolved)  # a small city: grids with none
    for grids_of_client in dealt:
        if not grids_of_client:
            grids_of_client.append(next(spare))
    places = defaultdict(list)
    chosen = [g for d in dealt for g in d]
    for unit, building, grid in Unit.objects.filter(building__grid_id__in=chosen).values_list(
        "pk", "building_id", "building__grid_id"
    ):
        places[grid].append((grid, building, unit))
    for grids_of_client in dealt:
        rounds = [
            (session_key(workers[g].user), places[g], list(resolved[g])) for g in grids_of_client
        ]
        found.append(GridWorker(think, rounds, categories, outcome))

    # Officers and street staff of different communities and streets.
    for role in by_kind["community_officer"][: counts["officer"]]:
        found.append(Officer(think, session_key(role.user)))
    street_roles = by_kind["street_staff"]
    for n in range(counts["street"]):
        found.append(StreetStaff(think, session_key(street_roles[n % len(street_roles)].user)))

    # Residents: real tracking codes of random cases, with the last 4 digits of their phones.
    bounds = Case.objects.order_by("pk").values_list("pk", flat=True)
    low, high = bounds.first(), bounds.last()
    sample = rng.sample(range(low, high + 1), min(5000, high - low + 1))
    codes = [
        (code, phone[-4:])
        for code, phone in Case.objects.filter(pk__in=sample).values_list(
            "tracking_code", "resident_phone"
        )
        if len(phone) >= 4 and phone[-4:].isdigit()
    ]
    found += [Residents(think, codes) for _ in range(counts["resident"])]

    # The partner: its key, and the codes of requests it filed.
    filed = list(
        ExternalRef.objects.filter(partner__keys__prefix=seed.API_KEY_PREFIX).values_list(
            "case__tracking_code", flat=True
        )[:5000]
    )
    pacer = Pacer(settings.API_CALLS_PER_KEY_PER_MINUTE * PARTNER_ALLOWANCE_USED)
    found += [Partner(seed.API_KEY, filed, pacer) for _ in range(counts["partner"])]
    rng.shuffle(found)
    return found, counts, outcome, sum(given)


def summarise(samples):
    rows, totals = [], Counter()
    unexpected_named = Counter()
    for label in PAGES:
        mine = [s for s in samples if s[2] == label]
        if not mine:
            continue
        times = sorted(s[1] * 1000 for s in mine if s[3])
        verdicts = Counter(s[4] for s in mine)
        unexpected = Counter(s[3] for s in mine if s[4] == "unexpected")
        for status, count in unexpected.items():
            unexpected_named[f"{status} on {label}"] += count
        row = {
            "page": label,
            "requests": len(mine),
            "p50_ms": round(traffic.percentile(times, 0.50), 1) if times else None,
            "p95_ms": round(traffic.percentile(times, 0.95), 1) if times else None,
            "p99_ms": round(traffic.percentile(times, 0.99), 1) if times else None,
            "errors": verdicts["error"],
            "errors_by_status": dict(Counter(s[3] for s in mine if s[4] == "error")),
            "unexpected": dict(unexpected),
            "refused_as_expected": verdicts["refused"],
        }
        rows.append(row)
        totals.update(
            requests=len(mine),
            errors=verdicts["error"],
            unexpected=sum(unexpected.values()),
            refused=verdicts["refused"],
        )
    return rows, dict(totals), dict(unexpected_named)


def markdown(rows, totals, rate):
    def ms(value):
        return "—" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"

    lines = [
        "| page | requests | p50 ms | p95 ms | p99 ms | errors (0/5xx) | unexpected answers | "
        "refused as expected |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        unexpected = ", ".join(f"{n}×{s}" for s, n in sorted(r["unexpected"].items())) or "0"
        lines.append(
            f"| {r['page']} | {r['requests']:,} | {ms(r['p50_ms'])} | {ms(r['p95_ms'])} | "
            f"{ms(r['p99_ms'])} | {r['errors']} | {unexpected} | {r['refused_as_expected']} |"
        )
    lines.append(
        f"| **all** ({rate:.1f} req/s) | "
        f"{totals.get('requests', 0):,} | | | | {totals.get('errors', 0)} | "
        f"{totals.get('unexpected', 0)} | {totals.get('refused', 0)} |"
    )
    return "\n".join(lines)


def check_writes(outcome):
    """Every case the app said it logged is there; every visit it confirmed is recorded; every
    refused visit was refused because the case had been visited already."""
    from cases.models import Case

    lost_ids, lost_submissions = traffic.lost_writes(outcome["logged"])
    visited = set(outcome["visited"])
    recorded = set(
        Case.objects.filter(pk__in=visited, state="verified").values_list("pk", flat=True)
    )
    refused = set(outcome["refused"]) | set(outcome["not_offered"])
    still_resolved = set(
        Case.objects.filter(pk__in=refused, state="resolved").values_list("pk", flat=True)
    )
    return {
        "cases_logged": len(outcome["logged"]),
        "logged_cases_lost": lost_ids + lost_submissions,
        "visits_made": len(visited),
        "visits_not_recorded": len(visited - recorded),
        "visits_refused": len(outcome["refused"]),
        "visits_not_offered": len(outcome["not_offered"]),
        "refused_though_still_resolved": len(still_resolved),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="youjie_bench")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help="grow the database to N cases first"
    )
    parser.add_argument(
        "--think", type=float, default=2.0, help="mean pause between pages, s (0: none)"
    )
    parser.add_argument("--warmup", type=int, default=10, help="seconds of traffic not counted")
    parser.add_argument("--random-seed", type=int, default=20261208)
    args = parser.parse_args()
    environment(args)
    cases = prepare(args.database, args.seed)
    import redis
    from django.db import connection

    from bench.quiet import load_average
    from bench.serve import gunicorn

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # the scenario's own database
    rng = random.Random(args.random_seed)
    random.seed(args.random_seed)
    crowd, counts, outcome, visits = people(
        args.clients, args.seconds + args.warmup, args.think, rng
    )
    connection.close()
    print(
        f"{args.database}: {cases:,} cases; {args.clients} clients "
        + ", ".join(f"{n} {k}" for k, n in counts.items())
        + f"; {visits:,} resolved cases to visit; pause {args.think} s; {args.seconds} s"
    )
    load_before = load_average()
    with gunicorn(PORT, ready_within=60):
        if args.warmup:
            traffic.drive(crowd, args.warmup, lambda p: p.step())
        samples, elapsed, _fault = traffic.drive(crowd, args.seconds, lambda p: p.step())
    load_after = load_average()
    rows, totals, unexpected = summarise(samples)
    # The rate over the run's seconds: the steps under way at the end finish after it.
    window_end = min((s[0] for s in samples), default=0) + args.seconds
    rate = sum(1 for s in samples if s[0] < window_end) / args.seconds
    writes = check_writes(outcome)
    connection.close()
    slow = [r["page"] for r in rows if r["p95_ms"] is None or r["p95_ms"] >= TARGET_P95_MS]
    failures = []
    if totals.get("errors"):
        failures.append(f"{totals['errors']} errors")
    if unexpected:
        failures.append(
            "unexpected answers: " + ", ".join(f"{n}× {k}" for k, n in unexpected.items())
        )
    if slow:
        failures.append(f"p95 ≥ {TARGET_P95_MS} ms: " + ", ".join(slow))
    if writes["logged_cases_lost"] or writes["visits_not_recorded"]:
        failures.append("confirmed writes missing")
    if writes["refused_though_still_resolved"]:
        failures.append("follow-up visits refused on cases still resolved")
    print()
    print(markdown(rows, totals, rate))
    print()
    print(
        f"{args.seconds} s (the last steps done {elapsed - args.seconds:.1f} s later); "
        f"load average {load_before} before, {load_after} after; warm-up "
        f"included: cases logged {writes['cases_logged']} (lost {writes['logged_cases_lost']}); "
        f"follow-up visits {writes['visits_made']} (not recorded {writes['visits_not_recorded']}, "
        f"refused {writes['visits_refused']}, not offered {writes['visits_not_offered']})"
    )
    verdict = "FAIL: " + "; ".join(failures) if failures else "PASS"
    print(verdict)
    RESULTS.mkdir(exist_ok=True)
    result = {
        "scenario": "a city's morning under load",
        "measured_at": time.strftime("%Y-%m-%d %H:%M %z"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "database": args.database,
        "cases": cases,
        "clients": args.clients,
        "personas": counts,
        "seconds": args.seconds,
        "seconds_until_the_last_step_was_done": round(elapsed, 1),
        "requests_per_second": round(rate, 1),
        "warmup_seconds": args.warmup,
        "think_seconds": args.think,
        "gunicorn": "config/gunicorn.conf.py, workers × threads "
        f"{os.environ.get('GUNICORN_WORKERS', 2)} × {os.environ.get('GUNICORN_THREADS', 16)}",
        "load_average": {"before": load_before, "after": load_after},
        "pages": rows,
        "totals": totals,
        "unexpected": unexpected,
        "writes": writes,
        "target": f"0 errors, 0 unexpected answers, each page's p95 < {TARGET_P95_MS} ms",
        "verdict": verdict,
    }
    (RESULTS / "morning.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
