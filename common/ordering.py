"""Natural order for names people read: 2号楼 before 10号楼, 网格员2 before 网格员10.

Text sorts digit by digit ("10" < "6"); people count. The one key every list of places and
people sorts by, and the one way a form's select of model choices is put in that order.
"""

import re

from django.forms.models import ModelChoiceIterator

# Runs of digits (ASCII or full-width) and runs of simple Chinese numerals (一区, 二区, 十二单元).
_NUMBER = re.compile(r"(\d+|[〇零一二两三四五六七八九十]+)")
_CHINESE_DIGITS = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip


def _chinese_number(run: str) -> int | None:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23; None for what is not a plain number below 100."""
    if "十" not in run:
        if len(run) != 1:
            return None
        return _CHINESE_DIGITS[run]
    tens, _ten, ones = run.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (_CHINESE_DIGITS[tens] if tens else 1) * 10 + (_CHINESE_DIGITS[ones] if ones else 0)


def natural_key(text) -> tuple:
    """A sort key: numbers compare as numbers, the rest as case-folded text."""
    key = []
    for index, part in enumerate(_NUMBER.split(str(text or ""))):
        if not part:
            continue
        number = None
        if index % 2:  # a run the pattern matched
            number = int(part) if part[0].isdigit() else _chinese_number(part)
        # (0, n) for numbers, (1, text) for text: the two never meet in one comparison.
        key.append((0, number, "") if number is not None else (1, 0, part.casefold()))
    return tuple(key)


def naturally(items, key=str) -> list:
    """The items sorted naturally by `key` (their text by default)."""
    return sorted(items, key=lambda item: natural_key(key(item)))


class _NaturalChoices(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from naturally((self.choice(obj) for obj in self.queryset), key=lambda c: c[1])

    def __len__(self):
        return self.queryset.count() + (1 if self.field.empty_label is not None else 0)


def order_choices_naturally(field):
    """Put a model choice field's options in natural order of their labels (call it after its
    queryset and label_from_instance are set)."""
    field.iterator = _NaturalChoices
    field.widget.choices = field.choices
    return field
