"""Evaluating letter texts and re-evaluating changed facts for a decision's explanation."""

from __future__ import annotations

import weakref
from decimal import localcontext
from typing import Any

from boligregler.evaluation import runtime
from boligregler.evaluation.compiler import Program, compile_scheme
from boligregler.evaluation.decision import CriterionResult, assess, decide
from boligregler.evaluation.interpreter import Interpreter
from boligregler.explain.basis import Basis
from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy
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
        self.types = model.expr_types
        self.interpreter = Interpreter(model, basis.program.scheme, basis.policy.lookup)
        self.names = {
            "kommune": str(model.header.get("kommune", "")),
            "klageinstans": str(model.header.get("klageinstans", "")),
            "regelverk_navn": basis.policy.navn,
            "ordning_tittel": scheme_title(basis),
        }

    def render(self, template: ast.Template, extra: dict[str, Any] | None = None) -> str:
        local = {**self.names, **(extra or {})}
        out = []
        with localcontext(CONTEXT):
            for part in template.parts:
                if isinstance(part, str):
                    out.append(part)
                else:
                    value = self.interpreter.eval(part, self.basis.memo, self.basis.facts, local)
                    out.append(runtime.formatter(self.types.get(id(part), T.TEXT))(value))
        return "".join(out)

    def holds(self, condition: ast.Expr | None, extra: dict[str, Any] | None = None) -> bool:
        if condition is None:
            return True
        with localcontext(CONTEXT):
            return bool(self.interpreter.eval(condition, self.basis.memo, self.basis.facts,
                                              {**self.names, **(extra or {})}))


_programs: "weakref.WeakKeyDictionary[CheckedPolicy, dict[str, Program]]" = weakref.WeakKeyDictionary()


def _compiled(policy: Any, ordning: str) -> Program:
    """The compiled program of a scheme, whichever backend the policy runs (probes must be fast)."""
    scheme = policy.model.scheme_for(ordning)
    per_scheme = _programs.setdefault(policy.model, {})
    if scheme.id not in per_scheme:
        per_scheme[scheme.id] = compile_scheme(policy.model, scheme, policy.lookup)
    return per_scheme[scheme.id]


def outcome(policy: Any, facts: dict) -> tuple[str, list[CriterionResult]]:
    """The outcome and criterion results for `facts`, without texts: one re-evaluation."""
    program = _compiled(policy, facts.get("ordning", ""))
    with localcontext(CONTEXT):
        results, _ = assess(program, facts, explain=False)
    return decide(policy.model.outcome_rules, policy.model.outcome_default, results), results
