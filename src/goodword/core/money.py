"""Money is Decimal with a currency; never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
# Largest amount a NUMERIC(14, 2) column holds.
MAX_AMOUNT = Decimal("999999999999.99")


def to_amount(value: object) -> Decimal:
    """Parse a money amount (int, str or Decimal; floats through their shortest repr)."""
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, float):
        value = repr(value)
    try:
        parsed = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("not a number") from exc
    try:
        amount = parsed.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        # A number with more digits than any column holds: it parses, it cannot be stored.
        raise ValueError("out of range") from None
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        raise ValueError("out of range")
    return amount
