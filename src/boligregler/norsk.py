"""Plain Norwegian for numbers in running text: one helper for every «1 voksen / 2 voksne».

`antall_tekst` is also the policy language's template function `antall_tekst(n, "ett barn", "barn")`:
the singular is given with its article (which carries the gender), the plural without one.
Counts up to twelve are written in words, as Språkrådet recommends for running text; larger
counts in digits; zero as «ingen». The words are the same in bokmål and nynorsk.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from boligregler.money import format_number

MÅLFORMER = ("bokmål", "nynorsk")
_WORDS = ("", "", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti", "elleve", "tolv")


def in_form(words: dict[str, Any], i: int) -> dict[str, Any]:
    """Fixed words in målform `MÅLFORMER[i]`: a text serves both målformer, a pair is (bokmål, nynorsk),
    a dict is taken key by key."""
    return {k: in_form(v, i) if isinstance(v, dict) else v if isinstance(v, str) else v[i] for k, v in words.items()}


def per_form(words: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`words` for each målform, by its name."""
    return {form: in_form(words, i) for i, form in enumerate(MÅLFORMER)}


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


def lix(text: str) -> float:
    """Björnsson's readability index: words per sentence + the percentage of words over six letters.

    A sentence ends at `.`, `:`, `!` or `?` before a space or the end of a line; a line without such
    an ending (a heading, a point in a list, an address line) counts as one sentence. Lines of only
    `=` or `-` (the underlines of plain-text headings) are not text. Under 40 is easy, over 50 hard.
    """
    words = sentences = long = 0
    for line in text.splitlines():
        line = line.strip()
        if not line or set(line) <= {"=", "-"}:
            continue
        found = re.findall(r"[^\W\d_]+", line)
        words += len(found)
        long += sum(1 for w in found if len(w) > 6)
        sentences += max(1, len(re.findall(r"[.:!?]+(?=\s|$)", line)))
    return words / sentences + 100 * long / words if words else 0.0


# The applicant in the third person, per målform: `du`/`deg` become «søkeren», a possessive after a noun
# goes («husstanden din» → «husstanden»).
_APPLICANT = {"bokmål": "søkeren", "nynorsk": "søkjaren"}
# each begins with a character to look for, which is much faster than a pattern that begins with \b or (?<=…)
_YOU = re.compile(r"[Dd](?<=\b[Dd])(?:u|eg)\b")
_YOURS = re.compile(r" (?<=\w )(?:din|ditt|dine|di)\b")
_QUOTES = re.compile("[«»]")


def tredje_person(text: str, form: str = "bokmål") -> str:
    """A text written to the applicant («du», «husstanden din») as it reads to the case worker: «søkeren»
    for «du» and «deg», and a possessive «din/ditt/dine» (nynorsk also «di») after a noun left out, since the
    definite form names the applicant's own («Med 15 366 kr kan husstanden din betjene» → «kan husstanden
    betjene»; «hindrer deg i» → «hindrer søkeren i»). Norwegian verbs do not inflect for person, so the
    sentence stays grammatical. What stands in «…» is quoted (a title, a case worker's reason) and kept."""
    out, depth, start = [], 0, 0
    for mark in _QUOTES.finditer(text):  # only the quotation marks, not every character
        i, ch = mark.start(), mark.group()
        if ch == "«":
            if depth == 0:
                out.append(_third(text[start:i], form))
                start = i
            depth += 1
        elif ch == "»" and depth:
            depth -= 1
            if depth == 0:
                out.append(text[start:i + 1])
                start = i + 1
    out.append(text[start:] if depth else _third(text[start:], form))
    return "".join(out)


def _third(text: str, form: str) -> str:
    applicant = _APPLICANT[form]
    text = _YOURS.sub("", text)
    return _YOU.sub(lambda m: applicant.capitalize() if m.group()[0] == "D" else applicant, text)
