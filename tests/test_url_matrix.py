"""Every URL the app serves × every outsider role × GET and POST, from the URL resolver.

The world has one of everything in 富南社区 (a case with a photo, a task and an escalation, a
meeting with an agenda item, a notification, an import batch), marked with names and a phone
that must never reach an outsider's page. A URL the matrix does not know fails the test, so a
new page cannot ship without its access check. An outsider's request is refused with 404 or
403 (405 where a page takes only GET or only POST: it refuses before touching any object).
"""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cases.models import CasePhoto, Escalation, State, Task
from cases.photos import clean_photo
from cases.workflow import add_photo
from grids.models import ImportBatch
from meetings.models import AgendaItem, Meeting
from notifications.models import Notification
from tests.factories import CaseFactory, upload

pytestmark = pytest.mark.django_db
MARKERS = ["富南居民甲", "13700001234", "FUNAN-MARKER", "富南会议室MARKER"]
REFUSED = {403, 404, 405}
OUTSIDERS = ["worker_cg1", "worker_cg2", "officer_chunguang", "other_street_staff", "no_role"]
# People with two roles, neither of them in 富南社区 (tests/conftest.py `mixed`).
MIXED_OUTSIDERS = ["staff_there_worker_cg1", "officer_there_worker_cg2"]
# Pages anyone may open, by design: the residents' public pages and the login pages.
PUBLIC = {
    "residents:start",
    "residents:community",
    "residents:building",
    "residents:place",
    "residents:status",
    "residents:rate",
    "residents:case_status",
    "residents:rated",
    "residents:switch",
    "login",
    "logout",
    "set_language",
    "password_change",
    "password_change_done",
    "home",
    "manifest",
    "favicon",
    # Partners' discovery and service list, the API schema and its page (no personal data).
    "open311:discovery",
    "open311:services",
    "open311:service",
    "api:schema",
    "api:docs",
    # The user guide, built from docs/ (no data of the app; common/help.py).
    "help_index",
    "help",
    # A meeting's public page, for those told of it by SMS: the signed, expiring token in its
    # address is the permission (meetings/public.py, tests/test_told_when_concerned.py).
    "meeting_public",
}
# Called with the hotline's signature, never a session: 401 without one.
KEYED = {"api:hotline_webhook"}
# Open311 reads anyone may make (GeoReport v2): public fields only, so no marker either.
PUBLIC_READS = {"open311:requests", "open311:request"}


def all_urls():
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if inner == "admin":  # the admin goes through the scope itself (test_admin)
                    continue
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name, pattern

    return list(walk(get_resolver().url_patterns))


@pytest.fixture
def world(places, personas):
    officer = personas.officer_funan
    case = CaseFactory(
        grid=places.fn1,
        building=places.buildings[places.fn1],
        resident_name="富南居民甲",
        resident_phone="13700001234",
        description="FUNAN-MARKER 楼道漏水",
        state=State.DECIDED,
        owner=officer,
    )
    add_photo(case, clean_photo(upload()), officer)
    task = Task.objects.create(
        case=case,
        title="FUNAN-MARKER 任务",
        owner_user=officer,
        due_date=timezone.localdate(),
        created_by=officer,
    )
    escalation = Escalation.objects.create(case=case, reason="逾期", raised_by=officer)
    meeting = Meeting.objects.create(
        street=places.street,
        community=places.funan,
        kind="monthly",
        starts_at=timezone.now(),
        venue_kind="room",
        address="富南会议室MARKER",
        host=officer,
    )
    item = AgendaItem.objects.create(meeting=meeting, case=case, status="decided", plan="方案")
    notification = Notification.objects.create(
        rule="x",
        object_key="case:1",
        due_at=timezone.now(),
        recipient_key=f"user:{officer.pk}",
        user=officer,
        title="FUNAN-MARKER 提醒",
    )
    batch = ImportBatch.objects.create(
        street=places.street,
        file_name="x.csv",
        uploaded_by=officer,
        content=b"",
        status=ImportBatch.Status.values[0],
    )
    photo = CasePhoto.objects.get(case=case)
    problem = _recurring_problem(places, case)
    interop = _interop_world(places, personas, case)
    return {
        **interop,
        "grids:street": [places.street.pk],
        "grids:community": [places.funan.pk],
        "grids:grid": [places.fn1.pk],
        "grids:building": [places.buildings[places.fn1].pk],
        "grids:import_batch": [batch.pk],
        "grids:import_apply": [batch.pk],
        "help": ["index.html"],
        "meeting_public": ["not-a-signed-token"],
        "cases:detail": [case.pk],
        "cases:move": [case.pk, "start"],
        "cases:offline_send_visit": [case.pk],
        "cases:phone": [case.pk],
        "cases:anonymise": [case.pk],
        "cases:photo": [case.pk, photo.pk],
        "cases:task_add": [case.pk],
        "cases:task_close": [case.pk, task.pk, "done"],
        "cases:escalate": [case.pk],
        "cases:escalation_answer": [case.pk, escalation.pk],
        "cases:link_duplicate": [case.pk],
        "cases:export": ["csv"],
        "meetings:detail": [meeting.pk],
        "meetings:edit": [meeting.pk],
        "meetings:notice": [meeting.pk, item.pk],
        "meetings:item_action": [meeting.pk, item.pk, "defer"],
        "meetings:action": [meeting.pk, "cancel"],
        "meetings:emergency": [case.pk],
        "recurring:detail": [problem.pk],
        "recurring:action": [problem.pk, "dismiss"],
        "notifications:open": [notification.pk],
        "reports:export": ["csv"],
        "audit:export": ["csv"],
        "residents:qr_sheet": ["grid", places.fn1.pk],
        "residents:community": [places.funan.pk],
        "residents:place": [places.buildings[places.fn1].public_code],
        "residents:building": [places.buildings[places.fn1].public_code],
    }


def _recurring_problem(places, case):
    """The marked case and another of its kind at its building: a recurring problem."""
    from recurring.grouping import group_cases
    from recurring.models import Problem

    CaseFactory(
        grid=places.fn1,
        building=places.buildings[places.fn1],
        category=case.category,
        description="FUNAN-MARKER 又漏水",
        created_at=case.created_at - timedelta(days=3),
    )
    group_cases()
    return Problem.objects.get()


def _interop_world(places, personas, case):
    """A resident app with a key and the hotline, both of 万青路街道; the marked case came
    from the hotline, with a status message and an order waiting in the inbox."""
    from interop import keys
    from interop.models import ExternalRef, InboxOrder, PartnerKind
    from interop.status_out import enqueue

    staff = personas.street_staff
    app = keys.create_partner(staff, places.street, "FUNAN-MARKER 应用", PartnerKind.APP)
    key, raw = keys.issue_key(staff, app, "k")
    hotline = keys.create_partner(staff, places.street, "热线", PartnerKind.HOTLINE)
    ref = ExternalRef.objects.create(
        case=case, partner=hotline, source="hotline", external_id="GD1"
    )
    from cases import history

    event = history.record(case, staff, "hotline_extension_requested", case.state, case.state)
    message = enqueue(case, ref, "sign", {"x": 1}, event)
    inbox = InboxOrder.objects.create(
        partner=hotline, order_number="GD2", payload={"address": "FUNAN-MARKER"}
    )
    return {
        "interop:key_create": [app.pk],
        "interop:key_revoke": [key.pk],
        "interop:outbox_retry": [message.pk],
        "interop:inbox_place": [inbox.pk],
        "interop:extension_request": [case.pk],
        "open311:service": [case.category_id],
        "open311:request": [case.tracking_code],
        "api:hotline_webhook": [hotline.pk],
        "_api_key": raw,
    }


def test_the_matrix_knows_every_url(world):
    unknown = [
        name for name, pattern in all_urls() if pattern.pattern.converters and name not in world
    ]
    assert unknown == [], f"add these URLs to the access matrix: {unknown}"


@pytest.mark.parametrize("outsider", OUTSIDERS + MIXED_OUTSIDERS)
def test_outsiders_are_refused_every_object_and_see_no_marker(
    personas, mixed, login, world, outsider
):
    client = login(getattr(personas, outsider, None) or getattr(mixed, outsider))
    # An outsider's own export: their places only (the access log: their own street's).
    exports = {"cases:export", "reports:export", "audit:export"}
    for name, pattern in all_urls():
        if name in PUBLIC:
            continue
        args = world.get(name, [])
        url = reverse(name, args=args)
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"cancel-reason": "x", "cases": [1]})
            body = response.content.decode(errors="ignore")
            for marker in MARKERS:
                assert marker not in body, (outsider, method, name, marker)
            refused = REFUSED | {401} if name in KEYED else REFUSED
            checked = pattern.pattern.converters or name in KEYED
            if checked and name not in exports and name not in PUBLIC_READS:
                assert response.status_code in refused, (
                    outsider,
                    method,
                    name,
                    response.status_code,
                )
    case_id = world["cases:detail"][0]
    from cases.models import Case

    assert Case.objects.get(pk=case_id).state == State.DECIDED
    assert Meeting.objects.get().state == "scheduled"


def test_the_owners_of_the_place_open_the_same_urls(personas, login, world):
    client = login(personas.officer_funan)
    for name in (
        "cases:detail",
        "cases:photo",
        "meetings:detail",
        "meetings:notice",
        "recurring:detail",
        "grids:grid",
        "residents:qr_sheet",
    ):
        assert client.get(reverse(name, args=world[name])).status_code == 200, name
