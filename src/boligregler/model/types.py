"""Types and units of the policy language, and the unit algebra the checker applies."""

from __future__ import annotations

from typing import Any

import attrs

UNITS = ("kr", "kr/mnd", "%", "prosentpoeng", "år", "måneder", "antall", "andel", "tall")
UNIT_ALIASES = {"mnd": "måneder"}
SCALARS = {"tall", "antall", "andel"}  # dimensionless: multiplying by one keeps the other unit


@attrs.frozen
class Num:
    unit: str
    integer: bool = False


@attrs.frozen
class Bool:
    pass


@attrs.frozen
class Text:
    pass


@attrs.frozen
class Date:
    pass


@attrs.frozen
class Enum:
    name: str
    values: tuple[str, ...]


@attrs.frozen
class SetOf:
    element: Enum


@attrs.frozen
class ListOf:
    element: "Type"
    min_items: int = 0


@attrs.frozen
class FieldSpec:
    """One søknad field: its type, whether it may be `ingen`, its default and when it is required."""

    type: "Type"
    nullable: bool = False
    default: object = None
    has_default: bool = False
    required_when: object = None  # ast expression
    low: object = None
    high: object = None
    doc: str = ""
    origin: str = ""
    case_metadata: bool = False  # for the letter only: never read by the assessment, not in the søknad hash
    # `oppgis av søker|saksbehandler|dokumentasjon`: the fact may be absent, meaning not yet given or
    # assessed; a criterion that depends on it is `ikke_vurdert` until it is there.
    provided_by: str | None = None
    # A number outside lists that the policy only compares with constants: the values that decide
    # every completion when it is not yet given (`model.domains`); None for every other field.
    domain: tuple | None = attrs.field(default=None, eq=False)
    # The lists this field is in, outermost first, as the policy's `opplysning` text of each names it
    # (None for a list it gives no text): how a fact in a list line is described (`evaluation.soknad.worded`).
    lines: tuple[str | None, ...] = attrs.field(default=(), eq=False)


PROVIDERS = ("søker", "saksbehandler", "dokumentasjon")


@attrs.frozen
class Record:
    fields: dict[str, FieldSpec] = attrs.field(eq=False)


@attrs.frozen
class Outcome:
    """The value of `utfall` inside the vedtak block."""


Type = Num | Bool | Text | Date | Enum | SetOf | ListOf | Record | Outcome

BOOL = Bool()
TEXT = Text()
DATE = Date()
ZERO = Num("tall")  # placeholder unit; the literal 0 compares with every unit


def field_at(schema: Record, path: tuple[str, ...]) -> "FieldSpec | None":
    """The søknad field at `path` (a list's items under the list's path), or None where there is none."""
    t: Any = schema
    spec = None
    for key in path:
        if isinstance(t, ListOf):
            t = t.element
        if not isinstance(t, Record) or key not in t.fields:
            return None
        spec = t.fields[key]
        t = spec.type
    return spec


def unit_of(name: str) -> str:
    return UNIT_ALIASES.get(name, name)


def stored_value(value, unit: str | None):
    """A number as the evaluator holds it: percentages as fractions (5 % is 0.05), others unchanged."""
    return value / 100 if unit is not None and unit_of(unit) in ("%", "prosentpoeng") else value


def describe(t: Type) -> str:
    """A Norwegian name of the type for messages."""
    match t:
        case Num(unit):
            return unit
        case Bool():
            return "sannhet"
        case Text():
            return "tekst"
        case Date():
            return "dato"
        case Enum(name, _):
            return f"valg ({name})"
        case SetOf(e):
            return f"mengde av {e.name}"
        case ListOf(e):
            return f"liste av {describe(e)}"
        case Record():
            return "post"
        case Outcome():
            return "utfall"
    return "ukjent"


def add(op: str, a: str, b: str) -> str | None:
    """Unit of a + b or a - b, or None if the units cannot be added."""
    if a == b:
        if a == "%" and op == "-":
            return "prosentpoeng"
        if a == "%":
            return None
        return a
    pair = {a, b}
    if pair == {"%", "prosentpoeng"}:
        return "%" if (a == "%" or op == "+") else None
    if pair <= {"tall", "antall"}:
        return "antall"
    if "tall" in pair and pair & {"år", "måneder"}:
        return (pair - {"tall"}).pop()
    return None


def multiply(a: str, b: str) -> str | None:
    """Unit of a × b, or None if the product has no unit of the language."""
    if a in SCALARS and b in SCALARS:
        return a if a != "tall" else b
    if a in SCALARS:
        return b
    if b in SCALARS:
        return a
    if {a, b} & {"%", "prosentpoeng"} and {a, b} & {"kr", "kr/mnd"} and len({a, b}) == 2:
        return a if a in ("kr", "kr/mnd") else b
    if {a, b} == {"kr/mnd", "måneder"}:
        return "kr"
    return None


def divide(a: str, b: str) -> str | None:
    """Unit of a / b, or None."""
    if b in ("tall", "antall"):
        return a
    if a == b:
        return "tall"
    return {("kr", "måneder"): "kr/mnd", ("kr", "kr/mnd"): "måneder"}.get((a, b))


HINTS = {
    frozenset({"kr/mnd", "år"}): "gang med antall måneder (f.eks. 12 måneder), ikke år",
    frozenset({"kr", "kr/mnd"}): "kr er et engangsbeløp og kr/mnd et månedsbeløp; gang kr/mnd med måneder for å få kr",
    frozenset({"kr", "%"}): "et prosentpåslag skrives som beløp × prosent, f.eks. kjøpesum * 2.5 %",
    frozenset({"%"}): "to prosentsatser legges sammen som % + prosentpoeng",
}


def hint(a: str, b: str) -> str | None:
    return HINTS.get(frozenset({a, b}))
