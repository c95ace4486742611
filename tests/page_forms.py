"""The forms a page shows, read from its HTML as a browser would send them: each form's address,
method and id, and its fields with the values they hold (a ticked box, a chosen option, the text
of a textarea). The tests of the switches and of the limit messages walk the pages with these."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.urls import reverse

TEXT_TYPES = {"text", "search", "tel", "email", "url", ""}


@dataclass
class Field:
    tag: str  # input, textarea, select
    type: str
    name: str
    id: str
    value: str = ""
    values: list = field(default_factory=list)  # a select's chosen options
    checked: bool = False
    disabled: bool = False
    multiple: bool = False
    maxlength: int | None = None

    @property
    def typed_text(self) -> bool:
        """Text a person types, drawn by a form of the app (its id is Django's `id_<name>`)."""
        typed = self.tag == "textarea" or (self.tag == "input" and self.type in TEXT_TYPES)
        return typed and not self.disabled and self.id == f"id_{self.name}"


@dataclass
class Form:
    action: str
    method: str
    id: str
    in_main: bool
    fields: list = field(default_factory=list)

    def data(self) -> dict:
        """What the browser would send, as {name: [values]}."""
        sent = {}
        for f in self.fields:
            if f.disabled or not f.name:
                continue
            if f.tag == "select":
                chosen = f.values
            elif f.type in ("checkbox", "radio"):
                chosen = [f.value or "on"] if f.checked else []
            elif f.type in ("submit", "button", "file", "image", "reset"):
                chosen = []
            else:
                chosen = [f.value]
            sent.setdefault(f.name, []).extend(chosen)
        return sent


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.form, self.main = [], None, 0
        self.textarea = self.select = self.option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "main":
            self.main += 1
        elif tag == "form":
            self.form = Form(
                a.get("action") or "",
                (a.get("method") or "get").lower(),
                a.get("id") or "",
                self.main > 0,
            )
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag in ("input", "textarea", "select"):
            maxlength = a.get("maxlength")
            new = Field(
                tag=tag,
                type=(a.get("type") or ("text" if tag == "input" else tag)).lower(),
                name=a.get("name") or "",
                id=a.get("id") or "",
                value=a.get("value") or "",
                checked="checked" in a,
                disabled="disabled" in a,
                multiple="multiple" in a,
                maxlength=int(maxlength) if maxlength and maxlength.isdigit() else None,
            )
            self.form.fields.append(new)
            if tag == "textarea":
                self.textarea = new
            elif tag == "select":
                self.select, self.first = new, None
        elif tag == "option" and self.select is not None:
            value = a.get("value") or ""
            self.first = self.first if self.first is not None else value
            if "selected" in a:
                self.select.values.append(value)

    def handle_endtag(self, tag):
        if tag == "main":
            self.main -= 1
        elif tag == "form":
            self.form = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select is not None:
            if not self.select.values and self.first is not None and not self.select.multiple:
                self.select.values.append(self.first)
            self.select = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data.removeprefix("\n") if not self.textarea.value else data


def forms_of(html: str) -> list[Form]:
    reader = _Reader()
    reader.feed(html)
    return reader.forms


def value_of(html: str, name: str, form=None) -> str | None:
    """The value a page shows in the field called `name` (its first), or None; in one form
    only when `form` names it (its id, or its number on the page)."""
    forms = forms_of(html)
    if isinstance(form, int):
        forms = forms[form : form + 1]
    elif form:
        forms = [f for f in forms if f.id == form]
    for form in forms:
        for f in form.fields:
            if f.name == name:
                return f.value if f.tag != "select" else ",".join(f.values)
    return None


PANEL_LINK = re.compile(r'<a class="d-inline-block mt-2" href="([^"#]+)#')


def officers_pages(client, world) -> list[str]:
    """The pages with forms an officer of 富南社区 opens in the world of tests/test_url_matrix.py:
    the case page with each of its panels drawn (their links without JavaScript)."""
    case_page = reverse("cases:detail", args=world["cases:detail"])
    panels = PANEL_LINK.findall(client.get(case_page).content.decode())
    assert panels, "the case page draws its panels' links"
    meeting = world["meetings:detail"]
    return [
        reverse("cases:new"),
        reverse("cases:list"),
        case_page,
        *panels,
        reverse("meetings:new"),
        reverse("meetings:edit", args=meeting),
        reverse("meetings:detail", args=meeting),
        reverse("recurring:detail", args=world["recurring:detail"]),
        reverse("notifications:settings"),
    ]


STREET_STAFFS_PAGES = ["audit:log", "interop:integration"]
