"""No dead ends: every link a page shows its user opens for that user.

For each role, a crawl starts from the home page of a small but lived-in street (cases in
every state, one on a meeting's agenda, a held meeting with minutes and a decision, tasks,
escalations, the bell's reminders) and follows every same-site `<a href>` breadth-first. Each
must answer 200, or redirect to a page that answers 200; never 404 or 500. The bell's
reminders are forms (opening one marks it read), so their targets are followed too.

A link the page itself marks as unavailable (`aria-disabled="true"`) is not followed: the page
announces the refusal. Query-string variants of one page (sorting, filters, page numbers) are
sampled, one per set of parameters, so the crawl visits every page kind and every object. A
case's forms are sampled by the case's state: every case page is visited, and each form it
offers once for a case in each state.
"""

import re
import time
from collections import Counter, deque
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.utils import timezone

from accounts.scope import Scope
from cases import workflow as case_workflow
from cases.inputs import EscalationAnswer, NewTask
from cases.models import Case, State, Task
from meetings import workflow
from meetings.inputs import Attendance, Deferral, Invitation, ItemDecision, Minutes
from meetings.models import Meeting, Participant
from notifications import dispatch
from tests.factories import CaseFactory, UserFactory, _category, attendees

pytestmark = pytest.mark.django_db

PAGES_PER_ROLE = 400
VARIANTS_PER_SHAPE = 1  # the same page with the same query parameters, different values
# The guide under /help/ is a site built from docs/ (tests/test_help_link.py checks its links).
NOT_CRAWLED = ("/static/", "/media/", "/logout/", "/admin/logout/", "/help/")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href") and attrs.get("aria-disabled") != "true":
            self.hrefs.append(attrs["href"])


def same_site_links(page_url: str, html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        parts = urlsplit(urljoin("http://testserver" + page_url, href))
        if parts.scheme not in ("http", "https") or parts.netloc != "testserver":
            continue  # mailto:, tel:, other sites
        address = parts.path + (f"?{parts.query}" if parts.query else "")
        if not address.startswith(NOT_CRAWLED):
            found.append(address)
    return found


def shape(address: str, states: dict):
    """What makes two addresses the same kind of page, or None for a page always visited.

    The app's own pages are each visited (a dead end is often one object's link); their
    query-string variants, and Django's admin pages (one per model and page kind), are
    sampled."""
    parts = urlsplit(address)
    keys = tuple(sorted({key for key, _value in parse_qsl(parts.query)}))
    if parts.path.startswith("/admin/"):
        return re.sub(r"/\d+/", "/#/", parts.path), "admin"
    case_form = CASE_FORM.fullmatch(parts.path)
    if case_form:
        # What a case page offers (moves, tasks, escalation) follows from the case's state
        # and the viewer's role: one case per state stands for the others in it.
        return case_form["form"], states.get(int(case_form["pk"])), keys
    return (parts.path, keys) if keys else None


# A form of one case (its page is visited for every case; its forms once per case state).
CASE_FORM = re.compile(r"/cases/(?P<pk>\d+)/(?P<form>(?!photos/)[a-z_/]+?)/?")


def crawl(client, seeds=()):
    """Breadth-first from the home page; returns ({address: status}, [dead ends])."""
    queue = deque(["/", *seeds])
    referrers = {"/": "(start)", **dict.fromkeys(seeds, "(the bell)")}
    seen, shapes, dead = {}, Counter(), []
    states = dict(Case.objects.values_list("pk", "state"))  # the crawl changes no case
    while queue and len(seen) < PAGES_PER_ROLE:
        address = queue.popleft()
        if address in seen:
            continue
        key = shape(address, states)
        if key is not None:
            if shapes[key] >= VARIANTS_PER_SHAPE:
                continue
            shapes[key] += 1
        response = client.get(address)
        final = response
        if response.status_code in (301, 302, 303):
            target = response["Location"]
            final = client.get(target)
            if final.status_code != 200:
                dead.append((address, f"302 → {target} → {final.status_code}", referrers[address]))
        elif response.status_code != 200:
            dead.append((address, response.status_code, referrers[address]))
        seen[address] = response.status_code
        if final.status_code == 200 and "text/html" in final.get("Content-Type", ""):
            for link in same_site_links(address, final.content.decode()):
                if link not in seen:
                    referrers.setdefault(link, address)
                    queue.append(link)
    return seen, dead


# A small street, lived in -------------------------------------------------------------------
def small_street(places, personas):
    now = timezone.now()
    later = now + timedelta(days=3)
    officers = {
        places.chunguang: personas.officer_chunguang,
        places.funan: personas.officer_funan,
    }
    for grid in (places.cg1, places.cg2, places.fn1, places.yy1):
        officer = officers.get(grid.community)
        for state in State:
            CaseFactory(
                grid=grid,
                building=places.buildings[grid],
                category=_category("设施维修"),
                description=f"{grid.name}的诉求（{state.label}）",
                state=state,
                owner=officer if state != State.SUBMITTED else None,
                response_deadline=later if state != State.SUBMITTED else None,
                follow_up_due=now - timedelta(hours=2) if state == State.RESOLVED else None,
            )
    late = CaseFactory(
        grid=places.cg1,
        state=State.ACCEPTED,
        owner=personas.officer_chunguang,
        response_deadline=now - timedelta(days=2),
        description="楼道堆物三天没人管",
    )
    answered = CaseFactory(
        grid=places.cg2,
        state=State.ACCEPTED,
        owner=personas.officer_chunguang,
        response_deadline=now - timedelta(days=1),
        description="路灯坏了一周",
    )
    worker, officer, staff = personas.worker_cg1, personas.officer_chunguang, personas.street_staff
    case_workflow.escalate(Scope.for_user(worker), worker, late.pk, "三天没人管")
    escalation = case_workflow.escalate(Scope.for_user(officer), officer, answered.pk, "一周了")
    case_workflow.answer_escalation(
        Scope.for_user(staff),
        staff,
        answered.pk,
        escalation.pk,
        EscalationAnswer(comment="请本周内修好", new_deadline=later),
    )

    # 春光社区's session: invited, opened, one case decided (with a task), one deferred,
    # minutes written and approved by the host.
    scope = Scope.for_user(officer)
    month = timezone.localdate().replace(day=1)
    workflow.schedule_monthly_sessions(month, [places.chunguang])
    session = Meeting.objects.get(community=places.chunguang, month=month)
    Meeting.objects.filter(pk=session.pk).update(
        starts_at=timezone.localtime().replace(hour=0, minute=5), host=officer
    )
    agenda = [
        CaseFactory(
            grid=grid,
            state=State.PROPOSED,
            owner=officer,
            description=text,
            created_at=timezone.localtime().replace(hour=0, minute=0),  # before the session
        ).pk
        for grid, text in ((places.cg1, "广场连体桌椅破损"), (places.cg2, "电动车充电桩"))
    ]
    workflow.add_to_agenda(scope, officer, session.pk, agenda)
    workflow.invite(scope, officer, session.pk, Invitation(kinds=("grid_worker",)))
    workflow.open_meeting(scope, officer, session.pk)
    present = attendees(session, 12)  # only those present vote
    decided, deferred = session.items.order_by("position")
    workflow.record_decision(
        scope,
        officer,
        session.pk,
        decided.pk,
        ItemDecision(
            discussion="居民代表、物业共同讨论",
            plan="翻修连体桌椅",
            votes_for=9,
            votes_against=1,
            responsible="社区、物业",
            public_wording="决定翻修广场连体桌椅。",
            tasks=(
                NewTask(
                    title="采购桌椅",
                    owner_user=worker,
                    due_date=timezone.localdate() + timedelta(days=5),
                ),
            ),
        ),
    )
    workflow.defer_item(scope, officer, session.pk, deferred.pk, Deferral(discussion="再议"))
    came = Attendance(attended=frozenset(p.pk for p in present))  # as many as voted, or more
    workflow.record_attendance(scope, officer, session.pk, came)
    session.refresh_from_db()
    workflow.save_minutes(
        scope, officer, session.pk, Minutes(text="会议纪要：桌椅翻修。", version=session.version)
    )
    workflow.approve_minutes(scope, officer, session.pk)
    in_progress = CaseFactory(grid=places.cg1, state=State.IN_PROGRESS, owner=officer)
    due = timezone.localdate() + timedelta(days=1)
    task = case_workflow.add_task(
        scope, officer, in_progress.pk, NewTask(title="换灯泡", due_date=due, owner_user=worker)
    )
    Task.objects.filter(pk=task.pk).update(due_date=due - timedelta(days=2))  # now overdue

    # 富南社区's emergency session tomorrow, with a 春光 grid worker invited as a guest of it.
    tomorrow = timezone.localtime() + timedelta(days=1)
    emergency = Meeting.objects.create(
        street=places.street,
        community=places.funan,
        kind="emergency",
        starts_at=tomorrow.replace(hour=10, minute=0),
        venue_kind="on_site",
        address="富南第1网格",
        host=personas.officer_funan,
    )
    fn1_case = CaseFactory(grid=places.fn1, state=State.PROPOSED, description="井盖松动")
    emergency.items.create(case=fn1_case, position=1)
    Participant.objects.create(meeting=emergency, kind="guest", name="网格员", user=worker)

    dispatch.scan()  # the bell: reminders for every rule (cases, tasks, the meeting tomorrow)


ROLES = ["worker_cg1", "officer_chunguang", "street_staff", "other_street_staff", "superuser"]


# One test per role, each of which `make test` may run in another process (tests/conftest.py,
# SPREAD): the five roles in one test took the suite's last minute alone.
@pytest.mark.timeout(180)  # some 200 pages for a role: a few seconds to half a minute
@pytest.mark.parametrize("role", ROLES)
def test_every_link_on_every_page_opens_for_every_role(places, personas, client, capsys, role):
    small_street(places, personas)
    if role == "superuser":
        user = UserFactory(username="root", is_superuser=True, is_staff=True)
    else:
        user = getattr(personas, role)
    started = time.monotonic()
    client.force_login(user)
    bell = list(user.notifications.exclude(url="").values_list("url", flat=True).distinct())
    pages, dead_ends = crawl(client, bell)
    with capsys.disabled():
        print(f"\nlink crawl, {role}: {len(pages)} pages in {time.monotonic() - started:.1f} s")
    assert dead_ends == []
    assert len(pages) > 10  # the crawl really walked the site
