"""Runtime values that are not plain Python or Decimal values."""

from __future__ import annotations

from decimal import Decimal

import attrs


@attrs.frozen
class Ratio:
    """An exact fraction such as 10/12; multiplying by it multiplies first, then divides."""

    numerator: Decimal
    denominator: Decimal

    def __rmul__(self, other: Decimal) -> Decimal:
        return other * self.numerator / self.denominator

    __mul__ = __rmul__

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"
