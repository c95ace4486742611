"""`make bench`: seed a city at each size, measure in-process and under gunicorn with wrk, and
write bench/results/latest.json and latest.md (the tables the README shows).

    python bench/run.py [--sizes 10000 100000 1000000] [--no-wrk]

The database is youjie_bench, or the one named by BENCH_DATABASE (BENCH_DATABASE_URL wins when
set); it is dropped and created afresh.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault(
    "BENCH_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/" + os.environ.get("BENCH_DATABASE", "youjie_bench"),
)
DATABASE = urlsplit(os.environ["BENCH_DATABASE_URL"]).path.lstrip("/")
RESULTS = ROOT / "bench" / "results"
PEER = Path("/tmp/peerbench/results")
LABELS = {
    "workbench_worker": "workbench, grid worker",
    "workbench_officer": "workbench, community officer",
    "workbench_street": "workbench, street staff",
    "list_worker": "case list, grid worker",
    "list_officer": "case list, community officer",
    "list_street": "case list, street staff",
    "list_filtered": "list by state and category",
    "recurring_officer": "recurring problems, community officer",
    "search_zh": "Chinese text search (漏水)",
    "case_page": "case page",
    "log_case": "log a case (POST)",
    "accept_move": "accept move (POST)",
    "report_street": "monthly report, one street",
    "report_city": "monthly report, whole city",
    "export_xlsx": "XLSX export, a month of one street",
    "access_log": "access log, street staff",
    "open311_requests": "Open311 GET requests (1,000 rows)",
    "hotline_order": "12345 hotline webhook, one order (POST)",
}
# Our page → the peer's nearest page (../shared/bench-peer).
PEER_MATCH = {
    "list_street": "list_page",
    "case_page": "detail",
    "log_case": "create",
    "report_street": "report_month",
}


def fresh_database():
    """Start from an empty bench database, so each size is what it says."""
    import psycopg
    from psycopg import sql

    url = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = sql.Identifier(DATABASE)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def wrk(seconds=20):
    """Requests per second and p99 of the street staff's case list under gunicorn -w 2."""
    if not shutil.which("wrk"):
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    from bench.measure import personas
    from bench.serve import gunicorn, session_key

    cookie = f"sessionid={session_key(personas()['street'])}"
    with gunicorn(8766, "-w", "2"):
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                "-c8",
                f"-d{seconds}s",
                "--latency",
                "-H",
                f"Cookie: {cookie}",
                "http://127.0.0.1:8766/cases/",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    rps = float(
        next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec"))
    )
    p99 = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("99%"))
    p50 = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("50%"))
    non2xx = next((line for line in out.splitlines() if "Non-2xx" in line), "")
    return {"requests_per_second": rps, "p50": p50, "p99": p99, "non_2xx": non2xx.strip()}


def peer_figures():
    figures = {}
    for path in sorted(PEER.glob("measure_N*.json")):
        data = json.loads(path.read_text())
        figures[data["data"]["tickets"]] = data["results"]
    return figures


def markdown(results, machine):
    from bench import grouping, memory

    sizes = sorted(int(n) for n in results["sizes"])
    peer = peer_figures()
    lines = [
        f"Measured {results['measured_at']} on {machine}.",
        "",
        "| page | "
        + " | ".join(f"{n:,} median / p95 [rounds' medians] ms (queries)" for n in sizes)
        + " | ours ÷ peer |",
        "|---|" + "---|" * (len(sizes) + 1),
    ]
    for key, label in LABELS.items():
        cells = []
        for n in sizes:
            f = results["sizes"][str(n)]["pages"].get(key)
            cells.append(
                f"{f['median_ms']} / {f['p95_ms']} [{f['spread_ms'][0]}–{f['spread_ms'][1]}] "
                f"({f['queries']})"
                if f
                else "—"
            )
        ratios = []
        for n in sizes:
            match = PEER_MATCH.get(key)
            theirs = peer.get(n, {}).get(match, {}) if match else {}
            mine = results["sizes"][str(n)]["pages"].get(key)
            if theirs.get("median_ms") and mine:
                ratios.append(f"{n:,}: {mine['median_ms'] / theirs['median_ms']:.2f}")
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {'; '.join(ratios) or '—'} |")
    lines += [
        "",
        "| size | seeding | quiet after | load average (rounds) "
        "| wrk, case list (street staff), gunicorn -w 2, 8 connections |",
        "|---|---|---|---|---|",
    ]
    for n in sizes:
        s = results["sizes"][str(n)]
        w = s.get("wrk", {})
        wrk_text = (
            f"{w['requests_per_second']} req/s, p50 {w.get('p50', '—')}, p99 {w['p99']}"
            if "requests_per_second" in w
            else w.get("skipped", "—")
        )
        settled, load = s.get("settled", {}), s.get("load_average", {})
        lines.append(
            f"| {n:,} | {s['seed_seconds']} s | {settled.get('settled_after_s', '—')} s "
            f"| {load.get('min', '—')}–{load.get('max', '—')} | {wrk_text} |"
        )
    lines += ["", *grouping.HEADER]
    lines += [
        grouping.markdown_row(n, results["sizes"][str(n)]["grouping"])
        for n in sizes
        if "grouping" in results["sizes"][str(n)]
    ]
    if results.get("memory"):
        lines += ["", memory.markdown(results["memory"])]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--no-wrk", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    fresh_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from bench import grouping, memory, seed
    from bench.measure import measure
    from bench.quiet import settle

    call_command("migrate", verbosity=0)
    seed.seed_city()
    RESULTS.mkdir(exist_ok=True)
    results = {"measured_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"), "sizes": {}}
    for n in sorted(args.sizes):
        started = time.monotonic()
        seed.seed_cases(n)
        seeded = round(time.monotonic() - started, 1)
        settle()  # the seed's writes are out of the way before anything is timed
        grouped = grouping.measure()  # the night after: the pages then show its problems
        settled = settle()
        pages = measure()
        load = pages.pop("_load_average")
        results["sizes"][str(n)] = {
            "seed_seconds": seeded,
            "settled": settled,
            "load_average": load,
            "pages": pages,
            "grouping": grouped,
            "wrk": {} if args.no_wrk else wrk(),
        }
        if n == min(args.sizes) and not args.no_memory:
            results["memory"] = memory.measure()
        print(json.dumps({n: results["sizes"][str(n)]}, ensure_ascii=False))
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        "PostgreSQL on 127.0.0.1"
    )
    (RESULTS / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    (RESULTS / "latest.md").write_text(markdown(results, machine))
    print((RESULTS / "latest.md").read_text())


if __name__ == "__main__":
    main()
