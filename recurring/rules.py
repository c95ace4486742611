"""What makes cases one recurring problem, and what staff may do with one: the rules, in one
place. `grouping.py` applies the grouping rules to the whole city in a few SQL statements;
`services.py` applies the others.

Grouping, deterministic and explainable:

1. **Which cases.** Cases that are not linked repeats (a repeat is the same request again and
   counts with its original) and not declined, logged within the street's window
   (`Street.recurring_window_days`, default 90) or still open, and in no problem yet. A case
   belongs to one problem at most, ever.
2. **Same place.** The same building, or for cases that name no building, the same grid.
3. **Same problem.** The same category, or descriptions alike: PostgreSQL's pg_trgm
   similarity of at least `SIMILAR_DESCRIPTIONS` with a case of the problem (on another
   database, the category alone).
4. **Within the window.** Logged within the window of a case of the problem.
5. **Which problem.** A case joins an open or dismissed problem of its place that it matches
   (same category before alike descriptions, then the problem with the latest case, then the
   oldest problem); a dismissed problem that a new case joins is open again. Problems taken
   to a session take no new cases: a case of that kind there afterwards is the problem coming
   back (`came_back`). Cases that match no problem start one with the others they match:
   same category by a chain within the window, or alike descriptions.

A problem is shown once it has `MIN_CASES` cases (a case split off alone waits for others).
"""

import math

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cases.categories import category_label
from cases.models import OPEN_STATES, State

from .models import JoinRule, Status

MIN_CASES = 2
DEFAULT_WINDOW_DAYS = 90
# pg_trgm on Chinese text: a whole sentence is one "word", so trigrams are runs of three
# characters, and a reworded complaint scores low. Measured: 楼道堆满垃圾 / 楼道里垃圾堆积有消防
# 隐患 0.11; 楼道灯坏了，晚上上下楼看不见 / 楼上装修噪音太大，晚上也施工 0.11 too (unrelated);
# the same wording filed under two categories 1.0. So only near-identical wording ties cases of
# two categories: a wrong group costs the officers' trust more than a missed one.
SIMILAR_DESCRIPTIONS = 0.3
# "Did it work": a deliberated problem came back if a case of its kind was logged at its
# place within this many days of the decision.
CAME_BACK_DAYS = 90
JOINABLE = (Status.OPEN, Status.DISMISSED)
# Cases in these states go to the session with their problem.
CARRIED_STATES = (State.SUBMITTED, State.ACCEPTED, State.PROPOSED)

WHY = {
    JoinRule.FIRST: gettext_lazy("the first case of this problem"),
    JoinRule.CATEGORY: gettext_lazy("same place and same category, within the window"),
    JoinRule.DESCRIPTION: gettext_lazy(
        "same place, and its description is alike (similarity %(similarity)s), within the window"
    ),
    JoinRule.SPLIT: gettext_lazy("split off from another problem by staff"),
}


def candidate_cases() -> Q:
    """The cases grouping looks at, besides the window (applied per street in SQL)."""
    return Q(duplicate_of__isnull=True) & ~Q(state=State.DECLINED)


def is_open(case) -> bool:
    return case.state in OPEN_STATES


def place_name(problem) -> str:
    if problem.unit_id:
        return str(problem.unit)
    if problem.building_id:
        return str(problem.building)
    return str(problem.grid)


def span_days(problem) -> int:
    """Days from the first case to the latest, counting both days."""
    return max(1, math.ceil((problem.last_at - problem.first_at).total_seconds() / 86400))


def title(problem, window_days=None) -> str:
    """「金苑小区3号楼 设施维修 · 90天内4次」: the place, the kind, how often within how long
    (the window when the cases fit in it, else their whole span)."""
    window = window_days or problem.street.recurring_window_days
    days = max(window, span_days(problem))
    return ngettext(
        "%(place)s %(category)s · %(n)s time in %(days)s days",
        "%(place)s %(category)s · %(n)s times in %(days)s days",
        problem.case_count,
    ) % {
        "place": place_name(problem),
        "category": category_label(problem.category.name),
        "n": problem.case_count,
        "days": days,
    }


def why(member) -> str:
    text = WHY[member.rule]
    if member.rule == JoinRule.DESCRIPTION:
        return str(text) % {"similarity": f"{member.similarity or 0:.2f}"}
    return str(text)


# What staff may do with a problem ---------------------------------------------------------
def dismiss_refusal(problem) -> str | None:
    if problem.status != Status.OPEN:
        return _("Only an open problem can be dismissed (this one is %(status)s).") % {
            "status": problem.get_status_display()
        }
    return None


def split_refusal(problem, chosen_ids, member_ids) -> str | None:
    if problem.status != Status.OPEN:
        return _("Only an open problem can be split (this one is %(status)s).") % {
            "status": problem.get_status_display()
        }
    chosen = set(chosen_ids)
    if not chosen:
        return _("Tick the cases to split off.")
    if not chosen <= set(member_ids):
        return _("Only cases of this problem can be split off.")
    if chosen == set(member_ids):
        return _("Leave at least one case in this problem.")
    return None


def session_refusal(problem, carried_count) -> str | None:
    if problem.status != Status.OPEN:
        return _("Only an open problem can be taken to a session (this one is %(status)s).") % {
            "status": problem.get_status_display()
        }
    if problem.case_count < MIN_CASES:
        return _("A problem goes to a session once it has at least %(n)s cases.") % {"n": MIN_CASES}
    if not carried_count:
        return _(
            "None of its cases waits for a decision: each is already in a session, being "
            "handled or closed."
        )
    return None
