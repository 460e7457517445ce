"""The replay record (`sporbarhet`) and `boligregler etterprøv`: byte for byte, or what differs."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from boligregler import __version__, load_policy
from boligregler.cli import main
from boligregler.api import verify
from boligregler.evaluation.soknad import SoknadError
from boligregler.explain.replay import canonical_json, decision_json
from boligregler.model.loader import shipped_policies_dir
from boligregler.money import load_json

ROOT = Path(__file__).resolve().parents[1]
FAMILY = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def drammen():
    return load_policy("drammen")


def test_record_names_policy_files_version_and_soknad(drammen):
    decision = drammen.evaluate(copy.deepcopy(FAMILY))
    trace = decision.to_dict()["sporbarhet"]
    assert trace["bibliotek"] == {"navn": "boligregler", "versjon": __version__}
    assert trace["regelverk"]["id"] == "drammen" and trace["regelverk"]["sha256"] == decision.policy["sha256"]
    files = trace["regelverk"]["filer"]
    assert [f["id"] for f in files] == ["nasjonal", "drammen"]
    text = (shipped_policies_dir() / "drammen.pol").read_text(encoding="utf-8")
    assert files[1] == {"id": "drammen", "fil": "drammen.pol", "sha256": hashlib.sha256(text.encode()).hexdigest()}
    facts = drammen.validate(copy.deepcopy(FAMILY))
    assessed = {k: v for k, v in facts.items() if k != "sak"}  # the case metadata is not part of the hash
    assert trace["søknad_sha256"] == hashlib.sha256(canonical_json(assessed).encode()).hexdigest()


def test_case_metadata_is_validated_never_assessed_and_not_hashed(drammen):
    plain = drammen.evaluate(copy.deepcopy(FAMILY))
    with_case = copy.deepcopy(FAMILY)
    with_case["sak"] = {"saksnummer": "2026/1234", "dato": "2026-03-15", "søker_navn": "Kari Nordmann",
                        "søker_adresse": "Storgata 1\n3015 Drammen", "saksbehandler": "Ola Hansen"}
    decision = drammen.evaluate(with_case)
    assert decision.sporbarhet["søknad_sha256"] == plain.sporbarhet["søknad_sha256"]
    assert decision.to_dict(letter=False) | {"sporbarhet": None} == plain.to_dict(letter=False) | {"sporbarhet": None}
    assert "2026/1234" in decision.begrunnelse and "Kari Nordmann" in decision.begrunnelse
    bad = copy.deepcopy(FAMILY)
    bad["sak"] = {"dato": "15.03.2026", "saksnr": "1"}
    with pytest.raises(SoknadError) as e:
        drammen.validate(bad)
    assert {p.path for p in e.value.problems} == {"sak.dato", "sak.saksnr"}


def test_record_lists_each_parameter_read_with_date_and_source(drammen):
    trace = drammen.evaluate(copy.deepcopy(FAMILY)).sporbarhet
    params = {p["navn"]: p for p in trace["parametre"]}
    assert params["kalkulasjonsrente"] == {
        "navn": "kalkulasjonsrente", "verdi": "5", "enhet": "%", "gyldig_fra": "2015-01-01",
        "kilde": "Drammen kommune, «Leie til eie» (seed), virkemidler: «Kalkulasjonsrente: 5%»",
        "regelverk": "drammen"}
    assert params["livsopphold_par"]["verdi"] == "13100" and params["livsopphold_par"]["gyldig_fra"] == "2024-01-01"
    assert "styringsrente" not in params, "Drammen's fixed rate means the policy rate is never read"
    assert [t["navn"] for t in trace["tabeller"]] == ["livsopphold_barn"]



def test_each_record_lists_the_version_in_force_on_its_own_date(drammen):
    """Records of søknader on either side of a new version, in turn (the entries are shared between records)."""
    for date, fee, since in [("2024-06-01", "500", "2024-01-01"), ("2025-06-01", "545", "2025-01-01"),
                             ("2024-12-31", "500", "2024-01-01"), ("2025-01-01", "545", "2025-01-01")] * 2:
        decision = drammen.evaluate({**copy.deepcopy(FAMILY), "søknadsdato": date})
        for trace in (decision.sporbarhet, decision.to_dict(letter=False)["sporbarhet"]):
            entry = next(p for p in trace["parametre"] if p["navn"] == "tinglysingsgebyr")
            assert (entry["verdi"], entry["gyldig_fra"]) == (fee, since), date

def test_the_soknad_hash_ignores_key_order_and_written_defaults(drammen):
    a = copy.deepcopy(FAMILY)
    b = {k: a[k] for k in reversed(list(a)) if k != "livsopphold_per_måned"}  # null is its default
    c = copy.deepcopy(FAMILY)
    c["egenkapital"] = 50001
    hashes = [drammen.evaluate(x).sporbarhet["søknad_sha256"] for x in (a, b, c)]
    assert hashes[0] == hashes[1] != hashes[2]


def test_the_policy_hash_does_not_depend_on_where_the_files_are(tmp_path):
    for name in ("nasjonal.pol", "drammen.pol"):
        shutil.copy(shipped_policies_dir() / name, tmp_path / name)
    assert load_policy(tmp_path / "drammen.pol").sha256 == load_policy("drammen").sha256


def test_a_decision_reproduces_byte_for_byte(drammen):
    text = decision_json(drammen.evaluate(copy.deepcopy(FAMILY)))
    replay = verify(text, copy.deepcopy(FAMILY))
    assert replay.identical and replay.same_content and replay.same_bytes and replay.notes == ()
    assert replay.text == text


def test_a_changed_record_shows_what_differs(drammen):
    recorded = load_json(decision_json(drammen.evaluate(copy.deepcopy(FAMILY))))
    recorded["beløp"]["maks_lån"] = "4459000"
    replay = verify(json.dumps(recorded, ensure_ascii=False, indent=2) + "\n", copy.deepcopy(FAMILY))
    assert not replay.identical and not replay.same_content
    assert [(d.path, d.recorded, d.now) for d in replay.differences] == [("beløp.maks_lån", "4459000", "4458000")]


def test_reformatted_json_has_the_same_content():
    text = decision_json(load_policy("nasjonal").evaluate(copy.deepcopy(FAMILY)))
    replay = verify(json.dumps(json.loads(text), ensure_ascii=False), copy.deepcopy(FAMILY))
    assert replay.identical and replay.same_content and not replay.same_bytes
    assert "formatert annerledes" in replay.notes[-1]


def test_a_changed_policy_file_and_soknad_are_named(tmp_path):
    shutil.copy(shipped_policies_dir() / "nasjonal.pol", tmp_path / "nasjonal.pol")
    drammen_text = (shipped_policies_dir() / "drammen.pol").read_text(encoding="utf-8")
    text = decision_json(load_policy("drammen").evaluate(copy.deepcopy(FAMILY)))
    (tmp_path / "drammen.pol").write_text(drammen_text.replace("    5 % fra 2015-01-01", "    5.5 % fra 2015-01-01"),
                                          encoding="utf-8")
    soknad = copy.deepcopy(FAMILY)
    soknad["egenkapital"] = 60000
    replay = verify(text, soknad, tmp_path / "drammen.pol")
    assert not replay.identical
    assert replay.notes[0].startswith("søknaden er ikke den samme")
    assert "regelverket «drammen» (drammen.pol) er endret siden vedtaket ble fattet" in replay.notes
    paths = {d.path for d in replay.differences}
    assert {"rente", "beløp.maks_lån", "begrunnelse", "sporbarhet.søknad_sha256"} <= paths


def test_cli_etterprov(tmp_path, capsys):
    soknad = ROOT / "examples" / "familie.json"
    assert main(["vurder", "skien", str(soknad), "--format", "json"]) == 0
    vedtak = tmp_path / "vedtak.json"
    vedtak.write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["etterprøv", str(vedtak), str(soknad)]) == 0
    assert "byte for byte" in capsys.readouterr().out
    vedtak.write_text(vedtak.read_text(encoding="utf-8").replace('"utfall": "innvilget"', '"utfall": "avslag"'),
                      encoding="utf-8")
    assert main(["etterprov", str(vedtak), str(soknad), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["forskjeller"] == [{"sti": "utfall", "vedtaket": "avslag", "ny_vurdering": "innvilget"}]


def test_cli_etterprov_without_a_record(tmp_path, capsys):
    vedtak = tmp_path / "vedtak.json"
    vedtak.write_text('{"utfall": "innvilget"}', encoding="utf-8")
    assert main(["etterprøv", str(vedtak), str(ROOT / "examples" / "familie.json")]) == 1
    assert "mangler «sporbarhet»" in capsys.readouterr().err
    vedtak.write_text('{"utfall": ', encoding="utf-8")
    assert main(["etterprøv", str(vedtak), str(ROOT / "examples" / "familie.json")]) == 1
    assert f"{vedtak}:1:" in capsys.readouterr().err
