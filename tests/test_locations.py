"""Reported locations point at the offending token: a property over generated policies.

Each generated policy has exactly one error injected at a token whose offset is known, among texts with
escapes (`\\n`, `\\"`, `\\\\`, `\\t`, `{{`), line breaks in values, doc comments and non-ASCII letters; every
error reported must start at that token (file:line:col as `sjekk` prints it).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boligregler.api import load_policy_text
from boligregler.diagnostics import PolicyError, Severity, Span, render_text

EXAMPLES = int(os.environ.get("BOLIGREGLER_FUZZ_EXAMPLES", "40"))
HEADER = """regelverk plassering bygger på nasjonal {
    navn: "Plassering"
    kommune: "Testkommune"
    vedtatt: 2024-01-01
    kilde: "Testkilde"
    klageinstans: "Testklageinstans"
}
"""
# pieces of a text's source: plain letters (also outside the BMP) and every escape the language has
TEXT_PIECES = st.lists(st.sampled_from(["a", "Æ", "ø", "å", " ", "€", "\U0001d11e", "😀", "\\n", "\\\"", "\\\\",
                                        "\\t", "{{", "}}", "\\n\\n", "é", "Ω"]), max_size=12).map("".join)
# pieces of a text inside a hole's nested text (no `{`, quotes only escaped twice over is not needed)
INNER_PIECES = st.lists(st.sampled_from(["ja", "Ø", " ", "€", "😀", "\\\\n"]), max_size=5).map("".join)
DOC = st.lists(st.sampled_from(["## Første linje med æøå.", "## 😀 og \\\" i en kommentar", "##"]), max_size=3)


@st.composite
def policy_with_one_error(draw) -> tuple[str, str, int]:
    """(source, code, offset of the token the error must point at)."""
    kind = draw(st.sampled_from(["name_in_hole", "name_in_branch", "syntax_in_hole", "name_in_condition",
                                 "syntax_in_condition", "missing_operand_in_hole", "name_in_letter"]))
    before, after = draw(TEXT_PIECES), draw(TEXT_PIECES)
    inner = draw(INNER_PIECES)
    doc = "\n".join(draw(DOC))
    pad = draw(st.sampled_from(["", " ", "  "]))
    condition, text = "lånebehov > 0 kr", '"' + before + after + '"'
    if kind == "name_in_hole":
        code, text, token = "N001", f'"{before}{{{pad}ukjentnavn{pad}}}{after}"', "ukjentnavn"
    elif kind == "name_in_branch":
        code, token = "N001", "ukjentnavn"
        text = f'"{before}{{hvis lånebehov > 0 kr så \\"{inner}\\" ellers{pad} ukjentnavn}}{after}"'
    elif kind == "syntax_in_hole":
        code, token = "S001", ")"
        text = f'"{before}{{hvis lånebehov > 0 kr så \\"{inner}\\" ellers{pad} )}}{after}"'
    elif kind == "missing_operand_in_hole":
        code, token = "S003", "+"
        text = f'"{before}{{lånebehov{pad} + }}{after}"'
    elif kind == "name_in_letter":
        code, text, token = "N001", f'"{before}{{hvis sann så \\"{inner}\\" ellers ukjentnavn}}{after}"', "ukjentnavn"
    elif kind == "name_in_condition":
        code, token, condition = "N001", "ukjentnavn", f"lånebehov >{pad} ukjentnavn"
    else:
        code, token, condition = "S001", ")", f"lånebehov >{pad} )"
    body = (f"{doc}\nvilkår plassert {{\n    tittel: \"Tittel med {before}\"\n    art: informasjon\n"
            f"    hjemmel: \"Hjemmel {after}\"\n    oppfylt når {condition}\n    forklaring {{\n"
            f"        oppfylt: {text}\n        ikke_oppfylt: \"{after}\"\n    }}\n}}\n")
    if kind == "name_in_letter":
        body = body.replace(text, '"' + before + '"') + f"\noverstyr begrunnelse {{\n    ordningsvilkår når {pad}sann: {text}\n}}\n"
    source = HEADER + body
    if kind.endswith("condition"):
        offset = source.index(condition) + condition.index(token)
    else:
        offset = source.rindex(text) + text.index(token)
    return source, code, offset


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy_with_one_error())
def test_every_error_points_at_the_injected_token(case):
    source, code, offset = case
    expected = Span.from_offsets(source, offset, offset + 1)
    try:
        load_policy_text(source, name="plassering.pol")
    except PolicyError as e:
        errors = [d for d in e.diagnostics if d.severity is Severity.ERROR]
        assert errors, e.diagnostics
        for d in errors:
            assert d.file == "plassering.pol"
            assert (d.span.line, d.span.column) == (expected.line, expected.column), (d, expected)
        assert any(d.code == code for d in errors), errors
        assert f"plassering.pol:{expected.line}:{expected.column}" in render_text(e.diagnostics, e.sources)
        return
    raise AssertionError("the injected error was not reported")
