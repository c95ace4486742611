"""Production mode passes Django's deployment checks, and every page carries the headers."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-for-the-check",
    "ALLOWED_HOSTS": "youjie.example.org",
    "EMAIL_URL": "smtp+tls://youjie:secret@mail.example.org:587",
    "SITE_URL": "https://youjie.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def production(*command, without=(), **overrides):
    """Run manage.py with production settings; `without` names variables left unset."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        **PRODUCTION_ENV,
        **overrides,
    }
    for name in without:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = production("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("variable", ["SITE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without_the_site_url_or_redis(variable):
    result = production("check", without=[variable])
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"Set the {variable}" in result.stderr


@pytest.mark.parametrize(
    "variable, value",
    [
        ("SITE_URL", ""),
        ("SITE_URL", "youjie.example.org"),  # no scheme: links would be relative
        ("REDIS_URL", ""),
        ("REDIS_URL", "127.0.0.1:6379"),
    ],
)
def test_production_refuses_an_empty_or_malformed_site_url_or_redis_url(variable, value):
    result = production("check", **{variable: value})
    assert result.returncode != 0
    assert f"Set the {variable}" in result.stderr


def test_production_links_point_at_the_configured_site():
    result = production(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SITE_URL)",
        SITE_URL="https://youjie.example.org/",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "https://youjie.example.org"


def test_production_mode_refuses_to_start_without_a_secret_key():
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", ALLOWED_HOSTS="x.org")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_pages_carry_csp_and_the_other_security_headers(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_no_template_or_stylesheet_loads_anything_from_another_host():
    roots = [settings.BASE_DIR / "templates", settings.BASE_DIR / "static" / "css"]
    offenders = [
        str(path)
        for root in roots
        for path in root.rglob("*")
        if path.is_file() and ("http://" in path.read_text() or "https://" in path.read_text())
    ]
    assert offenders == []
