import pytest
from django.core.exceptions import ValidationError

from common.phones import mask_phone, normalise_phone, redact_phones, validate_phone


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("138 4720 1234", "13847201234"),
        ("+86 13847201234", "13847201234"),
        ("0472-5123456", "0472-5123456"),
        ("（0472）5123456", "04725123456"),
    ],
)
def test_phones_are_normalised(raw, clean):
    assert normalise_phone(raw) == clean
    validate_phone(raw)


@pytest.mark.parametrize("bad", ["1234", "12847201234", "abc", "138472012345", ""])
def test_bad_phones_are_refused_with_a_message(bad):
    with pytest.raises(ValidationError, match="11"):
        validate_phone(bad)


def test_lists_show_masked_phones():
    assert mask_phone("13847201234") == "138****1234"
    assert mask_phone("0472-5123456") == "0472-****3456"


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("电话13847201234", "电话138****1234"),
        ("电话 138 4720 1234。", "电话 138****1234。"),
        ("电话138-4720-1234", "电话138****1234"),
        ("电话 138.4720.1234", "电话 138****1234"),
        ("电话１３８４７２０１２３４", "电话138****1234"),  # typed with a Chinese IME
        ("电话 138－4720－1234", "电话 138****1234"),
        ("+86 138 4720 1234", "+86 138****1234"),
        ("座机0472-5123456转", "座机0472-****3456转"),
        ("座机 0472 512 3456", "座机 0472-****3456"),
        ("座机010-12345678", "座机010-****5678"),
        ("身份证 11010119900307123X", "身份证 110*************3X"),
        ("身份证 110101 19900307 123X", "身份证 110*************3X"),
        ("卡号 6222 0212 3456 7890", "卡号 622***********90"),
    ],
)
def test_numbers_in_free_text_are_masked_however_they_are_written(written, shown):
    assert redact_phones(written) == shown


@pytest.mark.parametrize(
    "kept",
    [
        "12月7日 13:00 到 3号楼 1201 室",
        "请于2026-12-10前处理，费用 1500 元",
        "2026.12.07 下午",
        "共 10 人参加，赞成 8 票",
    ],
)
def test_dates_times_rooms_and_amounts_are_left_as_written(kept):
    assert redact_phones(kept) == kept
