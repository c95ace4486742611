"""Hypothesis sends random input to every URL the app serves: no request may end in a 500.

Each POST target (every URL, with every move, meeting action and item action spelled out)
gets FUZZ_EXAMPLES random bodies (10 in `make test`, 1,000 in `make fuzz`) as the user who
owns the place, and every page gets random query strings. The bodies mix the field names and
values the app's own pages offer (so many examples pass validation and reach the workflow)
with hostile values: very long or NUL-laden text, huge and negative numbers, malformed dates,
lists where one value is expected, random files. The test client re-raises any exception a
view lets through, so a 500 fails the test with its traceback; a page that answers with
Django's own words for a limit (「确保该变量…」) fails it too. Figures are printed (run with -s
to read them).
"""

import os
import re
import time
from html import unescape

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.workflow import MOVES
from meetings.views import ACTIONS, ITEM_ACTIONS
from tests.test_url_matrix import all_urls, world  # noqa: F401 - `world` is a fixture

pytestmark = pytest.mark.django_db
# The sample `make test` sends; `make fuzz` sends 1,000 bodies per target (about half an hour).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
QUERY_EXAMPLES = int(os.environ.get("FUZZ_QUERY_EXAMPLES", "5"))
# URL arguments that are words, not ids: each value is a target of its own.
WORDS = {
    "cases:move": ("move", list(MOVES)),
    "cases:task_close": ("status", ["done", "dropped"]),
    "cases:export": ("file_format", ["csv", "xlsx"]),
    "reports:export": ("file_format", ["csv", "xlsx"]),
    "meetings:action": ("action", list(ACTIONS)),
    "meetings:item_action": ("action", list(ITEM_ACTIONS)),
    "residents:qr_sheet": ("kind", ["grid", "building"]),
}
STREET_LEVEL = (
    "grids:import",
    "grids:street",
    "reports:",
    "cases:export",
    "cases:escalation_answer",
    "interop:",
)
PAGES_WITH_FORMS = [
    ("cases:detail", None),
    ("meetings:detail", None),
    ("meetings:edit", None),
    ("cases:new", []),
    ("meetings:new", []),
    ("cases:list", []),
    ("notifications:settings", []),
    ("reports:report", []),
    ("meetings:list", []),
    ("meetings:calendar", []),
    ("meetings:stats", []),
]

HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "0",
        "-1",
        "99999999999999999999999",
        "1e400",
        "NaN",
        "2026-02-30",
        "2026-13-01T25:61",
        "9999-12-31T23:59",
        "0001-01-01",
        "9999-12",  # the calendar's next month of 9999-12 overflowed (a 500 found by a probe)
        "0001-01",
        "0000-00",
        "10000-01",
        "9999",
        "１２",
        "\x1b[31m",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "../../etc/passwd",
        "𠮷" * 300,
        "x" * 25_000,
        "１３９１２３４５６７８",
        "13912345678",
        "true",
        "on",
    ]
)
TEXT = st.one_of(
    HOSTILE_TEXT,
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    # Months and years at and past the edges of the calendar (year 1, 9999, month 0 and 13).
    st.tuples(
        st.sampled_from([0, 1, 1999, 2000, 2026, 2099, 2100, 9999, 10000]), st.integers(0, 13)
    ).map(lambda year_month: f"{year_month[0]:04d}-{year_month[1]:02d}"),
    st.sampled_from([0, 1, 9999, 10000, -1]).map(str),
)
# Django's own words for a limit ("this value"): a page says which field, and its limit, instead
# (common/forms.py).
FRAMEWORKS_WORDS = ["确保该变量", "确保该值", "Ensure this value"]
FILES = st.builds(
    lambda name, content: SimpleUploadedFile(name, content),
    st.sampled_from(["a.jpg", "b.png", "c.csv", "d.xlsx", "e", "../f.jpg"]),
    st.binary(max_size=300),
)


def form_fields(client, world_args):
    """Every field name on the app's pages, with the values the pages offer for it."""
    offered = {}
    current = None
    for name, args in PAGES_WITH_FORMS:
        url = reverse(name, args=world_args[name] if args is None else args)
        page = client.get(url).content.decode()
        for tag in re.findall(r"<(?:input|select|textarea|option)\b[^>]*>", page):
            field = re.search(r'\bname="([^"]+)"', tag)
            value = re.search(r'\bvalue="([^"]*)"', tag)
            if field:
                offered.setdefault(unescape(field.group(1)), set())
                current = field.group(1)
            if value and (field or (current and tag.startswith("<option"))):
                key = unescape(field.group(1)) if field else current
                offered.setdefault(key, set()).add(unescape(value.group(1)))
    offered.pop("csrfmiddlewaretoken", None)
    return {name: sorted(values) for name, values in offered.items()}


def bodies(offered, files=True):
    names = sorted(offered)

    def value_for(name):
        known = offered.get(name) or [""]
        one = st.one_of(st.sampled_from(known), TEXT)
        return st.one_of(one, one, st.lists(one, max_size=3), *([FILES] if files else []))

    chosen = st.lists(st.one_of(st.sampled_from(names), st.text(max_size=12)), max_size=12)
    return chosen.flatmap(
        lambda keys: st.fixed_dictionaries({key: value_for(key) for key in dict.fromkeys(keys)})
    )


def targets(world_args):
    found = []
    for name, pattern in all_urls():
        args = list(world_args.get(name, []))
        if name in WORDS:
            slot, words = WORDS[name]
            position = list(pattern.pattern.converters).index(slot)
            for word in words:
                found.append(
                    (f"{name}[{word}]", name, args[:position] + [word] + args[position + 1 :])
                )
        else:
            found.append((name, name, args))
    return found


def actor(name, personas):
    if name.startswith("residents:") and name != "residents:qr_sheet":
        return None
    if name.startswith(("open311:", "api:")):
        return "api key"  # a residents' app with its key (the webhook refuses it: unsigned)
    if name.startswith(STREET_LEVEL):
        return personas.street_staff
    return personas.officer_funan


def fuzz(client, method, url, label, strategy, examples, figures):
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=strategy)
    def send(data):
        cache.clear()  # the residents' rate limits would otherwise stop the fuzzing early
        response = getattr(client, method)(url, data)
        figures[method] += 1
        figures["statuses"][response.status_code] = (
            figures["statuses"].get(response.status_code, 0) + 1
        )
        assert response.status_code < 500, (label, data)
        # A limit is said in the page's words, naming its field.
        if response.get("Content-Type", "").startswith("text/html"):
            text = response.content.decode(errors="replace")
            assert not any(words in text for words in FRAMEWORKS_WORDS), (label, data)

    send()


# The targets in three shares, each a test of its own that `make test` may run in another
# process (tests/conftest.py, SPREAD): one test of a minute was the suite's last minute.
SHARES = 3


@pytest.mark.timeout(300)  # a share of every URL with its sample of bodies: under a minute
@pytest.mark.parametrize("share", range(SHARES))
def test_random_post_bodies_and_query_strings_never_end_in_a_500(personas, world, share):  # noqa: F811
    owner = Client()
    owner.force_login(personas.officer_funan)
    offered = form_fields(owner, world)
    clients = {}
    figures = {"targets": 0, "post": 0, "get": 0, "get_only": 0, "statuses": {}}
    started = time.monotonic()

    for label, name, args in targets(world)[share::SHARES]:
        user = actor(name, personas)
        if user not in clients:
            clients[user] = Client()
            if user == "api key":
                clients[user] = Client(HTTP_X_API_KEY=world["_api_key"])
            elif user is not None:
                clients[user].force_login(user)
        client = clients[user]
        url = reverse(name, args=args)
        figures["targets"] += 1
        if name == "logout" or client.post(url).status_code == 405:
            figures["get_only"] += 1  # refuses every POST before reading it
        else:
            fuzz(client, "post", url, label, bodies(offered), EXAMPLES, figures)
        fuzz(client, "get", url, label, bodies(offered, files=False), QUERY_EXAMPLES, figures)
        if user is not None and name in ("login", "password_change", "set_language"):
            clients[user] = Client()  # the fuzzing may have logged it out or switched language
            clients[user].force_login(user)

    seconds = time.monotonic() - started
    print(
        f"\n[fuzz, share {share + 1} of {SHARES}] {figures['targets']} targets "
        f"({figures['get_only']} take GET only), "
        f"{figures['post']} POST bodies ({EXAMPLES} per target), {figures['get']} query strings "
        f"({QUERY_EXAMPLES} per target), 0 server errors, {seconds:.0f} s; "
        f"statuses {dict(sorted(figures['statuses'].items()))}"
    )
