"""A bare name is the shipped policy, a path is a path, and a replay never reads a path from the record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from boligregler.api import load_policy, verify
from boligregler.cli import main
from boligregler.diagnostics import BoligreglerError
from boligregler.model.loader import shipped_policies_dir

ROOT = Path(__file__).resolve().parents[1]
FAMILIE = ROOT / "examples" / "familie.json"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_file_in_the_working_folder_does_not_shadow_a_shipped_policy(workdir, capsys):
    shutil.copy(shipped_policies_dir() / "nasjonal.pol", workdir / "drammen")
    assert main(["vurder", "drammen", str(FAMILIE), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["policy"]["id"] == "drammen"
    assert "bruker det medfølgende regelverket «drammen»" in err and "./drammen" in err
    assert main(["vurder", "./drammen", str(FAMILIE)]) == 0  # the path means the file
    out, err = capsys.readouterr()
    assert "(nasjonal)" in out.splitlines()[1] and "merk" not in err


def test_the_policy_used_is_the_one_named(workdir, capsys):
    shutil.copy(shipped_policies_dir() / "nasjonal.pol", workdir / "drammen")
    assert load_policy("drammen").id == "drammen"
    assert load_policy("./drammen").id == "nasjonal"
    assert load_policy(Path("drammen")).id == "nasjonal"


def test_a_folder_in_the_working_folder_does_not_break_a_shipped_name(workdir, capsys):
    (workdir / "drammen").mkdir()
    assert main(["vurder", "drammen", str(FAMILIE)]) == 0
    assert "ikke mappen ./drammen" in capsys.readouterr().err


def test_a_file_named_like_a_policy_is_reachable_by_its_path(workdir):
    shutil.copy(shipped_policies_dir() / "nasjonal.pol", workdir / "egen.pol")
    assert load_policy("egen.pol").id == "nasjonal"


@pytest.mark.parametrize("recorded_id", ["../../../../../../etc/passwd", "/etc/passwd", "nasjonal.pol",
                                         "ukjent", "", "a\nb", 5])
def test_a_replay_never_reads_a_path_the_record_names(tmp_path, capsys, recorded_id):
    policy = load_policy("nasjonal")
    soknad = json.loads(FAMILIE.read_text(encoding="utf-8"))
    record = policy.evaluate(soknad).to_dict()
    record["sporbarhet"]["regelverk"]["id"] = recorded_id
    text = json.dumps(record, ensure_ascii=False, default=str)
    with pytest.raises(BoligreglerError, match="medfølgende regelverk"):
        verify(text, soknad)
    vedtak = tmp_path / "vedtak.json"
    vedtak.write_text(text, encoding="utf-8")
    assert main(["etterprøv", str(vedtak), str(FAMILIE)]) == 1
    out, err = capsys.readouterr()
    assert "root:" not in out + err and "medfølgende regelverk" in err and "Traceback" not in err


def test_a_byte_order_mark_at_the_start_of_a_policy_is_accepted(tmp_path):
    text = (shipped_policies_dir() / "drammen.pol").read_text(encoding="utf-8")
    path = tmp_path / "drammen.pol"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_policy(path).id == "drammen"
    from boligregler.api import load_policy_text
    assert load_policy_text("\ufeff" + text, name="drammen.pol").id == "drammen"


def test_an_invisible_character_inside_a_policy_is_named(tmp_path):
    from boligregler.diagnostics import PolicyError
    text = (shipped_policies_dir() / "drammen.pol").read_text(encoding="utf-8").replace("\nregelverk", "\n\ufeffregelverk")
    path = tmp_path / "drammen.pol"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        load_policy(path)
    assert "U+FEFF (byte-rekkefølgemerke (BOM) eller usynlig hardt mellomrom)" in str(e.value)
