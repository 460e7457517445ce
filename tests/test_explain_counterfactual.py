"""What would change the outcome: the suggested change works, one step less does not, and
"no single change suffices" is only said when no single change gives innvilget."""

from __future__ import annotations

import copy
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boligregler import load_policy
from boligregler.explain import facts as P
from boligregler.explain import what_would_change
from boligregler.evaluation.runtime import rounded
from boligregler.explain.counterfactual import Search, _crossing, _first, _fixes, _quantum, _smallest, dependencies
from boligregler.model.loader import shipped_policies_dir
from boligregler.money import CONTEXT, load_json

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted(p.stem for p in shipped_policies_dir().glob("*.pol"))
FAMILY = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=POLICIES)
def policy(request):
    return load_policy(request.param)


def outcome(policy, facts) -> str:
    return policy.evaluate_facts(facts, explain=False).utfall


def fixes(policy, facts, cid: str, failing: set[str]) -> bool:
    """Criterion `cid` is met, and no criterion that was met fails instead."""
    kinds = {rule.kind for rule in policy.model.outcome_rules}
    results = policy.evaluate_facts(facts, explain=False).vilkår
    now = {r.id for r in results if r.resultat == "ikke_oppfylt" and r.art in kinds}
    return cid not in now and now <= failing


def one_step_less(change, facts):
    """The facts with the change one step smaller; for a flip or a choice, no change at all."""
    if change.kind in ("sannhet", "valg"):
        return facts
    return change.applied(facts, change.size - change.lever.step)


def assert_smallest(policy, facts, decision):
    what_if = what_would_change(decision)
    target = policy.model.outcome_default
    for change in what_if.changes:
        assert outcome(policy, change.applied(facts)) == target, change
        assert outcome(policy, one_step_less(change, facts)) != target, change
    failing = {r.id for r, _ in what_if.per_criterion}
    for criterion, changes in what_if.per_criterion:
        for change in changes:
            assert fixes(policy, change.applied(facts), criterion.id, failing), change
            assert not fixes(policy, one_step_less(change, facts), criterion.id, failing), change
    for combination in what_if.combinations:
        changed = facts
        for change in combination:
            changed = change.applied(changed)
        assert outcome(policy, changed) == target, combination
    if what_if.none_suffices:
        assert_no_single_change_suffices(policy, facts, target)
    return what_if


def assert_no_single_change_suffices(policy, facts, target):
    """Every flip and choice tried exhaustively, every amount at a spread of sizes."""
    from boligregler.explain import facts as P
    for lever in policy.model.levers:
        if lever.kind == "ny_linje":
            tries = [P.with_line(facts, lever.path, {**lever.new_item, lever.item_field: Decimal(10) ** k})
                     for k in range(1, 8)]
        else:
            current = P.get(facts, lever.path)
            if current is None:
                continue
            spec = P.spec_of(policy.model.schema, lever.path)
            if lever.kind == "sannhet":
                values = [not current]
            elif lever.kind == "valg":
                values = list(spec.type.values)
            else:
                values = [current + s * Decimal(10) ** k for k in range(0, 8) for s in (1, -1)]
                values = [v for v in values if v >= (spec.low or 0) and (spec.high is None or v <= spec.high)]
            tries = [P.with_value(facts, lever.path, v) for v in values]
        for changed in tries:
            assert outcome(policy, changed) != target, lever.name


money = st.integers(min_value=0, max_value=90_000).map(Decimal)
SOKNADER = dict(
    salary=money, costs=st.integers(0, 15_000).map(Decimal), price=st.integers(400_000, 6_000_000).map(Decimal),
    equity=st.integers(0, 900_000).map(Decimal), children=st.lists(st.integers(0, 17), max_size=3),
    banks=st.integers(0, 3), flags=st.lists(st.booleans(), min_size=6, max_size=6),
    formal=st.sampled_from(["kjøp", "oppføring", "utbedring", "refinansiering"]),
    ordning=st.sampled_from(["startlån", "eie_først"]))


def varied(salary, costs, price, equity, children, banks, flags, formal, ordning) -> dict:
    """examples/familie.json with the facts the property tests vary."""
    s = copy.deepcopy(FAMILY)
    s["formål"] = formal
    s["ordning"] = ordning
    s["inntekter"][0]["netto_per_måned"] = salary
    s["bolig"]["boutgifter_per_måned"] = costs
    s["bolig"]["kjøpesum"] = price if formal in ("kjøp", "oppføring") else None
    s["bolig"]["kostnad"] = price if formal in ("utbedring", "refinansiering") else None
    s["egenkapital"] = equity
    s["husstand"]["barn"] = [{"alder": a} for a in children]
    s["skjønn"]["avslag_fra_banker"] = banks
    for key, flag in zip(("langvarige_finansieringsproblemer", "stabil_bosituasjon_haster", "varig_lav_inntekt",
                          "fare_for_tvangssalg", "boligen_egnet_og_nøktern"), flags):
        s["skjønn"][key] = flag
    s["tilknytning"]["folkeregistrert_i_kommunen"] = flags[5]
    return s


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**SOKNADER)
def test_suggested_change_flips_the_outcome_and_one_step_less_does_not(policy, **facts_varied):
    facts = policy.validate(varied(**facts_varied))
    decision = policy.evaluate_facts(facts)
    what_if = assert_smallest(policy, facts, decision)
    if decision.utfall == policy.model.outcome_default:
        assert not what_if.changes and not what_if.per_criterion


class Probing(Search):
    """The search with every threshold probed (doubling and bisection on the criteria) instead of solved."""

    def threshold(self, *args, **kwargs):
        return None


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**SOKNADER)
def test_a_solved_threshold_is_the_probed_one(policy, **facts_varied):
    decision = policy.evaluate_facts(policy.validate(varied(**facts_varied)))
    kinds = {rule.kind for rule in policy.model.outcome_rules}
    blocking = {r.id for r in decision.vilkår if r.resultat == "ikke_oppfylt" and r.art in kinds}
    failing = frozenset(r.id for r in decision.vilkår if r.resultat == "ikke_oppfylt")
    touches = dependencies(policy.model, decision.basis.program.scheme).touching
    with localcontext(CONTEXT):
        solved, probed = (kind(decision.basis, failing, results=decision.vilkår) for kind in (Search, Probing))
        for cid in blocking:
            for lever in policy.model.levers:
                if lever.kind in ("beløp", "ny_linje") and cid in touches(lever):
                    goal = _fixes(cid, set(blocking), kinds)
                    assert solved.lever(lever, goal, [cid]) == probed.lever(lever, goal, [cid]), (cid, lever.name)


def drammen_low_income():
    s = copy.deepcopy(FAMILY)
    s["inntekter"][0]["netto_per_måned"] = 30000
    return s


def test_income_price_and_equity_for_a_refusal():
    # Drammen covers such a gap with tilskudd (its 20 % limit is a main rule); nationally it is refused
    policy = load_policy("nasjonal")
    facts = policy.validate(drammen_low_income())
    decision = policy.evaluate_facts(facts)
    what_if = assert_smallest(policy, facts, decision)
    assert decision.utfall == "avslag"
    found = {c.fact: c for c in what_if.changes}
    assert set(found) == {"inntekter", "egenkapital", "bolig.kjøpesum"}
    price = found["bolig.kjøpesum"]
    assert not price.increased and price.to_dict()["til"] == str(price.new)
    at = lambda kr: policy.evaluate_facts(P.with_value(facts, ("bolig", "kjøpesum"), kr), explain=False).utfall
    assert at(price.new) == "innvilget" and at(price.new + 1) == "avslag", "the exact highest price, to the krone"
    assert "høyst" in price.text


def test_no_single_change_suffices_then_each_criterion_gets_its_own():
    policy = load_policy("nasjonal")
    s = drammen_low_income()
    s["inntekter"][0]["netto_per_måned"] = 30000
    s["skjønn"]["avslag_fra_banker"] = 0
    facts = policy.validate(s)
    what_if = assert_smallest(policy, facts, policy.evaluate_facts(facts))
    assert what_if.none_suffices
    per = {r.id: [c.fact for c in changes] for r, changes in what_if.per_criterion}
    assert per["bankfinansiering"] == ["skjønn.avslag_fra_banker"]
    assert "inntekter" in per["betjeningsevne"]
    bank = what_if.per_criterion[0][1][0]
    assert bank.new == 1 and bank.text == "dokumentert avslag på lån fra én bank"


def test_thresholds_solved_in_a_staircase_are_exact_and_combinations_hold():
    # Drammen, two criteria not met: the tilskudd and the loan are rounded to whole thousands, so the gap is
    # a staircase; each threshold is to the krone, and each combination, applied together, is a grant
    policy = load_policy("drammen")
    s = drammen_low_income()
    s["skjønn"]["langvarige_finansieringsproblemer"] = False
    facts = policy.validate(s)
    what_if = assert_smallest(policy, facts, policy.evaluate_facts(facts))
    per = {r.id: {c.fact: c for c in changes} for r, changes in what_if.per_criterion}
    assert {"inntekter", "egenkapital", "bolig.kjøpesum"} <= set(per["tilskudd_innenfor_grensen"])
    assert what_if.combinations and all(len(c) >= 2 for c in what_if.combinations)


def test_a_scheme_not_offered_suggests_the_ordinary_scheme():
    policy = load_policy("drammen")
    s = copy.deepcopy(FAMILY)
    s["ordning"] = "eie_først"
    facts = policy.validate(s)
    what_if = assert_smallest(policy, facts, policy.evaluate_facts(facts))
    assert [(c.fact, c.new) for c in what_if.changes] == [("ordning", "startlån")]


def test_a_granted_decision_needs_no_change():
    policy = load_policy("nasjonal")
    decision = policy.evaluate(copy.deepcopy(FAMILY))
    assert what_would_change(decision).changes == () and not what_would_change(decision).none_suffices


@pytest.mark.parametrize("threshold", [1, 2, 3, 17, 1000, 123_457])
def test_smallest_finds_the_threshold_exactly(threshold):
    tried = []

    def works(d):
        tried.append(d)
        return d >= threshold

    assert _smallest(works, Decimal(1), Decimal(10**9)) == threshold
    assert len(tried) < 80


def test_smallest_respects_the_room_and_the_step():
    assert _smallest(lambda d: d >= 5000, Decimal(1000), Decimal(4999)) is None
    assert _smallest(lambda d: d >= 4500, Decimal(1000), Decimal(10**6)) == 5000
    assert _smallest(lambda d: True, Decimal(1000), Decimal(999)) is None


@settings(max_examples=60, deadline=None)
@given(threshold=st.integers(1, 10**6), guess=st.integers(1, 10**6), stride=st.integers(1, 5000))
def test_first_finds_the_threshold_from_any_estimate_and_stride(threshold, guess, stride):
    tried = []

    def works(k):
        tried.append(k)
        return k >= threshold

    assert _first(works, 0, 10**6, guess, stride) == threshold
    assert len(tried) < 70


def test_quantum_is_the_unit_of_a_staircase():
    assert _quantum([Decimal(-1383000), Decimal(266000), Decimal(0)]) == 1000
    assert _quantum([Decimal(-411089), Decimal(15930910)]) == 1
    assert _quantum([Decimal("-0.5")]) == 1


@settings(max_examples=200, deadline=None)
@given(mode=st.sampled_from(["ned", "opp", "halv_opp"]), unit=st.sampled_from([10, 1000]),
       start=st.integers(1, 10**7), slope=st.integers(-3000, 3000).filter(bool), per=st.sampled_from([1, 2, 8]),
       a=st.integers(0, 50), span=st.integers(1, 400), reach=st.integers(0, 3000))
def test_a_staircase_is_solved_at_its_step(mode, unit, start, slope, per, a, span, reach):
    # a rounded amount linear in the change (`slope`/`per` kr per step, exact in
    # decimal, so exactly on a multiple at some changes),
    # and a gap that narrows by one unit per step of the rounding, open at `a`: the crossing is the first change
    # that closes it, from the roundings at `a` and at `a + span` (past that where it is still open there)
    unit = Decimal(unit)

    def made(k):
        value = Decimal(start) + Decimal(slope) * k / per
        return [(value, unit, mode, rounded(value, unit, mode))]

    def gap(k):
        result = made(k)[0][3]
        return (result - made(a)[0][3] if slope > 0 else made(a)[0][3] - result) - unit * (reach + 1)

    b = a + span
    j = _crossing(made(a), made(b), a, b, (gap(a), gap(b)))
    steps = abs(made(b)[0][3] - made(a)[0][3]) / unit
    if steps == 0 or steps >= span:
        assert j is None
        return
    if steps <= 2:  # without the gaps: the first change at which the rounding changes its result
        assert _crossing(made(a), made(b), a, b) == next(k for k in range(a + 1, b + 1) if gap(k) != gap(a))
    first = next(k for k in range(max(a, b if gap(b) < 0 else a) + 1, 10**6) if gap(k) >= 0)
    assert j == first
