"""Every run-time evaluation error names the policy, file:line:col and the søknad path involved."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from boligregler.api import load_policy
from boligregler.evaluation.runtime import EvaluationError
from boligregler.money import load_json

ROOT = Path(__file__).resolve().parents[1]
POLICY = '''regelverk feiltest bygger på nasjonal {
    navn: "T"
    kommune: "T kommune"
    vedtatt: 2024-01-01
    kilde: "k"
    klageinstans: "klagenemnda"
}

overstyr beregn grunnlag: kr = maks(bolig.kjøpesum, 0 kr)
'''
SOKNAD = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))


@pytest.fixture(params=["compiled", "interpreter"])
def policy(request, tmp_path):
    path = tmp_path / "feiltest.pol"
    path.write_text(POLICY, encoding="utf-8")
    return load_policy(path, backend=request.param), str(path)


def test_a_missing_fact_names_the_place_and_the_soknad_field(policy):
    p, path = policy
    s = copy.deepcopy(SOKNAD)
    s["formål"] = "utbedring"
    s["bolig"] = {"kostnad": 400000, "boutgifter_per_måned": 4000}
    with pytest.raises(EvaluationError) as e:
        p.evaluate(s)
    column = POLICY.splitlines()[8].index("bolig.kjøpesum") + 1
    assert str(e.value).startswith(f"{path}:9:{column}: beregningen «grunnlag» i regelverket «feiltest»: ")
    assert "bolig.kjøpesum" in str(e.value)
    problem = e.value.problems[0].to_dict()
    assert problem["felt"] == "bolig.kjøpesum" and problem["sti"] == ["bolig", "kjøpesum"]


def test_a_date_before_the_first_value_names_the_inherited_definition():
    p = load_policy("drammen")
    s = copy.deepcopy(SOKNAD)
    s["søknadsdato"] = "2010-01-01"
    with pytest.raises(EvaluationError) as e:
        p.evaluate(s)
    message = str(e.value)
    assert "nasjonal.pol:" in message and "i regelverket «nasjonal»" in message and "før første verdi" in message
    assert e.value.problems[0].to_dict()["parametre"]["regelverk"] == "nasjonal"
    assert json.dumps(e.value.to_dict(), ensure_ascii=False)
