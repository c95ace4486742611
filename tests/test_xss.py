"""Fifty hostile strings in every text field, file name and query parameter: each comes back
escaped in HTML, as inert text in CSV and XLSX (formulas defused), and in plain-text email.

Figures are printed (run with -s to read them).
"""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook

from cases.models import Case, Category, State
from common.spreadsheets import FORMULA_START
from meetings.models import Meeting
from notifications import dispatch
from tests.factories import CaseFactory, upload
from tests.test_case_logging import tap_request
from tests.test_residents import qr_url, tap

pytestmark = pytest.mark.django_db
PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<iframe src=javascript:alert(1)>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">点我</a>',
    "javascript:alert(1)",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<ScRiPt>alert(1)</sCrIpT>",
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    "<style>body{display:none}</style>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<meta http-equiv=refresh content=0;url=//evil.example>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<base href=//evil.example/>",
    "<form action=//evil.example><button>提交</button></form>",
    "{{ 7|add:7 }}",
    "{% debug %}",
    "${7*7}",
    "<!--",
    "]]><script>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "<scrİpt>alert(1)</scrİpt>",
    "＜script＞alert(1)＜/script＞",
    '<img src="x" onerror="alert(\'王大妈\')">',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<isindex action=javascript:alert(1) type=image>",
    "<x onclick=alert(1)>点击",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    '=HYPERLINK("http://evil.example","点我")',
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=1+1<script>alert(1)</script>",
    "<script>alert(document.cookie)</script>水龙头漏水",
    "王大妈<b onmouseover=alert(1)>家</b>",
    "＝1+1",  # full-width: Excel with a Chinese input method may take it as a formula too
]


def assert_escaped(body, payload, where):
    """A payload with markup characters is on the page only in its escaped form."""
    if any(ch in payload for ch in "<>\"'"):
        assert payload not in body, (where, payload)


def assert_shown_escaped(body, payload, where):
    assert escape(payload) in body, (where, payload)
    assert_escaped(body, payload, where)


def test_payloads_in_every_text_field_come_back_escaped(personas, places, login):
    officer = personas.officer_chunguang
    officer.email = "officer@example.org"
    officer.save()
    client = login(officer)
    checked = 0
    for n, payload in enumerate(PAYLOADS):
        # Logged by an officer: description, resident's name (its first 50 characters).
        name = payload[:50]
        response = client.post(
            reverse("cases:new"),
            tap_request(
                places, description=payload, resident_name=name, resident_phone=f"1390000{n:04d}"
            ),
        )
        assert response.status_code == 302, payload
        case = Case.objects.latest("pk")
        detail = client.get(response["Location"]).content.decode()
        assert_shown_escaped(detail, payload, "case page")
        assert_shown_escaped(detail, name, "case page: name")
        listing = client.get(reverse("cases:list")).content.decode()
        assert_escaped(listing, payload, "case list")
        # A task title and an escalation reason on the same case.
        case.state = State.DECIDED
        case.owner = officer
        case.save()
        due = (timezone.localdate() + timedelta(days=3)).isoformat()
        client.post(
            reverse("cases:task_add", args=[case.pk]),
            {"task-title": payload[:200], "task-owner_user": officer.pk, "task-due_date": due},
        )
        detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
        assert_shown_escaped(detail, payload[:200], "task title")
        checked += 4
    print(
        f"\n[xss] {len(PAYLOADS)} payloads × case text, name, list, task: {checked} pages escaped"
    )


def test_payloads_in_meeting_fields_and_the_public_notice_come_back_escaped(
    personas, places, login
):
    officer = personas.officer_funan
    client = login(officer)
    meeting = Meeting.objects.create(
        street=places.street,
        community=places.funan,
        kind="monthly",
        starts_at=timezone.now() + timedelta(days=2),
        venue_kind="room",
        host=officer,
    )
    edit = reverse("meetings:edit", args=[meeting.pk])
    for payload in PAYLOADS:
        meeting.refresh_from_db()
        data = {
            "starts_at": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "venue_kind": "room",
            "address": payload[:200],
            "host": officer.pk,
            "version": meeting.version,
        }
        assert client.post(edit, data).status_code == 302, payload
        page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
        assert_shown_escaped(page, payload[:200], "meeting address")
        assert_escaped(client.get(reverse("meetings:list")).content.decode(), payload, "list")
    Meeting.objects.filter(pk=meeting.pk).update(state="held")
    meeting.refresh_from_db()
    page_url = reverse("meetings:detail", args=[meeting.pk])
    save = reverse("meetings:action", args=[meeting.pk, "minutes"])
    text = "\n".join(PAYLOADS)
    client.post(save, {"minutes-minutes": text, "minutes-version": meeting.version})
    meeting.refresh_from_db()
    assert meeting.minutes == text
    page = client.get(page_url).content.decode()
    for payload in PAYLOADS:
        assert_shown_escaped(page, payload, "minutes")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_query_parameters_are_never_reflected_raw(personas, login, places, payload):
    client = login(personas.street_staff)
    pages = [
        (reverse("cases:list"), {"q": payload}),
        (reverse("cases:list"), {"state": payload, "category": payload, "created_from": payload}),
        (reverse("reports:report"), {"month": payload}),
        (reverse("reports:cases"), {"figure": payload}),
        (reverse("meetings:list"), {"community": payload}),
        (reverse("meetings:calendar"), {"month": payload}),
        (reverse("notifications:overdue"), {"community": payload}),
        (reverse("residents:status"), {"code": payload, "phone": payload}),
    ]
    for url, params in pages:
        response = client.get(url, params)
        assert response.status_code < 500
        assert_escaped(response.content.decode(), payload, url)
    searched = client.get(reverse("cases:list"), {"q": payload}).content.decode()
    assert escape(payload) in searched  # the search box keeps the query, escaped


@pytest.mark.parametrize("form", ["staff", "public"])
def test_payloads_in_file_names_come_back_escaped(personas, places, login, form):
    for payload in PAYLOADS:
        name = payload.replace("/", "") + ".gif"  # a browser sends a name without a path
        bad = upload(name, b"GIF89a not a photo", "image/gif")
        if form == "staff":
            response = login(personas.worker_cg1).post(
                reverse("cases:new"), tap_request(places, photos=[bad])
            )
        else:
            response = Client().post(qr_url(places.leaders[places.cg1].unit), tap(photos=[bad]))
        assert response.status_code in (400, 429), payload
        assert_escaped(response.content.decode(), name[-60:], f"{form} file name")
    assert not Case.objects.exists()


def test_payloads_in_exports_are_text_and_formulas_are_defused(personas, places, login):
    for payload in PAYLOADS:
        CaseFactory(grid=places.cg1, description=payload, resident_name=payload[:50])
    client = login(personas.street_staff)
    response = client.get(reverse("cases:export", args=["csv"]))
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    cells = [
        c for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for c in row
    ]
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("cases:export", args=["xlsx"])).content)
    ).active
    xlsx_cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    assert not [c.coordinate for c in xlsx_cells if c.data_type == "f"]
    # In XLSX a formula-like text is a plain string cell, shown as typed, that stays text
    # when edited (quote prefix); common/spreadsheets.py writes every file the app hands out.
    formula_like = [c for c in xlsx_cells if str(c.value or "").startswith(FORMULA_START)]
    assert formula_like and all(c.data_type == "s" and c.quotePrefix for c in formula_like)
    for payload in PAYLOADS:
        kept = "'" + payload if payload.startswith(FORMULA_START) else payload
        assert kept in cells and payload in [c.value for c in xlsx_cells], payload
    print(f"\n[xss] exports: {len(cells)} CSV cells and {len(xlsx_cells)} XLSX cells, 0 formulas")


def test_reminder_emails_are_plain_text(personas, places):
    officer = personas.officer_chunguang
    officer.email = "officer@example.org"
    officer.save()
    late = timezone.now() - timedelta(hours=2)
    category = Category.objects.get(name="水电气暖")
    for payload in PAYLOADS:
        CaseFactory(grid=places.cg1, description=payload, category=category, response_deadline=late)
    dispatch.scan()
    from outbox.dispatch import deliver
    from outbox.models import Message

    for message_id in Message.objects.values_list("pk", flat=True):
        deliver(message_id)
    assert len(mail.outbox) == len(PAYLOADS)
    for message in mail.outbox:
        assert message.content_subtype == "plain" and not getattr(message, "alternatives", [])
        assert "text/html" not in message.message().as_string()
    print(f"\n[xss] {len(mail.outbox)} reminder emails, all text/plain, none with an HTML part")
