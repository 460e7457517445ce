"""The søknad a policy declares, as a JSON Schema (draft 2020-12) for case systems.

Generated from the checked schema: types, units (`x-enhet`), enums, ranges, defaults, the
Norwegian doc comments as descriptions, the case metadata every søknad may carry (`sak`, marked
`x-saksdata`), and each `påkrevd når` as an `if`/`then` at the root
when its condition compares søknad fields with literals (the common case). A condition that
reads a computation cannot be stated in JSON Schema; it is kept as text in `x-påkrevd-når`,
and the service still enforces it. The policy's own validation is the authority: every søknad
it accepts is valid against this schema.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from boligregler.evaluation.soknad import with_case_metadata
from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy
from boligregler.syntax import ast

DIALECT = "https://json-schema.org/draft/2020-12/schema"
MONEY_PATTERN = r"^[0-9]+(\.[0-9]{1,2})?$"  # money as text; negative amounts are refused
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
UNIT_WORDS = {"kr": "kroner", "kr/mnd": "kroner per måned", "%": "prosent", "prosentpoeng": "prosentpoeng",
              "år": "år", "måneder": "måneder", "antall": "antall", "andel": "andel", "tall": "tall"}


def soknad_schema(model: CheckedPolicy, digest: str | None = None) -> dict[str, Any]:
    """The JSON Schema of the søknad `model` accepts; `digest` (the policy's sha256) goes into `$id`."""
    conditions: list[dict[str, Any]] = []
    root = _record(model, with_case_metadata(model.schema), (), conditions)
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


def _record(model: CheckedPolicy, record: T.Record, path: tuple[str, ...], conditions: list) -> dict[str, Any]:
    properties, required = {}, []
    for name, spec in record.fields.items():
        here = (*path, name)
        prop = _field(model, spec, here, conditions)
        properties[name] = prop
        if not spec.has_default and spec.required_when is None and spec.provided_by is None:
            required.append(name)
        if spec.required_when is not None:
            condition = _condition(spec.required_when)
            if condition is None:
                prop["x-påkrevd-når"] = _source(model, spec)
            else:
                conditions.append({"if": condition, "then": _required_at(here)})
                prop["x-påkrevd-når"] = _source(model, spec)
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _field(model: CheckedPolicy, spec: T.FieldSpec, path: tuple[str, ...], conditions: list) -> dict[str, Any]:
    schema = _type(model, spec.type, spec, path, conditions)
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


def _type(model: CheckedPolicy, t: T.Type, spec: T.FieldSpec | None, path: tuple[str, ...],
          conditions: list) -> dict[str, Any]:
    match t:
        case T.Num(unit, integer=True):
            out: dict[str, Any] = {"type": "integer", "x-enhet": unit}
            low = spec.low if spec is not None and spec.low is not None else (0 if unit == "antall" else None)
            if low is not None:
                out["minimum"] = int(low)
            if spec is not None and spec.high is not None:
                out["maximum"] = int(spec.high)
            return out
        case T.Num(unit) if unit in ("kr", "kr/mnd"):
            # No `multipleOf: 0.01`: binary floating point makes validators refuse amounts such as 0.29.
            return {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": MONEY_PATTERN}],
                    "x-enhet": unit, "x-beløp": True,
                    "x-merknad": "kroner med høyst to desimaler; send øre som tekst («1234.50») for å unngå flyttall"}
        case T.Num(unit):
            note = {"%": "i prosent: 5 betyr 5 %", "prosentpoeng": "i prosentpoeng"}.get(unit)
            out = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": NUMBER_PATTERN}], "x-enhet": unit}
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
            out = {"type": "array", "items": _type(model, element, None, (*path, "*"), conditions)}
            if min_items:
                out["minItems"] = min_items
            return out
        case T.Record():
            return _record(model, t, path, conditions if "*" not in path else [])
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
    """A schema that requires the field at `path` (nested objects) to be present and not null."""
    *parents, name = path
    inner: dict[str, Any] = {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
    for parent in reversed(parents):
        inner = {"properties": {parent: inner}}
    return inner


def _field_path(expr: ast.Expr) -> tuple[str, ...] | None:
    if isinstance(expr, ast.Name):
        return (expr.name,)
    if isinstance(expr, ast.Attribute):
        base = _field_path(expr.obj)
        return None if base is None else (*base, expr.name)
    return None


def _literal(expr: ast.Expr) -> tuple[bool, Any]:
    match expr:
        case ast.Text(value) | ast.Boolean(value):
            return True, value
        case ast.Quantity(value, unit) if unit is None or unit in ("kr", "kr/mnd", "år", "måneder", "antall"):
            return True, int(value) if value == value.to_integral_value() else float(value)
    return False, None


def _at(path: tuple[str, ...], schema: dict[str, Any]) -> dict[str, Any]:
    *parents, name = path
    out: dict[str, Any] = {"properties": {name: schema}, "required": [name]}
    for parent in reversed(parents):
        out = {"properties": {parent: out}, "required": [parent]}
    return out


def _condition(expr: ast.Expr) -> dict[str, Any] | None:
    """A JSON Schema that holds exactly when `expr` holds, or None if it cannot be said in JSON Schema.

    The condition is about the søknad as given, so a field that is absent (and would take its
    default) makes the `if` false; conditions on fields with defaults are stated only for the
    comparison forms where that is harmless (a required field, or an explicit literal match).
    """
    match expr:
        case ast.Compare(op, left, right) if op in ("=", "!="):
            path, (ok, value) = _field_path(left), _literal(right)
            if path is None or not ok:
                return None
            match = _at(path, {"const": value})
            return match if op == "=" else {"not": match}
        case ast.Member(item, ast.ListLiteral(items)):
            path, values = _field_path(item), [_literal(i) for i in items]
            if path is None or not all(ok for ok, _ in values):
                return None
            return _at(path, {"enum": [v for _, v in values]})
        case ast.Logical(op, left, right):
            a, b = _condition(left), _condition(right)
            if a is None or b is None:
                return None
            return {"allOf" if op == "og" else "anyOf": [a, b]}
        case ast.Unary("ikke", operand):
            inner = _condition(operand)
            return None if inner is None else {"not": inner}
        case ast.Name() | ast.Attribute():
            path = _field_path(expr)
            return None if path is None else _at(path, {"const": True})
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
