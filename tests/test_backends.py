"""The compiled backend and the reference interpreter give identical decisions."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boligregler import load_policy
from boligregler.model.loader import shipped_policies_dir
from boligregler.money import load_json

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted(p.stem for p in shipped_policies_dir().glob("*.pol"))
FAMILY = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=POLICIES)
def pair(request):
    return load_policy(request.param), load_policy(request.param, backend="interpreter")


def test_unknown_backend_is_refused():
    from boligregler import BoligreglerError
    with pytest.raises(BoligreglerError, match="ukjent motor «gpu»") as err:
        load_policy("nasjonal", backend="gpu")
    assert isinstance(err.value, ValueError) and err.value.code == "ukjent_motor"
    assert err.value.problems[0].params == {"motor": "gpu", "gyldige": ["compiled", "interpreter"]}


def test_every_example_agrees(pair):
    compiled, interpreted = pair
    for example in compiled.model.examples:
        a = compiled.evaluate(copy.deepcopy(example.input)).to_dict()
        b = interpreted.evaluate(copy.deepcopy(example.input)).to_dict()
        assert json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False), example.name


money = st.integers(min_value=0, max_value=120_000).map(Decimal)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(salary=money, costs=money, price=st.integers(500_000, 8_000_000).map(Decimal),
       equity=st.integers(0, 900_000).map(Decimal), adults=st.integers(1, 3),
       children=st.lists(st.integers(0, 17), max_size=4), term=st.integers(1, 50),
       long_low=st.booleans(), formal=st.sampled_from(["kjøp", "oppføring", "utbedring", "refinansiering"]))
def test_random_soknader_agree(pair, salary, costs, price, equity, adults, children, term, long_low, formal):
    compiled, interpreted = pair
    s = copy.deepcopy(FAMILY)
    s["formål"] = formal
    s["inntekter"][0]["netto_per_måned"] = salary
    s["bolig"]["boutgifter_per_måned"] = costs
    s["bolig"]["kjøpesum"] = price if formal in ("kjøp", "oppføring") else None
    s["bolig"]["kostnad"] = price if formal in ("utbedring", "refinansiering") else None
    s["egenkapital"] = equity
    s["husstand"] = {"voksne": [{"alder": 40}] * adults, "barn": [{"alder": a} for a in children]}
    s["ønsket_nedbetalingstid_år"] = term
    s["skjønn"]["varig_lav_inntekt"] = long_low
    assert compiled.evaluate(copy.deepcopy(s)).to_dict() == interpreted.evaluate(copy.deepcopy(s)).to_dict()
