"""Slow and odd søknader and policies: work stays linear and bounded by the documented limits; messages can be
printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from boligregler.api import load_policy, load_policy_text
from boligregler.diagnostics import PolicyError
from boligregler.evaluation.soknad import MAX_UNKNOWN_REPORTED, SoknadError
from boligregler.limits import MAX_LINE_CHARS, MAX_POLICY_CHARS
from boligregler.money import load_json

ROOT = Path(__file__).resolve().parents[1]
FAMILIE = (ROOT / "examples" / "familie.json").read_text(encoding="utf-8")


def test_200000_unknown_keys_are_counted_not_each_suggested():
    soknad = load_json(FAMILIE)
    soknad.update({f"ukjent{i}": i for i in range(200_000)})
    with pytest.raises(SoknadError) as e:
        load_policy("drammen").evaluate(soknad)
    problems = e.value.problems
    assert len(problems) == MAX_UNKNOWN_REPORTED + 1
    assert problems[-1].message == f"og {200_000 - MAX_UNKNOWN_REPORTED} ukjente felt til i dette objektet"


@pytest.mark.parametrize("field", ["formål", "ordning"])
def test_a_lone_surrogate_from_the_python_api_gives_a_printable_message(field):
    soknad = load_json(FAMILIE)
    soknad[field] = "\ud800"
    with pytest.raises(SoknadError) as e:
        load_policy("drammen").evaluate(soknad)
    assert "\\ud800" in str(e.value)
    str(e.value).encode("utf-8")


def test_an_unknown_key_with_a_lone_surrogate_is_printable():
    soknad = load_json(FAMILIE)
    soknad["x\udc00"] = 1
    with pytest.raises(SoknadError) as e:
        load_policy("drammen").evaluate(soknad)
    str(e.value).encode("utf-8")



POLICY_HEADER = ('regelverk stor bygger på nasjonal { navn: "x" kommune: "x" vedtatt: 2024-01-01 kilde: "k" '
                 'klageinstans: "k" }\n')


def test_a_07_mb_policy_with_a_100000_term_line_is_refused_at_the_size_limit():
    text = POLICY_HEADER + "beregn x: kr = " + " + ".join(["1 kr"] * 100_000) + "\n"
    with pytest.raises(PolicyError) as e:
        load_policy_text(text, name="stor.pol")
    (d,) = e.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("S012", 2, MAX_POLICY_CHARS - len(POLICY_HEADER) + 1)
    assert "høyst 500\u00a0000 tegn" in d.message
    assert "stor.pol:2:" in str(e.value)


def test_every_line_over_the_limit_is_reported_at_its_first_character_too_many():
    long_text = 'beregn x: kr = 1 kr\n## ' + "æ" * (MAX_LINE_CHARS - 3) + "\n"  # exactly the limit
    text = POLICY_HEADER + long_text + "## " + "ø" * MAX_LINE_CHARS + "\n" + "x" * (MAX_LINE_CHARS + 5)
    with pytest.raises(PolicyError) as e:
        load_policy_text(text, name="lang.pol")
    assert [(d.code, d.span.line, d.span.column) for d in e.value.diagnostics] == [
        ("S012", 4, MAX_LINE_CHARS + 1), ("S012", 5, MAX_LINE_CHARS + 1)]
    assert "en linje i et regelverk kan ha høyst 10\u00a0000 tegn" in e.value.diagnostics[0].message


def test_a_line_and_a_file_at_the_limits_are_read():
    text = POLICY_HEADER + "## " + "æ" * (MAX_LINE_CHARS - 3) + "\nberegn x: kr = 1 kr\n"
    text += "\n" * (MAX_POLICY_CHARS - len(text))
    assert load_policy_text(text, name="grense.pol").evaluate(load_json(FAMILIE)).utfall
    with pytest.raises(PolicyError) as e:
        load_policy_text(text + "\n", name="grense.pol")
    assert [d.code for d in e.value.diagnostics] == ["S012"]
