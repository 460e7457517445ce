"""Gaps new policy authors hit (issue 13, item 6), each pinned by a test."""

from __future__ import annotations

import pytest

from boligregler.diagnostics import PolicyError
from boligregler.model.checker import check
from boligregler.model.loader import load_chain
from boligregler.syntax.parser import parse_policy

HEADER = '''regelverk x bygger på nasjonal {
    navn: "X"
    kommune: "X kommune"
    vedtatt: 2024-01-01
    kilde: "k"
    klageinstans: "klagenemnda"
}
'''


def syntax_errors(text: str) -> list[tuple[str, int, str]]:
    with pytest.raises(PolicyError) as e:
        parse_policy(text, "x.pol")
    return [(d.code, d.span.line, d.message) for d in e.value.diagnostics]


def test_a_block_without_a_name_is_not_reported_after_another_syntax_error():
    text = HEADER + '''
parameter a: kr {
    5 kr fra 2024-01-01 kilde "k"
}

søknad {
    alder: heltall
}

utfall {
    ellers innvilget
}

beregn b: kr = 1 kr +
'''
    assert syntax_errors(text) == [("S003", 21, "mangler verdi etter «+»")]


def test_every_syntax_error_is_still_found_in_blocks_without_a_name():
    text = HEADER + '''
søknad {
    alder: heltall fra
}

beregn b: kr = 1 kr +
'''
    assert [(code, line) for code, line, _ in syntax_errors(text)] == [("S001", 11), ("S003", 13)]


def diagnostics(tmp_path, body: str):
    path = tmp_path / "x.pol"
    path.write_text(HEADER + body, encoding="utf-8")
    return check(load_chain(path)).diagnostics


def criterion_explained(tmp_path, explanation: str):
    """The diagnostics of a criterion whose `oppfylt` explanation (on line 15) is `explanation`."""
    return diagnostics(tmp_path, f'''
vilkår lokal {{
    tittel: "T"
    art: hovedregel
    hjemmel: "Retningslinjer"
    oppfylt når antall_barn > 0
    forklaring {{
        oppfylt: "{explanation}"
    }}
}}
''')


def test_a_hole_inside_a_text_inside_a_hole_is_a_located_error(tmp_path):
    found = criterion_explained(tmp_path, 'Barn: {hvis antall_barn > 1 så \\"mange: {antall_barn}\\" ellers \\"ett\\"}.')
    errors = [d for d in found if d.code == "S011"]
    assert len(errors) == 1 and errors[0].span.line == 15
    assert "kan ikke selv ha {…}-hull" in errors[0].message


def test_a_brace_inside_a_quoted_text_in_a_hole_does_not_end_the_hole(tmp_path):
    found = criterion_explained(tmp_path, 'Barn: {hvis antall_barn > 1 så \\"flere (}\\" ellers \\"ett\\"}, {{ og }}.')
    assert not [d for d in found if d.severity.name == "ERROR"], found


def test_json_amounts_may_have_ore_but_never_more_than_two_decimals():
    import copy
    from pathlib import Path

    from boligregler.api import load_policy
    from boligregler.evaluation.soknad import SoknadError
    from boligregler.money import load_json

    root = Path(__file__).resolve().parents[1]
    soknad = load_json((root / "examples" / "familie.json").read_text(encoding="utf-8"))
    policy = load_policy("drammen")
    as_number = copy.deepcopy(soknad)
    as_number["inntekter"][0]["netto_per_måned"] = load_json("48500.50")
    as_text = copy.deepcopy(soknad)
    as_text["inntekter"][0]["netto_per_måned"] = "48500.50"
    assert policy.evaluate(as_number).to_dict(letter=False) == policy.evaluate(as_text).to_dict(letter=False)
    too_fine = copy.deepcopy(soknad)
    too_fine["inntekter"][0]["netto_per_måned"] = load_json("48500.505")
    with pytest.raises(SoknadError) as e:
        policy.evaluate(too_fine)
    assert str(e.value.problems[0]).startswith("inntekter[0].netto_per_måned: må være et beløp med høyst to desimaler")


def test_overstyr_begrunnelse_can_add_a_paragraph_and_warns_when_base_text_is_dropped(tmp_path):
    from boligregler.api import load_policy

    found = diagnostics(tmp_path, '''
overstyr begrunnelse {
    tillegg grunnlag når antall_barn > 0: "Kommunen har lagt vekt på barnas situasjon."
    klage: "Du kan klage."
}
''')
    assert [d.code for d in found if d.code == "B003"] == ["B003"]
    warning = next(d for d in found if d.code == "B003")
    assert "«klage» erstatter alle avsnitt" in warning.message and "nasjonal" in warning.message
    letter = load_policy(tmp_path / "x.pol").model.letter
    grunnlag = [s.origin.policy for s in letter if s.name == "grunnlag"]
    assert grunnlag[-1] == "x" and "nasjonal" in grunnlag  # added after, nothing replaced
    assert [s.origin.policy for s in letter if s.name == "klage"] == ["x"]


def test_overstyr_begrunnelse_may_split_a_base_paragraph_in_two_cases(tmp_path):
    """`P` and `ikke P` (or the opposite comparison) together replace one of the base's paragraphs; one alone does not."""
    def klage(children_case: str) -> str:
        return f'''
overstyr begrunnelse {{
    klage når antall_barn > 0: "Du kan klage, også på vegne av barna. Send klagen til {{kommune}}, {{postadresse}}."
    klage når {children_case}: "Du kan klage. Send klagen til {{kommune}}, {{postadresse}}."
    klage: "Hvis kommunen ikke endrer vedtaket, avgjør {{klageinstans}}, {{klageinstans_adresse}}, klagen."
    klage: "Du har rett til å se dokumentene i saken. Kontakt oss: {{kontakt}}."
}}
'''
    assert "B003" not in [d.code for d in diagnostics(tmp_path, klage("antall_barn <= 0"))]
    assert "B003" not in [d.code for d in diagnostics(tmp_path, klage("ikke antall_barn > 0"))]
    assert [d.code for d in diagnostics(tmp_path, klage("antall_barn < 0")) if d.code == "B003"] == ["B003"]
