"""`boligregler test --dekning`: which criterion results, outcomes, hvis branches and table rows examples exercise."""

from __future__ import annotations

import json

import pytest

from boligregler.api import load_policy
from boligregler.cli import main
from boligregler.coverage import coverage

POLICY = '''regelverk liten {
    navn: "Liten"
    kommune: "Liten kommune"
    vedtatt: 2025-01-01
    kilde: "test"
    klageinstans: "klagenemnda"
}

søknad {
    søknadsdato: dato
    kjøpesum: kr
    barn: heltall antall fra 0 til 5
    haster: sannhet = usann
}

parameter grense: kr {
    1000000 kr fra 2025-01-01 kilde "test"
}

tabell tillegg: kr etter barn {
    fra 2025-01-01 kilde "test" {
        0: 0 kr
        1 til 5: 100000 kr
    }
}

beregn ramme: kr = hvis barn > 0 så grense + tillegg[barn] ellers grense

vilkår pris {
    tittel: "Prisen er innenfor rammen"
    art: absolutt
    hjemmel: "test"
    relevant når kjøpesum > 0 kr
    oppfylt når kjøpesum <= ramme
    unntak a "Haster" {
        når haster
    }
}

utfall {
    avslag når et absolutt vilkår ikke er oppfylt
    manuell_vurdering når en hovedregel ikke er oppfylt
    ellers innvilget
}

vedtak {
    ramme: ramme
}

eksempel billig {
    søknad: {søknadsdato: 2026-01-01, kjøpesum: 500000, barn: 0}
    forventet: {utfall: "innvilget"}
}

eksempel dyr_med_barn {
    søknad: {søknadsdato: 2026-01-01, kjøpesum: 2000000, barn: 2}
    forventet: {utfall: "avslag"}
}
'''


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "liten.pol"
    path.write_text(POLICY, encoding="utf-8")
    return path


def covered(cov, kind):
    return {p.name + ":" + p.value: p.covered for p in cov.of(kind=kind)}


def test_points_and_what_covers_them(policy_file):
    cov = coverage(load_policy(policy_file))
    assert cov.examples == ("billig", "dyr_med_barn")
    assert covered(cov, "vilkår") == {"pris:oppfylt": True, "pris:ikke_oppfylt": True, "pris:unntak a": False,
                                      "pris:ikke_relevant": False}
    assert covered(cov, "utfall") == {"utfall:avslag": True, "utfall:manuell_vurdering": False,
                                      "utfall:innvilget": True}
    assert covered(cov, "hvis") == {"ramme:så": True, "ramme:ellers": True}
    assert covered(cov, "tabell") == {"tillegg:fra 2025-01-01: 0": False, "tillegg:fra 2025-01-01: 1 til 5": True}
    point = next(p for p in cov.of(kind="tabell") if p.covered)
    assert point.covered_by == ("dyr_med_barn",) and point.location.endswith("liten.pol:21:9")  # the version the row is in
    assert (cov.covered, len(cov.points)) == (7, 11) and cov.percent == 63.6


def test_only_the_chosen_examples_count(policy_file):
    policy = load_policy(policy_file)
    cov = coverage(policy, [ex for ex in policy.model.examples if ex.name == "billig"])
    assert covered(cov, "hvis") == {"ramme:så": False, "ramme:ellers": True}


def test_inherited_definitions_are_reported_per_policy():
    cov = coverage(load_policy("drammen"))
    data = cov.to_dict()
    assert set(data["per_regelverk"]) == {"nasjonal", "drammen"}
    assert data["per_regelverk"]["drammen"]["per_type"]["vilkår"]["totalt"] > 0
    assert data["per_regelverk"]["nasjonal"]["per_type"]["tabell"]["totalt"] == 6
    behov = {p.value for p in cov.of("nasjonal", "vilkår") if p.name == "behovsprøving"}
    assert {"oppfylt", "ikke_oppfylt", "unntak a", "unntak b", "unntak c", "unntak d"} <= behov
    # `oppfylt når sann` can never be ikke_oppfylt, so it is not a point
    assert {p.value for p in cov.of("nasjonal", "vilkår") if p.name == "nedbetalingstid"} == {"oppfylt"}
    text = cov.to_text()
    assert "nasjonal (arvet):" in text and "ikke dekket: vilkår behovsprøving: unntak b" in text


def test_test_command_reports_coverage_in_text_and_json(policy_file, capsys):
    assert main(["test", str(policy_file), "--dekning"]) == 0
    out = capsys.readouterr().out
    assert "Dekning for liten (2 eksempler): 63,6 % (7 av 11)" in out
    assert "ikke dekket: vilkår pris: unntak a" in out and "ikke dekket: tabell tillegg: fra 2025-01-01: 0" in out
    assert main(["test", str(policy_file), "--dekning", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["regelverk"][0]["dekning"]["prosent"] == 63.6
    assert data["regelverk"][0]["dekning"]["punkter"][0]["type"] == "vilkår"


def test_min_coverage_fails_below_the_threshold(policy_file, capsys):
    assert main(["test", str(policy_file), "--min-dekning", "63"]) == 0
    assert main(["test", str(policy_file), "--min-dekning", "64"]) == 1
    assert "dekningen av liten er 63,6 %, under kravet på 64 %" in capsys.readouterr().err


def test_unassessed_results_are_points_and_counted(tmp_path):
    """A criterion reading a fact that may be absent (through a computation) can be ikke_vurdert, so the
    outcome can be ikke_avgjort; an example without the fact covers both, one with it does not."""
    text = (POLICY.replace("    haster: sannhet = usann\n",
                           "    haster: sannhet = usann\n    egenkapital: kr oppgis av dokumentasjon\n")
            .replace("beregn ramme: kr =", "beregn rest: kr = kjøpesum - egenkapital\nberegn ramme: kr =")
            .replace("    oppfylt når kjøpesum <= ramme\n", "    oppfylt når rest <= ramme\n")
            .replace("kjøpesum: 500000, barn: 0}", "kjøpesum: 500000, barn: 0, egenkapital: 0}"))
    path = tmp_path / "liten.pol"
    path.write_text(text, encoding="utf-8")
    cov = coverage(load_policy(path))
    assert covered(cov, "vilkår")["pris:ikke_vurdert"] is True  # dyr_med_barn gives no egenkapital
    assert covered(cov, "utfall")["utfall:ikke_avgjort"] is True
    only_full = coverage(load_policy(path), [ex for ex in load_policy(path).model.examples if ex.name == "billig"])
    assert covered(only_full, "vilkår")["pris:ikke_vurdert"] is False
    assert "ikke dekket: vilkår pris: ikke vurdert" in only_full.to_text()
    assert "ikke dekket: utfall ikke avgjort" in only_full.to_text()


def test_without_facts_that_may_be_absent_unassessed_results_are_no_points(policy_file):
    cov = coverage(load_policy(policy_file))
    assert not any(p.value in ("ikke_vurdert", "ikke_avgjort") for p in cov.points)


def test_the_site_has_a_coverage_page_per_policy(policy_file):
    from boligregler.site.coverage_page import coverage_page
    from boligregler.site.pages import SitePolicy

    page = coverage_page([SitePolicy.of(policy_file, load_policy(policy_file))])
    assert page.startswith("# Dekning av eksemplene\n")
    assert "| [Liten kommune](#dekning-liten) | 2 | 7 av 11 | 63,6 % |" in page
    assert "## Liten kommune {#dekning-liten}" in page
    assert "| liten | 2 av 4 | 2 av 3 | 2 av 2 | 1 av 2 | 63,6 % |" in page  # per kind, as test --dekning
    assert '??? note "Ikke dekket (4)"' in page
    assert "vilkår pris: unntak a (`" in page and "liten.pol:" in page
