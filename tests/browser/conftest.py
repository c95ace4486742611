"""Debian's headless Chromium shell driven by Playwright against pytest-django's live server.

One browser for the session; each test gets its own context, a phone fresh out of the box (no
service worker, cache, IndexedDB, storage or cookie of the test before), closed at the end
whatever happened. Nothing waits forever: actions, navigations and expect() have time limits,
and every dialog is answered at once. A failing test leaves a screenshot and a Playwright
trace under .run/browser-failures/<test>/ (`playwright show-trace trace.zip`).
"""

import contextlib
import os
import re
import shutil
import subprocess
import threading
import time
import warnings
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

CHROMIUM = shutil.which("chromium-headless-shell") or "/usr/bin/chromium-headless-shell"
PHONE = {"width": 360, "height": 740}
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ACTION_TIMEOUT = 10_000  # ms: a click, a fill, a locator's wait, expect_event
NAVIGATION_TIMEOUT = 20_000  # ms: goto, reload, wait_for_url
EXPECT_TIMEOUT = 10_000  # ms: each expect(...)
FAILURES = Path(__file__).resolve().parents[2] / ".run" / "browser-failures"
EVIDENCE = "browser failure"  # the section a failing test's report gets


def evidence_folder(item):
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid).strip("_")[:150]
    return FAILURES / name


def _failed(item):
    return any(
        getattr(getattr(item, f"rep_{when}", None), "failed", False) for when in ("setup", "call")
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the item (`item.rep_call`) for the page fixture, and names
    in a failing report where its screenshot and trace go (also shown under pytest-xdist)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    opened = "page" in getattr(item, "funcargs", {})
    if report.failed and report.when in ("setup", "call") and opened:
        report.sections.append((EVIDENCE, f"screenshot and trace: {evidence_folder(item)}"))
    return report


def pytest_terminal_summary(terminalreporter):
    saved = any(
        name == EVIDENCE
        for reports in terminalreporter.stats.values()
        for report in reports
        for name, _content in getattr(report, "sections", ())
    )
    if saved:
        terminalreporter.write_line(f"browser failures saved under {FAILURES}")


def chinese_font() -> bool:
    listed = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium-headless-shell")
    if not chinese_font():
        # Without one each character is drawn as a narrow box, and the measures of labels and
        # columns would judge the boxes.
        pytest.fail("No Chinese font: `make test` installs Debian's fonts-wqy-microhei")
    # Playwright's sync API keeps an event loop in the test thread for the whole session;
    # the ORM calls of the tests (personas, checks, the database flush) stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    expect.set_options(timeout=EXPECT_TIMEOUT)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Dialogs:
    """Answers every dialog of a test's pages at once, so that none blocks its page (behind an
    open dialog a page runs no script, and a page.evaluate() on it never returns).

    The answer is "dismiss" (Cancel), unless the test asked for the next one to be accepted:
    `page.dialogs.accept_next()`. A test reads a dialog with `page.expect_event("dialog")`
    (answered already when the test sees it) or in `page.dialogs.seen`; it adds no dialog
    handler of its own, since answering a dialog twice is an error.
    """

    def __init__(self):
        self.seen = []
        self._accept = 0

    def accept_next(self, count=1):
        self._accept += count

    def __call__(self, dialog):
        self.seen.append(dialog.message)
        accept = dialog.type == "beforeunload" or self._accept > 0
        if accept and dialog.type != "beforeunload":
            self._accept -= 1
        with contextlib.suppress(PlaywrightError):  # its page is closing
            dialog.accept() if accept else dialog.dismiss()


def _keep_evidence(context, item):
    """On failure a screenshot of each open page and the trace; on success nothing."""
    folder = evidence_folder(item)
    shutil.rmtree(folder, ignore_errors=True)
    if not _failed(item):
        context.tracing.stop()
        return
    folder.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(context.pages):
        try:
            page.screenshot(path=folder / f"page-{number}.png", full_page=True, timeout=5000)
        except PlaywrightError as error:
            warnings.warn(f"no screenshot of {page.url}: {error}", stacklevel=1)
    context.tracing.stop(path=folder / "trace.zip")


class InFlight:
    """The live server's application, counting the requests it is serving.

    A closed browser context leaves behind the requests it had sent (a page still loading, a
    service worker's fetch): the server goes on serving them. The database is emptied after
    each test, and emptying it beside such a request deadlocks in PostgreSQL, so each test
    waits for its requests to end first."""

    def __init__(self, app):
        self.app = app
        self.serving = 0
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        with self.changed:
            self.serving += 1
        try:
            return _Served(self.app(environ, start_response), self._done)
        except BaseException:
            self._done()
            raise

    def _done(self):
        with self.changed:
            self.serving -= 1
            self.changed.notify_all()

    def wait_until_quiet(self, seconds=15.0):
        deadline = time.monotonic() + seconds
        # Twice, a moment apart: a request accepted just before the context closed reaches
        # the application a moment later.
        for _ in range(2):
            with self.changed:
                quiet = self.changed.wait_for(
                    lambda: self.serving == 0, max(0.0, deadline - time.monotonic())
                )
            if not quiet:
                warnings.warn(f"{self.serving} request(s) still served", stacklevel=1)
                return
            time.sleep(0.05)

    @classmethod
    def of(cls, live_server):
        httpd = live_server.thread.httpd
        if not isinstance(httpd.get_app(), cls):
            httpd.set_app(cls(httpd.get_app()))
        return httpd.get_app()


class _Served:
    """A response's body; its end (wsgiref closes it, even on error) ends the request."""

    def __init__(self, body, done):
        self.body, self.done = body, done

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.done()


@pytest.fixture
def page(browser, live_server, request):
    """A new phone for each test, its browser context thrown away at the end, and the
    requests it had sent finished before the database is emptied."""
    served = InFlight.of(live_server)
    # A phone set to reduce motion (Bootstrap then draws menus and panels without sliding):
    # the same pages and steps, without waiting for each animation to settle.
    context = browser.new_context(viewport=PHONE, reduced_motion="reduce")
    try:
        context.set_default_timeout(ACTION_TIMEOUT)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT)
        dialogs = Dialogs()
        context.on("dialog", dialogs)  # every page of the context, popups and new tabs too
        context.tracing.start(screenshots=True, snapshots=True)
        page = context.new_page()
        page.base_url = live_server.url
        page.dialogs = dialogs
        yield page
    finally:
        try:
            _keep_evidence(context, request.node)
        except (PlaywrightError, OSError) as error:
            warnings.warn(f"no screenshot or trace kept: {error}", stacklevel=1)
        finally:
            context.close()
            served.wait_until_quiet()


@pytest.fixture
def log_in(page):
    def as_user(username, password="youjie-demo-2026"):
        page.context.clear_cookies()  # a new person picks up the phone
        page.goto(f"{page.base_url}/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{page.base_url}/")  # the home page, where logging in leads
        expect(page.get_by_test_id("bell")).to_be_visible()
        return page

    return as_user
