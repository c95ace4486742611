"""The user guide builds with `mkdocs build --strict` in both languages, without its pictures
(a build before `make docs` has run the stories), and the built site needs no network: no
script, stylesheet or font from another site."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CHAPTERS = ("grid-worker", "community-officer", "street-staff", "resident", "it")
REMOTE = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""", re.IGNORECASE
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs", reason="the docs dependency group (make install-docs)")
    target = tmp_path_factory.mktemp("docs-site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert built.returncode == 0, built.stderr
    return target


def test_the_guide_builds_strictly_in_chinese_and_english(site):
    for chapter in CHAPTERS:
        chinese = (site / f"{chapter}.html").read_text(encoding="utf-8")
        english = (site / "en" / f"{chapter}.html").read_text(encoding="utf-8")
        assert '<html lang="zh"' in chinese and '<html lang="en"' in english, chapter
    assert "请选择您的角色" in (site / "index.html").read_text(encoding="utf-8")
    assert "Choose your role" in (site / "en" / "index.html").read_text(encoding="utf-8")


def test_without_the_stories_each_picture_says_where_it_comes_from(site):
    page = (site / "grid-worker.html").read_text(encoding="utf-8")
    shots = ROOT / "docs" / "assets" / "shots" / "grid-worker" / "log-a-case.phone.png"
    if shots.exists():
        assert "assets/shots/grid-worker/log-a-case.phone.png" in page
    else:
        assert "make docs" in page and "grid-worker/log-a-case" in page


def test_the_built_guide_loads_nothing_from_another_site(site):
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        remote = REMOTE.findall(text)
        assert not remote, (page.relative_to(site), remote[:3])
    for sheet in site.rglob("*.css"):
        assert "fonts.googleapis" not in sheet.read_text(encoding="utf-8"), sheet
    # Search works from a folder: the index is inlined into a script (Material's offline plugin).
    assert (site / "search" / "search_index.js").is_file()


def test_every_picture_a_page_shows_is_in_the_site(site):
    """Both languages' pages find the pictures (one copy, shared by both languages)."""
    for page in site.rglob("*.html"):
        for source in re.findall(r'<img [^>]*src="([^"#?]+)"', page.read_text(encoding="utf-8")):
            if not source.startswith("data:"):
                assert (page.parent / source).resolve().is_file(), (page.relative_to(site), source)


def test_the_readme_is_read_in_two_minutes_and_each_subject_is_written_once():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    parts = sorted(path.name for path in (ROOT / "docs" / "_parts").glob("*.md"))
    for name in parts:
        # The system's pages are written once, in docs/_parts/, and included by both languages.
        for page in (name, name.replace(".md", ".en.md")):
            assert f'--8<-- "_parts/{name}"' in (ROOT / "docs" / page).read_text(), page
        assert name in readme, f"the README does not point to {name}"


def test_every_language_the_switch_offers_has_the_sitemap_it_reads(site):
    """Material's language switch fetches `sitemap.xml` beside each alternate language's
    address: every one of them is in the site, so no page of the guide meets a 404."""
    pages = [page for page in site.rglob("*.html") if page.name != "404.html"]  # not served
    assert len(pages) > 20
    for page in pages:
        text = page.read_text(encoding="utf-8")
        alternates = re.findall(r'<link rel="alternate" href="([^"]+)" hreflang=', text)
        assert len(alternates) == 2, page.relative_to(site)
        for target in alternates:
            folder = (page.parent / target).resolve()
            folder = folder if folder.is_dir() else folder.parent
            assert (folder / "sitemap.xml").is_file(), (page.relative_to(site), target)
