"""Steps several browser stories share: a resident's request typed in, calling an emergency
session, opening a meeting and filling in a decision with its tasks."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect


def type_a_request(page, unit, phone="13912345678"):
    """A resident at the unit's QR page types the hallway light's request, without sending it."""
    page.goto(page.base_url + reverse("residents:place", args=[unit.public_code]))
    page.get_by_label("水电气暖").check()
    page.get_by_label("请说说情况").fill("楼道灯坏了一个星期了")
    page.get_by_label("您的姓名").fill("王大妈")
    page.get_by_label("您的电话").fill(phone)


def call_emergency_session(page):
    """On an urgent case's page: a session now, at the place."""
    emergency = page.get_by_test_id("call-emergency")
    emergency.locator("summary").click()
    emergency.get_by_label("时间").fill(timezone.localtime().strftime("%H:%M"))
    emergency.get_by_role("button", name="召集会议并通知参会人员").click()
    expect(page.get_by_test_id("meeting-state")).to_be_visible()  # the session's own page


def open_meeting(page):
    page.get_by_test_id("open-meeting").click()
    expect(page.get_by_test_id("meeting-state")).to_have_text("已召开")


def open_decision(page, tracking_code):
    """Unfold the decision form of the case's agenda item and return it."""
    page.get_by_test_id(f"item-{tracking_code}").locator(
        "summary", has_text="记录决定（决）"
    ).click()
    return page.get_by_test_id("decide-form")


def fill_tasks(form, titles, owner_label, days=10):
    due = (timezone.localdate() + timedelta(days=days)).isoformat()
    rows = form.get_by_test_id("task-row")
    for index, title in enumerate(titles):
        rows.nth(index).get_by_label("任务").fill(title)
        rows.nth(index).get_by_label("负责人").select_option(label=owner_label)
        rows.nth(index).get_by_label("截止日期").fill(due)


def submit_decision(page, form, shows):
    """Submit the decision; `shows` is what the page says after it (its message)."""
    form.get_by_role("button", name="记录决定", exact=True).click()
    expect(page.locator("main")).to_contain_text(shows)


def take_attendance(page, meeting, people=15):
    """Residents' representatives were invited; the officer ticks each who came and saves:
    only those present vote (meetings/checks.py)."""
    from meetings.models import Participant, ParticipantKind

    Participant.objects.bulk_create(
        Participant(meeting=meeting, kind=ParticipantKind.RESIDENT_REP, name=f"代表{i}")
        for i in range(1, people + 1)
    )
    page.reload()
    form = page.get_by_test_id("attendance-form")
    boxes = form.locator("input[name=attended]")
    present = boxes.count()  # the representatives, and whoever else was invited
    for index in range(present):
        boxes.nth(index).check()
    form.get_by_role("button", name="保存出席情况").click()
    expect(page.get_by_test_id("participants")).to_contain_text(f"出席 {present} 人")
