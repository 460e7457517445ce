"""Every number has a documented range, checked where it enters (søknad validation, the policy parser);
inside the range evaluation never overflows, outside it the number is reported with its location."""

from __future__ import annotations

import copy
import decimal
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boligregler.api import check_policy, load_policy
from boligregler.diagnostics import BoligreglerError, PolicyError
from boligregler.evaluation.soknad import SoknadError
from boligregler.limits import MAX_AMOUNT, MAX_INTEGER
from boligregler.model.loader import shipped_policies_dir
from boligregler.money import format_number, load_json

ROOT = Path(__file__).parent.parent
FAMILIE_TEXT = (ROOT / "examples" / "familie.json").read_text(encoding="utf-8")
SHIPPED = sorted(p.stem for p in shipped_policies_dir().glob("*.pol"))


def familie() -> dict:
    return load_json(FAMILIE_TEXT)


@pytest.fixture(scope="module")
def drammen():
    return load_policy("drammen")


def set_path(soknad: dict, path: tuple, value) -> dict:
    node = soknad
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return soknad


@pytest.mark.parametrize("path, value", [
    (("inntekter", 0, "netto_per_måned"), 10 ** 30),
    (("bolig", "kjøpesum"), 10 ** 31),
    (("egenkapital",), 10 ** 32),
    (("skjønn", "avslag_fra_banker"), 10 ** 34),
    (("inntekter", 0, "netto_per_måned"), Decimal("1e50")),
    (("tilknytning", "botid_måneder"), 10 ** 40),
    (("bolig", "kjøpesum"), "1" + "0" * 5000),
])
def test_numbers_beyond_the_range_are_reported_with_their_path(drammen, path, value):
    with pytest.raises(SoknadError) as e:
        drammen.evaluate(set_path(familie(), path, value))
    (problem,) = e.value.problems
    assert problem.path == ".".join(str(p) for p in path).replace(".0.", "[0].") and "for stort" in problem.message
    assert len(str(e.value)) < 300  # the number itself is not echoed


def test_a_5000_digit_integer_in_json_is_read_and_then_reported(drammen):
    text = FAMILIE_TEXT.replace('"avslag_fra_banker": 2', '"avslag_fra_banker": 1' + "0" * 5000)
    with pytest.raises(SoknadError, match="skjønn.avslag_fra_banker: er for stort"):
        drammen.evaluate(load_json(text))


def test_a_40_digit_count_is_formatted():
    assert format_number(Decimal("1" + "0" * 40)).startswith("10\u00a0000")


@pytest.mark.parametrize("policy_text, message", [
    ("parameter tinglysingsgebyr_stor: kr {\n    1" + "0" * 36 + " kr fra 2024-01-01 kilde \"x\"\n}\n", "tallet er for stort"),
    ("søknad {\n    ekstra: liste av { alder: heltall år } minst 1" + "0" * 5000 + "\n}\n", "tallet er for stort"),
    ("søknad {\n    ekstra: liste av { alder: heltall år } minst 5000\n}\n", "«minst» kan være høyst 1000"),
    ("parameter andel_x: % {\n    0.000000000001 % fra 2024-01-01 kilde \"x\"\n}\n", "for mange desimaler"),
])
def test_policy_numbers_beyond_the_range_are_located_errors(tmp_path, policy_text, message):
    path = tmp_path / "k.pol"
    path.write_text('regelverk k bygger på nasjonal {\n    navn: "K"\n    kommune: "K"\n    vedtatt: 2024-01-01\n'
                    '    kilde: "K"\n    klageinstans: "K"\n}\n' + policy_text, encoding="utf-8")
    try:
        diagnostics = check_policy(path).diagnostics
    except PolicyError as e:
        diagnostics = e.diagnostics
    found = [d for d in diagnostics if d.code == "S010"]
    assert found and message in found[0].message and found[0].span.line == 9


MONEY_PATHS = [("inntekter", 0, "netto_per_måned"), ("bolig", "kjøpesum"), ("egenkapital",),
               ("bolig", "boutgifter_per_måned"), ("faste_utgifter", 0, "per_måned"), ("bolig", "fellesgjeld"),
               ("banklån", "beløp"), ("banklån", "terminbeløp_per_måned")]
COUNT_PATHS = [("skjønn", "avslag_fra_banker"), ("tilknytning", "botid_måneder")]
extreme_money = st.sampled_from([0, 1, MAX_AMOUNT, MAX_AMOUNT - Decimal("0.01"), Decimal("0.01"), 10 ** 9])
extreme_count = st.sampled_from([0, 1, MAX_INTEGER, 10 ** 6])  # capped by the field's own «fra … til …»


def upper_bound(schema, path: tuple) -> int:
    t = schema
    for step in path:
        if isinstance(step, int):
            t = t.element
            continue
        spec = t.fields[step]
        t = spec.type
    return int(spec.high) if spec.high is not None else MAX_INTEGER


@settings(max_examples=40, deadline=None)
@given(policy=st.sampled_from(SHIPPED), money=st.lists(extreme_money, min_size=len(MONEY_PATHS),
                                                      max_size=len(MONEY_PATHS)),
       counts=st.lists(extreme_count, min_size=len(COUNT_PATHS), max_size=len(COUNT_PATHS)))
def test_evaluation_never_overflows_inside_the_documented_ranges(policy, money, counts):
    soknad = familie()
    p = load_policy(policy)
    for path, value in zip(COUNT_PATHS, counts):
        set_path(soknad, path, min(value, upper_bound(p.model.schema, path)))
    for path, value in zip(MONEY_PATHS, money):
        set_path(soknad, path, value)
    try:
        decision = p.evaluate(copy.deepcopy(soknad))
    except BoligreglerError as e:
        assert not isinstance(e, SoknadError), e  # values in range are valid
        return
    except decimal.DecimalException as e:  # pragma: no cover - the defect this test guards against
        pytest.fail(f"{policy}: {e!r}")
    decision.to_dict()
    decision.begrunnelse


@pytest.mark.parametrize("date", ["2026-02-30", "2026-13-01", "2025-02-29"])
def test_a_well_formed_date_that_does_not_exist_is_named(drammen, date):
    with pytest.raises(SoknadError, match=f"søknadsdato: {date} er ikke en dato som finnes"):
        drammen.evaluate(set_path(familie(), ("søknadsdato",), date))


@pytest.mark.parametrize("date", ["2026W101", "20260301", "2026-3-1", "2026-03-01T00:00", " 2026-03-01"])
def test_dates_are_exactly_yyyy_mm_dd(drammen, date):
    with pytest.raises(SoknadError, match="søknadsdato: må være en dato på formen ÅÅÅÅ-MM-DD"):
        drammen.evaluate(set_path(familie(), ("søknadsdato",), date))
