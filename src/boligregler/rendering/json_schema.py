"""The søknad a policy declares, as a JSON Schema (draft 2020-12) for case systems.

Generated from the checked schema: types, units (`x-enhet`), enums, ranges and the library's
number limits, defaults, the Norwegian doc comments as descriptions, the case worker's reasons
beside assessments (`begrunnelse`), the case metadata every søknad may carry (`sak`, marked
`x-saksdata`), and each `påkrevd når` as an `if`/`then` at the root, for fields inside lists
too (the condition is about the whole søknad; its `then` requires the field in every element
through `items`). A field that is absent takes its default in the condition, as in the
library. A condition JSON Schema cannot state (one that reads a computation, an amount, or a
fact that may be absent) is kept as text in `x-påkrevd-når`, and the service still enforces it.

The policy's own validation is the authority. A søknad is valid against this schema exactly
when the library accepts it, except for the cases docs/integrasjon.md lists (an integer
written as text, a JSON number with more than two decimals, a lone UTF-16 surrogate, a
`påkrevd når` kept as text); the test suite checks that on generated søknader.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from collections.abc import Callable
from typing import Any

from boligregler.evaluation.soknad import REASON_LENGTH, REASONS, with_case_metadata
from boligregler.limits import MAX_AMOUNT, MAX_INTEGER
from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy
from boligregler.syntax import ast

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Amounts as text: kroner with at most two decimals, at most 1 000 000 000 000 (limits.MAX_AMOUNT);
# a negative amount is refused, but «-0» is zero.
_UP_TO_LIMIT = r"0*([0-9]{1,12}(\.[0-9]{1,2})?|1000000000000(\.0{1,2})?)"
MONEY_PATTERN = rf"^(-0+(\.0{{1,2}})?|{_UP_TO_LIMIT})$"
NUMBER_PATTERN = rf"^-?{_UP_TO_LIMIT}$"  # other numbers (%, tall) as text: the same form, either sign
assert MAX_AMOUNT == 10 ** 12, "the patterns above spell out the limit"


def soknad_schema(model: CheckedPolicy, digest: str | None = None) -> dict[str, Any]:
    """The JSON Schema of the søknad `model` accepts; `digest` (the policy's sha256) goes into `$id`."""
    conditions: list[dict[str, Any]] = []
    record = with_case_metadata(model.schema)
    root = _record(_Context(model, record), record, (), conditions)
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"urn:boligregler:regelverk:{model.id}:soknad" + (f":{digest}" if digest else ""),
        "title": f"Søknad etter «{model.header.get('navn', model.id)}»",
        "description": "Søknaden som regelverket vurderer (soknad.md). Beløp er kroner som heltall, "
                       "eller som tekst med høyst to desimaler; aldri flyttall med avrundingsfeil.",
        **root,
    }
    if conditions:
        schema["allOf"] = conditions
    return schema


class _Context:
    """What the generation reads besides the type at hand: the policy and the søknad's root record."""

    def __init__(self, model: CheckedPolicy, root: T.Record) -> None:
        self.model, self.root = model, root


def _record(ctx: _Context, record: T.Record, path: tuple[str, ...], conditions: list) -> dict[str, Any]:
    properties, required = {}, []
    for name, spec in record.fields.items():
        here = (*path, name)
        prop = _field(ctx, spec, here, conditions)
        properties[name] = prop
        if not spec.has_default and spec.required_when is None and spec.provided_by is None:
            required.append(name)
        if spec.required_when is not None:
            condition = _condition(ctx, spec.required_when)
            if condition is not None:
                conditions.append({"if": condition, "then": _required_at(here)})
            prop["x-påkrevd-når"] = _source(ctx.model, spec)
    assessed = [k for k, spec in record.fields.items() if spec.provided_by == "saksbehandler"]
    if assessed:
        properties[REASONS] = {
            "type": "object", "propertyNames": {"enum": assessed},
            "additionalProperties": {"type": "string", "pattern": r"\S", "maxLength": REASON_LENGTH},
            "description": "Saksbehandlers korte begrunnelse for hver vurdering i denne delen av søknaden.",
        }
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _field(ctx: _Context, spec: T.FieldSpec, path: tuple[str, ...], conditions: list) -> dict[str, Any]:
    schema = _type(ctx, spec.type, spec, path, conditions)
    if spec.nullable or spec.provided_by is not None:  # absent or null: not yet given or assessed
        schema = {"anyOf": [schema, {"type": "null"}]}
    if spec.provided_by is not None:
        schema["x-oppgis-av"] = spec.provided_by
    if spec.doc:
        schema["description"] = " ".join(spec.doc.split())
    if spec.case_metadata:
        schema["x-saksdata"] = True  # for the letter only; never assessed, not in the søknad hash
    if spec.has_default and not (isinstance(spec.type, T.Record) and spec.default == {}):
        schema["default"] = _json_value(spec.default, spec.type)
    return schema


def _type(ctx: _Context, t: T.Type, spec: T.FieldSpec | None, path: tuple[str, ...],
          conditions: list) -> dict[str, Any]:
    match t:
        case T.Num(unit, integer=True):
            out: dict[str, Any] = {"type": "integer", "x-enhet": unit}
            low = spec.low if spec is not None and spec.low is not None else (0 if unit == "antall" else None)
            high = spec.high if spec is not None and spec.high is not None else None
            out["minimum"] = int(low) if low is not None else -MAX_INTEGER
            out["maximum"] = int(high) if high is not None else MAX_INTEGER
            return out
        case T.Num(unit) if unit in ("kr", "kr/mnd"):
            # No `multipleOf: 0.01`: binary floating point makes validators refuse amounts such as 0.29.
            return {"anyOf": [{"type": "number", "minimum": 0, "maximum": int(MAX_AMOUNT)},
                              {"type": "string", "pattern": MONEY_PATTERN}],
                    "x-enhet": unit, "x-beløp": True,
                    "x-merknad": "kroner med høyst to desimaler; send øre som tekst («1234.50») for å unngå flyttall"}
        case T.Num(unit):
            note = {"%": "i prosent: 5 betyr 5 %", "prosentpoeng": "i prosentpoeng"}.get(unit)
            out = {"anyOf": [{"type": "number", "minimum": -int(MAX_AMOUNT), "maximum": int(MAX_AMOUNT)},
                             {"type": "string", "pattern": NUMBER_PATTERN}], "x-enhet": unit}
            if note:
                out["x-merknad"] = note
            return out
        case T.Bool():
            return {"type": "boolean"}
        case T.Text():
            return {"type": "string"}
        case T.Date():
            return {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
        case T.Enum(name, values):
            return {"type": "string", "enum": list(values), "x-valg": name}
        case T.ListOf(element, min_items):
            out = {"type": "array", "items": _type(ctx, element, None, (*path, "*"), conditions)}
            if min_items:
                out["minItems"] = min_items
            return out
        case T.Record():
            return _record(ctx, t, path, conditions)
    raise AssertionError(t)


def _json_value(value: Any, t: T.Type) -> Any:
    if isinstance(value, Decimal):
        if isinstance(t, T.Num) and t.unit in ("%", "prosentpoeng"):
            value = value * 100
        value = value.normalize()
        return int(value) if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_value(v, getattr(t, "element", t)) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v, t.fields[k].type if isinstance(t, T.Record) else t) for k, v in value.items()}
    return value


def _required_at(path: tuple[str, ...]) -> dict[str, Any]:
    """A schema that requires the field at `path` to be present and not null; `*` is every list element.

    The groups on the way are required too: an absent group would be its defaults, without the field.
    """
    *parents, name = path
    inner: dict[str, Any] = {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
    for parent in reversed(parents):
        inner = {"items": inner} if parent == "*" else {"properties": {parent: inner}, "required": [parent]}
    return inner


def _field_specs(ctx: _Context, expr: ast.Expr) -> list[tuple[str, T.FieldSpec]] | None:
    """The søknad fields a name or attribute chain reads, outermost first; None if it is not a plain field."""
    if isinstance(expr, ast.Name):
        model = ctx.model
        if expr.name in model.computations or expr.name in model.parameters or expr.name in model.tables:
            return None
        spec = ctx.root.fields.get(expr.name)
        return None if spec is None else [(expr.name, spec)]
    if isinstance(expr, ast.Attribute):
        base = _field_specs(ctx, expr.obj)
        if base is None or not isinstance(base[-1][1].type, T.Record):
            return None
        spec = base[-1][1].type.fields.get(expr.name)
        return None if spec is None else [*base, (expr.name, spec)]
    return None


def _at(ctx: _Context, field: ast.Expr, value: dict[str, Any], holds: Callable[[Any], bool]) -> dict[str, Any] | None:
    """A schema for «the field `field` reads satisfies `value`», where `holds` says the same of a Python value.

    An absent field takes its default, so the schema requires the field only when its default
    does not satisfy the condition; an absent group with the default `{}` is its fields' defaults.
    None when that cannot be said: a fact that may be absent (its value is unknown, not a default)
    or a group that may be null.
    """
    specs = _field_specs(ctx, field)
    if specs is None or any(spec.provided_by is not None for _, spec in specs):
        return None
    if any(spec.nullable for _, spec in specs[:-1]):
        return None
    name, leaf = specs[-1]
    absent_holds = leaf.has_default and holds(leaf.default)
    out: dict[str, Any] = {"properties": {name: value}}
    if not absent_holds:
        out["required"] = [name]
    for name, spec in reversed(specs[:-1]):
        out = {"properties": {name: out}}
        if not (absent_holds and spec.has_default and spec.default == {}):
            out["required"] = [name]
    return out


def _literal(expr: ast.Expr) -> tuple[bool, Any]:
    match expr:
        case ast.Text(value) | ast.Boolean(value):
            return True, value
        case ast.Quantity(value, unit) if unit in (None, "år", "måneder", "antall") and value == value.to_integral_value():
            return True, int(value)
    return False, None


def _comparable(ctx: _Context, field: ast.Expr, value: Any) -> bool:
    """Whether the field holds values JSON Schema compares like the library: yes/no, choices, texts, integers."""
    specs = _field_specs(ctx, field)
    if specs is None:
        return False
    t = specs[-1][1].type
    if isinstance(value, bool):
        return isinstance(t, T.Bool)
    if isinstance(value, str):
        return isinstance(t, (T.Enum, T.Text))
    return isinstance(t, T.Num) and t.integer


ORDER = {"<": ("exclusiveMaximum", lambda a, b: a < b), "<=": ("maximum", lambda a, b: a <= b),
         ">": ("exclusiveMinimum", lambda a, b: a > b), ">=": ("minimum", lambda a, b: a >= b)}


def _condition(ctx: _Context, expr: ast.Expr) -> dict[str, Any] | None:
    """A JSON Schema that holds exactly when `expr` holds of the søknad, or None if JSON Schema cannot say it."""
    match expr:
        case ast.Compare(op, left, right) if op in ("=", "!="):
            ok, value = _literal(right)
            if not ok or not _comparable(ctx, left, value):
                return None
            match = _at(ctx, left, {"const": value}, lambda v: v is not None and v == value)
            return None if match is None else match if op == "=" else {"not": match}
        case ast.Compare(op, left, right) if op in ORDER:
            ok, value = _literal(right)
            if not ok or isinstance(value, (bool, str)) or not _comparable(ctx, left, value):
                return None
            keyword, test = ORDER[op]
            return _at(ctx, left, {"type": "integer", keyword: value}, lambda v: v is not None and test(v, value))
        case ast.Member(item, ast.ListLiteral(items)):
            values = [_literal(i) for i in items]
            if not values or not all(ok and _comparable(ctx, item, v) for ok, v in values):
                return None
            allowed = [v for _, v in values]
            return _at(ctx, item, {"enum": allowed}, lambda v: v is not None and v in allowed)
        case ast.Logical(op, left, right):
            a, b = _condition(ctx, left), _condition(ctx, right)
            if a is None or b is None:
                return None
            return {"allOf" if op == "og" else "anyOf": [a, b]}
        case ast.Unary("ikke", operand):
            inner = _condition(ctx, operand)
            return None if inner is None else {"not": inner}
        case ast.Name() | ast.Attribute() if _comparable(ctx, expr, True):
            return _at(ctx, expr, {"const": True}, lambda v: v is True)
    return None


def _source(model: CheckedPolicy, spec: T.FieldSpec) -> str:
    """The `påkrevd når` condition as written in the policy."""
    span = spec.required_when.span
    for pid, text in zip(model.chain, model.sources.values()):
        if pid == spec.origin and span is not None:
            lines = text.split("\n")
            if span.line == span.end_line:
                return lines[span.line - 1][span.column - 1:span.end_column - 1]
            part = [lines[span.line - 1][span.column - 1:], *lines[span.line:span.end_line - 1],
                    lines[span.end_line - 1][:span.end_column - 1]]
            return " ".join(" ".join(part).split())
    return ""
