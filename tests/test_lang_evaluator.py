"""Evaluator unit tests: søknad validation, dated parameters, and the `vurder`/`sjekk` commands."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from boligregler import cli
from boligregler.api import load_policy
from boligregler.diagnostics import BoligreglerError
from boligregler.evaluation.runtime import EvaluationError, given
from boligregler.evaluation.soknad import SoknadError
from boligregler.money import load_json

ROOT = Path(__file__).resolve().parents[1]
FAMILIE = ROOT / "examples" / "familie.json"
GOLDEN = Path(__file__).parent / "golden" / "diagnostics"


@pytest.fixture(scope="module")
def nasjonal():
    return load_policy("nasjonal")


@pytest.fixture
def familie() -> dict:
    return load_json(FAMILIE.read_text(encoding="utf-8"))


def problems(policy, soknad) -> dict[str, str]:
    with pytest.raises(SoknadError) as err:
        policy.validate(soknad)
    return {p.path: p.message for p in err.value.problems}


# ---- søknad validation ---------------------------------------------------------------------


def test_every_problem_is_reported_at_once_with_its_json_path(nasjonal, familie):
    familie["husstand"]["barn"][1]["alder"] = 18
    familie["inntekter"][0]["netto_per_måned"] = 48500.5
    familie["bolig"]["kjøpesum"] = -1
    familie["formål"] = "kjop"
    familie["egenkapitel"] = 50000
    familie["skjønn"]["hindrer_arbeid"] = "ja"
    del familie["bolig"]["boutgifter_per_måned"]
    found = problems(nasjonal, familie)
    assert set(found) == {
        "husstand.barn[1].alder", "inntekter[0].netto_per_måned", "bolig.kjøpesum", "formål", "egenkapitel",
        "skjønn.hindrer_arbeid", "bolig.boutgifter_per_måned",
    }
    assert found["husstand.barn[1].alder"] == "må være et heltall mellom 0 og 17"
    assert "mente du «kjøp»?" in found["formål"]
    assert "mente du «egenkapital»?" in found["egenkapitel"]
    assert found["bolig.boutgifter_per_måned"] == "mangler"
    assert "negativ" in found["bolig.kjøpesum"]
    assert "flyttall" in found["inntekter[0].netto_per_måned"]


def test_the_error_message_lists_every_problem_on_its_own_line(nasjonal, familie):
    familie["husstand"]["voksne"] = []
    familie["husstand"]["barn"][0]["alder"] = "sju"
    with pytest.raises(SoknadError) as err:
        nasjonal.evaluate(familie)
    lines = str(err.value).splitlines()
    assert "  husstand.voksne: må ha minst 1 element" in lines
    assert "  husstand.barn[0].alder: må være et heltall mellom 0 og 17" in lines


@pytest.mark.parametrize(("formål", "missing"), [
    ("kjøp", {"bolig.kjøpesum", "bolig.eierform"}),
    ("oppføring", {"bolig.kjøpesum"}),
    ("utbedring", {"bolig.kostnad"}),
    ("refinansiering", {"bolig.kostnad"}),
])
def test_fields_required_for_a_purpose(nasjonal, formål, missing):
    soknad = {"søknadsdato": "2026-03-01", "formål": formål, "husstand": {"voksne": [{"alder": 40}]},
              "bolig": {"boutgifter_per_måned": 4000}}
    assert set(problems(nasjonal, soknad)) == missing


def test_a_required_field_given_as_null_is_reported_as_missing(nasjonal, familie):
    familie["bolig"]["kjøpesum"] = None
    assert set(problems(nasjonal, familie)) == {"bolig.kjøpesum"}


def test_a_required_field_problem_is_reported_with_other_problems(nasjonal, familie):
    del familie["bolig"]["kjøpesum"]
    familie["husstand"]["barn"][0]["alder"] = -1
    assert set(problems(nasjonal, familie)) == {"bolig.kjøpesum", "husstand.barn[0].alder"}


def test_not_an_object(nasjonal):
    assert problems(nasjonal, ["søknad"]) == {"": "søknaden må være et JSON-objekt"}


def test_defaults_are_applied_only_where_the_schema_writes_one(nasjonal):
    facts = nasjonal.validate({"søknadsdato": "2026-03-01", "formål": "utbedring",
                               "husstand": {"voksne": [{"alder": 30}]},
                               "bolig": {"kostnad": 100000, "boutgifter_per_måned": "3200.50"}})
    assert facts["søknadsdato"] == dt.date(2026, 3, 1)
    assert facts["bolig"]["boutgifter_per_måned"] == Decimal("3200.50")
    assert facts["husstand"]["barn"] == []
    assert facts["ønsket_nedbetalingstid_år"] == 30
    assert facts["ordning"] == "startlån"
    # a case worker's assessment or a document has no default: absent means not assessed yet
    assert not given(facts["skjønn"]["boligen_egnet_og_nøktern"])
    assert not given(facts["skjønn"]["avslag_fra_banker"])
    assert facts["tilknytning"]["folkeregistrert_i_kommunen"] is True
    assert facts["bolig"]["kjøpesum"] is None and facts["livsopphold_per_måned"] is None


@pytest.mark.parametrize(("amount", "value"), [
    ("3200000.50", "3200000.50"), (3200000, "3200000"), (Decimal("3200000.5"), "3200000.50"), ("-0", "0"),
])
def test_money_as_text_integer_or_decimal(nasjonal, familie, amount, value):
    familie["bolig"]["kjøpesum"] = amount
    assert nasjonal.validate(familie)["bolig"]["kjøpesum"] == Decimal(value)


@pytest.mark.parametrize("amount", ["3 200 000", "1.234", True, "kr 5"])
def test_malformed_money_is_refused(nasjonal, familie, amount):
    familie["egenkapital"] = amount
    assert set(problems(nasjonal, familie)) == {"egenkapital"}


# ---- dated parameters ------------------------------------------------------------------------


def test_a_date_before_a_parameters_first_value_names_the_parameter(nasjonal, familie):
    familie["søknadsdato"] = "2023-12-31"
    with pytest.raises(EvaluationError) as err:
        nasjonal.evaluate(familie)
    message = str(err.value)
    named = re.search(r"parameteren «(\w+)», som gjelder fra (\d{4}-\d{2}-\d{2})", message)
    assert named, message
    parameter = nasjonal.model.parameters[named.group(1)]
    assert parameter.values[0].valid_from.isoformat() == named.group(2)
    assert parameter.values[0].valid_from > dt.date(2023, 12, 31)


def test_the_baseline_assesses_from_2024(nasjonal, familie):
    familie["søknadsdato"] = "2024-01-01"
    decision = nasjonal.evaluate(familie)
    assert decision.values["tinglysingsgebyr"] == 500
    assert decision.values["livsopphold_par"] == 13100


@pytest.mark.parametrize(("date", "rate"), [
    ("2025-06-19", "0.0450"), ("2025-06-20", "0.0425"), ("2025-09-18", "0.0425"), ("2025-09-19", "0.0400"),
])
def test_a_value_applies_from_its_own_date(nasjonal, familie, date, rate):
    familie["søknadsdato"] = date
    assert nasjonal.evaluate(familie).values["styringsrente"] == Decimal(rate)


# ---- the decision record ---------------------------------------------------------------------------


def test_decision_json_follows_vedtak_md(nasjonal, familie):
    record = nasjonal.evaluate(familie).to_dict()
    documented = ["utfall", "ordning", "policy", "søknadsdato", "beløp", "rente", "nedbetalingstid_år", "vilkår",
                  "betingelser", "begrunnelse"]
    assert [key for key in record if key in documented] == documented
    assert all(isinstance(v, str) and re.fullmatch(r"-?\d+(\.\d\d)?", v) for v in record["beløp"].values())
    assert record["rente"] == "6.50" and record["nedbetalingstid_år"] == 30
    assert [c["id"] for c in record["vilkår"]] == [c.id for c in nasjonal.model.criteria]
    assert all(c["hjemmel"] and c["forklaring"] for c in record["vilkår"])


# ---- the command line ------------------------------------------------------------------------------


def run_cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "boligregler", *args], capture_output=True, cwd=ROOT, env=env,
                          check=False)


def test_vurder_json_is_byte_stable_across_runs(capsys):
    first = run_cli("vurder", "drammen", str(FAMILIE), "--format", "json", env_extra={"PYTHONHASHSEED": "1"})
    second = run_cli("vurder", "drammen", str(FAMILIE), "--format", "json", env_extra={"PYTHONHASHSEED": "2"})
    assert first.returncode == second.returncode == 0, first.stderr.decode()
    assert first.stdout == second.stdout
    assert cli.main(["vurder", "drammen", str(FAMILIE), "--format", "json"]) == 0
    assert capsys.readouterr().out.encode("utf-8") == first.stdout
    record = json.loads(first.stdout)
    assert record["beløp"]["lånebehov"] == "2973590" and record["utfall"] == "innvilget"


def test_vurder_reports_an_invalid_soknad_without_traceback(tmp_path, capsys, familie):
    bad = copy.deepcopy(familie)
    bad["husstand"]["barn"][1]["alder"] = 30
    path = tmp_path / "søknad.json"
    path.write_text(json.dumps(bad, default=str, ensure_ascii=False), encoding="utf-8")
    assert cli.main(["vurder", "nasjonal", str(path)]) == 1
    err = capsys.readouterr().err
    assert "husstand.barn[1].alder: må være et heltall mellom 0 og 17" in err
    assert "Traceback" not in err


def test_vurder_reports_malformed_json_with_its_position(tmp_path, capsys):
    path = tmp_path / "søknad.json"
    path.write_text('{\n  "formål": "kjøp",\n}\n', encoding="utf-8")
    assert cli.main(["vurder", "nasjonal", str(path)]) == 1
    assert f"{path}:3:1: ugyldig JSON" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "status"), [
    (["sjekk", "nasjonal.pol"], 0),
    (["sjekk", "drammen.pol", "nasjonal.pol"], 0),
    (["sjekk", "unused.pol"], 0),
    (["sjekk", "--strengt", "unused.pol"], 1),
    (["sjekk", "duplicate.pol"], 1),
    (["sjekk", "syntax_several_errors.pol"], 1),
    (["sjekk", "unused.pol", "duplicate.pol"], 1),
    (["sjekk", "finnes_ikke.pol"], 1),
])
def test_sjekk_exit_codes(monkeypatch, capsys, args, status):
    monkeypatch.chdir(GOLDEN)
    args = [a if not a.startswith(("nasjonal", "drammen")) else str(ROOT / "policies" / a) for a in args]
    assert cli.main(args) == status
    assert "Traceback" not in capsys.readouterr().err


def test_sjekk_without_files_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["sjekk"])
    assert exit_.value.code == 2


def test_sjekk_from_a_separate_process_prints_every_error_without_traceback():
    done = run_cli("sjekk", str(GOLDEN / "syntax_several_errors.pol"))
    assert done.returncode == 1
    err = done.stderr.decode("utf-8")
    assert err.count("feil[S") == 3 and "3 feil" in err
    assert "Traceback" not in err


def test_library_errors_share_one_base_class():
    assert issubclass(SoknadError, BoligreglerError) and issubclass(EvaluationError, BoligreglerError)
