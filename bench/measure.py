"""In-process timings and query counts of our pages, the way the peer benchmark measures its own:
django.test.Client, warm-up requests, then timed requests; one more under query capture.

The timed requests come in ROUNDS interleaved across pages (every page once per round, then
the next round), so that a disturbance of the machine falls on every page rather than on one;
each page reports its median over all rounds and the spread of its rounds' medians, and the
load average is recorded at each round (bench/quiet.py)."""

import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from bench import quiet, seed
from cases.models import Case, Category, State
from grids.models import Unit
from interop import signing
from interop.models import Partner, PartnerKind

WARMUP, RUNS, ROUNDS = 3, 21, 3


@dataclass
class Page:
    call: Callable
    runs: int = RUNS
    warmup: int = WARMUP
    ok: tuple = (200, 302)
    prepare: Callable | None = None  # before each call, untimed (the next case to accept)
    times: list = field(default_factory=list)
    round_medians: list = field(default_factory=list)

    def once(self):
        argument = self.prepare() if self.prepare else None
        started = time.perf_counter()
        response = self.call(argument) if self.prepare else self.call()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code in self.ok, (response.status_code, response.content[:300])
        return elapsed


def run_rounds(pages: dict, rounds=ROUNDS) -> dict:
    """Warm every page up, then time each page's share of its runs in every round."""
    for page in pages.values():
        for _ in range(page.warmup):
            page.once()
    loads = []
    for _ in range(rounds):
        loads.append(quiet.load_average())
        for page in pages.values():
            share = [page.once() for _ in range(max(1, -(-page.runs // rounds)))]
            page.times += share
            page.round_medians.append(statistics.median(share))
    loads.append(quiet.load_average())
    results = {}
    for key, page in pages.items():
        with CaptureQueriesContext(connection) as queries:
            page.once()
        times = sorted(page.times)
        results[key] = {
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
            "spread_ms": [round(min(page.round_medians), 1), round(max(page.round_medians), 1)],
            "queries": len(queries.captured_queries),
        }
    results["_load_average"] = {"min": min(loads), "max": max(loads), "each_round": loads}
    return results


def _client(user):
    client = Client()
    client.force_login(user)
    return client


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


def as_a_browser(client):
    """The client as a browser sends its next post: having followed the last one's redirect,
    whose page showed its message ("已登记") and cleared it. Without this the test client's
    messages cookie keeps every earlier message up to its 2 KB limit, and each post signs
    and encodes them all again: 2–3 ms of a logging's 10–13 that no person's post pays."""
    client.cookies.pop("messages", None)
    return client


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
    unit = Unit.objects.filter(building__grid_id=p["grid_id"]).select_related("building").first()
    started = timezone.now()  # this run's cases only: cases are never deleted (PIPL history)

    def log_case():
        return as_a_browser(worker).post(
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

    deadline = (timezone.localtime() + timezone.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")

    def next_to_accept():
        # A case this run logged and nobody accepted yet (logging runs first in each round).
        return (
            Case.objects.filter(
                created_by=p["worker"], created_at__gte=started, state=State.SUBMITTED
            )
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )

    def accept(case_id):
        return as_a_browser(officer).post(
            reverse("cases:move", args=[case_id, "accept"]),
            {"accept-owner": p["officer"].pk, "accept-response_deadline": deadline},
        )

    start = f"{last_month:%Y-%m-%d}"
    next_month = (last_month.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
    end = f"{next_month - timezone.timedelta(days=1):%Y-%m-%d}"
    pages = {
        "workbench_worker": Page(lambda: worker.get(reverse("home"))),
        "workbench_officer": Page(lambda: officer.get(reverse("home"))),
        "workbench_street": Page(lambda: street.get(reverse("home"))),
        "list_worker": Page(lambda: worker.get(reverse("cases:list"))),
        "list_officer": Page(lambda: officer.get(reverse("cases:list"))),
        "list_street": Page(lambda: street.get(reverse("cases:list"))),
        "list_filtered": Page(
            lambda: street.get(
                reverse("cases:list"), {"state": State.IN_PROGRESS, "category": category.pk}
            )
        ),
        "search_zh": Page(lambda: street.get(reverse("cases:list"), {"q": "漏水"})),
        # The night's problems of the officer's community, as its workbench links to them.
        "recurring_officer": Page(lambda: officer.get(reverse("recurring:list"))),
        "case_page": Page(
            lambda: street.get(reverse("cases:detail", args=[rng.choice(street_case_ids)]))
        ),
        "log_case": Page(log_case),
        "accept_move": Page(accept, prepare=next_to_accept),
        "report_street": Page(
            lambda: street.get(reverse("reports:report"), {"month": month}), runs=9
        ),
        "report_city": Page(
            lambda: admin.get(reverse("reports:report"), {"month": month, "city": 1}),
            runs=6,
            warmup=1,
        ),
        "access_log": Page(lambda: street.get(reverse("audit:log"))),
        **partner_pages(),
        "export_xlsx": Page(
            lambda: street.get(
                reverse("cases:export", args=["xlsx"]), {"logged_from": start, "logged_to": end}
            ),
            runs=3,
            warmup=1,
        ),
    }
    return run_rounds(pages)


def partner_pages() -> dict:
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

    pages = {"open311_requests": Page(open311_requests)}
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

    pages["hotline_order"] = Page(hotline_order, ok=(201,))
    return pages
