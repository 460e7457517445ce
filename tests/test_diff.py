"""`sammenlign`: differences between policies by meaning, as text and JSON, and examples whose outcome differs.

Golden files live in tests/fixtures/sammenlign/; after a deliberate change of the output,
regenerate them with `BOLIGREGLER_OPPDATER_GULL=1 pytest tests/test_diff.py`.
"""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boligregler.api import check_policy, load_policy
from boligregler.cli import main
from boligregler.model.diff import compare, example_differences, expression_text, render_text, value_text
from boligregler.model import types as T
from boligregler.model.loader import shipped_policies_dir
from boligregler.syntax import ast
from boligregler.syntax.parser import parse_expression

ROOT = Path(__file__).parent.parent
FIXTURES = Path("tests/fixtures/sammenlign")


def golden(name: str, actual: str) -> None:
    path = ROOT / FIXTURES / name
    if os.environ.get("BOLIGREGLER_OPPDATER_GULL"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("fmt, name", [("tekst", "forventet.txt"), ("json", "forventet.json")])
def test_cli_output_matches_golden_files(in_repo, capsys, fmt, name):
    assert main(["sammenlign", str(FIXTURES / "a.pol"), str(FIXTURES / "b.pol"), "--format", fmt, "--eksempler"]) == 0
    golden(name, capsys.readouterr().out)


def test_a_policy_compared_with_itself_has_no_differences():
    model = check_policy("nasjonal")
    diff = compare(model, model)
    assert diff.count == 0 and diff.sections == {}
    assert render_text(diff).endswith("Ingen forskjeller i reglene.")


def test_layout_comments_and_doc_comments_do_not_count(tmp_path):
    source = (ROOT / FIXTURES / "a.pol").read_text(encoding="utf-8")
    noisy = re.sub(r"\n(\s*)(vilkår|beregn|parameter)", r"\n\1# en kommentar\n\1## en doc-kommentar\n\1\2", source)
    noisy = noisy.replace(" >= ", "   >=\n        ").replace("brukes_bare_i_a * 30", "(brukes_bare_i_a) * 30")
    path = tmp_path / "a.pol"
    path.write_text(noisy, encoding="utf-8")
    assert noisy != source
    assert compare(check_policy(ROOT / FIXTURES / "a.pol"), check_policy(path)).count == 0


def test_comparing_a_municipality_with_the_baseline_shows_its_local_rules():
    diff = compare(check_policy("nasjonal"), check_policy("drammen")).to_dict()
    parameters = {p["navn"]: p for p in diff["parametre"]}
    assert parameters["kalkulasjonsrente"]["endring"] == "lagt_til"
    assert parameters["kalkulasjonsrente"]["nå"][0]["verdi"] == "5 %"
    assert "Kalkulasjonsrente: 5%" in parameters["kalkulasjonsrente"]["nå"][0]["kilde"]
    assert parameters["maks_tilskudd_andel"]["endring"] == "endret"
    assert [v["verdi"] for v in parameters["maks_tilskudd_andel"]["før"]] == ["0 %"]
    (rente,) = [c for c in diff["beregninger"] if c["navn"] == "rente"]
    assert (rente["før"], rente["nå"]) == ("styringsrente + stresstest_påslag", "kalkulasjonsrente")
    assert all(c["endring"] == "lagt_til" for c in diff["vilkår"])  # Drammen adds rules, it does not change national ones


def test_reversed_comparison_swaps_added_and_removed():
    a, b = check_policy(ROOT / FIXTURES / "a.pol"), check_policy(ROOT / FIXTURES / "b.pol")
    forward, backward = compare(a, b).to_dict(), compare(b, a).to_dict()
    swap = {"lagt_til": "fjernet", "fjernet": "lagt_til", "endret": "endret"}
    assert forward["antall_endringer"] == backward["antall_endringer"]
    assert sorted((p["navn"], swap[p["endring"]]) for p in forward["parametre"]) == \
        sorted((p["navn"], p["endring"]) for p in backward["parametre"])


def test_a_scheme_only_one_side_has_lists_what_it_adds_and_overrides():
    diff = compare(check_policy("nasjonal"), check_policy(ROOT / FIXTURES / "a.pol")).to_dict()
    (scheme,) = diff["ordninger"]
    assert (scheme["endring"], scheme["id"], scheme["tittel"]) == ("lagt_til", "eie_først", "Eie først")
    assert [c["id"] for c in scheme["vilkår"]] == ["målgruppe"]
    assert scheme["betingelser"] == [{"endring": "lagt_til", "id": "oppfølging", "før": None,
                                      "nå": "Familien følges opp av NAV."}]


def test_examples_whose_outcome_differs():
    a, b = load_policy(ROOT / FIXTURES / "a.pol"), load_policy(ROOT / FIXTURES / "b.pol")
    differences = example_differences(a, b)
    assert [(d["fra"], d["eksempel"]) for d in differences] == [("a", "botid_kort"), ("b", "botid_kort")]
    # b's rule reads an assessment a's example leaves out: under b, a's søknad is not decided yet
    assert differences[0]["a"]["utfall"] == "innvilget" and differences[0]["b"]["utfall"] == "ikke_avgjort"
    assert differences[1]["b"]["utfall"] == "manuell_vurdering"
    assert example_differences(a, a) == []


def test_an_example_one_policy_cannot_assess_is_reported(tmp_path):
    # B's example uses a søknad field only B declares; A rejects the søknad
    source = (ROOT / FIXTURES / "b.pol").read_text(encoding="utf-8")
    path = tmp_path / "b.pol"
    path.write_text(source.replace("tilknytning: {botid_måneder: 18}",
                                   "tilknytning: {botid_måneder: 18, arbeid_i_kommunen: sann}"), encoding="utf-8")
    a, b = load_policy(ROOT / FIXTURES / "a.pol"), load_policy(path)
    (from_b,) = [d for d in example_differences(a, b) if d["fra"] == "b"]
    assert "tilknytning.arbeid_i_kommunen: ukjent felt" in from_b["a"]["feil"]
    assert from_b["b"]["utfall"] == "innvilget"


def test_parameter_values_are_shown_as_people_read_them():
    types = check_policy("nasjonal").parameters
    assert value_text(Decimal("7850"), T.Num("kr/mnd")) == "7\u00a0850 kr/mnd"
    assert value_text(Decimal("0.025"), T.Num("prosentpoeng")) == "2,5 prosentpoeng"
    assert value_text(True, T.BOOL) == "sann"
    incomes = types["tellende_inntektstyper"]
    assert value_text(incomes.values[0].value, incomes.type) == "alle unntatt [sosialhjelp]"
    assert value_text(frozenset({"lønn"}), incomes.type) == "[lønn]"


def test_every_expression_in_the_shipped_policies_prints_back_to_itself():
    seen = 0
    for path in shipped_policies_dir().glob("*.pol"):
        model = check_policy(path)
        schemes = [model.base_scheme, *model.schemes.values()]
        expressions = [c.expr for s in schemes for c in s.computations.values()]
        expressions += [e for s in schemes for c in s.criteria
                        for e in (c.condition, c.relevance, *(x.condition for x in c.exceptions)) if e is not None]
        expressions += [e for _, e in model.decision]
        for e in expressions:
            assert parse_expression(expression_text(e)) == e, expression_text(e)
            seen += 1
    assert seen > 100


NAMES = st.sampled_from(["alfa", "beta", "gamma", "bolig", "inn"])
UNITS = st.sampled_from([None, "kr", "kr/mnd", "%", "prosentpoeng", "år", "måneder"])
LEAVES = st.one_of(
    st.builds(ast.Name, NAMES),
    st.builds(ast.Quantity, st.integers(0, 10**7).map(Decimal) | st.decimals("0", "100", places=2), UNITS),
    st.builds(ast.Text, st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)),
    st.builds(ast.Boolean, st.booleans()),
    st.just(ast.NoneLiteral()),
)


def _compound(inner):
    return st.one_of(
        st.builds(ast.Binary, st.sampled_from("+-*/"), inner, inner),
        st.builds(ast.Compare, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), inner, inner),
        st.builds(ast.Logical, st.sampled_from(["og", "eller"]), inner, inner),
        st.builds(ast.Unary, st.sampled_from(["ikke", "-"]), inner),
        st.builds(ast.If, inner, inner, inner),
        st.builds(ast.Member, inner, inner),
        st.builds(ast.Attribute, inner, NAMES),
        st.builds(ast.Lookup, inner, st.lists(inner, min_size=1, max_size=2).map(tuple)),
        st.builds(ast.Call, st.sampled_from(["maks", "avrund"]), st.lists(inner, max_size=3).map(tuple)),
        st.builds(ast.Aggregate, st.just("sum"), NAMES, inner, st.none() | inner, inner),
        st.builds(ast.Aggregate, st.sampled_from(["antall", "finnes", "alle"]), NAMES, inner, inner, st.none()),
        st.builds(ast.Aggregate, st.just("antall"), st.none(), inner, st.none(), st.none()),
    )


@settings(max_examples=150, deadline=None)
@given(st.recursive(LEAVES, _compound, max_leaves=12))
def test_printed_expressions_parse_back_to_the_same_tree(e):
    assert parse_expression(expression_text(e)) == e


def test_sammenlign_reports_an_unknown_policy(capsys):
    assert main(["sammenlign", "nasjonal", "drammn"]) == 1
    assert "mente du «drammen»?" in capsys.readouterr().err


def test_json_output_is_valid_and_complete(capsys):
    assert main(["sammenlign", "nasjonal", "drammen", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["a"]["id"] == "nasjonal" and out["b"]["id"] == "drammen"
    assert out["antall_endringer"] == sum(len(v) for k, v in out.items() if isinstance(v, list))
    assert "eksempler_med_ulikt_utfall" not in out
