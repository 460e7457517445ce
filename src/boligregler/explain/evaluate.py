"""Evaluating letter texts and re-evaluating changed facts for a decision's explanation."""

from __future__ import annotations

import weakref
from typing import Any, Callable

from boligregler.evaluation.compiler import compile_expression, compile_template, compile_text
from boligregler.evaluation.decision import CriterionResult, assess, decide
from boligregler.evaluation.interpreter import Interpreter
from boligregler.evaluation.runtime import NotAssessed
from boligregler.explain.basis import Basis
from boligregler.evaluation import runtime
from boligregler.money import format_number
from boligregler.model import types as T
from boligregler.model.checker import LETTER_LINES, LETTER_NAMES, names_in
from boligregler.syntax import ast


def scheme_title(basis: Basis) -> str:
    return basis.program.scheme.title or "Startlån"


# The names a letter text binds besides the policy's own (see `model.checker`): the frame's texts, a list
# line's variable and `medregnet`, and a change's `endring`, `ny_verdi` and `økning`.
LETTER_LOCALS = (*LETTER_NAMES, *(var for _, var, _ in LETTER_LINES.values()),
                 *(name for _, _, extra in LETTER_LINES.values() for name in extra), "endring", "ny_verdi", "økning")


class _Renderers:
    """A policy scheme's letter texts, prepared once per policy and scheme.

    Every condition runs as compiled code over (memo, facts), the backend decisions are made with
    (`compiler.compile_expression`); one that uses a letter name (`kommune`, a list line's `inn`, a
    change's `endring` …) also reads those names from a dict. A template is one compiled function
    of (memo, facts, letter names) that writes the whole text (`compiler.compile_template`); a letter
    paragraph, its condition and template together, one that gives its text or None (`compiler.compile_text`).
    """

    def __init__(self, policy: Any, scheme: Any):
        self.policy = weakref.ref(policy)  # held weakly: the cache is keyed by the policy and must not keep it alive
        self.ordning, self.model = scheme.id, policy.model
        self.interpreter = Interpreter(policy.model, scheme, policy.lookup)
        self.compiled: dict[int, tuple[Callable, bool]] = {}
        self.templates: dict[int, Callable] = {}
        self.sections: dict[tuple[str, ...], tuple[tuple[str, Callable], ...]] = {}
        self.nynorsk = policy.model.header.get("målform") == "nynorsk"
        self.words = choice_words(policy.model)

    def function(self, expr: ast.Expr) -> tuple[Callable, bool]:
        """`expr` compiled, and whether it reads letter names: then a function of (memo, facts, names)."""
        key = id(expr)
        if key not in self.compiled:
            policy = self.policy()
            used = names_in(expr) & set(LETTER_LOCALS)
            if used:
                function = compile_expression(self.model, policy.program(self.ordning, "compiled"), policy.lookup,
                                              expr, LETTER_LOCALS)
            else:
                function = policy.expression(expr, self.ordning)
            self.compiled[key] = (function, bool(used))
        return self.compiled[key]

    def template(self, template: ast.Template) -> Callable[[dict, dict, dict], str]:
        """The template compiled to one function of (memo, facts, letter names), each hole written by `formatter`."""
        function = self.templates.get(id(template))
        if function is None:
            policy = self.policy()
            function = self.templates[id(template)] = compile_template(
                self.model, policy.program(self.ordning, "compiled"), policy.lookup, template, self.formatter,
                LETTER_LOCALS)
        return function

    def texts(self, names: tuple[str, ...]) -> tuple[tuple[str, Callable[[dict, dict, dict], str | None]], ...]:
        """The policy's letter paragraphs called one of `names`, in policy order: (name, the paragraph compiled to
        one function of (memo, facts, letter names) giving its text, or None where it is not shown)."""
        found = self.sections.get(names)
        if found is None:
            policy = self.policy()
            program = policy.program(self.ordning, "compiled")
            found = self.sections[names] = tuple(
                (s.name, compile_text(self.model, program, policy.lookup, s.condition, s.template, self.formatter,
                                      LETTER_LOCALS))
                for s in self.model.letter if s.name in names)
        return found

    def formatter(self, t: T.Type) -> Callable[[Any], str]:
        """How a hole of type `t` is written: a choice by the policy's word for it (`opplysning sti "verdi"`),
        anything else as the evaluation writes it in the policy's målform (months: «månader» in nynorsk)."""
        if isinstance(t, T.Enum) and any(name == t.name for name, _ in self.words):
            words = {value: text for (name, value), text in self.words.items() if name == t.name}
            return lambda v: words.get(runtime.assessed(v), runtime.assessed(v))
        return runtime.formatter(t, "nynorsk" if self.nynorsk else "bokmål")


def choice_words(model: Any) -> dict[tuple[str, str], str]:
    """(choice type, value) → the word the policy's `opplysning sti "verdi": "…"` texts give for it."""
    out = {}
    for (path, value), text in model.fact_texts.items():
        if value is None:
            continue
        spec = T.field_at(model.schema, path)
        if spec is not None and isinstance(spec.type, T.Enum):
            out[(spec.type.name, value)] = text.text
    return out


_renderers: "weakref.WeakKeyDictionary[Any, dict[str, _Renderers]]" = weakref.WeakKeyDictionary()


def renderers(basis: Basis) -> _Renderers:
    per_scheme = _renderers.setdefault(basis.policy, {})
    scheme = basis.program.scheme
    if scheme.id not in per_scheme:
        per_scheme[scheme.id] = _Renderers(basis.policy, scheme)
    return per_scheme[scheme.id]


class Texts:
    """Renders the policy's `{uttrykk}` templates against a decision's facts and memo.

    Besides the policy's own names, a letter text may use the frame's texts (`kommune`,
    `klageinstans`, `klageinstans_adresse`, `postadresse`, `kontakt`, `enhet`,
    `automatisering_hjemmel`: a visible gap where the header lacks one), `regelverk_navn`,
    `ordning_tittel` and `barnas_alder` (see `model.checker.LETTER_NAMES`), and a change text
    also `endring`, `ny_verdi` and `økning`.
    """

    def __init__(self, basis: Basis):
        from boligregler.evaluation.soknad import CASE_FIELD
        from boligregler.explain.frame import header_texts
        self.basis = basis
        model = basis.policy.model
        self.renderers = renderers(basis)
        self.interpreter = self.renderers.interpreter
        self.names = {
            **header_texts(model, basis.facts.get(CASE_FIELD)),
            "regelverk_navn": basis.policy.navn,
            "ordning_tittel": scheme_title(basis),
            "barnas_alder": children_ages(basis.facts),
        }

    def render(self, template: ast.Template, extra: dict[str, Any] | None = None) -> str:
        """The text of `template` (in the money context, which the letter and the search enter once)."""
        return self.renderers.template(template)(self.basis.memo, self.basis.facts,
                                                 {**self.names, **extra} if extra else self.names)

    def holds(self, condition: ast.Expr | None, extra: dict[str, Any] | None = None) -> bool:
        """Whether a text's condition holds; one that depends on a fact not yet assessed does not (in the
        money context)."""
        if condition is None:
            return True
        function, local = self.renderers.function(condition)
        try:
            if local:
                return bool(function(self.basis.memo, self.basis.facts, {**self.names, **extra} if extra else self.names))
            return bool(function(self.basis.memo, self.basis.facts))
        except NotAssessed:
            return False

    def paragraphs(self, names: tuple[str, ...], lines: Callable[[str], list[dict[str, Any]]] | None = None) -> list[str]:
        """The texts of the policy's letter paragraphs called one of `names` that are shown, in policy order; a
        paragraph is left out where its condition does not hold or it reads a fact not yet given or assessed.
        `lines(name)`: the names each line of a list binds, for a per-line paragraph (one text per line)."""
        M, F, L = self.basis.memo, self.basis.facts, self.names
        out = []
        for name, text in self.renderers.texts(names):
            if lines is not None and name in LETTER_LINES:
                out += [t for extra in lines(name) if (t := text(M, F, {**L, **extra})) is not None]
            elif (t := text(M, F, L)) is not None:
                out.append(t)
        return out

    def render_given(self, template: ast.Template, extra: dict[str, Any] | None = None) -> str | None:
        """The text, or None if it states a fact not yet given or assessed."""
        try:
            return self.render(template, extra)
        except NotAssessed:
            return None

    def value(self, name: str) -> Any:
        """A computation or parameter of the scheme for the decision's facts."""
        return self.interpreter.eval(ast.Name(name), self.basis.memo, self.basis.facts, {})


def children_ages(facts: dict) -> str:
    """«7 og 3 år», «2 år», or "" when the søknad has no children (ages not yet given are left out)."""
    children = facts.get("husstand", {}).get("barn", [])
    ages = [format_number(b["alder"]) for b in (children if runtime.given(children) else []) if runtime.given(b["alder"])]
    if not ages:
        return ""
    return (", ".join(ages[:-1]) + " og " + ages[-1] if len(ages) > 1 else ages[0]) + " år"


def outcome(policy: Any, facts: dict, seed: dict | None = None) -> tuple[str, list[CriterionResult]]:
    """The outcome and criterion results for `facts`, without texts: one re-evaluation (in the money
    context). `seed`: memo values known to hold for `facts` (parameters, computations that read no
    changed fact)."""
    program = policy.program(facts.get("ordning", ""), "compiled")  # probes must be fast
    results, _ = assess(program, facts, explain=False, seed=seed)
    return decide(policy.model.outcome_rules, policy.model.outcome_default, results), results
