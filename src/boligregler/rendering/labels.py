"""Reader-facing Norwegian names for a policy's computations, parameters and tables.

A public page never shows an identifier (`maks_tilskudd_andel`, nor «maks tilskudd andel»). A
definition's name on a page is, in order: a phrase given here for the baseline's names whose doc
comment does not start with a name; the doc comment's opening phrase (`## Maks lån: …` → «Maks lån»,
a leading spec section number dropped); the identifier as words, the last resort for a policy whose
author wrote no doc comment (write one).
"""

from __future__ import annotations

import re

PHRASES = {
    "livsopphold_enslig": "Livsopphold for en enslig voksen",
    "livsopphold_par": "Livsopphold for et par",
    "livsopphold_bofellesskap": "Livsopphold for hver voksen utover to",
    "livsopphold_barn": "Livsopphold per barn",
    "tilskudd_tilbys": "Om kommunen gir tilskudd til etablering",
    "margin_varsel": "Grensen for varsel om liten margin",
    "antall_voksne": "Antall voksne i husstanden",
    "antall_barn": "Antall barn i husstanden",
    "ordinær_løpetid": "Nedbetalingstid uten forlengelse",
    "nedbetalingstid": "Nedbetalingstid",
    "startlån": "Startlån",
    "kalkulasjonsrente": "Fast kalkulasjonsrente",
    "faste_utgifter_sum": "Faste utgifter",
    "tilskudd": "Tilskudd",
}
MAX_WORDS = 10
_SECTION = re.compile(r"^§\s*\d+(?:\.\d+)*\s*")
_PROPER = ("Norges ", "Husbank", "NAV", "Drammen", "Skien", "Sandnes", "Bergen", "Oslo")


def doc_phrase(doc: str) -> str | None:
    """The opening phrase of a doc comment when it names the definition (at most ten words), else None."""
    text = _SECTION.sub("", " ".join(doc.split()))
    if not text:
        return None
    head = re.split(r"(?<=[^\d])[.:;](?:\s|$)|\s\(", text, maxsplit=1)[0].strip().rstrip(".")
    if len(head.split()) > MAX_WORDS:
        head = head.split(",")[0].strip()
    return head if head and len(head.split()) <= MAX_WORDS else None


def label(name: str, doc: str = "") -> str:
    """The name of a definition as a reader sees it, capitalised: «Maks lån», «Antall barn i husstanden»."""
    text = PHRASES.get(name) or doc_phrase(doc) or name.replace("_", " ")
    return text[:1].upper() + text[1:]


def inline(name: str, doc: str = "") -> str:
    """`label` inside a sentence: the first letter small unless it starts a proper name."""
    text = label(name, doc)
    return text if text.startswith(_PROPER) or text[1:2].isupper() else text[:1].lower() + text[1:]


def doc_rest(name: str, doc: str) -> str:
    """A doc comment without the opening phrase that became the definition's label."""
    text = _SECTION.sub("", " ".join(doc.split()))
    phrase = doc_phrase(doc)
    if name in PHRASES or phrase is None or not text.startswith(phrase):
        return text
    return text[len(phrase):].lstrip(" .:;,").strip()
