"""AWB helpers: normalising, check digit and 3-4-4 formatting."""

import pytest

from orders.awb import awb_error, awb_format, awb_is_valid, awb_normalize


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("369-1234-5675", True),
        ("369 1234 5675", True),
        ("36912345675", True),
        ("369-1234-5670", False),
        ("08472-4772-0048", False),
        ("369-1234-567", False),
        ("369-12A4-5675", False),
        ("", False),
        ("３６９１２３４５６７５", False),
        ("000-0000-0000", False),
        ("000-1234-5675", False),
        ("369-0000-0000", False),
        ("001-0000-0011", True),
    ],
)
def test_awb_is_valid(raw, valid):
    assert awb_is_valid(raw) is valid
    assert (awb_error(raw) == "") is valid


def test_awb_normalize_and_format():
    assert awb_normalize("369-1234 5675") == "36912345675"
    assert awb_format("36912345675") == "369-1234-5675"
    assert awb_format("12") == "12"


def test_awb_error_names_check_digit():
    assert awb_error("369-1234-5670") == (
        "check digit is 0 but the serial number 1234567 mod 7 is 5"
    )


def test_awb_error_names_zero_prefix_and_serial():
    assert awb_error("000-1234-5675") == (
        "airline prefix 000 is not assigned to any airline; send the AWB's own prefix"
    )
    assert awb_error("369-0000-0000") == (
        "serial number 0000000 is not a valid serial; send the AWB's own number"
    )
