"""Missing facts: a partial søknad is decided under the same three-valued semantics as any søknad.

A fact the søknad lacks is not yet given, as an unassessed `oppgis av` fact is: decided only
when every completion agrees, `ikke_avgjort` with `mangler` (Norwegian descriptions, who gives
each, the criteria waiting, most decisive first) otherwise, and the document is the forespørsel
om opplysninger, never «Utfallet er avgjort».
"""

from __future__ import annotations

import copy
import re
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boligregler import load_policy
from boligregler.cli import main
from boligregler.evaluation.soknad import SoknadError, format_path
from boligregler.explain import missing_facts
from boligregler.explain.missing import _all_paths
from boligregler.money import load_json
from boligregler.testing import without as partial_soknad

ROOT = Path(__file__).resolve().parents[1]
FAMILY = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))
POLICIES = ("nasjonal", "baerum", "drammen", "kongsvinger", "sandnes", "skien")


@pytest.fixture(scope="module")
def nasjonal():
    return load_policy("nasjonal")


@pytest.fixture(scope="module")
def drammen():
    return load_policy("drammen")


@pytest.fixture(scope="module")
def loaded():
    return {name: (load_policy(name), load_policy(name, backend="interpreter")) for name in POLICIES}


def without(*paths: str) -> dict:
    return partial_soknad(FAMILY, *paths)


def test_a_complete_soknad_misses_nothing(nasjonal):
    c = missing_facts(nasjonal, copy.deepcopy(FAMILY))
    assert c.missing == () and c.needed == () and c.utfall == "innvilget" and c.decided
    assert c.decision.to_dict() == nasjonal.evaluate(copy.deepcopy(FAMILY)).to_dict()


def test_an_absent_assessment_is_the_same_whichever_way_it_is_read(nasjonal):
    s = without("skjønn.boligen_egnet_og_nøktern")
    c = missing_facts(nasjonal, copy.deepcopy(s))
    assert json.dumps(c.decision.to_dict()) == json.dumps(nasjonal.evaluate(copy.deepcopy(s)).to_dict())
    assert [p.opplysning for p in c.missing] == ["skjønn.boligen_egnet_og_nøktern"]


def test_facts_the_outcome_needs_are_named_in_norwegian_with_who_gives_them(drammen):
    c = missing_facts(drammen, without("bolig.kjøpesum", "bolig.boutgifter_per_måned"))
    assert not c.decided and c.utfall == "ikke_avgjort"
    assert [p.opplysning for p in c.missing] == ["bolig.kjøpesum", "bolig.boutgifter_per_måned"]
    assert {p.opplysning for p in c.needed} == {"bolig.kjøpesum", "bolig.boutgifter_per_måned"}
    for p in c.needed:
        assert p.oppgis_av == "søker" and p.vilkår and "." not in p.beskrivelse.split(" ")[0]
        assert not p.beskrivelse.startswith("bolig")
    kjøpesum = next(p for p in c.needed if p.opplysning == "bolig.kjøpesum")
    assert kjøpesum.beskrivelse.startswith("Kjøpesum (for borettslag")
    results = {r.id: r.resultat for r in c.decision.vilkår}
    assert results["betjeningsevne"] == "ikke_vurdert" and results["bankfinansiering"] == "oppfylt"
    waiting = {r.id for r in c.decision.vilkår if r.resultat == "ikke_vurdert"}
    assert {cid for p in c.needed for cid in p.vilkår} <= waiting


def test_a_refusal_is_decided_only_when_every_completion_refuses(drammen):
    s = without("bolig.kjøpesum", "bolig.boutgifter_per_måned")
    s["skjønn"]["avslag_fra_banker"] = 0
    c = missing_facts(drammen, s)
    assert c.decided and c.utfall == "avslag" and c.needed == ()
    assert {p.opplysning for p in c.not_needed} == {"bolig.kjøpesum", "bolig.boutgifter_per_måned"}
    assert c.decision.criterion("bankfinansiering").forklaring == "Det er ikke dokumentert avslag på lån fra en bank."
    for price, costs in itertools.product((0, 1_000_000, 90_000_000), (0, 50_000)):
        s["bolig"].update(kjøpesum=price, boutgifter_per_måned=costs)
        assert drammen.evaluate(copy.deepcopy(s), explain=False).utfall == "avslag"


def test_a_yes_no_fact_is_tried_both_ways_before_it_is_needed(nasjonal):
    s = copy.deepcopy(FAMILY)
    s["skjønn"]["spareevne_utnyttet"] = False
    c = missing_facts(nasjonal, s, unknown=["skjønn.langvarige_finansieringsproblemer"])
    assert c.decided and c.utfall == "avslag", "without spareevne the answer is the same either way"
    s["skjønn"]["spareevne_utnyttet"] = True
    c = missing_facts(nasjonal, s, unknown=["skjønn.langvarige_finansieringsproblemer"])
    assert not c.decided and [p.opplysning for p in c.needed] == ["skjønn.langvarige_finansieringsproblemer"]
    assert c.needed[0].oppgis_av == "saksbehandler" and c.needed[0].vilkår == ("behovsprøving",)


def test_a_fact_with_a_default_can_be_marked_unknown(nasjonal):
    c = missing_facts(nasjonal, copy.deepcopy(FAMILY), unknown=["bolig.i_kommunen", "husstand"])
    paths = [p.opplysning for p in c.missing]
    assert "bolig.i_kommunen" in paths and "husstand.særlige_behov" in paths
    assert all(p.beskrivelse and not p.beskrivelse.startswith(p.opplysning) for p in c.missing)


def test_most_decisive_first(nasjonal):
    s = without("bolig.kjøpesum", "bolig.boutgifter_per_måned")
    c = missing_facts(nasjonal, s, unknown=["formål", "skjønn.langvarige_finansieringsproblemer"])
    assert not c.decided
    needed = [p.opplysning for p in c.needed]
    assert needed[:2] == ["formål", "skjønn.langvarige_finansieringsproblemer"], \
        "facts that can decide the outcome on their own come first"
    assert set(needed[2:]) == {"bolig.kjøpesum", "bolig.kostnad", "bolig.boutgifter_per_måned"}


def test_a_conditional_fact_is_missing_only_when_required(nasjonal):
    c = missing_facts(nasjonal, without("bolig.kjøpesum"))
    assert [p.opplysning for p in c.missing] == ["bolig.kjøpesum"], "bolig.kostnad is not required for a purchase"
    s = copy.deepcopy(FAMILY)
    s["bolig"]["kjøpesum"] = None
    assert [p.opplysning for p in missing_facts(nasjonal, s).missing] == ["bolig.kjøpesum"]


def test_a_missing_record_misses_each_of_its_facts(nasjonal):
    c = missing_facts(nasjonal, without("bolig"))
    assert [p.opplysning for p in c.missing] == ["bolig.kjøpesum", "bolig.eierform", "bolig.boutgifter_per_måned"]
    assert all(p.beskrivelse for p in c.missing)


def test_a_fact_in_a_list_says_which_line(nasjonal):
    s = copy.deepcopy(FAMILY)
    del s["husstand"]["barn"][1]["alder"]
    c = missing_facts(nasjonal, s)
    assert [(p.opplysning, p.beskrivelse) for p in c.missing] == [("husstand.barn[1].alder",
                                                                   "Barnets alder (barn nr. 2)")]


def test_other_problems_are_still_reported(nasjonal):
    s = without("bolig.kjøpesum")
    s["husstand"]["barn"][0]["alder"] = -1
    with pytest.raises(SoknadError) as err:
        missing_facts(nasjonal, s)
    assert [p.path for p in err.value.problems] == ["husstand.barn[0].alder"]
    with pytest.raises(SoknadError, match="skjønn.finnes_ikke"):
        missing_facts(nasjonal, copy.deepcopy(FAMILY), unknown=["skjønn.finnes_ikke"])
    with pytest.raises(SoknadError) as err:
        missing_facts(nasjonal, without("søknadsdato"))
    assert [(p.path, p.code) for p in err.value.problems] == [("søknadsdato", "mangler")]
    with pytest.raises(SoknadError, match="ordning"):
        missing_facts(nasjonal, copy.deepcopy(FAMILY), unknown=["ordning"])


def test_cli_writes_the_request_for_information(tmp_path, capsys):
    path = tmp_path / "delvis.json"
    path.write_text(json.dumps(without("bolig.boutgifter_per_måned"), ensure_ascii=False), encoding="utf-8")
    assert main(["forklar", "nasjonal", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Forespørsel om opplysninger" in out and "Felleskostnader, strøm" in out
    assert "bolig.boutgifter_per_måned" not in out and "Utfallet er avgjort" not in out
    assert main(["forklar", "nasjonal", str(path), "--ukjent", "skjønn.avslag_fra_banker", "--format", "json"]) == 1
    letter = json.loads(capsys.readouterr().out)
    assert letter["utfall"] == "ikke_avgjort"
    requested = next(s for s in letter["deler"] if s["id"] == "mangler")
    texts = " ".join(i["tekst"] for i in requested["punkter"])
    assert "Felleskostnader" in texts and "Antall banker som har avslått" in texts


def test_cli_decided_early_is_the_letter_of_the_outcome(tmp_path, capsys):
    s = without("bolig.boutgifter_per_måned")
    s["skjønn"]["avslag_fra_banker"] = 0
    path = tmp_path / "delvis.json"
    path.write_text(json.dumps(s, ensure_ascii=False), encoding="utf-8")
    assert main(["forklar", "nasjonal", str(path), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "Ikke lån i bank" in out and "er avslått" in out and "Utfallet er avgjort" not in out


ENUMERABLE = st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000),
                       st.integers(min_value=1, max_value=3))


def _partial_case(loaded, case):
    """An example with up to three yes/no or choice facts (søknad or assessment) marked unknown."""
    index, pick, count = case
    cases = [(n, e) for n in POLICIES for e in loaded[n][0].model.examples if e.input is not None]
    name, example = cases[index % len(cases)]
    policy = loaded[name][0]
    s = copy.deepcopy(example.input)
    facts = policy.validate(copy.deepcopy(s))
    choices = []
    for path in _all_paths(policy.model.schema, s):
        value = facts
        try:
            for part in path:
                value = value[part]
        except (KeyError, IndexError, TypeError):
            continue
        text = format_path(path)
        if isinstance(value, bool) or text in ("formål", "bolig.eierform"):
            choices.append(text)
    chosen = sorted({choices[(pick * (i + 7)) % len(choices)] for i in range(count)})
    return name, policy, s, chosen


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=ENUMERABLE)
def test_decided_only_when_every_completion_agrees_and_backends_agree(loaded, case):
    name, policy, s, unknown = _partial_case(loaded, case)
    try:
        c = missing_facts(policy, copy.deepcopy(s), unknown)
    except SoknadError:
        return  # e.g. a conditional fact a completion would require
    other = missing_facts(loaded[name][1], copy.deepcopy(s), unknown)
    assert json.dumps(c.to_dict(), default=str) == json.dumps(other.to_dict(), default=str)
    domains = {"formål": ("kjøp", "utbedring", "oppføring", "refinansiering"),
               "bolig.eierform": ("selveier", "borettslag", "aksjeleilighet", None)}  # None: left out
    outcomes = set()
    for values in itertools.product(*(domains.get(p, (False, True)) for p in unknown)):
        filled = copy.deepcopy(s)
        for path, value in zip(unknown, values):
            *parents, last = path.split(".")
            target = filled
            for part in parents:
                target = target.setdefault(part, {})
            target[last] = value
        try:
            outcomes.add(policy.evaluate(copy.deepcopy(filled), explain=False).utfall)
        except SoknadError as e:  # e.g. refinansiering without the cost: that completion lacks a fact too
            if any(p.path in unknown for p in e.problems):
                continue  # a marked fact left out where it is required: not a søknad
            outcomes.add(missing_facts(policy, filled).utfall)
    if c.decided:
        assert outcomes == {c.utfall}, (name, unknown)
        return
    listed, missing = {p.opplysning for p in c.needed}, {p.opplysning for p in c.missing}
    assert listed and listed <= missing
    if missing == set(unknown):  # nothing else absent: the marked facts must be able to change the outcome
        assert len(outcomes) > 1, (name, unknown)


NYNORSK = ROOT / "policies" / "nynorsk" / "nasjonal_nynorsk.pol"
IDENTIFIER = re.compile(r"\w_\w|\w\.\w|\[\d+\]|[{}]")  # snake_case, a JSON path, an index, a hole


def _everything_missing(policy):
    """Every fact the søknad can lack, not yet given: a søknad with its date and one element per list."""
    soknad = {"søknadsdato": "2026-03-01", "husstand": {"voksne": [{}], "barn": [{}]},
              "inntekter": [{}], "faste_utgifter": [{}]}
    return missing_facts(policy, soknad, ["formål"]).missing


@pytest.mark.parametrize("source", [*POLICIES, str(NYNORSK)])
def test_every_missing_fact_is_named_in_words_never_by_identifier(source):
    policy = load_policy(source)
    missing = _everything_missing(policy)
    assert {p.opplysning for p in missing} >= {"formål", "bolig.boutgifter_per_måned", "husstand.barn[0].alder",
                                               "inntekter[0].netto_per_måned", "skjønn.boligen_egnet_og_nøktern"}
    for p in missing:
        assert p.beskrivelse and not IDENTIFIER.search(p.beskrivelse), (source, p.opplysning, p.beskrivelse)
        assert p.beskrivelse != p.opplysning and p.oppgis_av in ("søker", "saksbehandler", "dokumentasjon")


def test_a_nynorsk_policy_names_every_missing_fact_in_nynorsk(nasjonal):
    nynorsk = load_policy(NYNORSK)
    bokmål = {p.opplysning: p.beskrivelse for p in _everything_missing(nasjonal)}
    words = {p.opplysning: p.beskrivelse for p in _everything_missing(nynorsk)}
    assert words.keys() == bokmål.keys()
    assert [path for path in words if words[path] == bokmål[path]] == []
    assert words["husstand.barn[0].alder"] == "Alderen til barnet (borna i hushaldet, nr. 1)"  # the line in nynorsk too, third person
    assert words["skjønn.avslag_fra_banker"].startswith("Talet på bankar som har avslått")
    s = copy.deepcopy(next(e for e in nasjonal.model.examples if e.name == "varig_lav_inntekt_50_år").input)
    del s["skjønn"]["varig_lav_inntekt"], s["skjønn"]["boligen_egnet_og_nøktern"]
    decision = nynorsk.evaluate(s)
    assert decision.utfall == "ikke_avgjort" and any("maks_lån" in m.beløp for m in decision.mangler)
    assert decision.criterion("egnet_bolig").forklaring == (
        "Vilkåret kan ikkje vurderast før dette ligg føre: Om bustaden er eigna for hushaldet, nøktern og rimeleg "
        "samanlikna med prisnivået på staden (§ 5-3 andre ledd) – blir vurdert av saksbehandlaren.")
    letter = decision.begrunnelse
    assert "Om bustaden er eigna for hushaldet ditt" in letter and "Om boligen er egnet" not in letter
    assert not IDENTIFIER.search(letter[letter.index("Har betydning"):])

