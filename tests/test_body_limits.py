"""A body larger than the page takes is refused from its Content-Length, before a byte of it is
read: a 200 MB post to the residents' form costs nothing. Photos within the limits still go."""

import time

import pytest
from django.conf import settings
from django.urls import reverse

from cases.models import Case, Category
from common.bodylimit import FORM_FIELDS_MAX_BYTES, max_body_bytes
from tests.factories import upload

pytestmark = pytest.mark.django_db
MB = 1024 * 1024
MULTIPART = "multipart/form-data; boundary=youjie"


class UnreadableBody:
    """A wsgi.input that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post_unread(client, path, length, **extra):
    meta = {"wsgi.input": UnreadableBody(), "CONTENT_TYPE": MULTIPART, **extra}
    if length is not None:
        meta["CONTENT_LENGTH"] = str(length)
    return client.generic("POST", path, b"", **meta)


@pytest.fixture
def unit(places):
    return places.leaders[places.cg1].unit


def test_a_200_mb_post_to_the_public_form_is_refused_unread_and_at_once(client, unit):
    started = time.monotonic()
    response = post_unread(client, reverse("residents:place", args=[unit.public_code]), 200 * MB)
    assert time.monotonic() - started < 0.5
    page = response.content.decode()
    assert response.status_code == 413
    assert "内容太大，无法发送（最多 25 MB）" in page and "请少发几张照片" in page
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert not Case.objects.exists()


def test_the_refusal_speaks_the_language_the_user_chose(client, unit):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = post_unread(client, reverse("residents:place", args=[unit.public_code]), 200 * MB)
    assert response.status_code == 413 and "at most 25 MB" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "files"),
    [
        ("residents:start", 0),
        ("login", 0),
        ("admin:login", 0),
        ("residents:status", 0),
        ("cases:new", 6 * 8 * MB),  # six photos of 8 MB
        ("grids:import", 5 * MB),  # the import sheet
        ("residents:place", 3 * 8 * MB),  # three photos
        ("cases:move", 4 * 8 * MB),  # the follow-up visit's four photos
        ("no-such-page", 0),
    ],
)
def test_each_url_takes_at_most_its_forms_files_and_fields(client, places, url, files):
    args = {
        "residents:place": ["anycode"],
        "cases:move": [1, "verify"],
    }.get(url, [])
    path = "/no/such/page/" if url == "no-such-page" else reverse(url, args=args)
    limit = files + FORM_FIELDS_MAX_BYTES if files else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert max_body_bytes(path) == limit
    assert post_unread(client, path, limit + 1).status_code == 413


def test_the_limits_follow_the_settings(settings, unit):
    settings.CASE_PHOTO_MAX_BYTES = 2 * MB
    path = reverse("residents:place", args=[unit.public_code])
    assert max_body_bytes(path) == 3 * 2 * MB + FORM_FIELDS_MAX_BYTES


def test_a_body_without_a_length_is_never_read(client, unit):
    path = reverse("residents:place", args=[unit.public_code])
    chunked = post_unread(client, path, None, HTTP_TRANSFER_ENCODING="chunked")
    assert chunked.status_code == 411 and "Content-Length" in chunked.content.decode()
    garbled = post_unread(client, path, "lots")
    assert garbled.status_code == 400 and not Case.objects.exists()


def test_photos_within_the_limits_still_go(client, unit):
    """(The staff's photo uploads are in test_uploads.py, which runs through this middleware.)"""
    response = client.post(
        reverse("residents:place", args=[unit.public_code]),
        {
            "category": Category.objects.get(name="水电气暖").pk,
            "description": "楼道灯坏了一个星期了",
            "resident_name": "王大妈",
            "resident_phone": "13912345678",
            "website": "",
            "photos": [upload("a.jpg"), upload("b.jpg"), upload("c.jpg")],
        },
        follow=True,
    )
    assert response.status_code == 200 and Case.objects.get().photos.count() == 3


# Which pages send files, by the templates that hold a multipart form.
UPLOAD_PAGES = {
    "cases/new.html": ["cases:new"],
    "cases/_move_form.html": ["cases:move"],  # drawn in the case page or fetched into it
    "grids/import_upload.html": ["grids:import"],
    "residents/request.html": ["residents:place"],
}


def test_every_page_that_sends_files_declares_how_much_it_takes():
    """A new upload form would otherwise be refused above DATA_UPLOAD_MAX_MEMORY_SIZE, or worse,
    take any size: its view must say `@accepts_upload(...)`, and this table must name it."""
    found = {
        str(path.relative_to(settings.BASE_DIR / "templates"))
        for path in (settings.BASE_DIR / "templates").rglob("*.html")
        if 'enctype="multipart/form-data"' in path.read_text()
    }
    assert found == set(UPLOAD_PAGES)
    views = {name: resolve_name(name) for names in UPLOAD_PAGES.values() for name in names}
    assert all(hasattr(view, "max_file_bytes") for view in views.values()), views


def resolve_name(name):
    from django.urls import resolve

    args = {
        "residents:place": ["x"],
        "cases:move": [1, "verify"],
    }.get(name, [])
    return resolve(reverse(name, args=args)).func
