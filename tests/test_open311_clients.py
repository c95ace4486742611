"""A GeoReport v2 client from PyPI (`georeport` 0.3.1), unchanged, against a live server: it
sends no key, so every read it makes must work without one."""

import pytest
from georeport import GeoReport

from tests.interop_helpers import app_partner
from tests.test_open311 import new_request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("live_server")]


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_lists_services_and_requests_and_reads_one(
    live_server, places, personas, output_format
):
    from django.test import Client

    _partner, raw = app_partner(places, personas.street_staff)
    filed = Client(HTTP_X_API_KEY=raw).post("/open311/v2/requests", new_request(places))
    code = filed.json()[0]["service_request_id"]

    client = GeoReport(f"{live_server.url}/open311/v2", output_format=output_format)
    services = client.get_service_list()
    assert "设施维修" in [service["service_name"] for service in services]
    listed = client.get_service_requests()
    listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one is a dict
    assert code in [request["service_request_id"] for request in listed]
    one = client.get_service_request(code)
    assert one["service_request_id"] == code and one["status"] == "open"
    assert "小明" not in str(one) and "13911112222" not in str(one)
    # A jurisdiction, as clients configured for a city send it, changes nothing.
    city = GeoReport(f"{live_server.url}/open311/v2", jurisdiction="youjie.example.cn")
    assert len(city.get_service_list()) == len(services)
