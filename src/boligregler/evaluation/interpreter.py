"""Reference backend: evaluate the checked model by walking the syntax tree.

It builds the same `Program` as the compiler, so either backend plugs into
`decision.assess`. It is slower than the generated code, and simple enough to
read against beregning.md; the test suite checks that both backends agree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from boligregler.evaluation import runtime
from boligregler.norsk import antall_tekst
from boligregler.evaluation.compiler import CompiledCriterion, Program, _path
from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy, SchemeDef
from boligregler.syntax import ast

BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
COMPARE = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
           "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
FINANCE = {"annuitet": runtime.annuity, "nåverdi": runtime.present_value,
           "månedsrente": runtime.monthly_interest, "lån_for_rente": runtime.loan_for_interest,
           "antall_tekst": antall_tekst}


class Interpreter:
    def __init__(self, policy: CheckedPolicy, scheme: SchemeDef, lookup: runtime.DatedLookup):
        self.policy, self.scheme, self.lookup = policy, scheme, lookup
        self.divisions = runtime.division_sites(scheme)

    def value(self, name: str, M: dict, F: dict, local: dict) -> Any:
        if name in local:
            return local[name]
        if name in self.scheme.computations:
            key = "c:" + name
            if key not in M:
                M[key] = self.eval(self.scheme.computations[name].expr, M, F, {})
            return M[key]
        if name in self.policy.parameters:
            key = "p:" + name
            return M[key] if key in M else self.lookup.parameter(M, name)
        if name == "tilbudte_ordninger":
            return frozenset(self.policy.schemes)
        if name == "utfall":
            return M["utfall"]
        return self.fact(F[name], name, self.policy.schema.fields[name])

    @staticmethod
    def fact(value: Any, path: str, spec: T.FieldSpec | None) -> Any:
        if spec is None:
            return value
        if spec.provided_by is not None:
            return runtime.assessed(value)
        return runtime.required(value, path) if spec.nullable else value

    def eval(self, e: ast.Expr, M: dict, F: dict, local: dict) -> Any:
        match e:
            case ast.Quantity(value, unit):
                return T.stored_value(value, unit)
            case ast.Text(value) | ast.Boolean(value) | ast.DateLiteral(value):
                return value
            case ast.Name(name):
                return self.value(name, M, F, local)
            case ast.Attribute(obj, name):
                record = self.policy.expr_types.get(id(obj))
                spec = record.fields.get(name) if isinstance(record, T.Record) else None
                return self.fact(self.eval(obj, M, F, local)[name], _path(obj, name), spec)
            case ast.Lookup(ast.Name(table), keys):
                return self.lookup.table(M, table, *(self.eval(k, M, F, local) for k in keys))
            case ast.Call(function, args):
                return self.call(function, args, M, F, local)
            case ast.Unary("-", operand):
                return -self.eval(operand, M, F, local)
            case ast.Unary("ikke", operand):
                return not self.eval(operand, M, F, local)
            case ast.Binary("/", left, right):
                return runtime.divide(self.eval(left, M, F, local), self.eval(right, M, F, local),
                                      self.divisions.get(id(e), "et uttrykk"))
            case ast.Binary(op, left, right):
                return BINARY[op](self.eval(left, M, F, local), self.eval(right, M, F, local))
            case ast.Compare(op, left, right):
                return COMPARE[op](self.eval(left, M, F, local), self.eval(right, M, F, local))
            case ast.Logical("og", left, right):
                return self.eval(left, M, F, local) and self.eval(right, M, F, local)
            case ast.Logical("eller", left, right):
                return self.eval(left, M, F, local) or self.eval(right, M, F, local)
            case ast.Member(item, ast.ListLiteral(items)):
                return self.eval(item, M, F, local) in {x.value for x in items}
            case ast.Member(item, container):
                return self.eval(item, M, F, local) in self.eval(container, M, F, local)
            case ast.If(cond, then, otherwise):
                return self.eval(then if self.eval(cond, M, F, local) else otherwise, M, F, local)
            case ast.Aggregate():
                return self.aggregate(e, M, F, local)
        raise AssertionError(e)

    def call(self, function: str, args: tuple, M: dict, F: dict, local: dict) -> Any:
        if function == "oppgitt":
            arg = args[0]
            container = self.eval(arg.obj, M, F, local) if isinstance(arg, ast.Attribute) else F
            return runtime.stated(container[arg.name])
        if function == "avrund":
            value, unit, mode = args
            return runtime.rounded(self.eval(value, M, F, local),
                                   T.stored_value(unit.value, unit.unit), mode.name)
        values = [self.eval(a, M, F, local) for a in args]
        if function == "maks":
            return max(values)
        if function == "min":
            return min(values)
        return FINANCE[function](*values)

    def aggregate(self, e: ast.Aggregate, M: dict, F: dict, local: dict) -> Any:
        items = self.eval(e.source, M, F, local)
        if e.var is None:
            return Decimal(len(items))
        scoped = [{**local, e.var: item} for item in items]
        if e.kind in ("finnes", "alle"):
            test = any if e.kind == "finnes" else all
            return test(self.eval(e.where, M, F, s) for s in scoped)
        if e.where is not None:
            scoped = [s for s in scoped if self.eval(e.where, M, F, s)]
        if e.kind == "antall":
            return Decimal(len(scoped))
        return sum((self.eval(e.body, M, F, s) for s in scoped), runtime.ZERO)

    def function(self, expr: ast.Expr | None) -> Callable | None:
        if expr is None:
            return None
        return lambda M, F: self.eval(expr, M, F, {})

    def template(self, tpl: ast.Template | None) -> Callable | None:
        if tpl is None:
            return None
        formats = [None if isinstance(p, str) else
                   runtime.formatter(self.policy.expr_types.get(id(p), T.TEXT), self.policy.header.get("målform"))
                   for p in tpl.parts]

        def render(M: dict, F: dict, local: dict | None = None) -> str:
            local = {} if local is None else local
            return "".join(p if fmt is None else fmt(self.eval(p, M, F, local)) for p, fmt in zip(tpl.parts, formats))
        return render


def interpret_scheme(policy: CheckedPolicy, scheme: SchemeDef, lookup: runtime.DatedLookup,
                     interpreter: Callable[..., Interpreter] = Interpreter) -> Program:
    """A `Program` whose functions walk the syntax tree at every call (with `interpreter`, e.g. one that traces)."""
    it = interpreter(policy, scheme, lookup)

    def computation(name: str) -> Callable:
        return lambda M, F: it.value(name, M, F, {})

    criteria = tuple(
        CompiledCriterion(
            crit, it.function(crit.condition), it.function(crit.relevance),
            tuple((e.letter, it.function(e.condition)) for e in crit.exceptions),
            {r: it.template(t) for r, t in crit.explanations.items() if t is not None},
            {e.letter: it.template(e.explanation) for e in crit.exceptions if e.explanation is not None},
        )
        for crit in scheme.criteria
    )
    return Program(scheme, {n: computation(n) for n in scheme.computations}, criteria,
                   tuple((k, it.function(expr)) for k, expr in policy.decision), source="")
