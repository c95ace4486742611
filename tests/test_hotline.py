"""The city's 12345 hotline: work orders in through a signed webhook, status back through
the outbox, against a stand-in platform on loopback."""

import json
import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.scope import Scope
from cases.inputs import Reason, Resolution
from cases.models import Case, CaseEvent, Channel, State
from cases.workflow import perform
from interop import status_out
from interop.models import (
    ApiCall,
    ExternalRef,
    InboxOrder,
    ReceivedMessage,
    UnidentifiedCall,
)
from interop.partner_post import UNREACHABLE
from interop.tasks import remove_old_unidentified_calls
from outbox.dispatch import deliver_due
from outbox.models import State as OutboxState
from tests.hotline_standin import StandInHotline
from tests.interop_helpers import (
    accept,
    finish,
    hotline_partner,
    order,
    post_signed,
    status_messages,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hotline(places, personas):
    return hotline_partner(places, personas.street_staff)


def nothing_saved():
    return (
        Case.objects.count() == 0
        and InboxOrder.objects.count() == 0
        and ReceivedMessage.objects.count() == 0
    )


def test_an_order_becomes_a_case_with_its_number_and_deadlines(client, hotline, places):
    message = order()
    response = post_signed(client, hotline, message)
    assert response.status_code == 201
    case = Case.objects.get(tracking_code=response.json()["case"])
    assert case.channel == Channel.HOTLINE and case.state == State.SUBMITTED
    assert case.unit == places.leaders[places.cg1].unit
    assert case.resident_name == "李来电" and case.resident_phone == "13812345678"
    ref = case.external
    assert ref.external_id == "GD2026112700001"
    sign_by = ref.sign_deadline
    assert case.accept_by == sign_by and case.response_deadline == sign_by
    assert str(sign_by.timestamp()).split(".")[0] in str(
        int(timezone.datetime.fromisoformat(message["sign_deadline"]).timestamp())
    )


def test_a_redelivered_order_creates_nothing(client, hotline):
    first = post_signed(client, hotline, order())
    again = post_signed(client, hotline, order())  # a new message id, the same number
    assert again.status_code == 200
    assert again.json() == {"result": "duplicate", "case": first.json()["case"]}
    assert Case.objects.count() == 1


@pytest.mark.calendar
def test_an_order_is_overdue_once_its_sign_deadline_passes(client, hotline, personas, login):
    past = timezone.now() - timedelta(hours=3)
    post_signed(
        client,
        hotline,
        order(
            dispatched_at=(past - timedelta(hours=1)).isoformat(),
            sign_deadline=past.isoformat(),
        ),
    )
    page = login(personas.officer_chunguang).get("/notifications/overdue/")
    assert Case.objects.get().tracking_code in page.content.decode()


@pytest.mark.calendar
def test_accepting_bounds_the_owner_deadline_by_the_hotline_finish_deadline(
    client, hotline, personas
):
    post_signed(client, hotline, order())
    case = Case.objects.get()
    accept(case, personas.officer_chunguang, days=30)
    case.refresh_from_db()
    assert case.response_deadline == case.external.finish_deadline
    message = status_messages().get()
    assert message.kind == "sign" and message.payload["order_number"] == "GD2026112700001"


@pytest.mark.parametrize(
    "spoil, status, says",
    [
        (lambda m: {**m, "colour": "red"}, 400, "unknown fields: colour"),
        (lambda m: {k: v for k, v in m.items() if k != "caller_phone"}, 400, "missing"),
        (lambda m: {**m, "caller_phone": "123"}, 400, "caller_phone"),
        (lambda m: {**m, "content": 42}, 400, "content must be a string"),
        (lambda m: {**m, "content": "x" * 2001}, 400, "content"),
        (lambda m: {**m, "content": "坏\x07"}, 400, "control characters"),
        (lambda m: {**m, "sign_deadline": "tomorrow"}, 400, "sign_deadline"),
        (lambda m: {**m, "sign_deadline": "2026-11-27T10:00:00"}, 400, "offset"),
        (lambda m: {**m, "finish_deadline": m["dispatched_at"]}, 400, "finish_deadline"),
        # Offsets no place uses, and years that overflow once turned into UTC.
        (lambda m: {**m, "dispatched_at": "2026-11-27T10:00:00+99:00"}, 400, "±14:00"),
        (lambda m: {**m, "dispatched_at": "2026-11-27T10:00:00+23:59"}, 400, "±14:00"),
        (lambda m: {**m, "finish_deadline": "9999-12-31T23:59:59-14:00"}, 400, "2000 to 2099"),
        (lambda m: {**m, "dispatched_at": "0001-01-01T00:00:00+14:00"}, 400, "2000 to 2099"),
        (lambda m: {**m, "sign_deadline": "2026-02-30T10:00:00+08:00"}, 400, "sign_deadline"),
        (lambda m: {**m, "sign_deadline": 20261127}, 400, "sign_deadline"),
        (lambda m: {**m, "type": "cancel"}, 400, "type must be"),
        (lambda m: [m], 400, "JSON object"),
    ],
)
def test_malformed_orders_get_a_clear_4xx_and_nothing_is_saved(
    client, hotline, spoil, status, says
):
    response = post_signed(client, hotline, spoil(order()))
    assert response.status_code == status
    assert says in response.json()["error"]
    assert nothing_saved()


def test_bad_signatures_old_timestamps_and_replays_are_refused(client, hotline):
    message = order()
    assert post_signed(client, hotline, message, secret="wrong").status_code == 401
    old = str(int(time.time()) - 3600)
    response = post_signed(client, hotline, message, timestamp=old)
    assert response.status_code == 401 and "replay window" in response.json()["error"]
    unsigned = client.post(
        f"/api/hotline/{hotline.pk}/", json.dumps(message), content_type="application/json"
    )
    assert unsigned.status_code == 401
    assert nothing_saved()
    assert post_signed(client, hotline, message).status_code == 201
    replay = post_signed(client, hotline, message)  # the same message id again
    assert replay.status_code == 409 and "replay" in replay.json()["error"]
    assert Case.objects.count() == 1


def unsigned(client, hotline, address="203.0.113.7", **headers):
    return client.post(
        f"/api/hotline/{hotline.pk}/",
        json.dumps(order()),
        content_type="application/json",
        REMOTE_ADDR=address,
        **headers,
    )


def test_a_flood_of_unsigned_posts_never_stops_a_signed_order(client, hotline, settings):
    assert settings.API_CALLS_PER_KEY_PER_MINUTE == 120
    flood = [unsigned(client, hotline).status_code for _ in range(100)]
    flood += [
        unsigned(
            client,
            hotline,
            HTTP_X_HOTLINE_TIMESTAMP=str(int(time.time())),
            HTTP_X_HOTLINE_SIGNATURE="0" * 64,
        ).status_code
        for _ in range(50)
    ]
    # Refused as unsigned up to the address's limit, then 429 for that address alone.
    assert flood[:20] == [401] * 20 and set(flood[20:]) == {429}
    assert unsigned(client, hotline, address="198.51.100.9").status_code == 401
    # The hotline's own order, even from the flooding address, is taken at once.
    signed = post_signed(client, hotline, order(), REMOTE_ADDR="203.0.113.7")
    assert signed.status_code == 201 and Case.objects.count() == 1
    # Only the signed call is in the hotline's log; the flood left 21 rows that are forgotten.
    assert list(ApiCall.objects.values_list("partner", "status")) == [(hotline.pk, 201)]
    assert UnidentifiedCall.objects.count() == 21


def test_unidentified_calls_are_kept_a_week_and_a_bounded_number(client, hotline, settings):
    settings.UNIDENTIFIED_CALLS_KEEP_ROWS = 5
    for number in range(12):
        assert unsigned(client, hotline, address=f"198.51.100.{number}").status_code == 401
    assert UnidentifiedCall.objects.count() == 5
    # A wrong key is refused as GeoReport v2 says (403), in the log that forgets.
    assert client.get("/open311/v2/requests.json", HTTP_X_API_KEY="yj_0_wrong").status_code == 403
    assert UnidentifiedCall.objects.count() == 5 and not ApiCall.objects.exists()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert remove_old_unidentified_calls() == 5
        unsigned(client, hotline)
        assert UnidentifiedCall.objects.count() == 1


def test_oversized_non_json_and_wrong_type_bodies(client, hotline, settings):
    settings.HOTLINE_MAX_BODY_BYTES = 1000
    big = order(content="很长" * 400)
    assert post_signed(client, hotline, big).status_code == 413
    assert post_signed(client, hotline, None, body=b"{not json").status_code == 400
    settings.HOTLINE_MAX_BODY_BYTES = 64 * 1024  # deep nesting within the size limit
    assert post_signed(client, hotline, None, body=b"[" * 5000 + b"]" * 5000).status_code == 400
    form = client.post(f"/api/hotline/{hotline.pk}/", {"a": "b"})
    assert form.status_code in (401, 415)
    assert client.post("/api/hotline/999999/", {}).status_code == 404
    assert nothing_saved()


def test_an_unplaceable_order_waits_in_the_street_inbox(client, hotline, places, personas, login):
    response = post_signed(client, hotline, order(address="不知道哪里的某小区"))
    assert response.status_code == 202 and Case.objects.count() == 0
    again = post_signed(client, hotline, order(address="不知道哪里的某小区"))
    assert again.status_code == 200 and InboxOrder.objects.count() == 1
    inbox = InboxOrder.objects.get()
    staff = login(personas.street_staff)
    assert "GD2026112700001" in staff.get("/integration/").content.decode()
    from cases.models import Category

    placed = staff.post(
        f"/integration/inbox/{inbox.pk}/",
        {"grid": places.fn1.pk, "category": Category.objects.get(name="环境卫生").pk},
    )
    case = Case.objects.get()
    assert placed.status_code == 302 and case.grid == places.fn1
    assert case.channel == Channel.HOTLINE and case.external.external_id == "GD2026112700001"
    assert post_signed(client, hotline, order(address="x")).json()["case"] == case.tracking_code
    officer = Client()
    officer.force_login(personas.officer_chunguang)
    assert officer.get(f"/integration/inbox/{inbox.pk}/").status_code == 404


def test_a_visit_before_finishing_and_an_unknown_order_are_refused(client, hotline):
    post_signed(client, hotline, order())
    visit = {"type": "visit", "message_id": "v1", "order_number": "GD2026112700001"}
    early = post_signed(client, hotline, {**visit, "satisfaction": "satisfied"})
    assert early.status_code == 409
    unknown = post_signed(
        client,
        hotline,
        {**visit, "message_id": "v2", "order_number": "NOPE", "satisfaction": "satisfied"},
    )
    assert unknown.status_code == 404
    assert not CaseEvent.objects.filter(move="hotline_visit").exists()


@pytest.mark.django_db(transaction=True)
def test_a_whole_order_lifecycle_with_the_stand_in_platform(live_server, places, personas):
    with StandInHotline() as platform:
        hotline = hotline_partner(places, personas.street_staff, platform.status_url)
        platform.secret = hotline.webhook_secret
        url = live_server.url
        officer = personas.officer_chunguang

        status, answer = platform.send(url, hotline.pk, order())
        assert status == 201
        case = Case.objects.get(tracking_code=answer["case"])
        assert platform.send(url, hotline.pk, order())[0] == 200  # redelivered
        assert Case.objects.count() == 1

        # 签收 while the platform is down: the outbox keeps it and retries with backoff.
        platform.down = True
        accept(case, officer)
        deliver_due()
        message = status_messages().get(kind="sign")
        assert message.state == OutboxState.RETRYING and message.attempts == 1
        assert message.last_error == UNREACHABLE  # the 503 itself is in the server's log
        deliver_due()  # not yet due again: nothing is sent
        assert status_messages().get(kind="sign").attempts == 1
        with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
            deliver_due()
            message.refresh_from_db()
            assert message.state == OutboxState.RETRYING and message.attempts == 2
        platform.down = False
        with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
            deliver_due()
        message.refresh_from_db()
        assert message.state == OutboxState.SENT and message.attempts == 3
        deliver_due()  # sent is never sent again
        assert platform.kinds() == ["sign"] and len(platform.deliveries) == 1

        # 延期申请 and the hotline's answer.
        new_deadline = timezone.now() + timedelta(days=10)
        status_out.request_extension(
            Scope.for_user(officer), officer, case.pk, "需要物业配合", new_deadline
        )
        deliver_due()
        assert platform.kinds() == ["sign", "extension"]
        answer_deadline = (timezone.now() + timedelta(days=9)).isoformat()
        status, _answer = platform.send(
            url,
            hotline.pk,
            {
                "type": "extension_answer",
                "message_id": "ext-1",
                "order_number": "GD2026112700001",
                "approved": True,
                "new_finish_deadline": answer_deadline,
                "comment": "同意延期",
            },
        )
        assert status == 200
        case.refresh_from_db()
        assert case.external.finish_deadline.isoformat()[:16] == answer_deadline[:16]
        assert case.response_deadline == case.external.finish_deadline

        # 办结, then the hotline's 回访 with the caller's satisfaction.
        finish(case, officer)
        deliver_due()
        finished = platform.taken[status_messages().get(kind="finish").idempotency_key]
        assert finished["explanation"] == "楼道杂物已清理完毕，已电话告知。"
        status, _answer = platform.send(
            url,
            hotline.pk,
            {
                "type": "visit",
                "message_id": "visit-1",
                "order_number": "GD2026112700001",
                "satisfaction": "basically",
                "comment": "处理及时",
            },
        )
        assert status == 200
        visit = CaseEvent.objects.get(case=case, move="hotline_visit")
        assert visit.details == {"satisfaction": "basically", "source": "12345"}

        # Nothing lost, nothing twice: each message arrived and was taken once.
        assert sorted(platform.kinds()) == ["extension", "finish", "sign"]
        assert len(platform.deliveries) == len(platform.taken) == 3
        assert platform.refused_signatures == 0
        assert status_messages().filter(state=OutboxState.SENT).count() == 3

        # Every state is visible to staff on the case page and the integration page.
        staff = Client()
        staff.force_login(personas.street_staff)
        page = staff.get(f"/cases/{case.pk}/").content.decode()
        assert "GD2026112700001" in page and page.count('data-state="sent"') == 3
        assert "12345" in page
        integration = staff.get("/integration/").content.decode()
        assert case.tracking_code in integration
        assert ApiCall.objects.filter(partner=hotline).count() == 4


def test_a_declined_order_is_returned_with_its_reason(client, hotline, personas):
    post_signed(client, hotline, order())
    case = Case.objects.get()
    officer = personas.officer_chunguang
    perform(Scope.for_user(officer), officer, case.pk, "decline", Reason("不属于本街道管辖"))
    message = status_messages().get()
    assert message.kind == "return" and message.payload["reason"] == "不属于本街道管辖"


def test_a_message_that_keeps_failing_is_marked_failed_and_can_be_sent_again(
    client, hotline, personas, settings, login
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    post_signed(client, hotline, order())
    accept(Case.objects.get(), personas.officer_chunguang)
    deliver_due()  # nothing listens at 127.0.0.1:9
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
        deliver_due()
    message = status_messages().get()
    assert message.state == OutboxState.FAILED and message.last_error
    staff = login(personas.street_staff)
    page = staff.get("/integration/").content.decode()
    assert 'data-state="failed"' in page and "热线平台拒收了这条消息，或无法连接。" in page
    staff.post(f"/integration/outbox/{message.pk}/retry/")
    message.refresh_from_db()
    assert message.state == OutboxState.RETRYING


def test_the_extension_request_is_refused_for_other_cases_and_twice(
    client, hotline, personas, places, login
):
    post_signed(client, hotline, order())
    case = Case.objects.get()
    officer = login(personas.officer_chunguang)
    deadline = (timezone.localtime() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")
    officer.post(
        f"/integration/cases/{case.pk}/extension/", {"reason": "需要协调", "new_deadline": deadline}
    )
    officer.post(
        f"/integration/cases/{case.pk}/extension/", {"reason": "再次", "new_deadline": deadline}
    )
    assert status_messages().filter(kind="extension").count() == 1
    outsider = Client()
    outsider.force_login(personas.officer_funan)
    response = outsider.post(
        f"/integration/cases/{case.pk}/extension/", {"reason": "x", "new_deadline": deadline}
    )
    assert response.status_code == 404
    assert ExternalRef.objects.count() == 1


def test_an_extension_asks_for_a_date_after_the_orders_own_and_within_a_year(
    client, hotline, personas, login
):
    """The order must be finished within 5 days: asking for 3, or for two years, is refused with
    the order's own date in the message, and nothing goes to the hotline."""
    post_signed(client, hotline, order())
    case = Case.objects.get()
    finish_by = timezone.localtime(ExternalRef.objects.get().finish_deadline)
    officer = login(personas.officer_chunguang)
    url = f"/integration/cases/{case.pk}/extension/"
    said = {}
    for days in (3, 2 * 366):
        asked = (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")
        page = officer.post(url, {"reason": "需要协调", "new_deadline": asked}, follow=True)
        assert page.status_code == 200
        said[days] = page.content.decode()
    assert f"请申请晚于当前办结时限（{finish_by:%Y-%m-%d %H:%M}）的日期。" in said[3]
    assert "请申请当前办结时限之后一年以内的日期。" in said[2 * 366]
    assert not status_messages().filter(kind="extension").exists()
    assert not CaseEvent.objects.filter(case=case, move="hotline_extension_requested").exists()


def test_the_report_shows_the_hotline_three_rates_beside_all_cases(
    client, hotline, personas, places, login, django_assert_max_num_queries
):
    from cases.inputs import Visit
    from tests.factories import CaseFactory

    officer = personas.officer_chunguang
    post_signed(client, hotline, order())
    hotline_case = Case.objects.get()
    accept(hotline_case, officer)
    finish(hotline_case, officer)
    post_signed(
        client,
        hotline,
        {
            "type": "visit",
            "message_id": "visit-r",
            "order_number": "GD2026112700001",
            "satisfaction": "unsatisfied",
        },
    )
    walk_in = CaseFactory(grid=places.cg1, channel="walk_in")
    accept(walk_in, officer)
    scope = Scope.for_user(officer)
    perform(scope, officer, walk_in.pk, "handle_directly", Reason("上门"))
    perform(
        scope,
        officer,
        walk_in.pk,
        "resolve",
        Resolution("partly", "部分", "phone", "已部分处理。"),
    )
    perform(
        Scope.for_user(personas.worker_cg1),
        personas.worker_cg1,
        walk_in.pk,
        "verify",
        Visit("satisfied", "回访满意"),
    )
    month = timezone.localdate().strftime("%Y-%m")
    staff = login(personas.street_staff)
    with django_assert_max_num_queries(45) as counted:  # the hotline's figures: ~10 more
        page = staff.get(f"/reports/?month={month}")
    print(f"[report queries with 12345 orders] {len(counted.captured_queries)}")
    html = page.content.decode()
    section = html[html.index('data-testid="hotline-rates"') :]
    hotline_row = section[section.index('data-testid="hotline-row"') :]
    hotline_row = hotline_row[: hotline_row.index("</tr>")]
    all_row = section[section.index('data-testid="all-row"') :]
    all_row = all_row[: all_row.index("</tr>")]
    # Hotline: resolved 已解决 1/1, satisfaction 0/1 (the caller was not satisfied).
    assert "100.0%" in hotline_row and "0.0%" in hotline_row
    # All cases: resolution 1 of 2, satisfaction 1 of 2 (the visit and the hotline's call).
    resolved, satisfied = re.findall(r'data-label="(?:解决率|满意率)">([^<]*)</td>', all_row)
    assert (resolved, satisfied) == ("50.0%", "50.0%"), all_row
    assert page.context["total"]["hotline_visits"] == 1
    listed = login(personas.street_staff).get("/cases/?channel=12345").content.decode()
    assert hotline_case.tracking_code in listed and walk_in.tracking_code not in listed


def test_a_refused_extension_keeps_the_deadline_and_an_unasked_answer_is_refused(
    client, hotline, personas
):
    post_signed(client, hotline, order())
    case = Case.objects.get()
    officer = personas.officer_chunguang
    accept(case, officer)
    answer = {
        "type": "extension_answer",
        "order_number": "GD2026112700001",
        "approved": False,
        "comment": "不同意",
    }
    unasked = post_signed(client, hotline, {**answer, "message_id": "a1"})
    assert unasked.status_code == 409
    status_out.request_extension(
        Scope.for_user(officer), officer, case.pk, "需要协调", timezone.now() + timedelta(days=9)
    )
    before = Case.objects.get().response_deadline
    assert post_signed(client, hotline, {**answer, "message_id": "a2"}).status_code == 200
    case.refresh_from_db()
    assert case.response_deadline == before
    event = CaseEvent.objects.get(case=case, move="hotline_extension_answered")
    assert event.details["approved"] is False and event.note == "不同意"
    # Answered: staff may ask again.
    assert status_out.may_request_extension(Scope.for_user(officer), case)
