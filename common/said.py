"""Words stored now and read later, in whoever reads them's language.

An import's errors are checked once and read later, perhaps in the other language. `Said`
is the message in the active language (a str, so it reads and formats as one) that also
keeps its message id and parameters; `stored()` turns it into JSON, and `say()` puts that
into the reader's language when the page is drawn. A text stored before (a plain string)
reads as it was written.
"""

from django.utils.translation import gettext


class Said(str):
    def __new__(cls, msgid: str, params: dict | None = None):
        words = gettext(msgid)
        if params:
            words = formatted(words, msgid, params)
        said = super().__new__(cls, words)
        said.msgid, said.params = msgid, dict(params or {})
        return said

    def __mod__(self, params):
        return Said(self.msgid, params)


def formatted(words: str, msgid: str, params: dict) -> str:
    """`words % params`, else the source's; the message id when neither fits."""
    for wording in (words, msgid):  # a catalogue that does not fit its parameters: the source
        try:
            return wording % params
        except (KeyError, TypeError, ValueError):
            continue
    return msgid


def stored(text):
    """JSON for a Said (its id and parameters), or the text itself."""
    if isinstance(text, Said):
        return {"text": text.msgid, "params": text.params}
    return str(text)


def say(value) -> str:
    """A stored text in the active language."""
    if isinstance(value, dict) and "text" in value:
        return str(Said(value["text"], value.get("params") or {}))
    return str(value)
