"""Every page of every role, and the residents' pages, on a 360 px phone, each visited once
for three checks: axe-core finds no serious or critical violation; every control is at least
44 × 44 px (a thumb); every table and list reads (no sideways scrolling, no column narrower
than a word, no text squeezed into a narrow column, no tracking code, date or time broken over
lines). The bell's list (notifications:list, among each role's pages) holds reminders.
tests/browser/test_accessibility.py holds the English pages and the residents' large-text
mode."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop
from playwright.sync_api import expect

from audit.models import AccessEvent, Kind
from meetings.models import Participant
from notifications import notices
from notifications.models import Notification
from tests.browser.axe import violations
from tests.browser.measure import cut_placeholders, small_controls, unreadable_tables
from tests.main_pages import ROLES, resident_pages, sample_data, staff_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def remind(user, case, rule, title, body):
    """One reminder in the user's bell, its words stored as message ids."""
    reminder = Notification(
        rule=rule,
        object_key=f"case:{case.pk}",
        due_at=timezone.now(),
        recipient_key=f"user:{user.pk}",
        user=user,
    )
    reminder.set_words(title, body)
    reminder.save()


def reminders(user, case):
    """The bell's list as a busy morning has it: reminders naming a tracking code, a task, a
    date, and one written before notices kept their message ids (its stored text)."""
    due = timezone.localdate() + timedelta(days=3)
    written = [
        (
            notices.text(gettext_noop("Not accepted in time: %(code)s"), code=case.tracking_code),
            notices.about(case),
        ),
        (
            notices.text(
                gettext_noop("Task overdue: %(task)s"), task="更换三楼楼道灯并检查整栋楼的线路"
            ),
            notices.text(
                gettext_noop("%(code)s · %(due)s"), code=case.tracking_code, due=notices.day(due)
            ),
        ),
    ]
    for number, (title, body) in enumerate(written):
        remind(user, case, f"measure{number}", title, body)
    Notification.objects.create(
        rule="older",
        object_key=f"case:{case.pk}",
        due_at=timezone.now(),
        recipient_key=f"user:{user.pk}",
        user=user,
        title=f"诉求 {case.tracking_code} 需要回访",
        body=f"回访期限 {due:%Y-%m-%d}，请到春光第1网格小区1号楼 1单元回访居民。",
    )


@pytest.fixture
def data(personas, places):
    case, meeting = sample_data(personas, places)
    for role in ROLES:
        reminders(getattr(personas, role), case)
    # The access log as a street has it: a full number shown, a search, an export.
    for kind, detail in ((Kind.PHONE_VIEWED, ""), (Kind.CASE_EXPORT, "cases.xlsx")):
        AccessEvent.objects.create(
            kind=kind,
            user=personas.street_staff,
            street=places.street,
            case=case,
            phone="13912345678",
            count=1,
            detail=detail,
        )
    # Its list of people as a session has it: a guest from a company, not told (no mobile),
    # a Party member and a resident representative who were told.
    Participant.objects.create(
        meeting=meeting, kind="guest", name="王小明", organisation="春光物业公司"
    )
    for kind, name in (("party_member", "李党员"), ("resident_rep", "张代表")):
        Participant.objects.create(
            meeting=meeting, kind=kind, name=name, notified_at=timezone.now()
        )
    return case, meeting


def table_pages(role, case, meeting, places):
    """Pages with tables besides the main ones: the calendar at the session's month (its chip)."""
    month = f"month={timezone.localdate():%Y-%m}"
    building = places.buildings[places.cg1]
    calendar = (
        reverse("meetings:calendar") + f"?month={timezone.localtime(meeting.starts_at):%Y-%m}"
    )
    return {
        "street_staff": [
            reverse("reports:cases") + f"?figure=received&{month}",
            reverse("grids:community", args=[places.chunguang.pk]),
            reverse("grids:building", args=[building.pk]),
            reverse("interop:integration"),
            reverse("recurring:list"),
            reverse("notifications:overdue"),
        ],
        "officer_chunguang": [reverse("grids:building", args=[building.pk]), calendar],
        "worker_cg1": [reverse("grids:building", args=[building.pk])],
    }[role]


def measure(page, paths, language="zh-hans", axe=True):
    found = []
    for path in paths:
        response = page.goto(page.base_url + path)
        assert response.status == 200, path
        assert page.locator("html").get_attribute("lang") == language, path
        if axe:
            found += [f"{path}: {problem}" for problem in violations(page)]
        found += [f"{path}: small control {c}" for c in small_controls(page)]
        found += [f"{path}: {problem}" for problem in unreadable_tables(page)]
        found += [f"{path}: placeholder cut {cut}" for cut in cut_placeholders(page)]
    return found


# Street staff walk some twenty pages: on a busy machine that takes longer than one story.
@pytest.mark.timeout(360)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_passes_axe_fits_a_thumb_and_its_tables_read(
    data, places, page, log_in, role
):
    case, meeting = data
    log_in(role)
    paths = staff_pages(role, case, meeting, places) + table_pages(role, case, meeting, places)
    found = measure(page, paths)
    assert found == [], "\n".join(found)


@pytest.mark.timeout(360)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_reads_in_english_too(data, places, page, log_in, role):
    """English words are longer than Chinese ones: each role's pages, in English, still fit
    a thumb and break no word over lines."""
    case, meeting = data
    log_in(role)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    paths = staff_pages(role, case, meeting, places) + table_pages(role, case, meeting, places)
    # axe reads the English pages in test_accessibility.py: here only what the length of
    # English words changes, the targets and the tables.
    found = measure(page, paths, language="en", axe=False)
    assert found == [], "\n".join(found)


def test_every_residents_page_passes_axe_and_fits_a_thumb(data, places, page):
    case, _meeting = data
    found = measure(page, resident_pages(places))
    page.goto(page.base_url + reverse("residents:status"))
    page.get_by_label("跟踪码").fill(case.tracking_code)
    page.get_by_label("手机号后 4 位").fill("5678")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("stages")).to_be_visible()
    found += [f"lookup: {problem}" for problem in violations(page)]
    found += [f"lookup: small control {c}" for c in small_controls(page)]
    assert found == [], "\n".join(found)


def test_the_bells_list_reads_in_english_too(data, personas, page, log_in):
    """English dates ("2026-12-09") in a reminder's title and text, and the channels page's
    failed messages: each date, time and code stays on one line at 360 px."""
    worker = personas.worker_cg1
    case, _meeting = data
    due = timezone.localdate() + timedelta(days=3)
    # Titles whose date falls at every place of a line: tasks of 1 to 14 characters.
    for length in range(1, 15):
        task = "更换三楼楼道灯并检查整栋楼的线路"[:length]
        title = notices.text(
            gettext_noop("New task for you: %(task)s, due %(due)s"), task=task, due=notices.day(due)
        )
        body = notices.text(gettext_noop("%(code)s · %(about)s"), code=case.tracking_code, about="")
        remind(worker, case, f"task{length}", title, body)
    log_in("worker_cg1")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    found = measure(page, [reverse("notifications:list")], language="en")
    assert found == [], "\n".join(found)


def test_the_user_menus_items_fit_a_thumb(data, page, log_in):
    """Notification channels, change password, log out: opened on a phone, each is 44 px."""
    log_in("worker_cg1")
    page.get_by_role("button", name="菜单").click()
    page.locator(".nav-link.dropdown-toggle").click()
    items = page.locator(".dropdown-menu.show .dropdown-item")
    expect(items.first).to_be_visible()
    heights = [box["height"] for box in (i.bounding_box() for i in items.all()) if box]
    assert len(heights) >= 3 and min(heights) >= 44, heights


def test_every_field_says_its_placeholder_whole_in_english_too(data, page, log_in):
    """English runs longer than Chinese: the list's search box, on a 360 px phone."""
    log_in("street_staff")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    found = []
    for path in (reverse("cases:list"), reverse("recurring:list"), reverse("audit:log")):
        page.goto(page.base_url + path)
        found += [f"{path}: placeholder cut {cut}" for cut in cut_placeholders(page)]
    assert found == [], "\n".join(found)
