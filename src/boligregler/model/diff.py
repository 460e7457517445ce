"""What differs between two checked policies: parameters, tables, computations, criteria, schemes.

`compare(a, b)` gives a `PolicyDiff` whose sections are JSON-ready lists of changes
(`endring`: `lagt_til` · `fjernet` · `endret`); `render_text` shows the same content to a
person. Definitions are compared by meaning: layout, comments and doc comments do not count,
and expressions are compared as syntax trees (spans excluded). Comparing a municipality
with the baseline it builds on therefore lists exactly its local rules.
`example_differences` runs the examples of both policies under both and keeps those whose
outcome differs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext
from typing import Any, Iterable

import attrs

from boligregler.diagnostics import BoligreglerError
from boligregler.model import types as T
from boligregler.model.policy import (
    CheckedPolicy, ComputeDef, ConditionDef, CriterionDef, ExceptionDef, ParameterDef, SchemeDef, TableDef,
)
from boligregler.money import CONTEXT, format_kr, format_number
from boligregler.syntax import ast

ADDED, REMOVED, CHANGED = "lagt_til", "fjernet", "endret"
MARKS = {ADDED: "+", REMOVED: "-", CHANGED: "~"}
SECTIONS = {
    "regelverk": "Regelverk", "søknadsfelt": "Søknadsfelt", "parametre": "Parametre", "tabeller": "Tabeller",
    "beregninger": "Beregninger", "vilkår": "Vilkår", "betingelser": "Betingelser", "ordninger": "Ordninger",
    "utfall": "Utfallsregel", "vedtak": "Vedtak",
}
FIELD_LABELS = {"oppfylt_når": "oppfylt når", "relevant_når": "relevant når"}


@attrs.frozen
class PolicyDiff:
    """The differences from policy `a` to policy `b`, section by section (empty sections left out)."""

    a: dict[str, str]
    b: dict[str, str]
    sections: dict[str, list[dict]]
    examples: list[dict] | None = None

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.sections.values())

    def with_examples(self, examples: list[dict]) -> PolicyDiff:
        return attrs.evolve(self, examples=examples)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"a": dict(self.a), "b": dict(self.b), "antall_endringer": self.count,
                               **self.sections}
        if self.examples is not None:
            out["eksempler_med_ulikt_utfall"] = self.examples
        return out


def compare(a: CheckedPolicy, b: CheckedPolicy) -> PolicyDiff:
    """Every difference in rules from `a` to `b`."""
    sections = {
        "regelverk": _header(a, b),
        "søknadsfelt": _schema(a.schema, b.schema),
        "parametre": _keyed(a.parameters, b.parameters, _parameter),
        "tabeller": _keyed(a.tables, b.tables, _table),
        "beregninger": _keyed(a.computations, b.computations, _computation),
        "vilkår": _keyed(_by_id(a.criteria), _by_id(b.criteria), _criterion),
        "betingelser": _keyed(_by_id(a.conditions), _by_id(b.conditions), _condition),
        "ordninger": _schemes(a, b),
        "utfall": _outcome(a, b),
        "vedtak": _keyed(dict(a.decision), dict(b.decision), _decision_entry),
    }
    return PolicyDiff(_identity(a), _identity(b), {k: v for k, v in sections.items() if v})


def _identity(p: CheckedPolicy) -> dict[str, str]:
    return {"id": p.id, "navn": str(p.header.get("navn", p.id)), "fil": next(reversed(p.sources), "")}


def _by_id(items: Iterable) -> dict[str, Any]:
    return {i.id: i for i in items}


def _keyed(a: dict, b: dict, describe) -> list[dict]:
    """Changes between two name → definition maps; `describe(name, old, new)` gives the entry or None."""
    out = []
    for name in [*a, *(n for n in b if n not in a)]:
        entry = describe(name, a.get(name), b.get(name))
        if entry is not None:
            out.append(entry)
    return out


def _kind(old, new) -> str:
    return ADDED if old is None else REMOVED if new is None else CHANGED


# ---- header and søknad ------------------------------------------------------------------


def _field(name: str, old: str | None, new: str | None) -> dict | None:
    return None if old == new else {"endring": _kind(old, new), "felt": name, "før": old, "nå": new}


def _header(a: CheckedPolicy, b: CheckedPolicy) -> list[dict]:
    return _keyed(_header_fields(a), _header_fields(b), _field)


def _header_fields(p: CheckedPolicy) -> dict[str, str]:
    return {"bygger på": " → ".join(p.chain[:-1]) or "ingenting", **{k: _plain(v) for k, v in p.header.items()}}


def _plain(v: Any) -> str:
    return v.isoformat() if isinstance(v, dt.date) else str(v)


def _schema(a: T.Record, b: T.Record) -> list[dict]:
    return _keyed(dict(_schema_paths(a, "")), dict(_schema_paths(b, "")), _field)


def _schema_paths(record: T.Record, prefix: str):
    for name, spec in record.fields.items():
        path = prefix + name
        t = spec.type
        while isinstance(t, T.ListOf):
            t, path = t.element, path + "[]"
        if isinstance(t, T.Record):
            yield from _schema_paths(t, path + ".")
            continue
        text = _type_text(t) + (" eller ingen" if spec.nullable else "")
        if spec.has_default:
            text += f" = {_literal_text(spec.default)}"
        yield path, text


def _type_text(t: T.Type) -> str:
    if isinstance(t, T.Enum):
        return "valg(" + ", ".join(f'"{v}"' for v in t.values) + ")"
    if isinstance(t, T.Num) and t.integer and t.unit != "antall":
        return "heltall" + ("" if t.unit == "tall" else f" {t.unit}")
    return T.describe(t)


def _literal_text(v: Any) -> str:
    if isinstance(v, bool):
        return "sann" if v else "usann"
    if v is None:
        return "ingen"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[]" if not v else str(v)
    if isinstance(v, dict):
        return "{}"
    return str(v)


# ---- parameters and tables --------------------------------------------------------------


def value_text(value: Any, t: T.Type) -> str:
    """A parameter value as a person reads it: `7 850 kr/mnd`, `2,5 %`, `10/12`, `alle unntatt [...]`."""
    if isinstance(value, bool):
        return "sann" if value else "usann"
    if isinstance(value, str):
        return f"«{value}»"
    if isinstance(value, frozenset) and isinstance(t, T.SetOf):
        chosen = [v for v in t.element.values if v in value]
        left = [v for v in t.element.values if v not in value]
        if left and len(left) < len(chosen):
            return "alle unntatt [" + ", ".join(left) + "]"
        return "[" + ", ".join(chosen) + "]"
    if isinstance(value, Decimal) and isinstance(t, T.Num):
        return _quantity_text(value, t.unit)
    return str(value)


def _quantity_text(value: Decimal, unit: str) -> str:
    with localcontext(CONTEXT):
        if unit in ("kr", "kr/mnd"):
            return format_kr(value, unit)
        if unit in ("%", "prosentpoeng"):
            return f"{format_number(value * 100)} {unit}"
        if unit in ("tall", "antall", "andel"):
            return format_number(value)
        return f"{format_number(value)} {unit}"


def _history(p: ParameterDef) -> list[dict]:
    return [{"fra": v.valid_from.isoformat(), "verdi": value_text(v.value, p.type), "kilde": v.source or ""}
            for v in p.values]


def _parameter(name: str, old: ParameterDef | None, new: ParameterDef | None) -> dict | None:
    if old is not None and new is not None and old.type == new.type and old.values == new.values:
        return None
    entry = {"endring": _kind(old, new), "navn": name, "type": T.describe((new or old).type)}
    if old is not None and new is not None and old.type != new.type:
        entry["type_før"] = T.describe(old.type)
    entry["før"] = _history(old) if old is not None else None
    entry["nå"] = _history(new) if new is not None else None
    return entry


def _versions(t: TableDef) -> list[dict]:
    def key(k):
        return f"«{k}»" if isinstance(k, str) else f"{k[0]} og over" if k[1] is None else f"{k[0]} til {k[1]}"

    return [{"fra": v.valid_from.isoformat(), "kilde": v.source or "",
             "rader": [{"nøkkel": ", ".join(key(k) for k in keys), "verdi": _quantity_text(x, t.value_type.unit)}
                       for keys, x in v.rows]}
            for v in t.versions]


def _table(name: str, old: TableDef | None, new: TableDef | None) -> dict | None:
    if old is not None and new is not None and old.value_type == new.value_type and old.versions == new.versions:
        return None
    return {"endring": _kind(old, new), "navn": name, "type": (new or old).value_type.unit,
            "før": _versions(old) if old is not None else None, "nå": _versions(new) if new is not None else None}


# ---- computations, criteria, conditions ---------------------------------------------------


def _computation(name: str, old: ComputeDef | None, new: ComputeDef | None) -> dict | None:
    if old is not None and new is not None and old.type == new.type and old.expr == new.expr:
        return None
    return {"endring": _kind(old, new), "navn": name, "type": T.describe((new or old).type),
            "før": expression_text(old.expr) if old is not None else None,
            "nå": expression_text(new.expr) if new is not None else None}


def _exception_fields(e: ExceptionDef) -> dict[str, str | None]:
    return {"tittel": e.title, "hjemmel": e.hjemmel, "når": expression_text(e.condition),
            "forklaring": template_text(e.explanation) if e.explanation is not None else None}


def _criterion_fields(c: CriterionDef) -> dict[str, str | None]:
    fields = {"tittel": c.title, "art": c.kind, "hjemmel": c.hjemmel, "lenke": c.lenke,
              "oppfylt_når": expression_text(c.condition),
              "relevant_når": expression_text(c.relevance) if c.relevance is not None else None}
    for result, tpl in c.explanations.items():
        fields[f"forklaring.{result}"] = template_text(tpl) if tpl is not None else None
    return fields


def _described(fields: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in fields.items() if v is not None}


def _field_changes(old: dict, new: dict) -> list[dict]:
    return _keyed(old, new, lambda k, x, y: None if x == y else {"felt": k, "før": x, "nå": y})


def _criterion(cid: str, old: CriterionDef | None, new: CriterionDef | None) -> dict | None:
    if old is None or new is None:
        c = new or old
        return {"endring": _kind(old, new), "id": cid, **_described(_criterion_fields(c)),
                "unntak": [{"bokstav": e.letter, **_described(_exception_fields(e))} for e in c.exceptions]}
    fields = _field_changes(_criterion_fields(old), _criterion_fields(new))
    exceptions = _keyed({e.letter: e for e in old.exceptions}, {e.letter: e for e in new.exceptions}, _exception)
    if not fields and not exceptions:
        return None
    return {"endring": CHANGED, "id": cid, "tittel": new.title, "felter": fields, "unntak": exceptions}


def _exception(letter: str, old: ExceptionDef | None, new: ExceptionDef | None) -> dict | None:
    if old is None or new is None:
        return {"endring": _kind(old, new), "bokstav": letter, **_described(_exception_fields(new or old))}
    fields = _field_changes(_exception_fields(old), _exception_fields(new))
    return {"endring": CHANGED, "bokstav": letter, "felter": fields} if fields else None


def _condition(cid: str, old: ConditionDef | None, new: ConditionDef | None) -> dict | None:
    if old is not None and new is not None and old.text == new.text:
        return None
    return {"endring": _kind(old, new), "id": cid, "før": old.text if old else None, "nå": new.text if new else None}


def _decision_entry(key: str, old: ast.Expr | None, new: ast.Expr | None) -> dict | None:
    if old == new:
        return None
    return {"endring": _kind(old, new), "nøkkel": key, "før": expression_text(old) if old is not None else None,
            "nå": expression_text(new) if new is not None else None}


def _outcome(a: CheckedPolicy, b: CheckedPolicy) -> list[dict]:
    def text(p: CheckedPolicy) -> str:
        rules = [f"{r.outcome} når en {r.kind} ikke er oppfylt" for r in p.outcome_rules]
        return "; ".join([*rules, f"ellers {p.outcome_default}"])

    old, new = text(a), text(b)
    return [] if old == new else [{"endring": CHANGED, "før": old, "nå": new}]


# ---- schemes ------------------------------------------------------------------------------------


def _scheme_parts(s: SchemeDef, own_only: bool = False) -> dict[str, dict]:
    keep = (lambda name: name in s.own) if own_only else (lambda name: True)
    return {"beregninger": {k: v for k, v in s.computations.items() if keep(k)},
            "vilkår": {c.id: c for c in s.criteria if keep(c.id)},
            "betingelser": {c.id: c for c in s.conditions if keep(c.id)}}


_DESCRIBE = {"beregninger": _computation, "vilkår": _criterion, "betingelser": _condition}


def _scheme_sections(a: dict[str, dict], b: dict[str, dict]) -> dict[str, list[dict]]:
    return {k: _keyed(a.get(k, {}), b.get(k, {}), describe) for k, describe in _DESCRIBE.items()}


def _schemes(a: CheckedPolicy, b: CheckedPolicy) -> list[dict]:
    base = _scheme_sections(_scheme_parts(a.base_scheme), _scheme_parts(b.base_scheme))

    def scheme(sid: str, old: SchemeDef | None, new: SchemeDef | None) -> dict | None:
        if old is None or new is None:
            # a scheme only one side has: the definitions it adds, and those it overrides
            # compared with the same policy's ordinary definitions
            only, policy = (new, b) if old is None else (old, a)
            own = _scheme_parts(only, own_only=True)
            ordinary = {k: {n: d for n, d in v.items() if n in own[k]}
                        for k, v in _scheme_parts(policy.base_scheme).items()}
            sections = _scheme_sections(ordinary, own) if old is None else _scheme_sections(own, ordinary)
            return {"endring": _kind(old, new), "id": sid, "tittel": (new or old).title,
                    **{k: v for k, v in sections.items() if v}}
        # a scheme both have: what differs beyond the differences of the policies themselves
        sections = {k: [e for e in v if e not in base[k]]
                    for k, v in _scheme_sections(_scheme_parts(old), _scheme_parts(new)).items()}
        changes = {k: v for k, v in sections.items() if v}
        if old.title == new.title and not changes:
            return None
        entry = {"endring": CHANGED, "id": sid, "tittel": new.title}
        if old.title != new.title:
            entry["tittel_før"] = old.title
        return {**entry, **changes}

    return _keyed(a.schemes, b.schemes, scheme)


# ---- examples ----------------------------------------------------------------------------------


def example_differences(a, b) -> list[dict]:
    """The examples of both policies (`Policy` objects) whose outcome differs between them."""
    out = []
    for side, owner in (("a", a), ("b", b)):
        for ex in owner.model.examples:
            old, new = _assess(a, ex.input or {}), _assess(b, ex.input or {})
            if old.get("utfall") != new.get("utfall") or "feil" in old or "feil" in new:
                out.append({"eksempel": ex.name, "tittel": ex.title, "fra": side, "a": old, "b": new})
    return out


def _assess(policy, soknad: dict) -> dict:
    try:
        d = policy.evaluate(soknad, explain=False).to_dict()
    except BoligreglerError as e:
        return {"feil": str(e)}
    return {"utfall": d["utfall"], **{k: d["beløp"][k] for k in ("startlån", "tilskudd") if k in d["beløp"]}}


# ---- expressions as text ------------------------------------------------------------------------

_PRECEDENCE = {"eller": 1, "og": 2}


def expression_text(e: ast.Expr, level: int = 0) -> str:
    """The expression in the policy language, with only the parentheses it needs."""
    text, own = _expression(e)
    return f"({text})" if own < level else text


def _expression(e: ast.Expr) -> tuple[str, int]:
    match e:
        case ast.If(cond, then, otherwise):
            return f"hvis {expression_text(cond)} så {expression_text(then)} ellers {expression_text(otherwise)}", 0
        case ast.Logical(op, left, right):
            p = _PRECEDENCE[op]
            return f"{expression_text(left, p)} {op} {expression_text(right, p + 1)}", p
        case ast.Unary("ikke", operand):
            return f"ikke {expression_text(operand, 3)}", 3
        case ast.Compare(op, left, right):
            return f"{expression_text(left, 5)} {op} {expression_text(right, 5)}", 4
        case ast.Member(item, container):
            return f"{expression_text(item, 5)} i {expression_text(container, 5)}", 4
        case ast.Binary(op, left, right):
            p = 5 if op in "+-" else 6
            return f"{expression_text(left, p)} {op} {expression_text(right, p + 1)}", p
        case ast.Unary("-", operand):
            return f"-{expression_text(operand, 7)}", 7
        case ast.Attribute(obj, name):
            return f"{expression_text(obj, 8)}.{name}", 8
        case ast.Lookup(table, keys):
            return f"{expression_text(table, 8)}[{', '.join(expression_text(k) for k in keys)}]", 8
        case ast.Quantity(value, unit):
            text = f"{value}" + (f" {unit}" if unit else "")
            return text, 7 if value < 0 else 9
        case ast.Text(value):
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"', 9
        case ast.DateLiteral(value):
            return value.isoformat(), 9
        case ast.Boolean(value):
            return ("sann" if value else "usann"), 9
        case ast.NoneLiteral():
            return "ingen", 9
        case ast.Name(name):
            return name, 9
        case ast.Call(function, args):
            return f"{function}({', '.join(expression_text(a) for a in args)})", 9
        case ast.ListLiteral(items):
            return f"[{', '.join(expression_text(i) for i in items)}]", 9
        case ast.Aggregate(kind, var, source, where, body):
            if var is None:
                return f"antall({expression_text(source)})", 9
            condition = f" der {expression_text(where)}" if where is not None else ""
            if kind == "sum":
                return f"sum({expression_text(body)} for hver {var} i {expression_text(source)}{condition})", 9
            return f"{kind}(hver {var} i {expression_text(source)}{condition})", 9
    raise AssertionError(e)


def template_text(t: ast.Template) -> str:
    """An explanation template as written: text with `{uttrykk}` holes."""
    return "".join(p.replace("{", "{{").replace("}", "}}") if isinstance(p, str) else "{" + expression_text(p) + "}"
                   for p in t.parts)


# ---- text rendering ------------------------------------------------------------------------------


def render_text(diff: PolicyDiff) -> str:
    lines = [f"Sammenligning av «{diff.a['id']}» (A) og «{diff.b['id']}» (B)",
             f"  A: {diff.a['navn']} ({diff.a['fil']})",
             f"  B: {diff.b['navn']} ({diff.b['fil']})"]
    for key, entries in diff.sections.items():
        lines += ["", SECTIONS[key]]
        for entry in entries:
            lines += _render_entry(key, entry, "  ")
    if diff.examples is not None:
        lines += ["", "Eksempler med ulikt utfall"]
        lines += [_render_example(diff, e) for e in diff.examples] or ["  ingen: alle eksemplene får samme utfall"]
    lines += ["", f"{diff.count} endring{'er' if diff.count != 1 else ''} i reglene." if diff.count
              else "Ingen forskjeller i reglene."]
    return "\n".join(lines)


def _before_after(label: str, old: Any, new: Any, indent: str) -> list[str]:
    if old is not None and new is not None and len(f"{old}{new}") <= 60 and "\n" not in f"{old}{new}":
        return [f"{indent}{label}: {old} → {new}"]
    out = [f"{indent}{label}:"]
    if old is not None:
        out.append(f"{indent}  før: {old}")
    if new is not None:
        out.append(f"{indent}  nå:  {new}")
    return out


def _value_lines(values: list[dict], indent: str) -> list[str]:
    out = []
    for v in values:
        if "rader" in v:
            rows = ", ".join(f"{r['nøkkel']}: {r['verdi']}" for r in v["rader"])
            out.append(f"{indent}fra {v['fra']}: {rows} (kilde: {v['kilde']})")
        else:
            out.append(f"{indent}{v['verdi']} fra {v['fra']} (kilde: {v['kilde']})")
    return out


def _render_entry(section: str, e: dict, indent: str) -> list[str]:
    mark = MARKS[e["endring"]]
    inner = indent + "    "
    if section in ("regelverk", "søknadsfelt"):
        if e["endring"] == CHANGED:
            return _before_after(f"{mark} {e['felt']}", e["før"], e["nå"], indent)
        return [f"{indent}{mark} {e['felt']}: {e['nå'] if e['nå'] is not None else e['før']}"]
    if section in ("parametre", "tabeller"):
        head = f"{indent}{mark} {e['navn']} ({e['type']})"
        if e["endring"] != CHANGED:
            return [head, *_value_lines(e["nå"] or e["før"], inner)]
        out = [head]
        if "type_før" in e:
            out.append(f"{inner}type: {e['type_før']} → {e['type']}")
        return out + [f"{inner}før:", *_value_lines(e["før"], inner + "  "),
                      f"{inner}nå:", *_value_lines(e["nå"], inner + "  ")]
    if section == "beregninger":
        head = f"{indent}{mark} {e['navn']} ({e['type']})"
        if e["endring"] != CHANGED:
            return [head, f"{inner}= {e['nå'] or e['før']}"]
        return [head, f"{inner}før: {e['før']}", f"{inner}nå:  {e['nå']}"]
    if section == "vilkår":
        return _render_criterion(e, indent)
    if section == "betingelser":
        if e["endring"] == CHANGED:
            return [f"{indent}{mark} {e['id']}", f"{inner}før: {e['før']}", f"{inner}nå:  {e['nå']}"]
        return [f"{indent}{mark} {e['id']}: {e['nå'] or e['før']}"]
    if section == "ordninger":
        out = [f"{indent}{mark} {e['id']} «{e['tittel']}»"]
        if "tittel_før" in e:
            out.append(f"{inner}tittel: «{e['tittel_før']}» → «{e['tittel']}»")
        for key in ("beregninger", "vilkår", "betingelser"):
            for sub in e.get(key, []):
                out += _render_entry(key, sub, inner)
        return out
    if section == "utfall":
        return [f"{indent}{mark} før: {e['før']}", f"{indent}  nå:  {e['nå']}"]
    if section == "vedtak":
        if e["endring"] == CHANGED:
            return [f"{indent}{mark} {e['nøkkel']}", f"{inner}før: {e['før']}", f"{inner}nå:  {e['nå']}"]
        return [f"{indent}{mark} {e['nøkkel']}: {e['nå'] or e['før']}"]
    raise AssertionError(section)


def _render_criterion(e: dict, indent: str) -> list[str]:
    mark, inner = MARKS[e["endring"]], indent + "    "
    if e["endring"] != CHANGED:
        out = [f"{indent}{mark} {e['id']} «{e['tittel']}» ({e['art']})"]
        out += [f"{inner}{FIELD_LABELS.get(k, k)}: {e[k]}" for k in e
                if k not in ("endring", "id", "tittel", "art", "unntak")]
        out += [f"{inner}unntak {x['bokstav']} «{x['tittel']}»: når {x['når']}" for x in e["unntak"]]
        return out
    out = [f"{indent}{mark} {e['id']} «{e['tittel']}»"]
    for f in e["felter"]:
        out += _before_after(FIELD_LABELS.get(f["felt"], f["felt"]), f["før"], f["nå"], inner)
    for x in e["unntak"]:
        xmark = MARKS[x["endring"]]
        if x["endring"] == CHANGED:
            out.append(f"{inner}{xmark} unntak {x['bokstav']}")
            for f in x["felter"]:
                out += _before_after(f["felt"], f["før"], f["nå"], inner + "    ")
        else:
            out.append(f"{inner}{xmark} unntak {x['bokstav']} «{x['tittel']}»: når {x['når']}")
    return out


def _render_example(diff: PolicyDiff, e: dict) -> str:
    def side(r: dict) -> str:
        if "feil" in r:
            return "kan ikke vurderes (" + r["feil"].splitlines()[0] + ")"
        amounts = ", ".join(f"{k} {format_kr(Decimal(v))}" for k, v in r.items() if k != "utfall")
        return r["utfall"].replace("_", " ") + (f" ({amounts})" if amounts else "")  # the outcome in words

    return (f"  {e['eksempel']} «{e['tittel']}» (eksempel i {(diff.a if e['fra'] == 'a' else diff.b)['id']})\n"
            f"      A ({diff.a['id']}): {side(e['a'])}\n      B ({diff.b['id']}): {side(e['b'])}")
