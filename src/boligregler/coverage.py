"""Which parts of a policy its examples exercise (`boligregler test --dekning`).

`coverage(policy)` runs every example of the policy through the reference interpreter with a
tracer and counts, per policy of the `bygger på` chain (the policy itself and what it inherits):

* each criterion's results: `oppfylt`, `ikke_oppfylt` (unless the criterion is `oppfylt når
  sann`), each `unntak` letter, `ikke_relevant` (when it has `relevant når`), `ikke_vurdert`
  (when it reads, directly or through computations, a fact that may be absent: `oppgis av …`),
  and any other result an example produced;
* the outcomes of the outcome rule, `ikke_avgjort` when a criterion can be `ikke_vurdert` or the
  vedtak record reads such a fact, and any other outcome an example produced;
* both branches (`så`, `ellers`) of every `hvis` in computations, criteria, explanation texts
  and the vedtak record;
* every row of every version of every table.

The site shows the same data per policy (`Coverage.to_dict`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from boligregler.api import Policy
from boligregler.diagnostics import BoligreglerError
from boligregler.evaluation.interpreter import Interpreter, interpret_scheme
from boligregler.model import types as T
from boligregler.model.lint.flow import Reads
from boligregler.model.policy import CheckedPolicy, CriterionDef, ExampleDef, Origin, SchemeDef
from boligregler.money import format_number
from boligregler.syntax import ast

KINDS = {"vilkår": "vilkårsresultater", "utfall": "utfall", "hvis": "hvis-grener", "tabell": "tabellrader"}


@attrs.frozen
class Point:
    """One thing an example can exercise, e.g. criterion `behovsprøving` with result `unntak a`."""

    kind: str  # vilkår | utfall | hvis | tabell
    policy: str  # the policy of the chain that defines it
    name: str  # criterion, table or definition name; "utfall" for outcomes
    value: str  # the result, outcome, branch (så/ellers) or row
    location: str  # file:line:col, or "" when unknown
    covered_by: tuple[str, ...]  # names of the examples that exercise it

    @property
    def covered(self) -> bool:
        return bool(self.covered_by)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "regelverk": self.policy, "navn": self.name, "verdi": self.value,
                "sted": self.location, "dekket": self.covered, "eksempler": list(self.covered_by)}


def _percent(covered: int, total: int) -> float:
    return round(100 * covered / total, 1) if total else 100.0


@attrs.frozen
class Coverage:
    policy: str
    chain: tuple[str, ...]
    examples: tuple[str, ...]
    failed: tuple[str, ...]  # examples whose søknad could not be assessed (not counted)
    points: tuple[Point, ...]

    @property
    def covered(self) -> int:
        return sum(p.covered for p in self.points)

    @property
    def percent(self) -> float:
        return _percent(self.covered, len(self.points))

    def of(self, policy: str | None = None, kind: str | None = None) -> list[Point]:
        return [p for p in self.points if (policy is None or p.policy == policy) and (kind is None or p.kind == kind)]

    def percent_of(self, policy: str | None = None, kind: str | None = None) -> float:
        points = self.of(policy, kind)
        return _percent(sum(p.covered for p in points), len(points))

    def to_dict(self) -> dict[str, Any]:
        per_policy = {}
        for pid in self.chain:
            points = self.of(pid)
            per_policy[pid] = {
                "dekket": sum(p.covered for p in points), "totalt": len(points),
                "prosent": self.percent_of(pid),
                "per_type": {kind: {"dekket": sum(p.covered for p in self.of(pid, kind)),
                                    "totalt": len(self.of(pid, kind))} for kind in KINDS},
            }
        return {"regelverk": self.policy, "eksempler": list(self.examples), "kunne_ikke_vurderes": list(self.failed),
                "dekket": self.covered, "totalt": len(self.points), "prosent": self.percent,
                "per_regelverk": per_policy, "punkter": [p.to_dict() for p in self.points]}

    def to_text(self, *, details: bool = True) -> str:
        lines = [f"Dekning for {self.policy} ({len(self.examples)} eksempler): {percent_text(self.percent)} "
                 f"({self.covered} av {len(self.points)})"]
        for pid in reversed(self.chain):
            points = self.of(pid)
            if not points:
                continue
            label = pid if pid == self.policy else f"{pid} (arvet)"
            parts = ", ".join(f"{KINDS[k]} {sum(p.covered for p in self.of(pid, k))}/{len(self.of(pid, k))}"
                              for k in KINDS if self.of(pid, k))
            lines.append(f"  {label}: {percent_text(self.percent_of(pid))} ({parts})")
            if details:
                for p in points:
                    if not p.covered:
                        where = f" ({p.location})" if p.location else ""
                        lines.append(f"    ikke dekket: {describe_point(p)}{where}")
        if self.failed:
            lines.append(f"  eksempler som ikke kunne vurderes (ikke talt med): {', '.join(self.failed)}")
        return "\n".join(lines)


def percent_text(value: float) -> str:
    return f"{value:.1f} %".replace(".", ",")


def describe_point(p: Point) -> str:
    if p.kind == "vilkår":
        return f"vilkår {p.name}: {p.value.replace('_', ' ')}"
    if p.kind == "utfall":
        return f"utfall {p.value.replace('_', ' ')}"
    if p.kind == "hvis":
        return f"hvis i {p.name}: grenen «{p.value}»"
    return f"tabell {p.name}: {p.value}"


# ---- tracing -----------------------------------------------------------------------------------


class _Tracer(Interpreter):
    """The reference interpreter, noting each `hvis` branch and table row it takes."""

    def __init__(self, policy, scheme, lookup, hits: set):
        super().__init__(policy, scheme, lookup)
        self.hits = hits

    def eval(self, e, M, F, local):
        if isinstance(e, ast.If):
            branch = bool(self.eval(e.condition, M, F, local))
            self.hits.add(("hvis", id(e), branch))
            return self.eval(e.then if branch else e.otherwise, M, F, local)
        if isinstance(e, ast.Lookup) and isinstance(e.table, ast.Name):
            keys = tuple(self.eval(k, M, F, local) for k in e.keys)
            version, row = self.lookup.row(M, e.table.name, keys)
            self.hits.add(("tabell", e.table.name, version, row))
            return self.lookup.table(M, e.table.name, *keys)
        return super().eval(e, M, F, local)


def coverage(policy: Policy, examples: Iterable[ExampleDef] | None = None) -> Coverage:
    """Run `examples` (default: all the policy's own) and report what they exercise."""
    model = policy.model
    examples = tuple(model.examples if examples is None else examples)
    hits: set = set()
    traced = Policy(model, lambda m, s, lookup: interpret_scheme(m, s, lookup, lambda *a: _Tracer(*a, hits)))
    by_example: dict[Any, list[str]] = {}
    ran, failed = [], []
    for ex in examples:
        hits.clear()
        try:
            decision = traced.evaluate(ex.input or {})
        except BoligreglerError:
            failed.append(ex.name)
            continue
        ran.append(ex.name)
        for c in decision.vilkår:
            hits.add(("vilkår", c.id, f"unntak {c.unntak}" if c.resultat == "unntak" else c.resultat))
        hits.add(("utfall", decision.utfall))
        for hit in hits:
            by_example.setdefault(hit, []).append(ex.name)
    points = [attrs.evolve(p, covered_by=tuple(by_example.get(key, ())))
              for key, p in _points(model, {h for h in by_example})]
    return Coverage(model.id, model.chain, tuple(ran), tuple(failed), tuple(points))


def _where(origin: Origin | None, span) -> str:
    if origin is None or not origin.file:
        return ""
    path = Path(origin.file)
    with contextlib.suppress(ValueError):
        path = path.resolve().relative_to(Path.cwd())
    span = span or origin.span
    return f"{path}:{span.line}:{span.column}" if span else str(path)


def _points(model: CheckedPolicy, seen: set) -> Iterator[tuple[Any, Point]]:
    """Every point of `model` with the key its hit has; results seen but not foreseen are added."""
    criteria: dict[str, tuple[CriterionDef, SchemeDef]] = {}
    for scheme in [model.base_scheme, *model.schemes.values()]:
        for c in scheme.criteria:
            criteria.setdefault(c.id, (c, scheme))
    unassessable = {cid for cid, (c, scheme) in criteria.items() if _reads_absent_fact(model, scheme, _conditions(c))}
    for cid, (c, _) in criteria.items():
        origin = c.origin
        results = ["oppfylt"]
        if not (isinstance(c.condition, ast.Boolean) and c.condition.value):
            results.append("ikke_oppfylt")
        results += [f"unntak {e.letter}" for e in c.exceptions]
        if c.relevance is not None:
            results.append("ikke_relevant")
        if cid in unassessable:
            results.append("ikke_vurdert")
        results += sorted(h[2] for h in seen if h[0] == "vilkår" and h[1] == cid and h[2] not in results)
        for r in results:
            yield ("vilkår", cid, r), Point("vilkår", origin.policy if origin else model.id, cid, r,
                                            _where(origin, None), ())
    outcome_origin = _defined_in(model, "utfall")
    outcomes = list(dict.fromkeys([r.outcome for r in model.outcome_rules] + [model.outcome_default]))
    if "ikke_avgjort" not in outcomes and (
            unassessable or _reads_absent_fact(model, model.base_scheme, [expr for _, expr in model.decision])):
        outcomes.append("ikke_avgjort")
    outcomes += sorted(h[1] for h in seen if h[0] == "utfall" and h[1] not in outcomes)
    for o in outcomes:
        yield ("utfall", o), Point("utfall", outcome_origin.policy, "utfall", o, _where(outcome_origin, None), ())
    done: set[int] = set()
    for name, origin, expr in _expressions(model):
        for node in _ifs(expr):
            if id(node) in done:
                continue
            done.add(id(node))
            for branch, word in ((True, "så"), (False, "ellers")):
                yield ("hvis", id(node), branch), Point("hvis", origin.policy if origin else model.id, name, word,
                                                       _where(origin, node.span), ())
    for name, table in model.tables.items():
        for v, version in enumerate(table.versions):
            for r, (keys, _) in enumerate(version.rows):
                shown = ", ".join(_key_text(k) for k in keys)
                yield ("tabell", name, v, r), Point(
                    "tabell", table.origin.policy, name, f"fra {version.valid_from.isoformat()}: {shown}",
                    _where(table.origin, version.span), ())


def _conditions(c: CriterionDef) -> list:
    return [c.condition, c.relevance, *(e.condition for e in c.exceptions)]


def _reads_absent_fact(model: CheckedPolicy, scheme: SchemeDef, exprs: list) -> bool:
    """Whether `exprs` read, directly or through computations, a fact that may be absent (`oppgis av`)."""
    reads = Reads(model, scheme)
    return any(_may_be_absent(model, path) for e in exprs if e is not None for path in reads.facts(e))


def _may_be_absent(model: CheckedPolicy, path: str) -> bool:
    fields = model.schema.fields
    for part in path.split("."):
        spec = fields.get(part)
        if spec is None:
            return False
        if spec.provided_by is not None:
            return True
        inner = spec.type.element if isinstance(spec.type, T.ListOf) else spec.type
        fields = inner.fields if isinstance(inner, T.Record) else {}
    return False


def _key_text(key) -> str:
    if isinstance(key, str):
        return key
    low, high = key
    return (f"{format_number(low)} og over" if high is None else format_number(low) if low == high
            else f"{format_number(low)} til {format_number(high)}")


def _expressions(model: CheckedPolicy) -> Iterator[tuple[str, Origin | None, Any]]:
    """(definition name, origin, expression or template) of everything a program evaluates."""
    for scheme in [model.base_scheme, *model.schemes.values()]:
        for name, comp in scheme.computations.items():
            yield name, comp.origin, comp.expr
        for c in scheme.criteria:
            yield c.id, c.origin, c.condition
            yield c.id, c.origin, c.relevance
            for t in c.explanations.values():
                yield c.id, c.origin, t
            for e in c.exceptions:
                yield c.id, c.origin, e.condition
                yield c.id, c.origin, e.explanation
    where = _defined_in(model, "vedtak")
    for key, expr in model.decision:
        yield f"vedtak.{key}", where, expr


def _defined_in(model: CheckedPolicy, block: str) -> Origin:
    """The file of the chain with the top-level `utfall` or `vedtak` block (each is written once)."""
    for pid, (path, text) in zip(model.chain, model.sources.items()):
        if re.search(rf"^{block}\s*{{", text, re.M):
            return Origin(pid, path, None)
    return Origin(model.id, "", None)


def _ifs(root) -> Iterator[ast.If]:
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or isinstance(node, (str, int, dt.date)) or not hasattr(node, "__attrs_attrs__"):
            if isinstance(node, tuple):
                stack.extend(node)
            continue
        if isinstance(node, ast.If):
            yield node
        for a in node.__attrs_attrs__:
            if a.name != "span":
                stack.append(getattr(node, a.name))
