"""Plain Norwegian for numbers in running text: one helper for every «1 voksen / 2 voksne».

`antall_tekst` is also the policy language's template function `antall_tekst(n, "ett barn", "barn")`:
the singular is given with its article (which carries the gender), the plural without one.
Counts up to twelve are written in words, as Språkrådet recommends for running text; larger
counts in digits; zero as «ingen». The words are the same in bokmål and nynorsk.
"""

from __future__ import annotations

import functools
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


# The applicant in the third person, per målform (`tredje_person`).
_APPLICANT = {"bokmål": "søkeren", "nynorsk": "søkjaren"}
_GENITIVE = {"bokmål": "søkerens", "nynorsk": "søkjaren {own}"}  # «søkerens ektefelle», «søkjaren sin ektefelle»
_POSSESSIVES = {"bokmål": ("din", "ditt", "dine"), "nynorsk": ("din", "di", "ditt", "dine")}
_OWN = {"din": "sin", "di": "si", "ditt": "sitt", "dine": "sine"}
# the applicants addressed together: the pronoun (subject and object alike), and the possessive, which does not
# inflect, so before a noun it is the genitive («deres inntekter» → «søkernes inntekter»); nynorsk «de», «dykk»
_PLURAL = {"bokmål": ({"dere"}, "søkerne", "deres", "søkernes"),
           "nynorsk": ({"de", "dykk"}, "søkjarane", "dykkar", None)}
# a word that begins another clause than the one «du» is the subject of (as does a mark): a reflexive after it
# points elsewhere; a question word too, since the clause it begins has a subject of its own («hvor din bolig ligger»)
_QUESTION = frozenset({"hvor", "hva", "hvem", "hvordan", "hvorfor", "kvar", "kva", "kven", "korleis", "kvifor"})
_CLAUSE_END = _QUESTION | {"at", "som", "når", "hvis", "om", "dersom", "viss", "fordi", "mens", "før", "der",
                           "da", "då", "enn", "men", "eller", "så", "vi", "kommunen", "saksbehandler",
                           "saksbehandlaren", "sidan", "siden"}
# words a possessive may follow that are not nouns in the definite form: «og din ektefelle», «uten din»
_NOT_DEFINITE = _QUESTION | {"sa", "bra", "en", "et", "den", "det", "men", "uten", "utan", "igjen", "att",
                             "sammen", "saman", "fra", "frå", "da", "då", "nå", "no", "ja", "på", "å", "ta", "ha", "se", "sjå",
                             "de", "dei", "alle", "ene", "hele", "heile", "heller", "enn", "eller", "etter",
                             "under", "over", "mellom", "med", "for", "til", "av", "i", "om", "og", "ved",
                             "mot", "hos", "som", "at", "er", "var", "har", "hadde", "kan", "må", "skal", "vil",
                             "ville", "bør", "får", "fikk", "fekk", "gjelder", "gjeld"}
_WORD = re.compile(r"[^\W\d_]+|[.,;:!?–()]")
_QUOTES = re.compile("[«»]")


@functools.lru_cache(maxsize=4096)
def tredje_person(text: str, form: str = "bokmål") -> str:
    """A text written to the applicant («du», «husstanden din») as it reads to the case worker.

    - «du» becomes «søkeren» (nynorsk «søkjaren»), with a capital first in a sentence; «deg» too
      («vi kontakter deg» → «vi kontakter søkeren»), except as a reflexive in a clause whose subject is
      «du», where it becomes «seg» («du må melde deg» → «søkeren må melde seg»).
    - A possessive after a noun in the definite form whose ending agrees with it is left out, since the
      definite form names the applicant's own («husstanden din» → «husstanden», «barna dine» → «barna»);
      else it becomes «søkerens» (nynorsk «søkjaren sin/si/sitt/sine»), or the reflexive «sin/si/sitt/sine»
      in a clause whose subject is «du» («du og din ektefelle» → «søkeren og søkerens ektefelle»; «du må
      ordne din økonomi» → «søkeren må ordne sin økonomi»). A question word («hvor», «hva», «kvar» …) begins
      a clause with a subject of its own («hvor din bolig ligger» → «hvor søkerens bolig ligger»). «di» is a
      possessive in nynorsk only.
    - The applicants addressed together: «dere» (nynorsk «de», «dykk») becomes «søkerne» («søkjarane»), or
      «seg» as a reflexive in a clause they are the subject of («dere må melde dere» → «søkerne må melde
      seg»); «deres» («dykkar») is left out after a noun in the definite form, else it becomes «søkernes»
      (nynorsk has no genitive that fits every gender, so «dykkar» before a noun stays).

    Norwegian verbs do not inflect for person, so the sentence stays grammatical. What stands in «…» is
    quoted (a title, a case worker's reason) and kept. Pure and called for every text of a saksframlegg,
    so memoised.
    """
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
    if not _MAYBE.search(text):
        return text
    applicant, possessives = _APPLICANT[form], _POSSESSIVES[form]
    out: list[str] = []
    pos = 0
    subject = False  # «du» is the subject of the clause so far
    plural = False  # the applicants together are («dere», «du og …»)
    pronouns, applicants, their, genitive = _PLURAL[form]
    previous = ""  # the word before, lower case ("" at the start of a sentence or after a mark)
    before = ""  # the word before that, likewise
    for m in _WORD.finditer(text):
        word, lower = m.group(), m.group().lower()
        replacement = None
        if lower == "du":
            replacement, subject = applicant, True
        elif previous == "du" and lower in ("og", "eller"):  # «du og din ektefelle»: both are the subject
            subject, plural = False, lower == "og"
        elif lower in pronouns:  # the first in a clause its subject or object, a later one reflexive if it is subject
            replacement = "seg" if plural and (form == "bokmål" or lower == "dykk") else applicants
            plural = plural or lower != "dykk"
        elif lower == their:
            if _after_definite(before, previous, lower, subject or plural):  # «husstanden deres»
                out.append(text[pos:m.start()].rstrip(" "))
                pos = m.end()
                continue
            replacement = genitive  # nynorsk has no genitive that fits every gender: «dykkar» stays before a noun
        elif lower == "deg":
            replacement = "seg" if subject else applicant
        elif lower in possessives:
            if _after_definite(before, previous, lower, subject):  # «husstanden din»: it goes
                out.append(text[pos:m.start()].rstrip(" "))
                pos = m.end()
                continue
            replacement = _OWN[lower] if subject else _GENITIVE[form].format(own=_OWN[lower])
        elif lower in _CLAUSE_END or word in ".,;:!?–()":
            subject = plural = False
        if replacement is not None:
            if word[0].isupper():
                replacement = replacement[0].upper() + replacement[1:]
            out.append(text[pos:m.start()])
            out.append(replacement)
            pos = m.end()
        before, previous = previous, "" if word in ".,;:!?–()" else lower
    out.append(text[pos:])
    return "".join(out)


def _after_definite(before: str, previous: str, possessive: str, subject: bool) -> bool:
    """Whether `possessive` follows a noun in the definite form, whose ending agrees with it: «husstanden din»,
    «hushaldet ditt», «kona di», «barna dine», «lønsslippane dine». A verb's ending does not agree, or the verb
    stands after «å», a modal or an auxiliary («ordne din økonomi», «arvet din bolig», «må senda dine papir»)
    in a clause whose `subject` is «du»; in another the noun after the verb is its subject («Med 20 000 kr kan
    hushaldet ditt betene …»). `before` is the word before `previous`."""
    if previous in _NOT_DEFINITE:
        return False
    every = possessive in ("deres", "dykkar")  # these do not inflect
    if previous.endswith("en"):
        return every or possessive == "din"
    if previous.endswith("et"):  # a participle after an auxiliary: «har arvet»
        agrees, verb = every or possessive == "ditt", before in _AUXILIARY
    elif previous.endswith(("ene", "ane")):  # an infinitive after «å» or a modal: «må tjene»
        agrees, verb = every or possessive == "dine", before in _MODAL
    elif previous.endswith("a"):  # «kona din/di», «barna dine»; «må senda»
        agrees, verb = True, before in _MODAL
    else:
        return False
    return agrees and not (verb and subject)


_MAYBE = re.compile(r"\b[Dd](?:u|eg|in|itt|ine|i|ere|eres|e|ykk|ykkar)\b")
# after these a word is an infinitive («må ordne», «å senda») or a participle («har arvet»), not a noun
_MODAL = frozenset({"å", "må", "kan", "skal", "vil", "bør", "får", "kunne", "skulle", "ville", "måtte", "burde", "lyt"})
_AUXILIARY = frozenset({"har", "hadde", "er", "var", "blir", "ble", "blei", "blitt", "vert", "vart", "vorte", "fått",
                        "vore"})
