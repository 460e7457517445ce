"""The values that decide every use of a number not yet given: what a missing count is tried with.

A yes/no or a choice that is not yet given is tried with each of its values (`evaluation.partial`).
A number has too many, but a number the policy only ever *compares with constants* (literals and
dated parameters, with every value they have had) matters only through where it lies among
those constants: every value strictly between two neighbours, or beyond the outermost, gives each
comparison, and so every result, the same answer. One value from each such interval, each
constant itself and the field's bounds therefore decide every completion; they become the
field's `domain`. A number used any other way (in arithmetic, compared with a fact or a
computation, as a table key, given to a function) gets none, and a criterion that reads it while
it is not given waits for it. `oppgitt(x)` asks whether it is given, not what it is, and is no use.

Only the expressions that decide outcomes and amounts are read: every scheme's computations and
criteria (conditions, relevance, exceptions), the vedtak's amounts and `påkrevd når`; texts and
letters are not. Fields inside lists keep no domain.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Iterator

import attrs

from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy
from boligregler.syntax import ast

OTHER_USE = None  # a number used in a way that is not a comparison with a constant


def set_number_domains(policy: CheckedPolicy) -> None:
    """Give each number of the søknad (outside lists) its deciding values, where it has them."""
    uses = _Uses(policy)
    for expr in _deciding_expressions(policy):
        uses.visit(expr, frozenset())
    _assign(policy.schema, (), uses.thresholds)


def representatives(thresholds: set[Decimal], spec: T.FieldSpec) -> tuple[Decimal, ...]:
    """One value of every interval the thresholds cut the field's range into, and each threshold."""
    integer = isinstance(spec.type, T.Num) and spec.type.integer
    unit = spec.type.unit if isinstance(spec.type, T.Num) else None
    low = spec.low if spec.low is not None else (Decimal(0) if unit in ("antall", "kr", "kr/mnd") else None)
    high = spec.high
    points = sorted(thresholds)
    values: set[Decimal] = {p for p in (low, high) if p is not None}
    if integer:
        for t in points:
            values |= {Decimal(math.ceil(t)) - 1, Decimal(math.floor(t)), Decimal(math.ceil(t)),
                       Decimal(math.floor(t)) + 1}
    elif points:
        values |= set(points) | {points[0] - 1, points[-1] + 1}
        values |= {(a + b) / 2 for a, b in zip(points, points[1:])}
    if not values:
        values = {Decimal(0)}
    return tuple(v for v in sorted(values) if (low is None or v >= low) and (high is None or v <= high))


def _deciding_expressions(policy: CheckedPolicy) -> Iterator[ast.Expr]:
    for scheme in (policy.base_scheme, *policy.schemes.values()):
        for c in scheme.computations.values():
            yield c.expr
        for crit in scheme.criteria:
            yield crit.condition
            if crit.relevance is not None:
                yield crit.relevance
            for e in crit.exceptions:
                yield e.condition
    for _, expr in policy.decision:
        yield expr
    yield from _required_when(policy.schema)


def _required_when(record: T.Record) -> Iterator[ast.Expr]:
    for spec in record.fields.values():
        if spec.required_when is not None:
            yield spec.required_when
        t = spec.type.element if isinstance(spec.type, T.ListOf) else spec.type
        if isinstance(t, T.Record):
            yield from _required_when(t)


class _Uses:
    """The constants each number field is compared with, or OTHER_USE."""

    def __init__(self, policy: CheckedPolicy):
        self.policy = policy
        self.names = set(policy.parameters) | {n for s in (policy.base_scheme, *policy.schemes.values())
                                               for n in s.computations}
        self.thresholds: dict[tuple[str, ...], set[Decimal] | None] = {}

    def fact(self, e: Any, bound: frozenset[str]) -> tuple[str, ...] | None:
        """The søknad path `e` reads (outside lists), if it is one."""
        parts: list[str] = []
        while isinstance(e, ast.Attribute):
            parts.append(e.name)
            e = e.obj
        if not isinstance(e, ast.Name) or e.name in bound or e.name in self.names:
            return None
        if e.name not in self.policy.schema.fields:
            return None
        return (e.name, *reversed(parts))

    def constants(self, e: Any, bound: frozenset[str]) -> set[Decimal] | None:
        match e:
            case ast.Quantity(value, unit):
                return {T.stored_value(value, unit)}
            case ast.Unary("-", operand):
                inner = self.constants(operand, bound)
                return None if inner is None else {-v for v in inner}
            case ast.Name(name) if name not in bound and name in self.policy.parameters:
                values = [v.value for v in self.policy.parameters[name].values]
                return set(values) if all(type(v) is Decimal for v in values) else None
        return None

    def use(self, path: tuple[str, ...], constants: set[Decimal] | None) -> None:
        if constants is None:
            self.thresholds[path] = OTHER_USE
        elif self.thresholds.get(path, set()) is not OTHER_USE:
            self.thresholds.setdefault(path, set()).update(constants)

    def visit(self, e: Any, bound: frozenset[str]) -> None:
        path = self.fact(e, bound)
        if path is not None:
            self.use(path, OTHER_USE)
            return
        match e:
            case ast.Compare(_, left, right):
                for side, other in ((left, right), (right, left)):
                    here = self.fact(side, bound)
                    if here is not None:
                        self.use(here, self.constants(other, bound))
                    else:
                        self.visit(side, bound)
                return
            case ast.Call("oppgitt", args):
                for a in args:
                    if self.fact(a, bound) is None:
                        self.visit(a, bound)
                return
            case ast.Aggregate(_, var, source, where, body):
                self.visit(source, bound)
                inner = bound | {var} if var else bound
                for part in (where, body):
                    if part is not None:
                        self.visit(part, inner)
                return
        if isinstance(e, tuple):
            for x in e:
                self.visit(x, bound)
        elif attrs.has(type(e)):
            for f in attrs.fields(type(e)):
                if f.name != "span":
                    self.visit(getattr(e, f.name), bound)


def _assign(record: T.Record, path: tuple[str, ...], thresholds: dict) -> None:
    for key, spec in list(record.fields.items()):
        here = (*path, key)
        if isinstance(spec.type, T.Record):
            _assign(spec.type, here, thresholds)
        elif isinstance(spec.type, T.Num):
            found = thresholds.get(here, set())
            whole = any(thresholds.get(here[:i], set()) is OTHER_USE for i in range(1, len(here)))
            if found is not OTHER_USE and not whole:  # (a record used as a whole uses its numbers too)
                record.fields[key] = attrs.evolve(spec, domain=representatives(found, spec))
