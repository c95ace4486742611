"""The user guide on a 360 px phone, as the app serves it under /help/: every link and button
of a chapter (the header's, the navigation's, the headings' anchors, links in sentences) is
at least 44 × 44 px, and nothing is wider than the screen."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.browser.measure import small_controls, unreadable_tables

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = Path(django_settings.BASE_DIR)
CHAPTERS = ["grid-worker.html", "street-staff.html", "en/community-officer.html"]


@pytest.fixture(scope="module")
def guide(tmp_path_factory):
    pytest.importorskip("mkdocs", reason="the docs dependency group (make install-docs)")
    target = tmp_path_factory.mktemp("guide")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert built.returncode == 0, built.stderr
    return target


@pytest.mark.timeout(240)
def test_every_target_of_the_guide_fits_a_thumb_on_a_phone(guide, settings, page):
    settings.DOCS_SITE_DIR = guide
    found = []
    for chapter in CHAPTERS:
        response = page.goto(f"{page.base_url}/help/{chapter}")
        assert response.status == 200, chapter
        found += [f"{chapter}: small control {c}" for c in small_controls(page)]
        found += [f"{chapter}: {problem}" for problem in unreadable_tables(page)]
    assert found == [], "\n".join(found)
