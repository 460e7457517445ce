"""Errors as data: every library error has a stable code, located problems and parameters."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from boligregler import BoligreglerError, EvaluationError, PolicyError, SoknadError, cli, load_policy
from boligregler.diagnostics import Problem, json_pointer, parse_path
from boligregler.money import load_json

ROOT = Path(__file__).resolve().parents[1]
FAMILIE = ROOT / "examples" / "familie.json"


@pytest.fixture(scope="module")
def nasjonal():
    return load_policy("nasjonal")


@pytest.fixture
def familie() -> dict:
    return load_json(FAMILIE.read_text(encoding="utf-8"))


def soknad_error(policy, soknad) -> SoknadError:
    with pytest.raises(SoknadError) as err:
        policy.validate(soknad)
    return err.value


def test_søknad_problems_have_codes_segments_pointers_and_parameters(nasjonal, familie):
    familie["husstand"]["barn"][1]["alder"] = 18
    familie["formål"] = "kjop"
    familie["egenkapitel"] = 1
    familie["bolig"]["kjøpesum"] = -1
    del familie["bolig"]["boutgifter_per_måned"]
    error = soknad_error(nasjonal, familie)
    by_path = {p.path: p for p in error.problems}
    age = by_path["husstand.barn[1].alder"]
    assert (age.code, age.segments, age.pointer) == ("utenfor_grenser", ("husstand", "barn", 1, "alder"),
                                                      "/husstand/barn/1/alder")
    assert age.params == {"verdi": 18, "min": 0, "maks": 17}
    assert by_path["formål"].code == "ugyldig_verdi" and by_path["formål"].params["forslag"] == "kjøp"
    assert "refinansiering" in by_path["formål"].params["gyldige"]
    assert by_path["egenkapitel"].code == "ukjent_felt" and by_path["egenkapitel"].params == {"forslag": "egenkapital"}
    assert by_path["bolig.kjøpesum"].code == "negativt"
    assert by_path["bolig.boutgifter_per_måned"].code == "mangler"
    data = error.to_dict()
    assert data["kode"] == "ugyldig_soknad"
    assert {"kode": "utenfor_grenser", "sti": ["husstand", "barn", 1, "alder"], "peker": "/husstand/barn/1/alder",
            "felt": "husstand.barn[1].alder", "melding": "må være et heltall mellom 0 og 17",
            "parametre": {"verdi": "18", "min": 0, "maks": 17}} in data["problemer"]
    json.dumps(data, ensure_ascii=False)  # JSON-ready as it is


def test_whole_søknad_of_the_wrong_kind(nasjonal):
    (problem,) = soknad_error(nasjonal, [1, 2]).problems
    assert (problem.code, problem.segments, problem.pointer) == ("objekt", (), "")


def test_json_pointer_escapes_and_paths_round_trip():
    assert json_pointer(("a/b", "c~d", 0)) == "/a~1b/c~0d/0"
    assert parse_path("husstand.barn[12].alder") == ("husstand", "barn", 12, "alder")
    assert Problem("inntekter[0].type", "x").segments == ("inntekter", 0, "type")


def test_policy_errors_are_data(tmp_path):
    bad = tmp_path / "feil.pol"
    text = (ROOT / "policies" / "nasjonal.pol").read_text(encoding="utf-8").replace(
        "regelverk nasjonal {", "regelverk feil {\n    ukjentfelt: \"x\"", 1)
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy(bad)
    data = err.value.to_dict()
    assert data["kode"] == "ugyldig_regelverk"
    problem = next(p for p in data["problemer"] if p["kode"] == "H002")
    assert problem["parametre"]["fil"] == str(bad) and problem["parametre"]["linje"] == 5
    assert "ukjentfelt" in problem["melding"]


def test_evaluation_errors_are_data(nasjonal, familie):
    familie["søknadsdato"] = "1990-01-01"
    with pytest.raises(EvaluationError) as err:
        nasjonal.evaluate(familie)
    (problem,) = err.value.problems
    assert problem.code == "dato_foer_foerste_verdi"
    assert problem.params["søknadsdato"].isoformat() == "1990-01-01" and problem.params["navn"]


@pytest.mark.parametrize("argument", ["regelverk x bygger på nasjonal {\n navn: \"x\"\n}\n" + "a" * 5000, 42, None])
def test_policy_text_or_a_non_path_given_to_load_policy(argument):
    with pytest.raises(BoligreglerError) as err:
        load_policy(argument)
    message = str(err.value)
    assert "load_policy_text" in message and "Traceback" not in message and len(message) < 600


def test_errors_pickle_with_their_data(nasjonal, familie):
    familie["formål"] = "kjop"
    error = soknad_error(nasjonal, familie)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is SoknadError and again.to_dict() == error.to_dict()


def test_cli_writes_errors_as_json_with_format_json(tmp_path, capsys, familie):
    familie["formål"] = "kjop"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(familie, ensure_ascii=False), encoding="utf-8")
    assert cli.main(["vurder", "nasjonal", str(path), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["kode"] == "ugyldig_soknad" and data["problemer"][0]["peker"] == "/formål"
    assert cli.main(["vurder", "nasjonal", str(tmp_path / "mangler.json"), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["kode"] == "fil" and data["problemer"][0]["parametre"]["grunn"] == "finnes ikke"


# ---- every error is a BoligreglerError, every code is documented, every input command speaks JSON ----

SRC = ROOT / "src" / "boligregler"
# Signals caught inside the library, never seen by a caller: the columnar backend's fallback to Decimal,
# a stale entry of the parse-tree cache, and the server's problem response (answered, not raised out).
INTERNAL = {"boligregler.evaluation.columnar.Unsupported", "boligregler.syntax.cache.InvalidTree",
            "boligregler.server.app.Problem"}


def test_every_library_error_is_a_boligregler_error():
    import importlib
    import inspect
    import pkgutil

    import boligregler
    seen = 0
    for info in pkgutil.walk_packages(boligregler.__path__, "boligregler."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if not (inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == module.__name__):
                continue
            seen += 1
            if name.startswith("_") or f"{module.__name__}.{name}" in INTERNAL:
                continue
            assert issubclass(obj, BoligreglerError), f"{module.__name__}.{name}"
            assert obj.code != "feil" or obj is BoligreglerError, f"{module.__name__}.{name} has no code of its own"
    assert seen > 10


def test_records_criteria_and_amounts_raise_library_errors(nasjonal, familie):
    from boligregler import Decision
    from boligregler.money import parse_money

    with pytest.raises(BoligreglerError) as err:
        Decision.from_dict({"utfall": "innvilget"})
    assert err.value.code == "ugyldig_vedtak" and isinstance(err.value, ValueError)
    decision = nasjonal.evaluate(familie)
    with pytest.raises(BoligreglerError) as err:
        decision.criterion("finnes_ikke")
    assert err.value.code == "ukjent_vilkaar" and isinstance(err.value, KeyError)
    assert err.value.params["vilkår"] == "finnes_ikke" and "finnes_ikke" in str(err.value)
    with pytest.raises(BoligreglerError) as err:
        parse_money("12,50")
    assert err.value.code == "belop" and isinstance(err.value, ValueError)
    with pytest.raises(BoligreglerError) as err:
        load_json('{"a": ')
    assert err.value.to_dict()["problemer"][0]["parametre"] == {"linje": 1, "kolonne": 7}


def _codes_in_source() -> set[str]:
    """Every problem code the source names: `code=`, a class's `code`, `run.fail(…, code)`, `Problem(…)`, `"kode":`."""
    import ast

    codes: set[str] = set()

    def add(node) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            codes.add(node.value)
        elif isinstance(node, ast.IfExp):
            add(node.body)
            add(node.orelse)

    for path in SRC.rglob("*.py"):
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Call):
                for kw in n.keywords:
                    if kw.arg == "code":
                        add(kw.value)
                name = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
                http = path.parent.name == "server"  # server.app.Problem(status, code, title, …)
                if name == "fail" and len(n.args) >= 2 or name == "Problem" and http and len(n.args) >= 2:
                    add(n.args[1])
                elif name == "Problem" and len(n.args) >= 3:  # diagnostics.Problem(path, message, code)
                    add(n.args[2])
            elif isinstance(n, ast.ClassDef):
                for b in n.body:
                    if isinstance(b, ast.Assign) and any(getattr(t, "id", "") == "code" for t in b.targets):
                        add(b.value)
            elif isinstance(n, ast.Dict):
                for k, v in zip(n.keys, n.values):
                    if isinstance(k, ast.Constant) and k.value == "kode":
                        add(v)
    return codes


@pytest.mark.parametrize("page", ["integrasjon.md", "integration.md"])
def test_every_code_is_documented_in_the_integration_guide(page):
    codes = _codes_in_source()
    assert {"ugyldig_soknad", "paakrevd", "logg_utilgjengelig", "ikke_funnet", "ugyldig_vedtak"} <= codes
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    missing = sorted(c for c in codes if f"`{c}`" not in text)
    assert not missing, f"{page} does not list {missing}"


NOT_INPUT = {"serve", "lsp", "docs"}  # problem+json, LSP diagnostics, the MkDocs site build


def test_every_command_that_reads_input_has_format_json():
    import argparse

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    checked = set()
    for name, command in sub.choices.items():
        if name in NOT_INPUT or name in checked:
            continue
        parsers = [command]
        nested = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            parsers = list(nested[0].choices.values())
        for p in parsers:
            formats = [a for a in p._actions if "--format" in a.option_strings]
            assert formats and "json" in formats[0].choices, f"{name} {p.prog}"
        checked.add(name)
    assert {"vurder", "fmt", "eksempel", "kartlegg", "konsekvens", "logg"} <= checked


@pytest.mark.parametrize("argv, code", [
    (["fmt", "finnes-ikke.pol"], "fil"),
    (["eksempel", "nasjonal", "finnes_ikke"], "ukjent_eksempel"),
    (["kartlegg", "drammen", "register.txt"], "ukjent_filtype"),
    (["konsekvens", "nasjonal", "drammen", "finnes-ikke.csv"], "fil"),
    (["skjema", "finnes-ikke"], None),
    (["sjekk", "finnes-ikke"], None),
])
def test_commands_write_their_errors_as_json(argv, code, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "register.txt").write_text("x\n", encoding="utf-8")
    status = cli.main([*argv, "--format", "json"])
    out = capsys.readouterr().out
    data = json.loads(out)
    assert status == 1
    if isinstance(data, list):  # sjekk: the diagnostics, as in tests/golden/diagnostics/sjekk.json
        assert data and all(d["code"] and d["message"] for d in data)
        return
    first = data if "kode" in data else data["filer"][0]  # fmt: one entry per file
    assert first["problemer"] and all({"kode", "sti", "peker", "melding", "parametre"} <= set(p)
                                      for p in first["problemer"])
    if code is not None:
        assert first["kode"] == code, first


def test_fmt_kartlegg_and_konsekvens_write_json(tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    from boligregler.screening import population

    assert cli.main(["fmt", "--sjekk", "--format", "json", str(ROOT / "policies" / "drammen.pol")]) == 0
    assert json.loads(capsys.readouterr().out)["filer"] == [{"fil": str(ROOT / "policies" / "drammen.pol"),
                                                             "formatert": True}]
    register = tmp_path / "register.parquet"
    pq.write_table(population.households(4, seed=3), register)
    assert cli.main(["kartlegg", "drammen", str(register), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["husstander"] == 4 and data["problemer"] == [] and data["syntetiske_data"] is True
    assert next(s for s in data["etter_husstandstype"] if s["husstandstype"] == "alle")["husstander"] == 4
    assert cli.main(["konsekvens", "nasjonal", "drammen", str(register), "--format", "json"]) in (0, 1)
    impact = json.loads(capsys.readouterr().out)
    assert impact["husstander"] == 4 and sum(t["antall"] for t in impact["overganger"]) == 4
    assert set(impact["sum"]) == {"startlån", "tilskudd"} and "problemer" in impact
