"""A NUL byte (or an unpaired surrogate) anywhere a request can carry one is a 400, never a 500.

PostgreSQL refuses NUL in text, so such a value reaching a lookup made the query fail. The
walk below takes every URL pattern the app serves (named or not, the admin's included), puts
%00 in each of its path parameters in turn, then sends %00 in every query parameter the pages
and the API know, in a form field and in a JSON body; headers and cookies follow.
"""

import json
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from cases.models import Case
from tests.test_deploy import production
from tests.test_fuzz import form_fields
from tests.test_url_matrix import world  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db
SAMPLES = {"int": "1", "str": "x", "fmt": "json", "path": "x", "slug": "x"}
SLOT = re.compile(r"<(?:(\w+):)?(\w+)>")
SAID = "NUL"
# Open311's parameters (interop/open311.py) and the site-wide ones the pages' forms don't show.
API_PARAMETERS = [
    "api_key",
    "service_request_id",
    "service_code",
    "status",
    "start_date",
    "end_date",
    "jurisdiction_id",
    "next",
    "page",
    "q",
]


def routes():
    """(route with <converter:name> slots, URL name or None) for every pattern served."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if not isinstance(pattern.pattern, RoutePattern):
                continue  # the admin's few regex patterns take no free text
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                name = pattern.name and (
                    f"{namespace}:{pattern.name}" if namespace else pattern.name
                )
                yield route, name

    return list(walk(get_resolver().url_patterns, "/", None))


def fill(route, values):
    values = iter(values)
    return SLOT.sub(lambda match: next(values), route)


def slot_values(route, name, world_args):
    kinds = [kind or "str" for kind, _name in SLOT.findall(route)]
    args = [str(arg) for arg in world_args.get(name) or []]
    return args if len(args) == len(kinds) else [SAMPLES.get(kind, "x") for kind in kinds]


@pytest.fixture
def callers(personas, places, world):  # noqa: F811
    """Street staff, logged in, who also send a partner's key: each request gets as far as
    it can before the value is used."""
    client = Client(raise_request_exception=False, HTTP_X_API_KEY=world["_api_key"])
    client.force_login(personas.street_staff)
    return client


def refused(response):
    return response.status_code in (400, 404)


def typed_into_a_page(url, response):
    """A person's form with a NUL in a value goes to its page, whose form refuses the field and
    keeps the text; programs' paths (Open311, the API) refuse the request itself."""
    return not url.startswith(("/open311/", "/api/")) and response.status_code < 500


@pytest.mark.timeout(300)
def test_nul_in_every_path_parameter_of_every_url_is_refused(callers, world):  # noqa: F811
    walked, failures = 0, []
    for route, name in routes():
        values = slot_values(route, name, world)
        for index in range(len(values)):
            for poison in ("%00", "a%00b"):
                url = fill(route, [*values[:index], poison, *values[index + 1 :]])
                for method in ("get", "post"):
                    response = getattr(callers, method)(url)
                    walked += 1
                    if not refused(response):
                        failures.append((method, url, response.status_code))
    assert not failures
    assert walked > 150  # the walk found the patterns
    print(f"\n[nul] {walked} requests with NUL in a path parameter, each refused")


@pytest.mark.timeout(300)
def test_nul_in_every_query_parameter_form_field_and_json_body_is_refused(callers, world):  # noqa: F811
    names = sorted(set(form_fields(callers, world)) | set(API_PARAMETERS))
    walked, failures = 0, []
    for route, name in routes():
        url = fill(route, slot_values(route, name, world))
        for parameter in names:
            response = callers.get(url, {parameter: "a\x00b"})
            walked += 1
            if not refused(response):
                failures.append(("query", url, parameter, response.status_code))
        form = {"description": "楼道灯不亮\x00", "page": "1"}
        body = json.dumps({"description": "楼道灯不亮\x00", "attribute": {"urgency": "\ud800"}})
        answers = {
            "form": callers.post(url, form),
            "json": callers.post(url, body, content_type="application/json"),
        }
        walked += 2
        failures += [
            (kind, url, r.status_code)
            for kind, r in answers.items()
            if not (refused(r) or (kind == "form" and typed_into_a_page(url, r)))
        ]
    assert not failures
    assert not Case.objects.filter(description__contains="楼道灯不亮").exists()
    assert len(names) > 40 and walked > 4000
    print(f"\n[nul] {len(names)} query parameters, {walked} requests, each refused")


def test_the_refusal_says_where_the_nul_was_in_the_callers_language(callers, world):  # noqa: F811
    page = callers.get("/r/b/%00/")
    assert page.status_code == 400 and "地址中含有 NUL 字节" in page.content.decode()
    open311 = callers.get("/open311/v2/requests.json", {"service_request_id": "YJ\x00"})
    assert open311.status_code == 400
    assert open311.json() == [
        {
            "code": 400,
            "description": "查询参数“service_request_id”中含有 NUL 字节或无法保存的字符。",
        }
    ]
    hotline = callers.post("/api/hotline/1/", '{"type": "o\\u0000rder"}', "application/json")
    assert hotline.status_code == 400 and "JSON 内容中含有 NUL 字节" in hotline.json()["error"]
    english = Client(raise_request_exception=False)
    english.cookies["django_language"] = "en"
    assert "The address contains a NUL byte" in english.get("/r/p/%00/").content.decode()
    # The page is in the app's frame: its name and a button lead back to the start page, and
    # its own stylesheets are allowed.
    listed = english.get("/cases/?q=%00")
    html = listed.content.decode()
    assert listed.status_code == 400 and 'class="navbar-brand fw-bold" href="/">Youjie' in html
    # A person is told the address is wrong, not the name of a parameter they never saw.
    assert "The address contains a NUL byte" in html and "“q”" not in html
    assert '<a class="btn btn-primary" href="/">Back to the start page</a>' in html
    assert "/static/css/youjie" in html and "style-src 'self'" in listed["Content-Security-Policy"]


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_API_KEY": "yj_ab\x00cd_secret"},
        {"HTTP_IDEMPOTENCY_KEY": "k\x00"},
        {"HTTP_COOKIE": "sessionid=abcdefgh\x00ijklmnop"},
        {"HTTP_X_HOTLINE_SIGNATURE": "\x00"},
    ],
    ids=["api key", "idempotency key", "session cookie", "hotline signature"],
)
def test_nul_in_a_header_or_cookie_is_refused(places, headers):
    client = Client(raise_request_exception=False, **headers)
    for url in ("/open311/v2/requests.json", "/cases/", "/r/"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert SAID in response.content.decode(), url


def test_nul_is_refused_under_production_settings_too():
    urls = [
        "/r/b/%00/",
        "/r/p/%00/",
        "/open311/v2/services/%00.json",
        "/open311/v2/requests/%00.json",
        "/open311/v2/requests.json?service_request_id=%00",
        "/cases/?q=%00",
    ]
    script = (
        "from django.test import Client\n"
        "client = Client(raise_request_exception=False, HTTP_HOST='youjie.example.org')\n"
        f"print(*[client.get(url, secure=True).status_code for url in {urls!r}])\n"
    )
    result = production("shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["400"] * len(urls)
