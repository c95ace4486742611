"""Every page's help link opens the guide's chapter for the viewer's role, at the section for
that page, in the viewer's language; the anchor it names exists in that chapter's source
(docs/<chapter>.md and docs/<chapter>.en.md), and the app serves the built guide under /help/."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cases.models import State
from common.help import SECTIONS
from meetings.models import Meeting
from meetings.public import public_url
from tests.factories import CaseFactory
from tests.test_residents import qr_url, tap

pytestmark = pytest.mark.django_db

DOCS = Path(settings.BASE_DIR) / "docs"
HELP_LINK = re.compile(r'<a [^>]*href="(?P<href>[^"]*)"[^>]*data-testid="help-link"')
ANCHOR = re.compile(r"\{\s*#(?P<id>[\w-]+)\s*\}")


def anchors(chapter: str, language: str) -> set[str]:
    source = DOCS / (f"{chapter}.md" if language == "zh" else f"{chapter}.{language}.md")
    return set(ANCHOR.findall(source.read_text(encoding="utf-8")))


def help_link(response) -> tuple[str, str, str]:
    """(language, chapter, anchor) of the page's help link."""
    assert response.status_code in (200, 400, 404)
    found = HELP_LINK.search(response.content.decode())
    assert found, "the page has no help link"
    href = found["href"]
    match = re.fullmatch(
        r"/help/(?:(?P<lang>en)/)?(?P<chapter>[\w-]+)\.html(?:#(?P<anchor>.*))?", href
    )
    assert match, href
    return match["lang"] or "zh", match["chapter"], match["anchor"] or ""


def opens(response, chapter, anchor):
    language, shown, shown_anchor = help_link(response)
    assert (shown, shown_anchor) == (chapter, anchor), (language, shown, shown_anchor)
    assert anchor in anchors(chapter, language), f"{chapter} ({language}) has no #{anchor}"
    return language


def test_every_section_the_app_names_exists_in_both_languages():
    for chapter, sections in SECTIONS.items():
        for language in ("zh", "en"):
            missing = set(sections.values()) - anchors(chapter, language)
            assert not missing, (chapter, language, missing)


def test_both_languages_of_a_chapter_have_the_same_sections():
    for source in DOCS.glob("*.en.md"):
        chapter = source.name.removesuffix(".en.md")
        assert anchors(chapter, "zh") == anchors(chapter, "en"), chapter


def test_the_grid_worker_gets_the_grid_worker_chapter(client, login, personas, places):
    case = CaseFactory(grid=places.cg1)
    login(personas.worker_cg1)
    opens(client.get(reverse("home")), "grid-worker", "home")
    opens(client.get(reverse("cases:new")), "grid-worker", "log-a-case")
    opens(client.get(reverse("cases:detail", args=[case.pk])), "grid-worker", "case-page")
    opens(client.get(reverse("notifications:list")), "grid-worker", "reminders")
    qr_sheet = reverse("residents:qr_sheet", args=["grid", places.cg1.pk])
    opens(client.get(qr_sheet), "grid-worker", "places")  # where the guide tells of QR codes


def test_the_officer_gets_the_officer_chapter(client, login, personas, places):
    case = CaseFactory(grid=places.cg1)
    login(personas.officer_chunguang)
    opens(client.get(reverse("home")), "community-officer", "home")
    opens(client.get(reverse("cases:list")), "community-officer", "case-list")
    opens(client.get(reverse("cases:detail", args=[case.pk])), "community-officer", "case-page")
    opens(client.get(reverse("meetings:list")), "community-officer", "meetings")
    opens(client.get(reverse("notifications:overdue")), "community-officer", "overdue")


def test_street_staff_get_the_street_chapter(client, login, personas):
    login(personas.street_staff)
    opens(client.get(reverse("home")), "street-staff", "home")
    opens(client.get(reverse("reports:report")), "street-staff", "reports")
    opens(client.get(reverse("grids:import")), "street-staff", "import")
    opens(client.get(reverse("audit:log")), "street-staff", "access-log")


def test_a_resident_gets_the_resident_chapter(client, places):
    unit = places.leaders[places.cg1].unit
    opens(client.get(reverse("residents:start")), "resident", "start")
    opens(client.get(reverse("residents:place", args=[unit.public_code])), "resident", "request")
    opens(client.get(reverse("residents:status")), "resident", "status")


BRAND = re.compile(r'<a class="navbar-brand[^"]*" href="(?P<href>[^"]*)"')


def brand(response) -> str:
    return BRAND.search(response.content.decode())["href"]


def test_every_residents_page_opens_their_chapter_at_its_section_and_leads_to_their_start(
    client, places, personas
):
    """A resident has no account: on each of their pages, the meeting page a text message
    links to and an error page under /r/ among them, the app's name leads to their start (not
    to the staff's login) and the help to the resident chapter's section for that page."""
    unit = places.leaders[places.cg1].unit
    meeting = Meeting.objects.create(
        street=places.street,
        community=places.chunguang,
        kind="monthly",
        starts_at=timezone.now() + timedelta(days=2),
        venue_kind="room",
        host=personas.officer_chunguang,
    )
    verified = CaseFactory(grid=places.cg1, state=State.VERIFIED, resident_phone="13912345678")
    start = reverse("residents:start")
    pages = [
        (client.get(start), "start"),
        (client.get(reverse("residents:community", args=[places.chunguang.pk])), "start"),
        (client.get(reverse("residents:building", args=[unit.building.public_code])), "start"),
        (client.get(qr_url(unit)), "request"),
        (client.post(qr_url(unit), tap(resident_phone="abc")), "request"),  # sent back
        (client.post(qr_url(unit), tap(), follow=True), "submitted"),
        (client.get(reverse("residents:status")), "status"),
        (client.get(reverse("residents:case_status")), "status"),  # nothing looked up yet
        (client.get(public_url(meeting)), "meeting"),
    ]
    looked_up = {"tracking_code": verified.tracking_code, "phone_last4": "5678"}
    pages.append((client.post(reverse("residents:status"), looked_up, follow=True), "status"))
    pages.append((client.post(reverse("residents:rate"), {}), "rating"))  # nothing chosen
    rated = client.post(reverse("residents:rate"), {"satisfaction": "satisfied"}, follow=True)
    pages.append((rated, "rating"))
    for response, anchor in pages:
        page = response.wsgi_request.path
        assert response.status_code in (200, 400), page
        language, chapter, shown = help_link(response)
        assert (chapter, shown) == ("resident", anchor), (page, chapter, shown)
        assert anchor in anchors("resident", language), anchor
        assert brand(response) == start, page
    # An address under /r/ that leads nowhere (an old QR code, an expired link): their 404.
    for missing in (reverse("residents:community", args=[999999]), "/r/m/expired/", "/r/x/"):
        response = client.get(missing)
        assert response.status_code == 404, missing
        assert help_link(response)[1] == "resident" and brand(response) == start, missing
        assert f'href="{start}">返回首页' in response.content.decode(), missing
    # The staff's QR sheet, printed from under /r/, is a staff page.
    client.force_login(personas.officer_chunguang)
    sheet = client.get(reverse("residents:qr_sheet", args=["grid", places.cg1.pk]))
    assert help_link(sheet)[1] == "community-officer" and brand(sheet) == reverse("home")


def test_the_login_page_opens_the_guide_at_logging_in(client):
    opens(client.get(reverse("login")), "index", "log-in")


def test_on_a_case_of_his_own_grid_an_officer_elsewhere_reads_the_grid_workers_chapter(
    client, login, mixed, places
):
    """An officer of 春光社区 who is the grid worker of 富南第1网格 at home: on that grid's case
    he acts as its grid worker, so the help speaks to a grid worker."""
    case = CaseFactory(grid=places.fn1)
    login(mixed.officer_cg_worker_fn1)
    opens(client.get(reverse("home")), "community-officer", "home")
    opens(client.get(reverse("cases:detail", args=[case.pk])), "grid-worker", "case-page")


def test_in_english_the_help_opens_the_english_guide(client, login, personas):
    login(personas.worker_cg1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert opens(client.get(reverse("cases:new")), "grid-worker", "log-a-case") == "en"


def test_the_app_serves_the_built_guide_with_its_own_policy(client, settings, tmp_path):
    settings.DOCS_SITE_DIR = tmp_path
    missing = client.get("/help/grid-worker.html")
    assert missing.status_code == 404
    assert "make docs" in missing.content.decode()
    (tmp_path / "index.html").write_text("<h1>有解 使用手册</h1>", encoding="utf-8")
    (tmp_path / "grid-worker.html").write_text("<h1>网格员</h1>", encoding="utf-8")
    page = client.get("/help/grid-worker.html")  # no login: residents read it too
    assert page.status_code == 200
    assert "网格员" in b"".join(page.streaming_content).decode()
    # Material's inline scripts run on the guide's pages only.
    assert "'unsafe-inline'" in page["Content-Security-Policy"]
    assert "'unsafe-inline'" not in client.get(reverse("login"))["Content-Security-Policy"]
    assert client.get("/help/").status_code == 200
    outside = client.get("/help/%2e%2e/config/settings/base.py")  # no file outside the guide
    assert outside.status_code in (400, 404)
    assert "SECRET_KEY" not in outside.content.decode()
    assert client.post("/help/grid-worker.html").status_code == 405
