"""Two-dimensional tables (`tabell norm: kr/mnd etter voksne, barn`): grammar, checker, backends, page, hover."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest

from boligregler.api import load_policy
from boligregler.diagnostics import PolicyError
from boligregler.money import load_json
from boligregler.syntax.parser import parse_policy
from boligregler.syntax.printer import format_policy

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "tabeller" / "rutenett.pol"
FAMILY = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))
HEADER = '''regelverk todim bygger på nasjonal {
    navn: "T"
    kommune: "T kommune"
    vedtatt: 2024-01-01
    kilde: "k"
    klageinstans: "klagenemnda"
}

'''
ROWS = '''        1, 0 til 2: 100 kr/mnd
        1, 3 og over: 200 kr/mnd
        2 og over, 0: 300 kr/mnd
        2 og over, 1 og over: 400 kr/mnd'''


def table_policy(rows: str = ROWS, lookup: str = "tillegg[antall_voksne, antall_barn]") -> str:
    return HEADER + f'''tabell tillegg: kr/mnd etter voksne, barn {{
    fra 2024-01-01 kilde "k" {{
{rows}
    }}
}}

overstyr beregn livsopphold: kr/mnd = livsoppholdsnorm + {lookup}
'''


def errors(tmp_path, text: str) -> list[tuple[str, str, int, list[str]]]:
    path = tmp_path / "todim.pol"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        load_policy(path)
    return [(d.code, d.message, d.span.line, list(d.notes)) for d in e.value.diagnostics]


def household(adults: int, children: int) -> dict:
    s = copy.deepcopy(FAMILY)
    s["husstand"]["voksne"] = [{"alder": 40}] * adults
    s["husstand"]["barn"] = [{"alder": 4}] * children
    return s


def test_the_grammar_reads_keys_per_dimension_and_lookups_with_two_keys():
    from boligregler.syntax import ast

    tree = parse_policy(table_policy(), "todim.pol")
    table = next(i.definition for i in tree.items if isinstance(i.definition, ast.Table))
    assert table.key_names == ("voksne", "barn")
    assert [r.keys for r in table.versions[0].rows][:2] == [
        ((Decimal(1), Decimal(1)), (Decimal(0), Decimal(2))), ((Decimal(1), Decimal(1)), (Decimal(3), None))]
    compute = next(i.definition for i in tree.items if isinstance(i.definition, ast.Override))
    lookup = compute.definition.expr.right
    assert isinstance(lookup, ast.Lookup) and [k.name for k in lookup.keys] == ["antall_voksne", "antall_barn"]


@pytest.mark.parametrize("backend", ["compiled", "interpreter"])
def test_every_cell_of_the_grid_is_found_by_both_decimal_backends(tmp_path, backend):
    path = tmp_path / "todim.pol"
    path.write_text(table_policy(), encoding="utf-8")
    policy = load_policy(path, backend=backend)
    national = load_policy("nasjonal")
    for adults, children, extra in [(1, 0, 100), (1, 2, 100), (1, 3, 200), (1, 5, 200), (2, 0, 300), (3, 0, 300),
                                    (2, 1, 400), (4, 6, 400)]:
        s = household(adults, children)
        got = policy.evaluate(copy.deepcopy(s)).beløp["livsopphold_per_måned"]
        assert got == national.evaluate(copy.deepcopy(s)).beløp["livsopphold_per_måned"] + extra, (adults, children)


def test_a_missing_combination_is_p005_at_the_version_naming_it(tmp_path):
    found = errors(tmp_path, table_policy(ROWS.replace("        2 og over, 0: 300 kr/mnd\n", "")))
    assert [(c, m, line) for c, m, line, _ in found] == [
        ("P005", "«tillegg» fra 2024-01-01 har ingen rad for voksne 2 og over, barn 0", 10)]
    assert "hver kombinasjon av nøkler må høre til nøyaktig én rad" in found[0][3][0]


def test_overlapping_rows_are_p005_at_the_second_row(tmp_path):
    found = errors(tmp_path, table_policy(ROWS + "\n        1 til 3, 2: 500 kr/mnd"))
    assert [(c, line) for c, _, line, _ in found] == [("P005", 15)]
    assert "radene på linje 11 og 15 i «tillegg» gjelder begge for voksne 1, barn 2" in found[0][1]


def test_a_row_with_the_wrong_number_of_keys_and_a_lookup_with_one_key_are_t002(tmp_path):
    found = errors(tmp_path, table_policy(ROWS + "\n        5: 1 kr/mnd", lookup="tillegg[antall_barn]"))
    assert ("T002", "raden har 1 nøkler, men «tillegg» er etter voksne, barn og trenger 2", 15, []) in found
    lookup = next(f for f in found if "slås opp" in f[1])
    assert lookup[:3] == ("T002", "tabellen «tillegg» er etter voksne, barn og slås opp med 2 nøkler, ikke 1", 19)
    assert lookup[3] == ["skriv tillegg[voksne, barn]"]


def test_each_key_must_be_covered_with_a_hint_that_caps_only_that_key(tmp_path):
    rows = ROWS.replace("1 og over", "1 til 4").replace("3 og over", "3 til 4")
    found = errors(tmp_path, table_policy(rows))
    assert [(c, line) for c, _, line, _ in found] == [("T007", 18)]
    code, message, _, notes = found[0]
    assert message == ("«antall_barn» har ingen øvre grense i søknaden, men tabellen «tillegg» fra 2024-01-01 "
                       "har ingen rad for «barn» over 4")
    assert notes == ["legg til en rad «5 og over», eller begrens nøkkelen: tillegg[antall_voksne, min(antall_barn, 4)]"]


def test_text_and_integer_dimensions_mix_across_but_not_within_a_dimension(tmp_path):
    rows = '''        "selveier", 0 til 2: 100 kr/mnd
        "selveier", 3 og over: 200 kr/mnd
        "borettslag", 0 og over: 300 kr/mnd
        "aksjeleilighet", 0 og over: 300 kr/mnd'''
    text = (HEADER + f'''tabell tillegg: kr/mnd etter eierform, barn {{
    fra 2024-01-01 kilde "k" {{
{rows}
    }}
}}

overstyr beregn livsopphold: kr/mnd =
    livsoppholdsnorm + (hvis oppgitt(bolig.eierform) så tillegg[bolig.eierform, antall_barn] ellers 0 kr/mnd)
''')
    path = tmp_path / "todim.pol"
    path.write_text(text, encoding="utf-8")
    policy = load_policy(path)
    s = household(2, 3)
    s["bolig"]["eierform"] = "selveier"
    national = load_policy("nasjonal")
    assert policy.evaluate(copy.deepcopy(s)).beløp["livsopphold_per_måned"] == \
        national.evaluate(copy.deepcopy(s)).beløp["livsopphold_per_måned"] + 200
    found = errors(tmp_path, text.replace('"borettslag", 0 og over', '"borettslag", "x"'))
    assert ("T002", "en tabell kan ikke blande tekstnøkler og tallintervaller (nøkkelen «barn»)", 13, []) in found
    wrong = errors(tmp_path, text.replace("tillegg[bolig.eierform, antall_barn]", "tillegg[antall_barn, antall_barn]"))
    assert [m for c, m, _, _ in wrong] == ["tabellen «tillegg» slås opp med tekst for «eierform», ikke antall"]


def test_the_printer_keeps_two_dimensional_tables_and_lookups():
    text = FIXTURE.read_text(encoding="utf-8")
    assert format_policy(text) == text
    squeezed = text.replace("1, 0: 12 000", "1 ,0 :12 000").replace("[antall_voksne, antall_barn]",
                                                                     "[ antall_voksne ,antall_barn ]")
    assert format_policy(squeezed) == text


def test_the_policy_page_shows_a_grid_as_a_matrix_and_other_rows_with_a_column_per_key(tmp_path):
    from boligregler.rendering.policy_markdown import table_blocks, to_markdown

    policy = load_policy(FIXTURE)
    page = to_markdown(table_blocks(policy.model, policy.model.tables["kommunal_norm"]))
    assert "(kr/mnd etter voksne og barn)" in page
    assert "| Voksne ↓ · barn → | 0 | 1–2 | 3 og over |" in page
    assert "| **2 og over** | 20\u00a0000 kr/mnd | 27\u00a0000 kr/mnd | 34\u00a0000 kr/mnd |" in page
    import markdown

    from boligregler.site.html import accessible_tables
    built = accessible_tables(markdown.markdown(page, extensions=["tables", "attr_list"]))
    assert '<th scope="col">Voksne ↓ · barn →</th>' in built and '<th scope="row">2 og over</th>' in built
    path = tmp_path / "todim.pol"
    path.write_text(table_policy(), encoding="utf-8")  # «0 til 2» beside «0»: not one grid
    other = load_policy(path)
    page = to_markdown(table_blocks(other.model, other.model.tables["tillegg"]))
    assert "| Voksne | Barn | Verdi |" in page and "| 2 og over | 1 og over | 400 kr/mnd |" in page


def test_hover_shows_the_grid_and_coverage_names_both_keys():
    from boligregler.coverage import coverage
    from boligregler.lsp import analysis as A

    text = FIXTURE.read_text(encoding="utf-8")
    shown = A.hover(A.analyse(str(FIXTURE), text), A.Symbol("kommunal_norm"))
    assert shown.startswith("**tabell kommunal_norm** (kr/mnd etter voksne, barn) · fra rutenett")
    assert "| voksne ↓ barn → | 0 | 1–2 | 3 og over |" in shown and "| 1 | 12\u00a0000 kr/mnd |" in shown
    rows = {p.value: p.covered_by for p in coverage(load_policy(FIXTURE)).of("rutenett", "tabell")}
    assert rows["fra 2024-01-01: 1, 0"] == ("enslig",)
    assert rows["fra 2024-01-01: 2 og over, 3 og over"] == ("storfamilie",)
    assert rows["fra 2024-01-01: 1, 1 til 2"] == ()


def test_a_choice_as_key_needs_a_row_for_every_value(tmp_path):
    text = HEADER + '''tabell gebyr: kr etter eierform {
    fra 2024-01-01 kilde "k" {
        "selveier": 1 000 kr
        "borettslag": 500 kr
    }
}

overstyr beregn omkostninger: kr = hvis oppgitt(bolig.eierform) så gebyr[bolig.eierform] ellers 0 kr
'''
    found = errors(tmp_path, text)
    assert found == [("T007", "tabellen «gebyr» fra 2024-01-01 har ingen rad for «aksjeleilighet», som "
                      "«bolig.eierform» kan være", 16, ["legg til en rad for «aksjeleilighet»"])]
    path = tmp_path / "todim.pol"
    path.write_text(text.replace('"borettslag": 500 kr', '"borettslag": 500 kr\n        "aksjeleilighet": 500 kr'),
                    encoding="utf-8")
    assert load_policy(path).model.tables["gebyr"].text_keys == (True,)
