"""What would change the outcome: the smallest change to one fact that gives the default outcome.

The search runs over the policy itself. The facts a policy lets the letter suggest are its
`endring` declarations (levers). Only levers that every criterion blocking the outcome can
depend on are tried (`facts.Dependencies`, analysed once per policy and scheme). Every probe runs
only the criteria the change must meet, over a memo seeded with the parameters and the
computations the change cannot alter. For an amount, the threshold is solved from the gap of
those criteria (`Search.threshold`: the line through two distant points of the compiled
comparison, which is linear between the model's roundings, then the exact step near the line's
root, where a coarse rounding such as «nedrundet til hele tusen» makes the gap a staircase: the
point where the rounded quantity crosses its next multiple, from the rounding's mode and the
values it rounded at two changes) and verified: met at the change, not one step less. The whole assessment is then run once
at the change found; where another criterion fails there instead, it joins the probed ones and
the search goes on from that change. Where the gap cannot be solved, a doubling search and
bisection on the criteria find the change instead. Every change reported has been confirmed by a
whole assessment, and the change one step smaller fails a criterion it must meet. The search
assumes that a larger change never hurts between the points it probes, which holds for the
amounts in the shipped policies; the confirmation guarantees that what is reported is true.

When no single change gives the outcome, the same search is run for each blocking criterion on
its own, so the letter can say what each would need.
"""

from __future__ import annotations

import math
import threading
import weakref
from decimal import Decimal, localcontext
from typing import Any, Callable

import attrs

from boligregler.evaluation import runtime
from boligregler.evaluation.compiler import compile_expression, compile_scheme
from boligregler.evaluation.decision import CriterionResult, criterion_result, decide
from boligregler.evaluation.runtime import NotAssessed, given
from boligregler.explain import facts as P
from boligregler.explain.basis import Basis
from boligregler.explain.evaluate import Texts, outcome
from boligregler.model.policy import CheckedPolicy, Lever, SchemeDef
from boligregler.money import CONTEXT, money_json
from boligregler.syntax import ast

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
    """The single changes that give `target`; if there are none, what each blocking criterion needs
    and the combinations of changes that together give `target`."""

    utfall: str
    target: str
    changes: tuple[Change, ...]
    per_criterion: tuple[tuple[CriterionResult, tuple[Change, ...]], ...] = ()
    combinations: tuple[tuple[Change, ...], ...] = ()

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
            "kombinasjoner": [[c.to_dict() for c in combo] for combo in self.combinations],
        }


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money_json(value)
    return value


_dependencies: "weakref.WeakKeyDictionary[CheckedPolicy, dict[str, P.Dependencies]]" = weakref.WeakKeyDictionary()


def dependencies(model: CheckedPolicy, scheme: SchemeDef) -> P.Dependencies:
    per_scheme = _dependencies.setdefault(model, {})
    if scheme.id not in per_scheme:
        per_scheme[scheme.id] = P.Dependencies(model, scheme, model.levers)
    return per_scheme[scheme.id]


def seed(basis: Basis, paths: frozenset[P.Path]) -> dict:
    """A memo for the decision's facts changed at most at `paths`: the parameters and every computation the
    decision made that reads none of those paths (copy it before use). Made once per set of paths and decision."""
    memo = basis.seeds.get(paths)
    if memo is None:
        known = basis.seeds.get(None)  # the parameters and computations of the decision, without its other keys
        if known is None:
            known = basis.seeds[None] = {key: value for key, value in basis.memo.items() if key[:2] in ("c:", "p:")}
            known[runtime.DATE_KEY] = basis.facts["søknadsdato"]
        affected = dependencies(basis.policy.model, basis.program.scheme).affected(paths)
        # built without the affected keys rather than by removing them: a dict without deleted entries copies fast
        memo = {key: value for key, value in known.items() if key not in affected}
        basis.seeds[paths] = memo
    return memo


def what_would_change(decision, texts: Texts | None = None) -> WhatIf:
    """For an avslag or manuell_vurdering: the smallest single changes that give innvilget, or else
    what each blocking criterion needs and the combinations that together give innvilget. `texts`:
    the decision's letter texts, when the letter has them already."""
    with localcontext(CONTEXT):
        return _what_would_change(decision, texts)


def _what_would_change(decision, texts: Texts | None) -> WhatIf:
    basis: Basis = decision.basis
    model = basis.policy.model
    target = model.outcome_default
    if decision.utfall == target:
        return WhatIf(decision.utfall, target, ())
    if decision.utfall == "ikke_avgjort":  # the facts it waits for come first; nothing to search yet
        return WhatIf(decision.utfall, decision.utfall, ())
    kinds = {rule.kind for rule in model.outcome_rules}
    blocking = [r for r in decision.vilkår if r.resultat == "ikke_oppfylt" and r.art in kinds]
    touching = dependencies(model, basis.program.scheme).levers_touching
    search = Search(basis, frozenset(r.id for r in decision.vilkår if r.resultat == "ikke_oppfylt"), texts=texts,
                    results=decision.vilkår)
    ids = [r.id for r in blocking]
    reached = lambda utfall, _: utfall == target  # noqa: E731
    changes = search.all(touching(ids), reached, ids)
    if changes or not blocking:
        return WhatIf(decision.utfall, target, changes)
    failing = set(ids)
    per_criterion = tuple((r, search.all(touching([r.id]), _fixes(r.id, failing, kinds), [r.id])) for r in blocking)
    combinations = search.combinations(per_criterion, touching, reached, ids)
    return WhatIf(decision.utfall, target, (), per_criterion, combinations)


class _Observed(threading.local):
    calls: list | None = None  # where the roundings made on this thread go, while a search observes them


_OBSERVED = _Observed()


def _observed_rounding(value: Any, unit: Decimal, mode: str) -> Decimal:
    """`runtime.rounded`, which also records (value, unit, mode, result) while a search observes this thread."""
    result = runtime.rounded(value, unit, mode)
    if _OBSERVED.calls is not None:
        _OBSERVED.calls.append((value, unit, mode, result))
    return result


@attrs.frozen
class Observed:
    """A scheme compiled with the rounding the search observes: its criteria by id, and for each criterion
    that compares two amounts, its two sides and whether the left must be below the right."""

    criteria: dict[str, Any]
    comparisons: dict[str, tuple[Callable, Callable, bool] | None]


_observed: "weakref.WeakKeyDictionary[Any, dict[str, Observed]]" = weakref.WeakKeyDictionary()


def observed(policy: Any, scheme: SchemeDef) -> Observed:
    """The scheme compiled with `_observed_rounding`, once per policy and scheme."""
    per_scheme = _observed.setdefault(policy, {})
    if scheme.id not in per_scheme:
        program = compile_scheme(policy.model, scheme, policy.lookup, _observed_rounding)
        comparisons: dict[str, tuple[Callable, Callable, bool] | None] = {}
        for c in scheme.criteria:
            condition = c.condition
            comparisons[c.id] = None
            if isinstance(condition, ast.Compare) and condition.op in ("<=", "<", ">=", ">"):
                comparisons[c.id] = tuple(compile_expression(policy.model, program, policy.lookup, side,
                                                             rounding=_observed_rounding)
                                          for side in (condition.left, condition.right)) + (condition.op in ("<=", "<"),)
        per_scheme[scheme.id] = Observed({c.definition.id: c for c in program.criteria}, comparisons)
    return per_scheme[scheme.id]


class _Unsolvable(Exception):
    """The gap of a criterion cannot be had at a change (see `Search.threshold`)."""


def _fixes(cid: str, failing: set[str], kinds: set[str]) -> Goal:
    """The goal of meeting criterion `cid` without any criterion that was met failing instead."""
    def goal(_utfall: str, results: list[CriterionResult]) -> bool:
        now = {r.id for r in results if r.resultat == "ikke_oppfylt" and r.art in kinds}
        return cid not in now and now <= failing and any(r.id == cid for r in results)
    return goal


class Search:
    """Searches one lever at a time for the smallest change that reaches a goal.

    A probe runs only the criteria the goal needs (`needed`), over a memo seeded with what the
    change cannot alter (`seed`), at a fraction of a whole assessment. For an amount, where those
    criteria compare two amounts, the threshold is solved from the gap (`threshold`) rather than
    searched; only where that fails does a doubling search and bisection on the criteria run.
    """

    def __init__(self, basis: Basis, failing: frozenset[str], facts: dict | None = None,
                 changed: frozenset[P.Path] = frozenset(), texts: Texts | None = None,
                 results: list[CriterionResult] | None = None):
        self.basis = basis
        self.results = results  # the decision's criterion results (None: not known; every outcome is then assessed)
        self.policy = basis.policy
        self.facts = basis.facts if facts is None else facts
        self.changed = changed  # the paths at which `facts` differs from the decision's facts
        self.texts = Texts(basis) if texts is None else texts
        self.ordning = self.facts.get("ordning", "")
        self.program = self.policy.program(self.ordning, "compiled")
        self.compiled = {c.definition.id: c for c in self.program.criteria}
        self.failing = failing  # the criteria not met in the decision, which a goal may leave unmet
        self._base_gaps: dict[tuple[str, ...], tuple[Decimal | None, list]] = {}
        self._reach: dict[frozenset[P.Path], frozenset[str] | None] = {}
        self._memos: dict[int, tuple[dict, dict]] = {}  # id(facts) → (facts, their memo); see `memo`
        self.observed = observed(self.policy, self.program.scheme)
        self._own_scheme = self.ordning == self.basis.facts.get("ordning", "")  # the decision's scheme
        self._position = {r.id: i for i, r in enumerate(results or ())}

    def seed(self, paths: frozenset[P.Path] | None) -> dict:
        """A memo for facts that differ from the decision's at most at `paths` (and `changed`; see `seed`).
        None: the paths are not known, so nothing is carried over."""
        if paths is None or not self._own_scheme:
            return {runtime.DATE_KEY: self.facts["søknadsdato"]}
        return seed(self.basis, paths | self.changed if self.changed else paths)

    def memo(self, facts: dict, paths: frozenset[P.Path] | None) -> dict:
        """The memo for `facts` (which differ from the search's at most at `paths`): the one an earlier probe of
        these very facts filled (a gap and then the criteria at the same change compute the amounts once),
        else a copy of the seed. The facts are kept with it, so their id is not reused while it is known."""
        known = self._memos.get(id(facts))
        if known is not None and known[0] is facts:
            return known[1]
        M = dict(self.seed(paths))
        self._memos[id(facts)] = (facts, M)
        return M

    def all(self, levers: list[Lever], goal: Goal, needed: list[str] = ()) -> tuple[Change, ...]:
        found = (self.lever(lever, goal, needed) for lever in levers if self.texts.holds(lever.condition))
        return tuple(c for c in found if c is not None)

    def passes(self, facts: dict, needed, paths: frozenset[P.Path] | None = None) -> bool:
        """Whether every criterion in `needed` is met (or met by an exception) for `facts`, which differ
        from the search's facts at most at `paths` (None: anywhere)."""
        M = self.memo(facts, paths)
        try:
            return all(criterion_result(self.compiled[cid], M, facts)[0] != "ikke_oppfylt" for cid in needed)
        except NotAssessed:  # the criterion waits for a fact not yet assessed: let the full evaluation judge
            return True

    def reaches(self, facts: dict, goal: Goal, needed=(), paths: frozenset[P.Path] | None = None) -> bool:
        """Whether `facts` (which differ from the search's at most at `paths`; None: anywhere) reach `goal`:
        the criteria in `needed` first, then the outcome (`judged`)."""
        if facts.get("ordning", "") != self.ordning:
            return goal(*outcome(self.policy, facts))
        M = self.memo(facts, paths)
        own: dict[str, tuple[str, str | None]] = {}
        try:
            for cid in needed:
                own[cid] = criterion_result(self.compiled[cid], M, facts)
                if own[cid][0] == "ikke_oppfylt":
                    return False
        except NotAssessed:  # the criterion waits for a fact not yet assessed: let the whole assessment judge
            return goal(*outcome(self.policy, facts, self.seed(paths)))
        return goal(*self.judged(facts, paths, M, own))

    def judged(self, facts: dict, paths: frozenset[P.Path] | None, M: dict | None = None,
               own: dict | None = None) -> tuple[str, list[CriterionResult]]:
        """The outcome and criterion results for `facts`, which differ from the search's at most at `paths`:
        the criteria a changed fact can reach evaluated (over memo `M`, with the results `own` already has),
        the decision's results for the others, which read none of the changed facts. A whole assessment where
        that cannot be had: paths not known or not all levers, another scheme, a criterion waiting for a fact."""
        reached = self._reached(paths)
        if reached is not None and facts.get("ordning", "") == self.ordning:
            M = self.memo(facts, paths) if M is None else M
            own = dict(own or {})
            try:
                for cid in reached:
                    if cid not in own:
                        own[cid] = criterion_result(self.compiled[cid], M, facts)
            except NotAssessed:
                reached = None
            if reached is not None:
                results = list(self.results)
                for cid, (resultat, unntak) in own.items():
                    i = self._position.get(cid)
                    if i is not None and (results[i].resultat, results[i].unntak) != (resultat, unntak):
                        results[i] = attrs.evolve(results[i], resultat=resultat, unntak=unntak)
                return decide(self.policy.model.outcome_rules, self.policy.model.outcome_default, results), results
        return outcome(self.policy, facts, self.seed(paths) if facts.get("ordning", "") == self.ordning else None)

    def _reached(self, paths: frozenset[P.Path] | None) -> frozenset[str] | None:
        """The criteria a change at `paths` (and `changed`) can reach, when the search knows the decision's
        results for its scheme and every changed path is a lever's; else None."""
        if paths is None or self.results is None or not self._own_scheme:
            return None
        paths = paths | self.changed if self.changed else paths
        if paths not in self._reach:
            deps = dependencies(self.policy.model, self.program.scheme)
            levers = [lever for lever in self.policy.model.levers if lever.path in paths]
            self._reach[paths] = frozenset().union(*(deps.touching(lv) for lv in levers)) \
                if len({lv.path for lv in levers}) == len(paths) else None
        return self._reach[paths]

    def gap(self, facts: dict, needed, paths: frozenset[P.Path] | None = None,
            calls: list | None = None) -> Decimal | None:
        """The smallest margin by which a criterion in `needed` that compares two amounts is met (negative:
        missed); a criterion that is not such a comparison must be met. None where there is no such margin.
        `calls` (a list) receives the roundings made on the way, (value, unit, mode, result) in order (see
        `_crossing`). The søknad as it is (where both directions of every lever start) is compared once
        per set of criteria."""
        if facts is not self.facts:
            return self.compare(facts, needed, paths, calls)
        key = tuple(needed)
        if key not in self._base_gaps:
            made: list = []
            self._base_gaps[key] = (self.compare(facts, needed, paths, made), made)
        value, made = self._base_gaps[key]
        if calls is not None:
            calls.extend(made)
        return value

    def compare(self, facts: dict, needed, paths: frozenset[P.Path] | None = None,
                calls: list | None = None) -> Decimal | None:
        """`gap` evaluated: one memo serves every criterion and both sides of each comparison, so shared amounts
        are computed once. Runs the scheme as compiled with the rounding the search observes (`observed`)."""
        gaps = []
        M = self.memo(facts, paths)
        _OBSERVED.calls = calls
        try:
            for cid in needed:
                sides = self.observed.comparisons[cid]
                if sides is None:
                    if criterion_result(self.observed.criteria[cid], M, facts)[0] == "ikke_oppfylt":
                        return None
                    continue
                left, right, below = sides
                a, b = left(M, facts), right(M, facts)
                if not isinstance(a, Decimal) or not isinstance(b, Decimal):
                    return None
                gaps.append(b - a if below else a - b)
        except NotAssessed:  # the amount waits for a fact not yet assessed: no estimate
            return None
        finally:
            _OBSERVED.calls = None
        return min(gaps) if gaps else None

    def plain(self, needed) -> bool:
        """Whether each criterion in `needed` is met exactly when its gap is ≥ 0: a comparison `<=` or
        `>=` of two amounts, without exceptions or a condition for being relevant."""
        for cid in needed:
            d = self.compiled[cid].definition
            if d.exceptions or d.relevance is not None or not isinstance(d.condition, ast.Compare) \
                    or d.condition.op not in ("<=", ">="):
                return False
        return True

    def threshold(self, changed: Callable[[Decimal], dict], step: Decimal, room: Decimal, needed,
                  paths: frozenset[P.Path], first: dict | None = None) -> Decimal | None | bool:
        """The smallest change k·step (1 ≤ k, k·step ≤ room) that meets every criterion in `needed`, solved
        from the gap (see `gap`) instead of searched. Between the model's roundings the gap is linear in
        an amount, so the line through two distant points (redrawn through the last two while the
        estimate falls short, as past a kink such as the egenkapital buffer) gives the threshold up
        to the width of a rounding step. From that estimate the exact step is found by a doubling
        search on the exact gap, with a first stride as wide as a rounding's step seen from the gap
        (what it differs from the line there, or the unit all its values are multiples of), and then
        where the gap is a staircase, at the change where its coarsest rounding changes its result
        (`_crossing`, from the values rounded at both ends), else by bisection: a few evaluations
        either way. The result is verified: the criteria are met at it and not one step less. False: no change up to
        `room` can work in a monotone model (no change tried narrows the gap, or it is still open at
        `room`). None: no solution here (no gap, or it did not verify), so the caller searches. `first`:
        gaps already had (k → (gap, roundings))."""
        most = int(room // step)
        if most < 1 or facts_ordning(changed(Decimal(0))) != self.ordning:
            return None if most >= 1 else False
        known: dict[int, Decimal] = {k: value for k, (value, _) in (first or {}).items()}
        made: dict[int, list] = {k: calls for k, (_, calls) in (first or {}).items()}  # the roundings at each change

        def closes(k: int) -> bool:
            if k not in known:
                calls: list = []
                value = self.gap(changed(k * step), needed, paths, calls)
                if value is None:
                    raise _Unsolvable
                known[k], made[k] = value, calls
            return known[k] >= 0

        def at_rounding(failing: int, k: int) -> int | None:
            """Where a rounding between `failing` and `k` changes its result: the gap's next step (see `_crossing`)."""
            j = _crossing(made[failing], made[k], failing, k)
            return None if j is None else min(j, k - 1)

        try:
            if closes(0):
                return None  # the comparisons hold already: another criterion fails, which the search judges
            g0 = known[0]
            for far in _far(most):
                closes(far)
                if known[far] > g0:
                    break
            else:
                return False  # no change up to the largest narrows the gap
            near = 0
            for _ in range(8):  # the line through the last two points until it reaches a change that closes the gap
                if known[far] >= 0:
                    break
                if far == most or known[far] <= known[near]:
                    return False if far == most else None
                estimate = _crossing(made[near], made[far], near, far, (known[near], known[far])) \
                    or far + math.ceil((far - near) * -known[far] / (known[far] - known[near]))
                near, far = far, min(estimate, most)
                closes(far)
            else:
                return None
            slope = (known[far] - known[near]) / (far - near)
            k, stride = _crossing(made[near], made[far], near, far, (known[near], known[far])), 1
            if k is None or not near < k <= far:
                k = min(max(near + math.ceil(-known[near] / slope), near + 1), far)
                closes(k)
                stride = max(1, min(math.ceil(max(abs(known[k]), _quantum(known.values())) / slope), far - near))
            return self._verified_threshold(changed, step, _first(closes, near, far, k, stride, at_rounding),
                                            needed, paths)
        except _Unsolvable:
            return None

    def _verified_threshold(self, changed, step: Decimal, k: int, needed, paths) -> Decimal | None:
        """k·step where the gap closes, k−1 steps open: confirmed by the criteria themselves unless they are
        met exactly when the gap is (`plain`)."""
        if self.plain(needed) or (self.passes(changed(k * step), needed, paths)
                                  and (k == 1 or not self.passes(changed((k - 1) * step), needed, paths))):
            return k * step
        return None

    def lever(self, lever: Lever, goal: Goal, needed=()) -> Change | None:
        spec = P.spec_of(self.policy.model.schema, lever.path)
        paths = frozenset({lever.path})
        if lever.kind == "ny_linje":
            return self._new_line(lever, goal, needed)
        current = P.get(self.facts, lever.path)
        if not given(current):  # nothing to change until the fact is given or assessed
            return None
        if lever.kind in ("sannhet", "valg"):
            if lever.target is not None:
                options = [lever.target]
            else:
                options = [not current] if lever.kind == "sannhet" else list(spec.type.values)
            for new in options:
                changed = P.with_value(self.facts, lever.path, new)
                if new != current and self.reaches(changed, goal, needed, paths):
                    return self._change(lever, current, new, new, new is True)
            return None
        low = spec.low if spec.low is not None else Decimal(0)
        high = spec.high
        best = None
        directions = [(1, (high - current) if high is not None else LIMIT), (-1, current - low)]
        first: dict[int, dict[int, tuple]] = {}
        if lever.kind == "beløp" and needed:
            directions, first = self._directions(lever, current, directions, needed, paths)
        for sign, room in directions:
            def changed(d, sign=sign):
                return self.facts if not d else P.with_value(self.facts, lever.path, current + sign * d)
            size = self.smallest(changed, goal, needed, lever.step, room, paths, solve=lever.kind == "beløp",
                                 first=first.get(sign))
            if size is not None and (best is None or size < best[1]):
                best = (sign, size)
        if best is None:
            return None
        sign, size = best
        new = current + sign * size
        return self._change(lever, current, new, size, sign > 0)

    def _directions(self, lever: Lever, current: Decimal, directions: list, needed, paths) -> tuple[list, dict]:
        """The directions worth searching for an amount, and the gap at the first far change each way (`_far`,
        which `threshold` probes first, so it is not evaluated twice). Where a change one way narrows the gap and
        the same change the other way widens it, only the first way is searched: in a monotone model no
        change the other way can close it."""
        base = self.gap(self.facts, needed, paths)
        if base is None:
            return directions, {}
        first: dict[int, dict[int, tuple]] = {}
        for sign, room in directions:
            most = int(room // lever.step)
            if most < 1:
                continue
            k = _far(most)[0]
            calls: list = []
            value = self.gap(P.with_value(self.facts, lever.path, current + sign * k * lever.step), needed, paths, calls)
            if value is None:
                return directions, {}
            first[sign] = {k: (value, calls)}
        if len(first) == 2:
            (up,), (down,) = (tuple(v[0] for v in first[sign].values()) for sign in (1, -1))
            keep = 1 if up > base > down else -1 if down > base > up else None
            if keep is not None:
                directions = [d for d in directions if d[0] == keep]
        return directions, first

    def _new_line(self, lever: Lever, goal: Goal, needed=()) -> Change | None:
        def line(amount: Decimal) -> dict:
            return P.with_line(self.facts, lever.path, {**lever.new_item, lever.item_field: amount})

        size = self.smallest(line, goal, needed, lever.step, LIMIT, frozenset({lever.path}))
        if size is None:
            return None
        return self._change(lever, None, size, size, True)

    def smallest(self, changed: Callable[[Decimal], dict], goal: Goal, needed, step: Decimal, room: Decimal,
                 paths: frozenset[P.Path], solve: bool = True, first: dict | None = None) -> Decimal | None:
        """The smallest change that reaches `goal`. For an amount (`solve`) the threshold of the criteria in
        `needed` is solved from their gap; otherwise, or where that gives no answer, it is searched by
        probing only those criteria. The whole assessment is checked at the change found. Where another
        criterion fails there instead, it is added to those probed and the search goes on from that change
        (a larger change never needs less, as the search assumes throughout); whole assessments are the
        last resort. `first`: gaps already had for `needed` (k → (gap, roundings); see `_directions`).
        The facts at each change are made once, so the probes at one change share their memo (`memo`)."""
        changed = _once(changed)
        if not needed or facts_ordning(changed(Decimal(0))) != self.ordning:
            return _smallest(lambda d: self.reaches(changed(d), goal, needed, paths), step, room)
        probed = list(needed)
        guess = None
        for _ in range(4):
            size = self.threshold(changed, step, room, probed, paths, first if probed == list(needed) else None) \
                if solve else None
            if size is False:
                return None
            if size is None:
                if not self.passes(changed((room // step) * step), probed, paths):
                    return None  # not even the largest change meets them: there is no change to find
                size = _smallest(lambda d: self.passes(changed(d), probed, paths), step, room, guess)
                if size is None:
                    return None
            utfall, results = self.judged(changed(size), paths)
            if goal(utfall, results):
                return size
            failing = [r.id for r in results if r.resultat == "ikke_oppfylt" and r.id not in probed
                       and r.id not in self.failing]
            if not failing:
                break
            probed += failing
            guess = int(size // step)
        return _smallest(lambda d: self.reaches(changed(d), goal, needed, paths), step, room, int(size // step) + 1)

    def _change(self, lever: Lever, old, new, size, increased: bool) -> Change:
        """The change as the letter words it; every search has confirmed it by a whole assessment already."""
        text = self.texts.render(lever.template, {"endring": size, "ny_verdi": new, "økning": increased})
        return Change(lever.name, lever.kind, old, new, size, increased, text, lever)

    def combinations(self, per_criterion, touching, goal: Goal, needed) -> tuple[tuple[Change, ...], ...]:
        """Changes that together reach `goal` when no single change does, each combination assessed.

        First the yes/no and choice changes that meet a criterion each are made together; the
        criteria still missed are then given the yes/no and choice changes and counts that touch
        them (alone or in pairs; a count is set to its bound, then lowered as far as it can go),
        and last the smallest change of one amount. Returns at most three combinations, fewest
        changes first.
        """
        base: list[Change] = []
        facts = self.facts
        for r, changes in per_criterion:
            discrete = [c for c in changes if c.kind in ("sannhet", "valg")]
            if discrete and not self.passes(facts, [r.id], frozenset(c.lever.path for c in base)):
                facts = discrete[0].applied(facts)
                base.append(discrete[0])
        used = frozenset(c.lever.path for c in base)
        if base and self.reaches(facts, goal, needed, used):
            return (tuple(base),)
        still = [cid for cid in needed if not self.passes(facts, [cid], used)]
        if not still:
            return ()
        candidates = [lv for lv in touching(still) if lv.path not in used and self.texts.holds(lv.condition)
                      and given(P.get(facts, lv.path))]  # a fact not yet given is asked for, not changed
        extras = [x for x in (self._extreme(lv, facts) for lv in candidates if lv.kind in ("sannhet", "valg", "heltall"))
                  if x is not None]
        amounts = [lv for lv in candidates if lv.kind in ("beløp", "ny_linje")]
        subsets = [()] + [(x,) for x in extras] + [(x, y) for i, x in enumerate(extras) for y in extras[i + 1:]]
        found: list[tuple[Change, ...]] = []
        smallest: Change | None = None  # the amount change without any extra change
        start = self.gap(facts, still, used)
        for subset in subsets:
            combined = facts
            for lever, value in subset:
                combined = P.with_value(combined, lever.path, value)
            paths = used | {lever.path for lever, _ in subset}
            if subset and start is not None and (self.gap(combined, still, paths) or start) <= start:
                continue  # the extra changes do not narrow the gap, so they cannot make the amount smaller
            if subset and self.reaches(combined, goal, needed, paths):
                amount = None
            else:
                inner = Search(self.basis, self.failing, combined, paths, self.texts, self.results)
                known = {} if subset else self._unaffected_changes(per_criterion, still, used)
                amount = next((c for c in (self._amount(inner, lv, known.get(lv.path), combined, goal, still, paths)
                                           for lv in amounts) if c is not None), None)
                if amount is None:
                    continue
                if subset and smallest is not None and amount.fact == smallest.fact and amount.size >= smallest.size:
                    continue  # the extra changes do not make the change of the amount any smaller
            found.append(self._worded(base, subset, combined, amount, goal))
            if not subset:
                smallest = amount
            if len(found) == 3:
                break
        return tuple(sorted(found, key=len))

    def _unaffected_changes(self, per_criterion, still: list[str], used: frozenset[P.Path]) -> dict[P.Path, Change]:
        """The amount changes found for the one criterion still missed, by lever, when none of the changes made
        (`used`) can change that criterion: its smallest change is then the same as found for it alone."""
        if len(still) != 1:
            return {}
        deps = dependencies(self.policy.model, self.program.scheme)
        if any(still[0] in deps.touching(lever) for lever in self.policy.model.levers if lever.path in used):
            return {}
        return {c.lever.path: c for r, changes in per_criterion if r.id == still[0]
                for c in changes if c.kind in ("beløp", "ny_linje")}

    def _amount(self, inner: "Search", lever: Lever, known: Change | None, combined: dict, goal: Goal, still,
                paths: frozenset[P.Path]) -> Change | None:
        """The smallest change of amount `lever` that reaches `goal` from `combined`: a change already found for
        the criterion (`known`, see `_unaffected_changes`) when it reaches the goal there (one step less
        misses the criterion, which the changes made cannot alter), else searched."""
        if known is not None and self.reaches(known.applied(combined), goal, still, paths | {lever.path}):
            return known
        return inner.lever(lever, goal, still)

    def _extreme(self, lever: Lever, facts: dict) -> tuple[Lever, Any] | None:
        """The value a discrete change sets: its target, the other truth value, or a count's upper bound."""
        current = P.get(facts, lever.path)
        if not given(current):  # nothing to change until the fact is given or assessed (as in `lever`)
            return None
        if lever.kind == "sannhet":
            value = lever.target if lever.target is not None else (not current)
        elif lever.kind == "valg":
            value = lever.target
        else:
            value = P.spec_of(self.policy.model.schema, lever.path).high
        return None if value is None or value == current else (lever, value)

    def _worded(self, base, subset, combined, amount: Change | None, goal: Goal) -> tuple[Change, ...]:
        """The combination as changes with their texts, each count lowered as far as it can go. Every combination
        given here reaches the goal: the search that found its amount (or `reaches`, without one) assessed
        exactly these facts, and a count is lowered only to a value at which the whole assessment still
        reaches it."""
        changes = list(base)
        paths = frozenset(c.lever.path for c in (*base, *([amount] if amount else []))) | {lv.path for lv, _ in subset}
        for lever, value in subset:
            old = P.get(self.facts, lever.path)
            if lever.kind == "heltall":
                def works(d, lever=lever, old=old):
                    test = P.with_value(combined, lever.path, old + d)
                    return self.reaches(amount.applied(test) if amount else test, goal, paths=paths)
                most = int((value - old) // lever.step)  # the bound works (the combination was found with it)
                if most > 1:
                    value = old + lever.step * _first(lambda j: works(j * lever.step), 0, most, most - 1)
                combined = P.with_value(combined, lever.path, value)
            size = value - old if lever.kind == "heltall" else value
            text = self.texts.render(lever.template, {"endring": size, "ny_verdi": value, "økning": True})
            changes.append(Change(lever.name, lever.kind, old, value, size, True, text, lever))
        if amount is not None:
            changes.append(amount)
        return tuple(changes)


def _once(changed: Callable[[Decimal], dict]) -> Callable[[Decimal], dict]:
    """`changed`, which makes the facts at a change once per change."""
    made: dict[Decimal, dict] = {}

    def at(d: Decimal) -> dict:
        if d not in made:
            made[d] = changed(d)
        return made[d]
    return at


def facts_ordning(facts: dict) -> str:
    return facts.get("ordning", "")


def _far(most: int) -> tuple[int, ...]:
    """The changes, in steps up to `most`, at which a threshold is first looked for: until one narrows the gap."""
    return (*(k for k in (10 ** 3, 10 ** 5, 10 ** 7) if k < most), most)


def _smallest(works: Callable[[Decimal], bool], step: Decimal, room: Decimal,
              guess: int | None = None) -> Decimal | None:
    """The smallest k·step (1 ≤ k, k·step ≤ room) for which `works` holds, or None.

    From `guess` (or 1) the search doubles its stride up until the change works (or down until it
    does not), then bisects between the last change that did not work and the first that did; the
    result works, and one step less does not (zero steps is the søknad as it is, which does not).
    """
    most = int(room // step)
    if most < 1:
        return None
    k = min(max(guess or 1, 1), most)
    if works(k * step):
        failing, stride = k - 1, 1
        while failing > 0 and works(failing * step):
            k, stride = failing, stride * 2
            failing = max(k - stride, 0)
    else:
        failing, stride = k, 1
        while True:
            if failing == most:
                return None
            k = min(failing + stride, most)
            if works(k * step):
                break
            failing, stride = k, stride * 2
    return _bisect(works, step, failing, k)


def _quantum(values) -> Decimal:
    """The largest power of ten up to 10⁶ that every nonzero value is a multiple of (1000 for a gap
    between amounts rounded to whole thousands)."""
    unit = Decimal(1)
    while unit < 10 ** 6 and all(v % (unit * 10) == 0 for v in values if v):
        unit *= 10
    return unit


def _first(works: Callable[[int], bool], failing: int, k: int, guess: int, stride: int = 1,
           propose: Callable[[int, int], int | None] | None = None) -> int:
    """The first j in (failing, k] for which `works(j)` holds, given that it fails at `failing` and holds
    at `k` (monotone in between): from `guess` a stride, doubled until it brackets it, then bisection,
    which tries the point `propose(failing, k)` gives (where the gap steps) before the middle."""
    if works(guess):
        k = guess
        while k - failing > 1:
            j = max(k - stride, failing + 1)
            if works(j):
                k, stride = j, stride * 2
            else:
                failing = j
                break
    else:
        failing = guess
        while k - failing > 1:
            j = min(failing + stride, k - 1)
            if works(j):
                k = j
                break
            failing, stride = j, stride * 2
    while k - failing > 1:
        middle = propose(failing, k) if propose is not None else None
        if middle is None or not failing < middle < k:
            middle = (failing + k) // 2
        if works(middle):
            k = middle
        else:
            failing = middle
    return k


def _crossing(before: list, after: list, a: int, b: int, gaps: tuple[Decimal, Decimal] | None = None) -> int | None:
    """Where the gap steps, from the roundings made at changes `a` < `b` (value, unit, mode, result in order),
    taking each rounded value as linear in the change: the step is where the rounded quantity crosses a multiple
    (or half multiple) in the direction it moves, found from the rounding mode. Only the coarsest roundings that
    change are followed: a finer one moves the gap much as a line does. Without `gaps`: the first change in
    (a, b] at which a rounding changes its result (None where one takes more than two steps between: bisection
    is then faster). With `gaps` (the gap at a and at b, multiples of the rounding's unit, open at a): the first
    change at which the gap, as a staircase of that rounding, closes; past b where it is still open at b. None
    where the roundings differ in kind or number, or the gap is not such a staircase."""
    if len(before) != len(after) or any(x[1] != y[1] or x[2] != y[2] for x, y in zip(before, after)):
        return None
    moved = [(v0, v1, unit, mode, r0, r1) for (v0, unit, mode, r0), (v1, _, _, r1) in zip(before, after) if r0 != r1]
    if not moved:
        return None
    coarsest = max(m[2] for m in moved)
    first = None
    for v0, v1, unit, mode, r0, r1 in moved:
        if unit != coarsest:
            continue  # a finer rounding moves the gap by less than a step of the coarsest, much as a line does
        steps = abs(r1 - r0) / unit
        start, value, result, more = a, v0, r0, 0
        if gaps is None:
            if steps > 2:
                return None
        else:
            g0, g1 = gaps
            rise = (g1 - g0) / steps  # how much the gap narrows per step of this rounding
            if steps >= b - a or g0 % unit or g1 % unit or rise <= 0 or g0 >= 0:
                return None
            if g1 < 0:
                start, value, result, g0 = b, v1, r1, g1
            more = math.ceil(-g0 / rise) - 1  # the steps after the next one until the gap closes
        up = v1 > v0
        result += more * unit if up else -more * unit
        half = unit / 2 if mode in ("halv_opp", "halv_jevn") else 0
        if mode == "ned":
            boundary, strict = (result + unit, False) if up else (result, True)
        elif mode == "opp":
            boundary, strict = (result, True) if up else (result - unit, False)
        else:
            boundary, strict = (result + half, False) if up else (result - half, True)
        t = (boundary - value) * (b - a) / (v1 - v0)  # the changes from `start` to the boundary
        j = start + max(1, math.floor(t) + 1 if strict else math.ceil(t))
        first = j if first is None else min(first, j)
    return first


def _bisect(works: Callable[[Decimal], bool], step: Decimal, failing: int, k: int) -> Decimal:
    """The first k·step that works between `failing` steps (does not work) and `k` steps (works)."""
    while k - failing > 1:
        middle = (failing + k) // 2
        if works(middle * step):
            k = middle
        else:
            failing = middle
    return k * step
