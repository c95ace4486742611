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
        head = phone.split("-")[0] if "-" in phone else digits[: _area_length(digits)]
        return f"{head}-****{digits[-4:]}"
    return "****"


def _area_length(digits: str) -> int:
    """The area code's length as the numbering plan has it: 010 and 02x have 3 digits, every
    other 4."""
    return 3 if digits[:2] in ("01", "02") else 4


# Numbers inside free text, each kind as people write it. Digits may be ASCII or full-width;
# a number glued to Latin letters is a code (YJ23456789), not a number, and is left alone.
_D = "[0-9\uff10-\uff19]"
_D39 = "[3-9\uff13-\uff19]"
# Between a phone's groups: up to three of space, dashes of every width, dot, slash or
# underscore (138 4720 1234, 138 - 4720 - 1234, 138.4720.1234), the same all along but in the
# usual 3-4-4 (139 1234-5678): lists of times and rooms mix them (13.00-15.00 16.00-17.00).
_SEP = "[\\s\\-\u2010-\u2015\u2212\uff0d.\uff0e/_]{1,3}"


def _grouped(name: str, first: str, *rest: int) -> str:
    """Digits in groups: `first` (a pattern), then groups of the sizes given, each after the
    same separator as the first."""
    groups = f"(?P<{name}>{_SEP})" + f"{_D}{{{rest[0]}}}"
    for size in rest[1:]:
        groups += f"(?P={name}){_D}{{{size}}}"
    return first + groups


def _mobile(tag: str = "") -> str:
    """A mobile as people group it; `tag` keeps the pattern's group names its own where it is
    used twice."""
    return "|".join(
        [
            f"[1\uff11]{_D39}{_D}{{9}}",  # 13847201234
            f"[1\uff11]{_D39}{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}",  # 138 4720-1234 too
            _grouped(f"s1{tag}", f"[1\uff11]{_D39}{_D}", 3, 5),  # 138 472 01234
            _grouped(f"s2{tag}", f"[1\uff11]{_D39}{_D}", 8),  # 138 47201234
            _grouped(f"s3{tag}", f"[1\uff11]{_D39}{_D}{{5}}", 4),  # 1384720 1234
            _grouped(f"s4{tag}", f"[1\uff11]{_D39}{_D}", 4, 2, 2),  # 138 4720 12 34
            _grouped(f"s5{tag}", f"[1\uff11]{_D39}{_D}", 2, 2, 2, 2),  # 138 47 20 12 34
            _grouped(f"s6{tag}", f"[1\uff11]{_D39}", 2, 2, 2, 3),  # 13 84 72 01 234
            f"[1\uff11] {_D39}(?: {_D}){{9}}",  # 1 3 8 4 7 2 0 1 2 3 4
        ]
    )


# An area code as the numbering plan has it (010, 02x, then 0 and three digits), then a local
# number of 7 or 8 digits, whole or as 3-4 or 4-4 (grouped, from 2-9: 0800-1200 1400-1800 is
# opening hours).
_AREA = f"[0\uff10](?:[1\uff11][0\uff10]|[2\uff12]{_D}|{_D39}{_D}{{2}})"


def _local_groupings(tag: str) -> str:
    """A local number of 7 or 8 digits in two or three groups of 2 to 6 digits after one
    space or dash each (512 3456, 51-23456, 512 34 56), from 2-9 (0800-1200 1400-1800 is
    opening hours), each grouping whole: 512 3456 3单元 is not 5123456 3."""
    splits = []
    for total in (8, 7):
        splits += [(a, total - a) for a in range(2, 7) if 2 <= total - a <= 6]
        splits += [
            (a, b, total - a - b)
            for a in range(2, 5)
            for b in range(2, 5)
            if 2 <= total - a - b <= 4
        ]
    shapes = []
    for n, split in enumerate(splits):
        group = f"g{n}{tag}"
        shape = f"[2-9\uff12-\uff19]{_D}{{{split[0] - 1}}}(?P<{group}>[ \\-]){_D}{{{split[1]}}}"
        shape += "".join(f"(?P={group}){_D}{{{size}}}" for size in split[2:])
        shapes.append(shape + f"(?!{_D})")
    return "|".join(shapes)


def _local(tag: str = "") -> str:
    """A local number: whole, digit by digit or in groups (`_local_groupings`)."""
    return (
        f"(?:[1-9\uff11-\uff19]{_D}{{6,7}}(?!{_D})"
        f"|[2-9\uff12-\uff19](?: {_D}){{6,7}}(?! ?{_D})"  # 5 1 2 3 4 5 6
        f"|{_local_groupings(tag)})"
    )


_PHONE_LABEL = "(?i:tel|phone|mobile|mob|cell|call)"
_NUMBER_IN_TEXT = re.compile(
    "(?:(?<![A-Za-z0-9\uff10-\uff19])(?:"
    # a mobile, its +86 or 0086 kept as written
    f"(?P<prefix>(?:\\+|00)86[\\s\\-]{{0,3}})?(?P<mobile>{_mobile()})"
    # a landline with its area code, in brackets or not, or after +86 without its 0:
    # (0472) 512 3456, 010-12345678, +86 10 6512 3456
    f"|(?P<landline>(?:(?:\\+|00)86[\\s\\-]{{0,3}}{_AREA[_AREA.index('(?:') :]}"
    f"|[(\uff08]?{_AREA}[)\uff09]?)[\\s\\-\u2010-\u2015\uff0d]{{0,3}}{_local()})"
    # a card in groups of four, an ID number in 6-8-4 (one separator all along: 0800-1200
    # 1400-1800 is opening hours), any other run of 9 or more digits
    f"|(?P<long>{_D}{{4}}(?P<c>[ \\-]){_D}{{4}}(?:(?P=c){_D}{{4}}){{2}}(?:(?P=c){_D}{{1,4}})?"
    f"|{_D}{{6}}(?P<i>[ \\-]){_D}{{8}}(?P=i){_D}{{3}}[0-9\uff10-\uff19XxＸｘ]"
    f"|{_D}{{9,}}[XxＸｘ]?)"
    # a local number without its area code, whole or as 3-4 or 4-4
    f"|(?P<local>[2-9\uff12-\uff19](?:{_D}{{6,7}}|{_D}{{2,3}}[ \\-]{_D}{{4}})))"
    # a mobile in Chinese numerals
    "|(?P<spoken>一[三四五六七八九][〇零一二三四五六七八九]{9})"
    # a phone or an ID glued to the label that says so (TEL13847201234, Tel0472-5123456,
    # Mob8613847201234, ID110101199003071234); other letters and digits make a code
    f"|(?<![A-Za-z])(?P<label>{_PHONE_LABEL}[.:#]?)(?P<glued>(?:\\+?86|0086)?(?:{_mobile('b')})"
    f"|{_AREA}[\\-\uff0d ]?{_local('b')})"
    f"|(?<![A-Za-z])(?P<id_label>(?i:id)[.:#]?)(?P<id>{_D}{{17}}[0-9\uff10-\uff19XxＸｘ]|{_D}{{15}})"
    ")(?![0-9\uff10-\uff19])"
)
_SPOKEN = str.maketrans("〇零一二三四五六七八九", "00123456789")
# After a run of digits, what makes it an amount, a count, a room or a decimal rather than a
# number to hide (1200000 元, 1234567.89, 2201 室); 个人, 人员 and 号码 do not.
_NOT_A_NUMBER_AFTER = re.compile(
    "\\s?(?:[元万亿块角户次件栋间期平米㎡%％室]|人(?!员)|个(?!人)|号(?!码)|[.．][0-9])"
)
_YEAR = re.compile("(?:19|20)[0-9]{2}")
_DATE = re.compile("(?:19|20)[0-9]{2}([-./ ])[01]?[0-9]\\1[0-3]?[0-9](?![0-9])")


def _digits(written: str) -> str:
    return re.sub(r"[^0-9Xx]", "", unicodedata.normalize("NFKC", written))


# Just before a run of digits, what makes it an amount, a room or a serial number rather than
# a number to hide (¥ 2500000, 人民币2500000, 3号楼302-1502, 编号 2024001).
_NOT_A_NUMBER_BEFORE = re.compile("(?:[¥￥$]|人民币|楼|栋|单元|室|编号|单号|序号|批次)[:：]?\\s?$")
# The word that makes a number a count or an amount (人口 3600000, 预算 8000000, 约 3500000):
# for numbers no longer than an amount is (an ID number after 约 is still an ID number), and
# 约 on its own (预约, 签约 name an appointment, a contract).
_A_COUNT_BEFORE = re.compile(
    "(?:(?<![预签合相节大])约|人口|户数|面积|金额|预算|费用|资金|投资|造价|价格|单价|合计|共计"
    "|总计|总额|数量)[:：]?\\s?$"
)
_LONGEST_COUNT = 12
# A short number beside it (a room, a floor): one of a list, 2201 2202 2203 or 502-1202.
_LIST_AFTER = re.compile("[ \\-、,，~～至到][0-9\uff10-\uff19]{1,4}(?![0-9\uff10-\uff19])")
_LIST_BEFORE = re.compile("(?<![0-9\uff10-\uff19])[0-9\uff10-\uff19]{1,4}[ \\-、,，~～至到]\\s?$")


# The words before a number that say what it is are short: look no further back than this, so
# a long text of numbers is read once, not once per number.
_BEFORE_WINDOW = 16


def _an_amount_a_count_or_a_date(match: re.Match, digits: str) -> bool:
    """A run of digits that reads as something other than a number to hide."""
    text, start, end = match.string, match.start(), match.end()
    near = max(0, start - _BEFORE_WINDOW)
    if _NOT_A_NUMBER_AFTER.match(text, end) or _NOT_A_NUMBER_BEFORE.search(text, near, start):
        return True
    if len(digits) <= _LONGEST_COUNT and _A_COUNT_BEFORE.search(text, near, start):
        return True
    before = text[max(0, start - 2) : start]
    if before[-1:] in ".．" and before[:1].isdigit():
        return True  # the decimals of 40.8123456
    if len(digits) == 8 and _YEAR.fullmatch(digits[:4]):
        if _YEAR.fullmatch(digits[4:]):
            return True  # 2024-2026
        if 1 <= int(digits[4:6]) <= 12 and 1 <= int(digits[6:]) <= 31:
            return True  # 20261207
    groups = re.findall(r"[0-9]+", unicodedata.normalize("NFKC", match.group(0)))
    if len(groups) > 1 and (
        len({group[:2] for group in groups}) == 1 or all(g.endswith("00") for g in groups)
    ):
        return True  # 1301 1302 1303 1304, 2021 2022 2023 2024, 0800 1200 1400 1800
    if match.group("local"):  # one of a list: 2201 2202 2203 室
        return bool(_LIST_AFTER.match(text, end) or _LIST_BEFORE.search(text, near, start))
    return False


def _mask_number(match: re.Match) -> str:
    kind = next(
        name
        for name in ("mobile", "landline", "long", "local", "spoken", "glued", "id")
        if match.group(name)
    )
    written = match.group(kind)
    digits = written.translate(_SPOKEN) if kind == "spoken" else _digits(written)
    if kind == "glued":
        national = re.sub("^(?:0086|86)(?=1)", "", digits)
        return match.group("label") + mask_phone(national)
    if kind == "id":
        return match.group("id_label") + digits[:3] + "*" * (len(digits) - 5) + digits[-2:]
    if kind in ("mobile", "spoken"):
        return f"{match.group('prefix') or ''}{mask_phone(digits)}"
    if kind == "landline":
        if _DATE.search(unicodedata.normalize("NFKC", written)):
            return match.group(0)  # 0502 2026-12-07: a room, then a date
        if written.lstrip("(（ ").startswith(("+", "00")):  # +86 10 6512 3456
            national = digits[2:] if digits.startswith("86") else digits[4:]
            return f"+86 {mask_phone('0' + national)[1:]}"
        return mask_phone(digits)
    if _an_amount_a_count_or_a_date(match, digits):
        return match.group(0)
    if kind == "local":
        return f"****{digits[-4:]}"
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]  # an ID, a card, an order


def redact_phones(text: str) -> str:
    """Free text with every phone, ID or card number in it masked, however it was written:
    mobiles as 138****1234 (also with +86, in groups, with any dashes, in full-width digits
    or Chinese numerals), landlines keeping their area code (0472-****3456), local numbers
    their last 4, IDs, cards and other runs of 9 or more digits their first 3 and last 2.
    Dates, years, times, rooms, amounts and codes stay as written. For pages residents and
    the public read, Open311, and what anonymising leaves."""
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
