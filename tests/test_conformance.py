"""One conformance suite for every backend: each must decide like the reference interpreter.

A backend here is a function from validated facts to one summary per søknad
(`columnar.decision_record`: outcome, the amounts as vedtak.md writes them, rate, term, every
criterion's result and exception letter, conditions). The compiled backend decides row by row;
the columnar backend decides the whole batch as arrays.
"""

from __future__ import annotations

import copy
import functools
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boligregler import load_policy
from boligregler.diagnostics import BoligreglerError
from boligregler.evaluation import columnar
from boligregler.evaluation.runtime import given as assessed
from boligregler.model.loader import shipped_policies_dir
from boligregler.money import load_json

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted(p.stem for p in shipped_policies_dir().glob("*.pol"))
FAMILY = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))


def compiled(policy, facts):
    return [columnar.decision_record(policy.evaluate_facts(f, explain=False)) for f in facts], None


def columnar_backend(policy, facts):
    result = policy.evaluate_batch(columnar.from_facts(policy.model.schema, facts))
    return [result.record(i) for i in range(len(facts))], result


BACKENDS = {"compiled": compiled, "columnar": columnar_backend}


@pytest.fixture(scope="module", params=POLICIES)
def policies(request):
    return load_policy(request.param), load_policy(request.param, backend="interpreter")


def valid_facts(policy, soknader):
    """The facts of every generated søknad the policy's schema accepts (e.g. not one with an ordning it lacks)."""
    facts = []
    for s in soknader:
        try:
            facts.append(policy.validate(s))
        except BoligreglerError:
            continue
    return facts


def reference(interpreter, facts):
    out = []
    for f in facts:
        try:
            out.append(columnar.decision_record(interpreter.evaluate_facts(f, explain=False)))
        except Exception as e:  # the same error must come out of every backend
            out.append({"feil": str(e)})
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_example_of_every_policy(policies, backend):
    policy, interpreter = policies
    facts = [policy.validate(copy.deepcopy(e.input)) for e in policy.model.examples if e.input is not None]
    got, result = BACKENDS[backend](policy, facts)
    assert got == reference(interpreter, facts)
    if result is not None:  # the arrays decide the examples, not the fallback
        assert result.unsupported == {}
        # a criterion that reads a fact not yet assessed is settled over every completion of it,
        # which only the Decimal backend does: such examples may fall back by design
        complete = np.array([not _has_unassessed(f) for f in facts], dtype=bool)
        assert result.fallback[complete].sum() <= 1, [
            e.name for e, f, c in zip(policy.model.examples, result.fallback, complete) if f and c]


def _has_unassessed(value) -> bool:
    if isinstance(value, dict):
        return any(_has_unassessed(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unassessed(v) for v in value)
    return not assessed(value) and value is not None


money = st.integers(min_value=0, max_value=120_000)
cents = st.integers(min_value=0, max_value=9_999_999).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def soknader(draw):
    s = copy.deepcopy(FAMILY)
    formal = draw(st.sampled_from(["kjøp", "kjøp", "oppføring", "utbedring", "refinansiering"]))
    price = draw(st.integers(300_000, 8_000_000))
    s["søknadsdato"] = draw(st.sampled_from(["2024-03-01", "2025-01-15", "2025-07-01", "2026-03-01"]))
    s["formål"] = formal
    s["ordning"] = draw(st.sampled_from(["startlån", "startlån", "eie_først"]))
    types = ["lønn", "uføretrygd", "barnetrygd", "sosialhjelp", "bostøtte", "leieinntekt", "dagpenger"]
    s["inntekter"] = [{"type": draw(st.sampled_from(types)), "netto_per_måned": draw(st.one_of(money, cents))}
                      for _ in range(draw(st.integers(0, 4)))]
    s["faste_utgifter"] = [{"type": "forbrukslån", "per_måned": draw(money)} for _ in range(draw(st.integers(0, 2)))]
    s["bolig"]["boutgifter_per_måned"] = draw(st.integers(0, 30_000))
    s["bolig"]["kjøpesum"] = price if formal in ("kjøp", "oppføring") else None
    s["bolig"]["kostnad"] = price if formal in ("utbedring", "refinansiering") else None
    s["bolig"]["eierform"] = draw(st.sampled_from(["selveier", "borettslag", "aksjeleilighet"]))
    s["bolig"]["fellesgjeld"] = draw(st.integers(0, 900_000))
    s["bolig"]["kommunal_utleiebolig"] = draw(st.booleans())
    s["egenkapital"] = draw(st.integers(0, 900_000))
    s["banklån"] = {"beløp": draw(st.sampled_from([0, 0, 1_000_000])), "terminbeløp_per_måned": draw(st.sampled_from([0, 5200]))}
    s["livsopphold_per_måned"] = draw(st.sampled_from([None, None, 15_000]))
    s["husstand"] = {"voksne": [{"alder": draw(st.integers(18, 90))} for _ in range(draw(st.integers(1, 3)))],
                     "barn": [{"alder": draw(st.integers(0, 17))} for _ in range(draw(st.integers(0, 4)))],
                     "særlige_behov": draw(st.booleans())}
    s["ønsket_nedbetalingstid_år"] = draw(st.integers(1, 50))
    for key in ("langvarige_finansieringsproblemer", "spareevne_utnyttet", "stabil_bosituasjon_haster",
                "fare_for_tvangssalg", "hindrer_arbeid", "varig_lav_inntekt", "boligen_egnet_og_nøktern"):
        s["skjønn"][key] = draw(st.booleans())
    s["skjønn"]["avslag_fra_banker"] = draw(st.integers(0, 3))
    s["tilknytning"]["folkeregistrert_i_kommunen"] = draw(st.booleans())
    s["tilknytning"]["botid_måneder"] = draw(st.integers(0, 400))
    s["tilknytning"]["leietaker_i_kommunal_bolig"] = draw(st.booleans())
    s["tilknytning"]["mottar_sosialhjelp"] = draw(st.booleans())
    return s


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(soknader(), min_size=1, max_size=25))
def test_random_batches(policies, backend, batch):
    policy, interpreter = policies
    facts = valid_facts(policy, batch)
    got, _ = BACKENDS[backend](policy, facts)
    assert got == reference(interpreter, facts)


GRIDS = sorted((ROOT / "tests" / "fixtures" / "tabeller").glob("*.pol"))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("grid", GRIDS, ids=[p.stem for p in GRIDS])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(soknader(), min_size=1, max_size=20))
def test_two_dimensional_tables(backend, grid, batch):
    """Tables by voksne × barn (open rows in both keys), by voksne × alder inside a sum over the children,
    and by eierform (a choice) × barn."""
    policy, interpreter = _grid_policies(grid)
    facts = valid_facts(policy, batch)
    got, result = BACKENDS[backend](policy, facts)
    assert got == reference(interpreter, facts)
    if result is not None:
        assert result.unsupported == {}


@functools.cache
def _grid_policies(path: Path):
    return load_policy(path), load_policy(path, backend="interpreter")


def test_guard_band_recheck_is_exact(monkeypatch):
    """With a band so wide that every float rounding is re-checked in Decimal, nothing changes."""
    policy = load_policy("drammen")
    facts = [policy.validate(copy.deepcopy(e.input)) for e in policy.model.examples]
    before = [policy.evaluate_batch(columnar.from_facts(policy.model.schema, facts)).record(i) for i in range(len(facts))]
    monkeypatch.setattr(columnar, "REL_BAND", 1.0)
    result = policy.evaluate_batch(columnar.from_facts(policy.model.schema, facts))
    assert result.rechecked.sum() == (~result.fallback).sum()
    assert [result.record(i) for i in range(len(facts))] == before


@pytest.mark.parametrize("mode", ["ned", "opp", "halv_opp", "halv_jevn"])
@pytest.mark.parametrize("signs", [1, -1])
def test_float_roundings_exactly_at_a_boundary_are_rechecked(mode, signs):
    """At rate 0 the annuity is the amount over the months: 18 kr over 12 months is 1.50 kr, a tie."""
    from decimal import Decimal, localcontext
    from boligregler.evaluation import runtime
    from boligregler.money import CONTEXT
    payments = np.array([1800, 3000, 1200, 1212, 2400, 1, 0, 123456]) * signs
    amount = columnar.Num(payments, 2, None, 10**6)
    ev = columnar.Evaluator.__new__(columnar.Evaluator)
    ev.rechecked, ev._cache = np.zeros(len(payments), dtype=bool), {}
    approx = ev.finance("annuitet", amount, columnar.Num(0, 4, None, 0), columnar.Num(1, 0, None, 1))
    got = ev.rounded(approx, Decimal("1"), mode)
    with localcontext(CONTEXT):
        want = [int(runtime.rounded(runtime.annuity(Decimal(int(p)) / 100, Decimal(0), Decimal(1)), Decimal(1), mode))
                for p in payments]
    assert got.scale == 0 and np.asarray(got.data).tolist() == want
    on_boundary = [2, 6] if mode in ("ned", "opp") else [0, 1]  # 1.00 and 0 kr; 1.50 and 2.50 kr
    assert ev.rechecked[on_boundary].all()


@settings(max_examples=200, deadline=None)
@given(payment=st.integers(-10**9, 10**9), rate=st.integers(0, 2000), years=st.integers(1, 50),
       kind=st.sampled_from(["nåverdi", "annuitet"]))
def test_float_error_is_far_inside_the_guard_band(payment, rate, years, kind):
    """The float64 value differs from the Decimal runtime by far less than the band (here: < band/100)."""
    from decimal import localcontext
    from boligregler.money import CONTEXT
    amount = columnar.Num(np.array([payment]), 2, None, 10**9)
    r = columnar.Num(np.array([rate]), 4, None, 2000)
    t = columnar.Num(np.array([years]), 0, None, 50)
    ev = columnar.Evaluator.__new__(columnar.Evaluator)
    ev._cache = {}
    approx = ev.finance(kind, amount, r, t)
    with localcontext(CONTEXT):
        exact = approx.exact(np.array([0]))[0]
    band = abs(float(exact)) * columnar.REL_BAND + columnar.ABS_BAND
    assert abs(float(approx.times(1.0)[0]) - float(exact)) < band / 100


@pytest.mark.parametrize("kind", ["nåverdi", "annuitet"])
def test_terms_of_any_length_in_one_batch(kind):
    """A term per row up to a billion years (a policy may take it from the søknad) costs memory per row, not per month."""
    from decimal import localcontext
    from boligregler.money import CONTEXT
    years = [1, 25, 50, 10**6, 10**9]
    amount = columnar.Num(np.full(len(years), 1_000_000), 2, None, 10**9)
    ev = columnar.Evaluator.__new__(columnar.Evaluator)
    ev._cache = {}
    approx = ev.finance(kind, amount, columnar.Num(np.int64(450), 4, None, 2000),
                        columnar.Num(np.array(years), 0, None, 10**9))
    with localcontext(CONTEXT):
        exact = approx.exact(np.arange(len(years)))
    for got, want in zip(approx.times(1.0), exact):
        assert abs(got - float(want)) <= abs(float(want)) * columnar.REL_BAND + columnar.ABS_BAND


def test_rows_that_need_a_missing_fact_or_hit_an_error_fall_back():
    policy = load_policy("nasjonal")
    good = policy.validate(copy.deepcopy(FAMILY))
    early = copy.deepcopy(FAMILY)
    early["søknadsdato"] = "2023-01-01"  # before the first value of a parameter: an error, reported per row
    huge = copy.deepcopy(FAMILY)
    huge["bolig"]["kjøpesum"] = 10**12  # beyond exact int64 øre arithmetic
    facts = [good, policy.validate(early), policy.validate(huge)]
    result = policy.evaluate_batch(columnar.from_facts(policy.model.schema, facts))
    assert result.fallback.tolist() == [False, True, True]
    assert 1 in result.errors and "2023-01-01" in result.errors[1]
    assert result.record(2) == columnar.decision_record(policy.evaluate_facts(facts[2], explain=False))


@pytest.mark.parametrize("rents", [[7000], [1000, 2000], [1, 2, 3], [5833.33], [11], [12_000, 6]])
def test_fractions_without_a_finite_decimal_expansion_stay_exact(rents):
    """Leieinntekt · 10/12 is a fraction the Decimal backend rounds to 34 digits; the arrays keep it exact
    and agree with Decimal on every output, falling back only exactly at a boundary."""
    policy = load_policy("nasjonal")
    rows = []
    for extra in (0, 1, 4500, 23_932):
        s = copy.deepcopy(FAMILY)
        s["inntekter"] += [{"type": "leieinntekt", "netto_per_måned": Decimal(str(r))} for r in rents]
        s["bolig"]["boutgifter_per_måned"] = extra
        rows.append(policy.validate(s))
    result = policy.evaluate_batch(columnar.from_facts(policy.model.schema, rows))
    assert [result.record(i) for i in range(len(rows))] == \
        [columnar.decision_record(policy.evaluate_facts(f, explain=False)) for f in rows]
    assert not result.fallback.all()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(soknader(), min_size=2, max_size=30), chunk=st.integers(1, 7))
def test_chunks_decide_like_one_pass(batch, chunk):
    """The arrays run over slices of CHUNK rows, scheme by scheme within each slice: the same records
    (and the same rows to the Decimal backend) as one pass over the whole batch."""
    policy = load_policy("drammen")
    facts = [policy.validate(s) for s in batch]
    whole = policy.evaluate_batch(columnar.from_facts(policy.model.schema, facts))
    old = columnar.CHUNK
    try:
        columnar.CHUNK = chunk
        chunked = policy.evaluate_batch(columnar.from_facts(policy.model.schema, facts))
    finally:
        columnar.CHUNK = old
    assert [chunked.record(i) for i in range(len(facts))] == [whole.record(i) for i in range(len(facts))]
    assert chunked.fallback.tolist() == whole.fallback.tolist()


@st.composite
def partial_soknader(draw):
    """A søknad where any of the case worker's assessments and the documented bank refusals may be missing."""
    s = draw(soknader())
    for key in list(s["skjønn"]):
        if draw(st.booleans()):
            del s["skjønn"][key]
    return s


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(partial_soknader(), min_size=1, max_size=25))
def test_partial_batches_are_settled_as_arrays(policies, batch):
    """Facts not yet assessed are settled as the interpreter settles them (ikke_vurdert, ikke_avgjort, amounts
    left out), by the arrays: with `mangler=False` a row falls back only where the arrays cannot be sure."""
    policy, interpreter = policies
    facts = valid_facts(policy, batch)
    result = policy.evaluate_batch(columnar.from_facts(policy.model.schema, facts), mangler=False)
    assert [result.record(i) for i in range(len(facts))] == reference(interpreter, facts)
    assert not result.for_mangler.any()


def test_a_register_without_assessments_is_decided_by_the_arrays():
    """No assessment and no bank refusal given: every row is decided as arrays (mangler=False); with `mangler`
    the undecided rows go to the Decimal backend for the list of missing facts, and only those."""
    policy, interpreter = load_policy("drammen"), load_policy("drammen", backend="interpreter")
    rows = []
    for income, price, years, tenant in [(52_000, 2_900_000, 30, True), (18_000, 3_500_000, 50, False),
                                         (95_000, 1_200_000, 20, False), (9_000, 4_000_000, 40, True)]:
        s = copy.deepcopy(FAMILY)
        s["skjønn"] = {}
        s["inntekter"][0]["netto_per_måned"] = income
        s["bolig"]["kjøpesum"] = price
        s["ønsket_nedbetalingstid_år"] = years
        s["tilknytning"]["leietaker_i_kommunal_bolig"] = tenant
        rows.append(policy.validate(s))
        # leieinntekt · 10/12 has no finite expansion: the margin is a fraction whose Decimal value is
        # rounded; the same in both completions since what depends on the missing facts is
        s["inntekter"].append({"type": "leieinntekt", "netto_per_måned": 7001})
        rows.append(policy.validate(s))
    want = reference(interpreter, rows)
    quick = policy.evaluate_batch(columnar.from_facts(policy.model.schema, rows), mangler=False)
    assert [quick.record(i) for i in range(len(rows))] == want
    assert not quick.fallback.any()
    assert "ikke_vurdert" in {r for w in want for _, r, _ in w["vilkår"]}
    full = policy.evaluate_batch(columnar.from_facts(policy.model.schema, rows))
    assert [full.record(i) for i in range(len(rows))] == want
    undecided = np.array([w["utfall"] == "ikke_avgjort" for w in want])
    assert full.for_mangler.tolist() == undecided.tolist() == full.fallback.tolist()
    for i in np.flatnonzero(undecided):
        d = policy.evaluate_facts(rows[i], explain=False)
        assert full.missing[i] == ", ".join(m.opplysning for m in d.mangler)


def test_a_synthetic_register_without_assessments_read_as_a_table():
    """The same through the tabular reader (its columns carry tight bounds): a completion's value is not an overflow."""
    from boligregler.screening import population, tabular
    policy, interpreter = load_policy("drammen"), load_policy("drammen", backend="interpreter")
    chunk = tabular.read_chunk(policy.model, population.households(150, seed=7, assessed=False), 1, policy.validate)
    result = policy.evaluate_batch(chunk.batch, mangler=False)
    facts = chunk.batch.rows_facts(np.arange(chunk.batch.n))
    assert [result.record(i) for i in range(chunk.batch.n)] == reference(interpreter, facts)
    assert not result.fallback.any()


@settings(max_examples=200, deadline=None)
@given(counts=st.lists(st.integers(0, 3), max_size=12), data=st.data())
def test_segment_sums(counts, data):
    """The sum over each row's list elements, empty rows anywhere (also at the end) included."""
    offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)
    values = np.array(data.draw(st.lists(st.integers(-10**12, 10**12), min_size=int(offsets[-1]),
                                         max_size=int(offsets[-1]))), dtype=np.int64)
    assert columnar._segment_sum(values, offsets).tolist() == [int(values[a:b].sum()) for a, b in zip(offsets, offsets[1:])]


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.lists(st.integers(-2**61, 2**61), max_size=3), max_size=12))
def test_segment_sums_are_exact_when_the_running_sum_wraps(rows):
    """The running sum over all elements may leave int64 (here each row's own sum fits); the row sums do not."""
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows], dtype=np.int64)]).astype(np.int64)
    values = np.array([x for r in rows for x in r], dtype=np.int64)
    with np.errstate(over="ignore"):
        got = columnar._segment_sum(values, offsets).tolist()
    assert got == [sum(r) for r in rows]


@settings(max_examples=100, deadline=None)
@given(data=st.data(), n=st.integers(1, 20))
def test_integer_choice_is_exact_at_the_ends_of_int64(data, n):
    """`_pick` (y + (x − y)·cond) gives x or y exactly, also when x − y wraps around int64."""
    ints = st.integers(-2**63, 2**63 - 1)
    side = lambda: data.draw(st.one_of(ints, st.lists(ints, min_size=n, max_size=n).map(  # noqa: E731
        lambda v: np.array(v, dtype=np.int64))))
    x, y = side(), side()
    cond = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    with np.errstate(over="ignore"):
        got = columnar._pick(cond, x, y)
    assert np.array_equal(got, np.where(cond, x, y))


def test_amounts_waiting_for_a_fact_are_zero_as_from_the_fallback():
    """An amount left out of the vedtak (it waits for a fact) holds 0 in the result arrays, whichever backend
    decided the row, so totals over a batch (konsekvens) do not depend on that."""
    policy = load_policy("drammen")
    s = copy.deepcopy(FAMILY)
    s["skjønn"] = {}
    s["inntekter"][0]["netto_per_måned"] = 30_000
    s["ønsket_nedbetalingstid_år"] = 50  # the term, and the amounts with it, wait for varig_lav_inntekt
    facts = [policy.validate(s)]
    arrays = policy.evaluate_batch(columnar.from_facts(policy.model.schema, facts), mangler=False)
    decimal = policy.evaluate_batch(columnar.from_facts(policy.model.schema, facts))  # ikke_avgjort: to Decimal
    assert decimal.fallback[0] and not arrays.fallback[0]
    waiting = {k for k, m in arrays.absent.items() if m[0]}
    assert waiting and waiting == {k for k, m in decimal.absent.items() if m[0]}
    assert {k: int(v[0]) for k, v in arrays.amounts.items()} == {k: int(v[0]) for k, v in decimal.amounts.items()}


@settings(max_examples=100, deadline=None)
@given(ages=st.lists(st.one_of(st.integers(-3, 25), st.integers(-10**6, 10**6)), min_size=1, max_size=30),
       date=st.sampled_from(["2023-08-01", "2025-03-01"]))
def test_a_table_looked_up_over_its_keys_values_is_the_row_by_row_lookup(ages, date):
    """A key with few distinct values (livsopphold_barn by alder) is looked up in the table over them:
    the same values and the same rows without one (an age outside every row) as matching row by row."""
    policy = load_policy("drammen")
    facts = dict(copy.deepcopy(FAMILY), søknadsdato=date)
    batch = columnar.from_facts(policy.model.schema, [policy.validate(facts)])
    key = columnar.Num(np.array(ages, dtype=np.int64), 0, None, 10**6)

    def lookup():
        ev = columnar.Evaluator(policy.model, policy.model.scheme_for(""), batch)
        v = ev.table("livsopphold_barn", [key], columnar._Scope())
        return v.data.tolist(), columnar._full(v.bad, len(ages)).tolist()
    by_value = lookup()
    span, columnar.LOOKUP_SPAN = columnar.LOOKUP_SPAN, -1  # off: match every row of the table
    try:
        assert lookup() == by_value
    finally:
        columnar.LOOKUP_SPAN = span


@settings(max_examples=200, deadline=None)
@given(table=st.lists(st.booleans(), min_size=1, max_size=9), data=st.data())
def test_a_boolean_table_over_codes_is_looked_up_exactly(table, data):
    """`_holds` (comparisons when one or two codes are true or false, else a lookup) is `table[codes]`."""
    codes = np.array(data.draw(st.lists(st.integers(0, len(table) - 1), max_size=20)), dtype=np.int16)
    got = columnar._holds(np.array(table, dtype=bool), codes)
    assert got.dtype == bool and got.tolist() == [table[c] for c in codes.tolist()]


def _column_arrays(rec) -> list:
    """Every array of a batch's columns (list elements included)."""
    out = []
    for f in rec.fields.values():
        v = f.value
        if isinstance(v, (columnar.Rec, columnar.Lst)):
            out += _column_arrays(v if isinstance(v, columnar.Rec) else v.element)
        out += [a for a in (getattr(v, "data", None), getattr(v, "index", None), f.missing) if isinstance(a, np.ndarray)]
    return out


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(soknader(), min_size=1, max_size=30), chunk=st.integers(1, 40))
def test_values_written_into_the_result_columns_alias_nothing(batch, chunk):
    """A run writes the vedtak's values straight into its slice of the result columns: the same records as
    a run that hands its arrays over to be copied, every result column its own memory, and the batch's
    columns unchanged."""
    policy = load_policy("drammen")
    facts = [policy.validate(s) for s in batch]
    old, columnar.CHUNK = columnar.CHUNK, chunk
    try:
        b = columnar.from_facts(policy.model.schema, facts)
        before = [a.copy() for a in _column_arrays(b.root)]
        direct = policy.evaluate_batch(b)
        into, columnar._Columns.into = columnar._Columns.into, lambda self, rows: None
        try:
            copied = policy.evaluate_batch(columnar.from_facts(policy.model.schema, facts))
        finally:
            columnar._Columns.into = into
    finally:
        columnar.CHUNK = old
    assert [direct.record(i) for i in range(len(facts))] == [copied.record(i) for i in range(len(facts))]
    assert all(np.array_equal(x, y) for x, y in zip(before, _column_arrays(b.root)))
    results = [*direct.amounts.values(), *(a for a in (direct.rente, direct.nedbetalingstid) if a is not None)]
    for i, a in enumerate(results):
        assert a.flags.writeable and a.shape == (len(facts),)
        assert not any(np.shares_memory(a, other) for other in results[i + 1:] + _column_arrays(b.root))


def test_a_fixed_value_beyond_int64_before_rounding_is_rounded_as_the_decimal_backend_rounds_it():
    """The vedtak's rate is the same for every row of a batch; as a product of numbers of ten decimals its
    value is beyond int64. The batch is decided as the Decimal backend decides it, never stopped by an
    OverflowError: the rows where the rate meets an amount fall back, counted, the others stay in the arrays
    (`tests/test_columnar_overflow.py`)."""
    from boligregler.api import load_policy_text

    text = ('regelverk proeve bygger på nasjonal {\n    navn: "Prøve"\n    kommune: "Testkommune"\n'
            '    vedtatt: 2024-01-01\n    kilde: "Prøve"\n    klageinstans: "kommunens klagenemnd"\n}\n\n'
            '## Renten betjeningsevnen beregnes med: med mange desimaler.\n'
            'overstyr beregn rente: % = styringsrente + stresstest_påslag * 1.0000000001 * 1.0000000001\n')
    policy = load_policy_text(text, "proeve.pol")
    interpreter = load_policy_text(text, "proeve.pol", backend="interpreter")
    facts = [policy.validate(copy.deepcopy(e.input)) for e in load_policy("nasjonal").model.examples
             if e.input is not None]
    got, result = columnar_backend(policy, facts)
    assert got == reference(interpreter, facts)
    assert result.unsupported == {} and 0 < result.fallback.sum() < len(facts)
