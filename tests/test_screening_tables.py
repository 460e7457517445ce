"""Tables of søknader: Parquet, CSV, XLSX and JSON Lines in; result tables out; bad cells located."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boligregler import load_policy
from boligregler.cli import main
from boligregler.evaluation import columnar
from boligregler.money import load_json
from boligregler.screening import files, population, tabular

ROOT = Path(__file__).resolve().parents[1]
FAMILY = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def drammen():
    return load_policy("drammen")


def decimal_rows(policy, table: pa.Table) -> list[dict]:
    return [columnar.decision_record(policy.evaluate(tabular.row_soknad(table, i), explain=False))
            for i in range(table.num_rows)]


def test_a_parquet_register_gives_the_decimal_decision_on_every_row(tmp_path, drammen, capsys):
    table = population.households(400, seed=7)
    pq.write_table(table, tmp_path / "register.parquet")
    assert main(["vurder", "drammen", str(tmp_path / "register.parquet"), "--ut", str(tmp_path / "ut.parquet")]) == 0
    out = pq.read_table(tmp_path / "ut.parquet").to_pylist()
    expected = decimal_rows(drammen, table)
    assert [r["rad"] for r in out] == list(range(1, 401))
    assert [r["referanse"] for r in out] == table.column("referanse").to_pylist()
    for row, want in zip(out, expected):
        assert row["utfall"] == want["utfall"]
        for key, text in want["beløp"].items():
            assert row[key] == Decimal(text), key
        assert f"{row['rente']:.2f}" == want["rente"]
        assert row["nedbetalingstid_år"] == want["nedbetalingstid_år"]
        failed = [cid for cid, result, _ in want["vilkår"] if result == "ikke_oppfylt"]
        listed = [c for c in (row["ikke_oppfylte_vilkår"] + ", " + row["hovedregler_ikke_oppfylt"]).split(", ") if c]
        assert sorted(listed) == sorted(failed)
    assert "Kolonnevis vurdering" in capsys.readouterr().err


def test_streaming_numbers_rows_across_chunks(tmp_path, drammen, monkeypatch):
    table = population.households(250, seed=8)
    pq.write_table(table, tmp_path / "r.parquet", row_group_size=64)
    monkeypatch.setattr(files, "CHUNK_ROWS", 64)
    seen = [c.rows.tolist() for c in files.table_chunks(drammen, str(tmp_path / "r.parquet"), "parquet", rows=64)]
    assert len(seen) == 4 and sum(seen, []) == list(range(1, 251))


CSV = """referanse;søknadsdato;formål;husstand.voksne[0].alder;husstand.barn[0].alder;husstand.barn[1].alder;inntekter[0].type;inntekter[0].netto_per_måned;inntekter[1].type;inntekter[1].netto_per_måned;bolig.kjøpesum;bolig.eierform;bolig.boutgifter_per_måned;skjønn.avslag_fra_banker;skjønn.stabil_bosituasjon_haster;skjønn.varig_lav_inntekt;skjønn.boligen_egnet_og_nøktern
A;2026-03-01;kjøp;36;4;8;uføretrygd;22 000;barnetrygd;3532,00;1 400 000;borettslag;3500;2;ja;nei;ja
B;2026-03-01;kjøp;abc;;;lønn;30000;;;2000000;selveier;-5;2;nei;nei;ja
C;2026-03-01;kjøp;45;;;lønn;35000,5;;;;selveier;4000;2;nei;nei;ja
D;2026-03-01;kjøpe;45;;;lønn;35000;;;2200000;selveier;4000;2;kanskje;nei;ja
"""


def test_csv_bad_cells_are_reported_by_row_and_column_and_the_rest_decided(tmp_path, drammen, capsys):
    path = tmp_path / "register.csv"
    path.write_text(CSV, encoding="utf-8")
    code = main(["vurder", "drammen", str(path), "--utdata", "tabell", "--ut", str(tmp_path / "ut.csv")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{path}:rad 2, kolonne «husstand.voksne[0].alder»: må være et heltall mellom 18 og 120" in err
    assert f"{path}:rad 2, kolonne «bolig.boutgifter_per_måned»: kan ikke være negativt" in err
    assert f"{path}:rad 3, kolonne «bolig.kjøpesum»: mangler; feltet er påkrevd for denne søknaden" in err
    assert f"{path}:rad 4, kolonne «formål»: «kjøpe» er ikke en gyldig verdi; mente du «kjøp»?" in err
    assert f"{path}:rad 4, kolonne «skjønn.stabil_bosituasjon_haster»" in err
    assert "3 søknader kunne ikke vurderes (rad 2, 3, 4)" in err
    rows = pa.csv.read_csv(tmp_path / "ut.csv").to_pylist() if hasattr(pa, "csv") else None
    import pyarrow.csv as pcsv
    rows = pcsv.read_csv(tmp_path / "ut.csv").to_pylist()
    assert [r["referanse"] for r in rows] == ["A"]
    # the same søknad as JSON gives the same decision (drammen's example tilskudd_innenfor_20_prosent)
    example = next(e for e in drammen.model.examples if e.name == "tilskudd_innenfor_20_prosent")
    want = drammen.evaluate(copy.deepcopy(example.input), explain=False)
    assert rows[0]["utfall"] == want.utfall == "innvilget"
    assert Decimal(str(rows[0]["tilskudd"])) == want.beløp["tilskudd"]


def test_unknown_columns_stop_before_any_row(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("søknadsdato,bolig.kjøpsum,husstand.voksne\n2026-03-01,1,2\n", encoding="utf-8")
    assert main(["vurder", "drammen", str(path), "--utdata", "tabell"]) == 1
    err = capsys.readouterr().err
    assert "ukjent felt «kjøpsum»; mente du «kjøpesum»?" in err
    assert "«husstand.voksne»" in err


def test_xlsx_register(tmp_path, drammen, capsys):
    import openpyxl
    table = population.households(30, seed=9)
    flat = {k: v for k, v in table.to_pydict().items()}
    wb = openpyxl.Workbook()
    ws = wb.active
    header = [k for k in flat if not isinstance(flat[k][0], list)] + ["husstand.voksne[0].alder", "husstand.voksne[1].alder",
                                                                      "inntekter[0].type", "inntekter[0].netto_per_måned"]
    ws.append(header)
    for i in range(30):
        voksne = flat["husstand.voksne"][i]
        row = [flat[k][i] for k in header[:-4]]
        row = [v.isoformat() if hasattr(v, "isoformat") else v for v in row]
        row += [voksne[0]["alder"], voksne[1]["alder"] if len(voksne) > 1 else None,
                flat["inntekter"][i][0]["type"], flat["inntekter"][i][0]["netto_per_måned"]]
        ws.append(row)
    wb.save(tmp_path / "r.xlsx")
    assert main(["vurder", "drammen", str(tmp_path / "r.xlsx"), "--ut", str(tmp_path / "ut.jsonl")]) == 0
    out = [json.loads(line) for line in (tmp_path / "ut.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(out) == 30
    chunk = next(files.table_chunks(drammen, str(tmp_path / "r.xlsx"), "xlsx"))
    for i, row in enumerate(out):
        want = columnar.decision_record(drammen.evaluate_facts(chunk.batch.rows_facts([i])[0], explain=False))
        assert row["utfall"] == want["utfall"] and row["maks_lån"] == want["beløp"]["maks_lån"]


def test_jsonl_to_a_result_table(tmp_path, drammen, capsys):
    good = copy.deepcopy(FAMILY)
    lines = [json.dumps(good, ensure_ascii=False), "{ikke json", json.dumps({**good, "formål": "tull"}, ensure_ascii=False),
             json.dumps({**good, "referanse": "X-1"}, ensure_ascii=False)]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["vurder", "drammen", str(path), "--utdata", "tabell", "--ut", str(tmp_path / "ut.parquet")]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: ugyldig JSON" in err and f"{path}:3: " in err
    out = pq.read_table(tmp_path / "ut.parquet").to_pylist()
    assert [r["rad"] for r in out] == [1, 4] and out[1]["referanse"] == "X-1"
    want = drammen.evaluate(copy.deepcopy(FAMILY), explain=False)
    assert out[0]["utfall"] == want.utfall and out[0]["maks_lån"] == want.beløp["maks_lån"]


def test_letters_need_vedtak_records(tmp_path, capsys):
    pq.write_table(population.households(3), tmp_path / "r.parquet")
    assert main(["vurder", "drammen", str(tmp_path / "r.parquet"), "--begrunnelse"]) == 1
    assert "--begrunnelse" in capsys.readouterr().err


def test_money_columns_are_exact_decimals():
    arr = files.money_array(__import__("numpy").array([123456, -5, 0, 10**15]))
    assert arr.to_pylist() == [Decimal("1234.56"), Decimal("-0.05"), Decimal("0.00"), Decimal("10000000000000.00")]


def test_the_population_is_seeded_and_labelled_synthetic():
    a, b = population.households(50, seed=1), population.households(50, seed=1)
    assert a.equals(b) and not a.equals(population.households(50, seed=2))
    assert b"Syntetiske" in a.schema.metadata[b"boligregler"]


def test_a_register_without_the_case_workers_assessments(drammen):
    """Facts nobody has assessed yet: every row still gets the Decimal backend's decision, with what is missing."""
    table = population.households(60, seed=12, assessed=False)
    chunk = tabular.read_chunk(drammen.model, table, 1, drammen.validate)
    result = drammen.evaluate_batch(chunk.batch)
    expected = decimal_rows(drammen, table)
    assert [result.record(i) for i in range(60)] == expected
    out = files.result_table(result, chunk).to_pylist()
    for row, want, i in zip(out, expected, range(60)):
        assert row["utfall"] == want["utfall"]
        d = drammen.evaluate(tabular.row_soknad(table, i), explain=False)
        assert row["mangler"] == ", ".join(m.opplysning for m in getattr(d, "mangler", ()))
        for key in ("maks_lån", "lånebehov"):
            assert (row[key] is None) == (key not in want["beløp"])


def test_the_table_commands_start_pyarrow_without_pandas(tmp_path):
    """pyarrow probes for pandas on its first array (0.5–2 s of import); the commands skip that probe,
    and pandas still works afterwards where it is needed (Dask, to_pandas)."""
    import subprocess
    import sys
    code = ("import sys\n"
            "from boligregler.screening import skip_pandas_probe\n"
            "skip_pandas_probe()\n"
            "import pyarrow as pa\n"
            "pa.array([1, None])\n"
            "assert 'pandas' not in sys.modules, 'pandas imported'\n"
            "import pandas as pd\n"
            "t = pa.Table.from_pandas(pd.DataFrame({'a': [1, 2]}))\n"
            "assert t.to_pandas()['a'].tolist() == [1, 2]\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ---- `påkrevd når` in a table: reported as the JSON validator reports it, by row and column ----------

NASJONAL_TEXT = (ROOT / "policies" / "nasjonal.pol").read_text(encoding="utf-8")
CONDITIONS = '''regelverk vilkårsby bygger på nasjonal {
    navn: "Startlån i Vilkårsby"
    kommune: "Vilkårsby kommune"
    vedtatt: 2026-01-01
    kilde: "Testregelverk for påkrevde felt i tabeller"
    klageinstans: "Vilkårsby kommunes klagenemnd"
}

søknad {
    ## Lån husstanden har fra før. kategori: økonomi
    eksisterende_lån: liste av {
        långiver: tekst
        restgjeld: kr eller ingen = ingen påkrevd når formål = "refinansiering"
        løpetid_år: heltall år fra 1 til 50 eller ingen = ingen påkrevd når ønsket_nedbetalingstid_år > 30 år
    } = []
    ## Merknad fra banken når terminbeløpet for hele kjøpesummen blir høyt (ikke kolonnevis: annuitet uten avrunding).
    ## kategori: økonomi
    bankens_merknad: tekst eller ingen = ingen påkrevd når annuitet(bolig.kjøpesum, 5 %, 30 år) > 16000 kr/mnd
}
'''


def _conditions_policy():
    from boligregler import load_policy_text
    return load_policy_text(CONDITIONS, name="vilkårsby.pol",
                            resolver=lambda i: NASJONAL_TEXT if i == "nasjonal" else None)


def _conditions_cases() -> list[dict]:
    base = json.loads(json.dumps(FAMILY, default=str))
    loan = {"långiver": "Banken", "restgjeld": 100000, "løpetid_år": 20}
    refinance = {"formål": "refinansiering", "bolig": {**base["bolig"], "kjøpesum": None, "kostnad": 900000}}
    cases = [
        {"eksisterende_lån": [loan]},  # good
        {**refinance, "eksisterende_lån": [loan, {"långiver": "Annen bank"}]},  # the second loan lacks restgjeld
        {"ønsket_nedbetalingstid_år": 40, "eksisterende_lån": [{"långiver": "Banken"}, loan]},  # the first lacks løpetid
        {"eksisterende_lån": [{"långiver": "Banken"}]},  # not refinancing, 30 år: nothing required
        {"bolig": {**base["bolig"], "kjøpesum": 3200000}},  # a high annuity: bankens_merknad required
        {"bolig": {**base["bolig"], "kjøpesum": 3200000}, "bankens_merknad": "Sett"},  # … and given
        {"ønsket_nedbetalingstid_år": 40, "bolig": {**base["bolig"], "kjøpesum": 3200000},
         "eksisterende_lån": [{"långiver": "Banken"}]},  # two problems in one row
    ]
    return [{**base, **c} for c in cases]


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        elif isinstance(v, list):
            for i, e in enumerate(v):
                out.update(_flat(e, f"{prefix}{k}[{i}]."))
        elif v is not None:
            out[prefix + k] = v
    return out


def _validator_problems(policy, cases) -> set[tuple[int, str, str]]:
    from boligregler.evaluation.soknad import SoknadError
    found = set()
    for row, case in enumerate(cases, start=1):
        try:
            policy.validate(load_json(json.dumps(case, ensure_ascii=False)))
        except SoknadError as e:
            found |= {(row, p.path, p.message) for p in e.problems}
    return found


@pytest.mark.parametrize("kind", ["parquet", "csv", "jsonl"])
def test_a_required_field_is_reported_as_the_json_validator_reports_it(tmp_path, kind, capsys):
    """In lists, and where the condition cannot be evaluated as columns, too; the other rows are decided."""
    policy = _conditions_policy()
    cases = _conditions_cases()
    expected = _validator_problems(policy, cases)
    assert {(r, c) for r, c, _ in expected} == {(2, "eksisterende_lån[1].restgjeld"), (3, "eksisterende_lån[0].løpetid_år"),
                                                (5, "bankens_merknad"), (7, "eksisterende_lån[0].løpetid_år"),
                                                (7, "bankens_merknad")}
    path = tmp_path / f"r.{kind}"
    if kind == "parquet":
        pq.write_table(pa.Table.from_struct_array(pa.array(cases)).flatten().flatten(), path)
    elif kind == "csv":
        flats = [_flat(c) for c in cases]
        names = sorted({k for f in flats for k in f})
        pa.csv.write_csv(pa.table({n: pa.array([None if f.get(n) is None else str(f[n]).lower() if isinstance(f[n], bool)
                                                else str(f[n]) for f in flats], pa.string()) for n in names}), path)
    else:
        path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    chunk = next(files.table_chunks(policy, str(path), kind))
    found = {(p.row, p.column, p.message) for p in chunk.problems}
    if kind == "jsonl":  # the per-line validator's own message, with the path in it
        found = {(r, *m.split(": ", 1)) for r, _, m in found for m in m.split("\n  ")[1:]}
    assert found == expected
    assert chunk.rows.tolist() == [1, 4, 6]
    result = policy.evaluate_batch(chunk.batch)
    for i, row in enumerate(chunk.rows.tolist()):
        want = policy.evaluate(load_json(json.dumps(cases[row - 1], ensure_ascii=False)), explain=False)
        assert result.outcome(i) == want.utfall != "ikke_avgjort"


def test_an_amount_too_large_for_the_columns_with_a_required_field_missing_is_reported(tmp_path):
    policy = _conditions_policy()
    base = json.loads(json.dumps(FAMILY, default=str))
    cases = [{**base, "bolig": {**base["bolig"], "kjøpesum": 200_000_000_000}},
             {**base, "bolig": {**base["bolig"], "kjøpesum": 200_000_000_000}, "bankens_merknad": "Sett"}]
    pq.write_table(pa.Table.from_struct_array(pa.array(cases)).flatten().flatten(), tmp_path / "r.parquet")
    chunk = next(files.table_chunks(policy, str(tmp_path / "r.parquet"), "parquet"))
    assert [(p.row, p.column, p.message) for p in chunk.problems] == [
        (1, "bankens_merknad", "mangler; feltet er påkrevd for denne søknaden")]
    assert chunk.rows.tolist() == [2] and list(chunk.batch.exact_facts) == [0]
    want = policy.evaluate(load_json(json.dumps(cases[1])), explain=False)
    assert policy.evaluate_batch(chunk.batch).outcome(0) == want.utfall


def _json_rows_one_by_one(table: pa.Table) -> str:
    """What the JSON Lines result is: json.dumps of each row (money as vedtak.md writes it, "" left out)."""
    columns = [[None if v is None else columnar.ore_text(int(v.scaleb(2))) for v in col.to_pylist()]
               if pa.types.is_decimal(col.type) else col.to_pylist() for col in table.columns]
    return "".join(json.dumps({k: v for k, v in zip(table.column_names, values) if v != ""}, ensure_ascii=False) + "\n"
                   for values in zip(*columns))



@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(-10**6, 10**6)), st.one_of(st.none(), st.text(max_size=6)),
                          st.one_of(st.none(), st.integers(-10**12, 10**12)), st.one_of(st.none(), st.sampled_from([0, 1, 2]))),
                min_size=1, max_size=12))
def test_json_lines_are_json_dumps_of_each_row(rows):
    """Built column by column: numbers, texts to escape (quotes, backslashes, control characters), money, labels."""
    ints, texts, ore, codes = map(list, zip(*rows))
    table = pa.table({"rad": pa.array(ints, type=pa.int64()), "referanse": pa.array(texts, type=pa.string()),
                      "beløp": files.money_array(np.array([o or 0 for o in ore]), np.array([o is None for o in ore])),
                      "utfall": pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()),
                                                               pa.array(["", "innvilget", 'a "b"']))})
    assert bytes(files.json_lines(table)).decode("utf-8") == _json_rows_one_by_one(table)


def test_a_register_to_json_lines_on_standard_out(tmp_path, drammen, capsys):
    table = population.households(300, seed=4)
    pq.write_table(table, tmp_path / "r.parquet")
    assert main(["vurder", "drammen", str(tmp_path / "r.parquet")]) == 0
    lines = capsys.readouterr().out.splitlines()
    chunk = next(files.table_chunks(drammen, str(tmp_path / "r.parquet"), "parquet"))
    want = _json_rows_one_by_one(files.result_table(drammen.evaluate_batch(chunk.batch), chunk)).splitlines()
    assert lines == want and len(lines) == 300
    assert [json.loads(line)["utfall"] for line in lines] == [r["utfall"] for r in decimal_rows(drammen, table)]


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_a_date_that_does_not_exist_is_reported_not_rolled_over(tmp_path, kind, capsys):
    """pyarrow's strptime reads 2026-02-30 as 2026-03-02; the table check reports it as the JSON check does."""
    table = population.households(4, seed=3)
    dates = ["2026-03-01", "2026-02-30", "2025-02-29", "2024-02-29"]
    table = table.set_column(table.column_names.index("søknadsdato"), "søknadsdato", pa.array(dates))
    path = tmp_path / f"r.{kind}"
    pq.write_table(table, path) if kind == "parquet" else pa.csv.write_csv(table.drop_columns(
        [c for c in table.column_names if pa.types.is_list(table.schema.field(c).type)]), path)
    main(["vurder", "drammen", str(path), "--utdata", "tabell", "--ut", str(tmp_path / "ut.parquet")])
    err = capsys.readouterr().err
    for row, date in ((2, "2026-02-30"), (3, "2025-02-29")):
        assert f"rad {row}, kolonne «søknadsdato»: {date} er ikke en dato som finnes" in err
    assert "rad 1, kolonne «søknadsdato»" not in err and "rad 4, kolonne «søknadsdato»" not in err


def test_facts_not_yet_assessed_are_described_as_the_policy_words_them():
    """A row's facts from the columns describe a missing assessment in the policy's own words and målform (its
    `opplysning` texts, here nynorsk), as `Policy.validate` does: the `mangler` of the row are the same either way."""
    fjordvik = load_policy(ROOT / "tests" / "fixtures" / "nynorsk" / "fjordvik.pol")
    table = population.households(20, seed=12, assessed=False)
    chunk = tabular.read_chunk(fjordvik.model, table, 1, fjordvik.validate)
    rows = np.arange(20)
    described = []
    for i, facts in zip(rows, chunk.batch.rows_facts(rows)):
        want = fjordvik.evaluate_facts(fjordvik.validate(tabular.row_soknad(table, int(i))), explain=False)
        got = fjordvik.evaluate_facts(facts, explain=False)
        assert [m.to_dict() for m in got.mangler] == [m.to_dict() for m in want.mangler]
        described += [m.beskrivelse for m in got.mangler]
    assert "Talet på bankar som har avslått søknad om bustadlån, etter dokumentasjon frå bankane" in described


POLICY_NAMES = sorted(p.stem for p in (ROOT / "policies").glob("*.pol"))


def _unassessed_at_random(table: pa.Table, rng: np.random.Generator, share: float) -> pa.Table:
    """`table` with each case worker's assessment and documented fact emptied on a random `share` of the rows."""
    for name in [c for c in table.column_names if c.startswith("skjønn.")]:
        column = table.column(name)
        kept = rng.random(table.num_rows) >= share
        table = table.set_column(table.column_names.index(name), name,
                                 pa.array([v if k else None for v, k in zip(column.to_pylist(), kept)], type=column.type))
    return table


@pytest.mark.parametrize("name", POLICY_NAMES)
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), share=st.sampled_from([0.05, 0.15, 0.5]))
def test_mangler_from_the_columns_is_the_decimal_backends(name, seed, share):
    """Random subsets of the assessments missing: every row's `mangler` is the Decimal backend's, in order,
    whether the columns list it (an undecided row that may read one missing fact alone) or the Decimal backend."""
    policy = load_policy(name)
    table = _unassessed_at_random(population.households(40, seed=seed % 1000), np.random.default_rng(seed), share)
    result = policy.evaluate_batch(tabular.read_chunk(policy.model, table, 1, policy.validate).batch)
    for i in range(table.num_rows):
        d = policy.evaluate(tabular.row_soknad(table, i), explain=False)
        assert result.missing.get(i, "") == ", ".join(m.opplysning for m in getattr(d, "mangler", ()))


def test_an_undecided_row_that_waits_for_one_fact_alone_is_listed_by_the_columns(drammen):
    """A register where a few assessments are missing: the rows that may read only one missing fact are not
    decided again by the Decimal backend for their `mangler`, and their list is its."""
    table = _unassessed_at_random(population.households(300, seed=5), np.random.default_rng(1), 0.15)
    result = drammen.evaluate_batch(tabular.read_chunk(drammen.model, table, 1, drammen.validate).batch)
    undecided = np.array([result.outcome(i) == "ikke_avgjort" for i in range(table.num_rows)])
    by_columns = np.flatnonzero(undecided & ~result.fallback)
    assert by_columns.size and result.for_mangler.sum() == undecided.sum() - by_columns.size
    for i in by_columns.tolist():
        d = drammen.evaluate(tabular.row_soknad(table, i), explain=False)
        assert [m.opplysning for m in d.mangler] == [result.missing[i]]
