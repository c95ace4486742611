"""Photos on storage every web node shares: MEDIA_ROOT (a shared folder) by default, an
S3-compatible bucket with one setting (STORAGE_S3_BUCKET), in development and production."""

import os

import pytest

from tests.processes import printed_json
from tests.test_deploy import PRODUCTION_ENV

S3_ENV = {
    "STORAGE_S3_BUCKET": "youjie-photos",
    "STORAGE_S3_ENDPOINT_URL": "https://s3.example.org",
    "STORAGE_S3_REGION": "cn-north-1",
    "STORAGE_S3_ACCESS_KEY": "AKIDEXAMPLE",
    "STORAGE_S3_SECRET_KEY": "not-a-real-secret",
}


def storages_in(settings_module, **extra):
    outside = {k: v for k, v in os.environ.items() if not k.startswith("STORAGE_S3_")}
    env = {**outside, **PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": settings_module, **extra}
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES))"
    )
    return printed_json(env, script)


@pytest.mark.parametrize("module", ["config.settings.base", "config.settings.production"])
def test_without_a_bucket_photos_are_files_under_media_root(module):
    default = storages_in(module)["default"]
    assert default["BACKEND"] == "django.core.files.storage.FileSystemStorage"


@pytest.mark.parametrize("module", ["config.settings.base", "config.settings.production"])
def test_a_bucket_puts_photos_in_s3_compatible_storage(module):
    found = storages_in(module, **S3_ENV)
    default = found["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "youjie-photos"
    assert default["OPTIONS"]["endpoint_url"] == "https://s3.example.org"
    assert default["OPTIONS"]["default_acl"] == "private"
    if module.endswith("production"):  # static files stay with the app
        assert "whitenoise" in found["staticfiles"]["BACKEND"]


def test_the_s3_options_are_the_ones_django_storages_takes():
    """With the optional group installed (`pip install --group s3`), the storage accepts the
    options and signs links to private photos with the configured endpoint."""
    pytest.importorskip("storages", reason="django-storages is optional: pip install --group s3")
    from storages.backends.s3 import S3Storage

    from config.settings import base

    os.environ.update(S3_ENV)
    try:
        base.STORAGE_S3_BUCKET = S3_ENV["STORAGE_S3_BUCKET"]
        options = base.s3_storage()["OPTIONS"]
    finally:
        for key in S3_ENV:
            os.environ.pop(key, None)
        base.STORAGE_S3_BUCKET = ""
    storage = S3Storage(**options)
    url = storage.url("cases/1/photo.jpg")
    assert url.startswith("https://s3.example.org/youjie-photos/media/cases/1/photo.jpg?")
    assert "Signature" in url or "X-Amz-Signature" in url  # private: a signed, expiring link
    assert storage.file_overwrite is False
