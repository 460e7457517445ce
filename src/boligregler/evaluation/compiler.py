"""Compile one scheme of a checked policy to Python source, then to functions.

Each computation becomes a function that stores its value in the evaluation's
memo `M` the first time it is needed (so amounts are lazy, as in Catala and
OpenFisca, and a fact that is never needed is never required). Constants, texts and
names are bound in the module namespace, never spliced into the source as text;
operators come from the closed tables below (an unknown one is a KeyError, not
code), and identifiers are generated (`c0`, `v1`, `k2`, …).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

import attrs

from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy, CriterionDef, SchemeDef
from boligregler.evaluation import runtime
from boligregler.norsk import antall_tekst
from boligregler.syntax import ast


BINARY_OPERATORS = {"+": "+", "-": "-", "*": "*", "/": "/"}
COMPARE_OPERATORS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
LOGICAL_OPERATORS = {"og": "and", "eller": "or"}


@attrs.frozen
class CompiledCriterion:
    definition: CriterionDef
    condition: Callable
    relevance: Callable | None
    exceptions: tuple[tuple[str, Callable], ...]
    explanations: dict[str, Callable]  # result → (M, F) → str
    exception_explanations: dict[str, Callable]


@attrs.frozen
class Program:
    """A scheme compiled to Python functions over (M, F): memo and facts."""

    scheme: SchemeDef
    computations: dict[str, Callable]
    criteria: tuple[CompiledCriterion, ...]
    decision: tuple[tuple[str, Callable], ...]
    source: str


class _Codegen:
    def __init__(self, policy: CheckedPolicy, scheme: SchemeDef, lookup: runtime.DatedLookup,
                 rounding: Callable = runtime.rounded):
        self.policy, self.scheme = policy, scheme
        self.namespace: dict[str, Any] = {
            "_lookup": lookup, "_req": runtime.required, "_given": runtime.stated, "_fact": runtime.assessed, "_annuity": runtime.annuity,
            "_pv": runtime.present_value, "_interest": runtime.monthly_interest,
            "_loan_for": runtime.loan_for_interest, "_count_text": antall_tekst, "_round": rounding, "_ZERO": runtime.ZERO,
            "_D": Decimal, "C": {}, "_div": runtime.divide,
        }
        self.divisions = runtime.division_sites(scheme)
        self.lines: list[str] = []
        self.constants: dict[Any, str] = {}
        self.locals: list[dict[str, str]] = []

    def const(self, value: Any) -> str:
        key = (type(value), value)
        if key not in self.constants:
            name = f"k{len(self.constants)}"
            self.constants[key] = name
            self.namespace[name] = value
        return self.constants[key]

    def function(self, name: str, expr: ast.Expr) -> str:
        self.lines.append(f"def {name}(M, F):\n    return {self.gen(expr)}\n")
        return name

    def computation(self, index: int, cname: str, expr: ast.Expr) -> str:
        key = self.const("c:" + cname)
        self.lines.append(f"def c{index}(M, F):\n    v = M[{key}] = {self.gen(expr)}\n    return v\n")
        return f"c{index}"

    # ---- expressions
    def gen(self, e: ast.Expr) -> str:
        match e:
            case ast.Quantity(value, unit):
                return self.const(T.stored_value(value, unit))
            case ast.Text(value):
                return self.const(value)
            case ast.Boolean(value):
                return "True" if value is True else "False"
            case ast.DateLiteral(value):
                return self.const(value)
            case ast.Name(name):
                return self.name(name)
            case ast.Attribute(obj, name):
                record = self.policy.expr_types.get(id(obj))
                access = f"{self.gen(obj)}[{self.const(name)}]"
                spec = record.fields.get(name) if isinstance(record, T.Record) else None
                if spec is not None and spec.nullable:
                    return f"_req({access}, {self.const(_path(obj, name))})"
                if spec is not None and spec.provided_by is not None:
                    return f"_fact({access})"
                return access
            case ast.Lookup(ast.Name(table), keys):
                return f"_lookup.table(M, {self.const(table)}, {', '.join(self.gen(k) for k in keys)})"
            case ast.Call(function, args):
                return self.call(function, args)
            case ast.Unary("-", operand):
                return f"(-{self.gen(operand)})"
            case ast.Unary("ikke", operand):
                return f"(not {self.gen(operand)})"
            case ast.Binary("/", left, right):
                where = self.divisions.get(id(e), "et uttrykk")
                return f"_div({self.gen(left)}, {self.gen(right)}, {self.const(where)})"
            case ast.Binary(op, left, right):
                return f"({self.gen(left)} {BINARY_OPERATORS[op]} {self.gen(right)})"
            case ast.Compare(op, left, right):
                return f"({self.gen(left)} {COMPARE_OPERATORS[op]} {self.gen(right)})"
            case ast.Logical(op, left, right):
                return f"({self.gen(left)} {LOGICAL_OPERATORS[op]} {self.gen(right)})"
            case ast.Member(item, ast.ListLiteral(items)):
                return f"({self.gen(item)} in {self.const(frozenset(x.value for x in items))})"
            case ast.Member(item, container):
                return f"({self.gen(item)} in {self.gen(container)})"
            case ast.If(cond, then, otherwise):
                return f"({self.gen(then)} if {self.gen(cond)} else {self.gen(otherwise)})"
            case ast.Aggregate():
                return self.aggregate(e)
        raise AssertionError(e)

    def name(self, name: str) -> str:
        for scope in reversed(self.locals):
            if name in scope:
                return scope[name]
        if name in self.scheme.computations:
            key = self.const("c:" + name)
            return f"(M[{key}] if {key} in M else C[{key}](M, F))"
        if name in self.policy.parameters:
            key = self.const("p:" + name)
            return f"(M[{key}] if {key} in M else _lookup.parameter(M, {self.const(name)}))"
        if name == "tilbudte_ordninger":
            return self.const(frozenset(self.policy.schemes))
        if name == "utfall":
            return "M['utfall']"
        spec = self.policy.schema.fields[name]
        if spec.provided_by is not None:
            return f"_fact(F[{self.const(name)}])"
        return f"_req(F[{self.const(name)}], {self.const(name)})" if spec.nullable else f"F[{self.const(name)}]"

    def call(self, function: str, args: tuple) -> str:
        a = [self.gen(x) for x in args] if function not in ("avrund", "oppgitt") else []
        match function:
            case "maks":
                return f"max({', '.join(a)})" if len(a) > 1 else a[0]
            case "min":
                return f"min({', '.join(a)})" if len(a) > 1 else a[0]
            case "annuitet":
                return f"_annuity({', '.join(a)})"
            case "nåverdi":
                return f"_pv({', '.join(a)})"
            case "månedsrente":
                return f"_interest({', '.join(a)})"
            case "lån_for_rente":
                return f"_loan_for({', '.join(a)})"
            case "antall_tekst":
                return f"_count_text({', '.join(a)})"
            case "avrund":
                value, unit, mode = args
                scaled = T.stored_value(unit.value, unit.unit)
                return f"_round({self.gen(value)}, {self.const(scaled)}, {self.const(mode.name)})"
            case "oppgitt":
                return f"_given({self.raw(args[0])})"
        raise AssertionError(function)

    def raw(self, e: ast.Expr) -> str:
        """Access a fact without requiring it to be present."""
        if isinstance(e, ast.Attribute):
            return f"{self.gen(e.obj)}[{self.const(e.name)}]"
        return f"F[{self.const(e.name)}]"

    def aggregate(self, e: ast.Aggregate) -> str:
        source = self.gen(e.source)
        if e.var is None:
            return f"_D(len({source}))"
        var = f"v{sum(len(s) for s in self.locals)}"
        self.locals.append({e.var: var})
        try:
            where = f" if {self.gen(e.where)}" if e.where is not None else ""
            if e.kind == "sum":
                return f"sum(({self.gen(e.body)} for {var} in {source}{where}), _ZERO)"
            if e.kind == "antall":
                return f"_D(sum(1 for {var} in {source}{where}))"
            if e.kind == "finnes":
                return f"any({self.gen(e.where)} for {var} in {source})"
            return f"all({self.gen(e.where)} for {var} in {source})"
        finally:
            self.locals.pop()

    def template(self, name: str, tpl: ast.Template | None) -> str | None:
        if tpl is None:
            return None
        pieces = []
        for part in tpl.parts:
            if isinstance(part, str):
                pieces.append(self.const(part))
            else:
                fmt = self.const(runtime.formatter(self.policy.expr_types.get(id(part), T.TEXT),
                                                   self.policy.header.get("målform")))
                pieces.append(f"{fmt}({self.gen(part)})")
        self.lines.append(f"def {name}(M, F):\n    return ''.join(({', '.join(pieces)},))\n")
        return name


def _path(obj: ast.Expr, name: str) -> str:
    parts = [name]
    while isinstance(obj, ast.Attribute):
        parts.append(obj.name)
        obj = obj.obj
    if isinstance(obj, ast.Name):
        parts.append(obj.name)
    return ".".join(reversed(parts))


def compile_scheme(policy: CheckedPolicy, scheme: SchemeDef, lookup: runtime.DatedLookup,
                   rounding: Callable = runtime.rounded) -> Program:
    """The scheme as Python functions. `rounding` is what `avrund` calls: `runtime.rounded`, or a function
    giving the same results that also observes them (the explanation's search reads where a rounding
    would change its result)."""
    g = _Codegen(policy, scheme, lookup, rounding)
    computation_names = {}
    for i, (name, c) in enumerate(scheme.computations.items()):
        computation_names[name] = g.computation(i, name, c.expr)
    criteria_names = []
    for i, crit in enumerate(scheme.criteria):
        names = {
            "cond": g.function(f"k{i}_cond", crit.condition),
            "rel": g.function(f"k{i}_rel", crit.relevance) if crit.relevance is not None else None,
            "exc": [(e.letter, g.function(f"k{i}_exc{j}", e.condition)) for j, e in enumerate(crit.exceptions)],
            "tpl": {r: g.template(f"k{i}_tpl_{r}", t) for r, t in crit.explanations.items()},
            "exc_tpl": {e.letter: g.template(f"k{i}_etpl{j}", e.explanation) for j, e in enumerate(crit.exceptions)},
        }
        criteria_names.append((crit, names))
    decision_names = [(key, g.function(f"d{i}", expr)) for i, (key, expr) in enumerate(policy.decision)]
    source = "\n".join(g.lines)
    try:
        code = compile(source, f"<regelverk {policy.id}:{scheme.id or 'grunnlag'}>", "exec")
    except (SyntaxError, RecursionError, MemoryError):
        raise runtime.EvaluationError(
            f"regelverket «{policy.id}» er for sammensatt til å kjøres; del de dypeste uttrykkene opp "
            "i flere beregninger", code="for_sammensatt") from None
    ns = g.namespace
    exec(code, ns)
    ns["C"].update({"c:" + n: ns[f] for n, f in computation_names.items()})
    get = lambda n: ns[n] if n else None  # noqa: E731
    criteria = tuple(
        CompiledCriterion(
            crit, ns[names["cond"]], get(names["rel"]),
            tuple((letter, ns[fn]) for letter, fn in names["exc"]),
            {r: ns[f] for r, f in names["tpl"].items() if f},
            {letter: ns[f] for letter, f in names["exc_tpl"].items() if f},
        )
        for crit, names in criteria_names
    )
    return Program(scheme, {n: ns[f] for n, f in computation_names.items()}, criteria,
                   tuple((k, ns[f]) for k, f in decision_names), source)


def compile_expression(policy: CheckedPolicy, program: Program, lookup: runtime.DatedLookup, expr: ast.Expr,
                       names: tuple[str, ...] = (), rounding: Callable = runtime.rounded) -> Callable:
    """One expression over (M, F) in the context of a compiled scheme, e.g. a `påkrevd når` condition.

    With `names` (names a caller binds, such as a letter's `kommune` or a list line's `inn`, which
    shadow the policy's own) it is a function of (M, F, L) that reads those names from the dict `L`.
    `rounding`: what `avrund` calls, `runtime.rounded` or one with the same results (see `compile_scheme`).
    """
    g = _Codegen(policy, program.scheme, lookup, rounding)
    if names:
        g.locals.append({n: f"L[{g.const(n)}]" for n in names})
        g.lines.append(f"def f(M, F, L):\n    return {g.gen(expr)}\n")
    else:
        g.function("f", expr)
    exec(compile("\n".join(g.lines), f"<regelverk {policy.id}:uttrykk>", "exec"), g.namespace)
    g.namespace["C"].update({"c:" + n: f for n, f in program.computations.items()})
    return g.namespace["f"]


def compile_template(policy: CheckedPolicy, program: Program, lookup: runtime.DatedLookup, template: ast.Template,
                     formatter: Callable[[T.Type], Callable[[Any], str]], names: tuple[str, ...] = ()) -> Callable:
    """A text with `{uttrykk}` holes as one function of (M, F, L): its text and each hole, in order, written by
    `formatter(the hole's type)`; the holes as `compile_expression` compiles them, reading `names` from `L`."""
    g, body = _template_body(policy, program, lookup, template, formatter, names)
    g.lines.append(f"def f(M, F, L):\n    return {body}\n")
    return _text_function(g, policy, program)


def compile_text(policy: CheckedPolicy, program: Program, lookup: runtime.DatedLookup, condition: ast.Expr | None,
                 template: ast.Template, formatter: Callable[[T.Type], Callable[[Any], str]],
                 names: tuple[str, ...] = ()) -> Callable:
    """A letter text (`når condition: template`) as one function of (M, F, L), as `compile_template`: its text, or
    None where the condition does not hold or it or a hole reads a fact not yet given or assessed."""
    g, body = _template_body(policy, program, lookup, template, formatter, names)
    g.namespace["_NotAssessed"] = runtime.NotAssessed
    text = body if condition is None else f"{body} if {g.gen(condition)} else None"
    g.lines.append(f"def f(M, F, L):\n    try:\n        return {text}\n    except _NotAssessed:\n        return None\n")
    return _text_function(g, policy, program)


def _template_body(policy, program, lookup, template, formatter, names) -> tuple[_Codegen, str]:
    g = _Codegen(policy, program.scheme, lookup)
    g.locals.append({n: f"L[{g.const(n)}]" for n in names})
    pieces = [g.const(part) if isinstance(part, str) else
              f"{g.const(formatter(policy.expr_types.get(id(part), T.TEXT)))}({g.gen(part)})" for part in template.parts]
    return g, f"''.join(({', '.join(pieces)},))" if pieces else "''"


def _text_function(g: _Codegen, policy: CheckedPolicy, program: Program) -> Callable:
    exec(compile("\n".join(g.lines), f"<regelverk {policy.id}:tekst>", "exec"), g.namespace)
    g.namespace["C"].update({"c:" + n: f for n, f in program.computations.items()})
    return g.namespace["f"]
