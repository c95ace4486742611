"""Simplified Chinese by default, English on request, and no untranslated string."""

import re
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


# --- No English in the Chinese UI, no Chinese in the English one -------------------------

# Latin words the Chinese UI may show: file formats, the language switch, tracking codes.
LATIN_ALLOWED = {"CSV", "XLSX", "JPEG", "PNG", "WebP", "MB", "English"}
TRACKING_CODE = re.compile(r"^YJ[0-9A-Z]{8}$")
# Chinese the English UI keeps on purpose: the app's name and the language switch. The stage
# words (点单, 接单, 提, 议, 决 …) are not shown beside their English: the English guide has them.
CJK_ALLOWED = {"有解", "简体中文"}


def data_strings():
    """Everything the data itself says: names of places and people, cases, meetings."""
    from django.contrib.auth import get_user_model

    from cases.models import Case, Category
    from grids.models import Building, Community, Contact, Grid, Street, Unit
    from meetings.models import Meeting

    strings = set()
    for model, fields in (
        (Street, ["name", "district"]),
        (Community, ["name"]),
        (Grid, ["name"]),
        (Building, ["name", "estate"]),
        (Unit, ["name"]),
        (Contact, ["name"]),
        (get_user_model(), ["username", "first_name", "last_name"]),
        (Case, ["description", "resident_name", "tracking_code"]),
        (Meeting, ["address"]),
    ):
        for row in model.objects.values_list(*fields):
            strings.update(str(value) for value in row if value)
    # Categories street staff added themselves keep their stored name.
    # The import sheet's headings and kinds of person are Chinese in the sheet itself; the
    # English page names them as the sheet spells them.
    from django.utils import translation

    from cases.categories import DEFAULT_NAMES
    from grids.imports import KIND_BY_LABEL
    from grids.models import ContactKind
    from grids.sheet import COLUMNS

    strings.update(chinese for chinese, _english in COLUMNS.values())
    strings.update(KIND_BY_LABEL)  # the words the sheet's 人员类型 column takes
    with translation.override("zh-hans"):
        strings.update(str(label) for label in ContactKind.labels)
    strings.update(Category.objects.exclude(name__in=DEFAULT_NAMES).values_list("name", flat=True))
    return strings


def foreign_words(client, path, language):
    from tests.language import CJK, LATIN_WORD, page_text

    response = client.get(path)
    assert response.status_code == 200, path
    data = data_strings()
    found = set()
    for text in page_text(response.content.decode(), language):
        if any(text in value for value in data):
            continue
        if language == "zh-hans":
            for word in LATIN_WORD.findall(text):
                if (
                    word not in LATIN_ALLOWED
                    and not TRACKING_CODE.match(word)
                    and not any(word in value for value in data)
                ):
                    found.add(f"{word!r} in {text!r}")
        else:
            for run in CJK.findall(text):
                if run not in CJK_ALLOWED and not any(run in v for v in data):
                    found.add(f"{run!r} in {text!r}")
    return sorted(found)


@pytest.fixture
def sample(personas, places):
    from tests.main_pages import sample_data

    return sample_data(personas, places)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ["street_staff", "officer_chunguang", "worker_cg1", "resident"])
def test_each_roles_pages_speak_only_the_chosen_language(
    client, personas, places, sample, login, role, language
):
    from tests.main_pages import resident_pages, staff_pages

    if role == "resident":
        paths = resident_pages(places)
    else:
        login(getattr(personas, role))
        paths = staff_pages(role, *sample, places)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    problems = {path: words for path in paths if (words := foreign_words(client, path, language))}
    assert not problems, "\n".join(f"{path}: {words}" for path, words in problems.items())


CJK_CHAR = r"[\u3400-\u9fff]"
PLACEHOLDER = r"(?:%\(\w+\)[sd]|%[sd]|\{\w*\})"
HALF_WIDTH_BETWEEN_CHINESE = re.compile(
    rf"{CJK_CHAR}\s*[:,;]\s*(?:{CJK_CHAR}|{PLACEHOLDER})|{PLACEHOLDER}\s*[:,;]\s*{CJK_CHAR}"
)


def translations():
    """(msgid, msgstr) of every entry of the zh_Hans catalogue, plural forms included."""
    entries, key, parts = [], None, {}
    for line in [*PO_FILE.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if line.startswith("msg"):
            key, _space, value = line.partition(" ")
            parts[key] = value[1:-1]
        elif line.startswith('"') and key:
            parts[key] += line[1:-1]
        elif not line and parts:
            strs = [v for k, v in parts.items() if k.startswith("msgstr")]
            entries += [(parts.get("msgid", ""), value) for value in strs]
            key, parts = None, {}
    return entries


def test_chinese_translations_use_full_width_punctuation_between_chinese_words():
    """确认：接单, not 确认: 接单 — no ASCII colon, comma or semicolon next to Chinese."""
    wrong = [
        (msgid, msgstr)
        for msgid, msgstr in translations()
        if HALF_WIDTH_BETWEEN_CHINESE.search(msgstr)
    ]
    assert wrong == []


def test_help_texts_and_the_default_categories_follow_the_language(places):
    from django.utils import translation

    from cases.forms import DecideForm
    from cases.models import Category
    from cases.photos import PhotosField
    from meetings.forms import DecisionForm
    from tests.language import CJK

    added = Category.objects.create(name="电梯加装", position=20)
    with translation.override("en"):
        for form in (DecideForm(), DecisionForm()):
            assert not CJK.search(str(form["plan"].help_text))
        assert not CJK.search(str(PhotosField().help_text))
        names = [str(c) for c in Category.objects.order_by("position")]
        assert names[:2] == ["Water, power, gas and heating", "Sanitation and environment"]
        assert names[-1] == "电梯加装"  # a category the street added keeps its name
    with translation.override("zh-hans"):
        assert str(DecideForm()["plan"].help_text) == "例如：自筹资金+具体施工+临时供水"
        assert str(Category.objects.get(name="水电气暖")) == "水电气暖"
        assert str(added) == "电梯加装"


def test_no_template_joins_translated_words_with_ascii_punctuation():
    """{% trans "Plan" %}: {{ plan }} reads 计划: … in Chinese; the phrase is translated whole
    ({% labelled %} or blocktrans)."""
    templates = Path(settings.BASE_DIR) / "templates"
    joined = re.compile(r"\{%\s*trans(?:late)?\s+\"[^\"]*\"\s*%\}\s*[:,;]")
    wrong = [
        f"{path.relative_to(templates)}: {match.group(0)}"
        for path in templates.rglob("*.html")
        for match in joined.finditer(path.read_text(encoding="utf-8"))
    ]
    assert wrong == []


def test_the_language_switch_on_the_answer_to_a_post_returns_to_a_page_that_opens(
    client, places, personas, login
):
    """「显示号码」 answers its POST with the case page: the switch there must not ask that
    POST's address again (HTTP 405), but go back to the case page it was pressed from."""
    from tests.factories import CaseFactory

    case = CaseFactory(grid=places.cg1, resident_phone="13912345678")
    client = login(personas.officer_chunguang)
    case_page = reverse("cases:detail", args=[case.pk])
    shown = client.post(
        reverse("cases:phone", args=[case.pk]), HTTP_REFERER=f"http://testserver{case_page}"
    )
    assert shown.status_code == 200 and "13912345678" in shown.content.decode()
    back = re.search(r'name="next" value="([^"]*)"', shown.content.decode()).group(1)
    switched = client.post(reverse("set_language"), {"language": "en", "next": back}, follow=True)
    assert switched.status_code == 200
    assert switched.redirect_chain[-1][0] == case_page
    assert '<html lang="en">' in switched.content.decode()
