"""Structure-aware fuzzing of what partners send: Open311 requests, hotline orders, sheets.

tests/test_fuzz.py throws random form fields at every page. Here Hypothesis builds bodies that
look like the real thing and break it from inside: a well-formed Open311 request or a signed
hotline order with one value swapped for nested JSON, a huge number, NUL, a lone surrogate, a
time at +99:00 or in year 9999; JSON nested to any depth; XML with nested elements and entity
expansions; hierarchy sheets with hostile cells. Each body must be answered with a 2xx or a
4xx (the test client re-raises what a view lets through), and nothing may be half-saved: a
case exists only for an answer that says it was created.

FUZZ_EXAMPLES bodies per test (10 in `make test`, 1,000 in `make fuzz`).
"""

import io
import json
import os
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from cases.models import Case
from grids.models import ImportBatch
from interop.models import InboxOrder
from tests.interop_helpers import app_partner, hotline_partner, order, post_signed
from tests.test_import import HEADINGS, leader_rows
from tests.test_open311 import new_request

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# Scalars as a hostile partner writes them.
HOSTILE_STRINGS = st.sampled_from(
    ["", " ", "\x00", "a\x00b", "\ud800", "\udfff", "\u202e", "x" * 70_000, "𠮷" * 3000, "１２"]
)
# A form is bytes in UTF-8: it cannot carry a lone surrogate (Django reads bad bytes as U+FFFD).
FORM_STRINGS = HOSTILE_STRINGS.filter(lambda text: not re.search("[\ud800-\udfff]", text))
NUMBERS = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(10**4000),  # more digits than Python reads back from JSON
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=30), HOSTILE_STRINGS)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=6), st.dictionaries(st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=40,
)
# Times: real and absurd offsets, years at and past the edges, days that do not exist.
MOMENTS = st.builds(
    lambda year, month, day, hour, sign, offset_h, offset_m: (
        f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:00:00{sign}{offset_h:02d}:{offset_m:02d}"
    ),
    st.sampled_from([1, 1999, 2000, 2026, 2099, 2100, 9999]),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.sampled_from(["+", "-"]),
    st.sampled_from([0, 8, 14, 15, 23, 24, 99]),
    st.sampled_from([0, 30, 59, 60, 99]),
)
FIELD_VALUES = st.one_of(JSON_VALUES, MOMENTS, HOSTILE_STRINGS)


def nested_json(depth, kind):
    opening, closing = ("[", "]") if kind == "list" else ('{"a":', "}")
    return opening * depth + "1" + closing * depth


DEEP_JSON = st.builds(nested_json, st.integers(1, 5000), st.sampled_from(["list", "dict"]))


def nested_xml(depth, entities):
    prolog = ""
    if entities:
        # A small "billion laughs": each entity ten of the one before.
        defs = ['<!ENTITY e0 "lol">'] + [
            f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, entities)
        ]
        prolog = f"<!DOCTYPE r [{''.join(defs)}]>"
    body = "<a>" * depth + (f"&e{entities - 1};" if entities else "x") + "</a>" * depth
    return f'<?xml version="1.0"?>{prolog}<r>{body}</r>'


XML_BODIES = st.builds(nested_xml, st.integers(0, 3000), st.integers(0, 9))


@pytest.fixture
def app(places, personas):
    _partner, raw = app_partner(places, personas.street_staff)
    return Client(HTTP_X_API_KEY=raw)


@pytest.fixture
def hotline(places, personas):
    return hotline_partner(places, personas.street_staff)


def answered(response, created_statuses):
    """A 2xx or 4xx; the number of cases it made (only a 'created' answer makes one)."""
    assert response.status_code < 500, response.content[:300]
    return 1 if response.status_code in created_statuses else 0


@FUZZ
@given(
    spoiled=st.dictionaries(
        st.sampled_from(
            [
                "service_code",
                "description",
                "address_id",
                "address_string",
                "phone",
                "lat",
                "first_name",
                "attribute",
                "media_url",
                "email",
                "unknown",
            ]
        ),
        FIELD_VALUES,
        min_size=1,
        max_size=3,
    ),
    escaped=st.booleans(),
)
def test_open311_json_requests_with_spoiled_values_are_refused_or_filed(
    app, places, spoiled, escaped
):
    cache.clear()
    before = Case.objects.count()
    body = {**new_request(places), **spoiled}
    try:
        text = json.dumps(body, ensure_ascii=escaped)
    except ValueError:  # no JSON for this value (an int too long to write): send it raw
        text = json.dumps(new_request(places))[:-1] + ', "big": ' + "9" * 5000 + "}"
    response = app.post(
        "/open311/v2/requests.json", text.encode("utf-8", "surrogatepass"), "application/json"
    )
    made = answered(response, {201})
    assert Case.objects.count() == before + made


@FUZZ
@given(
    spoiled=st.dictionaries(
        st.sampled_from(
            ["service_code", "description", "address_id", "phone", "attribute[urgency]"]
        ),
        st.one_of(st.text(max_size=40), FORM_STRINGS, MOMENTS),
        max_size=3,
    ),
    extra_fields=st.integers(0, 1500),
)
def test_open311_form_requests_with_spoiled_values_or_many_fields(
    app, places, spoiled, extra_fields
):
    cache.clear()
    before = Case.objects.count()
    body = {**new_request(places), **spoiled}
    body.update({f"extra{n}": "x" for n in range(extra_fields)})
    response = app.post("/open311/v2/requests.json", body)
    made = answered(response, {201})
    assert Case.objects.count() == before + made
    if len(body) > 1000:
        assert response.status_code == 400 and "1000" in response.json()[0]["description"]


@FUZZ
@given(body=DEEP_JSON)
def test_deeply_nested_json_is_refused_by_open311_and_the_hotline(app, hotline, body):
    cache.clear()
    for response in (
        app.post("/open311/v2/requests.json", body, "application/json"),
        post_signed(app, hotline, None, body=body.encode()),
    ):
        assert 400 <= response.status_code < 500
    if body.count("[") + body.count("{") > 20:
        assert "20" in app.post("/api/hotline/1/", body, "application/json").json()["error"]
    assert not Case.objects.exists()


@FUZZ
@given(body=XML_BODIES, content_type=st.sampled_from(["text/xml", "application/xml"]))
def test_xml_bodies_are_refused_not_parsed(app, hotline, body, content_type):
    cache.clear()
    for response in (
        app.post("/open311/v2/requests.xml", body, content_type),
        post_signed(app, hotline, None, body=body.encode()),
    ):
        assert 400 <= response.status_code < 500
    assert not Case.objects.exists()


@FUZZ
@given(
    spoiled=st.dictionaries(
        st.sampled_from(
            [
                "order_number",
                "category",
                "content",
                "address",
                "caller_name",
                "caller_phone",
                "dispatched_at",
                "sign_deadline",
                "finish_deadline",
                "message_id",
            ]
        ),
        FIELD_VALUES,
        min_size=1,
        max_size=3,
    ),
    escaped=st.booleans(),
)
def test_signed_hotline_orders_with_spoiled_values_are_refused_or_taken(
    client, hotline, spoiled, escaped
):
    cache.clear()
    before = Case.objects.count() + InboxOrder.objects.count()
    message = {**order(), **spoiled}
    try:
        body = json.dumps(message, ensure_ascii=escaped).encode("utf-8", "surrogatepass")
    except ValueError:
        body = json.dumps(order()).encode()[:-1] + b', "big": ' + b"9" * 5000 + b"}"
    response = post_signed(client, hotline, None, body=body)
    made = answered(response, {201, 202})
    assert Case.objects.count() + InboxOrder.objects.count() == before + made


# What a sheet can hold (an XLSX cannot hold control characters; the CSV path's refusal of
# them is tests/test_control_characters.py's).
CELLS = st.one_of(
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20),
    st.sampled_from(["=1+1", "𠮷" * 100, "", " ", "x" * 40_000, "\u202e"]),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, allow_infinity=False),
)


@FUZZ
@given(
    rows=st.lists(st.lists(CELLS, max_size=12), max_size=8),
    far_column=st.sampled_from([None, 60, 16_000]),
)
def test_hostile_hierarchy_sheets_are_refused_or_checked(personas, places, login, rows, far_column):
    workbook = Workbook()
    for row in [HEADINGS, *leader_rows(count=1), *rows]:
        workbook.active.append(row)
    if far_column:
        workbook.active.cell(row=3, column=far_column, value="远")
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = login(personas.street_staff)
    response = client.post(
        "/places/import/",
        {"sheet": SimpleUploadedFile("s.xlsx", buffer.getvalue()), "street": places.street.pk},
    )
    assert response.status_code < 500
    assert ImportBatch.objects.filter(status=ImportBatch.Status.APPLIED).count() == 0
