"""Evaluating letter texts and re-evaluating changed facts for a decision's explanation."""

from __future__ import annotations

from decimal import localcontext
from typing import Any

from boligregler.evaluation.decision import CriterionResult, assess, decide
from boligregler.evaluation.interpreter import Interpreter
from boligregler.explain.basis import Basis
from boligregler.money import CONTEXT
from boligregler.syntax import ast


def scheme_title(basis: Basis) -> str:
    return basis.program.scheme.title or "Startlån"


class Texts:
    """Renders the policy's `{uttrykk}` templates against a decision's facts and memo.

    Besides the policy's own names, a letter text may use `kommune`, `klageinstans`,
    `regelverk_navn` and `ordning_tittel` (see `model.checker.LETTER_NAMES`), and a change
    text also `endring`, `ny_verdi` and `økning`.
    """

    def __init__(self, basis: Basis):
        self.basis = basis
        model = basis.policy.model
        self.interpreter = Interpreter(model, basis.program.scheme, basis.policy.lookup)
        self.names = {
            "kommune": str(model.header.get("kommune", "")),
            "klageinstans": str(model.header.get("klageinstans", "")),
            "regelverk_navn": basis.policy.navn,
            "ordning_tittel": scheme_title(basis),
        }

    def render(self, template: ast.Template, extra: dict[str, Any] | None = None) -> str:
        render = self.interpreter.template(template)
        with localcontext(CONTEXT):
            return render(self.basis.memo, self.basis.facts, {**self.names, **(extra or {})})

    def holds(self, condition: ast.Expr | None) -> bool:
        if condition is None:
            return True
        with localcontext(CONTEXT):
            return bool(self.interpreter.eval(condition, self.basis.memo, self.basis.facts, self.names))


def outcome(policy: Any, facts: dict) -> tuple[str, list[CriterionResult]]:
    """The outcome and criterion results for `facts`, without texts: one re-evaluation."""
    program = policy.program(facts.get("ordning", ""), "compiled")  # probes must be fast
    with localcontext(CONTEXT):
        results, _ = assess(program, facts, explain=False)
    return decide(policy.model.outcome_rules, policy.model.outcome_default, results), results
