"""Evaluating letter texts and re-evaluating changed facts for a decision's explanation."""

from __future__ import annotations

from decimal import localcontext
from typing import Any

from boligregler.evaluation.decision import CriterionResult, assess, decide
from boligregler.evaluation.interpreter import Interpreter
from boligregler.evaluation.runtime import NotAssessed
from boligregler.explain.basis import Basis
from boligregler.evaluation import runtime
from boligregler.money import CONTEXT, format_number
from boligregler.syntax import ast


def scheme_title(basis: Basis) -> str:
    return basis.program.scheme.title or "Startlån"


class Texts:
    """Renders the policy's `{uttrykk}` templates against a decision's facts and memo.

    Besides the policy's own names, a letter text may use the frame's texts (`kommune`,
    `klageinstans`, `klageinstans_adresse`, `postadresse`, `kontakt`, `enhet`,
    `automatisering_hjemmel`: a visible gap where the header lacks one), `regelverk_navn`,
    `ordning_tittel` and `barnas_alder` (see `model.checker.LETTER_NAMES`), and a change text
    also `endring`, `ny_verdi` and `økning`.
    """

    def __init__(self, basis: Basis):
        from boligregler.explain.frame import header_texts
        self.basis = basis
        model = basis.policy.model
        self.interpreter = Interpreter(model, basis.program.scheme, basis.policy.lookup)
        self.names = {
            **header_texts(model),
            "regelverk_navn": basis.policy.navn,
            "ordning_tittel": scheme_title(basis),
            "barnas_alder": children_ages(basis.facts),
        }

    def render(self, template: ast.Template, extra: dict[str, Any] | None = None) -> str:
        render = self.interpreter.template(template)
        with localcontext(CONTEXT):
            return render(self.basis.memo, self.basis.facts, {**self.names, **(extra or {})})

    def holds(self, condition: ast.Expr | None, extra: dict[str, Any] | None = None) -> bool:
        """Whether a text's condition holds; one that depends on a fact not yet assessed does not."""
        if condition is None:
            return True
        try:
            with localcontext(CONTEXT):
                return bool(self.interpreter.eval(condition, self.basis.memo, self.basis.facts,
                                                  {**self.names, **(extra or {})}))
        except NotAssessed:
            return False

    def render_given(self, template: ast.Template, extra: dict[str, Any] | None = None) -> str | None:
        """The text, or None if it states a fact not yet given or assessed."""
        try:
            return self.render(template, extra)
        except NotAssessed:
            return None

    def value(self, name: str, facts: dict | None = None) -> Any:
        """A computation of the scheme evaluated for `facts` (by default the decision's facts)."""
        if facts is None:
            return self.interpreter.eval(ast.Name(name), self.basis.memo, self.basis.facts, {})
        with localcontext(CONTEXT):
            memo = {runtime.DATE_KEY: facts["søknadsdato"]}
            return self.interpreter.eval(ast.Name(name), memo, facts, {})


def children_ages(facts: dict) -> str:
    """«7 og 3 år», «2 år», or "" when the søknad has no children."""
    ages = [format_number(b["alder"]) for b in facts.get("husstand", {}).get("barn", []) or []]
    if not ages:
        return ""
    return (", ".join(ages[:-1]) + " og " + ages[-1] if len(ages) > 1 else ages[0]) + " år"


def outcome(policy: Any, facts: dict) -> tuple[str, list[CriterionResult]]:
    """The outcome and criterion results for `facts`, without texts: one re-evaluation."""
    program = policy.program(facts.get("ordning", ""), "compiled")  # probes must be fast
    with localcontext(CONTEXT):
        results, _ = assess(program, facts, explain=False)
    return decide(policy.model.outcome_rules, policy.model.outcome_default, results), results
