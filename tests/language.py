"""What a page says, as a reader sees it: text, and the attributes a screen reader or a
tooltip shows. Scripts, styles and parts marked in another language (the language switch's
"English" button) are left out."""

import re
from html.parser import HTMLParser

SPOKEN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'.-]*")


class _Reader(HTMLParser):
    def __init__(self, language):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack = []  # (tag, skipped)
        self.parts = []

    def _skipping(self):
        return any(skipped for _tag, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        skipped = tag in ("script", "style") or (lang is not None and lang != self.language)
        if not skipped and not self._skipping():
            self.parts += [attrs[a] for a in SPOKEN_ATTRIBUTES if attrs.get(a)]
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in VOID:
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.parts.append(data.strip())


def page_text(html: str, language: str) -> list[str]:
    reader = _Reader(language)
    reader.feed(html)
    return reader.parts
