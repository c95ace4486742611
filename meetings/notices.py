"""The public notice (公示) of a decision: what residents read on the notice board.

It names no one who did not agree to be named. The resident who asked is masked wherever the
typed texts name them (王大妈 → 王**, `common.people.mask_name`), and so are the attendees who
did not opt in; phone numbers are masked too. Places are named as residents know them (the
estate and building, not the grid), and the people doing a task by what they are (the property
company, the unit leader), never by an account name.
"""

from collections import Counter

from django.utils.translation import gettext as _

from cases.models import Task
from common.people import mask_name, mask_names_in
from common.phones import redact_phones


def _public(text, names):
    return mask_names_in(redact_phones(text), names)


def who_took_part(attended) -> list[str]:
    """Everyone who took part, counted by what they are, so that a reader cannot take the
    whole attendance for one organisation: 「居民代表 4 人、春光小区物业 2 人、网格员 1 人」."""
    counts = Counter(p.organisation or p.get_kind_display() for p in attended)
    ordered = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return [_("%(who)s (%(n)s)") % {"who": who, "n": n} for who, n in ordered]


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
        for task in Task.objects.filter(case=case).select_related("owner_contact")
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
    }
