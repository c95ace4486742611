"""The user guide's pictures, taken by the browser stories as they go.

`shoot(page, "grid-worker/log-a-case")` saves what the page shows now, on the 360 px phone the
stories run on and on a desktop screen, as <name>.phone.png and <name>.desktop.png under the
folder DOCS_SCREENSHOTS names (`make docs` sets docs/assets/shots). Without it, it does nothing,
so `make test` takes no pictures. The guide's chapters name these pictures
(`![caption](shot:grid-worker/log-a-case)`, docs/hooks/screenshots.py); a screen that changes
changes its picture the next time `make docs` runs.
"""

import os
from pathlib import Path

from tests.browser.conftest import PHONE

DESKTOP = {"width": 1280, "height": 800}


def folder() -> Path | None:
    where = os.environ.get("DOCS_SCREENSHOTS")
    return Path(where) if where else None


def shoot(page, name, *, focus=None, full_page=False):
    """Save the page as the phone and the desktop show it. `focus` (a locator) is scrolled into
    view first, so the picture shows the part of the page the chapter speaks of."""
    root = folder()
    if root is None:
        return
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or PHONE
    try:
        for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(viewport)
            if focus is not None:  # its top at the top of the screen: its heading shows
                focus.evaluate("element => element.scrollIntoView({block: 'start'})")
            else:
                page.evaluate("window.scrollTo(0, 0)")
            picture = target.with_name(f"{target.name}.{label}.png")
            page.screenshot(path=picture, full_page=full_page)
    finally:
        page.set_viewport_size(size)  # the story goes on on its phone
