"""Plain Norwegian for numbers in running text: one helper for every «1 voksen / 2 voksne».

`antall_tekst` is also the policy language's template function `antall_tekst(n, "ett barn", "barn")`:
the singular is given with its article (which carries the gender), the plural without one.
Counts up to twelve are written in words, as Språkrådet recommends for running text; larger
counts in digits; zero as «ingen». The words are the same in bokmål and nynorsk.
"""

from __future__ import annotations

from decimal import Decimal

from boligregler.money import format_number

MÅLFORMER = ("bokmål", "nynorsk")
_WORDS = ("", "", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti", "elleve", "tolv")


def antall_tekst(n: Decimal | int, singular: str, plural: str) -> str:
    """«ett barn», «to barn», «ingen barn», «13 barn»: `singular` carries its article («én bank», «en voksen»)."""
    count = Decimal(n)
    if count == 1:
        return singular
    if count == 0:
        return f"ingen {plural}"
    if count == count.to_integral_value() and 2 <= count <= 12:
        return f"{_WORDS[int(count)]} {plural}"
    return f"{format_number(count)} {plural}"


def tall_med_enhet(n: Decimal | int, singular: str, plural: str) -> str:
    """A measured count in digits with the noun agreeing: «1 måned», «2 måneder», «30 år»."""
    count = Decimal(n)
    return f"{format_number(count)} {singular if count == 1 else plural}"
