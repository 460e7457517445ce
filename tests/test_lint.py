"""The legality lint: unlawful municipal rules are rejected with the rule they break; lawful ones pass."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boligregler.cli import main
from boligregler.diagnostics import Severity
from boligregler.model.checker import CODES, check
from boligregler.model.lint import CAPS, RULES, lint
from boligregler.model.loader import load_chain, shipped_policies_dir
from boligregler.syntax import ast
from boligregler.syntax.parser import parse_policy

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = """regelverk testkommune bygger på nasjonal {
    navn: "Testkommune"
    kommune: "Testkommune"
    vedtatt: 2024-01-01
    kilde: "Testdata"
    klageinstans: "klagenemnda"
}
"""


def findings(path: Path | str):
    return lint_files(load_chain(path))


def lint_files(files: list[ast.PolicyFile]):
    model = check(files)
    errors = [d for d in model.diagnostics if d.severity is Severity.ERROR]
    assert not errors, errors  # the fixtures are valid policies; only the lint may object
    return lint(files, model)


@functools.cache
def national() -> ast.PolicyFile:
    return load_chain(shipped_policies_dir() / "nasjonal.pol")[0]


def lint_text(body: str):
    """Lint a municipal policy with `body` after its header, building on the shipped baseline."""
    return lint_files([national(), parse_policy(HEADER + body, "testkommune.pol")])


def codes(found) -> list[str]:
    return sorted(d.code for d in found)


@pytest.mark.parametrize("name, expected", [
    ("absolutt_vilkaar", ["L001"]),
    ("aldersgrense", ["L002"]),
    ("statsborgerskap", ["L003", "L003"]),
    ("rentepaaslag", ["L004"]),
    ("botid_absolutt", ["L005"]),
    ("inntektsgrense_absolutt", ["L006"]),
    ("pristak_absolutt", ["L007"]),
])
def test_each_unlawful_fixture_is_rejected_for_its_rule(name, expected):
    found = findings(FIXTURES / "ulovlig" / f"{name}.pol")
    assert codes(found) == expected
    for d in found:
        assert d.severity is Severity.ERROR
        assert d.file.endswith(f"{name}.pol") and d.span is not None
        assert RULES[d.code] in d.message


def test_findings_point_at_the_offending_text():
    (age,) = findings(FIXTURES / "ulovlig" / "aldersgrense.pol")
    source = (FIXTURES / "ulovlig" / "aldersgrense.pol").read_text(encoding="utf-8").splitlines()
    assert "v.alder <= høyeste_alder" in source[age.span.line - 1][age.span.column - 1:]
    (margin,) = findings(FIXTURES / "ulovlig" / "rentepaaslag.pol")
    assert "0.5 prosentpoeng fra 2025-01-01" in source_line(FIXTURES / "ulovlig" / "rentepaaslag.pol", margin)
    assert "0,5 prosentpoeng" in margin.message and "§ 8-2 tiende ledd" in margin.message
    (absolute,) = findings(FIXTURES / "ulovlig" / "absolutt_vilkaar.pol")
    assert source_line(FIXTURES / "ulovlig" / "absolutt_vilkaar.pol", absolute).strip() == "art: absolutt"
    assert "art: hovedregel" in absolute.notes[0]


def source_line(path: Path, d) -> str:
    return path.read_text(encoding="utf-8").splitlines()[d.span.line - 1]


def test_lawful_edge_cases_pass():
    assert findings(FIXTURES / "lovlig" / "grensetilfeller.pol") == []


def test_shipped_municipal_policies_pass_the_lint():
    municipal = [p for p in sorted(shipped_policies_dir().glob("*.pol")) if len(load_chain(p)) > 1]
    assert municipal
    for path in municipal:
        assert findings(path) == [], path.name


def test_the_baseline_itself_is_not_linted():
    assert findings(shipped_policies_dir() / "nasjonal.pol") == []


def test_every_lint_code_is_registered_with_the_checker_codes():
    assert set(RULES) == {c.code for c in CAPS} | {"L001", "L002", "L003", "L004"}
    assert all(code in CODES for code in RULES)


CRITERION = """
vilkår lokal {{
    tittel: "Lokalt vilkår"
    art: {kind}
    hjemmel: "Testkommunens retningslinjer"
    oppfylt når {condition}
}}
"""


@pytest.mark.parametrize("condition, absolute, main_rule", [
    ("tilknytning.botid_måneder >= 24 måneder", ["L005"], []),
    ("egenkapital >= 15 % * bolig.kjøpesum", ["L008"], []),
    ("sum(i.netto_per_måned for hver i i inntekter) < 50000 kr/mnd", ["L006"], []),
    ("tellende_inntekt <= 45000 kr/mnd", ["L006"], []),
    ("grunnlag <= 4000000 kr", ["L007"], []),
    ("tilknytning.folkeregistrert_i_kommunen", ["L001"], []),
    ("finnes(hver v i husstand.voksne der v.alder > 67)", ["L001", "L002"], ["L002"]),
    ("alle(hver b i husstand.barn der b.alder < 18)", ["L001"], []),
])
def test_caps_are_lawful_only_as_main_rules(condition, absolute, main_rule):
    assert codes(lint_text(CRITERION.format(kind="absolutt", condition=condition))) == absolute
    assert codes(lint_text(CRITERION.format(kind="hovedregel", condition=condition))) == main_rule


def test_a_cap_read_through_a_municipal_computation_is_still_a_cap():
    body = """
beregn samlet_egenkapital: kr = egenkapital + banklån.beløp
beregn behov_uten_egenkapital: kr = lånebehov + samlet_egenkapital
""" + CRITERION.format(kind="absolutt", condition="behov_uten_egenkapital >= 500000 kr")
    assert codes(lint_text(body)) == ["L008"]


def test_overriding_a_national_computation_keeps_its_national_meaning():
    # lånebehov reads kjøpesum, but comparing the loan need with the loan capacity is no price cap
    body = """
overstyr beregn lånebehov: kr = avrund(maks(0 kr, grunnlag + omkostninger - banklån.beløp), 1 kr, halv_opp)

overstyr vilkår betjeningsevne {
    tittel: "Søkeren kan betjene lånet"
    art: absolutt
    hjemmel: "Forskrift om lån fra Husbanken § 5-4 første ledd siste punktum"
    oppfylt når lånebehov - tilskudd <= maks_lån
}
"""
    assert lint_text(body) == []


def test_an_absolute_override_of_a_national_information_criterion_is_not_a_restatement():
    body = """
overstyr vilkår nedbetalingstid {
    tittel: "Nedbetalingstid"
    art: absolutt
    hjemmel: "Testkommunens retningslinjer"
    oppfylt når nedbetalingstid <= 25 år
}
"""
    assert codes(lint_text(body)) == ["L001"]


def test_a_schemes_own_target_group_may_be_absolute_but_not_an_age_limit():
    scheme = """
ordning eie_først {{
    tittel: "Eie først"
    vilkår målgruppe {{
        tittel: "Målgruppen"
        art: absolutt
        hjemmel: "Testkommunens ordning «Eie først»"
        oppfylt når {condition}
    }}
}}
"""
    assert lint_text(scheme.format(condition="antall_barn > 0 og tilknytning.mottar_sosialhjelp")) == []
    found = lint_text(scheme.format(condition="alle(hver v i husstand.voksne der v.alder < 40)"))
    assert codes(found) == ["L002"] and "i ordningen «eie_først»" in found[0].message


def test_an_age_limit_in_a_computation_or_through_one_is_found():
    body = """
beregn eldste_over_60: antall = antall(hver v i husstand.voksne der v.alder > 60)

overstyr beregn lengste_nedbetalingstid: år =
    hvis eldste_over_60 > 0 så ordinær_nedbetalingstid ellers forlenget_nedbetalingstid

beregn aldersum: år = sum(v.alder for hver v i husstand.voksne)
""" + CRITERION.format(kind="hovedregel", condition="aldersum < 100 år")
    found = lint_text(body)
    assert codes(found) == ["L002", "L002"]
    assert {d.message.split(" setter")[0] for d in found} == {"beregningen «eldste_over_60»", "vilkåret «lokal»"}


def test_citizenship_in_a_computation_is_found():
    body = """
søknad {
    nasjonalitet: tekst = "norsk"
}

overstyr beregn livsopphold: kr/mnd = hvis nasjonalitet = "norsk" så livsoppholdsnorm ellers livsoppholdsnorm * 2
"""
    found = lint_text(body)
    assert codes(found) == ["L003", "L003"]
    assert any("søknadsfeltet «nasjonalitet»" in d.message for d in found)
    assert any("beregningen «livsopphold» bruker «nasjonalitet»" in d.message for d in found)


MARGIN = """
parameter {name}: {unit} {{
    {value} {unit} fra 2024-01-01 kilde "Testkommunens retningslinjer"
}}

overstyr beregn rente: % = styringsrente + stresstest_påslag + {name}
"""


@pytest.mark.parametrize("name, unit, value, expected", [
    ("rentepåslag", "prosentpoeng", "0.25", []),
    ("rentepåslag", "prosentpoeng", "0.26", ["L004"]),
    ("kommunal_margin", "prosentpoeng", "1", ["L004"]),
    ("ekstra_stresstest_påslag", "prosentpoeng", "1", []),
])
def test_rate_margin_limit(name, unit, value, expected):
    assert codes(lint_text(MARGIN.format(name=name, unit=unit, value=value))) == expected


@settings(max_examples=12, deadline=None)
@given(age=st.integers(min_value=0, max_value=120))
def test_any_age_limit_but_18_is_unlawful(age):
    body = f"""
parameter aldersgrense: år {{
    {age} år fra 2024-01-01 kilde "Testkommunens retningslinjer"
}}
""" + CRITERION.format(kind="hovedregel",
                       condition="alle(hver v i husstand.voksne der v.alder >= aldersgrense)")
    found = lint_text(body)
    assert codes(found) == ([] if age == 18 else ["L002"])


def test_sjekk_runs_the_lint_and_exits_1(capsys):
    assert main(["sjekk", "--farge", "aldri", str(FIXTURES / "ulovlig" / "botid_absolutt.pol")]) == 1
    err = capsys.readouterr().err
    assert "feil[L005]" in err and "akutte bosituasjoner" in err and "art: hovedregel" in err
    assert main(["sjekk", "--format", "json", str(FIXTURES / "ulovlig" / "inntektsgrense_absolutt.pol")]) == 1
    (finding,) = json.loads(capsys.readouterr().out)
    assert finding["code"] == "L006" and finding["line"] == 20
    assert main(["sjekk", str(FIXTURES / "lovlig" / "grensetilfeller.pol")]) == 0
