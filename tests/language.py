"""What a page says, as a reader sees it: text, and the attributes a screen reader or a
tooltip shows. Scripts, styles and parts marked in another language (the language switch's
"English" button) are left out."""

import re
from html.parser import HTMLParser

SPOKEN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
# Elements inside a line of text: what is written around them reads on, as one phrase.
INLINE = {"span", "strong", "em", "b", "i", "small", "code", "abbr", "time", "mark"}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'.-]*")


class _Reader(HTMLParser):
    def __init__(self, language):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack = []  # (tag, skipped)
        self.parts = []
        self.boundary = True  # a block's edge since the last text: the next text is a new part
        self.spaced = False  # whitespace since the last text

    def _skipping(self):
        return any(skipped for _tag, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        skipped = tag in ("script", "style") or (lang is not None and lang != self.language)
        if not skipped and not self._skipping():
            spoken = [attrs[a] for a in SPOKEN_ATTRIBUTES if attrs.get(a)]
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                spoken.append(attrs["value"])
            if spoken:
                self.parts += spoken
                self.boundary = True
        if tag not in VOID:
            self.stack.append((tag, skipped))
        self.boundary = self.boundary or tag not in INLINE

    def handle_endtag(self, tag):
        self.boundary = self.boundary or tag not in INLINE
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if self._skipping() or not data.strip():
            self.spaced = self.spaced or bool(data)
            return
        if not self.boundary and self.parts:
            space = " " if self.spaced or data[0].isspace() else ""
            self.parts[-1] = f"{self.parts[-1]}{space}{data.strip()}"
        else:
            self.parts.append(data.strip())
        self.boundary, self.spaced = False, data[-1].isspace()


def page_text(html: str, language: str) -> list[str]:
    reader = _Reader(language)
    reader.feed(html)
    return reader.parts
