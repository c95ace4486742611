"""The reminder rules, in one place: what is due now and who is told.

The same querysets feed the beat task that sends reminders and the overdue page, so what a
user reads as overdue is what the reminders say. Each reminder's natural key is
(rule, object, due moment, recipient).
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Role, RoleKind
from accounts.selectors import officers_by_community, workers_by_grid
from cases.models import Case, State, Task, TaskStatus, overdue_condition
from meetings.models import Meeting, MeetingState
from reports.models import FrozenReport

from .notices import Text, about, clock_time, day, month, text, venue

# Reminders are about recent things: what fell due longer ago than this was reminded then.
LOOKBACK = timedelta(days=30)


@dataclass
class Reminder:
    rule: str
    object_key: str
    due_at: datetime
    title: Text  # put into words in each reader's language (notices.py)
    body: Text
    url: str
    users: list = field(default_factory=list)
    contacts: list = field(default_factory=list)


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


# What is due: querysets, narrowed by the caller's scope on the overdue page ---------------
def unaccepted_cases(now):
    return Case.objects.filter(
        state=State.SUBMITTED,
        response_deadline__lte=now,
        response_deadline__gte=now - LOOKBACK,
        duplicate_of__isnull=True,  # a linked repeat follows its original
    )


def cases_past_deadline(now):
    """Accepted cases still open past their owner's deadline (the overdue page shows them)."""
    return Case.objects.filter(overdue_condition(now)).exclude(state=State.SUBMITTED)


def tasks_due_soon(now):
    today = timezone.localdate(now)
    return Task.objects.filter(
        status=TaskStatus.OPEN, due_date__gte=today, due_date__lte=today + timedelta(days=1)
    )


def tasks_overdue(now):
    today = timezone.localdate(now)
    return Task.objects.filter(
        status=TaskStatus.OPEN, due_date__lt=today, due_date__gte=today - LOOKBACK
    )


def follow_ups_due(now):
    return Case.objects.filter(
        state=State.RESOLVED, follow_up_due__lte=now, follow_up_due__gte=now - LOOKBACK
    )


def meetings_tomorrow(now):
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    return Meeting.objects.filter(
        state=MeetingState.SCHEDULED,
        starts_at__gte=_day_start(tomorrow),
        starts_at__lt=_day_start(tomorrow + timedelta(days=1)),
    )


# Who is told ----------------------------------------------------------------------------
def _case_url(case_id):
    return reverse("cases:detail", args=[case_id])


def unaccepted(now):
    cases = list(unaccepted_cases(now).select_related("category", "grid"))
    officers = officers_by_community({c.community_id for c in cases})
    for case in cases:
        yield Reminder(
            "unaccepted",
            f"case:{case.pk}",
            case.response_deadline,
            text(gettext_noop("Not accepted in time: %(code)s"), code=case.tracking_code),
            about(case),
            _case_url(case.pk),
            users=officers.get(case.community_id, []),
        )


def _task_reminder(rule, task, due_at, title):
    users = [u for u in (task.owner_user, task.case.owner) if u is not None]
    return Reminder(
        rule,
        f"task:{task.pk}",
        due_at,
        text(title, task=task.title),
        text(
            gettext_noop("%(code)s · %(due)s"), code=task.case.tracking_code, due=day(task.due_date)
        ),
        _case_url(task.case_id),
        users=list({u.pk: u for u in users}.values()),
        contacts=[task.owner_contact] if task.owner_contact_id else [],
    )


def task_due_soon(now):
    for task in tasks_due_soon(now).select_related("case__owner", "owner_user", "owner_contact"):
        title = gettext_noop("Task due soon: %(task)s")
        yield _task_reminder("task_due_soon", task, _day_start(task.due_date), title)


def task_overdue(now):
    for task in tasks_overdue(now).select_related("case__owner", "owner_user", "owner_contact"):
        yield _task_reminder(
            "task_overdue",
            task,
            _day_start(task.due_date + timedelta(days=1)),
            gettext_noop("Task overdue: %(task)s"),
        )


def follow_up(now):
    cases = list(follow_ups_due(now).select_related("category", "grid"))
    workers = workers_by_grid({c.grid_id for c in cases})
    for case in cases:
        yield Reminder(
            "follow_up",
            f"case:{case.pk}",
            case.follow_up_due,
            text(gettext_noop("Follow-up visit due: %(code)s"), code=case.tracking_code),
            about(case),
            _case_url(case.pk),
            users=workers.get(case.grid_id, []),
        )


def meeting_tomorrow(now):
    for meeting in (
        meetings_tomorrow(now)
        .select_related("community")
        .prefetch_related("participants__user", "participants__contact")
    ):
        people = list(meeting.participants.all())
        yield Reminder(
            "meeting_tomorrow",
            f"meeting:{meeting.pk}",
            meeting.starts_at,
            text(
                gettext_noop("Deliberation meeting tomorrow %(time)s, %(community)s"),
                time=clock_time(meeting.starts_at),
                community=meeting.community.name,
            ),
            venue(meeting),
            reverse("meetings:detail", args=[meeting.pk]),
            users=[p.user for p in people if p.user_id],
            contacts=[p.contact for p in people if p.contact_id],
        )


def report_ready(now):
    """Last month's report, frozen on the 1st, is ready for the street's staff."""

    reports = list(
        FrozenReport.objects.filter(frozen_at__gte=now - LOOKBACK).select_related("street")
    )
    staff = {}
    for role in Role.objects.filter(
        kind=RoleKind.STREET_STAFF,
        street_id__in={r.street_id for r in reports},
        user__is_active=True,
    ).select_related("user"):
        staff.setdefault(role.street_id, []).append(role.user)
    for report in reports:
        yield Reminder(
            "report_ready",
            f"report:{report.street_id}:{report.month:%Y-%m}",
            report.frozen_at,
            text(
                gettext_noop("The %(month)s resolution report is ready"), month=month(report.month)
            ),
            text(gettext_noop("%(street)s"), street=report.street.name),
            reverse("reports:report") + f"?month={report.month:%Y-%m}",
            users=staff.get(report.street_id, []),
        )


# The periodic rules; the monthly sessions and the report freeze are their own beat entries.
RULES = [unaccepted, task_due_soon, task_overdue, follow_up, meeting_tomorrow, report_ready]


def due_reminders(now):
    for rule in RULES:
        yield from rule(now)
