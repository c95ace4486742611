"""Open311 GeoReport v2: a residents' app files and follows requests with its key.

Checked against the specification (http://wiki.open311.org/GeoReport_v2): the endpoints, each
field and its type, the status codes, JSON and XML; and against our own rules: the checks of
the residents' form, the key's street, no resident's name or phone in any answer.
"""

import xml.etree.ElementTree as ElementTree
from datetime import datetime

import pytest
from django.test import Client

from cases.models import Case, CaseEvent, Category, Channel, State
from interop import keys
from interop.models import ApiCall, ApiKey, InboxOrder
from tests.factories import photo_bytes, upload
from tests.interop_helpers import app_partner

pytestmark = pytest.mark.django_db
REQUEST_FIELDS = {
    "service_request_id": str,
    "status": str,
    "status_notes": str,
    "service_name": str,
    "service_code": str,
    "description": str,
    "agency_responsible": str,
    "service_notice": str,
    "requested_datetime": str,
    "updated_datetime": str,
    "expected_datetime": (str, type(None)),
    "address": str,
    "address_id": str,
    "zipcode": str,
    "lat": (float, type(None)),
    "long": (float, type(None)),
    "media_url": str,
}


@pytest.fixture
def app(places, personas):
    partner, raw = app_partner(places, personas.street_staff)
    client = Client(HTTP_X_API_KEY=raw)
    client.raw_key = raw
    client.partner = partner
    return client


def new_request(places, **changes):
    unit = places.leaders[places.cg1].unit
    data = {
        "service_code": str(Category.objects.get(name="设施维修").pk),
        "description": "3楼楼道灯不亮了",
        "address_id": unit.public_code,
        "first_name": "小明",
        "last_name": "陈",
        "phone": "13911112222",
    }
    data.update(changes)
    return data


def test_discovery_and_services_follow_the_specification(client, places):
    discovery = client.get("/open311/v2/discovery.json")
    assert discovery.status_code == 200
    endpoint = discovery.json()["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert "text/xml" in endpoint["formats"]
    services = client.get("/open311/v2/services.json").json()
    assert {s["service_name"] for s in services} >= {"水电气暖", "环境卫生"}
    for service in services:
        assert set(service) >= {"service_code", "service_name", "group", "type", "metadata"}
        assert service["type"] == "realtime" and service["metadata"] is True
    definition = client.get(f"/open311/v2/services/{services[0]['service_code']}.json").json()
    assert definition["service_code"] == services[0]["service_code"]
    attribute = definition["attributes"][0]
    assert attribute["code"] == "urgency" and attribute["datatype"] == "singlevaluelist"
    assert {v["key"] for v in attribute["values"]} == {"routine", "urgent"}
    missing = client.get("/open311/v2/services/999999.json")
    assert missing.status_code == 404
    assert missing.json()[0]["code"] == 404  # errors as the specification writes them


def test_services_in_xml(client, places):  # places: the categories, even after a flush
    response = client.get("/open311/v2/services.xml")
    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "services"
    assert root.find("service/service_code") is not None
    assert "水电气暖" in [e.text for e in root.iter("service_name")]


def test_a_resident_app_files_a_request_and_follows_it(app, places):
    response = app.post("/open311/v2/requests.json", new_request(places))
    assert response.status_code == 201
    (filed,) = response.json()
    code = filed["service_request_id"]
    case = Case.objects.get(tracking_code=code)
    assert case.state == State.SUBMITTED and case.channel == Channel.ONLINE
    assert case.unit == places.leaders[places.cg1].unit and case.grid == places.cg1
    assert case.resident_name == "陈 小明" and case.created_by == app.partner.service_user
    assert CaseEvent.objects.filter(case=case, move="log").count() == 1

    (shown,) = app.get(f"/open311/v2/requests/{code}.json").json()
    for name, kind in REQUEST_FIELDS.items():
        assert isinstance(shown[name], kind), name
    assert shown["status"] == "open"
    assert shown["agency_responsible"] == "春光社区"
    assert shown["address_id"] == places.leaders[places.cg1].unit.public_code
    datetime.fromisoformat(shown["requested_datetime"])
    datetime.fromisoformat(shown["expected_datetime"])
    body = app.get("/open311/v2/requests.json").content.decode()
    for private in ("小明", "13911112222", "2222"):
        assert private not in body


def test_closed_requests_show_the_explanation_given_to_residents(app, places, personas):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.scope import Scope
    from cases.inputs import Note, Ownership, Reason, Resolution  # noqa: F401
    from cases.workflow import perform

    code = app.post("/open311/v2/requests", new_request(places)).json()[0]["service_request_id"]
    case = Case.objects.get(tracking_code=code)
    officer = personas.officer_chunguang
    scope = Scope.for_user(officer)
    perform(
        scope, officer, case.pk, "accept", Ownership(officer, timezone.now() + timedelta(days=2))
    )
    perform(scope, officer, case.pk, "handle_directly", Reason("换灯泡"))
    perform(
        scope,
        officer,
        case.pk,
        "resolve",
        Resolution("resolved", "已更换", "notice_board", "楼道灯已更换，谢谢反映。"),
    )
    (shown,) = app.get(f"/open311/v2/requests/{code}.json").json()
    assert shown["status"] == "closed"
    assert shown["status_notes"] == "楼道灯已更换，谢谢反映。"
    assert shown["expected_datetime"] is None
    assert app.get("/open311/v2/requests.json?status=open").json() == []
    assert len(app.get("/open311/v2/requests.json?status=closed").json()) == 1


def test_the_same_client_key_files_once(app, places):
    first = app.post("/open311/v2/requests", new_request(places), HTTP_IDEMPOTENCY_KEY="abc-1")
    again = app.post("/open311/v2/requests", new_request(places), HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json() == again.json()
    assert Case.objects.count() == 1


def test_address_string_is_placed_on_the_street_building(app, places):
    data = new_request(places, address_string="春光第2网格小区1号楼")
    del data["address_id"]
    code = app.post("/open311/v2/requests", data).json()[0]["service_request_id"]
    case = Case.objects.get(tracking_code=code)
    assert case.building == places.buildings[places.cg2] and case.unit is None


@pytest.mark.parametrize(
    "changes, says, status",
    [
        ({"service_code": "999"}, "service_code", 404),
        ({"service_code": "abc"}, "service_code", 404),
        ({"description": ""}, "description", 400),
        ({"description": "   "}, "description", 400),
        ({"description": "x" * 4001}, "description", 400),
        ({"description": "坏\x00字符"}, "description", 400),
        ({"first_name": "坏\u202e名"}, "first_name", 400),
        ({"address_id": "nosuchcode"}, "address_id", 404),
        ({"media_url": "not a url"}, "media_url", 400),
        ({"lat": "nan", "long": "1"}, "lat", 400),
        ({"lat": "91", "long": "1"}, "lat", 400),
    ],
)
def test_bad_requests_are_refused_with_what_is_wrong(app, places, changes, says, status):
    response = app.post("/open311/v2/requests.json", new_request(places, **changes))
    assert response.status_code == status
    (error,) = response.json()
    assert error["code"] == status and says in error["description"]
    assert Case.objects.count() == 0 and InboxOrder.objects.count() == 0


def test_a_request_without_a_location_is_refused(app, places):
    data = new_request(places)
    del data["address_id"]
    response = app.post("/open311/v2/requests.json", {**data, "lat": "40.8"})  # lat alone
    assert response.status_code == 400
    assert "lat" in response.json()[0]["description"]
    assert Case.objects.count() == 0 and InboxOrder.objects.count() == 0


def test_a_place_of_another_street_is_not_found(app, places):
    other = places.buildings[places.yy1]
    response = app.post("/open311/v2/requests", new_request(places, address_id=other.public_code))
    assert response.status_code == 404 and Case.objects.count() == 0


def test_photos_come_as_multipart_and_media_url_is_kept_not_fetched(app, places):
    data = new_request(places, media_url="https://app.example.cn/p/1.jpg")
    data["media"] = [upload(), upload("b.png", photo_bytes("PNG"), "image/png")]
    code = app.post("/open311/v2/requests", data).json()[0]["service_request_id"]
    case = Case.objects.get(tracking_code=code)
    assert case.photos.count() == 2
    (shown,) = app.get(f"/open311/v2/requests/{code}").json()
    assert shown["media_url"] == "https://app.example.cn/p/1.jpg"
    bad = new_request(places)
    bad["media"] = [upload("x.jpg", b"<html>not a photo</html>")]
    response = app.post("/open311/v2/requests", bad)
    assert response.status_code == 400 and "media" in response.json()[0]["description"]
    # A photo sent as a text field is refused, not filed without its photo.
    as_text = new_request(places)
    as_text["media"] = "{}"
    response = app.post("/open311/v2/requests", as_text)
    assert response.status_code == 400
    assert "须以文件上传" in response.json()[0]["description"]
    assert Case.objects.count() == 1


def test_filing_needs_a_key_and_a_bad_key_is_403_as_the_specification_says(app, places, client):
    refused = client.post("/open311/v2/requests", new_request(places))
    assert refused.status_code == 403 and "X-Api-Key" in refused.json()[0]["description"]
    wrong = Client(HTTP_X_API_KEY="yj_00000000_nope")
    assert wrong.post("/open311/v2/requests", new_request(places)).status_code == 403
    assert wrong.get("/open311/v2/requests.json").status_code == 403  # sent, so checked
    keys.revoke(ApiKey.objects.get())
    assert app.post("/open311/v2/requests", new_request(places)).status_code == 403
    assert app.get("/open311/v2/services.json").status_code == 403
    assert Case.objects.count() == 0


def test_the_key_as_api_key_parameter_works_like_the_header(app, places):
    plain = Client()
    response = plain.post(
        "/open311/v2/requests.json", {**new_request(places), "api_key": app.raw_key}
    )
    assert response.status_code == 201
    assert plain.get(f"/open311/v2/requests.json?api_key={app.raw_key}").status_code == 200


def test_a_key_sees_everyones_public_fields_and_more_of_its_own(app, places, personas):
    from tests.factories import CaseFactory

    staff_case = CaseFactory(grid=places.cg1, description="楼下有异味，电话13900001111")
    other, other_raw = app_partner(places, personas.street_staff, name="另一个应用")
    theirs = Client(HTTP_X_API_KEY=other_raw)
    data = new_request(places, description="灯坏了，身份证110101199003071234", lat="40.81234")
    code = theirs.post("/open311/v2/requests", {**data, "long": "111.65678"}).json()[0][
        "service_request_id"
    ]
    (seen_by_app,) = app.get(f"/open311/v2/requests/{code}.json").json()
    (seen_by_owner,) = theirs.get(f"/open311/v2/requests/{code}.json").json()
    assert seen_by_app["description"] == ""  # the street keeps descriptions to itself
    assert (seen_by_app["lat"], seen_by_app["long"]) == (40.812, 111.657)  # about 100 m
    assert seen_by_owner["description"] == "灯坏了，身份证110*************34"
    assert (seen_by_owner["lat"], seen_by_owner["long"]) == (40.81234, 111.65678)
    listed = {r["service_request_id"] for r in app.get("/open311/v2/requests.json").json()}
    assert {code, staff_case.tracking_code} <= listed


def test_filters_and_their_mistakes(app, places):
    codes = [
        app.post("/open311/v2/requests", new_request(places)).json()[0]["service_request_id"]
        for _ in range(2)
    ]
    listed = app.get(f"/open311/v2/requests.json?service_request_id={codes[0]}").json()
    assert [r["service_request_id"] for r in listed] == [codes[0]]
    both = app.get(f"/open311/v2/requests.json?service_request_id={','.join(codes)}").json()
    assert len(both) == 2
    code = new_request(places)["service_code"]
    assert len(app.get(f"/open311/v2/requests.json?service_code={code}").json()) == 2
    assert app.get("/open311/v2/requests.json?start_date=2999-01-01T00:00:00Z").json() == []
    for bad in (
        "status=maybe",
        "start_date=yesterday",
        "start_date=2026-11-01",  # no time, no offset
        "end_date=2026-02-30T00:00:00Z",
        "service_code=x",
        "status=open&status=closed",
    ):
        response = app.get(f"/open311/v2/requests.json?{bad}")
        assert response.status_code == 400, bad
    assert app.get("/open311/v2/requests?format=html").status_code == 400


def test_requests_in_xml(app, places):
    app.post("/open311/v2/requests", new_request(places))
    root = ElementTree.fromstring(app.get("/open311/v2/requests.xml").content)
    assert root.tag == "service_requests"
    assert root.find("request/status").text == "open"
    error = ElementTree.fromstring(app.get("/open311/v2/requests.xml?status=x").content)
    assert error.tag == "errors" and error.find("error/code").text == "400"


def test_every_call_is_logged_with_its_key_and_keys_are_rate_limited(app, places, settings):
    settings.API_CALLS_PER_KEY_PER_MINUTE = 3
    statuses = [app.get("/open311/v2/requests.json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    key = ApiKey.objects.get()
    assert ApiCall.objects.filter(key=key).count() == 4
    assert list(ApiCall.objects.filter(key=key).values_list("status", flat=True)).count(429) == 1


def test_reads_without_a_key_are_limited_per_address_and_not_logged(client, settings):
    settings.OPEN311_READS_PER_ADDRESS_PER_MINUTE = 3
    reads = [client.get("/open311/v2/requests.json").status_code for _ in range(3)]
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert reads == [200, 200, 200]
    refused = client.get("/open311/v2/services.json")
    assert refused.status_code == 429 and refused.json()[0]["code"] == 429
    assert elsewhere.get("/open311/v2/requests.json").status_code == 200
    assert ApiCall.objects.count() == 0


def test_the_schema_and_its_page_are_served_by_the_app(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/open311/v2/requests" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "cdn" not in page.lower() and "<style" not in page and "<script>" not in page
    assert "/open311/v2/requests" in page and "X-Hotline-Signature" in page


def test_the_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "X-Api-Key" in text and "/open311/v2/requests/{service_request_id}" in text


def test_the_daily_limit_per_phone_of_the_public_form_holds_for_apps(app, places, settings):
    settings.RESIDENT_SUBMISSIONS_PER_PHONE_PER_DAY = 2
    statuses = [app.post("/open311/v2/requests", new_request(places)).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert Case.objects.count() == 2


def test_a_partner_key_never_acts_as_an_officer(app, places):
    from accounts.scope import Scope
    from cases.inputs import Reason
    from cases.workflow import MoveRefused, perform

    code = app.post("/open311/v2/requests", new_request(places)).json()[0]["service_request_id"]
    case = Case.objects.get(tracking_code=code)
    scope = Scope.for_partner(app.partner)
    assert scope.holds(case)
    with pytest.raises(MoveRefused):
        perform(scope, app.partner.service_user, case.pk, "decline", Reason("x"))
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED


def test_a_partners_list_of_requests_runs_the_same_queries_for_3_as_for_30(
    app, places, django_assert_max_num_queries
):
    """Each request's status notes come from its history and its address from its place: a
    list that looked them up per request would run 60 more queries for 30 requests."""
    from cases.models import Case
    from interop.models import ExternalRef, Source
    from tests.factories import CaseFactory

    unit = places.leaders[places.cg1].unit

    def brought(n):
        for i in range(n):
            place = [
                {"building": unit.building, "unit": unit},
                {"building": unit.building},
                {},
            ][i % 3]
            case = CaseFactory(grid=places.cg1, **place)
            ExternalRef.objects.create(
                case=case, partner=app.partner, source=Source.OPEN311, external_id=f"r{case.pk}"
            )
            if i % 3 == 0:
                Case.objects.filter(pk=case.pk).update(state=State.RESOLVED)
                CaseEvent.objects.create(
                    case=case,
                    move="resolve",
                    from_state=State.IN_PROGRESS,
                    to_state=State.RESOLVED,
                    details={"outcome": "resolved", "explanation": f"已修好{case.pk}"},
                )

    def listed():
        # The key, its last use, the partner's account, its requests waiting in the inbox,
        # the requests, their history, the names of their categories, communities, units,
        # buildings and grids, the log
        with django_assert_max_num_queries(12):
            response = app.get("/open311/v2/requests.json")
        assert response.status_code == 200
        return response.json()

    brought(3)
    few = listed()
    brought(27)
    many = listed()
    assert len(few) == 3 and len(many) == 30
    notes = {r["status_notes"] for r in many if r["status"] == "closed"}
    assert len(notes) == 10 and all(note.startswith("已修好") for note in notes)
    addresses = {r["address"] for r in many}
    assert f"春光社区 {unit}" in addresses  # the unit, after its building
    assert f"春光社区 {unit.building}" in addresses
    assert f"春光社区 {places.cg1}" in addresses  # no building: the grid, with its community
