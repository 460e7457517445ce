"""The library API for case systems: policies from text, content digests, records read back, threads, pickle."""

from __future__ import annotations

import ast
import copy
import json
import pickle
import threading
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import boligregler
from boligregler import Decision, PolicyError, load_policy, load_policy_text, verify
from boligregler.cli import main
from boligregler.model.loader import shipped_policies_dir
from boligregler.money import load_json

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "boligregler"
FAMILY = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))
DRAMMEN = (shipped_policies_dir() / "drammen.pol").read_text(encoding="utf-8")
NASJONAL = (shipped_policies_dir() / "nasjonal.pol").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def drammen():
    return load_policy("drammen")


def test_policy_from_text_with_a_resolver_has_the_files_digest(drammen):
    asked = []

    def resolver(policy_id):
        asked.append(policy_id)
        return {"nasjonal": NASJONAL}.get(policy_id)

    policy = load_policy_text(DRAMMEN, name="drammen.pol", resolver=resolver)
    assert asked == ["nasjonal"] and policy.id == "drammen"
    assert policy.sha256 == drammen.sha256
    assert policy.evaluate(copy.deepcopy(FAMILY)).to_dict() == drammen.evaluate(copy.deepcopy(FAMILY)).to_dict()


def test_the_digest_is_content_only(tmp_path, drammen):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "nasjonal.pol").write_text(NASJONAL, encoding="utf-8")
    (tmp_path / "a" / "kommune-2026.pol").write_text(DRAMMEN, encoding="utf-8")
    assert load_policy(tmp_path / "a" / "kommune-2026.pol").sha256 == drammen.sha256
    changed = load_policy_text(DRAMMEN.replace("5 % fra 2015-01-01", "5.5 % fra 2015-01-01"))
    assert changed.sha256 != drammen.sha256


def test_policy_text_errors_name_the_text_and_the_missing_base():
    with pytest.raises(PolicyError) as err:
        load_policy_text(DRAMMEN, name="db:42", resolver=lambda _: None)
    (problem,) = err.value.problems
    assert problem.code == "N006" and "«nasjonal»" in problem.message and problem.params["fil"] == "db:42"
    with pytest.raises(PolicyError) as err:
        load_policy_text("regelverk x {", name="utkast")
    assert all(p.params["fil"] == "utkast" for p in err.value.problems)


def test_version_label_in_the_header_goes_into_every_decision():
    text = DRAMMEN.replace('    navn: "Startlån i Drammen kommune"',
                           '    navn: "Startlån i Drammen kommune"\n    versjon: "2026.1"', 1)
    policy = load_policy_text(text, name="drammen.pol")
    assert policy.versjon == "2026.1"
    assert policy.evaluate(copy.deepcopy(FAMILY)).to_dict()["policy"]["versjon"] == "2026.1"
    with pytest.raises(PolicyError, match="versjon"):
        load_policy_text(text.replace('versjon: "2026.1"', "versjon: 2026-01-01"))


@pytest.mark.parametrize("explain", [True, False])
def test_decision_from_dict_round_trips(drammen, explain):
    record = drammen.evaluate(copy.deepcopy(FAMILY), explain=explain).to_dict()
    stored = json.loads(json.dumps(record, ensure_ascii=True, sort_keys=True))  # as a database gives it back
    again = Decision.from_dict(load_json(json.dumps(stored)))
    assert again.to_dict() == record
    assert again.beløp["startlån"] == drammen.evaluate(copy.deepcopy(FAMILY)).beløp["startlån"]
    with pytest.raises(ValueError, match="ikke et vedtak"):
        Decision.from_dict({"utfall": "innvilget"})


POLICIES = {p.stem: load_policy(p) for p in sorted(shipped_policies_dir().glob("*.pol"))}
ASSESSED = [k for k, spec in POLICIES["nasjonal"].model.schema.fields["skjønn"].type.fields.items()
            if spec.provided_by is not None]
OUTCOMES = {"innvilget", "avslag", "manuell_vurdering", "ikke_avgjort"}


def assert_round_trips(decision, letter: bool) -> None:
    record = decision.to_dict(letter=letter)
    stored = load_json(json.dumps(record, ensure_ascii=True, sort_keys=True))  # as a database gives it back
    again = Decision.from_dict(stored)
    assert again == decision
    for field in attrs.fields(Decision):  # each field compares as the record states it
        if field.eq:
            key = field.eq_key or (lambda v: v)
            assert key(getattr(again, field.name)) == key(getattr(decision, field.name)), field.name
    assert again.to_dict(letter=letter) == record


def test_every_shipped_example_round_trips_through_its_record():
    seen = set()
    for policy in POLICIES.values():
        for example in policy.model.examples:
            if example.input is None:
                continue
            soknad = copy.deepcopy(example.input)
            for drop in ((), ASSESSED[:2]):  # as given, and with two assessments not yet made
                partial = copy.deepcopy(soknad)
                for key in drop:
                    partial.get("skjønn", {}).pop(key, None)
                decision = policy.evaluate(partial)
                seen.add(decision.utfall)
                for letter in (True, False):
                    assert_round_trips(decision, letter)
                assert_round_trips(policy.evaluate(copy.deepcopy(partial), explain=False), False)
    assert seen == OUTCOMES


@st.composite
def soknader(draw) -> dict:
    """The family of the examples with other amounts, purposes and dates, some assessments missing or reasoned."""
    s = copy.deepcopy(FAMILY)
    s["formål"] = draw(st.sampled_from(["kjøp", "kjøp", "oppføring", "utbedring", "refinansiering"]))
    price = draw(st.integers(500_000, 5_000_000))
    s["bolig"]["kjøpesum"] = price if s["formål"] in ("kjøp", "oppføring") else None
    s["bolig"]["kostnad"] = price if s["formål"] in ("utbedring", "refinansiering") else None
    s["søknadsdato"] = draw(st.sampled_from(["2025-07-01", "2026-03-01"]))  # every parameter has a value
    s["ordning"] = draw(st.sampled_from(["startlån", "startlån", "startlån", "eie_først"]))
    s["inntekter"][0]["netto_per_måned"] = draw(st.integers(2_000_000, 9_999_999).map(lambda c: str(Decimal(c).scaleb(-2))))
    s["egenkapital"] = draw(st.integers(0, 900_000))
    s["husstand"]["barn"] = [{"alder": draw(st.integers(0, 17))} for _ in range(draw(st.integers(0, 3)))]
    assessed = POLICIES["nasjonal"].model.schema.fields["skjønn"].type.fields
    reasons = {}
    for key in ASSESSED:
        state = draw(st.sampled_from(["som i eksempelet"] * 3 + ["mangler", "med begrunnelse"]))
        if state == "mangler":
            s["skjønn"].pop(key, None)
        elif state == "med begrunnelse" and key in s["skjønn"] and assessed[key].provided_by == "saksbehandler":
            reasons[key] = f"Vurdert ut fra saken ({key})."
    if reasons:
        s["skjønn"]["begrunnelse"] = reasons
    return s


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(POLICIES)), soknader(), st.booleans(), st.booleans())
def test_random_decisions_round_trip_through_their_records(name, soknad, explain, letter):
    policy = POLICIES[name]
    try:
        decision = policy.evaluate(soknad, explain=explain)
    except boligregler.SoknadError:
        return  # e.g. a scheme this kommune does not offer
    assert decision.utfall in OUTCOMES
    assert_round_trips(decision, letter)


def test_a_letter_is_built_when_a_yes_no_fact_the_search_could_change_is_absent():
    """Found by the property above: the search for what would change a refusal flipped an absent fact."""
    soknad = copy.deepcopy(FAMILY)
    soknad.update({"søknadsdato": "2024-03-01", "egenkapital": 0})
    soknad["husstand"]["barn"] = [{"alder": 0}]
    soknad["inntekter"][0]["netto_per_måned"] = "20000.00"
    soknad["bolig"]["kjøpesum"] = 500000
    for key in ("varig_lav_inntekt", "boligen_egnet_og_nøktern"):
        del soknad["skjønn"][key]
    decision = POLICIES["baerum"].evaluate(soknad)
    assert decision.utfall in OUTCOMES and decision.begrunnelse
    assert_round_trips(decision, True)


def test_decisions_pickle_with_letter_and_record(drammen):
    decision = drammen.evaluate(copy.deepcopy(FAMILY))
    again = pickle.loads(pickle.dumps(decision))
    assert again.to_dict() == decision.to_dict() and again.to_dict(letter=False) == decision.to_dict(letter=False)
    assert again == decision and again.values == decision.values


def test_one_policy_shared_by_threads_gives_the_sequential_decisions():
    policy = load_policy("skien")  # fresh: programs and validator are compiled under the threads
    soknader = []
    for i in range(24):
        s = copy.deepcopy(FAMILY)
        s["inntekter"][0]["netto_per_måned"] = 30000 + 1500 * i
        s["ordning"] = "startlån"
        soknader.append(s)
    results: dict[int, dict] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(worker: int) -> None:
        try:
            start.wait()
            for i in range(worker, len(soknader), 8):
                results[i] = policy.evaluate(copy.deepcopy(soknader[i])).to_dict()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    sequential = load_policy("skien")
    assert [results[i] for i in range(len(soknader))] == [sequential.evaluate(copy.deepcopy(s)).to_dict()
                                                          for s in soknader]


def test_a_record_a_database_reserialised_still_verifies(drammen):
    text = json.dumps(drammen.evaluate(copy.deepcopy(FAMILY)).to_dict(), ensure_ascii=True, sort_keys=True)
    replay = verify(text, copy.deepcopy(FAMILY))
    assert replay.identical and not replay.same_bytes
    assert verify(json.loads(text), copy.deepcopy(FAMILY), drammen).identical  # a parsed record too


def test_explain_false_and_letterless_records_replay(drammen):
    for decision, letter in ((drammen.evaluate(copy.deepcopy(FAMILY), explain=False), True),
                             (drammen.evaluate(copy.deepcopy(FAMILY)), False)):
        record = decision.to_dict(letter=letter)
        assert "sporbarhet" in record
        assert verify(json.dumps(record, ensure_ascii=False), copy.deepcopy(FAMILY)).identical
        record["beløp"]["startlån"] = "1"
        assert not verify(json.dumps(record, ensure_ascii=False), copy.deepcopy(FAMILY)).identical


def test_the_record_says_what_it_contains_and_replay_follows_it(drammen):
    kinds = {(True, True): drammen.evaluate(copy.deepcopy(FAMILY)).to_dict(),
             (True, False): drammen.evaluate(copy.deepcopy(FAMILY)).to_dict(letter=False),
             (False, True): drammen.evaluate(copy.deepcopy(FAMILY), explain=False).to_dict(),
             (False, False): drammen.evaluate(copy.deepcopy(FAMILY), explain=False).to_dict(letter=False)}
    for (explained, letter), record in kinds.items():
        trace = record["sporbarhet"]
        assert trace["format"] == 2
        assert trace["innhold"] == {"forklaringer": explained, "begrunnelse": letter}
        assert ("begrunnelse" in record) is letter
        assert verify(record, copy.deepcopy(FAMILY), drammen).identical
    # the record is believed, not guessed from empty texts: a record that says it has explanations
    # but whose texts were emptied does not replay
    emptied = copy.deepcopy(kinds[(True, False)])
    for c in emptied["vilkår"]:
        c["forklaring"] = ""
    replay = verify(emptied, copy.deepcopy(FAMILY), drammen)
    assert not replay.identical and {d.path for d in replay.differences} >= {"vilkår[0].forklaring"}
    with pytest.raises(boligregler.BoligreglerError) as err:
        verify({**kinds[(True, True)], "sporbarhet": {**kinds[(True, True)]["sporbarhet"], "innhold": "alt"}},
               copy.deepcopy(FAMILY), drammen)
    assert err.value.code == "ugyldig_sporbarhet"


def test_format_1_records_still_replay(drammen):
    """Records written before `format` and `innhold`: what they contain is read from the record."""
    for explain, letter in ((True, True), (True, False), (False, False)):
        record = drammen.evaluate(copy.deepcopy(FAMILY), explain=explain).to_dict(letter=letter)
        old = {**record, "sporbarhet": {k: v for k, v in record["sporbarhet"].items() if k not in ("format", "innhold")},
               "vilkår": [{k: v for k, v in c.items() if k != "lenke"} for c in record["vilkår"]]}
        assert any("lenke" in c for c in record["vilkår"])
        assert verify(old, copy.deepcopy(FAMILY), drammen).identical, (explain, letter)
        old["beløp"]["startlån"] = "1"
        assert not verify(old, copy.deepcopy(FAMILY), drammen).identical


def test_batch_lines_replay(tmp_path, capsys):
    lines = []
    for i in range(3):
        s = copy.deepcopy(FAMILY)
        s["egenkapital"] = 50000 + i
        s["referanse"] = f"sak-{i}"
        lines.append(json.dumps(s, ensure_ascii=False))
    soknader = tmp_path / "s.jsonl"
    soknader.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "v.jsonl"
    assert main(["vurder", "drammen", str(soknader), "--ut", str(out)]) == 0
    assert all("sporbarhet" in json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    capsys.readouterr()
    assert main(["etterprøv", str(out), str(soknader)]) == 0
    assert "3 gir det samme vedtaket, 0 avviker" in capsys.readouterr().out
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert verify(first, load_json(lines[0])).identical  # one line on its own, with its referanse
    changed = tmp_path / "s2.jsonl"
    changed.write_text("\n".join([lines[0], lines[2], lines[1]]) + "\n", encoding="utf-8")
    assert main(["etterprøv", str(out), str(changed), "--format", "json"]) == 1
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["linje"] for r in reports] == [2, 3]


def test_evaluation_does_not_import_explain():
    for path in (SRC / "evaluation").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        climbing = [m for m in imported if m.startswith(("boligregler.explain", "boligregler.api",
                                                          "boligregler.rendering", "boligregler.server"))]
        assert not climbing, (path.name, climbing)
    replay = ast.parse((SRC / "explain" / "replay.py").read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(replay) if isinstance(n, ast.ImportFrom) and n.module == "boligregler.api"]


def test_typed_top_level_exports():
    assert (SRC / "py.typed").is_file()
    import typing
    hints = typing.get_type_hints(boligregler.load_policy_text)
    assert hints["return"] is boligregler.Policy and hints["text"] is str
    assert set(boligregler.__all__) >= {"load_policy_text", "verify", "Decision", "Problem", "UsageError"}
