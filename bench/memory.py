"""Memory that stays put: each gunicorn worker's resident memory after 20,000 requests of a
day's mix, and its growth over the last 10,000; a Celery worker's after 10,000 deliveries.

Targets (issue 27): at most 150 MB per gunicorn worker, grown at most 5 % over the last half;
the same for the Celery worker. The mix is what the day's readers ask for over plain HTTP
(workbenches, lists, case pages, search, the report, Open311, the hotline posting orders);
forms that need a CSRF token are measured in-process by bench/measure.py instead.
"""

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8767
REQUESTS, THREADS = 20_000, 4
TASKS = 10_000
LIMIT_MB, GROWTH = 150, 0.05


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _mix():
    """[(method, path, headers, body)] a day's readers ask for, each with their own session."""
    from django.urls import reverse

    from bench import seed
    from bench.measure import personas
    from bench.serve import session_key
    from cases.models import Case

    p = personas()
    cookies = {k: f"sessionid={session_key(p[k])}" for k in ("street", "officer", "worker")}
    case_ids = list(
        Case.objects.filter(street_id=p["street_id"]).values_list("pk", flat=True)[:500]
    )
    month = (timezone_now().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    gets = [
        ("worker", reverse("home")),
        ("officer", reverse("home")),
        ("street", reverse("home")),
        ("worker", reverse("cases:list")),
        ("officer", reverse("cases:list")),
        ("street", reverse("cases:list")),
        ("street", reverse("cases:list") + "?q=%E6%BC%8F%E6%B0%B4"),
        ("street", reverse("reports:report") + f"?month={month}"),
    ]
    rng = random.Random(11)
    mix = []
    for i in range(REQUESTS):
        if i % 5 == 0:
            path = reverse("cases:detail", args=[rng.choice(case_ids)])
            mix.append(("GET", path, {"Cookie": cookies["officer"]}, None))
        elif i % 50 == 1:
            mix.append(("GET", reverse("open311:requests"), {"X-API-Key": seed.API_KEY}, None))
        else:
            who, path = gets[i % len(gets)]
            mix.append(("GET", path, {"Cookie": cookies[who]}, None))
    return mix


def timezone_now():
    from django.utils import timezone

    return timezone.localtime()


def _drive(requests, errors):
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    for method, path, headers, body in requests:
        try:
            connection.request(method, path, body=body, headers={"Host": "127.0.0.1", **headers})
            answer = connection.getresponse()
            answer.read()
            if answer.status >= 400:
                errors.append(answer.status)
        except (OSError, http.client.HTTPException):
            errors.append("connection")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    connection.close()


def _send(batch):
    errors = []
    threads = [
        threading.Thread(target=_drive, args=(batch[i::THREADS], errors)) for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def web() -> dict:
    from bench.serve import gunicorn

    mix = _mix()
    half = len(mix) // 2
    # Without production's recycling (max_requests), which would hide a leak by restarting
    # the worker that has it.
    with gunicorn(PORT, "-w", "2", "--max-requests", "0", ready_within=60) as server:
        errors = _send(mix[:100])  # the workers' first requests import what they use
        workers = children(server.pid)
        errors += _send(mix[100:half])
        at_half = {pid: rss_mb(pid) for pid in workers}
        errors += _send(mix[half:])
        at_end = {pid: rss_mb(pid) for pid in workers}
    return _verdict("gunicorn worker", at_half, at_end, len(mix), len(errors))


def celery() -> dict:
    """A worker delivering TASKS notifications by e-mail (to a backend that drops them), with
    the bench database and a Redis database of its own."""
    import redis
    from django.utils import timezone

    from bench.measure import personas
    from notifications.models import Notification
    from outbox.models import Channel, Message

    broker = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    redis.Redis.from_url(broker).flushdb()
    user = personas()["worker"]
    run = f"bench-memory-{time.time_ns()}"
    notes = Notification.objects.bulk_create(
        Notification(
            rule=run[:30],
            object_key=f"bench:{i}",
            due_at=timezone.now(),
            recipient_key=f"user:{user.pk}",
            user=user,
            title="楼道灯坏了",
            body="基准测试的提醒",
            fanned_out=True,
        )
        for i in range(TASKS)
    )
    messages = Message.objects.bulk_create(
        Message(
            channel=Channel.EMAIL,
            destination="bench@example.org",
            subject=n.object_key,
            kind=n.rule,
            source=f"notification:{n.pk}",
            idempotency_key=f"notification-{n.pk}-email",
            payload={"title": n.title, "body": n.body, "url": n.url},
        )
        for n in notes
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "REDIS_URL": broker,
        "EMAIL_URL": "dummymail://",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        from config.celery import app

        ids = [m.pk for m in messages]
        sent = Message.objects.filter(pk__in=ids, state="sent")
        readings = {}
        for mark, batch in ((TASKS // 2, ids[: TASKS // 2]), (TASKS, ids[TASKS // 2 :])):
            with app.connection_for_write(broker) as connection:
                for message_id in batch:
                    app.send_task("outbox.tasks.deliver", args=[message_id], connection=connection)
            deadline = time.monotonic() + 900
            while sent.count() < mark and time.monotonic() < deadline:
                time.sleep(1)
            readings[mark] = {pid: rss_mb(pid) for pid in [worker.pid, *children(worker.pid)]}
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
    done = sent.count()
    return _verdict("Celery worker", readings[TASKS // 2], readings[TASKS], done, TASKS - done)


def _verdict(what, at_half, at_end, count, errors) -> dict:
    rows = []
    for pid, end in at_end.items():
        half = at_half.get(pid)
        growth = (end - half) / half if half else None
        rows.append({"pid": pid, "half_mb": half, "end_mb": end, "growth": growth})
    met = all(
        r["end_mb"] <= LIMIT_MB and r["growth"] is not None and r["growth"] <= GROWTH for r in rows
    )
    return {"what": what, "count": count, "errors": errors, "processes": rows, "met": met}


def measure() -> dict:
    return {"web": web(), "celery": celery()}


def markdown(results) -> str:
    lines = [
        "| process | after | resident memory at half → end | growth over the second half |",
        "|---|---|---|---|",
    ]
    for part in results.values():
        for row in part["processes"]:
            growth = "—" if row["growth"] is None else f"{row['growth'] * 100:+.1f} %"
            lines.append(
                f"| {part['what']} {row['pid']} | {part['count']:,} ({part['errors']} errors) "
                f"| {row['half_mb']} → {row['end_mb']} MB | {growth} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    print(json.dumps(measure(), indent=2))
