"""Golden files for syntax and checker diagnostics, and the JSON shape of `boligregler sjekk`.

Each `tests/golden/diagnostics/NAME.pol` is checked (on top of the shipped `nasjonal` when it
says `bygger på nasjonal`) and its diagnostics, rendered as plain text, must equal `NAME.txt`.
`sjekk.json` is the output of `boligregler sjekk --format json unused.pol duplicate.pol`.

To regenerate the expected files after an intended change of wording, run

    BOLIGREGLER_UPDATE_GOLDEN=1 python -m pytest tests/test_lang_diagnostics.py

and review the diff before committing it.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pytest

from boligregler import cli
from boligregler.diagnostics import PolicyError, Severity, render_text
from boligregler.model import types as T
from boligregler.model.checker import CODES, check
from boligregler.model.loader import shipped_policies_dir
from boligregler.syntax.parser import parse_policy

GOLDEN = Path(__file__).parent / "golden" / "diagnostics"
UPDATE = os.environ.get("BOLIGREGLER_UPDATE_GOLDEN") == "1"
CASES = sorted(GOLDEN.glob("*.pol"))
BASE_LABEL = "policies/nasjonal.pol"


@functools.cache
def nasjonal():
    return parse_policy((shipped_policies_dir() / "nasjonal.pol").read_text(encoding="utf-8"), BASE_LABEL)


def diagnose(path: Path):
    """The diagnostics for one golden input, with stable file labels (`NAME.pol`)."""
    text = path.read_text(encoding="utf-8")
    try:
        leaf = parse_policy(text, path.name)
        model = check([nasjonal(), leaf] if leaf.header.base == "nasjonal" else [leaf])
        return model.diagnostics, model.sources
    except PolicyError as e:
        return e.diagnostics, e.sources


def assert_golden(expected_path: Path, actual: str) -> None:
    if UPDATE:
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.exists(), f"{expected_path.name} is missing; run with BOLIGREGLER_UPDATE_GOLDEN=1"
    assert actual == expected_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_rendered_diagnostics_match_golden(case: Path):
    diagnostics, sources = diagnose(case)
    rendered = render_text(diagnostics, sources, color=False)
    assert_golden(case.with_suffix(".txt"), rendered + "\n" if rendered else "")


def test_every_golden_input_has_expected_output():
    assert {p.stem for p in GOLDEN.glob("*.txt")} == {p.stem for p in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden_diagnostics_use_documented_codes_and_stay_in_the_input(case: Path):
    diagnostics, sources = diagnose(case)
    for d in diagnostics:
        assert d.code in CODES
        if d.span is not None and d.file in sources:
            lines = sources[d.file].split("\n")
            assert 1 <= d.span.line <= d.span.end_line <= len(lines)
            assert 1 <= d.span.column <= len(lines[d.span.line - 1]) + 1


EXPECTED_CODES = {
    "syntax_missing_value": ["S003"],
    "syntax_unclosed_block": ["S002"],
    "syntax_misspelled_keyword": ["S004"],
    "syntax_unterminated_string": ["S005"],
    "unknown_name": ["N001"],
    "unit_mismatch": ["T001"],
    "monthly_times_months": [],
    "cycle": ["C001"],
    "duplicate": ["N002"],
    "missing_hjemmel": ["V001"],
    "dates_out_of_order": ["P001"],
    "unused": ["N007"],
}


@pytest.mark.parametrize(("stem", "codes"), sorted(EXPECTED_CODES.items()))
def test_each_golden_case_reports_what_it_is_about(stem, codes):
    diagnostics, _ = diagnose(GOLDEN / f"{stem}.pol")
    assert [d.code for d in diagnostics] == codes


def test_several_syntax_errors_are_reported_at_once():
    diagnostics, _ = diagnose(GOLDEN / "syntax_several_errors.pol")
    assert len(diagnostics) >= 3
    assert all(d.severity is Severity.ERROR and d.code.startswith("S") for d in diagnostics)
    assert [d.span.line for d in diagnostics] == sorted(d.span.line for d in diagnostics)
    assert len({d.span.line for d in diagnostics}) == len(diagnostics)


def test_override_and_removal_of_what_the_base_lacks():
    diagnostics, _ = diagnose(GOLDEN / "override_missing.pol")
    errors = {d.code: d for d in diagnostics if d.severity is Severity.ERROR}
    assert set(errors) == {"N003", "N004"}
    assert errors["N003"].notes == ("mente du «styringsrente»?",)
    assert errors["N004"].notes == ("mente du «egnet_bolig»?",)


def test_unknown_name_suggests_the_closest_name():
    (diag,) = diagnose(GOLDEN / "unknown_name.pol")[0]
    assert "lånebehv" in diag.message
    assert diag.notes == ("mente du «lånebehov»?",)


def test_monthly_amount_times_months_is_kroner():
    leaf = parse_policy((GOLDEN / "monthly_times_months.pol").read_text(encoding="utf-8"), "m.pol")
    model = check([nasjonal(), leaf])
    buffer = model.computations["buffer"]
    assert buffer.type == T.Num("kr")
    assert model.expr_types[id(buffer.expr)] == T.Num("kr")


def test_unused_definition_is_a_warning_not_an_error(capsys, monkeypatch):
    monkeypatch.chdir(GOLDEN)
    assert cli.main(["sjekk", "unused.pol"]) == 0
    assert "advarsel[N007]" in capsys.readouterr().err
    assert cli.main(["sjekk", "--strengt", "unused.pol"]) == 1


def test_sjekk_json_shape(capsys, monkeypatch):
    monkeypatch.chdir(GOLDEN)
    status = cli.main(["sjekk", "--format", "json", "unused.pol", "duplicate.pol"])
    out = capsys.readouterr().out
    assert status == 1
    assert_golden(GOLDEN / "sjekk.json", out)
    report = json.loads(out)
    assert isinstance(report, list) and len([e for e in report if e["code"] != "B004"]) == 2  # B004: no letterhead
    for entry in report:
        assert list(entry) == ["code", "severity", "message", "file", "line", "column", "end_line",
                               "end_column", "notes", "related"]
        assert entry["severity"] in ("feil", "advarsel")
        assert all(isinstance(entry[k], int) for k in ("line", "column", "end_line", "end_column"))
        for related in entry["related"]:
            assert list(related) == ["file", "line", "column", "end_line", "end_column", "label"]
    assert [(e["code"], e["severity"], e["file"]) for e in report if e["code"] != "B004"] == [
        ("N007", "advarsel", "unused.pol"), ("N002", "feil", "duplicate.pol")]
    # a policy building on another is told its letters lack a letterhead; one with errors is not checked further
    assert {e["file"] for e in report if e["code"] == "B004"} == {"unused.pol"}
