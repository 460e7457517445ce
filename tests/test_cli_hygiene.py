"""Command-line conventions: quiet broken pipes, --version, -o -, policies from standard input, NO_COLOR,
results on standard output, a test run that ran nothing fails, argparse left as it was found."""

from __future__ import annotations

import argparse
import errno
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from boligregler import __version__
from boligregler.api import load_policy
from boligregler.cli import main
from boligregler.commands import color_wanted
from boligregler.model.loader import shipped_policies_dir
from boligregler.money import load_json

ROOT = Path(__file__).resolve().parents[1]
FAMILIE = ROOT / "examples" / "familie.json"


def cli(*args: str, stdin: bytes | None = None):
    return subprocess.Popen([sys.executable, "-m", "boligregler", *args], stdin=subprocess.PIPE if stdin else None,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)


@pytest.mark.parametrize("args", [("vurder", "nasjonal", str(FAMILIE)), ("sammenlign", "nasjonal", "drammen")])
def test_a_reader_that_stops_early_gives_no_traceback(args):
    proc = cli(*args)
    proc.stdout.readline()
    proc.stdout.close()  # like `… | head -1`
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err
    assert proc.returncode in (0, 141)


def test_a_batch_reader_that_stops_early_gives_no_traceback(tmp_path):
    line = json.dumps(json.loads(FAMILIE.read_text(encoding="utf-8")), ensure_ascii=False)
    batch = tmp_path / "s.jsonl"
    batch.write_text((line + "\n") * 300, encoding="utf-8")
    proc = cli("vurder", "nasjonal", str(batch))
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and proc.returncode == 141


@pytest.mark.parametrize("flag", ["--version", "--versjon"])
def test_version_flags(flag, capsys):
    with pytest.raises(SystemExit) as e:
        main([flag])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"boligregler {__version__}"


def test_help_is_norwegian_and_argparse_is_left_as_it_was(capsys):
    before = argparse._
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("bruk: ") and "vis versjonen og avslutt" in out and "show" not in out
    assert argparse._ is before and argparse._("usage: ") == "usage: "


@pytest.mark.parametrize("flag", ["-o", "--ut"])
def test_dash_means_standard_output(flag, capsys):
    assert main(["vurder", "nasjonal", str(FAMILIE), flag, "-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["utfall"] in ("innvilget", "avslag", "manuell_vurdering")
    assert not Path("-").exists()


def feed_stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_a_policy_can_be_read_from_standard_input(monkeypatch, capsys):
    feed_stdin(monkeypatch, (shipped_policies_dir() / "drammen.pol").read_bytes())
    assert main(["vurder", "-", str(FAMILIE), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["policy"]["id"] == "drammen"
    feed_stdin(monkeypatch, (shipped_policies_dir() / "drammen.pol").read_bytes())
    assert main(["sjekk", "-"]) == 0
    assert "<standard inn>:" in capsys.readouterr().err  # B004: the letterhead, where it is filled
    feed_stdin(monkeypatch, b'regelverk x {\n  navn: "x\n}\n')
    assert main(["sjekk", "-"]) == 1
    assert "<standard inn>:2" in capsys.readouterr().err


def test_policy_and_soknad_cannot_both_come_from_standard_input(capsys):
    assert main(["vurder", "-", "-"]) == 1
    assert "standard inn" in capsys.readouterr().err


def test_sjekk_reports_success_on_standard_output(capsys):
    assert main(["sjekk", str(shipped_policies_dir() / "nasjonal.pol")]) == 0
    out, err = capsys.readouterr()
    assert out == "Ingen feil funnet i 1 regelverk.\n" and err == ""


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("env, expected", [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False),
                                           ({"NO_COLOR": ""}, True)])
def test_no_color_and_dumb_terminals_get_no_colors(monkeypatch, env, expected):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert color_wanted("auto", FakeTerminal()) is expected
    assert color_wanted("alltid", io.StringIO()) is True and color_wanted("aldri", FakeTerminal()) is False


def test_test_fails_when_it_ran_nothing(tmp_path, capsys):
    path = tmp_path / "uten.pol"
    path.write_text('regelverk uten bygger på nasjonal {\n    navn: "Uten eksempler"\n    kommune: "K"\n'
                    '    vedtatt: 2024-01-01\n    kilde: "K"\n    klageinstans: "K"\n}\n', encoding="utf-8")
    assert main(["test", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "0 bestått, 0 feilet" in out and "ingen eksempler ble kjørt" in err


def test_an_unknown_criterion_is_a_clear_key_error():
    decision = load_policy("nasjonal").evaluate(load_json(FAMILIE.read_text(encoding="utf-8")))
    with pytest.raises(KeyError) as e:
        decision.criterion("nope")
    assert "vedtaket har ikke vilkåret «nope»" in str(e.value) and "betjeningsevne" in str(e.value)


def test_a_busy_port_is_a_message_not_a_traceback(monkeypatch, capsys):
    pytest.importorskip("mkdocs")
    from mkdocs.commands import serve

    def busy(*args, **kwargs):
        raise OSError(errno.EADDRINUSE, "Address already in use")
    monkeypatch.setattr(serve, "serve", busy)
    assert main(["docs", "--konfig", str(ROOT / "mkdocs.yml"), "serve", "--adresse", "127.0.0.1:8000"]) == 1
    assert "adressen 127.0.0.1:8000 er allerede i bruk; velg en annen med --adresse" in capsys.readouterr().err
