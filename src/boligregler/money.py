"""Exact decimal money: rounding, parsing, JSON serialisation and Norwegian display formatting."""

from __future__ import annotations

import decimal
import enum
import re
from decimal import Decimal
from typing import Any

from boligregler.diagnostics import BoligreglerError, UsageError
from boligregler.limits import MAX_AMOUNT, grouped, magnitude_exceeds
from boligregler.json_input import load_json  # noqa: F401  (the library's JSON reader, long imported from here)

CONTEXT = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_UP,
    traps=[
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.FloatOperation,
    ],
)

_ONE = Decimal(1)
_CENT = Decimal("0.01")
_NBSP = "\u00a0"
_MINUS = "\u2212"
_MONEY_TEXT = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")
_MONEY_HINT = "et beløp i kroner (heltall eller tekst som «3200000.50»)"


class AmountError(BoligreglerError, ValueError):
    """A value that is not an amount `parse_money` takes (also a `ValueError`); the message starts «må være …»."""

    code = "belop"


class RoundingMode(enum.Enum):
    """Rounding modes, named as in the policy language."""

    HALV_OPP = "halv_opp"
    HALV_JEVN = "halv_jevn"
    NED = "ned"
    OPP = "opp"

    @property
    def decimal_mode(self) -> str:
        """The matching :mod:`decimal` rounding constant."""
        return _DECIMAL_MODES[self]


_PLACES = {n: Decimal(1).scaleb(-n) for n in range(0, 7)}

_DECIMAL_MODES = {
    RoundingMode.HALV_OPP: decimal.ROUND_HALF_UP,
    RoundingMode.HALV_JEVN: decimal.ROUND_HALF_EVEN,
    RoundingMode.NED: decimal.ROUND_FLOOR,
    RoundingMode.OPP: decimal.ROUND_CEILING,
}


def round_to(value: Decimal, unit: Decimal, mode: RoundingMode) -> Decimal:
    """Round ``value`` to a multiple of the positive ``unit``; the result has ``unit``'s exponent."""
    return round_with(value, unit, _DECIMAL_MODES[mode])


# The quantize step of `round_with` in CONTEXT with each rounding (the division and product keep CONTEXT's);
# the methods bound once, since looking up a method of a decimal context costs about as much as the operation.
_QUANTIZE: dict[str, Any] = {}
for _mode in _DECIMAL_MODES.values():
    _context = CONTEXT.copy()
    _context.rounding = _mode
    _QUANTIZE[_mode] = _context.quantize
_DIVIDE, _MULTIPLY, _QUANTIZE_HALF_UP = CONTEXT.divide, CONTEXT.multiply, CONTEXT.quantize  # CONTEXT rounds half up
_ZERO = Decimal(0)


def round_with(value: Decimal, unit: Decimal, rounding: str) -> Decimal:
    """`round_to` with the :mod:`decimal` rounding constant (`RoundingMode.decimal_mode`) instead of the mode."""
    if unit <= _ZERO:
        raise UsageError(f"avrundingsenheten må være positiv, ikke {unit}")
    result = _MULTIPLY(_QUANTIZE[rounding](_DIVIDE(value, unit), _ONE), unit)
    return result.copy_abs() if result.is_zero() else result


def parse_money(value: object) -> Decimal:
    """Parse an amount in kroner from int, Decimal or text, with at most two decimals.

    Raises `AmountError` (a ValueError) with a Norwegian message (starting with «må være …») for
    floats, booleans, malformed text, non-finite values or more than two decimals.
    """
    if isinstance(value, bool):
        raise AmountError(f"må være {_MONEY_HINT}, ikke en sannhetsverdi")
    if isinstance(value, float):
        raise AmountError(f"må være {_MONEY_HINT}, ikke et binært flyttall (les JSON med load_json)")
    if isinstance(value, int):
        return _within_range(Decimal(value) if abs(value) <= MAX_AMOUNT else value)
    if isinstance(value, str):
        if not _MONEY_TEXT.fullmatch(value):
            shown = (value if len(value) <= 40 else value[:40] + "…").encode("utf-8", "backslashreplace").decode()
            raise AmountError(f"må være {_MONEY_HINT} med høyst to desimaler, ikke «{shown}»")
        return _within_range(Decimal(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountError("må være et endelig tall")
        _within_range(value)
        with decimal.localcontext(CONTEXT):
            if value != value.quantize(_CENT):
                raise AmountError(f"må være et beløp med høyst to desimaler, ikke {value}")
        return value
    raise AmountError(f"må være {_MONEY_HINT}")


def _within_range(value):
    if magnitude_exceeds(value, MAX_AMOUNT):
        raise AmountError(f"er for stort; et beløp kan være høyst {grouped(MAX_AMOUNT)} kr")
    return value


def _cents(value: Decimal) -> Decimal:
    """Round to øre (half up), dropping the decimals when the amount is whole kroner."""
    rounded = _QUANTIZE_HALF_UP(value, _CENT)
    if rounded == rounded.to_integral_value():
        rounded = _QUANTIZE_HALF_UP(rounded, _ONE)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def money_json(value: Decimal) -> str:
    """Serialise an amount: ``"2973590"`` for whole kroner, otherwise ``"23932.50"``."""
    return f"{_cents(_as_decimal(value)):f}"


def format_kr(value: Decimal, unit_suffix: str = "kr") -> str:
    """Format an amount for display, e.g. ``2 973 590 kr`` or ``−23 932,50 kr`` (grouped with no-break spaces).

    `_cents` and `_group` written out: a letter writes dozens of amounts."""
    rounded = _QUANTIZE_HALF_UP(value if value.__class__ is Decimal else _as_decimal(value), _CENT)
    if rounded == rounded.to_integral_value():
        rounded = _QUANTIZE_HALF_UP(rounded, _ONE)
    text = format(rounded.copy_abs(), ",f").translate(_NORWEGIAN_DIGITS)
    if rounded.is_signed() and not rounded.is_zero():
        text = _MINUS + text
    return f"{text} {unit_suffix}" if unit_suffix else text


def format_number(value: Decimal, decimals: int | None = None) -> str:
    """Format a number with Norwegian grouping and decimal comma.

    With ``decimals`` the value is rounded half up to that many places; otherwise it is shown
    exactly, without trailing fractional zeros.
    """
    value = _as_decimal(value)
    # Enough precision for any finite value, so formatting never fails (CONTEXT has 34 digits): a copy of CONTEXT
    # with more digits for a value too long for it, else CONTEXT itself.
    needed = value.adjusted() + 3 + (decimals or 0) if value.is_finite() else 0
    context = CONTEXT
    if needed > CONTEXT.prec:
        context = CONTEXT.copy()
        context.prec = needed
    if decimals is None:
        value = value.quantize(_ONE, context=context) if value == value.to_integral_value() else value.normalize(context)
    else:
        value = value.quantize(_PLACES[decimals] if decimals in _PLACES else Decimal(1).scaleb(-decimals), context=context)
    return _group(value.copy_abs() if value.is_zero() else value)


def format_percent(value_fraction: Decimal, *, trimmed: bool = False) -> str:
    """Format a fraction as a percentage with two decimals, e.g. 0.05 → ``5,00 %``; ``trimmed``: without
    trailing zeros, as running text writes it (``5 %``, ``2,5 %``, ``4,64 %``; Språkrådet: no needless decimals)."""
    percent = CONTEXT.multiply(_as_decimal(value_fraction), 100)
    if trimmed:
        return f"{format_number(CONTEXT.quantize(percent, _PLACES[2]))}{_NBSP}%"
    return f"{format_number(percent, decimals=2)}{_NBSP}%"


def _as_decimal(value: object) -> Decimal:
    if type(value) is Decimal:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise TypeError(f"forventet et heltall eller Decimal, ikke {type(value).__name__}")
    return Decimal(value)


_NORWEGIAN_DIGITS = str.maketrans({",": _NBSP, ".": ","})


def _group(value: Decimal) -> str:
    """Render a finite Decimal with no-break-space thousand groups, decimal comma and U+2212 minus."""
    text = format(value.copy_abs(), ",f").translate(_NORWEGIAN_DIGITS)
    return (_MINUS if value.is_signed() else "") + text
