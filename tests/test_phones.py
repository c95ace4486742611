import pytest
from django.core.exceptions import ValidationError

from common.phones import mask_phone, normalise_phone, validate_phone


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
