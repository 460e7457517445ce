"""Validate a søknad (a dict as in soknad.md) against the schema a policy declares.

Every problem is reported at once, each with its JSON path
(`husstand.barn[1].alder: må være et heltall mellom 0 og 17`). Defaults are
applied only where the schema writes one.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import attrs

from boligregler.diagnostics import BoligreglerError, suggest
from boligregler.evaluation.runtime import EvaluationError
from boligregler.model import types as T
from boligregler.money import parse_money


@attrs.frozen
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SoknadError(BoligreglerError):
    """A søknad that does not match the policy's schema; `problems` lists every one."""

    def __init__(self, problems: list[Problem]):
        self.problems = tuple(problems)
        super().__init__("søknaden er ugyldig:\n" + "\n".join(f"  {p}" for p in self.problems))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _integer(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        return None
    try:
        d = Decimal(value) if not isinstance(value, str) else Decimal(value.strip())
    except InvalidOperation:
        return None
    return d if d.is_finite() and d == d.to_integral_value() else None


class Validator:
    def __init__(self, schema: T.Record, required_check: Callable[[Any, dict], bool]):
        self.schema = schema
        self.required_check = required_check  # evaluates a `påkrevd når` expression on the facts
        self.problems: list[Problem] = []
        self.conditional: list[tuple[str, T.FieldSpec]] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def validate(self, data: Any) -> dict:
        if not isinstance(data, dict):
            self.fail("", "søknaden må være et JSON-objekt")
            raise SoknadError(self.problems)
        facts = self.record(self.schema, data, "")
        for path, spec in self.conditional:
            try:
                needed = self.required_check(spec.required_when, facts)
            except (KeyError, TypeError, EvaluationError):
                continue  # the condition reads a field that is itself invalid; that problem is reported already
            if needed:
                self.fail(path, "mangler; feltet er påkrevd for denne søknaden")
        if self.problems:
            raise SoknadError(self.problems)
        return facts

    def record(self, record: T.Record, data: dict, path: str) -> dict:
        out: dict[str, Any] = {}
        for key in data:
            if key not in record.fields:
                guess = suggest(str(key), record.fields)
                self.fail(_join(path, str(key)), "ukjent felt" + (f"; mente du «{guess}»?" if guess else ""))
        for key, spec in record.fields.items():
            here = _join(path, key)
            if key in data:
                out[key] = self.value(spec, data[key], here)
                if out[key] is None and spec.required_when is not None:
                    self.conditional.append((here, spec))
            elif spec.required_when is not None:
                out[key] = copy.deepcopy(spec.default)
                self.conditional.append((here, spec))
            elif spec.has_default:
                out[key] = self.default(spec, here)
            else:
                self.fail(here, "mangler")
        return out

    def default(self, spec: T.FieldSpec, path: str):
        if isinstance(spec.type, T.Record) and spec.default == {}:
            return self.record(spec.type, {}, path)
        return copy.deepcopy(spec.default)

    def value(self, spec: T.FieldSpec, value: Any, path: str):
        if value is None:
            if spec.nullable:
                return None
            self.fail(path, "kan ikke være null")
            return None
        return self.typed(spec.type, value, path, spec.low, spec.high)

    def typed(self, t: T.Type, value: Any, path: str, low=None, high=None):
        match t:
            case T.Num(unit, integer=True):
                n = _integer(value)
                lo = low if low is not None else (Decimal(0) if unit == "antall" else None)
                if n is None or (lo is not None and n < lo) or (high is not None and n > high):
                    if lo is not None and high is not None:
                        self.fail(path, f"må være et heltall mellom {lo} og {high}")
                    elif lo is not None:
                        self.fail(path, f"må være et heltall på minst {lo}")
                    else:
                        self.fail(path, "må være et heltall")
                return n
            case T.Num(unit) if unit in ("kr", "kr/mnd"):
                try:
                    money = parse_money(value)
                except ValueError as e:
                    self.fail(path, str(e))
                    return None
                if money < 0:
                    self.fail(path, "kan ikke være negativt")
                return money
            case T.Num(unit):
                try:
                    number = parse_money(value)
                except ValueError:
                    self.fail(path, "må være et tall")
                    return None
                return number / 100 if unit in ("%", "prosentpoeng") else number
            case T.Bool():
                if not isinstance(value, bool):
                    self.fail(path, "må være true eller false")
                return value
            case T.Text():
                if not isinstance(value, str):
                    self.fail(path, "må være en tekst")
                return value
            case T.Date():
                if isinstance(value, str):
                    try:
                        return dt.date.fromisoformat(value)
                    except ValueError:
                        pass
                self.fail(path, "må være en dato på formen ÅÅÅÅ-MM-DD")
                return None
            case T.Enum(_, values):
                if value not in values:
                    guess = suggest(str(value), values) if isinstance(value, str) else None
                    hint = f"; mente du «{guess}»?" if guess else f"; gyldige verdier: {', '.join(values)}"
                    self.fail(path, f"«{value}» er ikke en gyldig verdi{hint}")
                return value
            case T.ListOf(element, min_items):
                if not isinstance(value, list):
                    self.fail(path, "må være en liste")
                    return []
                if len(value) < min_items:
                    self.fail(path, f"må ha minst {min_items} element" + ("er" if min_items > 1 else ""))
                return [self.typed(element, v, f"{path}[{i}]") if not isinstance(element, T.Record)
                        else self.nested(element, v, f"{path}[{i}]") for i, v in enumerate(value)]
            case T.Record():
                return self.nested(t, value, path)
        raise AssertionError(t)

    def nested(self, record: T.Record, value: Any, path: str) -> dict:
        if not isinstance(value, dict):
            self.fail(path, "må være et objekt")
            return {}
        return self.record(record, value, path)


def validate_soknad(schema: T.Record, data: Any, required_check: Callable[[Any, dict], bool]) -> dict:
    """The søknad as facts (Decimal money, date objects, defaults applied); raises `SoknadError`."""
    return Validator(schema, required_check).validate(data)
