"""What other apps add to the case page. The meetings app, which builds on cases, adds the form
that calls an emergency session; registering it here (in its AppConfig.ready) keeps cases from
importing meetings."""

CASE_PAGE_PANELS = []
# The names (prefixes) of the panels' own forms, as the case page's own forms are named.
PANEL_FORMS = set()


def register(panel, forms=()):
    """`panel(scope, user, case, drawn, opened)` returns extra context for the case page ({}
    for none). `forms` names the panel's forms: one sent back refused comes in `drawn` under
    its name, to be drawn as it was sent in its open panel, and `opened` names the form the
    page opens (back from a language switch pressed in it, common/drafts.py)."""
    if panel not in CASE_PAGE_PANELS:
        CASE_PAGE_PANELS.append(panel)
    PANEL_FORMS.update(forms)


def context(scope, user, case, *, drawn=None, opened=None) -> dict:
    extra = {}
    for panel in CASE_PAGE_PANELS:
        extra.update(panel(scope, user, case, drawn or {}, opened))
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
