"""GET /healthz: is this node fit to serve? For the load balancer and for monitoring.

Answered by a middleware placed first, before sessions, login, the host check and the HTTPS
redirect: a load balancer probes each node over plain http with whatever Host it likes, and a
probe must be cheap (no session row, no user, no template). JSON, never cached:

    {"status": "ok", "checks": {"database": {"ok": true, "ms": 0.8}, "cache": {...},
     "broker": {...}, "reminder_scan": {"ok": true, "age_seconds": 41, "stale_after_seconds":
     600}}}

200 when every check passes, 503 when one fails (it says which, and why). `?checks=database,
cache` runs only those (a load balancer may not want to take web nodes out because the reminder
scan is late: that is the workers' fault, not the node's). A check that raises is a failed
check, never a 500.
"""

import json
import logging
import time

from django.db import connections
from django.http import HttpResponse

log = logging.getLogger("youjie.health")
PATH = "/healthz"
BROKER_TIMEOUT_SECONDS = 2


def check_database() -> dict:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def check_cache() -> dict:
    from django.core.cache import cache

    ping = getattr(cache, "ping", None)
    if ping is None:  # `make run` with no Redis: this process's memory
        return {"detail": "local memory (one process)"}
    ping()
    return {}


def check_broker() -> dict:
    from config.celery import app

    quick = {"socket_connect_timeout": BROKER_TIMEOUT_SECONDS, "socket_timeout": 2}
    with app.connection_for_write(
        connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=quick
    ) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        channel = connection.default_channel
        client = getattr(channel, "client", None)
        if hasattr(client, "ping"):  # Redis (directly or through Sentinel): it must answer
            client.ping()
        return {"transport": connection.transport_cls}


def check_reminder_scan() -> dict:
    from . import heartbeat

    at = heartbeat.last_scan_at()
    age = heartbeat.age_seconds(at)
    result = {
        "age_seconds": None if age is None else round(age),
        "stale_after_seconds": heartbeat.stale_after_seconds(),
    }
    if heartbeat.is_stale(at):
        result["ok"] = False
        result["error"] = "never ran" if at is None else "stale"
    return result


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "reminder_scan": check_reminder_scan,
}


def run_checks(names) -> dict:
    results = {}
    for name in names:
        started = time.perf_counter()
        try:
            result = {"ok": True, **CHECKS[name]()}
        except Exception as error:  # a failing dependency is a failed check, not a 500
            result = {"ok": False, "error": f"{error.__class__.__name__}: {error}"[:300]}
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    return results


def _json(body: dict, status: int) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def healthz(request) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = _json({"error": "GET or HEAD"}, 405)
        response["Allow"] = "GET, HEAD"
        return response
    asked = request.GET.get("checks", "")
    names = [name for name in asked.split(",") if name] or list(CHECKS)
    unknown = [name for name in names if name not in CHECKS]
    if unknown:
        return _json(
            {"error": f"unknown checks: {', '.join(unknown)[:200]}", "known": list(CHECKS)}, 400
        )
    checks = run_checks(names)
    healthy = all(result["ok"] for result in checks.values())
    body = {"status": "ok" if healthy else "failing", "checks": checks}
    response = _json(body, 200 if healthy else 503)
    if not healthy:
        _warn(checks)
    # A load balancer probes every few seconds: one warning a minute says it, not one a probe.
    response._has_been_logged = True
    return response


_last_warning = [0.0]


def _warn(checks):
    now = time.monotonic()
    if _last_warning[0] and now - _last_warning[0] < 60:
        return
    _last_warning[0] = now
    failing = {name: result.get("error") for name, result in checks.items() if not result["ok"]}
    log.warning("/healthz fails: %s", failing)


class HealthzMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.rstrip("/") == PATH:
            return healthz(request)
        return self.get_response(request)
