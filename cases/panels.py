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
