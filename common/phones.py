"""Chinese phone numbers: validation, normalisation and masking (PIPL: lists show masks)."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# ASCII digits only: \d would also take other scripts' digits and store them as they came.
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
# Landline: area code 0 + 2-3 digits, then a 7-8 digit number, optional extension.
LANDLINE_RE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?$")
_SEPARATORS = re.compile(r"[\s()（）]+")


def normalise_phone(raw: str) -> str:
    """Drop spaces, brackets and a +86/0086 prefix; keep the digits and dashes."""
    # NFKC: full-width digits, dashes and brackets (typed with a Chinese IME) become ASCII.
    phone = unicodedata.normalize("NFKC", str(raw or ""))
    phone = _SEPARATORS.sub("", phone).replace("—", "-").replace("－", "-")
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :].lstrip("-")
    if MOBILE_RE.match(phone.replace("-", "")):
        phone = phone.replace("-", "")
    return phone


def phone_digits(raw: str) -> str:
    """The number as digits only, without the country code: one phone however it is written
    (0472-5123456, 0472 5123456, +86 0472 5123456, full-width digits) gives one string."""
    digits = re.sub(r"[^0-9]", "", normalise_phone(raw))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and digits[2:3] in ("0", "1") and len(digits) >= 12:
        digits = digits[2:]  # +86 written without the plus
    return digits


def is_valid_phone(phone: str) -> bool:
    return bool(MOBILE_RE.match(phone) or LANDLINE_RE.match(phone))


def validate_phone(value: str) -> None:
    if not is_valid_phone(normalise_phone(value)):
        raise ValidationError(
            _("Enter a mainland mobile number (11 digits) or a landline such as 0472-1234567."),
            code="invalid_phone",
        )


def mask_phone(phone: str) -> str:
    """138****1234 for mobiles; landlines keep the area code and last 4 digits."""
    if not phone:
        return ""
    digits = phone.replace("-", "")
    if MOBILE_RE.match(digits):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        head = phone.split("-")[0] if "-" in phone else digits[:4]
        return f"{head}-****{digits[-4:]}"
    return "****"


# A number inside free text: a run of digits (ASCII or full-width), written whole or in groups
# of 3 or more joined by one space, dash or dot (138 1234 5678, 0472-512 3456, an ID number in
# 6-8-4), an ID number's final X. Groups of 3 or more: a date's 12-07 or a time's 13:00 is not
# joined to the number beside it.
_DIGIT = "[0-9\uff10-\uff19]"
_SEPARATOR = "[ \\-.\u00a0\u3000\uff0d\u2014\u2013\uff0e]"
_NUMBER_IN_TEXT = re.compile(
    f"(?<!{_DIGIT}){_DIGIT}{{3,}}(?:{_SEPARATOR}{_DIGIT}{{3,}})*(?:[XxＸｘ])?(?!{_DIGIT})"
)
NUMBER_DIGITS = 7  # fewer identify nobody: a house number, an amount, a year


def _mask_number(match: re.Match) -> str:
    written = match.group(0)
    plain = unicodedata.normalize("NFKC", written)
    kept = re.sub(r"[^0-9Xx]", "", plain)
    if len(kept) < NUMBER_DIGITS:
        return written
    if MOBILE_RE.match(kept):
        return f"{kept[:3]}****{kept[-4:]}"
    if LANDLINE_RE.match(kept):
        groups = re.split(r"[^0-9]+", plain)
        head = groups[0] if len(groups) > 1 and 3 <= len(groups[0]) <= 4 else kept[:4]
        return f"{head}-****{kept[-4:]}"
    return kept[:3] + "*" * (len(kept) - 5) + kept[-2:]  # an ID, a card, a number of its own


def redact_phones(text: str) -> str:
    """Free text with every phone, ID or card number in it masked, however it was written:
    mobiles as 138****1234, landlines keeping the area code, other numbers of 7 or more digits
    keeping their first 3 and last 2. For pages residents and the public read, and for what
    anonymising leaves."""
    return _NUMBER_IN_TEXT.sub(_mask_number, text or "")


# Searching by phone number. A term is compared on its digits whatever the spelling: spaces,
# dashes, dots, brackets, full-width digits, a +86 or 0086 prefix.
FULL_NUMBER_DIGITS = 7  # a local number without area code has 7; fewer identify nobody
_SEARCH_SEPARATORS = re.compile(r"[\s()\-—.]+")
_DIGIT_RUN = re.compile(r"[0-9]+")


def _compact(term: str) -> str:

    compact = _SEARCH_SEPARATORS.sub("", unicodedata.normalize("NFKC", str(term or "")))
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix):
            compact = compact[len(prefix) :]
    return compact


def phone_search_digits(term: str) -> str | None:
    """The digits of a search term that is nothing but a phone number, however spelt."""
    compact = _compact(term)
    return compact if _DIGIT_RUN.fullmatch(compact) else None


def full_number_in(term: str) -> str | None:
    """The longest run of 7+ digits in a search term (separators ignored), or None: such a
    search can confirm a resident's number, so it is recorded and limited."""
    runs = [run for run in _DIGIT_RUN.findall(_compact(term).replace("+", "")) if run]
    longest = max(runs, key=len, default="")
    return longest if len(longest) >= FULL_NUMBER_DIGITS else None
