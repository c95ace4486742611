"""A resident on a phone: the unit's QR link, the dripping-tap request, the lookup, and after
the officer resolves it and the grid worker verifies it, the rating."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, ResidentRating, State
from tests.browser.shots import shoot
from tests.factories import photo_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def move(page, name, then, **fields):
    """Make the move with these fields; `then` is the case's state the page shows after it."""
    box = page.get_by_test_id(f"move-{name}")
    box.locator("summary").click()
    for label, value in fields.items():
        field = box.get_by_label(label)
        if field.evaluate("e => e.tagName") != "SELECT":
            field.fill(value)
        elif value.startswith("label:"):
            field.select_option(label=value.removeprefix("label:"))
        else:
            field.select_option(value=value)
    box.get_by_role("button", name=re.compile("^确认")).click()
    expect(page.get_by_test_id("case-state")).to_contain_text(then)


def test_the_dripping_tap_from_the_qr_code_to_the_rating(personas, places, page, log_in, tmp_path):
    unit = places.leaders[places.cg1].unit
    page.goto(page.base_url + reverse("residents:place", args=[unit.public_code]))
    assert "1单元" in page.get_by_test_id("place").inner_text()
    page.get_by_label("水电气暖").check()
    page.get_by_label("请说说情况").fill("水龙头滴滴答答响了一夜，早上起来连洗脸水都接不上啦！")
    photo = tmp_path / "tap.jpg"
    photo.write_bytes(photo_bytes())
    page.get_by_label("照片（可不传）").set_input_files(str(photo))
    page.get_by_label("您的姓名").fill("王大妈")
    page.get_by_label("您的电话").fill("13912345678")
    shoot(page, "resident/request", full_page=True)
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("tracking-code")).to_be_visible()
    shoot(page, "resident/submitted")
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    case = Case.objects.get(tracking_code=code)
    assert case.grid == places.cg1 and case.channel == "online"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("link", name="查询我的诉求").click()
    page.get_by_label("手机号后 4 位").fill("5678")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("stages")).to_contain_text("已收到（点单）")
    shoot(page, "resident/status")
    assert page.get_by_test_id("rating").count() == 0

    # The officer accepts it, handles it directly and resolves it; the grid worker verifies.
    log_in("officer_chunguang")
    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    deadline = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    move(
        page,
        "accept",
        "已接单",
        负责人=f"label:{personas.officer_chunguang.first_name}",
        期限=deadline,
    )
    move(page, "handle_directly", "办", 原因="供水公司当天可上门，简单事项直接办理")
    move(
        page,
        "resolve",
        "已解单",
        办理结果="resolved",
        办理情况="更换了锈蚀管道",
        向居民解释的方式="phone",
        解释内容="供水公司已更换地下锈蚀管道，用水恢复正常",
    )
    log_in("worker_cg1")
    page.goto(page.base_url + reverse("cases:detail", args=[case.pk]))
    move(page, "verify", "已查单", 居民满意度="satisfied", 回访情况="随访：用水正常")
    assert Case.objects.get(pk=case.pk).state == State.VERIFIED

    # The resident, on their own phone again, looks it up and rates the result.
    page.context.clear_cookies()
    page.goto(page.base_url + reverse("residents:status") + f"?code={code}")
    page.get_by_label("手机号后 4 位").fill("5678")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("stages")).to_contain_text("供水公司已更换地下锈蚀管道")
    rating = page.get_by_test_id("rating")
    rating.get_by_label("满意", exact=True).check()
    rating.get_by_label("还有什么想说的？（可不填）").fill("修得很快，谢谢小张")
    shoot(page, "resident/rating", focus=rating)
    rating.get_by_role("button", name="提交评价").click()
    expect(page.get_by_test_id("rated")).to_be_visible()
    shoot(page, "resident/rated")
    assert ResidentRating.objects.get(case=case).satisfaction == "satisfied"
