import json
import pickle

import pytest

from boligregler.diagnostics import (
    BoligreglerError,
    Diagnostic,
    PolicyError,
    Severity,
    Span,
    render_json,
    render_text,
    suggest,
    to_json,
)

FILE = "policies/nasjonal.pol"
SOURCE = "\n" * 11 + "    beregn x: kr = lånebehv + 1 kr\n"


def unknown_name(**kwargs):
    return Diagnostic(
        code="N001",
        severity=Severity.ERROR,
        message="ukjent navn «lånebehv»",
        file=FILE,
        span=Span(12, 20, 12, 28),
        **kwargs,
    )


def warning(span=None):
    return Diagnostic("W001", Severity.WARNING, "ubrukt regel «y»", FILE, span)


def test_render_caret_golden():
    diag = unknown_name(notes=("mente du «lånebehov»?",))
    assert render_text([diag], {FILE: SOURCE}) == (
        "feil[N001]: ukjent navn «lånebehv»\n"
        "  --> policies/nasjonal.pol:12:20\n"
        "   |\n"
        "12 |     beregn x: kr = lånebehv + 1 kr\n"
        "   |                    ^^^^^^^^\n"
        "   = hjelp: mente du «lånebehov»?\n"
        "\n"
        "1 feil"
    )


def test_render_related_location():
    source = "beregn x: kr = 1 kr\nberegn x: kr = 2 kr\n"
    diag = Diagnostic(
        "N002",
        Severity.ERROR,
        "«x» er definert flere ganger",
        "a.pol",
        Span(2, 8, 2, 9),
        related=(("a.pol", Span(1, 8, 1, 9), "først definert her"),),
    )
    assert render_text([diag], {"a.pol": source}) == (
        "feil[N002]: «x» er definert flere ganger\n"
        " --> a.pol:2:8\n"
        "  |\n"
        "2 | beregn x: kr = 2 kr\n"
        "  |        ^\n"
        " ::: a.pol:1:8\n"
        "  |\n"
        "1 | beregn x: kr = 1 kr\n"
        "  |        - først definert her\n"
        "\n"
        "1 feil"
    )


def test_render_without_span_or_source():
    no_span = warning()
    missing_source = Diagnostic("N003", Severity.ERROR, "feil", "ukjent.pol", Span(3, 1, 3, 1))
    text = render_text([no_span, missing_source], {})
    assert text.splitlines()[:2] == ["advarsel[W001]: ubrukt regel «y»", " --> " + FILE]
    assert " --> ukjent.pol:3:1" in text
    assert "|" not in text


def test_caret_at_least_one_and_multiline_span():
    source = "ab\ncd\n"
    empty = Diagnostic("E1", Severity.ERROR, "m", "f", Span(1, 3, 1, 3))
    multi = Diagnostic("E2", Severity.ERROR, "m", "f", Span(1, 2, 2, 2))
    assert "  |   ^\n" in render_text([empty], {"f": source})
    assert "  |  ^\n" in render_text([multi], {"f": source})


def test_gutter_width_adapts():
    source = "x\n" * 120
    diag = Diagnostic("E1", Severity.ERROR, "m", "f", Span(100, 1, 100, 2))
    lines = render_text([diag], {"f": source}).splitlines()
    assert lines[1:5] == ["   --> f:100:1", "    |", "100 | x", "    | ^"]


@pytest.mark.parametrize(
    ("errors", "warnings", "summary"),
    [
        (1, 0, "1 feil"),
        (2, 0, "2 feil"),
        (0, 1, "1 advarsel"),
        (0, 2, "2 advarsler"),
        (2, 1, "2 feil, 1 advarsel"),
    ],
)
def test_summary_plurals(errors, warnings, summary):
    diags = [unknown_name()] * errors + [warning()] * warnings
    assert render_text(diags, {}).splitlines()[-1] == summary


def test_render_empty():
    assert render_text([], {}) == ""


def test_color():
    text = render_text([unknown_name()], {FILE: SOURCE}, color=True)
    assert "\x1b[1;31mfeil[N001]\x1b[0m" in text
    assert "\x1b[1;33m" in render_text([warning()], {}, color=True)
    assert "\x1b[" not in render_text([unknown_name()], {FILE: SOURCE})


def test_span_from_offsets():
    text = "første\nandre linje\n"
    start = text.index("linje")
    assert Span.from_offsets(text, start, start + 5) == Span(2, 7, 2, 12)
    assert Span.from_offsets(text, 0, len("første\n")) == Span(1, 1, 2, 1)


def test_json():
    diag = unknown_name(
        notes=("mente du «lånebehov»?",),
        related=(("b.pol", Span(1, 2, 1, 5), "først definert her"),),
    )
    [data] = to_json([diag])
    assert list(data) == [
        "code", "severity", "message", "file",
        "line", "column", "end_line", "end_column", "notes", "related",
    ]
    assert data["severity"] == "feil"
    assert (data["line"], data["column"], data["end_line"], data["end_column"]) == (12, 20, 12, 28)
    assert data["notes"] == ["mente du «lånebehov»?"]
    assert data["related"] == [
        {"file": "b.pol", "line": 1, "column": 2, "end_line": 1, "end_column": 5,
         "label": "først definert her"}
    ]
    assert to_json([warning()])[0]["line"] is None
    rendered = render_json([diag])
    assert "«lånebehv»" in rendered
    assert json.loads(rendered) == [data]


def test_policy_error():
    diag = unknown_name()
    error = PolicyError([diag], {FILE: SOURCE})
    assert isinstance(error, BoligreglerError)
    assert error.diagnostics == (diag,)
    assert str(error) == render_text([diag], {FILE: SOURCE})
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_suggest():
    assert suggest("lånebehv", ["lånebehov", "inntekt"]) == "lånebehov"
    assert suggest("xyz", ["lånebehov", "inntekt"]) is None
    assert suggest("a", []) is None
