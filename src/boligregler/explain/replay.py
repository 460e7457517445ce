"""The replay record of a decision, and checking that a stored decision reproduces.

`record(decision)` is the `sporbarhet` part of the decision JSON: the library version, the
record format and what the record contains (`innhold`: the criteria's explanations, the
letter), the sha256 of the policy (its content) and of each file it builds on, the sha256 of
the søknad as it was assessed, and every dated parameter the assessment read with the value,
the date it is valid from and its source. `verify(vedtak_json, søknad, policy)` evaluates the søknad again and
compares the new record with the stored one by content: the JSON values, not the bytes, so a
record a database re-serialised (other key order, spacing, escapes) still verifies. A batch
line (`linje`, `referanse`, no letter) and a decision made with `explain=False` replay too:
the record says what it contains, so the replay makes the same kind of decision. Records of
format 1 (before `format` and `innhold`) still replay: what they contain is read from the
record itself, and the fields format 2 added are left out of the comparison.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import hashlib
import json
import weakref
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from boligregler import __version__
from boligregler.diagnostics import BoligreglerError
from boligregler.evaluation.soknad import CASE_FIELD
from boligregler.evaluation.values import Ratio
from boligregler.evaluation.runtime import given
from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy
from boligregler.money import load_json
from boligregler.syntax import ast


def canonical_json(value: Any) -> str:
    """Facts as canonical JSON: sorted keys, no spaces, numbers and dates as exact text.

    Written by the C encoder straight from the facts (no copy) unless they hold a fact not yet
    given or assessed, which is left out as in the søknad (`_plain`).
    """
    try:
        return _CANONICAL.encode(value)
    except _NotPlain:
        return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class _NotPlain(Exception):
    """A value `_plain` would change or drop (a fact not yet given), met by the C encoder."""


def _canonical_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise _NotPlain


_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_canonical_value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):  # a fact not yet given or assessed is absent, as in the søknad
        return {k: _plain(v) for k, v in value.items() if given(v) or v is None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def soknad_sha256(facts: dict) -> str:
    """sha256 of the facts the assessment used: the case metadata (`sak`) is left out."""
    assessed = {k: v for k, v in facts.items() if k != CASE_FIELD}
    return hashlib.sha256(canonical_json(assessed).encode("utf-8")).hexdigest()


def _parameter_value(value: Any, t: T.Type) -> Any:
    if isinstance(value, Ratio):
        return str(value)
    if isinstance(value, frozenset):
        return [v for v in t.element.values if v in value]
    if isinstance(value, Decimal):
        return _number(value * 100 if isinstance(t, T.Num) and t.unit in ("%", "prosentpoeng") else value)
    return value


FORMAT = 2  # the record format; 2 added `format`, `innhold` and each criterion's `lenke`


def _in_force(dates: list[dt.date], on: dt.date) -> int:
    return bisect.bisect_right(dates, on) - 1


def record(decision, *, with_letter: bool = True) -> dict[str, Any]:
    """The `sporbarhet` record of a decision made by `Policy.evaluate`.

    `with_letter=False` lists only what the assessment read, not what building the letter read.
    """
    basis = decision.basis
    parts = _policy_parts(basis.policy)
    parameters, tables = _read(basis, parts, with_letter)
    return {
        **_constant(basis, parts, with_letter),
        "søknad_sha256": soknad_sha256(basis.facts),
        "parametre": [{**e, "verdi": list(e["verdi"])} if isinstance(e["verdi"], list) else dict(e)
                      for e in parameters[0]],
        "tabeller": [dict(e) for e in tables[0]],
    }


def record_json(decision, *, with_letter: bool = True) -> str:
    """`json.dumps(record(decision, with_letter=…), ensure_ascii=False)`, from the JSON of its parts that are the
    same for many records (kept with them): only the søknad's hash is written for each record."""
    basis = decision.basis
    parts = _policy_parts(basis.policy)
    parameters, tables = _read(basis, parts, with_letter)
    key = ("json", basis.explain, with_letter)
    head = parts["poster"].get(key)
    if head is None:
        head = parts["poster"][key] = json.dumps(_constant(basis, parts, with_letter), ensure_ascii=False)[:-1]
    return (f'{head}, "søknad_sha256": "{soknad_sha256(basis.facts)}", "parametre": {_text(parameters)}, '
            f'"tabeller": {_text(tables)}}}')


def _constant(basis, parts: dict, with_letter: bool) -> dict[str, Any]:
    """The parts of a record that depend only on the policy and what the record contains."""
    return _constant_of(basis.policy, parts, basis.explain, with_letter)


def _constant_of(policy, parts: dict, explain: bool, with_letter: bool) -> dict[str, Any]:
    return {"bibliotek": {"navn": "boligregler", "versjon": __version__}, "format": FORMAT,
            "innhold": {"forklaringer": explain, "begrunnelse": with_letter},
            "regelverk": {"id": policy.model.id, "sha256": policy.sha256,
                          "filer": [dict(f) for f in parts["filer"]]}}


def record_head_json(policy, *, explain: bool, with_letter: bool) -> str:
    """The JSON of a record up to `søknad_sha256` (without the closing brace), as `record_json` writes it."""
    return json.dumps(_constant_of(policy, _policy_parts(policy), explain, with_letter), ensure_ascii=False)[:-1]


def entry_json(policy, kind: str, name: str, on: dt.date) -> str:
    """The JSON of one parameter's (`kind` "parametre") or table's ("tabeller") entry in a record, on the
    søknadsdato `on`, as `record_json` writes it inside its list."""
    return _text(_entries(_policy_parts(policy), policy.model, kind, (name,), on))[1:-1]


def read_json(policy, parameters: tuple[str, ...], tables: tuple[str, ...], on: dt.date) -> str:
    """`"parametre": […], "tabeller": […]` of a record whose assessment read `parameters` and `tables` (sorted
    names), on the søknadsdato `on`, as `record_json` writes them."""
    parts, model = _policy_parts(policy), policy.model
    return (f'"parametre": {_text(_entries(parts, model, "parametre", parameters, on))}, '
            f'"tabeller": {_text(_entries(parts, model, "tabeller", tables, on))}')


def _read(basis, parts: dict, with_letter: bool) -> tuple[list, list]:
    """The entries (with their JSON, see `_entries`) of the parameters and of the tables the record lists."""
    model: CheckedPolicy = basis.policy.model
    on = basis.facts["søknadsdato"]
    parameters, tables = _read_once(basis, basis.memo if with_letter else basis.assessed)
    return _entries(parts, model, "parametre", parameters, on), _entries(parts, model, "tabeller", tables, on)


def _text(entries: list) -> str:
    if entries[1] is None:
        entries[1] = json.dumps(entries[0], ensure_ascii=False)
    return entries[1]


# What a record takes from the policy alone, computed once per policy (a batch writes one record a line).
_PER_POLICY: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _policy_parts(policy) -> dict:
    parts = _PER_POLICY.get(policy)
    if parts is None:
        model = policy.model
        parts = {"filer": [{"id": pid, "fil": Path(path).name, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
                           for pid, (path, text) in zip(model.chain, model.sources.items())],
                 "lest": {}, "datoer": {}, "poster": {}}
        _PER_POLICY[policy] = parts
    return parts


def _read_once(basis, read) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(parameters, tables) the memo keys `read` stand for, sorted by name; kept per policy, scheme and set of
    keys read (a batch's records read the same few sets)."""
    parts = _policy_parts(basis.policy)
    lest = parts["lest"]
    key = (basis.program.scheme.id, read if isinstance(read, frozenset) else frozenset(read))
    found = lest.get(key)
    if found is None:
        if len(lest) >= 4096:  # many paths through the policy: start again rather than grow without bound
            for cache in ("lest", "datoer", "poster"):
                parts[cache].clear()
        parameters = tuple(sorted(k[2:] for k in read if isinstance(k, str) and k.startswith("p:")))
        found = lest[key] = (parameters, tuple(sorted(_tables_read(basis, read))))
    return found


def _entries(parts: dict, model: CheckedPolicy, kind: str, names: tuple[str, ...], on: dt.date) -> list:
    """[the record's entry for each parameter or table (`kind`) named, with the version in force `on`; their JSON
    text once asked for]: built once per policy, names and span of dates in which the same versions are in force
    (shared: `record` copies the entries)."""
    changes = parts["datoer"].get((kind, names))
    if changes is None:  # the dates on which a version of one of them comes into force
        changes = parts["datoer"][(kind, names)] = sorted({x.valid_from for name in names
                                                          for x in _versions(model, kind, name)})
    key = (kind, names, bisect.bisect_right(changes, on))
    entries = parts["poster"].get(key)
    if entries is None:
        entries = parts["poster"][key] = [[
            _entry(model, kind, name, _in_force([x.valid_from for x in _versions(model, kind, name)], on)) for name in names],
            None]
    return entries


def _versions(model: CheckedPolicy, kind: str, name: str) -> list:
    return model.parameters[name].values if kind == "parametre" else model.tables[name].versions


def _entry(model: CheckedPolicy, kind: str, name: str, k: int) -> dict[str, Any]:
    if kind == "tabeller":
        t = model.tables[name]
        v = t.versions[k]
        return {"navn": name, "gyldig_fra": v.valid_from.isoformat(), "kilde": v.source, "regelverk": t.origin.policy}
    p = model.parameters[name]
    v = p.values[k]
    return {"navn": p.name, "verdi": _parameter_value(v.value, p.type), "enhet": getattr(p.type, "unit", None),
            "gyldig_fra": v.valid_from.isoformat(), "kilde": v.source, "regelverk": p.origin.policy}


def _tables_read(basis, read) -> set[str]:
    """Tables looked up by the computations evaluated (memo keys `read`), or by the criteria."""
    scheme = basis.program.scheme
    exprs: list[Any] = [scheme.computations[k[2:]].expr for k in read
                        if isinstance(k, str) and k.startswith("c:") and k[2:] in scheme.computations]
    exprs += [(c.condition, c.relevance, [e.condition for e in c.exceptions]) for c in scheme.criteria]
    return tables_in(exprs)


def tables_in(exprs: list) -> set[str]:
    """The tables looked up anywhere in `exprs` (expressions, or lists and tuples of them)."""
    found: set[str] = set()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lookup) and isinstance(node.table, ast.Name):
            found.add(node.table.name)
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif hasattr(node, "__attrs_attrs__"):
            stack.extend(getattr(node, a.name) for a in node.__attrs_attrs__ if a.name != "span")
    return found


# ---- replay --------------------------------------------------------------------------------


@attrs.frozen
class Difference:
    path: str  # JSON path in the decision record, e.g. beløp.maks_lån
    recorded: Any
    now: Any


@attrs.frozen
class Replay:
    """The result of evaluating a recorded decision again."""

    identical: bool  # the new record has the same content (JSON values) as the recorded one
    same_content: bool  # the same as `identical` (kept for callers of earlier versions)
    notes: tuple[str, ...]  # why it may differ: a changed policy file, søknad or library version
    differences: tuple[Difference, ...]
    text: str  # the new decision JSON
    same_bytes: bool = False  # the new JSON is also byte for byte the recorded text

    def to_dict(self) -> dict[str, Any]:
        """The verdict as JSON, as `boligregler etterprøv --format json` and the service write it."""
        return {"identisk": self.identical, "samme_innhold": self.same_content, "samme_bytes": self.same_bytes,
                "merknader": list(self.notes),
                "forskjeller": [{"sti": d.path, "vedtaket": _plain(d.recorded), "ny_vurdering": _plain(d.now)}
                                for d in self.differences]}

# Keys a batch line carries besides the decision record (commands/vurder.py); not part of the decision.
LINE_KEYS = ("linje", "referanse")


def decision_json(decision) -> str:
    """The decision record as `boligregler vurder --format json` writes it."""
    return json.dumps(decision.to_dict(), ensure_ascii=False, indent=2) + "\n"


def read_record(vedtak: str | dict, name: str = "VEDTAK.json") -> dict:
    """A stored decision (JSON text or already parsed) checked to carry a replay record."""
    if isinstance(vedtak, dict):
        recorded = vedtak
    else:
        try:
            recorded = load_json(vedtak)
        except json.JSONDecodeError as e:
            raise BoligreglerError(f"{name}:{e.lineno}:{e.colno}: ugyldig JSON: {e.msg}", code="ugyldig_json") from None
    trace = recorded.get("sporbarhet") if isinstance(recorded, dict) else None
    if not isinstance(trace, dict) or not isinstance(trace.get("regelverk"), dict):
        raise BoligreglerError(f"{name}: vedtaket mangler «sporbarhet» og kan ikke etterprøves; "
                               "lag det med «boligregler vurder POLICY SØKNAD --format json»", code="mangler_sporbarhet")
    contents = trace.get("innhold")
    if "innhold" in trace and not (isinstance(contents, dict) and set(contents) == {"forklaringer", "begrunnelse"}
                                   and all(isinstance(v, bool) for v in contents.values())):
        raise BoligreglerError(f"{name}: «sporbarhet.innhold» må si med sann eller usann om vedtaket har "
                               "«forklaringer» og «begrunnelse»", code="ugyldig_sporbarhet")
    return recorded


def contents(recorded: dict) -> tuple[bool, bool]:
    """What a record contains: (the criteria's explanations, the letter).

    A record of format 2 says so in `sporbarhet.innhold`; for a format-1 record it is read from
    the record: no letter without `begrunnelse`, no explanations when every criterion's is empty.
    """
    stated = recorded["sporbarhet"].get("innhold")
    if isinstance(stated, dict):
        return stated["forklaringer"], stated["begrunnelse"]
    vilkår = recorded.get("vilkår")
    explained = not (isinstance(vilkår, list) and vilkår
                     and all(isinstance(c, dict) and c.get("forklaring") == "" for c in vilkår))
    return explained, "begrunnelse" in recorded


def _as_format_1(record: dict) -> dict:
    """A new record without what format 2 added, to compare with a format-1 record."""
    out = dict(record)
    out["sporbarhet"] = {k: v for k, v in record["sporbarhet"].items() if k not in ("format", "innhold")}
    out["vilkår"] = [{k: v for k, v in c.items() if k != "lenke"} for c in record["vilkår"]]
    return out


def verify(vedtak: str | dict, soknad: Any, policy, name: str = "VEDTAK.json") -> Replay:
    """Evaluate `soknad` again under `policy` (a `Policy`) and compare with the recorded decision.

    Raises `BoligreglerError` if the record is not a decision with `sporbarhet`.
    `boligregler.api.verify` also loads the policy the record names.
    """
    return replay_record(read_record(vedtak, name), soknad, policy, vedtak if isinstance(vedtak, str) else None)


def replay_record(recorded: dict, soknad: Any, policy, text: str | None = None) -> Replay:
    """`verify` for a record already read; `text` is its JSON text, if any, for the byte comparison."""
    recorded = {k: v for k, v in recorded.items() if k not in LINE_KEYS}
    if isinstance(soknad, dict) and "referanse" in soknad:
        soknad = {k: v for k, v in soknad.items() if k != "referanse"}
    explain, letter = contents(recorded)
    decision = policy.evaluate_facts(policy.validate(soknad), explain=explain)
    new = decision.to_dict(letter=letter)
    new_text = json.dumps(new, ensure_ascii=False, indent=2) + "\n"
    now = load_json(new_text)
    if "format" not in recorded["sporbarhet"]:
        now = _as_format_1(now)
    notes = _notes(recorded["sporbarhet"], new["sporbarhet"])
    differences = tuple(_differences(recorded, now, ""))
    same_bytes = text is not None and text == new_text
    if not differences and text is not None and not same_bytes:
        notes += ("innholdet er det samme, men filen er formatert annerledes enn «boligregler vurder» skriver den",)
    return Replay(not differences, not differences, notes, differences, new_text, same_bytes)


def _notes(recorded: dict, now: dict) -> tuple[str, ...]:
    notes = []
    if recorded.get("søknad_sha256") != now["søknad_sha256"]:
        notes.append("søknaden er ikke den samme som ble vurdert (sha256 av søknaden avviker)")
    files = {f.get("id"): f.get("sha256") for f in recorded["regelverk"].get("filer", []) if isinstance(f, dict)}
    for f in now["regelverk"]["filer"]:
        if f["id"] not in files:
            notes.append(f"regelverket bygger nå på «{f['id']}» ({f['fil']}), som vedtaket ikke bygget på")
        elif files[f["id"]] != f["sha256"]:
            notes.append(f"regelverket «{f['id']}» ({f['fil']}) er endret siden vedtaket ble fattet")
    for pid in files.keys() - {f["id"] for f in now["regelverk"]["filer"]}:
        notes.append(f"vedtaket bygget på regelverket «{pid}», som ikke lenger er med")
    version = recorded.get("bibliotek", {}).get("versjon") if isinstance(recorded.get("bibliotek"), dict) else None
    if version != now["bibliotek"]["versjon"]:
        notes.append(f"vedtaket ble laget med boligregler {version}, og etterprøves med {now['bibliotek']['versjon']}")
    return tuple(notes)


def _differences(a: Any, b: Any, path: str):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            yield from _differences(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _differences(x, y, f"{path}[{i}]")
    elif a != b:
        yield Difference(path, a, b)


def describe(replay: Replay) -> str:
    """A Norwegian report of a replay for the terminal."""
    if replay.identical:
        how = "byte for byte" if replay.same_bytes else "med samme innhold"
        return "\n".join([f"Vedtaket er etterprøvd: en ny vurdering gir det samme vedtaket, {how}.",
                          *(f"  • {n}" for n in replay.notes)])
    lines = ["Vedtaket ble ikke reprodusert: en ny vurdering gir et annet vedtak."]
    lines += [f"  • {n}" for n in replay.notes]
    if replay.differences:
        lines.append("Forskjeller (vedtaket → ny vurdering):")
    for d in replay.differences:
        if isinstance(d.recorded, str) and isinstance(d.now, str) and ("\n" in d.recorded or "\n" in d.now):
            lines.append(f"  {d.path}:")
            diff = difflib.unified_diff(d.recorded.splitlines(), d.now.splitlines(), "vedtaket", "ny vurdering",
                                        lineterm="", n=1)
            lines += [f"    {line}" for line in diff]
        else:
            lines.append(f"  {d.path}: {_show(d.recorded)} → {_show(d.now)}")
    return "\n".join(lines)


def _show(value: Any) -> str:
    if value is None:
        return "(mangler)"
    return f"«{value}»" if isinstance(value, str) else json.dumps(_plain(value), ensure_ascii=False)
