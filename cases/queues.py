"""The work queues: the named lists a user works through each day (待接单, 逾期, 待查单 …).

Each queue is one condition on cases. The case list filters by it (`?queue=overdue`) and the
workbench counts it, so a count on the workbench and the list behind it can never disagree.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import OPEN_STATES, Escalation, State, Task, TaskStatus, overdue_condition
from .workflow import OWNERS_MOVES_FROM


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    # Whose to-do it is, by the home they work from: "worker" (a grid's), "officer" (a
    # community's) and/or "street". Anyone else sees the queue as waiting for them.
    roles: tuple
    # What the queue is to someone who cannot act on it: who it waits for.
    waiting_label: str = ""
    # Its condition holds for UNFINISHED cases only (the workbench counts it among them).
    unfinished_only: bool = True

    def condition(self, user_id, now=None) -> Q:
        return CONDITIONS[self.key](user_id, now or timezone.now())

    def is_to_do_for(self, role) -> bool:
        return role in self.roles

    def label_for(self, role) -> str:
        return (
            self.label if self.is_to_do_for(role) or not self.waiting_label else self.waiting_label
        )


def _end_of_today(now):
    today = timezone.localtime(now).date()
    return timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))


def _end_of_week(now):
    today = timezone.localtime(now).date()
    return today + timedelta(days=6 - today.weekday())  # Sunday


# Not yet closed: open, or resolved and waiting for its follow-up visit. Every queue but the
# escalations' is a condition on such cases, and says so, so that the workbench can count
# them among these alone (a street's 10,000 cases hold some 1,600) and still match the list.
UNFINISHED = (*OPEN_STATES, State.RESOLVED)


def _open_tasks(**lookup):
    # Resolving needs every task done or dropped (workflow.Resolve): open tasks are work on
    # a case still open.
    return Q(state__in=OPEN_STATES) & Q(
        Exists(Task.objects.filter(case=OuterRef("pk"), status=TaskStatus.OPEN, **lookup))
    )


def _on_an_agenda():
    # A 提 case on a meeting's agenda waits for that meeting, not for anyone to put it on one
    # (meetings/workflow.py says what is on an agenda).
    from meetings.workflow import on_an_agenda

    return on_an_agenda()


CONDITIONS = {
    # A linked repeat waits for its original, not to be accepted on its own.
    "to_accept": lambda user_id, now: Q(state=State.SUBMITTED, duplicate_of__isnull=True),
    "overdue": lambda user_id, now: overdue_condition(now),
    "escalation_waiting": lambda user_id, now: Q(
        Exists(Escalation.objects.filter(case=OuterRef("pk"), answered_at__isnull=True))
    ),
    "to_deliberate": lambda user_id, now: Q(state=State.PROPOSED) & ~_on_an_agenda(),
    "follow_up_due": lambda user_id, now: Q(
        state=State.RESOLVED, follow_up_due__lt=_end_of_today(now)
    ),
    "my_tasks": lambda user_id, now: _open_tasks(owner_user_id=user_id),
    # The owner's own moves (workflow.officer_or_owner): starting the decided work, resolving.
    "my_cases": lambda user_id, now: Q(owner_id=user_id, state__in=OWNERS_MOVES_FROM),
    "tasks_this_week": lambda user_id, now: _open_tasks(due_date__lte=_end_of_week(now)),
}

QUEUES = {
    queue.key: queue
    for queue in (
        # Accepting and declining are the community's or the street's (cases/workflow.py).
        Queue(
            "to_accept",
            _("Waiting to be accepted"),
            ("officer", "street"),
            _("Waiting for the community officer to accept"),
        ),
        # Whoever holds an overdue case may escalate it, or act on it.
        Queue("overdue", _("Overdue"), ("worker", "officer", "street")),
        # 督办 is answered by the street.
        Queue(
            "escalation_waiting",
            _("Escalations waiting for an answer"),
            ("street",),
            _("Escalated, waiting for the street's answer"),
            # A case resolved and closed while its escalation waited still waits for it.
            unfinished_only=False,
        ),
        Queue(
            "to_deliberate",
            _("Waiting for deliberation"),
            ("officer", "street"),
            _("Waiting for the community to put it on a meeting"),
        ),
        Queue("follow_up_due", _("Follow-up visits due"), ("worker", "officer")),
        Queue("my_tasks", _("My open tasks"), ("worker", "officer", "street")),
        Queue("my_cases", _("My cases to start or resolve"), ("worker", "officer", "street")),
        Queue("tasks_this_week", _("Tasks due this week"), ("officer", "street")),
    )
}


def viewer_role(scope) -> str:
    """The role a list's queues are labelled for: the widest place the user holds."""
    return {"street": "street", "community": "officer", "grid": "worker"}[scope.home_level]


def choices():
    return [(queue.key, queue.label) for queue in QUEUES.values()]
