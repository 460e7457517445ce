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
POLICY = '''regelverk tabelltest bygger på nasjonal {
    navn: "T"
    kommune: "T kommune"
    vedtatt: 2024-01-01
    kilde: "k"
    klageinstans: "klagenemnda"
}

tabell barnetillegg: kr/mnd etter antall {
    fra 2024-01-01 kilde "k" {
        0: 0 kr/mnd
        1 til 2: 500 kr/mnd
    }
}

tabell aldersfradrag: kr/mnd etter alder {
    fra 2024-01-01 kilde "k" {
        0 til 5: 100 kr/mnd
    }
}

overstyr beregn livsopphold: kr/mnd =
    livsoppholdsnorm + barnetillegg[antall_barn] + sum(aldersfradrag[b.alder] for hver b i husstand.barn)
'''
LINE = POLICY.splitlines()[22]
SOKNAD = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))


def soknad(*ages):
    s = copy.deepcopy(SOKNAD)
    s["husstand"]["barn"] = [{"alder": a} for a in ages]
    return s


@pytest.fixture(params=["compiled", "interpreter"])
def policy(request, tmp_path):
    path = tmp_path / "tabelltest.pol"
    path.write_text(POLICY, encoding="utf-8")
    return load_policy(path, backend=request.param), str(path)


def test_a_table_without_a_row_names_the_place_and_the_soknad_field(policy):
    p, path = policy
    with pytest.raises(EvaluationError) as e:
        p.evaluate(soknad(3, 9))
    message = str(e.value)
    assert message.startswith(f"{path}:23:{LINE.index('aldersfradrag[') + 1}: beregningen «livsopphold» i regelverket «tabelltest»: ")
    assert "tabellen «aldersfradrag» har ingen rad for 9" in message and "husstand.barn[1].alder" in message
    problem = e.value.problems[0].to_dict()
    assert problem["felt"] == "husstand.barn[1].alder" and problem["sti"] == ["husstand", "barn", 1, "alder"]
    assert problem["parametre"]["linje"] == 23 and problem["parametre"]["regelverk"] == "tabelltest"


def test_a_key_computed_from_the_soknad_is_located_too(policy):
    p, path = policy
    with pytest.raises(EvaluationError) as e:
        p.evaluate(soknad(1, 2, 3))
    assert str(e.value).startswith(f"{path}:23:{LINE.index('barnetillegg[') + 1}: beregningen «livsopphold» i regelverket «tabelltest»: "
                                   "tabellen «barnetillegg» har ingen rad for 3")


def test_a_date_before_the_first_value_names_the_inherited_definition(tmp_path):
    p = load_policy("drammen")
    s = copy.deepcopy(SOKNAD)
    s["søknadsdato"] = "2010-01-01"
    with pytest.raises(EvaluationError) as e:
        p.evaluate(s)
    message = str(e.value)
    assert "nasjonal.pol:" in message and "i regelverket «nasjonal»" in message and "før første verdi" in message
    assert json.dumps(e.value.to_dict(), ensure_ascii=False)  # still data
