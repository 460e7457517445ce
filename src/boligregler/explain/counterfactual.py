"""What would change the outcome: the smallest change to one fact that gives the default outcome.

The search runs over the policy itself. The facts a policy lets the letter suggest are its
`endring` declarations (levers). Only levers that every criterion blocking the outcome can
depend on are tried (`facts.Dependencies`, analysed once per policy and scheme). For an amount,
the change is first estimated from the gap of the criteria it must meet (a secant on the compiled
comparison, linear between the model's roundings); the search then probes only those criteria,
never a whole assessment: one probe at the largest change allowed says whether any change can
work, a doubling search from the estimate brackets the threshold, and bisection finds the
smallest change in the lever's steps. The whole assessment is then run once at the change found;
where another criterion fails there instead, it joins the probed ones and the search goes on
from that change. Every change reported has been confirmed by a whole assessment, and the change
one step smaller fails a criterion it must meet. The search assumes that a larger change never
hurts between the points it probes, which holds for the amounts in the shipped policies; the
confirmation guarantees that what is reported is true.

When no single change gives the outcome, the same search is run for each blocking criterion on
its own, so the letter can say what each would need.
"""

from __future__ import annotations

import weakref
from decimal import Decimal, localcontext
from typing import Any, Callable

import attrs

from boligregler.evaluation import runtime
from boligregler.evaluation.decision import CriterionResult, criterion_result
from boligregler.evaluation.runtime import NotAssessed, given
from boligregler.explain import facts as P
from boligregler.explain.basis import Basis
from boligregler.explain.evaluate import Texts, outcome
from boligregler.model.policy import CheckedPolicy, Lever, SchemeDef
from boligregler.money import CONTEXT, money_json
from boligregler.syntax import ast

LIMIT = Decimal(1_000_000_000)  # the largest change tried for a fact without an upper bound
Goal = Callable[[str, list[CriterionResult]], bool]
Bracket = tuple[int, int]  # (lo, hi) in steps: the change of lo steps does not work, that of hi steps does


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
        per_scheme[scheme.id] = P.Dependencies(model, scheme)
    return per_scheme[scheme.id]


def what_would_change(decision) -> WhatIf:
    """For an avslag or manuell_vurdering: the smallest single changes that give innvilget, or else
    what each blocking criterion needs and the combinations that together give innvilget."""
    basis: Basis = decision.basis
    model = basis.policy.model
    target = model.outcome_default
    if decision.utfall == target:
        return WhatIf(decision.utfall, target, ())
    if decision.utfall == "ikke_avgjort":  # the facts it waits for come first; nothing to search yet
        return WhatIf(decision.utfall, decision.utfall, ())
    kinds = {rule.kind for rule in model.outcome_rules}
    blocking = [r for r in decision.vilkår if r.resultat == "ikke_oppfylt" and r.art in kinds]
    deps = dependencies(model, basis.program.scheme)
    reads = {c.id: deps.criterion(c) for c in basis.program.scheme.criteria}

    def touching(ids: list[str]) -> list[Lever]:
        # `ordning` picks the scheme, so changing it can change every criterion
        return [lever for lever in model.levers if lever.path == ("ordning",)
                or all(any(P.overlaps(lever.path, p) for p in reads[cid]) for cid in ids)]

    search = Search(basis, frozenset(r.id for r in decision.vilkår if r.resultat == "ikke_oppfylt"))
    ids = [r.id for r in blocking]
    reached = lambda utfall, _: utfall == target  # noqa: E731
    changes = search.all(touching(ids), reached, ids)
    if changes or not blocking:
        return WhatIf(decision.utfall, target, changes)
    failing = set(ids)
    per_criterion = tuple((r, search.all(touching([r.id]), _fixes(r.id, failing, kinds), [r.id])) for r in blocking)
    combinations = search.combinations(per_criterion, touching, reached, ids)
    return WhatIf(decision.utfall, target, (), per_criterion, combinations)


def _fixes(cid: str, failing: set[str], kinds: set[str]) -> Goal:
    """The goal of meeting criterion `cid` without any criterion that was met failing instead."""
    def goal(_utfall: str, results: list[CriterionResult]) -> bool:
        now = {r.id for r in results if r.resultat == "ikke_oppfylt" and r.art in kinds}
        return cid not in now and now <= failing and any(r.id == cid for r in results)
    return goal


class Search:
    """Searches one lever at a time for the smallest change that reaches a goal.

    A probe first runs only the criteria the goal needs (`needed`): most probes fail there, at a
    fraction of a whole assessment. For an amount, where the criteria it must meet compare two
    amounts, the search starts from the change that closes the gap if the model were linear (two
    probes of the difference), so it needs few probes around it instead of a doubling from one step.
    """

    def __init__(self, basis: Basis, failing: frozenset[str]):
        self.basis = basis
        self.policy = basis.policy
        self.facts = basis.facts
        self.texts = Texts(basis)
        self.ordning = self.facts.get("ordning", "")
        self.program = self.policy.program(self.ordning, "compiled")
        self.compiled = {c.definition.id: c for c in self.program.criteria}
        self.failing = failing  # the criteria not met in the decision, which a goal may leave unmet

    def all(self, levers: list[Lever], goal: Goal, needed: list[str] = ()) -> tuple[Change, ...]:
        found = (self.lever(lever, goal, needed) for lever in levers if self.texts.holds(lever.condition))
        return tuple(c for c in found if c is not None)

    def passes(self, facts: dict, needed) -> bool:
        """Whether every criterion in `needed` is met (or met by an exception) for `facts`."""
        M = {runtime.DATE_KEY: facts["søknadsdato"]}
        try:
            with localcontext(CONTEXT):
                return all(criterion_result(self.compiled[cid], M, facts)[0] != "ikke_oppfylt" for cid in needed)
        except NotAssessed:  # the criterion waits for a fact not yet assessed: let the full evaluation judge
            return True

    def reaches(self, facts: dict, goal: Goal, needed=()) -> bool:
        if needed and facts.get("ordning", "") == self.ordning and not self.passes(facts, needed):
            return False
        return goal(*outcome(self.policy, facts))

    def gap(self, facts: dict, needed) -> Decimal | None:
        """The smallest margin by which a criterion in `needed` that compares two amounts is met (negative:
        missed); a criterion that is not such a comparison must be met. None where there is no such margin.
        One memo serves every criterion and both sides of each comparison, so shared amounts are computed once."""
        gaps = []
        M = {runtime.DATE_KEY: facts["søknadsdato"]}
        try:
            with localcontext(CONTEXT):
                for cid in needed:
                    condition = self.compiled[cid].definition.condition
                    if not isinstance(condition, ast.Compare) or condition.op not in ("<=", "<", ">=", ">"):
                        if criterion_result(self.compiled[cid], M, facts)[0] == "ikke_oppfylt":
                            return None
                        continue
                    left = self.policy.expression(condition.left, self.ordning)(M, facts)
                    right = self.policy.expression(condition.right, self.ordning)(M, facts)
                    if not isinstance(left, Decimal) or not isinstance(right, Decimal):
                        return None
                    gaps.append(right - left if condition.op in ("<=", "<") else left - right)
        except NotAssessed:  # the amount waits for a fact not yet assessed: no estimate
            return None
        return min(gaps) if gaps else None

    def guess(self, changed: Callable[[Decimal], dict], step: Decimal, room: Decimal, needed) -> Bracket | int | None:
        """Where the change that closes the gap of the criteria in `needed` (see `gap`) lies, in steps: a bracket
        (lo, hi) with the gap still open at lo and closed at hi, solved on the gap, which is linear in an
        amount between the model's roundings (a secant to bracket it, then the Illinois variant of regula
        falsi to narrow it). 0: no change up to `room` narrows the gap (a monotone model then has no change
        that works); None: no estimate."""
        if not needed or room < step or facts_ordning(changed(Decimal(0))) != self.ordning:
            return None
        g0 = self.gap(changed(Decimal(0)), needed)
        if g0 is None or g0 >= 0:
            return None
        lo, lo_gap = Decimal(0), g0
        for size in [*(step * 10 ** e for e in (3, 5, 7) if step * 10 ** e < room), room]:
            g = self.gap(changed(size), needed)
            if g is None:
                return None
            if g > g0:
                break
        else:
            return 0
        hi, hi_gap = size, g
        while hi_gap < 0:  # secant beyond the last two points until the gap closes
            if hi == room or hi_gap == lo_gap:
                return None
            d = min(max(((hi + (hi - lo) * -hi_gap / (hi_gap - lo_gap)) // step + 1) * step, hi + step), room)
            g = self.gap(changed(d), needed)
            if g is None:
                return None
            lo, lo_gap, hi, hi_gap = hi, hi_gap, d, g
        side = 0
        for _ in range(12):  # Illinois: the end kept twice in a row has its gap halved, so both ends move
            if hi - lo <= 2 * step:
                break
            d = ((lo + (hi - lo) * -lo_gap / (hi_gap - lo_gap)) // step) * step
            d = min(max(d, lo + step), hi - step)
            g = self.gap(changed(d), needed)
            if g is None:
                break
            if g >= 0:
                hi, hi_gap = d, g
                lo_gap = lo_gap / 2 if side == 1 else lo_gap
                side = 1
            else:
                lo, lo_gap = d, g
                hi_gap = hi_gap / 2 if side == -1 else hi_gap
                side = -1
        return int(lo // step), max(1, int(hi // step))

    def lever(self, lever: Lever, goal: Goal, needed=()) -> Change | None:
        spec = P.spec_of(self.policy.model.schema, lever.path)
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
                if new != current and self.reaches(changed, goal, needed):
                    return self._change(lever, current, new, new, new is True)
            return None
        low = spec.low if spec.low is not None else Decimal(0)
        high = spec.high
        best = None
        for sign, room in ((1, (high - current) if high is not None else LIMIT), (-1, current - low)):
            def changed(d, sign=sign):
                return P.with_value(self.facts, lever.path, current + sign * d)
            guess = self.guess(changed, lever.step, room, needed) if lever.kind == "beløp" else None
            if guess == 0:
                continue
            size = self.smallest(changed, goal, needed, lever.step, room, guess)
            if size is not None and (best is None or size < best[1]):
                best = (sign, size)
        if best is None:
            return None
        sign, size = best
        new = current + sign * size
        return self._change(lever, current, new, size, sign > 0)

    def _new_line(self, lever: Lever, goal: Goal, needed=()) -> Change | None:
        def line(amount: Decimal) -> dict:
            return P.with_line(self.facts, lever.path, {**lever.new_item, lever.item_field: amount})

        guess = self.guess(line, lever.step, LIMIT, needed)
        if guess == 0:
            return None
        size = self.smallest(line, goal, needed, lever.step, LIMIT, guess)
        if size is None:
            return None
        return self._change(lever, None, size, size, True)

    def smallest(self, changed: Callable[[Decimal], dict], goal: Goal, needed, step: Decimal, room: Decimal,
                 guess: int | None) -> Decimal | None:
        """The smallest change that reaches `goal`. The search probes only the criteria in `needed` (a fraction
        of an assessment each) and checks the whole assessment at the change found. Where another criterion
        fails there instead, it is added to those probed and the search goes on from that change (a larger
        change never needs less, as the search assumes throughout); whole assessments are the last resort."""
        if not needed or facts_ordning(changed(Decimal(0))) != self.ordning:
            return _smallest(lambda d: self.reaches(changed(d), goal, needed), step, room, guess)
        probed = list(needed)
        for _ in range(4):
            if not self.passes(changed((room // step) * step), probed):
                return None  # not even the largest change meets them: there is no change to find
            size = _smallest(lambda d: self.passes(changed(d), probed), step, room, guess)
            if size is None:
                return None
            utfall, results = outcome(self.policy, changed(size))
            if goal(utfall, results):
                return size
            failing = [r.id for r in results if r.resultat == "ikke_oppfylt" and r.id not in probed
                       and r.id not in self.failing]
            if not failing:
                break
            probed += failing
            guess = int(size // step)
        return _smallest(lambda d: self.reaches(changed(d), goal, needed), step, room, int(size // step) + 1)

    def _change(self, lever: Lever, old, new, size, increased: bool) -> Change:
        """The change as the letter words it; every search has confirmed it by a whole assessment already."""
        text = self.texts.render(lever.template, {"endring": size, "ny_verdi": new, "økning": increased})
        return Change(lever.name, lever.kind, old, new, size, increased, text, lever)

    def combinations(self, per_criterion, touching, goal: Goal, needed) -> tuple[tuple[Change, ...], ...]:
        """Changes that together reach `goal` when no single change does, each combination verified.

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
            if discrete and not self.passes(facts, [r.id]):
                facts = discrete[0].applied(facts)
                base.append(discrete[0])
        if base and self.reaches(facts, goal, needed):
            return (tuple(base),)
        still = [cid for cid in needed if not self.passes(facts, [cid])]
        if not still:
            return ()
        used = {c.lever.path for c in base}
        candidates = [lv for lv in touching(still) if lv.path not in used and self.texts.holds(lv.condition)
                      and given(P.get(facts, lv.path))]  # a fact not yet given is asked for, not changed
        extras = [x for x in (self._extreme(lv, facts) for lv in candidates if lv.kind in ("sannhet", "valg", "heltall"))
                  if x is not None]
        amounts = [lv for lv in candidates if lv.kind in ("beløp", "ny_linje")]
        subsets = [()] + [(x,) for x in extras] + [(x, y) for i, x in enumerate(extras) for y in extras[i + 1:]]
        found: list[tuple[Change, ...]] = []
        smallest: Change | None = None  # the amount change without any extra change
        start = self.gap(facts, still)
        for subset in subsets:
            combined = facts
            for lever, value in subset:
                combined = P.with_value(combined, lever.path, value)
            if subset and start is not None and (self.gap(combined, still) or start) <= start:
                continue  # the extra changes do not narrow the gap, so they cannot make the amount smaller
            if subset and self.reaches(combined, goal, needed):
                amount = None
            else:
                inner = Search(self.basis, self.failing)
                inner.facts = combined
                amount = next((c for c in (inner.lever(lv, goal, still) for lv in amounts) if c is not None), None)
                if amount is None:
                    continue
                if subset and smallest is not None and amount.fact == smallest.fact and amount.size >= smallest.size:
                    continue  # the extra changes do not make the change of the amount any smaller
            combination = self._verified(base, subset, combined, amount, goal)
            if combination:
                found.append(combination)
                if not subset:
                    smallest = amount
            if len(found) == 3:
                break
        return tuple(sorted(found, key=len))

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

    def _verified(self, base, subset, combined, amount: Change | None, goal: Goal) -> tuple[Change, ...]:
        """The combination as changes with their texts, each count lowered as far as it can go; () if it fails."""
        changes = list(base)
        for lever, value in subset:
            old = P.get(self.facts, lever.path)
            if lever.kind == "heltall":
                def works(d, lever=lever, old=old):
                    test = P.with_value(combined, lever.path, old + d)
                    return self.reaches(amount.applied(test) if amount else test, goal)
                value = old + (_smallest(works, lever.step, value - old) or value - old)
                combined = P.with_value(combined, lever.path, value)
            size = value - old if lever.kind == "heltall" else value
            text = self.texts.render(lever.template, {"endring": size, "ny_verdi": value, "økning": True})
            changes.append(Change(lever.name, lever.kind, old, value, size, True, text, lever))
        if amount is not None:
            changes.append(amount)
        final = amount.applied(combined) if amount is not None else combined
        return tuple(changes) if goal(*outcome(self.policy, final)) else ()


def facts_ordning(facts: dict) -> str:
    return facts.get("ordning", "")


def _smallest(works: Callable[[Decimal], bool], step: Decimal, room: Decimal,
              guess: int | Bracket | None = None) -> Decimal | None:
    """The smallest k·step (1 ≤ k, k·step ≤ room) for which `works` holds, or None.

    From `guess` (or 1) the search doubles its stride up until the change works (or down until it
    does not), then bisects between the last change that did not work and the first that did; the
    result works, and one step less does not (zero steps is the søknad as it is, which does not).
    A bracket (lo, hi) for `guess` is bisected directly once hi is seen to work and lo not to.
    """
    most = int(room // step)
    if most < 1:
        return None
    if isinstance(guess, tuple):  # a bracket from the gap: bisect inside it once both ends are confirmed
        low, high = guess
        if high <= most and works(high * step) and (low < 1 or not works(low * step)):
            return _bisect(works, step, max(low, 0), high)
        guess = high
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


def _bisect(works: Callable[[Decimal], bool], step: Decimal, failing: int, k: int) -> Decimal:
    """The first k·step that works between `failing` steps (does not work) and `k` steps (works)."""
    while k - failing > 1:
        middle = (failing + k) // 2
        if works(middle * step):
            k = middle
        else:
            failing = middle
    return k * step
