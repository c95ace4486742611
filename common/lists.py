"""A list written out the way each language writes it: 「物业、居民代表」, "property, residents"."""

from django.utils.translation import pgettext


def separator() -> str:
    return pgettext("between the items of a list", ", ")


def joined(items) -> str:
    return separator().join(str(item) for item in items)
