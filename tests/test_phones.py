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
        # however a mobile is broken up, whatever dash or gap is typed
        ("电话 138  4720  1234", "电话 138****1234"),
        ("138 - 4720 - 1234", "138****1234"),
        ("138/4720/1234", "138****1234"),
        ("138\u20104720\u20101234", "138****1234"),
        ("138\u22124720\u22121234", "138****1234"),
        ("138 47 20 12 34", "138****1234"),
        ("1 3 8 4 7 2 0 1 2 3 4", "138****1234"),
        ("0086-13847201234", "0086-138****1234"),
        ("一三八四七二零一二三四", "138****1234"),
        # a landline's area code as the numbering plan has it; a local number keeps its last 4
        ("01012345678", "010-****5678"),
        ("0472-51-23456", "0472-****3456"),
        ("请拨打 5123456", "请拨打 ****3456"),
        ("请拨打 512-3456", "请拨打 ****3456"),
        # a phone beside other numbers takes none of them with it
        ("王师傅 13847201234 2026-12-07 上门", "王师傅 138****1234 2026-12-07 上门"),
        ("3号楼 1201 13847201234", "3号楼 1201 138****1234"),
        ("电话 13847201234 1201室", "电话 138****1234 1201室"),
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
        "2024-2026年度，2025 2026 2027 三年",
        "1201 1202 1203 室漏水，1号楼 301 302 303",
        "维修基金 1200000 元，1234567.89 元，100 200 300 元，¥1500000",
        "20261207 营业时间 0900-1730 第2024001号",
        "YJ23456789 与 YJ7WD2Y345 2026-12-07",
        "13:00-15:00 3-2-1201 1,200,000 共 1200 户 3600 人",
    ],
)
def test_dates_times_rooms_and_amounts_are_left_as_written(kept):
    assert redact_phones(kept) == kept
