"""The documented ranges of numbers and sizes, checked where they enter: søknad validation and the policy parser.

Inside these ranges evaluation is exact (34 significant digits leave room for sums over long lists,
products with rates and monthly annuities); outside them a number is reported with its location
instead of overflowing the evaluation (docs/language.md, «Tallområder»; soknad.md).
"""

from __future__ import annotations

from decimal import Context, Decimal

MAX_AMOUNT = Decimal(10) ** 12  # kr and kr/mnd in a søknad: at most 1 000 000 000 000 kr
MAX_INTEGER = 10 ** 9  # whole numbers in a søknad (antall, år, måneder, heltall): at most 1 000 000 000
MAX_POLICY_NUMBER = Decimal(10) ** 12  # every number written in a policy, in its own unit
MAX_POLICY_DECIMALS = 10  # decimals of a number written in a policy
MAX_LIST_MINIMUM = 1000  # `liste av … minst N`
MAX_POLICY_CHARS = 500_000  # a policy file (nasjonal.pol has 68 000); parsing time is linear in the size
MAX_HINTS = 25  # «mente du …?» hints per check, each a pass over every name (many unknown names stay linear)
MAX_LINE_CHARS = 10_000  # a line of a policy (the longest shipped line has 567 characters)


def magnitude_exceeds(value: Decimal | int, limit: Decimal | int) -> bool:
    """Whether |value| > limit, without arithmetic that could itself overflow on a huge value."""
    if isinstance(value, int):
        return abs(value) > limit
    if not value.is_finite():
        return True
    return value.adjusted() > 40 or abs(value) > limit


def decimals(value: Decimal) -> int:
    """How many decimals `value` needs (trailing zeros do not count); for values within the ranges above."""
    exponent = value.normalize(Context(prec=80)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def grouped(limit: Decimal | int) -> str:
    """`1000000000000` → `1 000 000 000 000` (with no-break spaces), for messages."""
    return f"{int(limit):,}".replace(",", "\u00a0")
