"""The app on a phone's home screen: the manifest, its icons and the favicon."""

import json

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

pytestmark = pytest.mark.django_db


def _served_file(url):
    # The test client serves no static files (the live server of tests/browser does, and
    # test_list_on_a_phone fetches the icons from it): read what STATIC_URL serves.
    path = finders.find(url.removeprefix(settings.STATIC_URL).removeprefix("/"))
    assert path, url
    return path


def test_the_manifest_names_youjie_and_its_icons_have_their_sizes(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "有解" and manifest["short_name"] == "有解"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {}
    for icon in manifest["icons"]:
        assert "maskable" in icon["purpose"]
        image = Image.open(_served_file(icon["src"]))
        sizes[icon["sizes"]] = image.size
        assert image.format == "PNG"
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}


def test_every_page_links_the_manifest_the_icons_and_the_theme_colour(client, personas, login):
    for page in (
        client.get(reverse("residents:start")),
        login(personas.worker_cg1).get(reverse("cases:list")),
    ):
        html = page.content.decode()
        assert '<link rel="manifest" href="/manifest.webmanifest">' in html
        assert 'rel="icon"' in html and 'rel="apple-touch-icon"' in html
        assert '<meta name="theme-color" content="#0d6efd">' in html


def test_the_favicon_is_found_at_the_address_browsers_ask(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("icons/favicon.ico")
    assert finders.find("icons/favicon.ico")
