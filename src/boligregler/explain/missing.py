"""Missing facts: what a partial søknad still needs before it can be decided, or the early decision.

The søknad is validated with every missing fact left out. The criteria are then evaluated
lazily: reading a fact that is missing raises `MissingFact`, so a criterion that never needs
the fact is decided without it. A missing fact with a finite domain (a yes/no, a choice) is
tried with every value it can take; if the criterion comes out the same for all of them, it no
longer depends on the fact. An amount, a date or a list cannot be enumerated and is never
assumed: a criterion that reads one stays undecided. The outcome is decided early when the
outcome rule gives the same answer whatever the undecided criteria turn out to be.

The facts still needed are those an undecided criterion reads, ranked most decisive first:
first a fact that can decide the outcome on its own (for some value it can take), then by how
many undecided criteria read it, then in søknad order.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext
from typing import Any

import attrs

from boligregler.evaluation import runtime
from boligregler.evaluation.compiler import Program
from boligregler.evaluation.decision import criterion_result, default_explanation
from boligregler.evaluation.runtime import EvaluationError, MissingFact
from boligregler.evaluation.soknad import Path, Problem, SoknadError, format_path
from boligregler.model import types as T
from boligregler.money import CONTEXT

BUDGET = 512  # evaluations per criterion when trying the values of missing facts
SAMPLES = (Decimal(0), Decimal(100_000_000))  # amounts tried only to rank facts, never to decide


class _Partial(dict):
    """A record of facts where a missing key raises `MissingFact` with its path."""

    path = ""

    def __missing__(self, key):
        raise MissingFact(f"{self.path}.{key}" if self.path else str(key))


class _Memo(dict):
    """The evaluation memo; without a søknadsdato, reading a dated parameter raises `MissingFact`."""

    def __missing__(self, key):
        if key == runtime.DATE_KEY:
            raise MissingFact("søknadsdato")
        raise KeyError(key)


@attrs.frozen
class Status:
    """A criterion of a partial søknad: its result if decided, else None, and the missing facts it reads."""

    id: str
    tittel: str
    art: str
    hjemmel: str
    resultat: str | None
    forklaring: str
    needs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "tittel": self.tittel, "art": self.art, "resultat": self.resultat or "ukjent",
                "forklaring": self.forklaring, "trenger": list(self.needs)}


@attrs.frozen
class Completeness:
    """What a partial søknad lacks: `utfall` is set when the outcome no longer depends on it."""

    missing: tuple[str, ...]  # every fact the søknad lacks, in søknad order
    needed: tuple[str, ...]  # the facts still needed to decide, most decisive first
    utfall: str | None
    vilkår: tuple[Status, ...]
    descriptions: dict[str, str] = attrs.field(factory=dict, eq=False)  # path → the schema's doc comment

    @property
    def decided(self) -> bool:
        return self.utfall is not None

    @property
    def not_needed(self) -> tuple[str, ...]:
        return tuple(p for p in self.missing if p not in self.needed)

    def to_dict(self) -> dict[str, Any]:
        return {"avgjort": self.decided, "utfall": self.utfall, "mangler": list(self.missing),
                "trengs": list(self.needed), "trengs_ikke": list(self.not_needed),
                "vilkår": [s.to_dict() for s in self.vilkår], "beskrivelser": dict(self.descriptions)}


# ---- the partial facts ---------------------------------------------------------------------

class _Gaps:
    """Walks the søknad against the schema, filling every missing fact with a valid placeholder."""

    def __init__(self, schema: T.Record, unknown: set[str], sample_date: dt.date):
        self.schema, self.unknown, self.sample_date = schema, unknown, sample_date
        self.missing: list[Path] = []  # required facts that are absent
        self.conditional: list[Path] = []  # `påkrevd når` facts that are absent: left as `ingen`
        self.domains: dict[str, tuple[Path, T.FieldSpec]] = {}

    def record(self, record: T.Record, data: Any, path: Path) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for key, spec in record.fields.items():
            here = (*path, key)
            given = key in data and format_path(here) not in self.unknown
            if isinstance(spec.type, T.Record) and (not given or isinstance(data[key], dict)):
                out[key] = self.record(spec.type, data.get(key) or {}, here)  # each fact inside on its own
                continue
            if given and not (data[key] is None and spec.required_when is not None):
                out[key] = self.nested(spec.type, data[key], here)
                continue
            if not given and spec.has_default and spec.required_when is None and format_path(here) not in self.unknown:
                continue
            (self.conditional if spec.required_when is not None else self.missing).append(here)
            self.domains[format_path(here)] = (here, spec)
            out[key] = self.placeholder(spec.type, spec)
        return out

    def nested(self, t: T.Type, value: Any, path: Path) -> Any:
        if isinstance(t, T.Record):
            return self.record(t, value, path)
        if isinstance(t, T.ListOf) and isinstance(t.element, T.Record) and isinstance(value, list):
            return [self.record(t.element, v, (*path, i)) for i, v in enumerate(value)]
        return value

    def placeholder(self, t: T.Type, spec: T.FieldSpec | None = None) -> Any:
        match t:
            case T.Num(integer=True):
                return int(spec.low) if spec is not None and spec.low is not None else 0
            case T.Num():
                return 0
            case T.Bool():
                return False
            case T.Date():
                return self.sample_date.isoformat()
            case T.Enum(_, values):
                return values[0]
            case T.ListOf(element, min_items):
                return [self.placeholder(element) for _ in range(min_items)]
            case T.Record(fields):
                return {k: self.placeholder(s.type, s) for k, s in fields.items() if not s.has_default}
        return ""


def _remove(facts: dict, paths: list[Path], conditional: list[Path]) -> dict:
    """The facts with missing paths removed (reading them raises) and conditional ones set to `ingen`."""
    facts = _partial(facts, ())
    for path in conditional:
        _parent(facts, path)[path[-1]] = None
    for path in paths:
        del _parent(facts, path)[path[-1]]
    return facts


def _partial(value: Any, path: Path) -> Any:
    if isinstance(value, dict):
        out = _Partial({k: _partial(v, (*path, k)) for k, v in value.items()})
        out.path = format_path(path)
        return out
    if isinstance(value, list):
        return [_partial(v, (*path, i)) for i, v in enumerate(value)]
    return value


def _parent(facts: Any, path: Path) -> Any:
    for part in path[:-1]:
        facts = facts[part]
    return facts


def _filled(facts: Any, path: Path, value: Any) -> Any:
    """A copy of the partial facts with `value` at `path` (copies only along the path)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(facts, list):
        out = list(facts)
        out[head] = _filled(facts[head], rest, value)
        return out
    out = _Partial(facts)
    out.path = facts.path
    out[head] = _filled(facts[head], rest, value) if rest else value
    return out


# ---- evaluating with gaps ------------------------------------------------------------------


class _Analysis:
    def __init__(self, policy, facts: dict, gaps: _Gaps, program: Program):
        self.policy, self.facts, self.gaps = policy, facts, gaps
        self.program = program
        self.memo = self.new_memo(facts)

    @staticmethod
    def new_memo(facts: dict) -> _Memo:
        memo = _Memo()
        if "søknadsdato" in facts:
            memo[runtime.DATE_KEY] = facts["søknadsdato"]
        return memo

    def may_be_required(self, spec: T.FieldSpec) -> bool:
        """Whether a `påkrevd når` fact is, or may be, required by the facts known."""
        condition = self.policy.expression(spec.required_when)
        try:
            with localcontext(CONTEXT):
                return bool(condition(self.new_memo(self.facts), self.facts))
        except MissingFact:
            return True

    def domain(self, path_text: str) -> list[Any] | None:
        """Every value a missing fact can take, if there are few."""
        if path_text not in self.gaps.domains:
            return None
        _, spec = self.gaps.domains[path_text]
        if isinstance(spec.type, T.Bool):
            return [False, True]
        if isinstance(spec.type, T.Enum):
            return list(spec.type.values)
        return None

    def sample(self, path_text: str) -> Any:
        path, spec = self.gaps.domains[path_text]
        placeholder = self.gaps.placeholder(spec.type, spec)
        if isinstance(spec.type, T.Num):
            return Decimal(placeholder)
        if isinstance(spec.type, T.Date):
            return self.gaps.sample_date
        return _partial(placeholder, path)

    def explore(self, c, facts: dict, memo: dict, budget: list[int]) -> tuple[set[str], bool, list[str]]:
        """(possible results, whether an unenumerable fact was assumed, missing facts read)."""
        budget[0] -= 1
        try:
            with localcontext(CONTEXT):
                return {criterion_result(c, memo, facts)[0]}, False, []
        except MissingFact as e:
            path_text = e.path
        if path_text not in self.gaps.domains or budget[0] <= 0:
            return set(), True, [path_text]
        path = self.gaps.domains[path_text][0]
        values = self.domain(path_text)
        results, assumed, reads = set(), values is None, [path_text]
        for value in values if values is not None else [self.sample(path_text)]:
            changed = _filled(facts, path, value)
            r, a, more = self.explore(c, changed, self.new_memo(changed), budget)
            results |= r
            assumed |= a
            reads += [p for p in more if p not in reads]
        return results, assumed, reads

    def statuses(self, facts: dict | None = None) -> list[tuple[Any, str | None, list[str]]]:
        facts = self.facts if facts is None else facts
        memo = self.memo if facts is self.facts else self.new_memo(facts)
        out = []
        for c in self.program.criteria:
            results, assumed, reads = self.explore(c, facts, memo, [BUDGET])
            decided = results.pop() if len(results) == 1 and not assumed else None
            out.append((c, decided, reads))
        return out

    def outcome(self, statuses) -> str | None:
        """The outcome if it no longer depends on the undecided criteria, else None."""
        model = self.policy.model
        for rule in model.outcome_rules:
            relevant = [(c, r) for c, r, _ in statuses if c.definition.kind == rule.kind]
            if any(r == "ikke_oppfylt" for _, r in relevant):
                return rule.outcome
            if any(r is None for _, r in relevant):
                return None
        return model.outcome_default

    def explanation(self, c, result: str) -> str:
        try:
            with localcontext(CONTEXT):
                if result in c.explanations:
                    return c.explanations[result](self.memo, self.facts)
        except EvaluationError:
            pass
        return default_explanation(c.definition.title, result)


def missing_facts(policy, soknad: Any, unknown: tuple[str, ...] | list[str] = ()) -> Completeness:
    """What a partial søknad still needs. `unknown` marks given or defaulted facts as not yet known.

    Raises `SoknadError` for problems other than missing facts (a wrong type, an unknown key).
    """
    model = policy.model
    if not isinstance(soknad, dict):
        raise SoknadError([Problem("", "søknaden må være et JSON-objekt")])
    dates = [v.valid_from for p in model.parameters.values() for v in p.values]
    gaps = _Gaps(model.schema, set(unknown), max(dates, default=dt.date(2024, 1, 1)))
    unknown_paths = set(unknown) - {format_path(p) for p in _all_paths(model.schema, soknad)}
    if unknown_paths:
        raise SoknadError([Problem(p, "ukjent felt; kan ikke merkes som ukjent") for p in sorted(unknown_paths)])
    filled = gaps.record(model.schema, soknad, ())
    facts = _remove(policy.validate(filled), gaps.missing, gaps.conditional)
    ordning = facts["ordning"] if "ordning" in facts else ""
    analysis = _Analysis(policy, facts, gaps, policy.program(ordning, "compiled"))
    gaps.conditional = [p for p in gaps.conditional if analysis.may_be_required(gaps.domains[format_path(p)][1])]
    statuses = analysis.statuses()
    utfall = analysis.outcome(statuses)
    needed: list[str] = []
    if utfall is None:
        needed = _ranked(analysis, statuses)
    vilkår = tuple(
        Status(c.definition.id, c.definition.title, c.definition.kind, c.definition.hjemmel, r,
               analysis.explanation(c, r) if r is not None else "", tuple(reads) if r is None else ())
        for c, r, reads in statuses)
    missing = tuple(format_path(p) for p in sorted([*gaps.missing, *gaps.conditional], key=_order(model.schema)))
    descriptions = {p: gaps.domains[p][1].doc for p in [*missing, *needed] if p in gaps.domains and gaps.domains[p][1].doc}
    return Completeness(missing, tuple(needed), utfall, vilkår, descriptions)


def _ranked(analysis: _Analysis, statuses) -> list[str]:
    kinds = {rule.kind for rule in analysis.policy.model.outcome_rules}
    readers: dict[str, int] = {}
    for c, r, reads in statuses:
        if r is None and c.definition.kind in kinds:
            for p in reads:
                readers[p] = readers.get(p, 0) + 1
    order = _order(analysis.policy.model.schema)

    def decisive_alone(path_text: str) -> bool:
        if path_text not in analysis.gaps.domains:
            return False
        path = analysis.gaps.domains[path_text][0]
        values = analysis.domain(path_text)
        if values is None:
            spec = analysis.gaps.domains[path_text][1]
            values = list(SAMPLES) if isinstance(spec.type, T.Num) else []
        return any(analysis.outcome(analysis.statuses(_filled(analysis.facts, path, v))) is not None
                   for v in values)

    def key(path_text: str):
        place = order(analysis.gaps.domains[path_text][0]) if path_text in analysis.gaps.domains else (1 << 30,)
        return (not decisive_alone(path_text), -readers[path_text], place)

    return sorted(readers, key=key)


def _order(schema: T.Record):
    """Sort key: a path's position in the søknad schema (list indices in order)."""
    def key(path: Path) -> tuple:
        out, record = [], schema
        for part in path:
            if isinstance(part, int):
                out.append(part)
                continue
            names = list(record.fields) if isinstance(record, T.Record) else []
            out.append(names.index(part) if part in names else len(names))
            t = record.fields[part].type if isinstance(record, T.Record) and part in record.fields else None
            record = t.element if isinstance(t, T.ListOf) else t
        return tuple(out)
    return key


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
