"""Overflow in the columnar backend is row by row: a row whose integers may not fit int64 falls back to the
Decimal backend, the other rows of the batch stay in the arrays, and every row is decided as the reference
interpreter decides it (the model is `tests/test_conformance.py`)."""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boligregler.api import load_policy_text
from boligregler.evaluation import columnar
from test_conformance import FAMILY, columnar_backend, reference, soknader, valid_facts

HEADER = ('regelverk proeve bygger på nasjonal {\n    navn: "Prøve"\n    kommune: "Testkommune"\n'
          '    vedtatt: 2024-01-01\n    kilde: "Prøve"\n    klageinstans: "kommunens klagenemnd"\n}\n\n')

# Each policy reads numbers beyond int64 only on some rows (the families with more than two children, or the
# rows whose amounts are extreme); `row_reads` says which rows may read them.
POLICIES = {
    # a product with a constant of 10^20, on the rows with more than two children
    "produkt": ("## Egenkapital som brukes.\noverstyr beregn egenkapital_brukt: kr =\n"
                "    hvis antall_barn > 2\n"
                "    så maks(0 kr, egenkapital - egenkapital_buffer_måneder * tellende_inntekt * 1000000000000 * 100000000)\n"
                "    ellers maks(0 kr, egenkapital - egenkapital_buffer_måneder * tellende_inntekt)\n"),
    # a sum whose elements may each be near int64 (every income times a million), on every row with an income
    "sum": ("## Tellende inntekt.\noverstyr beregn tellende_inntekt: kr/mnd =\n"
            "    sum(inn.netto_per_måned * 1000000 for hver inn i inntekter der inn.type i tellende_inntektstyper)"
            " / 1000000\n"),
    # a divisor beyond int64 and a constant of 10^30 kr chosen on some rows (a number in a policy is at most 10^12)
    "deler": ("## Omkostninger.\noverstyr beregn omkostninger: kr =\n"
              "    hvis formål = \"kjøp\"\n"
              "    så (hvis bolig.eierform = \"aksjeleilighet\"\n"
              "        så avrund(bolig.kjøpesum / 30000000000 / 1000000000000, 1 kr, opp)"
              " + (1000000000000 kr * 1000000000000 * 1000000 - 1000000000000 kr * 1000000000000 * 1000000)\n"
              "        ellers avrund(bolig.kjøpesum / 30000000000 / 1000000000000, 1 kr, halv_opp)"
              " + tinglysinger_ved_kjøp * tinglysingsgebyr)\n"
              "    ellers tinglysinger_ellers * tinglysingsgebyr\n"),
    # the rate of the betjeningsevne as a product of ten-decimal numbers (a scale of 24 for every row)
    "rente": ("## Renten betjeningsevnen beregnes med.\n"
              "overstyr beregn rente: % = styringsrente + stresstest_påslag * 1.0000000001 * 1.0000000001\n"),
}


@functools.cache
def _policies(name: str):
    text = HEADER + POLICIES[name]
    return load_policy_text(text, "proeve.pol"), load_policy_text(text, "proeve.pol", backend="interpreter")


EXTREME = [0, 1, 99_999_999_999, 100_000_000_000, 100_000_000_001, 999_999_999_999, 1_000_000_000_000]


@st.composite
def extreme_soknader(draw):
    """A søknad of `soknader()`, with some of its amounts at or near the largest the søknad allows (10^12 kr;
    beyond 10^11 kr the arrays do not hold them)."""
    s = draw(soknader())
    for inn in s["inntekter"]:
        if draw(st.booleans()):
            inn["netto_per_måned"] = draw(st.sampled_from(EXTREME))
    if draw(st.booleans()):
        s["egenkapital"] = draw(st.sampled_from(EXTREME))
    if draw(st.booleans()) and s["bolig"]["kjøpesum"] is not None:
        s["bolig"]["kjøpesum"] = draw(st.sampled_from(EXTREME[1:]))
    if draw(st.booleans()):
        s["bolig"]["fellesgjeld"] = draw(st.sampled_from(EXTREME))
    return s


@pytest.mark.parametrize("name", POLICIES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(st.one_of(soknader(), extreme_soknader()), min_size=1, max_size=25))
def test_extreme_numbers_mixed_with_ordinary_rows(name, batch):
    policy, interpreter = _policies(name)
    facts = valid_facts(policy, batch)
    got, result = columnar_backend(policy, facts)
    assert got == reference(interpreter, facts)
    assert result.unsupported == {}


def _family(children: int, income: int = 40_000, equity: int = 0) -> dict:
    s = copy.deepcopy(FAMILY)
    s["husstand"]["barn"] = [{"alder": 5} for _ in range(children)]
    s["inntekter"] = [{"type": "lønn", "netto_per_måned": income}]
    s["egenkapital"] = equity
    return s


def test_only_the_rows_that_overflow_fall_back():
    """A product beyond int64 on the families with more than two children: their rows fall back (unless the
    product is 0: no income), the rest of the batch is decided by the arrays."""
    policy, interpreter = _policies("produkt")
    facts = [policy.validate(_family(children, income)) for children, income in
             [(0, 40_000), (3, 40_000), (1, 35_000), (4, 0), (3, 52_000), (2, 60_000)]]
    got, result = columnar_backend(policy, facts)
    assert got == reference(interpreter, facts)
    assert result.fallback.tolist() == [False, True, False, False, True, False]
    assert result.unsupported == {}


def test_a_sum_that_may_overflow_falls_back_only_where_it_does():
    """Each income times a million: beyond SAFE (2^62) in øre on the rows with an income over about 4.6 · 10^10 kr."""
    policy, interpreter = _policies("sum")
    incomes = [40_000, 50_000_000_000, 46_200_000_000, 1_000_000_000, 0]
    facts = [policy.validate(_family(1, income)) for income in incomes]
    got, result = columnar_backend(policy, facts)
    assert got == reference(interpreter, facts)
    assert [income * 100 * 1_000_000 >= columnar.SAFE for income in incomes] == [False, True, True, False, False]
    assert result.fallback.tolist() == [False, True, True, False, False]
    assert result.unsupported == {}


def test_a_value_fixed_for_the_batch_may_be_beyond_int64():
    """Python integers are exact at any size: two constants beyond int64 that cancel leave the rows in the
    arrays, and a divisor beyond int64 rounds an array exactly (up to 1 kr, or half up to 0 kr)."""
    policy, interpreter = _policies("deler")
    soknader = []
    for eierform in ["selveier", "aksjeleilighet", "borettslag", "aksjeleilighet"]:
        s = _family(1)
        s["bolig"]["eierform"] = eierform
        soknader.append(s)
    facts = [policy.validate(s) for s in soknader]
    got, result = columnar_backend(policy, facts)
    assert got == reference(interpreter, facts)
    assert not result.fallback.any()


@pytest.mark.parametrize("mode", ["ned", "opp", "halv_opp", "halv_jevn"])
@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(-2**63 + 1, 2**63 - 1), min_size=1, max_size=8),
       divisor=st.one_of(st.integers(2**63, 2**66), st.sampled_from([2**63, 2**63 + 1, 2**64, 10**20])))
def test_rounding_an_array_by_a_divisor_beyond_int64(mode, values, divisor):
    got = columnar.divround(np.array(values, dtype=np.int64), divisor, mode).tolist()
    assert got == [columnar.divround(v, divisor, mode) for v in values]  # Python integers: exact


@pytest.mark.parametrize("mode", ["ned", "opp", "halv_opp", "halv_jevn"])
@settings(max_examples=300, deadline=None)
@given(v=st.integers(-10**30, 10**30), u=st.integers(1, 10**25))
def test_rounding_of_python_integers_is_the_decimal_rounding(mode, v, u):
    from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

    rounding = {"ned": ROUND_FLOOR, "opp": ROUND_CEILING, "halv_opp": ROUND_HALF_UP, "halv_jevn": ROUND_HALF_EVEN}
    context = Context(prec=100)
    exact = context.divide(Decimal(v), Decimal(u)).quantize(Decimal(1), rounding=rounding[mode], context=context)
    assert columnar.divround(v, u, mode) == int(exact)


TABLE = HEADER + '''tabell tillegg: kr etter antall {
    fra 2024-01-01 kilde "k" {
        0 til 999999999999.00000001: 1 kr
        999999999999.00000002 og over: 2 kr
    }
}

vilkår lite_tillegg {
    tittel: "Lite tillegg"
    art: hovedregel
    hjemmel: "k"
    oppfylt når tillegg[antall_barn * 1000000000000 * 10000] < 2 kr
}
'''


def test_a_table_key_scaled_beyond_int64_to_a_bound_falls_back():
    """A key compared with a bound of eight decimals is scaled by 10^8: beyond int64 for 10^16 children-units,
    so those rows fall back instead of matching the first row (the key read as 0)."""
    policy, interpreter = load_policy_text(TABLE, "proeve.pol"), load_policy_text(TABLE, "proeve.pol", backend="interpreter")
    facts = [policy.validate(_family(children)) for children in [0, 1, 3]]
    got, result = columnar_backend(policy, facts)
    assert got == reference(interpreter, facts)
    assert result.fallback.tolist() == [False, True, True]
