"""Screening: `vurder POLICY søknader.jsonl|.csv` assesses many søknader, one decision JSON per line."""

from __future__ import annotations

import copy
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boligregler.api import load_policy
from boligregler.cli import main
from boligregler.commands.vurder import Progress
from boligregler.records import cell_value as _cell_value, read_csv
from boligregler.model import types as T
from boligregler.money import load_json

ROOT = Path(__file__).parent.parent
FAMILIE = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nasjonal():
    return load_policy("nasjonal")


def tenant(income: int) -> dict:
    soknad = copy.deepcopy(FAMILIE)
    soknad["inntekter"][0]["netto_per_måned"] = income
    return soknad


def run(*args: str) -> int:
    return main(["vurder", *args])


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_gives_one_decision_per_line_and_reports_bad_records(tmp_path, capsys, nasjonal):
    good = [tenant(20000), tenant(48500), tenant(60000)]
    lines = [json.dumps(good[0], default=str, ensure_ascii=False),
             '{"søknadsdato": "2026-03-01",',  # broken JSON
             "",
             json.dumps({**good[1], "referanse": "leietaker-17"}, default=str, ensure_ascii=False),
             json.dumps({**good[2], "formål": "kjøpe"}, default=str, ensure_ascii=False),
             json.dumps(good[2], default=str, ensure_ascii=False)]
    path = write_jsonl(tmp_path / "søknader.jsonl", lines)
    assert run("nasjonal", str(path)) == 1
    out, err = capsys.readouterr()
    decisions = [json.loads(line) for line in out.splitlines()]
    assert [d["linje"] for d in decisions] == [1, 4, 6]
    assert decisions[1]["referanse"] == "leietaker-17" and "referanse" not in decisions[0]
    for d, soknad in zip(decisions, [good[0], good[1], good[2]]):
        expected = nasjonal.evaluate(soknad).to_dict(letter=False)
        assert {k: v for k, v in d.items() if k not in ("linje", "referanse")} == expected
    assert f"{path}:2: ugyldig JSON" in err
    assert f"{path}:5: søknaden er ugyldig:\n  formål: «kjøpe» er ikke en gyldig verdi; mente du «kjøp»?" in err
    counts = {u: sum(d["utfall"] == u for d in decisions)
              for u in ("innvilget", "avslag", "manuell_vurdering", "ikke_avgjort")}
    assert err.strip().splitlines()[-1] == (
        f"Vurderte 3 søknader etter «Startlån etter nasjonale regler»: {counts['innvilget']} innvilget, "
        f"{counts['avslag']} avslag, {counts['manuell_vurdering']} manuell vurdering, "
        f"{counts['ikke_avgjort']} ikke avgjort. "
        "2 søknader kunne ikke vurderes (linje 2, 5). "
        "Vedtakslinjene: 3 bygget kolonnevis, 0 vurdert linje for linje.")


def test_all_good_records_exit_0_and_write_to_the_output_file(tmp_path, capsys):
    path = write_jsonl(tmp_path / "s.ndjson", [json.dumps(tenant(i), default=str) for i in (30000, 40000)])
    target = tmp_path / "vedtak.jsonl"
    assert run("nasjonal", str(path), "--ut", str(target)) == 0
    out, err = capsys.readouterr()
    assert out == "" and "Vurderte 2 søknader" in err and "kunne ikke" not in err
    assert [json.loads(line)["linje"] for line in target.read_text(encoding="utf-8").splitlines()] == [1, 2]


def flatten(value, prefix: str = "") -> dict[str, str]:
    """A søknad as CSV columns named by JSON path, the way a spreadsheet export would write it."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            out |= flatten(v, f"{prefix}.{k}" if prefix else k)
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out |= flatten(v, f"{prefix}[{i}]")
        return out
    if value is None:
        return {prefix: ""}
    if isinstance(value, bool):
        return {prefix: "ja" if value else "nei"}
    return {prefix: str(value)}


def test_a_csv_row_is_the_same_søknad_as_its_json(tmp_path, capsys, nasjonal):
    columns = flatten(FAMILIE)
    header = ["referanse", *columns]
    row = ["familien", *columns.values()]
    path = tmp_path / "søknader.csv"
    path.write_text(";".join(header) + "\n" + ";".join(row) + "\n", encoding="utf-8")
    assert run("nasjonal", str(path)) == 0
    (line,) = capsys.readouterr().out.splitlines()
    decision = json.loads(line)
    assert decision.pop("linje") == 2 and decision.pop("referanse") == "familien"
    assert decision == nasjonal.evaluate(FAMILIE).to_dict(letter=False)


def test_csv_cells_in_norwegian_spreadsheet_style(nasjonal):
    text = ("søknadsdato,formål,husstand.voksne[0].alder,husstand.barn[3].alder,husstand.barn[1].alder,"
            "bolig.kjøpesum,bolig.eierform,bolig.boutgifter_per_måned,skjønn.spareevne_utnyttet,"
            "tilknytning.folkeregistrert_i_kommunen\n"
            '2026-03-01,kjøp,41,2,9,"2 100 000",selveier,"3800,50",Ja,usann\n')
    (record,) = read_csv(text, nasjonal.model.schema, "s.csv")
    assert record.line == 2 and record.problem is None
    assert record.soknad == {
        "søknadsdato": "2026-03-01", "formål": "kjøp",
        "husstand": {"voksne": [{"alder": "41"}], "barn": [{"alder": "9"}, {"alder": "2"}]},
        "bolig": {"kjøpesum": "2100000", "eierform": "selveier", "boutgifter_per_måned": "3800.50"},
        "skjønn": {"spareevne_utnyttet": True}, "tilknytning": {"folkeregistrert_i_kommunen": False},
    }
    facts = nasjonal.validate(record.soknad)
    assert facts["bolig"]["boutgifter_per_måned"] == Decimal("3800.50")


def test_csv_line_numbers_count_quoted_newlines_and_skip_blank_rows(nasjonal):
    text = ('søknadsdato\tformål\n'
            '2026-03-01\tkjøp\n'
            '\n'
            '"2026-03-01\n"\tkjøp\n'
            '2026-03-01\n')
    records = list(read_csv(text, nasjonal.model.schema, "s.tsv"))
    assert [r.line for r in records] == [2, 4, 6]
    assert records[2].problem == "raden har 1 felt, men overskriften har 2"


def test_bad_csv_columns_stop_before_any_assessment(tmp_path, capsys):
    path = tmp_path / "s.csv"
    path.write_text("søknadsdato,husstand.vokne[0].alder,inntekter.type,bolig,formål,formål,bolig.kjøpesum[0]\n"
                    "2026-03-01,40,lønn,,kjøp,kjøp,1\n", encoding="utf-8")
    assert run("nasjonal", str(path)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{path}:1: overskriftsraden har ugyldige kolonner:",
        "  kolonne 2 «husstand.vokne[0].alder»: ukjent felt «vokne»; mente du «voksne»?",
        "  kolonne 3 «inntekter.type»: «inntekter» er en liste; skriv inntekter[0], inntekter[1] …",
        "  kolonne 4 «bolig»: kolonnen må peke på et enkeltfelt, ikke en gruppe av felt",
        "  kolonne 6 «formål»: står to ganger",
        "  kolonne 7 «bolig.kjøpesum[0]»: «kjøpesum» er ikke en liste",
    ]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only(tmp_path, monkeypatch, capsys):
    path = write_jsonl(tmp_path / "s.jsonl", [json.dumps(tenant(i), default=str) for i in (30000, 40000, 50000)])
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert run("nasjonal", str(path)) == 0
    shown = terminal.getvalue()
    assert "█" * Progress.WIDTH + " 3/3 linjer\r\x1b[KVurderte 3 søknader etter" in shown
    monkeypatch.undo()
    assert run("nasjonal", str(path)) == 0
    err = capsys.readouterr().err
    assert err.startswith("Vurderte 3 søknader") and "█" not in err


def test_progress_bar_drawing():
    stream = io.StringIO()
    bar = Progress(4, stream)
    bar.show(1)
    bar.show(2)  # within a tenth of a second: not redrawn
    bar.show(4)  # the last one is always drawn
    bar.clear()
    assert stream.getvalue() == ("\r" + "█" * 7 + "░" * 23 + " 1/4 linjer"
                                 "\r" + "█" * 30 + " 4/4 linjer\r\x1b[K")


def test_one_json_søknad_still_gives_one_decision(tmp_path, capsys, nasjonal):
    target = tmp_path / "vedtak.json"
    assert run("nasjonal", str(ROOT / "examples" / "familie.json"), "--format", "json", "--ut", str(target)) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text(encoding="utf-8")) == nasjonal.evaluate(FAMILIE).to_dict()


def test_jsonl_from_standard_input(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(FAMILIE, default=str) + "\n"))
    assert run("nasjonal", "-", "--inndata", "jsonl") == 0
    assert json.loads(capsys.readouterr().out)["linje"] == 1


@settings(max_examples=50, deadline=None)
@given(kroner=st.integers(0, 10**9), ore=st.integers(0, 99), group=st.sampled_from([" ", "\u00a0", "\u202f"]))
def test_spreadsheet_amounts_read_as_the_same_decimal(kroner, ore, group):
    digits = f"{kroner:,}".replace(",", group)
    cell = f"{digits},{ore:02d}"
    assert Decimal(_cell_value(cell, T.Num("kr"))) == Decimal(kroner) + Decimal(ore) / 100


def test_letters_only_on_request(tmp_path, capsys, nasjonal):
    path = write_jsonl(tmp_path / "søknader.jsonl", [json.dumps(FAMILIE, default=str, ensure_ascii=False)])
    assert run("nasjonal", str(path)) == 0
    assert "begrunnelse" not in json.loads(capsys.readouterr().out)
    assert run("nasjonal", str(path), "--begrunnelse") == 0
    line = json.loads(capsys.readouterr().out)
    assert line["begrunnelse"] == nasjonal.evaluate(FAMILIE).begrunnelse
