"""What would change the outcome: the smallest change to one fact that gives the default outcome.

The search runs over the policy itself. The facts a policy lets the letter suggest are its
`endring` declarations (levers). Only levers that every criterion blocking the outcome can
depend on are tried (`facts.Dependencies`). For each, the change is searched one fact at a
time, in the lever's steps: a doubling search finds a change that works, and bisection then finds
the smallest. Every change reported has been checked by evaluating the søknad again with
it, and the change one step smaller has been evaluated and does not work. The search assumes
that a larger change never hurts between the points it probes, which holds for the amounts in
the shipped policies; the re-evaluation guarantees that what is reported is true.

When no single change gives the outcome, the same search is run for each blocking criterion on
its own, so the letter can say what each would need.
"""

from __future__ import annotations

import weakref
from decimal import Decimal
from typing import Any, Callable

import attrs

from boligregler.evaluation.decision import CriterionResult
from boligregler.explain import facts as P
from boligregler.explain.basis import Basis
from boligregler.explain.evaluate import Texts, outcome
from boligregler.model.policy import CheckedPolicy, Lever, SchemeDef
from boligregler.money import money_json

LIMIT = Decimal(1_000_000_000)  # the largest change tried for a fact without an upper bound
Goal = Callable[[str, list[CriterionResult]], bool]


@attrs.frozen
class Change:
    """One fact changed: from `old` to `new`, worded by the policy's `endring` text."""

    fact: str
    kind: str
    old: Any
    new: Any
    size: Any  # how much an amount or count changed; the new value for sannhet and valg
    increased: bool
    text: str
    lever: Lever = attrs.field(eq=False, repr=False)

    def applied(self, facts: dict, size: Decimal | None = None) -> dict:
        """`facts` with this change made, or for an amount or count with a change of `size` instead."""
        if self.kind == "ny_linje":
            line = {**self.lever.new_item, self.lever.item_field: self.size if size is None else size}
            return P.with_line(facts, self.lever.path, line)
        if size is None or self.kind in ("sannhet", "valg"):
            return P.with_value(facts, self.lever.path, self.new)
        return P.with_value(facts, self.lever.path, self.old + size if self.increased else self.old - size)

    def to_dict(self) -> dict[str, Any]:
        return {"opplysning": self.fact, "fra": _json(self.old), "til": _json(self.new),
                "endring": _json(self.size), "tekst": self.text}


@attrs.frozen
class WhatIf:
    """The single changes that give `target`, or, if there are none, what each blocking criterion needs."""

    utfall: str
    target: str
    changes: tuple[Change, ...]
    per_criterion: tuple[tuple[CriterionResult, tuple[Change, ...]], ...] = ()

    @property
    def none_suffices(self) -> bool:
        return self.utfall != self.target and not self.changes

    def to_dict(self) -> dict[str, Any]:
        return {
            "mål": self.target,
            "endringer": [c.to_dict() for c in self.changes],
            "ingen_enkelt_endring": self.none_suffices,
            "per_vilkår": [{"vilkår": c.id, "endringer": [x.to_dict() for x in changes]}
                           for c, changes in self.per_criterion],
        }


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money_json(value)
    return value


_dependencies: "weakref.WeakKeyDictionary[CheckedPolicy, dict[str, P.Dependencies]]" = weakref.WeakKeyDictionary()


def dependencies(model: CheckedPolicy, scheme: SchemeDef) -> P.Dependencies:
    per_scheme = _dependencies.setdefault(model, {})
    if scheme.id not in per_scheme:
        per_scheme[scheme.id] = P.Dependencies(model, scheme)
    return per_scheme[scheme.id]


def what_would_change(decision) -> WhatIf:
    """For an avslag or manuell_vurdering: the smallest single changes that give innvilget."""
    basis: Basis = decision.basis
    model = basis.policy.model
    target = model.outcome_default
    if decision.utfall == target:
        return WhatIf(decision.utfall, target, ())
    kinds = {rule.kind for rule in model.outcome_rules}
    blocking = [r for r in decision.vilkår if r.resultat == "ikke_oppfylt" and r.art in kinds]
    deps = dependencies(model, basis.program.scheme)
    reads = {c.id: deps.criterion(c) for c in basis.program.scheme.criteria}

    def touching(ids: list[str]) -> list[Lever]:
        # `ordning` picks the scheme, so changing it can change every criterion
        return [lever for lever in model.levers if lever.path == ("ordning",)
                or all(any(P.overlaps(lever.path, p) for p in reads[cid]) for cid in ids)]

    search = Search(basis)
    changes = search.all(touching([r.id for r in blocking]), lambda utfall, _: utfall == target)
    if changes or not blocking:
        return WhatIf(decision.utfall, target, changes)
    failing = {r.id for r in blocking}
    per_criterion = tuple((r, search.all(touching([r.id]), _fixes(r.id, failing, kinds))) for r in blocking)
    return WhatIf(decision.utfall, target, (), per_criterion)


def _fixes(cid: str, failing: set[str], kinds: set[str]) -> Goal:
    """The goal of meeting criterion `cid` without any criterion that was met failing instead."""
    def goal(_utfall: str, results: list[CriterionResult]) -> bool:
        now = {r.id for r in results if r.resultat == "ikke_oppfylt" and r.art in kinds}
        return cid not in now and now <= failing and any(r.id == cid for r in results)
    return goal


class Search:
    """Searches one lever at a time for the smallest change that reaches a goal."""

    def __init__(self, basis: Basis):
        self.basis = basis
        self.policy = basis.policy
        self.facts = basis.facts
        self.texts = Texts(basis)

    def all(self, levers: list[Lever], goal: Goal) -> tuple[Change, ...]:
        found = (self.lever(lever, goal) for lever in levers if self.texts.holds(lever.condition))
        return tuple(c for c in found if c is not None)

    def reaches(self, facts: dict, goal: Goal) -> bool:
        return goal(*outcome(self.policy, facts))

    def lever(self, lever: Lever, goal: Goal) -> Change | None:
        spec = P.spec_of(self.policy.model.schema, lever.path)
        if lever.kind == "ny_linje":
            return self._new_line(lever, goal)
        current = P.get(self.facts, lever.path)
        if current is None:
            return None
        if lever.kind in ("sannhet", "valg"):
            if lever.target is not None:
                options = [lever.target]
            else:
                options = [not current] if lever.kind == "sannhet" else list(spec.type.values)
            for new in options:
                changed = P.with_value(self.facts, lever.path, new)
                if new != current and self.reaches(changed, goal):
                    return self._change(lever, current, new, new, new is True, changed, goal)
            return None
        low = spec.low if spec.low is not None else Decimal(0)
        high = spec.high
        best = None
        for sign, room in ((1, (high - current) if high is not None else LIMIT), (-1, current - low)):
            size = _smallest(lambda d: self.reaches(P.with_value(self.facts, lever.path, current + sign * d), goal),
                             lever.step, room)
            if size is not None and (best is None or size < best[1]):
                best = (sign, size)
        if best is None:
            return None
        sign, size = best
        new = current + sign * size
        return self._change(lever, current, new, size, sign > 0, P.with_value(self.facts, lever.path, new), goal)

    def _new_line(self, lever: Lever, goal: Goal) -> Change | None:
        def line(amount: Decimal) -> dict:
            return P.with_line(self.facts, lever.path, {**lever.new_item, lever.item_field: amount})

        size = _smallest(lambda d: self.reaches(line(d), goal), lever.step, LIMIT)
        if size is None:
            return None
        return self._change(lever, None, size, size, True, line(size), goal)

    def _change(self, lever: Lever, old, new, size, increased: bool, changed: dict, goal: Goal) -> Change | None:
        """The change, if evaluating the søknad again with it confirms the goal."""
        decision = self.policy.evaluate_facts(changed, explain=False)
        if not goal(decision.utfall, list(decision.vilkår)):
            return None
        text = self.texts.render(lever.template, {"endring": size, "ny_verdi": new, "økning": increased})
        return Change(lever.name, lever.kind, old, new, size, increased, text, lever)


def _smallest(works: Callable[[Decimal], bool], step: Decimal, room: Decimal) -> Decimal | None:
    """The smallest k·step (1 ≤ k, k·step ≤ room) for which `works` holds, or None.

    Doubles k until the change works, then bisects between the last change that did not work
    and the first that did; the result works, and one step less does not.
    """
    most = int(room // step)
    if most < 1:
        return None
    failing, k = 0, 1
    while not works(k * step):
        if k == most:
            return None
        failing, k = k, min(2 * k, most)
    while k - failing > 1:
        middle = (failing + k) // 2
        if works(middle * step):
            k = middle
        else:
            failing = middle
    return k * step
