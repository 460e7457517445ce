"""The checked model of a policy: what evaluation, rendering and comparison build on.

A `CheckedPolicy` is a policy with its `bygger på` chain merged, every name
resolved and every expression typed. It is immutable in practice; backends
and renderers read it and never reach back into the parser.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs

from boligregler.diagnostics import Diagnostic, Span
from boligregler.model.types import Num, Record, Type
from boligregler.syntax import ast

# Computations named so are the priority order of the kartlegging (docs/screening.md): read by
# `boligregler kartlegg`, so a policy that declares them does not leave them unused.
KARTLEGGING_PRIORITY = re.compile(r"kartleggingsprioritet(?:_(\d+))?(_synkende)?")


@attrs.frozen
class Origin:
    """Where a definition was written: policy id, file and position."""

    policy: str
    file: str
    span: Span | None


@attrs.frozen
class DatedValue:
    valid_from: dt.date
    value: Any  # Decimal, bool, str, frozenset, Ratio
    source: str | None
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class ParameterDef:
    name: str
    type: Type
    values: tuple[DatedValue, ...]
    doc: str
    origin: Origin = attrs.field(eq=False)
    fields: dict[str, Any] = attrs.field(factory=dict, eq=False)


@attrs.frozen
class TableVersion:
    valid_from: dt.date
    source: str | None
    # (keys, Decimal): one key per dimension, each a str or an inclusive (low, high); high None: `og over`
    rows: tuple[tuple[tuple[Any, ...], Any], ...]
    span: Span | None = attrs.field(default=None, eq=False)

    def grid(self) -> tuple[list, list, dict] | None:
        """A version with two keys as a matrix: (row keys, column keys, {(row key, column key): value}) in
        the order written, when every first key meets every second key in exactly one row; else None."""
        if not self.rows or len(self.rows[0][0]) != 2:
            return None
        firsts = list(dict.fromkeys(keys[0] for keys, _ in self.rows))
        seconds = list(dict.fromkeys(keys[1] for keys, _ in self.rows))
        cells = {keys: value for keys, value in self.rows}
        if len(cells) != len(self.rows) or len(cells) != len(firsts) * len(seconds):
            return None
        return firsts, seconds, cells


@attrs.frozen
class TableDef:
    name: str
    value_type: Num
    key_names: tuple[str, ...]  # one per dimension: `etter voksne, barn`
    text_keys: tuple[bool, ...]  # per dimension: text keys, or integer ranges
    versions: tuple[TableVersion, ...]
    doc: str
    origin: Origin = attrs.field(eq=False)

    @property
    def keys_in_words(self) -> str:
        """`alder`, `voksne og barn`: what the table goes by."""
        names = [n.replace("_", " ") for n in self.key_names]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} og {names[-1]}"


@attrs.frozen
class ComputeDef:
    name: str
    type: Type
    expr: ast.Expr
    doc: str
    origin: Origin = attrs.field(eq=False)


@attrs.frozen
class ExceptionDef:
    letter: str
    title: str
    hjemmel: str | None
    condition: ast.Expr
    explanation: ast.Template | None
    doc: str
    not_applied: ast.Template | None = None  # `gjelder_ikke`: why the exception does not apply


@attrs.frozen
class CriterionDef:
    id: str
    title: str
    kind: str  # absolutt | hovedregel | informasjon
    hjemmel: str
    lenke: str | None
    condition: ast.Expr
    relevance: ast.Expr | None
    exceptions: tuple[ExceptionDef, ...]
    explanations: dict[str, ast.Template] = attrs.field(eq=False)
    doc: str = ""
    origin: Origin | None = attrs.field(default=None, eq=False)


@attrs.frozen
class ConditionDef:
    id: str
    text: str
    origin: Origin = attrs.field(eq=False)


@attrs.frozen
class SchemeDef:
    """An `ordning` with everything that applies to it: the policy's definitions overlaid by its own."""

    id: str
    title: str
    doc: str
    computations: dict[str, ComputeDef] = attrs.field(eq=False)
    criteria: tuple[CriterionDef, ...] = attrs.field(eq=False)
    conditions: tuple[ConditionDef, ...] = attrs.field(eq=False)
    own: frozenset[str] = frozenset()  # names the scheme itself defines or overrides
    origin: Origin | None = attrs.field(default=None, eq=False)


@attrs.frozen
class ExampleDef:
    name: str
    title: str
    input: dict | None
    expected: dict | None
    origin: Origin = attrs.field(eq=False)
    doc: str = ""


@attrs.frozen
class LetterSection:
    """One paragraph of the decision letter: shown under `name` when `condition` holds."""

    name: str
    condition: ast.Expr | None
    template: ast.Template
    origin: Origin = attrs.field(eq=False)


@attrs.frozen
class FactText:
    """`opplysning sti [verdi]: "…"` in a `begrunnelse` block: a fact's description or a choice's word."""

    text: str
    origin: Origin = attrs.field(eq=False)


@attrs.frozen
class Lever:
    """A søknad fact the applicant could change (`endring` in the letter), searched one at a time.

    `kind` is how it is varied: `beløp` (an amount, in steps of `step`), `heltall` (a count),
    `sannhet` (flipped), `valg` (each other value) or `ny_linje` (a line added to a list, with
    `new_item` fixed and the amount field `item_field` varied). A `target` (`til sann`) is the
    only value tried for `sannhet` and `valg`.
    """

    path: tuple[str, ...]
    kind: str
    step: Any  # Decimal for beløp, heltall and ny_linje
    template: ast.Template
    new_item: dict | None = None
    item_field: str | None = None
    target: Any = None
    condition: ast.Expr | None = None  # suggest the change only when this holds for the søknad as it is
    origin: Origin | None = attrs.field(default=None, eq=False)

    @property
    def name(self) -> str:
        return ".".join(self.path)


@attrs.frozen
class OutcomeRule:
    outcome: str
    kind: str


@attrs.define(eq=False)
class CheckedPolicy:
    id: str
    header: dict[str, Any]
    doc: str
    chain: tuple[str, ...]  # policy ids from the root baseline to this one
    sources: dict[str, str]  # file path → text, for every file of the chain
    types: dict[str, Type]
    schema: Record
    parameters: dict[str, ParameterDef]
    tables: dict[str, TableDef]
    conditions: tuple[ConditionDef, ...]
    outcome_rules: tuple[OutcomeRule, ...]
    outcome_default: str
    decision: tuple[tuple[str, ast.Expr], ...]
    schemes: dict[str, SchemeDef]
    base_scheme: SchemeDef  # the policy without any `ordning` overlay
    examples: tuple[ExampleDef, ...]
    expr_types: dict[int, Type]  # id(expression node) → its type
    diagnostics: tuple[Diagnostic, ...]
    removed: tuple[tuple[str, str], ...] = ()  # (kind, name) removed from the base
    letter: tuple[LetterSection, ...] = ()  # the texts of the decision letter, in policy order
    levers: tuple[Lever, ...] = ()  # facts whose change the letter may suggest
    # `opplysning sti [verdi]: "…"`: (path, None) → how the letter describes a fact; (path, value) → a
    # choice's word; the nearest policy in the chain wins (so a nynorsk policy words the national facts)
    fact_texts: dict[tuple[tuple[str, ...], str | None], FactText] = attrs.field(factory=dict)

    def fact_text(self, path: tuple[str, ...], value: str | None = None) -> str | None:
        """The letter's text for a fact (or one value of a choice), if a policy in the chain gives one."""
        found = self.fact_texts.get((path, value))
        return found.text if found is not None else None

    @property
    def computations(self) -> dict[str, ComputeDef]:
        return self.base_scheme.computations

    @property
    def criteria(self) -> tuple[CriterionDef, ...]:
        return self.base_scheme.criteria

    def scheme_for(self, ordning: str) -> SchemeDef:
        return self.schemes.get(ordning, self.base_scheme)
