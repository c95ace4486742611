"""The language switch keeps what was typed, on every page with a form, the staff's and the
residents' alike (common/drafts.py, residents/switches.py): whatever a form sends to the switch
comes back in that form's fields, in the other language, once. A form that had been sent and
came back with its errors shows them again after the switch.

The walk reads each page's forms as a browser sends them (tests/page_forms.py), types a marker
into every text field a form of the app draws, sends that form to the switch as the page's
buttons do (with JavaScript, any form typed into: static/js/youjie.js; without, the form a page
names), and reads the page again. The browser side is tests/browser/test_switches_keep_typing.py.
"""

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import State
from meetings.models import MeetingState
from tests.factories import CaseFactory
from tests.page_forms import STREET_STAFFS_PAGES, forms_of, officers_pages, value_of
from tests.test_residents import qr_url, tap
from tests.test_url_matrix import world as world_of_fu_nan

world = world_of_fu_nan  # the fixture: one of everything in 富南社区

pytestmark = pytest.mark.django_db
SWITCH = reverse("residents:switch")


def switch(client, page, sent, *, language="en", checked=False):
    """Press a language button with `sent` as the form's fields (what the buttons send)."""
    url = f"{SWITCH}?next={quote(page)}" + ("&checked=1" if checked else "")
    response = client.post(url, {**sent, "language": language})
    assert response.status_code == 302 and response["Location"] == page, page
    return response


def typed_into_every_form(client, url) -> set[str]:
    """Each form of the page in turn: text typed into its fields, the switch pressed, the page
    read again in the other language. The names of the fields that kept their text."""
    page = client.get(url)
    if page.status_code != 200:
        return set()
    kept = set()
    for number, form in enumerate(forms_of(page.content.decode())):
        # Typed text, not the bots' trap (a field nobody sees).
        fields = [f for f in form.fields if f.typed_text and form.in_main and f.name != "website"]
        if not fields:
            continue
        typed = {f.name: f"第{number}个表单的{f.name}" for f in fields}
        language = "en" if number % 2 == 0 else "zh-hans"
        switch(client, url, {**form.data(), **typed}, language=language)
        again = client.get(url).content.decode()
        assert f'<html lang="{language}"' in again, url
        for name, text in typed.items():
            shown = value_of(again, name, form=form.id or number)
            assert shown == text, (url, name, shown)
            kept.add(name)
        # Taken once: the page asked for again is as it was.
        afresh = client.get(url).content.decode()
        assert all(value_of(afresh, n, form=form.id or number) != t for n, t in typed.items())
    return kept


def test_every_staff_page_with_a_form_keeps_what_was_typed_through_the_language_switch(
    world, places, personas, login
):
    client = login(personas.officer_funan)
    pages = officers_pages(client, world)
    meeting = world["meetings:detail"]
    kept = set()
    for url in pages:
        kept |= typed_into_every_form(client, url)
    # The meeting, held: its minutes are drafted then.
    from meetings.models import Meeting

    Meeting.objects.filter(pk=meeting[0]).update(state=MeetingState.HELD)
    kept |= typed_into_every_form(client, reverse("meetings:detail", args=meeting))
    staff = login(personas.street_staff)
    for name in STREET_STAFFS_PAGES:
        kept |= typed_into_every_form(staff, reverse(name))
    # What the walk found lost: the minutes, a guest's name and why a meeting is cancelled;
    # a new meeting's address and a session's address; the search box of the case list.
    found_lost = {"minutes-minutes", "guest-name", "cancel-reason", "address", "session-address"}
    others = {"q", "description", "start-note", "task-title", "dismiss-reason", "case", "name"}
    assert found_lost | others <= kept, kept


def test_every_residents_form_keeps_what_was_typed_through_the_language_switch(places):
    verified = CaseFactory(grid=places.cg1, state=State.VERIFIED, resident_phone="13912345678")
    resident = Client()
    kept = set()
    for url in (qr_url(places.leaders[places.cg1].unit), reverse("residents:status")):
        kept |= typed_into_every_form(resident, url)
    looked_up = {"tracking_code": verified.tracking_code, "phone_last4": "5678"}
    resident.post(reverse("residents:status"), looked_up)
    kept |= typed_into_every_form(resident, reverse("residents:case_status"))
    assert {"description", "resident_name", "resident_phone", "tracking_code", "comment"} <= kept


def test_the_search_box_keeps_its_words_and_the_list_shows_what_was_searched_before(
    world, personas, login
):
    """Typed but not sent, a search is not run by the switch: the list stays as it was (a search
    by a full phone number is recorded in the access log only when it is sent)."""
    client = login(personas.officer_funan)
    listed = reverse("cases:list") + "?q=FUNAN-MARKER"
    switch(client, listed, {"q": "13700001234"})
    page = client.get(listed).content.decode()
    assert value_of(page, "q") == "13700001234" and "FUNAN-MARKER" in page
    from audit.models import AccessEvent

    assert not AccessEvent.objects.exists()


# --- A form sent back with its errors shows them again after the switch --------------------


def switch_on_the_page(client, page_html):
    """Press English as the page's own buttons would (their formaction), with the form they
    name."""
    button = re.search(r'<button type="submit" form="([^"]+)" formaction="([^"]+)"', page_html)
    assert button, "the switch sends the page's form along"
    form_id, action = button.group(1), button.group(2).replace("&amp;", "&")
    form = next(f for f in forms_of(page_html) if f.id == form_id)
    response = client.post(action, {**form.data(), "language": "en"})
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def test_a_residents_request_sent_back_with_a_bad_phone_shows_its_error_after_the_switch(
    client, places
):
    unit = places.leaders[places.cg1].unit
    sent = client.post(qr_url(unit), tap(resident_phone="abc"), HTTP_REFERER=qr_url(unit))
    assert sent.status_code == 400
    page = switch_on_the_page(client, sent.content.decode())
    assert '<html lang="en"' in page
    assert value_of(page, "resident_phone") == "abc" and value_of(page, "resident_name") == "王大妈"
    phone = page.split('id="id_resident_phone"')[1]
    assert "is-invalid" in page.split('id="id_resident_phone"')[0].rsplit("<input", 1)[1]
    assert "Enter a mainland mobile number" in phone.split("</div>")[0] + phone, phone[:400]
    assert "Please correct the fields below." in page
    # Switched again (nothing sent since), the errors stay; opened afresh, the form is empty.
    again = switch_on_the_page(client, page)
    assert "Enter a mainland mobile number" in again
    assert "Enter a mainland mobile number" not in client.get(qr_url(unit)).content.decode()


def test_a_form_typed_into_but_never_sent_shows_no_error_after_the_switch(client, places):
    unit = places.leaders[places.cg1].unit
    switch(client, qr_url(unit), {"resident_phone": "abc"})
    page = client.get(qr_url(unit)).content.decode()
    assert value_of(page, "resident_phone") == "abc"
    assert "is-invalid" not in page and "Please correct" not in page


def test_a_photo_chosen_before_the_switch_is_asked_for_again_without_an_error_banner(
    client, places
):
    """Nothing was sent: the page asks for the photo again by its field, and does not say the
    form has mistakes."""
    unit = places.leaders[places.cg1].unit
    switch(client, qr_url(unit), {"description": "水龙头滴水一夜", "photos": "tap.jpg"})
    page = client.get(qr_url(unit)).content.decode()
    assert value_of(page, "description") == "水龙头滴水一夜"
    assert "choose it again before sending" in page
    assert "Please correct the fields below." not in page


@pytest.mark.parametrize(
    ("who", "page", "sent_to", "sent", "error"),
    [
        # The staff's request form: a phone that is no phone.
        (
            "worker",
            "cases:new",
            "cases:new",
            {"resident_phone": "abc"},
            "Enter a mainland mobile number",
        ),
        # A meeting's guest with no name (the meeting page's forms have no switch_form: the
        # switch is wired to the form with errors by the page's script, `checked` included).
        ("officer", "meetings:detail", "meetings:action", {"guest-name": ""}, "This field"),
    ],
)
def test_every_form_of_the_draft_mechanism_shows_its_errors_again_after_the_switch(
    world, places, personas, login, who, page, sent_to, sent, error
):
    client = login(personas.worker_cg1 if who == "worker" else personas.officer_funan)
    if page == "meetings:detail":
        page_url = reverse(page, args=world[page])
        action = reverse(sent_to, args=[world[page][0], "guest"])
    else:
        page_url = action = reverse(page)
    form_page = client.get(page_url).content.decode()
    form = next(f for f in forms_of(form_page) if set(sent) <= {x.name for x in f.fields})
    answer = client.post(action, {**form.data(), **sent})
    assert answer.status_code == 400 and "is-invalid" in answer.content.decode()
    switch(client, page_url, {**form.data(), **sent}, checked=True)
    again = client.get(page_url).content.decode()
    assert '<html lang="en"' in again and error in again, error


def test_a_meeting_form_sent_back_refused_keeps_typing_and_errors_through_a_switch_without_script(
    world, places, personas, login
):
    """Without JavaScript the switch is a button of the form sent back refused (its id on the
    meeting page): English again shows what was typed and why it was refused."""
    client = login(personas.officer_funan)
    meeting_pk = world["meetings:detail"][0]
    page_url = reverse("meetings:detail", args=[meeting_pk])
    form = next(
        f
        for f in forms_of(client.get(page_url).content.decode())
        if "guest-organisation" in {x.name for x in f.fields}
    )
    sent = {**form.data(), "guest-name": "", "guest-organisation": "自来水公司"}
    refused = client.post(reverse("meetings:action", args=[meeting_pk, "guest"]), sent)
    assert refused.status_code == 400
    page = switch_on_the_page(client, refused.content.decode())
    assert '<html lang="en"' in page and "This field" in page
    assert value_of(page, "guest-organisation") == "自来水公司"
