"""The help link of every page: which chapter of the user guide, and which section of it.

The guide (docs/, built by `make docs` into DOCS_SITE_DIR) has one chapter per role. A page's
help opens the chapter of the role the viewer holds *where the page is* (an officer who is also
a grid worker at home reads the grid worker's chapter on a case of that grid), at the section
for that page, in the language the viewer reads the app in. The sections' anchors are written
`{ #anchor }` in both languages' sources; tests/test_help_link.py holds every anchor named here
to them.

The app serves the built guide itself under /help/ (`guide`): the link then works wherever the
app runs (any host, port or phone on the network), needs no second server and no network beyond
the app, and residents, who have no account, can read it too.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseNotFound
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe
from django.views.static import serve

CHAPTERS = {
    "grid": "grid-worker",
    "community": "community-officer",
    "street": "street-staff",
    "resident": "resident",
    "it": "it",
}

# URL name → section anchor, per chapter. A page not listed opens its chapter at the top.
_COMMON = {
    "notifications:list": "reminders",
    "notifications:settings": "channels",
    "password_change": "password",
    "password_change_done": "password",
}
SECTIONS = {
    "grid-worker": {
        **_COMMON,
        "home": "home",
        "cases:new": "log-a-case",
        "cases:list": "case-list",
        "cases:detail": "case-page",
        "cases:offline": "offline",
        "meetings:detail": "meetings",
        "meetings:notice": "meetings",
        "reports:report": "reports",
        "reports:cases": "reports",
        "grids:grid": "places",
        "grids:building": "places",
        "residents:qr_sheet": "places",
        "recurring:list": "recurring",
        "recurring:detail": "recurring",
    },
    "community-officer": {
        **_COMMON,
        "home": "home",
        "cases:new": "log-a-case",
        "cases:list": "case-list",
        "cases:detail": "case-page",
        "meetings:list": "meetings",
        "meetings:calendar": "meetings",
        "meetings:stats": "meetings",
        "meetings:new": "meetings",
        "meetings:edit": "meetings",
        "meetings:detail": "meeting-page",
        "meetings:notice": "notice",
        "notifications:overdue": "overdue",
        "reports:report": "reports",
        "reports:cases": "reports",
        "grids:community": "places",
        "grids:grid": "places",
        "grids:building": "places",
        "residents:qr_sheet": "places",
        "recurring:list": "recurring",
        "recurring:detail": "recurring",
    },
    "street-staff": {
        **_COMMON,
        "home": "home",
        "cases:list": "case-list",
        "cases:detail": "case-page",
        "reports:report": "reports",
        "reports:cases": "reports",
        "notifications:overdue": "overdue",
        "grids:import": "import",
        "grids:import_batch": "import",
        "audit:log": "access-log",
        "interop:integration": "integration",
        "interop:inbox_place": "integration",
        "meetings:list": "meetings",
        "meetings:detail": "meetings",
        "meetings:calendar": "meetings",
        "meetings:stats": "meetings",
        "grids:street": "places",
        "grids:community": "places",
        "residents:qr_sheet": "places",
        "recurring:list": "recurring",
        "recurring:detail": "recurring",
    },
    "resident": {
        "meeting_public": "meeting",
        "residents:start": "start",
        "residents:community": "start",
        "residents:building": "start",
        "residents:place": "request",
        "residents:submitted": "submitted",
        "residents:status": "status",
        "residents:case_status": "status",
        "residents:rate": "rating",
        "residents:rated": "rating",
    },
    "it": {"home": "accounts"},
    "index": {"login": "log-in"},
}


# Pages under the residents' address that are the staff's: the QR sheets they print.
STAFF_PAGES_UNDER_R = {"residents:qr_sheet"}


def for_residents(request) -> bool:
    """A residents' page: anything under /r/ (the form, the lookup and the rating, the meeting
    page a text message links to, and the error pages of those addresses), the staff's QR
    sheets aside. Its name leads to the residents' start and its help to their chapter."""
    match = getattr(request, "resolver_match", None)
    view_name = getattr(match, "view_name", "") or ""
    return request.path.startswith(reverse("residents:start")) and (
        view_name not in STAFF_PAGES_UNDER_R
    )


def audience(request) -> dict:
    """Context processor: `for_residents` for the navigation bar (templates/includes/nav.html)."""
    return {"for_residents": for_residents(request)}


def _level_at(scope, street_id, community_id, grid_id) -> str:
    """The highest role the viewer holds at an object's place."""
    if scope.is_superuser or street_id in scope.street_ids:
        return "street"
    if community_id in scope.community_ids:
        return "community"
    if grid_id in scope.grid_ids:
        return "grid"
    return scope.home_level


def chapter_for(request, context) -> str:
    if for_residents(request):
        return CHAPTERS["resident"]
    user = getattr(request, "user", None)
    scope = getattr(request, "scope", None)
    if not (user and user.is_authenticated):
        return "index"  # the login page: the guide's first page says who reads which chapter
    if scope is None or not scope.has_any_place:
        return CHAPTERS["it"]  # an account that holds no place yet: IT gives it its role
    # A case or a meeting: the role held at its place (both carry their places' ids).
    thing = context.get("case") or context.get("meeting")
    if thing is not None and hasattr(thing, "street_id"):
        level = _level_at(
            scope,
            thing.street_id,
            getattr(thing, "community_id", None),
            getattr(thing, "grid_id", None),
        )
        return CHAPTERS[level]
    return CHAPTERS[scope.home_level]


def help_path(chapter: str, view_name: str, language: str | None = None) -> str:
    """The guide's page and anchor, relative to /help/: `en/grid-worker.html#log-a-case`."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    prefix = "en/" if language.startswith("en") else ""
    anchor = SECTIONS.get(chapter, {}).get(view_name)
    return f"{prefix}{chapter}.html" + (f"#{anchor}" if anchor else "")


def help_url(request, context) -> str:
    view_name = getattr(request.resolver_match, "view_name", "") or ""
    path = help_path(chapter_for(request, context), view_name)
    page, _, anchor = path.partition("#")
    return reverse("help", args=[page]) + (f"#{anchor}" if anchor else "")


# Material's pages carry small inline scripts (its search and palette set-up) and inline styles;
# they are the guide built from this repository, never user input, so only they get these.
GUIDE_CSP = {
    **settings.SECURE_CSP,
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
}


@login_not_required
@require_safe
@csp_override(GUIDE_CSP)
def guide(request, path=""):
    root = settings.DOCS_SITE_DIR
    if not (root / "index.html").is_file():
        return HttpResponseNotFound(render_to_string("help_missing.html", request=request))
    if path == "" or path.endswith("/"):
        path += "index.html"
    return serve(request, path, document_root=root)
