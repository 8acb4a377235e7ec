"""Money is whole kronor; shown as tkr and mkr with Swedish formatting, rounded half up, never through floats."""

from decimal import Decimal

import pytest

from styrning.money import format_mkr, format_money, format_tkr, mkr, tkr, to_kronor

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("kronor", "expected"),
    [
        (2_000_000, "2,0 mkr"),
        (400_000, "0,4 mkr"),
        (449_999, "0,4 mkr"),
        (450_000, "0,5 mkr"),
        (-1_250_000, "\u22121,3 mkr"),
        (123_456_789, "123,5 mkr"),
    ],
)
def test_mkr(kronor, expected):
    assert format_mkr(kronor) == expected.replace(" ", NBSP)


@pytest.mark.parametrize(
    ("kronor", "expected"),
    [(1_234_000, "1 234 tkr"), (1_234_499, "1 234 tkr"), (1_234_500, "1 235 tkr"), (999, "1 tkr"), (0, "0 tkr")],
)
def test_tkr(kronor, expected):
    assert format_tkr(kronor) == expected.replace(" ", NBSP)


def test_readable_amount_picks_the_unit():
    assert format_money(2_000_000) == f"2,0{NBSP}mkr"
    assert format_money(400_000) == f"400{NBSP}tkr"
    assert format_money(950) == f"950{NBSP}kr"
    assert format_money(None) == "–"


def test_rounding_is_decimal_not_float():
    # 0.15 mkr would round to 0.1 through binary floats (0.1499999…); in Decimal it is 0.2.
    assert mkr(150_000) == Decimal("0.2")
    assert tkr(2_500) == Decimal("3")


def test_to_kronor_reads_swedish_amounts_and_refuses_floats():
    assert to_kronor("2 000 000") == 2_000_000
    assert to_kronor("1234,50") == 1235
    assert to_kronor(Decimal("10.4")) == 10
    with pytest.raises(TypeError):
        to_kronor(2.5)
