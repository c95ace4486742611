"""The integration page: street staff add partners, issue keys (shown once, kept as a hash)
and revoke them; nobody else sees the page."""

import re

import pytest
from django.test import Client

from interop.keys import digest
from interop.models import ApiKey, Partner

pytestmark = pytest.mark.django_db


def test_street_staff_add_an_app_issue_a_key_once_and_revoke_it(personas, places, login):
    staff = login(personas.street_staff)
    added = staff.post(
        "/integration/", {"name": "万青路小程序", "kind": "app", "street": places.street.pk}
    )
    assert added.status_code == 200
    partner = Partner.objects.get(name="万青路小程序")
    assert partner.street == places.street and not partner.service_user.has_usable_password()
    shown = staff.post(f"/integration/partners/{partner.pk}/keys/", {"name": "正式"})
    raw = re.search(r'data-testid="raw-key">([^<]+)<', shown.content.decode()).group(1)
    key = ApiKey.objects.get()
    assert key.digest == digest(raw) and raw not in (key.digest, key.prefix)
    assert raw not in staff.get("/integration/").content.decode()  # shown once
    app = Client(HTTP_X_API_KEY=raw)
    assert app.get("/open311/v2/requests.json").status_code == 200
    staff.post(f"/integration/keys/{key.pk}/revoke/")
    assert app.get("/open311/v2/requests.json").status_code == 403  # a revoked key is refused
    page = staff.get("/integration/").content.decode()
    assert "已吊销" in page and "GET /open311/v2/requests.json" in page


def test_a_hotline_partner_gets_its_signing_secret_once(personas, places, login):
    staff = login(personas.street_staff)
    shown = staff.post(
        "/integration/",
        {
            "name": "市12345",
            "kind": "hotline",
            "street": places.street.pk,
            "outbound_url": "https://12345.example.cn/status",
        },
    ).content.decode()
    partner = Partner.objects.get()
    assert partner.webhook_secret and partner.webhook_secret in shown
    assert f"/api/hotline/{partner.pk}/" in shown
    assert partner.webhook_secret not in staff.get("/integration/").content.decode()


def test_only_street_staff_of_the_street_manage_its_partners(personas, places, login):
    staff = login(personas.street_staff)
    staff.post(
        "/integration/", {"name": "富南MARKER应用", "kind": "app", "street": places.street.pk}
    )
    partner = Partner.objects.get()
    for outsider in (personas.officer_chunguang, personas.worker_cg1, personas.no_role):
        client = Client()
        client.force_login(outsider)
        assert client.get("/integration/").status_code == 404
    other = Client()
    other.force_login(personas.other_street_staff)
    assert "富南MARKER应用" not in other.get("/integration/").content.decode()
    assert other.post(f"/integration/partners/{partner.pk}/keys/", {"name": "x"}).status_code == 404
    refused = other.post(
        "/integration/", {"name": "越权", "kind": "app", "street": places.street.pk}
    )
    assert refused.status_code == 400 and Partner.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest",  # the cloud's metadata service
        "https://127.0.0.1:9/hook",
        "https://10.0.0.8/status",
        "https://[::1]/status",
        "https://localhost/status",
        "http://12345.example.cn/status",  # not https
    ],
)
def test_the_status_url_cannot_point_the_server_inside_its_network(
    personas, places, login, settings, url
):
    settings.HOTLINE_ALLOW_PRIVATE_ADDRESSES = False
    staff = login(personas.street_staff)
    page = staff.post(
        "/integration/",
        {"name": "市12345", "kind": "hotline", "street": places.street.pk, "outbound_url": url},
    )
    assert "状态地址必须" in page.content.decode()
    assert not Partner.objects.exists()
