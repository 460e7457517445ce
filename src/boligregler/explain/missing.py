"""Missing facts: a partial søknad decided under the same three-valued semantics as any søknad.

Every fact the søknad lacks (a required fact, a `påkrevd når` fact that is or may be required,
a record left out) and every path marked unknown is *not yet given*, exactly as an absent
`oppgis av` fact (`Policy.validate(…, unknown=…)`); the søknad is then evaluated as usual
(`Policy.evaluate_facts`). A criterion that reads a missing fact is decided only when every
completion of it gives the same result (`evaluation.partial`), the outcome is `ikke_avgjort`
unless it holds whatever the missing facts are, and the decision's `mangler` lists the facts
that can change it, most decisive first, each with its Norwegian description, who provides it
and the criteria that wait for it. Facts the søknad lacks that cannot change the outcome are
`not_needed`.
"""

from __future__ import annotations

from typing import Any

import attrs

from boligregler.evaluation.decision import Decision, Pending
from boligregler.evaluation.partial import absent_facts
from boligregler.evaluation.runtime import Unassessed
from boligregler.evaluation.soknad import Path, Problem, SoknadError, format_path
from boligregler.explain.frame import målform
from boligregler.model import types as T
from boligregler.norsk import tredje_person

# Facts that choose which rules apply at all: a partial søknad must give them.
CHOOSING = {"søknadsdato": "datoen søknaden kom inn, trengs for å velge reglene som gjaldt",
            "ordning": "ordningen det søkes om, trengs for å velge reglene"}


@attrs.frozen
class Completeness:
    """A partial søknad's decision and every fact it lacks (in søknad order)."""

    decision: Decision
    missing: tuple[Pending, ...]

    @property
    def utfall(self) -> str:
        return self.decision.utfall

    @property
    def decided(self) -> bool:
        """Whether the outcome holds whatever the missing facts are."""
        return self.decision.utfall != "ikke_avgjort"

    @property
    def needed(self) -> tuple[Pending, ...]:
        """The facts that can change the outcome, most decisive first (the decision's `mangler`)."""
        return self.decision.mangler

    @property
    def not_needed(self) -> tuple[Pending, ...]:
        needed = {p.opplysning for p in self.needed}
        return tuple(p for p in self.missing if p.opplysning not in needed)

    def to_dict(self) -> dict[str, Any]:
        d = self.decision
        out = {"avgjort": self.decided, "utfall": d.utfall,
               "mangler": [p.to_dict() for p in self.needed],
               "trengs_ikke": [p.to_dict() for p in self.not_needed],
               "vilkår": [c.to_dict() for c in d.vilkår]}
        if d.mangler_avgrenset:
            out["mangler_avgrenset"] = True
        return out


def missing_facts(policy, soknad: Any, unknown: tuple[str, ...] | list[str] = ()) -> Completeness:
    """Decide a partial søknad; `unknown` marks given or defaulted facts (JSON paths) as not yet known.

    Raises `SoknadError` for every problem other than a missing fact (a wrong type, an unknown
    key, an unknown path in `unknown`, a missing søknadsdato or ordning).
    """
    schema = policy.model.schema
    if not isinstance(soknad, dict):
        raise SoknadError([Problem("", "søknaden må være et JSON-objekt", "objekt")])
    paths = {format_path(p): p for p in _all_paths(schema, soknad)}
    problems = [Problem(p, "ukjent felt; kan ikke merkes som ukjent", "ukjent_felt") for p in unknown if p not in paths]
    problems += [Problem(p, f"kan ikke merkes som ukjent: {CHOOSING[p]}", "ugyldig_verdi") for p in unknown if p in CHOOSING]
    if problems:
        raise SoknadError(problems)
    marked = {leaf for p in unknown for leaf in _leaves(schema, soknad, paths[p])}
    facts = policy.validate(_without(soknad, [paths[p] for p in unknown]), unknown=frozenset(marked))
    absent = [p for p in CHOOSING if facts.get(p).__class__ is Unassessed]
    if absent:
        raise SoknadError([Problem(p, f"mangler; {CHOOSING[p]}", "mangler") for p in absent])
    decision = policy.evaluate_facts(facts)
    form = målform(policy.model)  # described in the third person, as `decision.mangler` is
    return Completeness(decision, tuple(Pending(f.text, tredje_person(f.doc or f.text, form), f.provided_by, ())
                                        for f in absent_facts(facts)))


def _without(data: dict, paths: list[Path]) -> dict:
    """The søknad with the facts at `paths` left out (copies only along the paths)."""
    for path in paths:
        data = _drop(data, path)
    return data


def _drop(data: Any, path: Path) -> Any:
    head, rest = path[0], path[1:]
    if isinstance(data, dict) and head in data:
        out = dict(data)
        if rest:
            out[head] = _drop(data[head], rest)
        else:
            del out[head]
        return out
    if isinstance(data, list) and isinstance(head, int) and head < len(data) and rest:
        out = list(data)
        out[head] = _drop(data[head], rest)
        return out
    return data


def _field(schema: T.Record, path: Path) -> T.FieldSpec:
    spec, record = None, schema
    for part in path:
        if isinstance(part, int):
            continue
        spec = record.fields[part]
        record = spec.type.element if isinstance(spec.type, T.ListOf) else spec.type
    return spec


def _leaves(schema: T.Record, data: Any, path: Path) -> list[str]:
    """The facts a path marked unknown covers: itself, or every fact inside the record it names."""
    spec = _field(schema, path)
    if not isinstance(spec.type, T.Record):
        return [format_path(path)]
    return [format_path(p) for p in _all_paths(spec.type, {}, path) if not isinstance(_field(schema, p).type, T.Record)]


def _all_paths(schema: T.Record, data: Any, path: Path = ()) -> list[Path]:
    """Every fact path the schema allows for this søknad (list elements as given)."""
    out = []
    for key, spec in schema.fields.items():
        here = (*path, key)
        out.append(here)
        value = data.get(key) if isinstance(data, dict) else None
        if isinstance(spec.type, T.Record):
            out += _all_paths(spec.type, value or {}, here)
        elif isinstance(spec.type, T.ListOf) and isinstance(spec.type.element, T.Record) and isinstance(value, list):
            for i, v in enumerate(value):
                out += _all_paths(spec.type.element, v, (*here, i))
    return out
