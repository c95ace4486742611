"""Bodies too deep, too many-valued or too large to parse are refused with a 400 (413 for size)
that names the limit, before any parser or view reads them (common/input_guard.py)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.models import Case
from tests.interop_helpers import app_partner, hotline_partner, post_signed
from tests.test_open311 import new_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(places, personas):
    _partner, raw = app_partner(places, personas.street_staff)
    return Client(HTTP_X_API_KEY=raw)


def test_json_nested_five_thousand_deep_is_refused_by_open311_and_the_hotline(
    app, places, personas
):
    deep = "[" * 5000 + "]" * 5000
    response = app.post("/open311/v2/requests.json", deep, "application/json")
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": "JSON 内容的嵌套超过 20 层。"}]
    hotline = hotline_partner(places, personas.street_staff)
    signed = post_signed(app, hotline, None, body=b'{"a":' * 5000 + b"1" + b"}" * 5000)
    assert signed.status_code == 400 and signed.json() == {"error": "JSON 内容的嵌套超过 20 层。"}


def test_a_request_with_a_thousand_extra_values_is_refused_and_nothing_filed(app, places):
    body = {**new_request(places), "attribute": {f"x{n}": n for n in range(1000)}}
    response = app.post("/open311/v2/requests.json", json.dumps(body), "application/json")
    assert response.status_code == 400
    assert "超过 1000 个" in response.json()[0]["description"]
    assert not Case.objects.exists()


def test_a_json_body_over_a_megabyte_is_refused_unread(app, places):
    body = {**new_request(places), "description": "很" * 400_000}
    response = app.post("/open311/v2/requests.json", json.dumps(body), "application/json")
    assert response.status_code == 413 and "1024 KB" in response.json()[0]["description"]


def test_a_form_with_more_than_a_thousand_fields_gets_a_clear_400(personas, login, places):
    fields = {f"field{n}": "x" for n in range(1001)}
    response = login(personas.worker_cg1).post(reverse("cases:new"), fields)
    assert response.status_code == 400
    assert "请求中的字段超过 1000 个" in response.content.decode()
    assert not Case.objects.exists()


def test_a_form_with_more_than_a_hundred_files_gets_a_clear_400(app, places):
    files = [SimpleUploadedFile(f"p{n}.jpg", b"x") for n in range(101)]
    response = app.post("/open311/v2/requests.json", {**new_request(places), "media": files})
    assert response.status_code == 400
    assert "请求中的文件超过 100 个" in response.json()[0]["description"]
    assert not Case.objects.exists()
