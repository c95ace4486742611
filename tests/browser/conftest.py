"""Headless Debian Chromium driven by Playwright against pytest-django's live server."""

import os
import shutil
import tempfile

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    # Playwright's sync API keeps an event loop in the test thread for the whole session;
    # the ORM calls of the tests (personas, checks, the database flush) stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            viewport=PHONE,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield context
        context.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser, live_server):
    browser.clear_cookies()
    page = browser.new_page()
    page.set_default_timeout(10000)
    page.base_url = live_server.url
    yield page
    page.close()


@pytest.fixture
def log_in(page):
    def as_user(username, password="youjie-demo-2026"):
        page.context.clear_cookies()  # a new person picks up the phone
        page.goto(f"{page.base_url}/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        return page

    return as_user
