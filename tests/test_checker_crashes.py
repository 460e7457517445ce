"""Inputs that crashed the checker or the evaluator are diagnostics or EvaluationErrors instead."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from boligregler.api import check_policy, load_policy
from boligregler.diagnostics import PolicyError, Severity
from boligregler.evaluation.runtime import EvaluationError
from boligregler.money import load_json

ROOT = Path(__file__).resolve().parents[1]
FAMILIE = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))
HEADER = ('regelverk k bygger på nasjonal {\n    navn: "K"\n    kommune: "K"\n    vedtatt: 2024-01-01\n'
          '    kilde: "K"\n    klageinstans: "K"\n}\n')
CRITERION = "\nvilkår v {\n    tittel: \"V\"\n    art: informasjon\n    hjemmel: \"H\"\n    oppfylt når COND\n}\n"


def write(tmp_path, body: str) -> Path:
    path = tmp_path / "k.pol"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def diagnostics(path: Path):
    try:
        return check_policy(path).diagnostics
    except PolicyError as e:
        return e.diagnostics


def test_a_nested_aggregate_reusing_the_loop_variable_is_reported(tmp_path):
    path = write(tmp_path, "beregn dobbel: kr/mnd = sum(sum(x.netto_per_måned for hver x i inntekter) "
                           "for hver x i inntekter)\n" + CRITERION.replace("COND", "dobbel > 0 kr/mnd"))
    (d,) = [d for d in diagnostics(path) if d.severity is Severity.ERROR]
    assert d.code == "N002" and "«x» er allerede løkkevariabel" in d.message and d.span.line == 8


def test_a_schema_nested_400_levels_is_s009(tmp_path):
    path = write(tmp_path, "søknad {\n    dyp: " + "{ a: " * 400 + "heltall" + " }" * 400 + " eller ingen = ingen\n}\n")
    (d,) = diagnostics(path)
    assert (d.code, d.span.line, d.span.column) == ("S009", 9, 10)  # the outermost `{`, not level 100


def test_a_deep_list_type_in_a_record_is_s009_at_the_outermost_nested_type(tmp_path):
    path = write(tmp_path, "søknad {\n    x: heltall\n    dyp: {\n        b: heltall\n        c: "
                 + "liste av { a: " * 150 + "heltall" + " }" * 150 + "\n    }\n}\n")
    (d,) = diagnostics(path)
    assert (d.code, d.span.line, d.span.column) == ("S009", 10, 10)  # `dyp: {`, where the nesting starts


def test_division_by_a_value_that_can_be_zero_warns_and_fails_cleanly_at_run_time(tmp_path):
    path = write(tmp_path, "beregn per_barn: kr = lånebehov / antall_barn\n" + CRITERION.replace("COND", "per_barn > 0 kr"))
    (d,) = diagnostics(path)
    assert (d.code, d.severity, d.span.line, d.span.column) == ("T006", Severity.WARNING, 8, 35)
    soknad = copy.deepcopy(FAMILIE)
    soknad["husstand"]["barn"] = []
    for backend in ("compiled", "interpreter"):
        with pytest.raises(EvaluationError, match=r"deling med null i «per_barn» \(.*k\.pol:8\)"):
            load_policy(path, backend=backend).evaluate(copy.deepcopy(soknad))
    assert load_policy(path).evaluate(copy.deepcopy(FAMILIE)).utfall


# A row that divides by zero, or gives annuitet/nåverdi a term or rate they cannot use, is an EvaluationError
# naming the rule and line in every backend; the columnar backend reports that row like the Decimal
# backends (never inf, nan or a crash) and still decides the others.
ROW_ERRORS = [
    ("beregn a: kr = lånebehov / antall_barn", "a > 0 kr", "deling med null i «a»"),
    ("beregn a: kr = avrund(lånebehov * (2 / antall_barn), 1 kr, ned)", "a > 0 kr", "deling med null i «a»"),
    ("beregn a: kr/mnd = sum(x.netto_per_måned / antall_barn for hver x i inntekter)", "a > 0 kr/mnd",
     "deling med null i «a»"),
    (None, "lånebehov / antall_barn > 0 kr", "deling med null i «v»"),
    ("beregn a: kr/mnd = annuitet(lånebehov, 5 %, antall_barn * 1 år)", "a > 0 kr/mnd",
     "nedbetalingstiden er kortere enn én måned"),
    ("beregn a: kr/mnd = annuitet(lånebehov, (3 - antall_barn) * -600 %, 20 år)", "a > 0 kr/mnd",
     "renten er −1 200 % eller lavere"),
    ("beregn a: kr = nåverdi(1000 kr/mnd, (antall_barn - 2) * 100 %, 1000000000 år)", "a > 0 kr",
     "beløpet blir for stort til å regnes ut"),
    ("beregn a: kr = lån_for_rente(1000 kr/mnd, antall_barn * 1 %)", "a > 0 kr", "renten er 0 %"),
]


@pytest.mark.parametrize("computation, condition, message", ROW_ERRORS)
def test_a_row_that_cannot_be_computed_is_reported_alike_by_every_backend(tmp_path, computation, condition, message):
    from boligregler.evaluation import columnar
    path = write(tmp_path, (computation + "\n" if computation else "") + CRITERION.replace("COND", condition))
    bad = copy.deepcopy(FAMILIE)
    bad["husstand"]["barn"] = []
    expected = {}
    for backend in ("compiled", "interpreter"):
        with pytest.raises(EvaluationError) as e:
            load_policy(path, backend=backend).evaluate(copy.deepcopy(bad))
        expected[backend] = str(e.value)
    assert expected["compiled"] == expected["interpreter"]
    assert message in expected["compiled"] and f"k.pol:{8 if computation else 13}:" in expected["compiled"]
    assert not any(w in expected["compiled"] for w in ("decimal", "Division", "Overflow", "inf", "nan"))
    policy = load_policy(path)
    good = policy.evaluate(copy.deepcopy(FAMILIE))
    result = policy.evaluate_batch(columnar.from_facts(policy.model.schema, [
        policy.validate(copy.deepcopy(bad)), policy.validate(copy.deepcopy(FAMILIE))]))
    assert result.errors == {0: expected["compiled"]}
    assert result.outcome(0) is None and result.outcome(1) == good.utfall
    assert result.record(1) == columnar.decision_record(good)


@pytest.mark.parametrize("expr", ["hvis antall_barn > 0 så lånebehov / antall_barn ellers 0 kr",
                                  "lånebehov / maks(antall_barn, 1)", "lånebehov / 2"])
def test_a_guarded_division_does_not_warn(tmp_path, expr):
    path = write(tmp_path, f"beregn per_barn: kr = {expr}\n" + CRITERION.replace("COND", "per_barn > 0 kr"))
    assert diagnostics(path) == ()


def test_division_by_the_number_zero_is_an_error(tmp_path):
    path = write(tmp_path, "beregn per_barn: kr = lånebehov / 0\n" + CRITERION.replace("COND", "per_barn > 0 kr"))
    assert [(d.code, d.severity) for d in diagnostics(path)] == [("T006", Severity.ERROR)]


def test_a_table_mixing_number_and_text_keys_is_a_type_error_not_a_crash():
    from boligregler.model.checker import check
    from boligregler.syntax.parser import parse_policy
    text = ' regelverk  a  {  }  tabell  a  :  kr  etter  a  {  fra  2024-01-01  {  0  :  0  }  fra  2024-01-01  ' \
           '{  ""  :  0  }  } '
    assert "T002" in [d.code for d in check([parse_policy(text, "x.pol")]).diagnostics]
