"""Simplified Chinese by default, English on request, and no untranslated string."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db
PO_FILE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_pages_speak_chinese_even_to_an_english_browser(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = page.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html


def test_the_language_switch_turns_the_ui_into_english_and_back(client, personas, login):
    client = login(personas.officer_chunguang)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "My community" in html and "Log out" in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "我的社区" in client.get("/").content.decode()


def test_every_string_has_a_chinese_translation():
    untranslated, fuzzy = [], []
    entry = []
    for line in [*PO_FILE.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            entry.append(line)
            continue
        text = "\n".join(entry)
        entry = []
        if not text or 'msgid ""\nmsgstr ""\n"' in text:  # the header
            continue
        if "#, fuzzy" in text:
            fuzzy.append(text)
        if text.rstrip().endswith(('msgstr ""', 'msgstr[0] ""')):
            untranslated.append(text)
    assert not untranslated, untranslated[:3]
    assert not fuzzy, fuzzy[:3]
