"""Missing facts: a partial søknad lists what is still needed, most decisive first, and is
decided early when the outcome no longer depends on what is missing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from boligregler import load_policy
from boligregler.cli import main
from boligregler.evaluation.soknad import SoknadError
from boligregler.explain import missing_facts
from boligregler.money import load_json

ROOT = Path(__file__).resolve().parents[1]
FAMILY = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nasjonal():
    return load_policy("nasjonal")


@pytest.fixture(scope="module")
def drammen():
    return load_policy("drammen")


def without(*paths: str) -> dict:
    s = copy.deepcopy(FAMILY)
    for path in paths:
        *parents, last = path.split(".")
        target = s
        for p in parents:
            target = target[p]
        del target[last]
    return s


def test_a_complete_soknad_misses_nothing(nasjonal):
    c = missing_facts(nasjonal, copy.deepcopy(FAMILY))
    assert c.missing == () and c.needed == () and c.utfall == "innvilget"
    assert c.utfall == nasjonal.evaluate(copy.deepcopy(FAMILY)).utfall


def test_facts_the_outcome_needs_are_listed(drammen):
    c = missing_facts(drammen, without("søknadsdato", "bolig.kjøpesum", "bolig.boutgifter_per_måned"))
    assert not c.decided
    assert c.missing == ("søknadsdato", "bolig.kjøpesum", "bolig.boutgifter_per_måned")
    assert set(c.needed) == set(c.missing)
    undecided = {s.id for s in c.vilkår if s.resultat is None}
    assert undecided == {"betjeningsevne", "avslag_fra_to_banker", "tilskudd_innenfor_grensen"}
    decided = {s.id: s.resultat for s in c.vilkår if s.resultat is not None}
    assert decided["bankfinansiering"] == "oppfylt" and decided["folkeregistrert"] == "oppfylt"


def test_a_refusal_is_decided_early_whatever_is_missing(drammen):
    s = without("søknadsdato", "bolig.kjøpesum", "bolig.boutgifter_per_måned")
    s["skjønn"]["avslag_fra_banker"] = 0
    c = missing_facts(drammen, s)
    assert c.decided and c.utfall == "avslag" and c.needed == ()
    assert c.not_needed == c.missing
    assert next(x for x in c.vilkår if x.id == "bankfinansiering").forklaring == \
        "Det er ikke dokumentert avslag på lån fra en bank."


def test_a_yes_no_fact_is_tried_both_ways_before_it_is_needed(nasjonal):
    s = copy.deepcopy(FAMILY)
    s["skjønn"]["spareevne_utnyttet"] = False
    c = missing_facts(nasjonal, s, unknown=["skjønn.langvarige_finansieringsproblemer"])
    assert c.decided and c.utfall == "avslag", "without spareevne the answer is the same either way"
    s["skjønn"]["spareevne_utnyttet"] = True
    c = missing_facts(nasjonal, s, unknown=["skjønn.langvarige_finansieringsproblemer"])
    assert not c.decided and c.needed == ("skjønn.langvarige_finansieringsproblemer",)


def test_most_decisive_first(nasjonal):
    s = without("bolig.kjøpesum", "bolig.boutgifter_per_måned")
    c = missing_facts(nasjonal, s, unknown=["formål", "skjønn.langvarige_finansieringsproblemer"])
    assert not c.decided
    assert c.needed[:2] == ("formål", "skjønn.langvarige_finansieringsproblemer"), \
        "facts that can decide the outcome on their own come first"
    assert set(c.needed[2:]) == {"bolig.kjøpesum", "bolig.kostnad", "bolig.boutgifter_per_måned"}


def test_a_conditional_fact_is_missing_only_when_required(nasjonal):
    c = missing_facts(nasjonal, without("bolig.kjøpesum"))
    assert c.missing == ("bolig.kjøpesum",), "bolig.kostnad is not required for a purchase"
    s = copy.deepcopy(FAMILY)
    s["bolig"]["kjøpesum"] = None
    assert missing_facts(nasjonal, s).missing == ("bolig.kjøpesum",)


def test_a_missing_record_misses_each_of_its_facts(nasjonal):
    c = missing_facts(nasjonal, without("bolig"))
    assert c.missing == ("bolig.kjøpesum", "bolig.eierform", "bolig.boutgifter_per_måned")


def test_other_problems_are_still_reported(nasjonal):
    s = without("søknadsdato")
    s["husstand"]["barn"][0]["alder"] = -1
    with pytest.raises(SoknadError) as err:
        missing_facts(nasjonal, s)
    assert [p.path for p in err.value.problems] == ["husstand.barn[0].alder"]
    with pytest.raises(SoknadError, match="skjønn.finnes_ikke"):
        missing_facts(nasjonal, copy.deepcopy(FAMILY), unknown=["skjønn.finnes_ikke"])


def test_cli_reports_what_is_needed(tmp_path, capsys):
    path = tmp_path / "delvis.json"
    path.write_text(json.dumps(without("bolig.boutgifter_per_måned"), ensure_ascii=False), encoding="utf-8")
    assert main(["forklar", "nasjonal", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Opplysninger som trengs" in out and "bolig.boutgifter_per_måned" in out
    assert main(["forklar", "nasjonal", str(path), "--ukjent", "skjønn.avslag_fra_banker", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert set(report["trengs"]) == {"skjønn.avslag_fra_banker", "bolig.boutgifter_per_måned"}
    assert report["beskrivelser"]["bolig.boutgifter_per_måned"].startswith("Felleskostnader")


def test_cli_decides_early(tmp_path, capsys):
    s = without("bolig.boutgifter_per_måned")
    s["skjønn"]["avslag_fra_banker"] = 0
    path = tmp_path / "delvis.json"
    path.write_text(json.dumps(s, ensure_ascii=False), encoding="utf-8")
    assert main(["forklar", "nasjonal", str(path), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "## Utfallet er avgjort" in out and "Søkeren får ikke lån i bank" in out
