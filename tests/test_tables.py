"""Table lookups: the checker proves every key has a row (T007), and rows may be open-ended («3 og over»)."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest

from boligregler.api import load_policy
from boligregler.diagnostics import PolicyError
from boligregler.money import load_json
from boligregler.syntax.printer import format_policy

ROOT = Path(__file__).resolve().parents[1]
HEADER = '''regelverk tabelltest bygger på nasjonal {
    navn: "T"
    kommune: "T kommune"
    vedtatt: 2024-01-01
    kilde: "k"
    klageinstans: "klagenemnda"
}

tabell barnetillegg: kr/mnd etter antall {
    fra 2024-01-01 kilde "k" {
        0: 0 kr/mnd
        1 til 2: 500 kr/mnd
        ROW
    }
}

tabell aldersfradrag: kr/mnd etter alder {
    fra 2024-01-01 kilde "k" {
        0 til 5: 100 kr/mnd
        AGES
    }
}

overstyr beregn livsopphold: kr/mnd = livsoppholdsnorm + barnetillegg[KEY] + sum(aldersfradrag[b.alder] for hver b i husstand.barn)
'''
SOKNAD = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))


def policy_text(row="", ages="6 til 17: 0 kr/mnd", key="antall_barn"):
    return (HEADER.replace("        ROW\n", f"        {row}\n" if row else "")
            .replace("        AGES\n", f"        {ages}\n" if ages else "").replace("KEY", key))


def errors(tmp_path, text):
    path = tmp_path / "tabelltest.pol"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        load_policy(path)
    return [(d.code, d.message, d.notes) for d in e.value.diagnostics]


def test_a_count_has_no_upper_bound_so_the_table_needs_an_open_row_or_a_cap(tmp_path):
    found = errors(tmp_path, policy_text())
    assert [c for c, _, _ in found] == ["T007"]
    code, message, notes = found[0]
    assert message == ("«antall_barn» har ingen øvre grense i søknaden, men tabellen «barnetillegg» fra 2024-01-01 "
                       "har ingen rad over 2")
    assert notes == ("legg til en rad «3 og over», eller begrens nøkkelen: barnetillegg[min(antall_barn, 2)]",)


def test_a_soknad_range_wider_than_the_rows_is_reported(tmp_path):
    found = errors(tmp_path, policy_text(row="3 og over: 800 kr/mnd", ages=""))
    assert [(c, m) for c, m, _ in found] == [
        ("T007", "tabellen «aldersfradrag» fra 2024-01-01 har ingen rad for 6, som «b.alder» kan være")]
    assert "for 6 til 17" in found[0][2][0]


@pytest.mark.parametrize("backend", ["compiled", "interpreter"])
@pytest.mark.parametrize("variant", [{"row": "3 og over: 800 kr/mnd"}, {"key": "min(antall_barn, 2)"}])
def test_an_open_row_or_a_cap_proves_the_key_and_decides_large_households(tmp_path, backend, variant):
    path = tmp_path / "tabelltest.pol"
    text = policy_text(**variant)
    path.write_text(text, encoding="utf-8")
    assert format_policy(text) == text
    policy = load_policy(path, backend=backend)
    s = copy.deepcopy(SOKNAD)
    s["husstand"]["barn"] = [{"alder": a} for a in (1, 3, 7, 9, 12)]
    decision = policy.evaluate(s)
    want = Decimal(800) if "row" in variant else Decimal(500)
    base = load_policy("nasjonal").evaluate(s).values["livsoppholdsnorm"]
    assert decision.values["livsopphold"] == base + want + 2 * 100


def test_open_rows_are_shown_in_words_on_the_site():
    from boligregler.rendering.policy_markdown import _table_key
    assert _table_key((Decimal(3), None)) == "3 og over"
