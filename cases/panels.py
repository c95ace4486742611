"""What other apps add to the case page. The meetings app, which builds on cases, adds the form
that calls an emergency session; registering it here (in its AppConfig.ready) keeps cases from
importing meetings."""

CASE_PAGE_PANELS = []


def register(panel):
    """`panel(scope, user, case)` returns extra context for the case page ({} for none)."""
    if panel not in CASE_PAGE_PANELS:
        CASE_PAGE_PANELS.append(panel)


def context(scope, user, case) -> dict:
    extra = {}
    for panel in CASE_PAGE_PANELS:
        extra.update(panel(scope, user, case))
    return extra


# What other apps say on the logging page while the place and category are chosen, next to
# the repeat warning: the recurring problems app says which problem the new case would join.
LOGGING_NOTES = []


def register_logging_note(note):
    """`note(scope, case)` (an unsaved case with its place and category) returns the titles
    the logging page names, [] for none."""
    if note not in LOGGING_NOTES:
        LOGGING_NOTES.append(note)


def logging_notes(scope, case) -> list:
    return [found for note in LOGGING_NOTES for found in note(scope, case)]
