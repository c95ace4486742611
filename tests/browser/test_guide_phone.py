"""The user guide on a 360 px phone, as the app serves it under /help/: every link and button
of a chapter (the header's, the navigation's, the headings' anchors, links in sentences) is
at least 44 × 44 px, and nothing is wider than the screen."""

import pytest

from tests.browser.measure import small_controls, unreadable_tables
from tests.test_docs import site  # noqa: F401 - a fixture: the guide built into a folder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHAPTERS = [
    "index.html",
    "en/index.html",
    "grid-worker.html",
    "street-staff.html",
    "en/community-officer.html",
]


@pytest.mark.timeout(240)
def test_every_target_of_the_guide_fits_a_thumb_on_a_phone(site, settings, page):  # noqa: F811
    settings.DOCS_SITE_DIR = site
    found = []
    for chapter in CHAPTERS:
        response = page.goto(f"{page.base_url}/help/{chapter}")
        assert response.status == 200, chapter
        found += [f"{chapter}: small control {c}" for c in small_controls(page)]
        found += [f"{chapter}: {problem}" for problem in unreadable_tables(page)]
    assert found == [], "\n".join(found)
