"""Syntax tree of a `.pol` file: what the parser produces, before names and types are checked.

Every node carries a `span` (excluded from equality, so two trees compare equal
regardless of layout) pointing into the file it came from.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterator, Union

import attrs

from boligregler.diagnostics import Span


def _span() -> Any:
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


# ---- expressions ------------------------------------------------------------------


@attrs.frozen
class Quantity:
    """A number with an optional unit: `2 900 000 kr`, `5 %`, `30 år`, `3`."""

    value: Decimal
    unit: str | None
    span: Span | None = _span()


@attrs.frozen
class Text:
    value: str
    span: Span | None = _span()


@attrs.frozen
class DateLiteral:
    value: dt.date
    span: Span | None = _span()


@attrs.frozen
class Boolean:
    value: bool
    span: Span | None = _span()


@attrs.frozen
class NoneLiteral:
    span: Span | None = _span()


@attrs.frozen
class Name:
    name: str
    span: Span | None = _span()


@attrs.frozen
class Attribute:
    obj: Expr
    name: str
    span: Span | None = _span()


@attrs.frozen
class Lookup:
    """`table[key]`, or `table[key, key]` for a two-dimensional table: a row of a table."""

    table: Expr
    keys: tuple[Expr, ...]
    span: Span | None = _span()


@attrs.frozen
class Call:
    function: str
    args: tuple[Expr, ...]
    span: Span | None = _span()


@attrs.frozen
class Unary:
    op: str  # "-" or "ikke"
    operand: Expr
    span: Span | None = _span()


@attrs.frozen
class Binary:
    op: str  # + - * /
    left: Expr
    right: Expr
    span: Span | None = _span()


@attrs.frozen
class Compare:
    op: str  # = != < <= > >=
    left: Expr
    right: Expr
    span: Span | None = _span()


@attrs.frozen
class Logical:
    op: str  # "og" or "eller"
    left: Expr
    right: Expr
    span: Span | None = _span()


@attrs.frozen
class Member:
    item: Expr
    container: Expr
    span: Span | None = _span()


@attrs.frozen
class If:
    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span | None = _span()


@attrs.frozen
class ListLiteral:
    items: tuple[Expr, ...]
    span: Span | None = _span()


@attrs.frozen
class Aggregate:
    """`sum(x for hver v i liste der c)`, `antall(...)`, `finnes(...)`, `alle(...)`.

    For `antall(liste)` without a variable, `var` and `body` are None.
    """

    kind: str  # sum | antall | finnes | alle
    var: str | None
    source: Expr
    where: Expr | None
    body: Expr | None
    span: Span | None = _span()
    var_span: Span | None = _span()  # the variable after `hver`, where it is bound


Expr = Union[
    Quantity, Text, DateLiteral, Boolean, NoneLiteral, Name, Attribute, Lookup, Call,
    Unary, Binary, Compare, Logical, Member, If, ListLiteral, Aggregate,
]


@attrs.frozen
class Template:
    """A Norwegian text with `{uttrykk}` holes, e.g. an explanation."""

    parts: tuple[str | Expr, ...]
    span: Span | None = _span()


# ---- fields and types ------------------------------------------------------------


@attrs.frozen
class Field:
    """`navn: verdi` inside a block; the value is a str, a date or a bare word."""

    name: str
    value: str | dt.date | Word
    span: Span | None = _span()
    value_span: Span | None = _span()


@attrs.frozen
class Word:
    """A bare word used as a field value, e.g. `art: absolutt`."""

    value: str


@attrs.frozen
class UnitType:
    unit: str  # kr, kr/mnd, %, prosentpoeng, år, måneder, antall, andel, tall
    span: Span | None = _span()


@attrs.frozen
class BoolType:
    span: Span | None = _span()


@attrs.frozen
class TextType:
    span: Span | None = _span()


@attrs.frozen
class DateType:
    span: Span | None = _span()


@attrs.frozen
class SetType:
    of: str
    span: Span | None = _span()


@attrs.frozen
class NamedType:
    name: str
    span: Span | None = _span()


@attrs.frozen
class IntegerType:
    unit: str | None
    low: Decimal | None
    high: Decimal | None
    span: Span | None = _span()


@attrs.frozen
class EnumType:
    values: tuple[str, ...]
    span: Span | None = _span()


@attrs.frozen
class ListType:
    element: TypeExpr
    min_items: Decimal | None
    span: Span | None = _span()


@attrs.frozen
class RecordType:
    fields: tuple[SchemaField, ...]
    span: Span | None = _span()


TypeExpr = Union[UnitType, BoolType, TextType, DateType, SetType, NamedType,
                 IntegerType, EnumType, ListType, RecordType]


@attrs.frozen
class SchemaField:
    name: str
    type: TypeExpr
    nullable: bool
    default: Any  # a literal value (see `literal`), or MISSING
    required_when: Expr | None
    doc: str
    span: Span | None = _span()
    provided_by: str | None = attrs.field(default=None, kw_only=True)  # `oppgis av …`: may be absent


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

# ---- definitions -------------------------------------------------------------------


@attrs.frozen
class DatedValue:
    value: Any  # Quantity, Text, Boolean, Ratio, SetValue
    valid_from: dt.date
    source: str | None
    span: Span | None = _span()


@attrs.frozen
class Ratio:
    numerator: Decimal
    denominator: Decimal
    span: Span | None = _span()


@attrs.frozen
class SetValue:
    values: tuple[str, ...]
    complement: bool  # `alle unntatt [...]`
    span: Span | None = _span()


@attrs.frozen
class Header:
    id: str
    base: str | None
    fields: tuple[Field, ...]
    span: Span | None = _span()
    base_span: Span | None = _span()


@attrs.frozen
class TypeDef:
    name: str
    type: TypeExpr
    span: Span | None = _span()


@attrs.frozen
class Schema:
    fields: tuple[SchemaField, ...]
    span: Span | None = _span()


@attrs.frozen
class Parameter:
    name: str
    type: TypeExpr
    fields: tuple[Field, ...]
    values: tuple[DatedValue, ...]
    span: Span | None = _span()


@attrs.frozen
class TableRow:
    # one key per dimension: a text, or an inclusive integer range (None: `og over`)
    keys: tuple[str | tuple[Decimal, Decimal | None], ...]
    value: Quantity
    span: Span | None = _span()


@attrs.frozen
class TableVersion:
    valid_from: dt.date
    source: str | None
    rows: tuple[TableRow, ...]
    span: Span | None = _span()


@attrs.frozen
class Table:
    name: str
    type: TypeExpr
    key_names: tuple[str, ...]  # one per dimension
    fields: tuple[Field, ...]
    versions: tuple[TableVersion, ...]
    span: Span | None = _span()


@attrs.frozen
class Compute:
    name: str
    type: TypeExpr
    expr: Expr
    span: Span | None = _span()


@attrs.frozen
class ExceptionRule:
    """A named exception (`unntak a`) that makes a criterion met when its condition holds."""

    letter: str
    title: str | None
    fields: tuple[Field, ...]
    condition: Expr | None
    doc: str
    span: Span | None = _span()


@attrs.frozen
class Criterion:
    name: str
    fields: tuple[Field, ...]
    condition: Expr | None
    relevance: Expr | None
    exceptions: tuple[ExceptionRule, ...]
    explanations: tuple[Field, ...]
    span: Span | None = _span()


@attrs.frozen
class OutcomeRule:
    outcome: str
    kind: str
    span: Span | None = _span()


@attrs.frozen
class Outcome:
    rules: tuple[OutcomeRule, ...]
    default: str
    span: Span | None = _span()
    default_span: Span | None = _span()


@attrs.frozen
class ConditionText:
    name: str
    text: str
    span: Span | None = _span()


@attrs.frozen
class DecisionEntry:
    key: str
    expr: Expr
    span: Span | None = _span()


@attrs.frozen
class DecisionMap:
    entries: tuple[DecisionEntry, ...]
    span: Span | None = _span()


@attrs.frozen
class LetterText:
    """`navn [når uttrykk]: "…"`: one paragraph of the decision letter (a `{uttrykk}` template).

    `addition` (`tillegg navn: "…"`) adds the paragraph after the base's paragraphs of that name
    instead of replacing them.
    """

    name: str
    condition: Expr | None
    text: str
    addition: bool = attrs.field(default=False, kw_only=True)
    span: Span | None = _span()
    text_span: Span | None = _span()


@attrs.frozen
class LetterChange:
    """`endring sti [{…}] [trinn beløp]: "…"`: a fact the applicant could change, and how to word it."""

    path: tuple[str, ...]
    new_item: dict | None  # for a list fact: the fixed fields of the line that is added
    target: Boolean | Text | None  # `til sann`, `til "startlån"`: the only value to try
    step: Quantity | None
    condition: Expr | None  # `når …`: suggest the change only when this holds for the søknad as it is
    text: str
    span: Span | None = _span()
    text_span: Span | None = _span()


@attrs.frozen
class LetterFact:
    """`opplysning sti: "…"`: how the letter describes a søknad fact in the policy's målform (instead of the
    field's doc comment); `opplysning sti "verdi": "…"`: the word for one value of a choice."""

    path: tuple[str, ...]
    value: str | None
    text: str
    span: Span | None = _span()


@attrs.frozen
class Letter:
    """`begrunnelse { … }`: the texts of the decision letter."""

    texts: tuple[LetterText, ...]
    changes: tuple[LetterChange, ...]
    span: Span | None = _span()
    facts: tuple[LetterFact, ...] = attrs.field(default=(), kw_only=True)


@attrs.frozen
class Example:
    name: str
    title: str | None
    fields: tuple[Field, ...]
    input: dict | None
    expected: dict | None
    span: Span | None = _span()
    input_span: Span | None = _span()
    expected_span: Span | None = _span()


@attrs.frozen
class Item:
    """A definition with its doc comment (`## …` lines)."""

    doc: str
    definition: Any
    span: Span | None = _span()


@attrs.frozen
class Scheme:
    name: str
    fields: tuple[Field, ...]
    items: tuple[Item, ...]
    span: Span | None = _span()


@attrs.frozen
class Override:
    definition: Any
    span: Span | None = _span()


@attrs.frozen
class Removal:
    kind: str  # parameter | tabell | beregn | vilkår | betingelse
    name: str
    span: Span | None = _span()


@attrs.frozen
class PolicyFile:
    path: str
    source: str
    doc: str
    header: Header
    items: tuple[Item, ...]
    # `{uttrykk}` holes of texts that needed the parser, by (text, line, column); see syntax.template
    expressions: dict = attrs.field(factory=dict, eq=False, repr=False, kw_only=True)


# ---- walking a tree -------------------------------------------------------------------

ATOMS = (str, Decimal, bool, int)


def children(node: Any) -> Iterator[Any]:
    """The fields of a node that take part in equality (a tuple's items for a tuple), spans left out."""
    if isinstance(node, (list, tuple)):
        yield from node
    elif hasattr(node, "__attrs_attrs__") and not isinstance(node, Span):
        for a in node.__attrs_attrs__:
            if a.eq:
                yield getattr(node, a.name)


def walk(node: Any) -> Iterator[Any]:
    """Every syntax node under `node`, itself included."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None or isinstance(n, ATOMS):
            continue
        if not isinstance(n, (list, tuple)):
            yield n
        stack.extend(children(n))
