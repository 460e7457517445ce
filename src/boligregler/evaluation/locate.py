"""Where an evaluation error happened: the policy, file:line:col of the expression, and the søknad path.

The fast backends do not track positions. When one raises an `EvaluationError`, `locate`
evaluates the same facts again with the reference interpreter, which notes the innermost
expression that failed, the definition it belongs to and the søknad field involved (for a table
looked up with `b.alder` inside `sum(… for hver b i husstand.barn)`: `husstand.barn[2].alder`).
Errors are rare, so the second run costs nothing on the normal path.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from boligregler.evaluation.compiler import _path
from boligregler.evaluation.interpreter import Interpreter, interpret_scheme
from boligregler.evaluation.runtime import EvaluationError
from boligregler.model.policy import CheckedPolicy, Origin
from boligregler.syntax import ast


class _Locating(Interpreter):
    def __init__(self, policy: CheckedPolicy, scheme, lookup):
        super().__init__(policy, scheme, lookup)
        self.roots: dict[int, tuple[str, Origin | None]] = {}
        for name, c in scheme.computations.items():
            self.roots[id(c.expr)] = (f"beregningen «{name}»", c.origin)
        for c in scheme.criteria:
            where = (f"vilkåret «{c.id}»", c.origin)
            for expr in (c.condition, c.relevance, *(e.condition for e in c.exceptions)):
                if expr is not None:
                    self.roots[id(expr)] = where
            for tpl in [*c.explanations.values(), *(e.explanation for e in c.exceptions)]:
                for part in getattr(tpl, "parts", ()):
                    if not isinstance(part, str):
                        self.roots[id(part)] = where
        vedtak = decision_origin(policy)
        for key, expr in policy.decision:
            self.roots[id(expr)] = (f"vedtak-feltet «{key}»", vedtak)
        self.stack: list[tuple[str, Origin | None]] = []
        self.item_paths: dict[int, str] = {}

    def path_of(self, e: ast.Expr, local: dict) -> str | None:
        """The søknad path an expression reads, if it is one (`bolig.kjøpesum`, `b.alder` in a loop)."""
        parts = []
        while isinstance(e, ast.Attribute):
            parts.append(e.name)
            e = e.obj
        if not isinstance(e, ast.Name):
            return None
        if e.name in local:
            base = self.item_paths.get(id(local[e.name]))
            return ".".join([base, *reversed(parts)]) if base else None
        if e.name in self.policy.schema.fields:
            return ".".join([e.name, *reversed(parts)])
        return None

    def eval(self, e, M, F, local):
        root = self.roots.get(id(e))
        if root is not None:
            self.stack.append(root)
        try:
            if isinstance(e, ast.Aggregate):
                source = self.path_of(e.source, local)
                if source is not None:
                    for i, item in enumerate(self.eval(e.source, M, F, local)):
                        self.item_paths[id(item)] = f"{source}[{i}]"
            return super().eval(e, M, F, local)
        except EvaluationError as err:
            if not getattr(err, "located", False) and getattr(e, "span", None) is not None and self.stack:
                raise _located(err, self.policy, *self.stack[-1], e, self._involved(e, err, local)) from None
            raise
        finally:
            if root is not None:
                self.stack.pop()

    def _involved(self, e, err: EvaluationError, local: dict) -> str | None:
        if getattr(err, "path", None):
            return err.path
        if isinstance(e, ast.Lookup):  # the søknad fields the keys read (`voksne, husstand.barn[0].alder`)
            return ", ".join(p for k in e.keys if (p := self.path_of(k, local))) or None
        if isinstance(e, ast.Attribute):
            return self.path_of(e, local) or _path(e.obj, e.name)
        return None


def _located(err: EvaluationError, policy: CheckedPolicy, what: str, origin: Origin | None, e, path: str | None):
    span = e.span
    file = origin.file if origin is not None else ""
    pid = origin.policy if origin is not None else policy.id
    where = f"{file}:{span.line}:{span.column}" if file else f"linje {span.line}, kolonne {span.column}"
    about = f" (søknadsfeltet {path})" if path and path not in str(err) else ""
    out = copy.copy(err)
    out.args = (f"{where}: {what} i regelverket «{pid}»: {err}{about}",)
    out.params = {**err.params, "regelverk": pid, "fil": file, "linje": span.line, "kolonne": span.column,
                  "definisjon": what, **({"felt": path} if path else {})}
    out.path = path or ""
    out.located = True
    return out


def _locating_backend(model: CheckedPolicy, scheme, lookup):
    return interpret_scheme(model, scheme, lookup, _Locating)


def decision_origin(policy: CheckedPolicy) -> Origin | None:
    """The file of the chain with the top-level `vedtak` block (written once)."""
    for pid, (path, text) in zip(policy.chain, policy.sources.items()):
        if re.search(r"^vedtak\s*\{", text, re.M):
            return Origin(pid, path, None)
    return None


def locate(policy: Any, facts: dict, error: EvaluationError) -> EvaluationError:
    """`error` with the place it happened, found by evaluating `facts` again with the interpreter."""
    if getattr(error, "located", False):
        return error
    if policy.backend is _locating_backend:
        return error
    probe = type(policy)(policy.model, _locating_backend)
    try:
        probe.evaluate_facts(facts, explain=True)
    except EvaluationError as located:
        if getattr(located, "located", False):
            return located
    return error
