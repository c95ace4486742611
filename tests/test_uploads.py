"""Hostile uploads on both photo forms (staff logging and the residents' public form).

Every refused file gets a message that names it, and nothing is saved; an accepted photo is
stored under a name the server makes, whatever it was called.
"""

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from cases.models import Case, CasePhoto
from tests.factories import photo_bytes, upload
from tests.test_case_logging import tap_request
from tests.test_residents import qr_url, tap

pytestmark = pytest.mark.django_db
LIMIT = 6000
SERVER_MADE = re.compile(r"^case-photos/\d{4}/\d{2}/[0-9a-f]{32}\.(jpg|png|webp)$")
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


def padded(size):
    """A real JPEG padded with trailing bytes to exactly `size` bytes."""
    image = photo_bytes(with_gps=False)
    assert len(image) < size
    return image + b"\0" * (size - len(image))


def gif_bytes():
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="GIF")
    return out.getvalue()


HOSTILE = {
    "limit + 1 byte": (lambda: upload("tap.jpg", padded(LIMIT + 1)), "大于"),
    "wrong extension": (lambda: upload("tap.exe", photo_bytes()), "名字与内容不符"),
    "no extension": (lambda: upload("tap", photo_bytes()), "名字与内容不符"),
    "a PNG named .jpg": (lambda: upload("tap.jpg", photo_bytes("PNG")), "名字与内容不符"),
    "SVG with script": (lambda: upload("tap.svg", SVG, "image/svg+xml"), "不是 JPEG、PNG 或 WebP"),
    "SVG named .png": (lambda: upload("tap.png", SVG, "image/png"), "不是 JPEG、PNG 或 WebP"),
    "PNG + HTML polyglot": (
        lambda: upload("tap.png", photo_bytes("PNG") + b"<html><script>alert(1)</script>"),
        "网页代码",
    ),
    "JPEG with a script comment": (
        lambda: upload(
            "tap.jpg",
            padded(3000).replace(b"\0" * 40, b"<script>alert(1)</script>" + b"\0" * 15, 1),
        ),
        "网页代码",
    ),
    "GIF": (lambda: upload("tap.gif", gif_bytes(), "image/gif"), "不是 JPEG、PNG 或 WebP"),
    "decompression bomb": (
        lambda: upload("bomb.png", photo_bytes("PNG", size=(8000, 6000))),
        "不是 JPEG、PNG 或 WebP",
    ),
    "empty file": (lambda: upload("tap.jpg", b""), "所提交的是空文件"),
}


def post_staff(client_for, places, personas, photo):
    client = client_for(personas.worker_cg1)
    return client.post(reverse("cases:new"), tap_request(places, photos=[photo]))


def post_public(client_for, places, personas, photo):
    from django.test import Client

    return Client().post(qr_url(places.leaders[places.cg1].unit), tap(photos=[photo]))


FORMS = {"staff": post_staff, "public": post_public}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_files_are_refused_and_nothing_is_saved(
    personas, places, login, settings, form, kind
):
    if kind == "limit + 1 byte":
        settings.CASE_PHOTO_MAX_BYTES = LIMIT
    make, message = HOSTILE[kind]
    response = FORMS[form](login, places, personas, make())
    assert response.status_code == 400, kind
    assert message in response.content.decode(), kind
    assert not Case.objects.exists() and not CasePhoto.objects.exists()


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    "name",
    ["../../../etc/passwd.jpg", "..\\..\\boot.jpg", "王大妈 <b>家</b>.JPG", "a" * 300 + ".jpeg"],
)
def test_a_photo_at_the_limit_is_kept_under_a_server_made_name(
    personas, places, login, settings, form, name
):
    settings.CASE_PHOTO_MAX_BYTES = LIMIT
    response = FORMS[form](login, places, personas, upload(name, padded(LIMIT)))
    assert response.status_code in (200, 302)
    stored = CasePhoto.objects.get().image.name
    assert SERVER_MADE.match(stored), stored
    print(f"\n[upload] {name[:40]!r} stored as {stored}")
