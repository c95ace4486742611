"""In-process timings and query counts of our pages, the way the peer benchmark measures its own:
django.test.Client, warm-up requests, then timed requests; one more under query capture."""

import json
import random
import statistics
import time
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from bench import seed
from cases.models import Case, Category, State
from grids.models import Unit
from interop import signing
from interop.models import Partner, PartnerKind

WARMUP, RUNS = 3, 20


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _timed(call, runs=RUNS, warmup=WARMUP, ok=(200, 302)):
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code in ok, (response.status_code, response.content[:300])
    with CaptureQueriesContext(connection) as queries:
        call()
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "queries": len(queries.captured_queries),
    }


def personas():
    street_role = Role.objects.filter(kind="street_staff").order_by("street_id").first()
    officer_role = (
        Role.objects.filter(kind="community_officer", street=street_role.street)
        .order_by("community_id")
        .first()
    )
    worker_role = (
        Role.objects.filter(kind="grid_worker", community=officer_role.community)
        .order_by("grid_id")
        .first()
    )
    return {
        "street": street_role.user,
        "officer": officer_role.user,
        "worker": worker_role.user,
        "admin": User.objects.get(username="benchadmin"),
        "street_id": street_role.street_id,
        "community_id": officer_role.community_id,
        "grid_id": worker_role.grid_id,
    }


def measure() -> dict:
    p = personas()
    street, officer, worker, admin = (
        _client(p[k]) for k in ("street", "officer", "worker", "admin")
    )
    rng = random.Random(7)
    last_month = (timezone.localdate().replace(day=1) - timezone.timedelta(days=1)).replace(day=1)
    month = f"{last_month:%Y-%m}"
    category = Category.objects.order_by("position").first()
    street_case_ids = list(
        Case.objects.filter(street_id=p["street_id"]).values_list("pk", flat=True)[:2000]
    )
    results = {}
    results["workbench_worker"] = _timed(lambda: worker.get(reverse("home")))
    results["workbench_officer"] = _timed(lambda: officer.get(reverse("home")))
    results["workbench_street"] = _timed(lambda: street.get(reverse("home")))
    results["list_worker"] = _timed(lambda: worker.get(reverse("cases:list")))
    results["list_officer"] = _timed(lambda: officer.get(reverse("cases:list")))
    results["list_street"] = _timed(lambda: street.get(reverse("cases:list")))
    results["list_filtered"] = _timed(
        lambda: street.get(
            reverse("cases:list"), {"state": State.IN_PROGRESS, "category": category.pk}
        )
    )
    results["search_zh"] = _timed(lambda: street.get(reverse("cases:list"), {"q": "漏水"}))
    results["case_page"] = _timed(
        lambda: street.get(reverse("cases:detail", args=[rng.choice(street_case_ids)]))
    )
    unit = Unit.objects.filter(building__grid_id=p["grid_id"]).select_related("building").first()
    created = []
    started = timezone.now()  # this run's cases only: cases are never deleted (PIPL history)

    def log_case():
        response = worker.post(
            reverse("cases:new"),
            {
                "grid": p["grid_id"],
                "building": unit.building_id,
                "unit": unit.pk,
                "category": category.pk,
                "description": "楼道灯坏了，晚上看不见",
                "resident_name": "居民",
                "resident_phone": "13912345678",
                "channel": "visit",
                "urgency": "routine",
            },
        )
        created.append(response["Location"])
        return response

    results["log_case"] = _timed(log_case)
    fresh = list(
        Case.objects.filter(
            created_by=p["worker"], description="楼道灯坏了，晚上看不见", created_at__gte=started
        ).values_list("pk", flat=True)
    )
    deadline = (timezone.localtime() + timezone.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    queue = iter(fresh)

    def accept():
        case_id = next(queue)
        return officer.post(
            reverse("cases:move", args=[case_id, "accept"]),
            {"accept-owner": p["officer"].pk, "accept-response_deadline": deadline},
        )

    results["accept_move"] = _timed(accept, runs=min(RUNS, len(fresh) - WARMUP - 1))
    results["report_street"] = _timed(
        lambda: street.get(reverse("reports:report"), {"month": month}), runs=10
    )
    results["report_city"] = _timed(
        lambda: admin.get(reverse("reports:report"), {"month": month, "city": 1}), runs=5, warmup=1
    )
    results["access_log"] = _timed(lambda: street.get(reverse("audit:log")))
    results.update(measure_partners())
    start = f"{last_month:%Y-%m-%d}"
    next_month = (last_month.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
    end = f"{next_month - timezone.timedelta(days=1):%Y-%m-%d}"
    results["export_xlsx"] = _timed(
        lambda: street.get(
            reverse("cases:export", args=["xlsx"]), {"logged_from": start, "logged_to": end}
        ),
        runs=5,
        warmup=1,
    )
    return results


def measure_partners() -> dict:
    """The residents' app reading its 1,000 newest requests (Open311), and the 12345 hotline
    posting one signed order at a time, each placed by its address and made a case."""
    app = Partner.objects.get(kind=PartnerKind.APP, keys__prefix=seed.API_KEY_PREFIX)
    hotline = Partner.objects.get(kind=PartnerKind.HOTLINE, street=app.street)
    partner_client = Client()
    requests_url = reverse("open311:requests")

    def open311_requests():
        response = partner_client.get(requests_url, HTTP_X_API_KEY=seed.API_KEY)
        assert len(response.json()) == 1000, len(response.json())
        return response

    results = {"open311_requests": _timed(open311_requests)}
    unit = (
        Unit.objects.filter(building__grid__community__street=hotline.street)
        .select_related("building")
        .order_by("id")
        .first()
    )
    address = f"{hotline.street.name}{unit.building}{unit.name}"
    category = Category.objects.filter(is_active=True).order_by("position").first()
    webhook = reverse("api:hotline_webhook", args=[hotline.pk])
    run = f"{time.time_ns():x}"
    numbers = iter(range(1, 10**6))

    def hotline_order():
        number = f"GD{run}{next(numbers):05d}"
        now = timezone.now()
        body = json.dumps(
            {
                "type": "order",
                "message_id": f"msg-{number}",
                "order_number": number,
                "category": category.name,
                "content": "楼道里堆满了杂物，影响通行。",
                "address": address,
                "caller_name": "李来电",
                "caller_phone": "13812345678",
                "dispatched_at": now.isoformat(),
                "sign_deadline": (now + timedelta(hours=2)).isoformat(),
                "finish_deadline": (now + timedelta(days=5)).isoformat(),
            },
            ensure_ascii=False,
        ).encode()
        response = partner_client.generic(
            "POST",
            webhook,
            body,
            content_type="application/json",
            headers=signing.headers(hotline.webhook_secret, body, prefix="X-Hotline"),
        )
        assert response.json().get("result") == "created", response.content
        return response

    results["hotline_order"] = _timed(hotline_order, ok=(201,))
    return results
