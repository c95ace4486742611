"""The case page's forms come when their panel is opened (issue 19): each from the URL it is
sent to, after the same checks as sending it. A user who may make the move gets its form; one
who may not gets the same reason the move itself would give; another grid's user gets a 404.
Without JavaScript the panel's link opens the case page with the form drawn and open."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Escalation, State
from cases.workflow import MOVES
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}  # as the page's panels ask (htmx)
PAGE_MOVES = [name for name, move in MOVES.items() if not move.meeting_only]
OUTSIDERS = ["worker_cg2", "officer_funan", "other_street_staff", "no_role"]


def case_for(places, move, **fields):
    """A case of 春光第1网格 where `move` can be made now."""
    return CaseFactory(grid=places.cg1, state=MOVES[move].sources[0], **fields)


def move_url(case, move):
    return reverse("cases:move", args=[case.pk, move])


def opened(page: str, panel_id: str) -> bool:
    tag = re.search(rf'<details[^>]*id="{panel_id}"[^>]*>', page)
    assert tag, panel_id
    return re.search(r"\sopen[\s>]", tag.group(0)) is not None


@pytest.mark.parametrize("move", PAGE_MOVES)
def test_each_moves_form_comes_when_its_panel_is_opened(places, personas, login, move):
    case = case_for(places, move)
    client = login(personas.officer_chunguang)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    panel = page.split(f'data-testid="move-{move}"')[1].split("</details>")[0]
    if move == "verify":
        # Kept pages record the follow-up visit offline: its form is in the page itself.
        assert f'data-offline-visit="{case.pk}"' in panel and 'name="verify-note"' in panel
        assert "hx-get" not in panel
    else:
        assert f'hx-get="{move_url(case, move)}"' in panel
        assert "<form" not in panel and f'href="{move_url(case, move)}#move-{move}"' in panel

    fragment = client.get(move_url(case, move), headers=HTMX)
    html = fragment.content.decode()
    assert fragment.status_code == 200 and fragment["Cache-Control"].startswith("no-store")
    assert f'action="{move_url(case, move)}"' in html and f'name="{move}-note"' in html
    assert "确认：" in html and "<html" not in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_form_sent_from_a_fetched_panel_makes_the_move(places, personas, login):
    case = case_for(places, "accept")
    client = login(personas.officer_chunguang)
    html = client.get(move_url(case, "accept"), headers=HTMX).content.decode()
    chosen = re.search(r'<option value="(\d+)" selected>', html)
    assert chosen and int(chosen.group(1)) == personas.officer_chunguang.pk  # the officer
    deadline = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        move_url(case, "accept"),
        {"accept-owner": chosen.group(1), "accept-response_deadline": deadline},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.ACCEPTED and case.owner == personas.officer_chunguang


def refusal_of(response) -> str:
    found = re.search(r'data-testid="refusal">([^<]*)<', response.content.decode())
    assert found, response.content.decode()[:300]
    return found.group(1)


@pytest.mark.parametrize(
    ("who", "move", "state", "message"),
    [
        ("worker_cg1", "accept", State.SUBMITTED, "您的角色不允许"),  # the role
        ("officer_chunguang", "resolve", State.SUBMITTED, "现在不能"),  # the state
        ("officer_chunguang", "decide", State.DELIBERATING, "议事协商会"),  # a meeting's move
    ],
)
def test_a_refused_moves_form_gives_the_reason_its_move_gives(
    places, personas, login, who, move, state, message
):
    case = CaseFactory(grid=places.cg1, state=state)
    client = login(getattr(personas, who))
    fragment = client.get(move_url(case, move), headers=HTMX)
    assert fragment.status_code == 409 and message in refusal_of(fragment)
    assert "<form" not in fragment.content.decode()
    without_js = client.get(move_url(case, move))
    sent = client.post(move_url(case, move), {})
    assert without_js.status_code == sent.status_code == 409
    assert refusal_of(fragment) == refusal_of(without_js) == refusal_of(sent)
    assert Case.objects.get(pk=case.pk).state == state


def test_a_form_whose_move_was_made_meanwhile_says_so(places, personas, login):
    """The page was drawn; another officer accepts; the panel opened now says why not."""
    case = case_for(places, "accept")
    client = login(personas.officer_chunguang)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="move-accept"' in page
    Case.objects.filter(pk=case.pk).update(state=State.ACCEPTED)
    fragment = client.get(move_url(case, "accept"), headers=HTMX)
    assert fragment.status_code == 409 and "现在不能" in refusal_of(fragment)


def test_an_unknown_move_has_no_form(places, personas, login):
    case = CaseFactory(grid=places.cg1)
    client = login(personas.officer_chunguang)
    assert client.get(move_url(case, "fly"), headers=HTMX).status_code == 404
    assert client.get(move_url(case, "fly")).status_code == 404


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_every_form_of_another_grids_case_is_a_404(places, personas, login, outsider):
    case = CaseFactory(
        grid=places.cg1,
        state=State.DECIDED,
        resident_phone="13912345678",
        response_deadline=timezone.now() - timedelta(days=1),
    )
    client = login(getattr(personas, outsider))
    urls = [move_url(case, name) for name in MOVES] + [
        reverse(name, args=[case.pk])
        for name in ("cases:task_add", "cases:escalate", "cases:link_duplicate", "cases:anonymise")
    ]
    for url in urls:
        for headers in (HTMX, {}):
            response = client.get(url, headers=headers)
            assert response.status_code == 404, (outsider, url, headers)
            assert "13912345678" not in response.content.decode()


def test_without_javascript_the_link_opens_the_page_with_the_form(places, personas, login):
    case = case_for(places, "decline", resident_phone="13912345678")
    client = login(personas.officer_chunguang)
    response = client.get(move_url(case, "decline"))
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("no-store")
    assert opened(page, "move-decline") and 'name="decline-note"' in page
    assert not opened(page, "move-accept") and 'name="accept-owner"' not in page
    assert case.tracking_code in page and "13912345678" not in page  # the page, masked
    assert "X-Offline-Cache" not in response  # only the case page itself is kept offline


def test_a_form_sent_with_errors_comes_back_open_with_them(places, personas, login):
    case = case_for(places, "decline")
    client = login(personas.officer_chunguang)
    response = client.post(move_url(case, "decline"), {"decline-note": ""})
    page = response.content.decode()
    assert response.status_code == 400 and "这个字段是必填项" in page
    assert opened(page, "move-decline") and not opened(page, "move-accept")
    assert 'name="decline-explanation"' in page and "告知居民的内容" in page


# The page's other forms ------------------------------------------------------------------
def test_the_task_form_comes_for_who_manages_tasks(places, personas, login):
    case = CaseFactory(grid=places.cg1, state=State.DECIDED)
    url = reverse("cases:task_add", args=[case.pk])
    officer = login(personas.officer_chunguang)
    page = officer.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'hx-get="{url}"' in page and 'name="task-title"' not in page
    fragment = officer.get(url, headers=HTMX)
    assert fragment.status_code == 200 and 'name="task-title"' in fragment.content.decode()
    assert opened(officer.get(url).content.decode(), "panel-task")
    worker = login(personas.worker_cg1)
    refused = worker.get(url, headers=HTMX)
    assert refused.status_code == 409 and "只有" in refusal_of(refused)
    assert (
        f'hx-get="{url}"'
        not in worker.get(reverse("cases:detail", args=[case.pk])).content.decode()
    )


def test_the_escalation_form_comes_for_an_overdue_case_only(places, personas, login):
    late = CaseFactory(
        grid=places.cg1, state=State.ACCEPTED, response_deadline=timezone.now() - timedelta(days=1)
    )
    on_time = CaseFactory(
        grid=places.cg1, state=State.ACCEPTED, response_deadline=timezone.now() + timedelta(days=1)
    )
    client = login(personas.worker_cg1)
    fragment = client.get(reverse("cases:escalate", args=[late.pk]), headers=HTMX)
    assert fragment.status_code == 200 and 'name="escalate-reason"' in fragment.content.decode()
    refused = client.get(reverse("cases:escalate", args=[on_time.pk]), headers=HTMX)
    assert refused.status_code == 409 and "逾期" in refusal_of(refused)
    Escalation.objects.create(case=late, reason="逾期", raised_by=personas.worker_cg1)
    again = client.get(reverse("cases:escalate", args=[late.pk]), headers=HTMX)
    assert again.status_code == 409 and "已提请督办" in refusal_of(again)


def test_the_repeat_link_form_comes_for_the_grids_worker(places, personas, login):
    case = CaseFactory(grid=places.cg1)
    url = reverse("cases:link_duplicate", args=[case.pk])
    client = login(personas.worker_cg1)
    assert f'hx-get="{url}"' in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    fragment = client.get(url, headers=HTMX)
    assert fragment.status_code == 200
    assert 'name="duplicate-tracking_code"' in fragment.content.decode()


def test_the_anonymise_form_is_the_street_staffs_only(places, personas, login):
    case = CaseFactory(grid=places.cg1)
    url = reverse("cases:anonymise", args=[case.pk])
    staff = login(personas.street_staff)
    page = staff.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'hx-get="{url}"' in page and 'name="anonymise-confirm"' not in page
    fragment = staff.get(url, headers=HTMX).content.decode()
    assert 'name="anonymise-reason"' in fragment and 'name="anonymise-confirm"' in fragment
    assert opened(staff.get(url).content.decode(), "panel-anonymise")
    # As its POST: the community's officer holds the case but is not street staff.
    officer = login(personas.officer_chunguang)
    assert officer.get(url, headers=HTMX).status_code == 404
    assert officer.get(url).status_code == 404
