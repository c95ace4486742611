"""The public notice (公示) of a decision: what residents read on the notice board.

It names no one who did not agree to be named. The resident who asked is masked wherever the
typed texts name them (王大妈 → 王**, `common.people.mask_name`), and so are the attendees who
did not opt in; phone numbers are masked too. Places are named as residents know them (the
estate and building, not the grid), and the people doing a task by what they are (the property
company, the unit leader), never by an account name.
"""

from collections import Counter, defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Task, TaskStatus
from common.lists import joined
from common.people import mask_name, mask_names_in
from common.phones import redact_phones


def _public(text, names):
    return mask_names_in(redact_phones(text), names)


def who_took_part(attended) -> list[str]:
    """Everyone who took part, counted by what they are, with the bodies they came from named
    after their count: a reader can neither take the whole attendance for one organisation nor
    one role for two: 「居民代表 4 人（其中春光小区业委会 1 人）、物业 2 人（春光小区物业）」,
    where counting by organisation wrote 「春光小区物业 1 人、物业 1 人」 for the same role."""
    bodies = defaultdict(list)
    for person in attended:
        bodies[person.get_kind_display()].append(person.organisation)
    ordered = sorted(bodies.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    said = []
    for who, organisations in ordered:
        counted = {"who": who, "n": len(organisations)}
        named = Counter(name for name in organisations if name)
        if len(named) == 1 and sum(named.values()) == len(organisations):
            said.append(
                _("%(who)s (%(n)s) from %(organisations)s")
                % {**counted, "organisations": next(iter(named))}
            )
        elif named:  # some of them from a body: how many from which
            of_whom = joined(
                _("%(who)s (%(n)s)") % {"who": name, "n": n} for name, n in sorted(named.items())
            )
            said.append(_("%(who)s (%(n)s), of them %(of_whom)s") % {**counted, "of_whom": of_whom})
        else:
            said.append(_("%(who)s (%(n)s)") % counted)
    return said


def notice_period(item) -> tuple[date, date]:
    """The first and last day the notice stays up (公示期): from the day of the decision (a
    notice printed before one is recorded counts from the meeting's day), for
    NOTICE_PERIOD_DAYS days."""
    first = timezone.localdate(item.decided_at or item.meeting.starts_at)
    return first, first + timedelta(days=settings.NOTICE_PERIOD_DAYS - 1)


def notice_context(item) -> dict:
    meeting, case = item.meeting, item.case
    participants = list(meeting.participants.all())
    attended = [p for p in participants if p.attended]
    # Everyone who came and agreed to be named, a guest too: each tick is a person's consent.
    named = [p.name for p in attended if p.named_in_public]
    hidden = {case.resident_name} | {p.name for p in participants if p.name not in named}
    tasks = [
        {
            "title": _public(task.title, hidden),
            "who": task.owner_contact.organisation or task.owner_contact.get_kind_display()
            if task.owner_contact
            else meeting.community.name,
            "due": task.due_date,
        }
        for task in Task.objects.filter(case=case)
        .exclude(status=TaskStatus.DROPPED)
        .select_related("owner_contact")
    ]
    return {
        "item": item,
        "meeting": meeting,
        "place": case.building or case.grid.name,
        "matter": _public(case.description, hidden),
        "wording": _public(item.public_wording or item.plan, hidden),
        "responsible": _public(item.responsible, hidden),
        "resident": mask_name(case.resident_name) if not case.anonymised_at else "",
        "tasks": tasks,
        "attendee_count": len(attended),
        "took_part": who_took_part(attended),
        "named": named,
        "period": notice_period(item),
    }
