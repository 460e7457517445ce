"""Hover texts (Markdown, Norwegian): what a name in a policy stands for, as the policy site words it."""

from __future__ import annotations

import datetime as dt

from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy
from boligregler.rendering.policy_markdown import (
    KIND_WORDS, Describer, format_date, format_value, humanise, strip_markup, type_words,
)
from boligregler.syntax import ast


def describe(model: CheckedPolicy, name: str, today: dt.date) -> str | None:
    if name in model.parameters:
        return _parameter(model, name, today)
    if name in model.tables:
        return _table(model, name, today)
    for scheme in [model.base_scheme, *model.schemes.values()]:
        if name in scheme.computations:
            c = scheme.computations[name]
            formula = strip_markup(Describer(model, scheme).describe(c.expr))
            where = f" · ordning {scheme.id}" if scheme is not model.base_scheme and name in scheme.own else ""
            return _join(f"**beregn {name}** ({type_words(c.type)}) · fra {c.origin.policy}{where}", c.doc,
                         f"{humanise(name)} = {formula}")
        for crit in scheme.criteria:
            if crit.id == name:
                return _criterion(model, scheme, crit)
    spec = field_at(model.schema, name.split("."))
    if spec is not None:
        return _join(f"**søknad: {name}** ({type_words(spec.type)}{', kan mangle' if spec.nullable else ''})",
                     spec.doc, _enum(spec.type))
    if name in model.schemes:
        s = model.schemes[name]
        return _join(f"**ordning {name}**: {s.title}", s.doc)
    return None


def _join(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


def _parameter(model: CheckedPolicy, name: str, today: dt.date) -> str:
    p = model.parameters[name]
    current = [v for v in p.values if v.valid_from <= today]
    head = f"**parameter {name}** ({type_words(p.type)}) · fra {p.origin.policy}"
    if current:
        v = current[-1]
        now = (f"I dag ({format_date(today)}): **{format_value(v.value, p.type)}**, gjelder fra "
               f"{format_date(v.valid_from)}; kilde: {v.source or '–'}")
    else:
        now = f"Ingen verdi gjelder i dag ({format_date(today)})."
    history = "\n".join(f"- {format_value(v.value, p.type)} fra {format_date(v.valid_from)} ({v.source or '–'})"
                        for v in p.values)
    return _join(head, p.doc, now, "Historikk:\n" + history)


def _table(model: CheckedPolicy, name: str, today: dt.date) -> str:
    t = model.tables[name]
    current = [v for v in t.versions if v.valid_from <= today]
    head = f"**tabell {name}** ({type_words(t.value_type)} etter {', '.join(t.key_names)}) · fra {t.origin.policy}"
    if not current:
        return _join(head, t.doc, f"Ingen versjon gjelder i dag ({format_date(today)}).")
    v = current[-1]
    grid = v.grid()
    if grid is not None:  # two keys: the first down, the second across
        firsts, seconds, cells = grid
        lines = [[f"{t.key_names[0]} ↓ {t.key_names[1]} →", *map(_key, seconds)],
                 *([_key(a), *(format_value(cells[a, b], t.value_type) for b in seconds)] for a in firsts)]
    else:
        lines = [[*t.key_names, "verdi"], *([*map(_key, keys), format_value(value, t.value_type)] for keys, value in v.rows)]
    table = "\n".join("| " + " | ".join(cells) + " |" for cells in [lines[0], ["---"] * len(lines[0]), *lines[1:]])
    return _join(head, t.doc, f"Gjelder fra {format_date(v.valid_from)} (kilde: {v.source or '–'}):", table)


def _key(key) -> str:
    if isinstance(key, tuple):
        low, high = key
        return f"{low} og over" if high is None else f"{low}" if low == high else f"{low}–{high}"
    return f"«{key}»"


def _criterion(model: CheckedPolicy, scheme, c) -> str:
    d = Describer(model, scheme)
    parts = [f"**vilkår {c.id}**: {c.title}", f"*{KIND_WORDS.get(c.kind, c.kind)}* · hjemmel: {c.hjemmel}", c.doc]
    if c.relevance is not None:
        parts.append(f"Gjelder bare når {strip_markup(d.describe(c.relevance))}.")
    if not (isinstance(c.condition, ast.Boolean) and c.condition.value):
        parts.append(f"Oppfylt når {strip_markup(d.describe(c.condition))}.")
    for e in c.exceptions:
        parts.append(f"Unntak {e.letter}) {e.title}: når {strip_markup(d.describe(e.condition))}.")
    for result, tpl in c.explanations.items():
        if tpl is not None:
            parts.append(f"*{result.replace('_', ' ')}:* «{strip_markup(d.template(tpl))}»")
    return _join(*parts)


def field_at(record: T.Record, path: list[str]) -> T.FieldSpec | None:
    """The søknad field at `path` (list elements looked through), or None."""
    spec = None
    for part in path:
        if record is None or part not in record.fields:
            return None
        spec = record.fields[part]
        inner = spec.type.element if isinstance(spec.type, T.ListOf) else spec.type
        record = inner if isinstance(inner, T.Record) else None
    return spec


def _enum(t) -> str:
    if isinstance(t, T.Enum):
        return "Verdier: " + ", ".join(f"«{v}»" for v in t.values)
    return ""
