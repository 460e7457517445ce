"""Test ergonomics: choosing examples, JSON and JUnit output, running an example's søknad, watch mode."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from boligregler.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_choose_examples_by_name_or_pattern(capsys):
    assert main(["test", "drammen", "-e", "tilskudd_*", "-v"]) == 0
    out = capsys.readouterr().out
    assert "✓ drammen: tilskudd_innenfor_20_prosent" in out and "✓ drammen: tilskudd_over_20_prosent" in out
    assert "barnefamilie" not in out and "2 bestått, 0 feilet" in out


def test_nothing_ran_is_a_failure(capsys):
    assert main(["test", "drammen", "--eksempel", "finnes_ikke"]) == 1
    assert "ingen eksempler som passer finnes_ikke ble kjørt" in capsys.readouterr().err


def test_json_and_junit_output(tmp_path, capsys):
    bad = tmp_path / "feil.pol"
    text = (ROOT / "tests" / "fixtures" / "sammenlign" / "a.pol").read_text(encoding="utf-8")
    bad.write_text(text.replace('forventet: {utfall: "innvilget"}', 'forventet: {utfall: "avslag"}'),
                   encoding="utf-8")
    assert main(["test", "skien", str(bad), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["feilet"] == 1 and data["bestått"] > 5
    failing = [e for r in data["regelverk"] for e in r["eksempler"] if not e["bestått"]]
    assert failing[0]["avvik"] == ["utfall: forventet avslag, fikk innvilget"]
    assert main(["test", "skien", str(bad), "--format", "junit"]) == 1
    root = ET.fromstring(capsys.readouterr().out)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["skien", failing[0]["sted"] and data["regelverk"][1]["regelverk"]]
    assert suites[1].get("failures") == "1"
    failure = suites[1].find("testcase/failure")
    assert failure.get("message") == "utfall: forventet avslag, fikk innvilget"


def test_vurder_and_forklar_run_an_example(capsys):
    assert main(["vurder", "drammen", "--eksempel", "ingen_bankavslag", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["utfall"] == "avslag"
    assert main(["forklar", "drammen", "-e", "ingen_bankavslag"]) == 0
    assert "avslått" in capsys.readouterr().out
    assert main(["vurder", "drammen", "-e", "ingen_bankavslg"]) == 1
    assert "mente du «ingen_bankavslag»?" in capsys.readouterr().err
    assert main(["vurder", "drammen"]) == 1
    assert "oppgi enten en SØKNAD (en fil, eller - for standard inn) eller --eksempel NAVN" in capsys.readouterr().err


def test_eksempel_prints_the_soknad_as_json_that_vurder_accepts(tmp_path, capsys):
    assert main(["eksempel", "drammen", "barnefamilie_innvilget"]) == 0
    soknad = json.loads(capsys.readouterr().out)
    assert soknad["bolig"]["kjøpesum"] == 2900000 and soknad["søknadsdato"] == "2026-03-01"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(soknad, ensure_ascii=False), encoding="utf-8")
    assert main(["vurder", "drammen", str(path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["beløp"]["startlån"] == "2973590"
    assert main(["eksempel", "drammen"]) == 0
    assert "barnefamilie_innvilget\tBarnefamilie" in capsys.readouterr().out


def test_watch_mode_runs_again_when_the_policy_changes(tmp_path):
    policy = tmp_path / "a.pol"
    source = (ROOT / "tests" / "fixtures" / "sammenlign" / "a.pol").read_text(encoding="utf-8")
    policy.write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "boligregler", "sjekk", "--følg", str(policy)],
                            stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    seen = []

    def wait_for(text):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            seen.append(line)
            if text in line:
                return
        raise AssertionError("".join(seen))

    try:
        wait_for("Venter på endringer")
        policy.write_text(source.replace("regelverk testkommune_a", "regelverk testkommune_a\nparameter"),
                          encoding="utf-8")
        wait_for("feil[")
        wait_for("Venter på endringer")
    finally:
        proc.terminate()
        proc.wait(10)
