"""What this app adds to the cases app's pages (registered in RecurringConfig.ready)."""

from . import selectors
from .rules import title


def case_panel(scope, user, case) -> dict:
    """The case page names the recurring problem the case belongs to, with a link."""
    problem = selectors.problem_of_case(scope, case)
    return {"recurring_problem": problem, "recurring_title": title(problem)} if problem else {}


def logging_note(scope, case) -> list:
    """While a case is logged: the title of the recurring problem it would join."""
    return [title(problem) for problem in selectors.problems_a_new_case_would_join(scope, case)]
