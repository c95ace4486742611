"""Deployment headers, CSRF on every POST, sessions, accounts that lose their place, and the
full table of who may make which move from which state."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from cases import workflow
from cases.models import Case, State
from tests.factories import CaseFactory
from tests.moves import by_form
from tests.test_url_matrix import PUBLIC, all_urls

pytestmark = pytest.mark.django_db


def test_every_response_carries_the_security_headers(personas, login, places):
    client = login(personas.worker_cg1)
    for url in (reverse("home"), reverse("cases:list"), reverse("residents:start"), "/nope/"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_case_pages_are_never_stored(personas, login, places):
    case = CaseFactory(grid=places.cg1)
    client = login(personas.worker_cg1)
    for url in (reverse("cases:list"), reverse("cases:detail", args=[case.pk])):
        assert "no-store" in client.get(url)["Cache-Control"]


API_NAMESPACES = {"api", "open311"}


def test_every_post_without_a_csrf_token_is_refused(personas, places):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.street_staff)
    case = CaseFactory(grid=places.cg1)
    refused = []
    for name, pattern in all_urls():
        if pattern.pattern.converters and name not in ("cases:detail", "cases:move"):
            continue
        args = {"cases:detail": [case.pk], "cases:move": [case.pk, "accept"]}.get(name, [])
        response = client.post(reverse(name, args=args), {"x": "1"})
        refused.append((name, response.status_code))
    # The partners' API takes no session: a logged-in browser's POST there has no key (403)
    # or no signature (401), or the URL takes GET only (405). Everything else wants the token.
    api = {name for name, _status in refused if name.split(":")[0] in API_NAMESPACES}
    assert all(status in (401, 403, 405) for name, status in refused if name in api)
    assert all(status == 403 for name, status in refused if name not in api), [
        r for r in refused if r[1] != 403 and r[0] not in api
    ]
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED


def test_the_session_key_changes_at_login(personas):
    client = Client()
    client.get(reverse("login"))
    before = client.cookies.get("sessionid")
    response = client.post(
        reverse("login"), {"username": "worker_cg1", "password": "youjie-demo-2026"}
    )
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert before is None or before.value != after


def test_a_deactivated_user_loses_access_at_the_next_request(personas, login, places):
    case = CaseFactory(grid=places.cg1)
    client = login(personas.worker_cg1)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    personas.worker_cg1.is_active = False
    personas.worker_cg1.save()
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_worker_moved_to_another_grid_loses_the_old_grid_at_the_next_request(
    personas, login, places
):
    case = CaseFactory(grid=places.cg1)
    client = login(personas.worker_cg1)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    Role.objects.filter(user=personas.worker_cg1).update(grid=places.cg2)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404


def test_a_forced_error_gives_the_plain_500_page(client, settings):
    from django.test import override_settings

    client.raise_request_exception = False
    with override_settings(ROOT_URLCONF="tests.urls_with_error", DEBUG=False):
        response = client.get("/boom/")
    assert response.status_code == 500
    assert "Traceback" not in response.content.decode() and "出错" in response.content.decode()


# Every move × role × own/other place × source state: only the allowed table succeeds ---------
ALLOWED = {
    # move: (source states, roles allowed on their own place)
    "accept": ({"submitted"}, {"officer", "street"}),
    "decline": ({"submitted"}, {"officer", "street"}),
    "assign": (
        {"accepted", "proposed", "deliberating", "decided", "in_progress"},
        {"officer", "street"},
    ),
    "propose": ({"accepted"}, {"officer", "street"}),
    "handle_directly": ({"accepted"}, {"officer", "street"}),
    "start": ({"decided"}, {"officer", "street"}),
    "resolve": ({"in_progress"}, {"officer", "street"}),
    "verify": ({"resolved"}, {"officer", "street", "worker"}),
    "reopen": ({"resolved", "verified"}, {"officer", "street", "worker"}),
    "deliberate": (set(), set()),  # only in a meeting
    "decide": (set(), set()),  # only in a meeting
}


def soon() -> str:
    """A deadline a month ahead (deadlines are within a year), read from the test's clock."""
    return (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")


FIELDS = {
    "accept": {"owner": None, "response_deadline": soon},
    "assign": {"owner": None, "response_deadline": soon},
    "decline": {"note": "不属于社区职责", "explanation": "请向物业反映"},
    "propose": {},
    "handle_directly": {"note": "简单事项"},
    "start": {},
    "resolve": {
        "outcome": "resolved",
        "note": "修好",
        "explanation_method": "phone",
        "explanation": "电话",
    },
    "verify": {"satisfaction": "satisfied", "note": "回访"},
    "reopen": {"note": "不满意", "back_to": "accepted"},
    "deliberate": {},
    "decide": {"plan": "方案"},
}
ROLES = {
    "officer": "officer_chunguang",
    "street": "street_staff",
    "worker": "worker_cg1",
    # Owns the case but holds another grid: ownership gives nothing outside one's places.
    "owner_elsewhere": "worker_cg2",
    "other_officer": "officer_funan",
    "other_street": "other_street_staff",
}


@pytest.mark.parametrize("move", sorted(ALLOWED))
def test_only_the_allowed_table_of_moves_succeeds(personas, places, move):
    sources, roles = ALLOWED[move]
    tried = succeeded = 0
    for state in State.values:
        for role, persona in ROLES.items():
            user = getattr(personas, persona)
            case = CaseFactory(
                grid=places.cg1,
                state=state,
                owner=personas.worker_cg2,
                resolved_by=personas.officer_funan,
            )
            data = {
                f"{move}-{k}": personas.officer_chunguang.pk
                if v is None
                else (v() if callable(v) else v)
                for k, v in FIELDS[move].items()
            }
            expected = state in sources and role in roles
            try:
                by_form(user, case.pk, move, data)
                done = True
            except workflow.MoveRefused:
                done = False
            tried += 1
            succeeded += done
            assert done is expected, (move, state, role)
            if not done:
                assert Case.objects.get(pk=case.pk).state == state
    print(f"\n[{move}] {tried} attempts, {succeeded} allowed")


def test_extra_post_fields_change_nothing(personas, login, places):
    from tests.test_case_logging import tap_request

    client = login(personas.worker_cg1)
    extra = {
        "state": "verified",
        "created_by": personas.street_staff.pk,
        "owner": personas.street_staff.pk,
        "street": places.other_street.pk,
        "community": places.funan.pk,
        "outcome": "resolved",
    }
    client.post(reverse("cases:new"), {**tap_request(places), **extra})
    case = Case.objects.get()
    assert (case.state, case.created_by, case.owner, case.street, case.community, case.outcome) == (
        State.SUBMITTED,
        personas.worker_cg1,
        None,
        places.street,
        places.chunguang,
        "",
    )
    officer = login(personas.officer_chunguang)
    officer.post(
        reverse("cases:move", args=[case.pk, "accept"]),
        {
            "accept-owner": personas.officer_chunguang.pk,
            "accept-response_deadline": soon(),
            "state": "verified",
            "accept-state": "verified",
            "grid": places.cg2.pk,
        },
    )
    case.refresh_from_db()
    assert (case.state, case.grid) == (State.ACCEPTED, places.cg1)


def test_no_get_request_changes_a_row(personas, login, places):
    from django.apps import apps

    case = CaseFactory(grid=places.cg1)
    models = [m for m in apps.get_models() if m._meta.app_label not in ("sessions",)]

    def counts():
        return {m._meta.label: m._default_manager.count() for m in models}

    before = counts()
    for persona in ("street_staff", "officer_chunguang", "worker_cg1"):
        client = login(getattr(personas, persona))
        for name, pattern in all_urls():
            if pattern.pattern.converters and name != "cases:detail":
                continue
            args = [case.pk] if name == "cases:detail" else []
            client.get(reverse(name, args=args))
    after = counts()
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    # The partners' call log records every call to the API, reads included: that is its point.
    changed.pop("interop.ApiCall", None)
    changed.pop("interop.UnidentifiedCall", None)  # a staff member's browser sends no key
    assert changed == {}
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED


def test_public_pages_are_in_the_list_of_pages_without_login():
    names = {name for name, _pattern in all_urls()}
    assert names >= PUBLIC
