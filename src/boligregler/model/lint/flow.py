"""Dataflow over checked expressions: what an expression reads, inlining, and logical equivalence."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any, Callable

import attrs

from boligregler.diagnostics import Span
from boligregler.model.policy import CheckedPolicy, SchemeDef
from boligregler.syntax import ast

ATOMS = ast.ATOMS


def path_of(e: Any, bound: dict[str, str] | None = None) -> str | None:
    """`bolig.kjøpesum` for an expression that reads a fact; a variable bound by an aggregate
    reads the list it ranges over (`v.alder` with v over husstand.voksne is `husstand.voksne.alder`)."""
    if isinstance(e, ast.Name):
        return (bound or {}).get(e.name, e.name)
    if isinstance(e, ast.Attribute):
        base = path_of(e.obj, bound)
        return f"{base}.{e.name}" if base else None
    return None


@attrs.frozen
class Read:
    """One thing an expression reads: a søknad fact (`fakta`), a parameter, a table or a computation."""

    kind: str  # fakta | parameter | tabell | beregning
    name: str
    node: Any = attrs.field(eq=False, default=None)


class Reads:
    """What expressions read in one scheme of a policy, optionally through computations."""

    def __init__(self, model: CheckedPolicy, scheme: SchemeDef):
        self.model = model
        self.scheme = scheme
        self._closure: dict[str, frozenset[Read]] = {}

    def direct(self, expr: Any) -> set[Read]:
        """The facts, parameters, tables and computations `expr` names itself."""
        out: set[Read] = set()
        self._collect(expr, {}, out)
        return out

    def _collect(self, e: Any, bound: dict[str, str], out: set[Read]) -> None:
        if e is None or isinstance(e, ATOMS):
            return
        if isinstance(e, (list, tuple)):
            for x in e:
                self._collect(x, bound, out)
            return
        if isinstance(e, ast.Aggregate):
            self._collect(e.source, bound, out)
            inner = dict(bound)
            if e.var is not None:
                src = path_of(e.source, bound)
                inner[e.var] = src if src and self._is_fact(src) else f"<{e.var}>"
            self._collect([e.where, e.body], inner, out)
            return
        if isinstance(e, (ast.Name, ast.Attribute)):
            p = path_of(e, bound)
            if p is not None and not p.startswith("<"):
                head = p.split(".", 1)[0]
                if isinstance(e, ast.Name) and e.name not in bound:
                    if e.name in self.scheme.computations:
                        out.add(Read("beregning", e.name, e))
                        return
                    if e.name in self.model.parameters:
                        out.add(Read("parameter", e.name, e))
                        return
                    if e.name in self.model.tables:
                        out.add(Read("tabell", e.name, e))
                        return
                if head in self.model.schema.fields or (isinstance(e, ast.Attribute) and self._is_fact(p)):
                    out.add(Read("fakta", p, e))
                    return
            if isinstance(e, ast.Attribute):
                self._collect(e.obj, bound, out)
            return
        for c in ast.children(e):
            self._collect(c, bound, out)

    def _is_fact(self, p: str) -> bool:
        return p.split(".", 1)[0] in self.model.schema.fields

    def closure(self, expr: Any, stop: Callable[[str], bool] = lambda name: False) -> set[Read]:
        """Everything `expr` reads, directly or through computations (except those `stop` keeps opaque)."""
        out: set[Read] = set()
        todo = list(self.direct(expr))
        seen: set[str] = set()
        while todo:
            r = todo.pop()
            if r in out:
                continue
            out.add(r)
            if r.kind == "beregning" and r.name not in seen and not stop(r.name):
                seen.add(r.name)
                todo.extend(self.direct(self.scheme.computations[r.name].expr))
        return out

    def facts(self, expr: Any, stop: Callable[[str], bool] = lambda name: False) -> set[str]:
        return {r.name for r in self.closure(expr, stop) if r.kind == "fakta"}

    def computations(self, exprs: list[Any]) -> set[str]:
        """The computations `exprs` reach."""
        return {r.name for e in exprs for r in self.closure(e) if r.kind == "beregning"}


# ---- inlining and normal forms ----------------------------------------------------------------


def inline(expr: Any, definitions: dict[str, Any], depth: int = 0) -> Any:
    """`expr` with every name in `definitions` replaced by its (inlined) expression."""
    if depth > 50 or expr is None or isinstance(expr, ATOMS):
        return expr
    if isinstance(expr, ast.Name) and expr.name in definitions:
        return inline(definitions[expr.name], definitions, depth + 1)
    return _rebuild(expr, lambda c: inline(c, definitions, depth + 1))


def _rebuild(node: Any, f: Callable[[Any], Any]) -> Any:
    if isinstance(node, tuple):
        return tuple(f(x) for x in node)
    if isinstance(node, list):
        return [f(x) for x in node]
    if not hasattr(node, "__attrs_attrs__") or isinstance(node, Span):
        return node
    changes = {}
    for a in node.__attrs_attrs__:
        if a.eq:
            v = getattr(node, a.name)
            if v is not None and not isinstance(v, ATOMS):
                new = f(v)
                if new is not v:
                    changes[a.name] = new
    return attrs.evolve(node, **changes) if changes else node


FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}
NEGATE = {"<": ">=", ">=": "<", ">": "<=", "<=": ">", "=": "!=", "!=": "="}


def _constant(e: Any) -> bool:
    return isinstance(e, (ast.Quantity, ast.Text, ast.Boolean, ast.DateLiteral))


def normal(e: Any, integer: Callable[[Any], bool]) -> Any:
    """A canonical form: literals on the right, `>`/`<` on whole numbers as `>=`/`<=`, negations pushed
    into comparisons, `og`/`eller` flattened, deduplicated and sorted. Equal normal forms mean equal conditions."""
    if isinstance(e, ast.Unary) and e.op == "ikke":
        inner = normal(e.operand, integer)
        if isinstance(inner, ast.Unary) and inner.op == "ikke":
            return inner.operand
        if isinstance(inner, ast.Compare):
            return normal(ast.Compare(NEGATE[inner.op], inner.left, inner.right), integer)
        if isinstance(inner, ast.Boolean):
            return ast.Boolean(not inner.value)
        return ast.Unary("ikke", inner)
    if isinstance(e, ast.Compare):
        left, right, op = e.left, e.right, e.op
        if _constant(left) and not _constant(right):
            left, right, op = right, left, FLIP[op]
        if isinstance(right, ast.Boolean) and op in ("=", "!="):  # `x = sann` is `x`, `x = usann` is `ikke x`
            positive = right.value == (op == "=")
            return normal(left if positive else ast.Unary("ikke", left), integer)
        if not _constant(right) and (_sum(left) or _sum(right)):
            return _linear(op, left, right, integer)
        whole = integer(left)
        left, right = normal(left, integer), normal(right, integer)
        if whole and isinstance(right, ast.Quantity) and right.value == right.value.to_integral_value():
            if op == ">":
                op, right = ">=", ast.Quantity(right.value + 1, right.unit)
            elif op == "<":
                op, right = "<=", ast.Quantity(right.value - 1, right.unit)
        return ast.Compare(op, left, right)
    if isinstance(e, ast.Logical):
        parts = []
        for p in _flatten(e, e.op):
            p = normal(p, integer)
            parts.extend(_flatten(p, e.op))
        unique = sorted({repr(p): p for p in parts}.items())
        result = unique[0][1]
        for _, p in unique[1:]:
            result = ast.Logical(e.op, result, p)
        return result
    if isinstance(e, ast.Quantity):
        return ast.Quantity(e.value.normalize() if e.value else Decimal(0), e.unit)
    return _rebuild(e, lambda c: normal(c, integer))


def _sum(e: Any) -> bool:
    return isinstance(e, ast.Binary) and e.op in ("+", "-")


def _terms(e: Any, sign: int, integer) -> list[tuple[int, Any]]:
    if _sum(e):
        return _terms(e.left, sign, integer) + _terms(e.right, sign if e.op == "+" else -sign, integer)
    return [(sign, normal(e, integer))]


def _linear(op: str, left: Any, right: Any, integer) -> Any:
    """`a - b <= c` and `a <= c + b` alike: every term moved to the left, sorted, the first one positive."""
    terms = sorted(_terms(left, 1, integer) + _terms(right, -1, integer), key=lambda t: (repr(t[1]), t[0]))
    if terms[0][0] < 0:
        terms = [(-sign, t) for sign, t in terms]
        op = FLIP[op]
    result = terms[0][1]
    for sign, t in terms[1:]:
        result = ast.Binary("+" if sign > 0 else "-", result, t)
    return ast.Compare(op, result, ast.Quantity(Decimal(0), None))


def _flatten(e: Any, op: str) -> list[Any]:
    if isinstance(e, ast.Logical) and e.op == op:
        return _flatten(e.left, op) + _flatten(e.right, op)
    return [e]


def atoms(e: Any) -> list[Any]:
    """The smallest conditions `e` is a logical combination of, in a stable order."""
    found: dict[str, Any] = {}

    def visit(x):
        if isinstance(x, ast.Logical):
            visit(x.left)
            visit(x.right)
        elif isinstance(x, ast.Unary) and x.op == "ikke":
            visit(x.operand)
        elif not isinstance(x, ast.Boolean):
            found.setdefault(repr(x), x)
    visit(e)
    return [found[k] for k in sorted(found)]


def truth(e: Any, value: dict[str, bool]) -> bool:
    if isinstance(e, ast.Logical):
        a = truth(e.left, value)
        return (a and truth(e.right, value)) if e.op == "og" else (a or truth(e.right, value))
    if isinstance(e, ast.Unary) and e.op == "ikke":
        return not truth(e.operand, value)
    if isinstance(e, ast.Boolean):
        return e.value
    return value[repr(e)]


def compare_conditions(municipal: Any, national: Any, max_atoms: int = 14) -> str:
    """«lik» (always the same), «strengere» (never met where the national one is not),
    «løsere» (met somewhere the national one is not) or «ukjent» (too large to decide).

    Atoms are treated as independent, so «lik» and «strengere» are sound; conditions that are
    equal only because atoms depend on each other come out as «løsere» or «strengere»."""
    if municipal == national:
        return "lik"
    names = sorted({repr(a) for a in atoms(municipal) + atoms(national)})
    if len(names) > max_atoms:
        return "ukjent"
    stricter = looser = False
    for bits in itertools.product((False, True), repeat=len(names)):
        v = dict(zip(names, bits))
        m, n = truth(municipal, v), truth(national, v)
        if m and not n:
            looser = True
        elif n and not m:
            stricter = True
    if looser:
        return "løsere"
    return "strengere" if stricter else "lik"


def conjuncts_added(municipal: Any, national: Any) -> list[Any]:
    """The parts of an `og` the municipal condition adds to the national one (empty if it does not contain it)."""
    m, n = _flatten(municipal, "og"), _flatten(national, "og")
    keys = {repr(x) for x in n}
    if not keys <= {repr(x) for x in m}:
        return []
    return [x for x in m if repr(x) not in keys]
