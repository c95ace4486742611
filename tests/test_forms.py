"""Every form of the app is one of its page forms (common/forms.py), and what a person notices of
that: a text too long, a number too large, is said with the field's name and its limit in
words, never with Django's own words for "this value" (「确保该变量包含不超过 2000 字符」).

The walk sends one text longer than its field allows into every field with a limit on the
pages with forms, the staff's and the residents', and reads the answer."""

import importlib
import re

import django_filters
import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cases.models import Category, State
from tests.factories import CaseFactory
from tests.page_forms import STREET_STAFFS_PAGES, forms_of, officers_pages
from tests.test_residents import qr_url
from tests.test_url_matrix import world as world_of_fu_nan

world = world_of_fu_nan  # the fixture: one of everything in 富南社区
pytestmark = pytest.mark.django_db
# Django's own limit messages, in both languages.
STOCK = ["确保该变量", "确保该值", "Ensure this value", "Ensure this filename"]
PROJECT = {
    config.name
    for config in apps.get_app_configs()
    # The project's own apps: under its folder, and not installed packages (a virtualenv made
    # inside the project, as `make test` makes .venv, is under its folder too).
    if config.path.startswith(str(settings.BASE_DIR)) and "site-packages" not in config.path
}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_the_app_defines_is_one_of_its_page_forms():
    from common.forms import PageForm

    for app in PROJECT:
        for module in ("forms", "filters", "login"):
            try:
                importlib.import_module(f"{app}.{module}")
            except ModuleNotFoundError as missing:
                if missing.name != f"{app}.{module}":
                    raise
    ours = [
        form
        for form in _subclasses(forms.BaseForm)
        if form.__module__.split(".")[0] in PROJECT and form.__module__ != "common.forms"
    ]
    assert len(ours) > 30
    assert [f.__qualname__ for f in ours if not issubclass(f, PageForm)] == []
    filtersets = [
        f for f in _subclasses(django_filters.FilterSet) if f.__module__.split(".")[0] in PROJECT
    ]
    assert filtersets and all(issubclass(f._meta.form, PageForm) for f in filtersets)


def test_the_staffs_request_form_names_the_description_and_its_limit(personas, places, login):
    client = login(personas.worker_cg1)
    sent = {
        "grid": places.cg1.pk,
        "category": Category.objects.get(name="水电气暖").pk,
        "description": "滴" * 2100,
        "resident_name": "王大妈",
        "resident_phone": "13912345678",
        "channel": "visit",
        "urgency": "routine",
    }
    page = client.post(reverse("cases:new"), sent).content.decode()
    assert "“诉求内容”最多 2000 个字，现在有 2100 个字。" in page
    assert not any(stock in page for stock in STOCK)


def test_a_residents_rating_in_english_names_the_comment_and_its_limit(client, places):
    case = CaseFactory(grid=places.cg1, state=State.VERIFIED, resident_phone="13912345678")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post(
        reverse("residents:status"), {"tracking_code": case.tracking_code, "phone_last4": "5678"}
    )
    page = client.post(
        reverse("residents:rate"), {"satisfaction": "satisfied", "comment": "x" * 3000}
    ).content.decode()
    message = "“Anything to add? (optional)” can be at most 500 characters long; it has 3000."
    assert message in page.replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert not any(stock in page for stock in STOCK)


def test_a_number_beyond_its_limit_is_said_with_the_fields_name(personas, places, login):
    """A decision's votes: 「确保该值小于或等于999」 said nothing of which of the three."""
    from meetings.forms import DecisionForm

    form = DecisionForm({"item-votes_for": "1000", "item-votes_against": "-1"}, prefix="item")
    assert form.errors["votes_for"] == ["“赞成”不能大于 999。"]
    assert form.errors["votes_against"] == ["“反对”不能小于 0。"]


LIMITED = re.compile(r"“([^”]+)”最多 (\d+) 个字，现在有 (\d+) 个字。")


def too_long_into_every_field(client, url) -> set[str]:
    """Each field with a limit on the page, one at a time: one character too many, sent as its
    form sends it. The names of the fields whose answer named them and their limit."""
    page = client.get(url)
    if page.status_code != 200:
        return set()
    html = page.content.decode()
    said = set()
    for form in forms_of(html):
        for field in form.fields:
            if not form.in_main or field.maxlength is None or field.type == "hidden":
                continue
            sent = {**form.data(), field.name: "字" * (field.maxlength + 1)}
            target = form.action or url
            if form.method == "get":
                answer = client.get(target, sent, follow=True)
            else:
                answer = client.post(target, sent, follow=True)
            text = answer.content.decode()
            assert not any(stock in text for stock in STOCK), (url, field.name)
            limits = LIMITED.findall(text)
            # The limit, and what was sent (a web address, written out in full, is longer).
            assert any(
                int(n) == field.maxlength and int(m) > field.maxlength for _l, n, m in limits
            ), (url, field.name, limits)
            label = re.search(rf'<label[^>]*for="{field.id}"[^>]*>\s*([^<]+?)\s*<', html)
            if field.typed_text and label:  # drawn by a form of the app: named by its label
                assert label.group(1) in {name for name, _n, _m in limits}, (url, field.name)
            said.add(field.name)
    return said


def test_every_limited_field_of_every_page_names_itself_and_its_limit(
    world, places, personas, login
):
    client = login(personas.officer_funan)
    said = set()
    for url in officers_pages(client, world):
        said |= too_long_into_every_field(client, url)
    staff = login(personas.street_staff)
    for name in STREET_STAFFS_PAGES:
        said |= too_long_into_every_field(staff, reverse(name))
    resident = Client()
    for url in (qr_url(places.leaders[places.cg1].unit), reverse("residents:status")):
        said |= too_long_into_every_field(resident, url)
    assert {"description", "resident_name", "q", "address", "guest-name", "tracking_code"} <= said
    assert len(said) > 20, said


def test_the_checks_a_move_makes_again_name_the_field_over_its_limit(personas, places):
    """A move checks its texts again under its lock (for callers without a page's form, such
    as the interfaces): its message names the field as the page's form does."""
    from accounts.scope import Scope
    from cases import workflow
    from meetings import checks
    from meetings.inputs import Cancellation, Guest

    assert checks.guest(Guest(name="字" * 51)) == {
        "name": "“来宾姓名”最多 50 个字，现在有 51 个字。"
    }
    assert checks.cancellation(Cancellation(reason="字" * 501))["reason"] == (
        "“原因”最多 500 个字，现在有 501 个字。"
    )
    from datetime import timedelta

    from django.utils import timezone

    late = timezone.now() - timedelta(days=1)
    case = CaseFactory(grid=places.cg1, state=State.ACCEPTED, response_deadline=late)
    worker = personas.worker_cg1
    with pytest.raises(workflow.MoveRefused) as refused:
        workflow.escalate(Scope.for_user(worker), worker, case.pk, "字" * 1001)
    assert LIMITED.findall(refused.value.errors["reason"]) == [
        ("为什么需要街道督办", "1000", "1001")
    ]
