"""`boligregler kartlegg`: the highest price is an exact, verified finansieringsbevis; priority, reports, comparison."""

from __future__ import annotations

import copy
import json

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from boligregler import load_policy
from boligregler.cli import main
from boligregler.screening import kartlegging as K, population, tabular

PRIORITISED = """regelverk nasjonal_kartlegging bygger på nasjonal {
    navn: "Nasjonal, kartlegging"
    kommune: "Testkommune"
    vedtatt: 2020-01-01
    kilde: "Test: prioritert rekkefølge"
    klageinstans: "Testkommunens klageinstans"
}

## Barnefamilier først.
beregn kartleggingsprioritet: antall = hvis antall_barn > 0 så 1 ellers 2

## Deretter den som har bodd lengst i kommunen.
beregn kartleggingsprioritet_2_synkende: måneder = tilknytning.botid_måneder
"""


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    path = tmp_path_factory.mktemp("k") / "register.parquet"
    pq.write_table(population.households(120, seed=11), path)
    return path


def test_highest_price_is_verified_against_the_decimal_backend(register, tmp_path, capsys):
    assert main(["kartlegg", "drammen", str(register), "--ut", str(tmp_path / "k.parquet")]) == 0
    out = pq.read_table(tmp_path / "k.parquet").to_pylist()
    assert "Kartlegging etter «Startlån i Drammen kommune», 120 husstander (syntetiske data)" in capsys.readouterr().out
    policy = load_policy("drammen")
    source = pq.read_table(register)
    price_ids = K.price_criteria(policy)
    assert "betjeningsevne" in price_ids

    def passes(d):
        return all(c.resultat in ("oppfylt", "unntak", "ikke_relevant") for c in d.vilkår if c.id in price_ids)
    checked = 0
    for row in out[:40]:
        soknad = tabular.row_soknad(source, row["rad"] - 1)

        def at(price):
            s = copy.deepcopy(soknad)
            s["bolig"]["kjøpesum"] = price
            return policy.evaluate(s, explain=False)

        best = row["høyeste_kjøpesum"]
        if best is None:
            assert not passes(at(0))
            continue
        assert best < 30_000_000
        assert passes(at(best)) and not passes(at(best + 1000))
        plain = row["høyeste_kjøpesum_uten_tilskudd"]
        d = at(plain)
        assert passes(d) and d.beløp["tilskudd"] == 0
        d = at(plain + 1000)
        assert not passes(d) or d.beløp["tilskudd"] > 0
        assert row["kan_kjøpe_nå"] == (at(row["kjøpesum"]).utfall == "innvilget")
        checked += 1
    assert checked > 20


def test_priority_order_the_policy_declares(register, tmp_path, capsys):
    pol = tmp_path / "nasjonal_kartlegging.pol"
    pol.write_text(PRIORITISED, encoding="utf-8")
    assert main(["kartlegg", str(pol), str(register), "--ut", str(tmp_path / "k.parquet")]) == 0
    t = pq.read_table(tmp_path / "k.parquet")
    rows = t.to_pylist()
    assert [r["prioritet"] for r in rows] == list(range(1, 121))
    keys = [(0 if r["barn"] > 0 else 1, -r["kartleggingsprioritet_2_synkende"]) for r in rows]
    assert keys == sorted(keys)
    assert rows[0]["barn"] > 0


def test_the_shipped_policies_declare_the_seed_kommuners_priorities(register, tmp_path, capsys):
    """Drammen: families with children, then tenants of municipal housing, then the longest residence."""
    assert main(["kartlegg", "drammen", str(register), "--ut", str(tmp_path / "k.parquet")]) == 0
    rows = pq.read_table(tmp_path / "k.parquet").to_pylist()
    source = pq.read_table(register).to_pylist()
    keys = [(r["barn"] == 0, not source[r["rad"] - 1]["tilknytning.leietaker_i_kommunal_bolig"],
             -source[r["rad"] - 1]["tilknytning.botid_måneder"], r["rad"]) for r in rows]
    assert keys == sorted(keys)
    assert rows[0]["barn"] > 0 and rows[-1]["barn"] == 0
    for name in ("drammen", "baerum", "sandnes", "skien", "kongsvinger"):
        assert K.priority_names(load_policy(name)), name


def test_a_selection_of_the_first_households_that_can_finance_a_home(register, tmp_path, capsys):
    """Bærum's 20 low-income families a year: families with children first, lowest income first."""
    assert main(["kartlegg", "baerum", str(register), "--utvalg", "5", "--prisnivå", "1 500 000",
                 "--ut", str(tmp_path / "k.parquet"), "--html", str(tmp_path / "k.html")]) == 0
    rows = pq.read_table(tmp_path / "k.parquet").to_pylist()
    chosen = [r for r in rows if r["utvalgt"]]
    assert len(chosen) == 5
    assert all(r["høyeste_kjøpesum"] >= 1_500_000 for r in chosen)
    first_able = [r for r in rows if r["høyeste_kjøpesum"] is not None and r["høyeste_kjøpesum"] >= 1_500_000][:5]
    assert chosen == first_able
    assert all(r["barn"] > 0 for r in chosen)
    incomes = [r["kartleggingsprioritet_2"] for r in rows if r["barn"] > 0]
    assert incomes == sorted(incomes)
    assert "Utvalget: 5 husstander" in capsys.readouterr().out
    assert "Utvalget" in (tmp_path / "k.html").read_text(encoding="utf-8")


def test_workbook_html_and_comparison_with_the_previous_run(register, tmp_path, capsys):
    assert main(["kartlegg", "drammen", str(register), "--ut", str(tmp_path / "før.parquet")]) == 0
    later = population.households(120, seed=11)
    incomes = later.column("inntekter").combine_chunks()
    flat = incomes.flatten()
    raised = pc.multiply(flat.field("netto_per_måned"), 2)
    new = pa.ListArray.from_arrays(incomes.offsets, pa.StructArray.from_arrays([flat.field("type"), raised],
                                                                              ["type", "netto_per_måned"]))
    later = later.set_column(later.column_names.index("inntekter"), "inntekter", new)
    pq.write_table(later, tmp_path / "nå.parquet")
    capsys.readouterr()
    assert main(["kartlegg", "drammen", str(tmp_path / "nå.parquet"), "--forrige", str(tmp_path / "før.parquet"),
                 "--xlsx", str(tmp_path / "k.xlsx"), "--html", str(tmp_path / "k.html"), "--prisnivå", "2 500 000"]) == 0
    text = capsys.readouterr().out
    assert "Siden forrige kartlegging:" in text and "0 falt ut" in text and "0 kan nå kjøpe" not in text
    wb = openpyxl.load_workbook(tmp_path / "k.xlsx")
    assert wb.sheetnames == ["Husstander", "Etter husstandstype", "Endringer", "Om kartleggingen"]
    assert wb["Husstander"]["A1"].value == "Prioritet" and wb["Husstander"].max_row == 121
    html = (tmp_path / "k.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 3 and "Syntetiske data" in html and "kan nå kjøpe" in html
    assert "<script" not in html


def test_bad_rows_are_reported_and_the_rest_mapped(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("referanse,søknadsdato,formål,husstand.voksne[0].alder,inntekter[0].type,inntekter[0].netto_per_måned,"
                    "bolig.boutgifter_per_måned,skjønn.avslag_fra_banker\n"
                    "A,2026-03-01,kjøp,40,lønn,38000,4000,2\nB,2026-03-01,kjøp,40,lønn,mye,4000,2\n", encoding="utf-8")
    assert main(["kartlegg", "drammen", str(path), "--ut", str(tmp_path / "k.csv")]) == 1
    captured = capsys.readouterr()
    assert "rad 2, kolonne «inntekter[0].netto_per_måned»" in captured.err
    assert "1 rader kunne ikke leses" in captured.out
    out = pa.csv.read_csv(tmp_path / "k.csv").to_pylist() if hasattr(pa, "csv") else None
    import pyarrow.csv as pcsv
    out = pcsv.read_csv(tmp_path / "k.csv").to_pylist()
    assert [r["referanse"] for r in out] == ["A"] and out[0]["høyeste_kjøpesum"] > 0
    assert out[0]["kan_kjøpe_nå"] is None or out[0]["kan_kjøpe_nå"] == ""  # no price in the register


def test_a_register_without_assessments_reports_what_is_missing(tmp_path, capsys):
    """The price search skips the search for missing facts; the `mangler` column still has it, as the Decimal backend."""
    path = tmp_path / "r.parquet"
    source = population.households(12, seed=4, assessed=False)
    pq.write_table(source, path)
    assert main(["kartlegg", "drammen", str(path), "--ut", str(tmp_path / "k.parquet")]) == 0
    rows = pq.read_table(tmp_path / "k.parquet").to_pylist()
    policy = load_policy("drammen")
    for r in rows:
        d = policy.evaluate(tabular.row_soknad(source, r["rad"] - 1), explain=False)
        assert r["utfall"] == d.utfall
        assert r["mangler"] == ", ".join(m.opplysning for m in d.mangler)
    assert any(r["mangler"] for r in rows)


def test_a_selection_without_prices_needs_the_price_level(tmp_path, capsys):
    table = population.households(5, seed=3)
    table = table.drop_columns(["bolig.kjøpesum", "bolig.eierform", "bolig.fellesgjeld"])
    pq.write_table(table, tmp_path / "r.parquet")
    assert main(["kartlegg", "drammen", str(tmp_path / "r.parquet"), "--utvalg", "2"]) != 0
    assert "--prisnivå" in capsys.readouterr().err
    assert main(["kartlegg", "drammen", str(tmp_path / "r.parquet"), "--utvalg", "2", "--prisnivå", "1000000"]) == 0
    assert "Utvalget: 2 husstander" in capsys.readouterr().out


def test_the_boligkonsulent_reads_criteria_by_title_not_by_name(register, tmp_path, capsys):
    """The table keeps the criteria's names for machines; the workbook and the report show titles."""
    assert main(["kartlegg", "drammen", str(register), "--ut", str(tmp_path / "k.parquet"),
                 "--xlsx", str(tmp_path / "k.xlsx"), "--html", str(tmp_path / "k.html")]) == 0
    names = {n for v in pq.read_table(tmp_path / "k.parquet").column("hindrer").to_pylist() if v
             for n in v.split(", ")}
    assert "avslag_fra_to_banker" in names
    sheet = openpyxl.load_workbook(tmp_path / "k.xlsx")["Husstander"]
    column = [c.value for c in next(sheet.iter_cols(min_col=[c.value for c in sheet[1]].index("Hindrer") + 1))]
    html = (tmp_path / "k.html").read_text(encoding="utf-8")
    for name in names:
        assert not any(v and name in v for v in column[1:]) and name not in html
    assert any(v and "Avslag fra to private banker" in v for v in column[1:])
    assert "0,25" in html and "k</text>" not in html


def test_can_finance_a_home_is_counted_against_the_price_level_or_the_register_price(register, tmp_path, capsys):
    """A finansieringsbevis of 5 000 kr is no home: «kan finansiere en bolig» says against what it counts."""
    assert main(["kartlegg", "drammen", str(register), "--ut", str(tmp_path / "k.parquet"), "--format", "json",
                 "--prisnivå", "2 500 000"]) == 0
    summary = json.loads(capsys.readouterr().out)["etter_husstandstype"]
    best = pq.read_table(tmp_path / "k.parquet").column("høyeste_kjøpesum").to_pylist()
    assert summary[-1]["kan_finansiere_en_bolig"] == sum(1 for b in best if b is not None and b >= 2_500_000)
    assert main(["kartlegg", "drammen", str(register)]) == 0
    out = capsys.readouterr().out
    rows = pq.read_table(tmp_path / "k.parquet").to_pylist()
    own = sum(1 for r in rows if r["høyeste_kjøpesum"] is not None and r["høyeste_kjøpesum"] >= r["kjøpesum"])
    assert f"alle: {len(rows)} husstander, " in out and f", {own} kan finansiere en bolig;" in out
    assert "minst kjøpesummen i registeret" in out


def test_a_scheme_titles_its_criteria_itself(tmp_path, capsys):
    """«Eie først» titles the betjeningsevne «Evne til å betale rentene på lånet»: its households read that title,
    the others the policy's own («Evne til å betjene lånet»)."""
    table = population.households(60, seed=11)
    table = table.append_column("ordning", pa.array(["eie_først"] * 30 + ["startlån"] * 30))
    pq.write_table(table, tmp_path / "register.parquet")
    assert main(["kartlegg", "kongsvinger", str(tmp_path / "register.parquet"), "--ut", str(tmp_path / "k.parquet"),
                 "--xlsx", str(tmp_path / "k.xlsx")]) == 0
    rows = pq.read_table(tmp_path / "k.parquet").to_pylist()
    sheet = openpyxl.load_workbook(tmp_path / "k.xlsx")["Husstander"]
    header = [c.value for c in sheet[1]]
    shown = {r[header.index("Rad i registeret")]: r[header.index("Hindrer")] or "" for r in sheet.iter_rows(min_row=2, values_only=True)}
    failing = [r for r in rows if "betjeningsevne" in (r["hindrer"] or "").split(", ")]
    assert {r["ordning"] for r in failing} == {"eie_først", "startlån"}
    for r in failing:
        title = "Evne til å betale rentene på lånet" if r["ordning"] == "eie_først" else "Evne til å betjene lånet"
        assert title in shown[r["rad"]]


def test_without_a_price_level_a_household_without_a_price_is_unknown_not_unable(tmp_path, capsys):
    """No --prisnivå: the households with a price in the register are counted against it; those without one are
    reported as unknown, apart from those who cannot finance it."""
    table = population.households(40, seed=11)
    prices = table.column("bolig.kjøpesum").to_pylist()
    table = table.set_column(table.column_names.index("bolig.kjøpesum"), "bolig.kjøpesum",
                             pa.array([None if i % 3 == 0 else p for i, p in enumerate(prices)], type=table.schema.field("bolig.kjøpesum").type))
    pq.write_table(table, tmp_path / "register.parquet")
    assert main(["kartlegg", "drammen", str(tmp_path / "register.parquet"), "--ut", str(tmp_path / "k.parquet"),
                 "--format", "json"]) == 0
    total = json.loads(capsys.readouterr().out)["etter_husstandstype"][-1]
    rows = pq.read_table(tmp_path / "k.parquet").to_pylist()
    assert total["finansiering_ukjent"] == sum(1 for r in rows if r["kjøpesum"] is None) == 14
    assert total["kan_finansiere_en_bolig"] == sum(
        1 for r in rows if r["kjøpesum"] is not None and r["høyeste_kjøpesum"] is not None
        and r["høyeste_kjøpesum"] >= r["kjøpesum"])
    assert main(["kartlegg", "drammen", str(tmp_path / "register.parquet")]) == 0
    assert "For 14 husstander uten kjøpesum i registeret er det ukjent" in capsys.readouterr().out
