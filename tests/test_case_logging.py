"""Logging a request from a phone: the place in two taps, photos cleaned, bad input refused."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from cases.models import Case, CaseEvent, CasePhoto, Category, State
from tests.factories import CaseFactory, UnitFactory, photo_bytes, upload

pytestmark = pytest.mark.django_db


def tap_request(places, in_grid=None, **overrides):
    grid = in_grid or places.cg1
    unit = places.leaders[grid].unit
    data = {
        "grid": grid.pk,
        "building": unit.building_id,
        "unit": unit.pk,
        "category": Category.objects.get(name="水电气暖").pk,
        "description": "水龙头滴滴答答响了一夜，早上起来连洗脸水都接不上啦！",
        "resident_name": "王大妈",
        "resident_phone": "139 1234 5678",
        "channel": "phone",
        "urgency": "urgent",
    }
    data.update(overrides)
    return data


def test_a_grid_worker_with_one_grid_sees_its_buildings_at_once(personas, places, login):
    page = login(personas.worker_cg1).get(reverse("cases:new")).content.decode()
    assert "春光第1网格小区 1号楼" in page
    assert "富南第1网格小区" not in page and "友谊第1网格小区" not in page


def test_the_second_tap_offers_the_units_of_the_building(personas, places, login):
    client = login(personas.worker_cg1)
    building = places.buildings[places.cg1]
    page = client.get(reverse("cases:place_picker"), {"building": building.pk}).content.decode()
    assert "1单元" in page
    other = places.buildings[places.fn1]
    assert client.get(reverse("cases:place_picker"), {"building": other.pk}).status_code == 404
    assert client.get(reverse("cases:place_picker"), {"grid": "abc"}).status_code == 400


def test_logging_the_dripping_tap_with_a_photo(personas, places, login):
    client = login(personas.worker_cg1)
    data = tap_request(places, photos=[upload("../../etc/王大妈家.jpg")])
    response = client.post(reverse("cases:new"), data)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "cases:detail", args=[case.pk]
    )
    assert (case.grid, case.community, case.street) == (
        places.cg1,
        places.chunguang,
        places.street,
    )
    assert case.unit == places.leaders[places.cg1].unit and case.state == State.SUBMITTED
    assert case.resident_phone == "13912345678" and case.response_deadline > case.created_at
    assert CaseEvent.objects.get(case=case).move == "log"
    page = client.get(response["Location"]).content.decode()
    assert case.tracking_code in page and "139****5678" in page and "13912345678" not in page
    photo = CasePhoto.objects.get(case=case)
    assert "王大妈" not in photo.image.name and ".." not in photo.image.name
    assert photo.image.name.endswith(".jpg")
    stored = Image.open(
        io.BytesIO(client.get(reverse("cases:photo", args=[case.pk, photo.pk])).getvalue())
    )
    assert stored.format == "JPEG" and not stored.getexif().get_ifd(0x8825)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"resident_phone": "12345"}, "11 位"),
        ({"description": ""}, "这个字段是必填项"),
        ({"category": "999999"}, "选择一个有效的选项"),
        ({"channel": "fax"}, "选择一个有效的选项"),
        ({"grid": "", "building": "", "unit": ""}, "请选择诉求所在的位置"),
        ({"photos": [upload("tap.jpg", b"<html>not a photo</html>")]}, "不是 JPEG、PNG 或 WebP"),
        ({"photos": [upload("bomb.png", photo_bytes("PNG", size=(8000, 6000)))]}, "不是 JPEG"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(
    personas, places, login, change, message
):
    client = login(personas.worker_cg1)
    response = client.post(reverse("cases:new"), tap_request(places, **change))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Case.objects.exists() and not CasePhoto.objects.exists()


def test_a_good_photo_sent_with_a_mistake_elsewhere_is_asked_for_again(personas, places, login):
    client = login(personas.worker_cg1)
    data = tap_request(places, resident_phone="abc123", photos=[upload()])
    page = client.post(reverse("cases:new"), data).content.decode()
    assert "表单退回时不会保留已选的文件：请在提交前重新选择" in page
    assert not Case.objects.exists() and not CasePhoto.objects.exists()


def test_a_place_outside_the_users_grids_is_refused(personas, places, login):
    client = login(personas.worker_cg1)
    other = places.leaders[places.fn1].unit
    data = tap_request(places, unit=other.pk, building=other.building_id)
    response = client.post(reverse("cases:new"), data)
    assert response.status_code == 400 and not Case.objects.exists()
    mismatched = UnitFactory(building__grid=places.cg1)
    data = tap_request(places, unit=mismatched.pk)
    response = client.post(reverse("cases:new"), data)
    assert "这个单元不在所选楼栋内" in response.content.decode() and not Case.objects.exists()


@pytest.mark.parametrize("sent", [("unit",), ("building",), ("grid",), ("unit", "grid")])
def test_the_narrowest_place_sent_decides_the_wider_ones(personas, places, login, sent):
    """The form finds the places in one query through the narrowest one sent; the case gets
    that place and the ones above it, down to its street."""
    unit = places.leaders[places.cg2].unit
    full = {"grid": places.cg2.pk, "building": unit.building_id, "unit": unit.pk}
    data = tap_request(places, **{name: full[name] if name in sent else "" for name in full})
    response = login(personas.officer_chunguang).post(reverse("cases:new"), data)
    assert response.status_code == 302
    case = Case.objects.get()
    narrowest = sent[0]
    assert case.unit == (unit if narrowest == "unit" else None)
    assert case.building == (unit.building if narrowest in ("unit", "building") else None)
    assert (case.grid, case.community, case.street) == (
        places.cg2,
        places.chunguang,
        places.street,
    )


def test_a_building_of_another_grid_than_the_one_chosen_is_refused(personas, places, login):
    other = places.leaders[places.cg2].unit
    data = tap_request(places, unit="", building=other.building_id)  # the grid is cg1's
    response = login(personas.officer_chunguang).post(reverse("cases:new"), data)
    assert response.status_code == 400
    assert "这个楼栋不在所选网格内" in response.content.decode() and not Case.objects.exists()


def test_too_large_a_photo_is_refused(personas, places, login, settings):
    settings.CASE_PHOTO_MAX_BYTES = 1000
    client = login(personas.worker_cg1)
    big = photo_bytes(size=(400, 400))
    assert len(big) > 1001
    response = client.post(
        reverse("cases:new"), tap_request(places, photos=[upload("big.jpg", big)])
    )
    assert response.status_code == 400 and "大于" in response.content.decode()


def test_an_officer_logs_for_any_grid_of_the_community(personas, places, login):
    client = login(personas.officer_chunguang)
    page = client.get(reverse("cases:new")).content.decode()
    assert "春光第2网格" in page and "富南第1网格" not in page
    response = client.post(reverse("cases:new"), tap_request(places, in_grid=places.cg2))
    assert response.status_code == 302 and Case.objects.get().grid == places.cg2


def test_an_open_case_at_the_same_place_is_flagged_and_can_be_linked(personas, places, login):
    client = login(personas.worker_cg1)
    unit = places.leaders[places.cg1].unit
    first = CaseFactory(grid=places.cg1, building=unit.building, unit=unit)
    response = client.post(reverse("cases:new"), tap_request(places))
    page = client.get(response["Location"]).content.decode()
    assert "是否为重复诉求" in page and first.tracking_code in page
    second = Case.objects.exclude(pk=first.pk).get()
    response = client.post(
        reverse("cases:link_duplicate", args=[second.pk]),
        {"duplicate-tracking_code": first.tracking_code.lower()},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.duplicate_of == first
    assert (
        second.tracking_code
        in client.get(reverse("cases:detail", args=[first.pk])).content.decode()
    )


def test_linking_to_a_case_outside_the_users_places_is_refused(personas, places, login):
    client = login(personas.worker_cg1)
    mine = CaseFactory(grid=places.cg1)
    theirs = CaseFactory(grid=places.fn1)
    response = client.post(
        reverse("cases:link_duplicate", args=[mine.pk]),
        {"duplicate-tracking_code": theirs.tracking_code},
    )
    assert response.status_code == 409 and "没有这个跟踪码" in response.content.decode()
    mine.refresh_from_db()
    assert mine.duplicate_of is None


@pytest.mark.django_db(transaction=True)
def test_one_form_sent_ten_times_at_once_makes_one_case(personas, places):
    import threading
    import uuid

    from django.db import connection
    from django.test import Client

    data = tap_request(places, submission=str(uuid.uuid4()))
    barrier = threading.Barrier(10)
    statuses = []

    def send():
        client = Client()
        client.force_login(personas.worker_cg1)
        try:
            barrier.wait()
            statuses.append(client.post(reverse("cases:new"), data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * 10
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


def test_a_tracking_code_already_taken_is_drawn_again(personas, places, monkeypatch):
    from cases import intake

    taken = CaseFactory(grid=places.cg1)
    monkeypatch.setattr(intake, "new_tracking_code", lambda: "YJ22222222")
    case = Case(
        grid=places.cg1,
        category=taken.category,
        description="又漏水了",
        channel="phone",
        resident_name="李阿姨",
        resident_phone="13912340000",
        tracking_code=taken.tracking_code,
    )
    intake.save_new_case(case, [], personas.worker_cg1)
    assert Case.objects.get(pk=case.pk).tracking_code == "YJ22222222"


def test_replaying_another_users_form_id_never_returns_their_case(personas, places):
    """The form's id is in the page; copied into another account's form, it logs nothing of
    theirs and shows none of their case."""
    import uuid

    from django.test import Client

    worker, officer = Client(), Client()
    worker.force_login(personas.worker_cg1)
    officer.force_login(personas.officer_chunguang)
    submission = str(uuid.uuid4())
    data = tap_request(places, submission=submission)
    first = worker.post(reverse("cases:new"), data)
    theirs = Case.objects.get(submission_id=submission)
    assert first["Location"] == reverse("cases:detail", args=[theirs.pk])

    replay = officer.post(reverse("cases:new"), {**data, "description": "另一个账号的诉求"})
    page = replay.content.decode()
    assert replay.status_code == 409
    assert "这张表单已由另一个账号提交过" in page
    # The officer holds this place, so the possible-repeat warning lists the open case there,
    # as it lists any (test_repeats.py); outside that warning the page names nothing of it.
    before, rest = page.split('data-testid="similar-cases"')
    warning, after = rest.split("居民得到同样的答复。</p>")
    assert theirs.tracking_code in warning
    page = before + after
    assert theirs.tracking_code not in page and "王大妈" not in page.split("<form")[0]
    assert Case.objects.count() == 1
    # The form comes back with a new id: sending it again logs the officer's own case.
    fresh = replay.context["form"].data["submission"]
    assert fresh != submission
    again = officer.post(
        reverse("cases:new"), {**data, "submission": fresh, "description": "另一个账号的诉求"}
    )
    mine = Case.objects.get(submission_id=fresh)
    assert again["Location"] == reverse("cases:detail", args=[mine.pk])
    assert mine.created_by == personas.officer_chunguang


def test_the_same_user_sending_a_form_twice_gets_the_first_case(personas, places, login):
    import uuid

    data = tap_request(places, submission=str(uuid.uuid4()))
    client = login(personas.worker_cg1)
    first, second = client.post(reverse("cases:new"), data), client.post(reverse("cases:new"), data)
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1


def test_the_language_switch_keeps_what_was_typed_into_the_log_form(personas, places, login):
    """The grid worker has typed the dripping tap and taps English at the page's foot: the
    form comes back in English with the place, category, description and resident as typed,
    once; nothing is logged until it is sent."""
    client = login(personas.worker_cg1)
    page = client.get(reverse("cases:new")).content.decode()
    switch = reverse("residents:switch") + "?next=" + reverse("cases:new")
    assert 'form="log-form"' in page and f'formaction="{switch}"' in page.replace("&amp;", "&")
    typed = tap_request(places, language="en")
    response = client.post(switch, typed)
    assert response.status_code == 302 and response["Location"] == reverse("cases:new")
    assert not Case.objects.exists()
    again = client.get(reverse("cases:new")).content.decode()
    assert '<html lang="en"' in again
    assert "水龙头滴滴答答响了一夜" in again and 'value="王大妈"' in again
    unit = places.leaders[places.cg1].unit
    assert f'id="unit-{unit.pk}" value="{unit.pk}" autocomplete="off" checked' in again
    building = unit.building_id
    assert f'id="building-{building}" value="{building}" autocomplete="off" checked' in again
    assert f'value="{typed["category"]}" selected' in again
    # Taken once: the next visit is an empty form.
    assert "水龙头滴滴答答响了一夜" not in client.get(reverse("cases:new")).content.decode()


def test_without_javascript_the_place_is_chosen_grid_then_building_then_unit(
    personas, places, login
):
    """With no script a chosen grid brings nothing by itself: the officer presses 「显示该网格
    的楼栋」 and the page comes back with that grid's buildings and what was typed; then
    「显示该楼栋的单元」 for the units. Nothing is logged until the form is sent."""
    client = login(personas.officer_chunguang)
    page = client.get(reverse("cases:new")).content.decode()
    show = reverse("residents:switch") + "?next=" + reverse("cases:new")
    assert "显示该网格的楼栋" in page and "显示该楼栋的单元" not in page
    assert f'formaction="{show}"' in page.replace("&amp;", "&")
    unit = places.leaders[places.cg2].unit
    typed = tap_request(places, in_grid=places.cg2, building="", unit="")
    assert client.post(show, typed).status_code == 302
    page = client.get(reverse("cases:new")).content.decode()
    assert f'id="building-{unit.building_id}"' in page and "显示该楼栋的单元" in page
    assert "水龙头滴滴答答响了一夜" in page and "这个字段是必填项" not in page
    assert f'id="unit-{unit.pk}"' not in page
    assert client.post(show, {**typed, "building": unit.building_id}).status_code == 302
    page = client.get(reverse("cases:new")).content.decode()
    assert f'id="unit-{unit.pk}"' in page and "水龙头滴滴答答响了一夜" in page
    # Another grid chosen now: the building chosen before offers none of its units.
    other = {**typed, "grid": places.cg1.pk, "building": unit.building_id}
    assert client.post(show, other).status_code == 302
    page = client.get(reverse("cases:new")).content.decode()
    assert f'id="unit-{unit.pk}"' not in page and "显示该楼栋的单元" in page
    assert client.post(show, {**typed, "building": unit.building_id}).status_code == 302
    client.get(reverse("cases:new"))
    assert not Case.objects.exists()
    sent = {**typed, "building": unit.building_id, "unit": unit.pk}
    assert client.post(reverse("cases:new"), sent).status_code == 302
    assert Case.objects.get().unit == unit
