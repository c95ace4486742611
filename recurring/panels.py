"""What this app adds to the cases app's pages (registered in RecurringConfig.ready)."""

from django.urls import reverse
from django.utils.translation import ngettext

from . import selectors
from .rules import title


def case_panel(scope, user, case, _drawn, _opened) -> dict:
    """The case page names the recurring problem the case belongs to, with a link."""
    problem = selectors.problem_of_case(scope, case)
    return {"recurring_problem": problem, "recurring_title": title(problem)} if problem else {}


def logging_note(scope, case) -> list:
    """While a case is logged: the title of the recurring problem it would join."""
    return [title(problem) for problem in selectors.problems_a_new_case_would_join(scope, case)]


def agenda_note(scope, items) -> dict:
    """A meeting's agenda item that carries a recurring problem says so, and how many cases
    went to the session with it (the problem's page marks the same ones), with a link to the
    problem for whoever may open it."""
    return {
        problem.agenda_item_id: {
            "text": ngettext(
                "Recurring problem: %(n)s case deliberated together",
                "Recurring problem: %(n)s cases deliberated together",
                n,
            )
            % {"n": n},
            "url": reverse("recurring:detail", args=[problem.pk]) if problem.openable else "",
        }
        for problem in selectors.carried_by_items(scope, [item.pk for item in items])
        for n in [problem.carried]
    }
