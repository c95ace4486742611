"""A grid worker's morning in airplane mode (issue 17): requests and follow-up visits recorded
without a signal, kept on the phone, and sent exactly once when the connection returns."""

import io
import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from accounts.models import RoleKind
from accounts.scope import Scope
from cases import workflow
from cases.forms import move_form
from cases.models import Case, CaseEvent, State
from tests.factories import CaseFactory, UserFactory, make_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# A fetch that only the network answers (the service worker keeps no such page): it fails
# exactly when the page and its service worker are both offline. The page asks again every
# 100 ms until the answer is the one wanted, for 5 s at most; each try gives up after 2 s.
PROBE = """async (offline) => {
    const deadline = Date.now() + 5000;
    do {
        const reached = await fetch('/offline-probe/', {headers: {'X-Offline-Keep': '1'},
            redirect: 'manual', signal: AbortSignal.timeout(2000)})
            .then(() => true, (error) => error.name === 'TimeoutError' ? null : false);
        if (reached === !offline) return true;
        await new Promise((resolve) => setTimeout(resolve, 100));
    } while (Date.now() < deadline);
    return false;
}"""


@pytest.fixture
def offline(page):
    """Airplane mode for the page and its service worker (the test's phone is thrown away
    afterwards, its connection with it)."""

    def airplane_mode(on):
        page.context.set_offline(on)
        assert page.url.startswith("http"), f"no page of the app to ask from: {page.url}"
        assert page.evaluate(PROBE, on), f"the service worker did not follow (offline={on})"

    return airplane_mode


def ready(page):
    """The service worker controls the page and this user's pages are kept."""
    # The page waits up to 15 s for its worker to take it (static/js/offline.js, ready()),
    # keeps the pages when it does even later, with up to three tries of its places a second
    # apart. What the page says of why not is in the failure.
    try:
        page.locator('html[data-offline-ready="yes"]').wait_for(state="attached", timeout=40000)
    except PlaywrightError:
        raise AssertionError(page.evaluate("({...document.documentElement.dataset})")) from None


def big_photo(tmp_path, name):
    path = tmp_path / name
    out = io.BytesIO()
    Image.new("RGB", (3200, 2400), (30, 120, 200)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return str(path)


def fill_request(page, description, photo, building="1号楼"):
    page.get_by_text(f"春光第1网格小区 {building}").click()
    if building == "1号楼":
        page.get_by_text("1单元", exact=True).click()
    page.get_by_label("类别").select_option(label="水电气暖")
    page.get_by_label("诉求内容").fill(description)
    page.get_by_label("照片").set_input_files(photo)
    page.get_by_label("居民姓名").fill("王大妈")
    page.get_by_label("居民电话").fill("13912345678")
    flashes = page.get_by_test_id("offline-flash").count()
    page.get_by_role("button", name="保存诉求").click()
    expect(page.get_by_test_id("offline-flash")).to_have_count(flashes + 1)


def queue_count(page):
    """Requests waiting on the phone. Every way the IndexedDB request can end settles the
    promise (a database that is not there yet is left uncreated), and 5 s without an answer
    (a pending deletion keeps an open waiting) fails it."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const fail = (why) => reject(new Error(`IndexedDB youjie-offline: ${why}`));
            const timer = setTimeout(() => fail("no answer in 5 s"), 5000);
            const settle = (value) => { clearTimeout(timer); resolve(value); };
            let absent = false;
            const open = indexedDB.open("youjie-offline");
            open.onupgradeneeded = () => { absent = true; open.transaction.abort(); };
            open.onblocked = () => fail("blocked by another connection");
            open.onerror = (event) => {
              event.preventDefault();
              absent ? settle(0) : fail(open.error);
            };
            open.onsuccess = () => {
              const db = open.result;
              if (!db.objectStoreNames.contains("queue")) { db.close(); return settle(0); }
              const count = db.transaction("queue").objectStore("queue").count();
              count.onsuccess = () => { db.close(); settle(count.result); };
              count.onerror = () => { db.close(); fail(count.error); };
            };
          })"""
    )


def wait_until_sent(page):
    page.locator("#offline-banner[data-waiting='0']").wait_for(state="attached")


def test_three_requests_logged_in_airplane_mode_arrive_exactly_once(
    personas, places, page, log_in, offline, tmp_path
):
    log_in("worker_cg1")
    page.goto(page.base_url + reverse("cases:new"))
    ready(page)
    offline(True)
    page.reload()  # the form comes from the phone
    for n in range(3):
        fill_request(page, f"离线登记第{n + 1}件：楼道灯不亮", big_photo(tmp_path, f"p{n}.jpg"))
    banner = page.get_by_test_id("offline-banner")
    expect(banner).to_contain_text("等待发送：3")
    assert "离线" in banner.inner_text()
    link = page.get_by_test_id("offline-count").bounding_box()  # tapped with a thumb
    assert link["height"] >= 44 and link["width"] >= 44, link
    page.reload()  # still offline: the queue survives
    expect(page.get_by_test_id("offline-banner")).to_contain_text("等待发送：3")
    page.goto(page.base_url + reverse("cases:offline"))
    expect(page.get_by_test_id("queued-item")).to_have_count(3)
    assert Case.objects.count() == 0

    offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_sent(page)
    cases = list(Case.objects.order_by("created_at"))
    assert [c.description for c in cases] == [f"离线登记第{n}件：楼道灯不亮" for n in (1, 2, 3)]
    for case in cases:
        assert case.created_by == personas.worker_cg1 and case.unit.name == "1单元"
        (photo,) = case.photos.all()
        with Image.open(photo.image) as image:
            assert max(image.size) == 1600  # resized on the phone
    page.reload()
    expect(page.get_by_test_id("sent-item")).to_have_count(3)
    assert queue_count(page) == 0


def test_a_connection_lost_in_the_middle_of_sending_neither_doubles_nor_loses(
    personas, places, page, log_in, offline, tmp_path
):
    log_in("worker_cg1")
    page.goto(page.base_url + reverse("cases:new"))
    ready(page)
    offline(True)
    page.reload()
    for n in range(3):
        fill_request(page, f"断线第{n + 1}件", big_photo(tmp_path, f"q{n}.jpg"))

    # The first item reaches the server but its answer is lost; the second never arrives.
    # The route is in place before the connection comes back: coming back starts the sending.
    sends = []

    def drop(route):
        sends.append(route.request.url)
        if len(sends) == 1:
            route.fetch()  # the server logs the case...
            route.abort("internetdisconnected")  # ...and the phone never hears back
        else:
            route.abort("internetdisconnected")

    page.route("**/cases/offline/cases/", drop)
    page.evaluate("delete document.documentElement.dataset.offlineSynced")
    offline(False)
    page.locator("html[data-offline-synced]").wait_for(state="attached")
    assert Case.objects.count() == 1 and queue_count(page) == 3
    page.unroute("**/cases/offline/cases/")

    page.goto(page.base_url + reverse("cases:offline"))
    page.get_by_test_id("send-now").click()
    wait_until_sent(page)
    assert sorted(Case.objects.values_list("description", flat=True)) == [
        "断线第1件",
        "断线第2件",
        "断线第3件",
    ]
    assert queue_count(page) == 0


def due_visit(places, officer, note):
    return CaseFactory(
        grid=places.cg1,
        state=State.RESOLVED,
        resolved_by=officer,
        follow_up_due=timezone.now() - timedelta(hours=1),
        description=note,
    )


def test_follow_up_visits_recorded_offline_and_a_conflict_overwrites_nothing(
    personas, places, page, log_in, offline
):
    officer = personas.officer_chunguang
    calm = due_visit(places, officer, "门禁修好了")
    contested = due_visit(places, officer, "路灯修好了")
    log_in("worker_cg1")
    ready(page)
    offline(True)
    for case, note in ((calm, "回访：门禁正常"), (contested, "回访：路灯正常")):
        page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
        assert case.tracking_code in page.content()
        visit = page.get_by_test_id("move-verify")
        visit.locator("summary").click()
        visit.get_by_label("居民满意度").select_option(value="satisfied")
        visit.get_by_label("回访情况").fill(note)
        visit.get_by_role("button", name=re.compile("^确认")).click()
        page.get_by_test_id("offline-flash").wait_for()
    expect(page.get_by_test_id("offline-banner")).to_contain_text("等待发送：2")

    # Meanwhile the community officer's colleague verifies the contested case.
    colleague = UserFactory(username="colleague")
    make_role(colleague, RoleKind.GRID_WORKER, places.cg1)
    scope = Scope.for_user(colleague)
    form = move_form(
        "verify", contested, {"verify-satisfaction": "basically", "verify-note": "已回访"}
    )
    assert form.is_valid()
    workflow.perform(scope, colleague, contested.pk, "verify", form.inputs())

    offline(False)
    page.goto(page.base_url + reverse("cases:offline"))
    page.get_by_test_id("send-now").click()
    page.locator("#offline-banner[data-waiting='0']").wait_for(state="attached")
    calm.refresh_from_db()
    contested.refresh_from_db()
    assert calm.state == State.VERIFIED and calm.satisfaction == "satisfied"
    assert contested.state == State.VERIFIED and contested.satisfaction == "basically"
    assert list(contested.events.filter(move="verify").values_list("note", flat=True)) == ["已回访"]
    item = page.get_by_test_id("queued-item")
    expect(item).to_have_count(1)
    assert item.get_attribute("data-status") == "conflict"
    assert "冲突" in item.inner_text() and colleague.get_full_name() in item.inner_text()
    assert CaseEvent.objects.filter(case=calm, move="verify").count() == 1


def assert_not_readable(page, case):
    try:
        page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    except PlaywrightError:
        return  # nothing kept: the browser's own offline page
    assert case.description not in page.content()


def log_out(page):
    page.get_by_role("button", name="菜单").click()
    # The menu has finished opening (a tap while it unfolds may open nothing).
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    page.locator("#main-nav .dropdown-toggle").click()
    page.get_by_role("button", name="退出登录").click()


def test_logout_warns_then_clears_the_caches_and_the_queue(
    personas, places, page, log_in, offline, tmp_path
):
    case = CaseFactory(grid=places.cg1, state=State.SUBMITTED, resident_phone="13900001111")
    log_in("worker_cg1")
    ready(page)
    offline(True)
    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))  # kept, masked
    assert "139****1111" in page.content() and "13900001111" not in page.content()
    page.goto(page.base_url + reverse("cases:new"))
    fill_request(page, "退出前未发送", big_photo(tmp_path, "r.jpg"))
    page.route("**/cases/offline/cases/", lambda route: route.abort())  # still not sent
    offline(False)

    with page.expect_event("dialog") as warning:  # dismissed (tests/browser/conftest.py)
        log_out(page)
    assert "尚未发送" in warning.value.message  # the worker stays, and the item with them
    assert queue_count(page) == 1
    page.reload()
    page.dialogs.accept_next()
    log_out(page)
    expect(page).to_have_url(re.compile("/login/$"))
    # What stays is the app's own public files (the same CSS and scripts for everyone).
    kept = page.evaluate("caches.keys()")
    assert kept and all(name.startswith(("youjie-precache", "youjie-static")) for name in kept), (
        kept
    )
    assert queue_count(page) == 0

    # Whoever picks up the phone next, offline, finds nothing of the previous user.
    offline(True)
    assert_not_readable(page, case)


def test_another_worker_on_the_same_phone_never_sees_the_previous_ones_pages_or_queue(
    personas, places, page, log_in, offline, tmp_path
):
    case = CaseFactory(grid=places.cg1, state=State.SUBMITTED, description="春光一网格的漏水")
    log_in("worker_cg1")
    ready(page)
    offline(True)
    page.goto(page.base_url + reverse("cases:new"))
    fill_request(page, "一网格的待发诉求", big_photo(tmp_path, "s.jpg"))
    offline(False)
    page.route("**/cases/offline/cases/", lambda route: route.abort())

    log_in("worker_cg2")  # the session ran out; another worker logs in, no logout
    ready(page)
    assert queue_count(page) == 0
    assert "等待发送" not in page.get_by_test_id("offline-banner").inner_text()
    offline(True)
    page.goto(page.base_url + reverse("cases:offline"))  # worker_cg2's own kept page
    expect(page.get_by_test_id("queued-items")).to_be_attached()
    page.locator("[data-offline-empty]:visible").wait_for()
    expect(page.get_by_test_id("queued-item")).to_have_count(0)
    assert "worker_cg2" in page.content() or "用户" in page.content()
    assert_not_readable(page, case)


def test_a_form_fetched_when_its_panel_opens_says_it_needs_a_connection(
    personas, places, page, log_in, offline
):
    """A kept case page's forms, but the follow-up visit, come from the server when their
    panel is opened: without a signal the panel says so and keeps its link for later."""
    case = CaseFactory(grid=places.cg1, state=State.SUBMITTED)
    log_in("worker_cg1")
    ready(page)
    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    offline(True)
    page.reload()  # the kept page
    panel = page.locator(
        "details", has=page.locator("summary", has_text="关联为其他诉求的重复诉求")
    )
    panel.locator("summary").click()
    expect(panel).to_contain_text("打开表单需要网络连接")
    expect(panel.get_by_role("link", name="打开表单")).to_be_visible()
    assert panel.locator("form").count() == 0
    offline(False)
    page.reload()
    panel.locator("summary").click()
    expect(panel.get_by_label("被重复诉求的跟踪码")).to_be_visible()


SESSION_ENDS = """() => new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data);
    navigator.serviceWorker.controller.postMessage({type: "session"}, [channel.port2]);
})"""


def test_a_session_that_ends_offline_takes_the_kept_pages_and_leaves_the_queue(
    personas, places, page, log_in, offline, tmp_path
):
    """The phone is left on a kept case page, offline, past the idle limit (no logout)."""
    case = CaseFactory(grid=places.cg1, state=State.SUBMITTED, description="三号楼水龙头滴水")
    page.clock.install()
    log_in("worker_cg1")
    ready(page)
    offline(True)
    page.goto(page.base_url + reverse("cases:new"))
    fill_request(page, "过期前未发送的诉求", big_photo(tmp_path, "e.jpg"))
    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    expect(page.get_by_text("三号楼水龙头滴水")).to_be_visible()

    page.clock.fast_forward("31:00")  # 30 minutes without a request end the session
    expect(page).to_have_url(re.compile(re.escape(reverse("cases:offline")) + "$"))
    banner = page.get_by_test_id("offline-banner")
    expect(banner).to_contain_text("登录已过期：本机保存的页面已删除。")
    expect(banner).to_contain_text("请重新登录")
    expect(page.get_by_test_id("queued-item")).to_have_count(1)
    assert queue_count(page) == 1
    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    expect(page).to_have_url(
        re.compile(re.escape(reverse("cases:offline")) + "$")
    )  # the queue page instead of the case
    expect(page.get_by_test_id("queued-item")).to_have_count(1)
    assert "三号楼水龙头滴水" not in page.content()


def test_a_phone_put_away_offline_deletes_the_kept_pages_when_the_session_ends(
    personas, places, page, log_in, offline, settings
):
    """No page of the app is open when the session runs out: the service worker goes by the
    phone's own clock the next time a page is asked for."""
    case = CaseFactory(grid=places.cg1, state=State.SUBMITTED, description="五号楼楼道堆物")
    log_in("worker_cg1")
    # From here on each answer gives the session 12 seconds: the phone keeps the pages, and
    # is put away before they run out.
    settings.SESSION_IDLE_MINUTES = 0.2
    page.reload()
    ready(page)
    offline(True)
    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    expect(page.get_by_text("五号楼楼道堆物")).to_be_visible()
    ends = page.evaluate(SESSION_ENDS)
    # Seconds left on the phone's own clock (the test's clock may be pinned elsewhere).
    left = (ends - page.evaluate("Date.now()")) / 1000
    assert 0 < left <= 12
    page.goto("about:blank")  # the phone is put away
    time.sleep(left + 1)

    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    expect(page).to_have_url(
        re.compile(re.escape(reverse("cases:offline")) + "$")
    )  # the queue page instead of the case
    expect(page.get_by_test_id("offline-banner")).to_contain_text("登录已过期")
    assert "五号楼楼道堆物" not in page.content()
