"""goodword.core.money.to_amount: money in, Decimal to the cent out, never a float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodword.core.money import CENT, MAX_AMOUNT, to_amount


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0.00"),
        (5, "5.00"),
        ("5", "5.00"),
        ("100.44", "100.44"),
        (Decimal("100.44"), "100.44"),
        ("1.004", "1.00"),
        ("1.005", "1.01"),  # half up, not banker's rounding
        ("2.675", "2.68"),
        ("-1.005", "-1.01"),  # half away from zero
        ("0.125", "0.13"),
        ("1e2", "100.00"),
        # floats go through their shortest repr, so what the client wrote is what is rounded
        (1.005, "1.01"),  # Decimal(1.005) is 1.00499999..., which would round down
        (2.675, "2.68"),
        (0.1 + 0.2, "0.30"),
        (100.44, "100.44"),
        (1e-7, "0.00"),
        ("999999999999.99", "999999999999.99"),
        ("999999999999.994", "999999999999.99"),
        ("-999999999999.99", "-999999999999.99"),
    ],
)
def test_amounts_are_rounded_half_up_to_the_cent(value, expected):
    amount = to_amount(value)
    assert amount == Decimal(expected)
    assert amount.as_tuple().exponent == -2
    assert isinstance(amount, Decimal)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(True, id="true"),
        pytest.param(False, id="false"),
        pytest.param(float("nan"), id="nan"),
        pytest.param("NaN", id="nan-string"),
        pytest.param("sNaN", id="signalling-nan"),
        pytest.param(float("inf"), id="inf"),
        pytest.param("-Infinity", id="minus-inf-string"),
        pytest.param("1e13", id="too-big"),
        pytest.param("999999999999.995", id="rounds-past-max"),
        pytest.param(10**40, id="huge-int"),
        pytest.param("1e100000", id="huge-exponent"),
        pytest.param(1e308, id="huge-float"),
        pytest.param("", id="empty"),
        pytest.param("ten", id="word"),
        pytest.param("1,000.00", id="thousands-separator"),
        pytest.param(None, id="none"),
        pytest.param([1], id="list"),
        pytest.param({"amount": 1}, id="dict"),
    ],
)
def test_what_is_not_a_money_amount_is_refused(value):
    with pytest.raises(ValueError):
        to_amount(value)


cents = st.integers(min_value=-int(MAX_AMOUNT * 100), max_value=int(MAX_AMOUNT * 100))


@given(cents)
def test_an_amount_in_cents_survives_every_spelling(n):
    # given an amount that is a whole number of cents within range
    exact = Decimal(n) / 100

    # then it comes back unchanged from its string, its Decimal, and (when floats can hold it)
    # from the float a JSON client would send
    assert to_amount(str(exact)) == exact
    assert to_amount(exact) == exact
    if abs(n) < 10**15:
        assert to_amount(float(str(exact))) == exact


@given(st.decimals(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=6))
def test_rounding_moves_at_most_half_a_cent_and_is_idempotent(value):
    amount = to_amount(value)
    assert abs(amount - value) <= CENT / 2
    assert amount.as_tuple().exponent == -2
    assert to_amount(amount) == amount
    assert to_amount(str(amount)) == amount


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e11, max_value=1e11))
def test_a_float_is_rounded_as_written(value):
    # a client that sends 1.005 means 1.005, not the binary fraction closest to it
    written = Decimal(repr(value))
    amount = to_amount(value)
    assert abs(amount - written) <= CENT / 2
    expected = written.quantize(CENT, rounding="ROUND_HALF_UP")
    assert amount == expected
