"""Slow and odd søknader: work stays linear and bounded by the documented limits; messages can be printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from boligregler.api import load_policy
from boligregler.evaluation.soknad import MAX_UNKNOWN_REPORTED, SoknadError
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
