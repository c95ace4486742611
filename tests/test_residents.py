"""Residents without an account: a request from a unit's QR code, the status lookup, the rating,
the limits that keep bots and guessers out, and the staff's QR sheets."""

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, Category, ResidentRating, State
from tests.factories import BuildingFactory, CaseFactory, UnitFactory, photo_bytes, upload
from tests.moves import by_form

pytestmark = pytest.mark.django_db
TAP = "水龙头滴滴答答响了一夜，早上起来连洗脸水都接不上啦！"


def qr_url(unit):
    return reverse("residents:place", args=[unit.public_code])


def tap(**overrides):
    data = {
        "category": Category.objects.get(name="水电气暖").pk,
        "description": TAP,
        "resident_name": "王大妈",
        "resident_phone": "13912345678",
        "website": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def unit(places):
    return places.leaders[places.cg1].unit


def test_a_resident_sends_the_dripping_tap_from_a_units_qr_code(
    client, places, personas, login, unit
):
    page = client.get(qr_url(unit)).content.decode()
    assert "春光第1网格小区1号楼 1单元" in page
    response = client.post(qr_url(unit), tap(photos=[upload()]), follow=True)
    case = Case.objects.get()
    assert response.status_code == 200 and case.tracking_code in response.content.decode()
    assert (case.grid, case.unit, case.state, case.channel) == (
        places.cg1,
        unit,
        State.SUBMITTED,
        "online",
    )
    assert case.created_by is None and case.photos.count() == 1
    worker_list = login(personas.worker_cg1).get(reverse("cases:list")).content.decode()
    assert case.tracking_code in worker_list
    other_list = login(personas.worker_cg2).get(reverse("cases:list")).content.decode()
    assert case.tracking_code not in other_list


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"resident_phone": "123"}, "11 位"),
        ({"description": ""}, "这个字段是必填项"),
        ({"category": "0"}, "选择一个有效的选项"),
        ({"photos": [upload("x.jpg", b"MZ\x90\x00 not an image")]}, "不是 JPEG、PNG 或 WebP"),
    ],
)
def test_bad_fields_get_a_clear_message_and_nothing_is_saved(client, unit, change, message):
    response = client.post(qr_url(unit), tap(**change), follow=True)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Case.objects.exists()


def test_the_honeypot_stops_a_bot(client, unit):
    response = client.post(qr_url(unit), tap(website="http://spam.example"), follow=True)
    assert response.status_code == 400 and not Case.objects.exists()


def test_an_unknown_qr_code_says_so(client):
    response = client.get(reverse("residents:place", args=["nope"]))
    assert response.status_code == 404 and "无法识别这个二维码" in response.content.decode()


def test_requests_are_limited_per_address_and_per_phone(client, unit, settings):
    settings.RESIDENT_SUBMISSIONS_PER_PHONE_PER_DAY = 2
    for _attempt in range(2):
        assert client.post(qr_url(unit), tap(), follow=True).status_code == 200
    third = client.post(qr_url(unit), tap(), follow=True)
    assert third.status_code == 429 and "这个电话今天已提交多次" in third.content.decode()
    settings.RESIDENT_SUBMISSIONS_PER_ADDRESS_PER_HOUR = 4
    client.post(qr_url(unit), tap(resident_phone="13900000001"), follow=True)
    fifth = client.post(qr_url(unit), tap(resident_phone="13900000002"), follow=True)
    assert fifth.status_code == 429 and "提交次数过多" in fifth.content.decode()
    assert Case.objects.count() == 3


def test_without_a_qr_code_a_resident_chooses_estate_building_and_unit(client, places):
    """小区, then its buildings in the order people count, then that building's units only."""
    cg2_building = places.buildings[places.cg2]
    for estate, name in [
        ("春光二区", "10号楼"),
        ("春光二区", "6号楼"),
        ("春光二区", "二号楼"),
        ("春光三区", "1号楼"),
    ]:
        BuildingFactory(grid=places.cg2, estate=estate, name=name)
    start = client.get(reverse("residents:start")).content.decode()
    community_url = reverse("residents:community", args=[places.chunguang.pk])
    assert community_url in start

    estates = client.get(community_url).content.decode()
    assert estates.index("春光第1网格小区") < estates.index("春光第2网格小区")
    assert estates.index("春光二区") < estates.index("春光三区")
    assert "号楼" not in estates and "单元" not in estates  # one short list per step

    buildings = client.get(community_url, {"estate": "春光二区"}).content.decode()
    assert buildings.index("二号楼") < buildings.index("6号楼") < buildings.index("10号楼")
    assert "1号楼" not in buildings  # other estates' buildings stay on their own pages

    second_unit = UnitFactory(building=cg2_building, name="2单元")
    UnitFactory(building=cg2_building, name="10单元")
    UnitFactory(building=places.buildings[places.cg1], name="3单元")  # another building's
    one_estate = client.get(community_url, {"estate": "春光第2网格小区"}).content.decode()
    building_url = reverse("residents:building", args=[cg2_building.public_code])
    assert building_url in one_estate
    units = client.get(building_url).content.decode()
    assert units.index("1单元") < units.index("2单元") < units.index("10单元")
    assert "3单元" not in units
    assert reverse("residents:place", args=[cg2_building.public_code]) in units  # whole building

    unit_url = reverse("residents:place", args=[second_unit.public_code])
    assert unit_url in units
    assert client.post(unit_url, tap(), follow=True).status_code == 200
    case = Case.objects.get()
    assert (case.grid, case.building, case.unit) == (places.cg2, cg2_building, second_unit)


def test_a_community_of_one_estate_goes_straight_to_its_buildings(client, places):
    page = client.get(reverse("residents:community", args=[places.funan.pk])).content.decode()
    building = places.buildings[places.fn1]
    assert reverse("residents:building", args=[building.public_code]) in page


def test_unknown_estates_buildings_and_communities_are_404(client, places):
    community_url = reverse("residents:community", args=[places.chunguang.pk])
    assert client.get(community_url, {"estate": "没有这个小区"}).status_code == 404
    assert client.get(reverse("residents:building", args=["nope"])).status_code == 404
    assert client.get(reverse("residents:community", args=[999999])).status_code == 404
    assert client.post(community_url, tap()).status_code == 405


def test_a_building_without_units_goes_to_the_request_form(client, places):
    building = BuildingFactory(grid=places.cg1, estate="春光小区", name="3号楼")
    response = client.get(reverse("residents:building", args=[building.public_code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("residents:place", args=[building.public_code])


# Status lookup ------------------------------------------------------------------------------
def lookup(client, code, last4):
    """The lookup as a browser makes it: the answer to the POST is the page it leads to."""
    return client.post(
        reverse("residents:status"), {"tracking_code": code, "phone_last4": last4}, follow=True
    )


def test_the_lookup_shows_the_stages_and_nothing_else(client, places):
    case = CaseFactory(grid=places.cg1, resident_phone="13912345678", resident_name="王大妈")
    response = lookup(client, case.tracking_code.lower(), "5678")
    page = response.content.decode()
    assert response.status_code == 200 and "已收到（点单）" in page
    assert "王大妈" not in page and "13912345678" not in page and case.description not in page


def test_a_declined_request_tells_its_resident_what_the_officer_wrote_for_them(
    client, places, personas
):
    case = CaseFactory(grid=places.cg1, resident_phone="13912345678")
    officer = Client()
    officer.force_login(personas.officer_chunguang)
    url = reverse("cases:move", args=[case.pk, "decline"])
    decline = {"decline-note": "物业范围，王经理说不归我们"}
    # The staff's reason alone is refused: the resident must be told something.
    refused = officer.post(url, decline)
    assert refused.status_code == 400 and "这个字段是必填项" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED
    told = "物业负责，请于2026-12-10前拨打物业电话 138 0000 1111 或 0472-512 3456。"
    assert officer.post(url, {**decline, "decline-explanation": told}).status_code == 302
    page = lookup(client, case.tracking_code, "5678").content.decode()
    assert "未受理：请与社区联系" in page
    assert "物业负责，请于2026-12-10前拨打物业电话 138****1111 或 0472-****3456。" in page
    assert "王经理" not in page and "0000" not in page and "512" not in page


def test_a_wrong_code_and_a_wrong_phone_look_the_same(client, places):
    mine = CaseFactory(grid=places.cg1, resident_phone="13912345678")
    theirs = CaseFactory(grid=places.cg1, resident_phone="13800001111")
    wrong_phone = lookup(client, mine.tracking_code, "0000")
    wrong_code = lookup(client, "YJ00000000", "5678")
    crossed = lookup(client, theirs.tracking_code, "5678")  # their code, my phone
    for response in (wrong_phone, wrong_code, crossed):
        assert response.status_code == 404
        assert "没有与这个跟踪码和电话相符的诉求" in response.content.decode()
        assert theirs.tracking_code not in response.content.decode().replace(
            f'value="{theirs.tracking_code}"', ""
        )


def test_lookups_are_limited(client, places, settings):
    settings.RESIDENT_LOOKUPS_PER_ADDRESS_PER_10_MINUTES = 3
    case = CaseFactory(grid=places.cg1, resident_phone="13912345678")
    codes = ["YJ00000001", "YJ00000002", "YJ00000003"]
    assert [lookup(client, code, "1234").status_code for code in codes] == [404, 404, 404]
    blocked = lookup(client, case.tracking_code, "5678")  # even the right answer now waits
    assert blocked.status_code == 429 and "查询次数过多" in blocked.content.decode()


def test_guessing_the_last_four_digits_of_one_code_is_limited(client, places):
    case = CaseFactory(grid=places.cg1, resident_phone="13912345678")
    for guess in ("0000", "1111", "2222", "3333", "4444"):
        lookup(client, case.tracking_code, guess)
    assert lookup(client, case.tracking_code, "5678").status_code == 429


# Rating -----------------------------------------------------------------------------------
def verified(case, personas):
    officer, worker = personas.officer_chunguang, personas.worker_cg1
    case.state, case.owner = State.IN_PROGRESS, officer
    case.save()
    by_form(
        officer,
        case.pk,
        "resolve",
        {
            "resolve-outcome": "resolved",
            "resolve-note": "换了管道",
            "resolve-explanation_method": "home_visit",
            "resolve-explanation": "已更换地下锈蚀管道，施工期间临时供水",
        },
    )
    by_form(
        worker,
        case.pk,
        "verify",
        {"verify-satisfaction": "satisfied", "verify-note": "用水正常"},
    )


def test_after_the_follow_up_visit_the_resident_rates_once(client, places, personas, login):
    case = CaseFactory(grid=places.cg1, resident_phone="13912345678")
    assert 'data-testid="rating"' not in lookup(client, case.tracking_code, "5678").content.decode()
    verified(case, personas)
    page = lookup(client, case.tracking_code, "5678").content.decode()
    assert "已更换地下锈蚀管道，施工期间临时供水" in page and 'data-testid="rating"' in page
    response = client.post(
        reverse("residents:rate"), {"satisfaction": "basically", "comment": "很及时"}, follow=True
    )
    assert response.status_code == 200 and ResidentRating.objects.get().satisfaction == "basically"
    assert response.redirect_chain == [(reverse("residents:rated"), 302)]
    again = client.post(reverse("residents:rate"), {"satisfaction": "unsatisfied"})
    assert again.status_code == 409 and ResidentRating.objects.count() == 1
    assert CaseEvent.objects.filter(case=case, move="rated").count() == 1
    case_page = (
        login(personas.worker_cg1).get(reverse("cases:detail", args=[case.pk])).content.decode()
    )
    assert "很及时" in case_page and "居民评价" in case_page


def test_rating_needs_a_lookup_first(client, places, personas):
    case = CaseFactory(grid=places.cg1, resident_phone="13912345678")
    verified(case, personas)
    response = client.post(reverse("residents:rate"), {"satisfaction": "satisfied"})
    assert response.status_code == 403 and not ResidentRating.objects.exists()


def test_a_rating_counts_in_the_satisfaction_rate(client, places, personas, login):
    from django.utils import timezone

    case = CaseFactory(grid=places.cg1, resident_phone="13912345678")
    verified(case, personas)
    lookup(client, case.tracking_code, "5678")
    client.post(reverse("residents:rate"), {"satisfaction": "unsatisfied"})
    month = timezone.localdate().strftime("%Y-%m")
    total = (
        login(personas.street_staff)
        .get(reverse("reports:report"), {"month": month})
        .context["total"]
    )
    assert total["with_satisfaction"] == 2 and total["satisfaction_rate"] == 50.0


# QR sheets ----------------------------------------------------------------------------------
def test_a_grid_worker_prints_the_qr_codes_of_their_grid_only(personas, places, login, unit):
    client = login(personas.worker_cg1)
    sheet = client.get(reverse("residents:qr_sheet", args=["grid", places.cg1.pk])).content.decode()
    assert sheet.count("<svg") == 2 and unit.public_code in sheet and "1单元" in sheet
    building = places.buildings[places.cg1]
    assert (
        client.get(reverse("residents:qr_sheet", args=["building", building.pk])).status_code == 200
    )
    assert (
        client.get(reverse("residents:qr_sheet", args=["grid", places.cg2.pk])).status_code == 404
    )
    assert (
        client.get(reverse("residents:qr_sheet", args=["street", places.cg1.pk])).status_code == 404
    )


def test_public_pages_need_no_login_and_staff_pages_do(client, places):
    assert client.get(reverse("residents:start")).status_code == 200
    assert client.get(reverse("residents:status")).status_code == 200
    sheet = client.get(reverse("residents:qr_sheet", args=["grid", places.cg1.pk]))
    assert sheet.status_code == 302 and "/login/" in sheet["Location"]


def test_photo_bytes_helper_makes_a_jpeg():
    assert photo_bytes()[:2] == b"\xff\xd8"


def test_large_text_mode_is_a_cookie_that_returns_to_the_page_and_only_to_this_site(client):
    start = reverse("residents:start")
    response = client.post(reverse("residents:switch"), {"large": "1", "next": start})
    assert response.status_code == 302 and response["Location"] == start
    assert response.cookies["large_text"].value == "1"
    assert 'class="large-text"' in client.get(start).content.decode()
    # A next address on another site is not followed.
    response = client.post(
        reverse("residents:switch"), {"large": "0", "next": "https://evil.example/"}
    )
    assert response["Location"] == start
    assert 'class="large-text"' not in client.get(start).content.decode()
    assert client.get(reverse("residents:switch")).status_code == 405


def test_reloading_the_page_with_the_tracking_code_sends_nothing_again(client, unit):
    sent = client.post(qr_url(unit), tap())
    assert sent.status_code == 302 and sent["Location"] == reverse("residents:submitted")
    code = Case.objects.get().tracking_code
    for _reload in range(3):
        page = client.get(reverse("residents:submitted"))
        assert page.status_code == 200 and code in page.content.decode()
    assert Case.objects.count() == 1
    # Another browser has sent nothing: it is shown the start, not someone's code.
    from django.test import Client

    other = Client().get(reverse("residents:submitted"))
    assert other.status_code == 302 and other["Location"] == reverse("residents:start")


def test_a_residents_own_typing_mistakes_do_not_use_up_the_connections_allowance(
    client, unit, settings
):
    settings.RESIDENT_SUBMISSIONS_PER_ADDRESS_PER_HOUR = 2
    for _mistake in range(5):
        assert client.post(qr_url(unit), tap(resident_phone="12")).status_code == 400
    for n in range(2):
        sent = client.post(qr_url(unit), tap(resident_phone=f"1390000000{n}"))
        assert sent.status_code == 302
    assert client.post(qr_url(unit), tap(resident_phone="13900000009")).status_code == 429
    assert Case.objects.count() == 2


@pytest.mark.parametrize("next_url", ["x:y", "https://evil.example/", "//evil.example/", ""])
def test_the_large_text_switch_goes_back_only_to_a_page_of_this_site(client, next_url):
    response = client.post(reverse("residents:switch"), {"large": "1", "next": next_url})
    assert response.status_code == 302 and response["Location"] == reverse("residents:start")


def test_the_apps_name_leads_a_resident_to_their_start_not_the_staff_login(client, unit):
    page = client.get(qr_url(unit)).content.decode()
    brand = page.split('class="navbar-brand')[1].split(">")[0]
    assert f'href="{reverse("residents:start")}"' in brand


def test_a_photo_chosen_before_a_mistake_is_asked_for_again_not_dropped_silently(client, unit):
    sent = client.post(qr_url(unit), {**tap(resident_phone="12"), "photos": upload()})
    page = sent.content.decode()
    assert sent.status_code == 400 and "表单退回时不会保留已选的文件：请在提交前重新选择" in page
    assert "王大妈" in page and not Case.objects.exists()  # the typed text stays; nothing saved
    # Without a photo chosen, a mistake says nothing of files.
    plain = client.post(qr_url(unit), tap(resident_phone="12")).content.decode()
    assert "重新选择" not in plain


def test_a_switch_pressed_with_a_photo_chosen_asks_for_it_again(client, unit):
    # The switch sends the form as text (formenctype): a chosen file comes as its name.
    data = {**tap(), "large": "1", "next": qr_url(unit), "photos": "tap.jpg"}
    response = client.post(
        reverse("residents:switch"),
        urlencode(data),
        content_type="application/x-www-form-urlencoded",
        follow=True,
    )
    page = response.content.decode()
    assert "表单退回时不会保留已选的文件：请在提交前重新选择" in page and "王大妈" in page
    again = client.post(reverse("residents:switch"), {"large": "0", "next": qr_url(unit)})
    assert "重新选择" not in client.get(again["Location"]).content.decode()


def test_the_lookup_gives_the_meetings_time_and_place_then_its_decision(
    client, places, personas, django_assert_max_num_queries
):
    """A resident whose request goes to a meeting reads when and where it sits; once it has
    decided, what was decided in the notice's words, who does what by when, and until when to
    object, with no one's phone."""
    import time_machine

    from accounts.scope import Scope
    from cases.inputs import NewTask
    from meetings import workflow
    from meetings.inputs import ItemDecision
    from tests.factories import EmergencySessionFactory, attendees

    officer = personas.officer_funan
    benches = CaseFactory(
        grid=places.fn1,
        building=places.buildings[places.fn1],
        resident_phone="13912345678",
        description="金苑小区广场的连体桌椅破损",
        state=State.PROPOSED,
        owner=officer,
    )
    session = EmergencySessionFactory(community=places.funan, host=officer)
    scope = Scope.for_user(officer)
    workflow.add_to_agenda(scope, officer, session.pk, [benches.pk])
    page = lookup(client, benches.tracking_code, "5678").content.decode()
    at = timezone.localtime(session.starts_at)
    when = f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"
    told = f"您的诉求将在 {when} 的社区议事协商会上讨论（社区会议室 · 社区居委会二楼），欢迎参加。"
    assert told in re.sub(r"<[^>]+>", "", page)
    assert 'data-testid="decision"' not in page
    with time_machine.travel(session.starts_at):
        workflow.open_meeting(scope, officer, session.pk)
        attendees(session, 10)
        item = session.items.get()
        due = timezone.localdate() + timedelta(days=14)
        workflow.record_decision(
            scope,
            officer,
            session.pk,
            item.pk,
            ItemDecision(
                discussion="居民代表、物业共同讨论，李师傅 13800001111 愿意帮忙",
                plan="翻修连体桌椅，联系李师傅 13800001111",
                votes_for=8,
                responsible="社区、物业",
                public_wording="决定翻修广场连体桌椅，由物业负责。",
                tasks=(NewTask(title="物业翻修桌椅", due_date=due, owner_user=officer),),
            ),
        )
        decided_on = timezone.localdate()
    page = re.sub(r"<[^>]+>", "", lookup(client, benches.tracking_code, "5678").content.decode())
    assert "决定翻修广场连体桌椅，由物业负责。" in page
    assert f"物业翻修桌椅（富南社区，{due.year}年{due.month}月{due.day}日前完成）" in page
    last = decided_on + timedelta(days=6)
    assert f"公示至 {last.year}年{last.month}月{last.day}日，如有疑问或异议，请与社区联系。" in page
    assert "13800001111" not in page and "李师傅" not in page and "社区议事协商会上讨论" not in page
    with django_assert_max_num_queries(9):  # the decision and its tasks: one query each
        client.get(reverse("residents:case_status"))


def test_the_lookup_says_only_what_is_true_of_a_meeting_gone_by_and_a_bare_decision(
    client, places, personas
):
    """A meeting set for a time gone by and never opened does not welcome the resident to it;
    a decision recorded without words for residents shows none of the staff's plan (which
    may name people), and a dropped task is not listed; an anonymised request is no longer
    shown, even to the browser that looked it up before."""

    from accounts.scope import Scope
    from cases import workflow as cases_workflow
    from cases.inputs import NewTask
    from cases.models import TaskStatus
    from cases.retention import anonymise
    from meetings import workflow
    from meetings.inputs import ItemDecision
    from tests.factories import EmergencySessionFactory, attendees

    officer = personas.officer_funan
    benches = CaseFactory(
        grid=places.fn1,
        resident_phone="13912345678",
        state=State.PROPOSED,
        owner=officer,
        created_at=timezone.now() - timedelta(days=5),
    )
    session = EmergencySessionFactory(
        community=places.funan, host=officer, starts_at=timezone.now() - timedelta(days=2)
    )
    scope = Scope.for_user(officer)
    workflow.add_to_agenda(scope, officer, session.pk, [benches.pk])
    page = re.sub(r"<[^>]+>", "", lookup(client, benches.tracking_code, "5678").content.decode())
    at = timezone.localtime(session.starts_at)
    when = f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"
    assert f"您的诉求已提交 {when} 的社区议事协商会讨论，结果记录后会显示在这里。" in page
    assert "欢迎参加" not in page
    workflow.open_meeting(scope, officer, session.pk)
    attendees(session, 10)
    due = timezone.localdate() + timedelta(days=14)
    workflow.record_decision(
        scope,
        officer,
        session.pk,
        session.items.get().pk,
        ItemDecision(
            discussion="讨论",
            plan="请李师傅 13800001111 维修",
            votes_for=8,
            responsible="物业",
            tasks=(
                NewTask(title="物业翻修桌椅", due_date=due, owner_user=officer),
                NewTask(title="李师傅先看看", due_date=due, owner_user=officer),
            ),
        ),
    )
    dropped = benches.tasks.get(title="李师傅先看看")
    cases_workflow.close_task(
        scope, officer, benches.pk, dropped.pk, TaskStatus.DROPPED, drop_reason="不需要了"
    )
    page = re.sub(r"<[^>]+>", "", client.get(reverse("residents:case_status")).content.decode())
    assert "已作出决定，详见社区公示栏。" in page and "物业翻修桌椅" in page
    assert "李师傅" not in page and "13800001111" not in page
    anonymise([benches.pk], user=officer, reason="测试")
    page = client.get(reverse("residents:case_status")).content.decode()
    assert benches.tracking_code not in page
