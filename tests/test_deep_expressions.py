"""Very deep expressions get a diagnostic with a location, never a RecursionError."""

from __future__ import annotations

import pytest

from boligregler.diagnostics import PolicyError, Span
from boligregler.syntax.parser import MAX_DEPTH, parse_expression, parse_policy
from boligregler.syntax.template import parse_template

HEADER = 'regelverk d bygger på nasjonal { navn: "x" kommune: "x" vedtatt: 2024-01-01 kilde: "k" klageinstans: "k" }\n'


@pytest.mark.parametrize("terms, separator", [(MAX_DEPTH + 1, " + "), (500, " + "), (1400, " + "), (5000, " +\n")])
def test_a_long_sum_is_reported_not_crashed(terms, separator):
    text = HEADER + "beregn x: kr = " + separator.join(["1 kr"] * terms) + "\n"
    with pytest.raises(PolicyError) as e:
        parse_policy(text, "d.pol")
    (d,) = e.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("S009", 2, 16)


def test_a_sum_within_the_limit_parses():
    text = HEADER + "beregn x: kr = " + " + ".join(["1 kr"] * MAX_DEPTH) + "\n"
    assert parse_policy(text, "d.pol").items


def test_deep_parentheses_add_no_depth():
    assert parse_expression("(" * 300 + "1 kr" + ")" * 300).value == 1


def test_deep_nesting_inside_a_template_hole_is_reported():
    text = "{" + " - ".join(["a"] * 400) + "}"
    with pytest.raises(PolicyError) as e:
        parse_template(text, Span(3, 20, 3, 22 + len(text)), "mal.pol")
    d = e.value.diagnostics[0]
    assert (d.code, d.span.line, d.span.column) == ("S009", 3, 22)


def test_a_deeply_nested_example_literal_is_reported():
    text = HEADER + "eksempel e {\n    søknad: { a: " + "[" * 2000 + "]" * 2000 + " }\n    forventet: { utfall: \"avslag\" }\n}\n"
    with pytest.raises(PolicyError) as e:
        parse_policy(text, "d.pol")
    (d,) = e.value.diagnostics
    assert (d.code, d.span.line) == ("S009", 3)


def test_generated_code_python_cannot_compile_is_a_library_error(monkeypatch):
    from boligregler import EvaluationError, load_policy
    from boligregler.evaluation import compiler

    def refuse(*args, **kwargs):
        raise SyntaxError("too many nested parentheses")

    monkeypatch.setattr(compiler, "compile", refuse, raising=False)
    with pytest.raises(EvaluationError, match="for sammensatt"):
        load_policy("nasjonal").program("")
