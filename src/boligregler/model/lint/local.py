"""Rules the municipality writes itself: absolute local criteria, caps and age limits.

A municipal criterion may be absolute only when it restates an absolute national one (then
`structure.py` checks it) or when it is the target group of a scheme the municipality adds
(whoever falls outside can still apply for an ordinary startlån). Anything else absolute is
L001, or the cap it sets (L005–L008). An age predicate is judged by value: it is a limit only
if it excludes an adult age in the schema's domain that 18 admits (`alder > 17` is not).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

from boligregler.diagnostics import Diagnostic, Span
from boligregler.model.lint import flow
from boligregler.model.lint.dataflow import cap_of
from boligregler.model.lint.rules import finding
from boligregler.model.lint.structure import Context, _field
from boligregler.model.policy import CriterionDef, SchemeDef
from boligregler.syntax import ast

ADULTS = "husstand.voksne"
LAWFUL_AGE = Decimal(18)


class Local:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.model = ctx.model
        self.found: list[Diagnostic] = []
        self.national_criteria = {c.id: c for s in [ctx.national.base_scheme, *ctx.national.schemes.values()]
                                  for c in s.criteria}
        computations = list({id(c): c for s, _ in ctx.schemes() for c in s.computations.values()}.values())
        self.municipal_computations = [c for c in computations if ctx.municipal(c)]
        self.age_computations = _closure(computations, lambda e, known: self.is_age(e, frozenset(), known))
        spec = _field(self.model.schema, ADULTS + ".alder")
        low = spec.low if spec is not None and spec.low is not None else LAWFUL_AGE
        high = spec.high if spec is not None and spec.high is not None else Decimal(120)
        self.ages = range(int(max(low, LAWFUL_AGE)), int(high) + 1)

    def report(self, code: str, message: str, file: str, span: Span | None, **kw) -> None:
        d = finding(code, message, file, span, **kw)
        if d not in self.found:
            self.found.append(d)

    def run(self) -> list[Diagnostic]:
        seen: set[int] = set()
        for scheme, _ in self.ctx.schemes():
            for c in scheme.criteria:
                if self.ctx.municipal(c) and id(c) not in seen:
                    seen.add(id(c))
                    self.check_criterion(c, scheme)
        deciding = self.deciding_computations()
        for c in self.municipal_computations:
            if c.name in deciding:
                self.check_ages(c.expr, c.origin.file, f"beregningen «{c.name}»")
        return self.found

    def deciding_computations(self) -> set[str]:
        """Computations a criterion that can change the outcome (not `informasjon`) or the vedtak reads."""
        out: set[str] = set()
        for scheme, _ in self.ctx.schemes():
            reads = flow.Reads(self.model, scheme)
            exprs = [e for c in scheme.criteria if c.kind != "informasjon"
                     for e in (c.condition, c.relevance, *(x.condition for x in c.exceptions))]
            exprs += [e for _, e in self.model.decision]
            out |= reads.computations(exprs)
        return out

    def target_group(self, c: CriterionDef, scheme: SchemeDef) -> bool:
        """A criterion a municipal `ordning` adds: it says who the scheme is for."""
        return (bool(scheme.id) and scheme.id not in self.ctx.national.schemes and c.id in scheme.own
                and c.id not in self.national_criteria)

    def check_criterion(self, c: CriterionDef, scheme: SchemeDef) -> None:
        file = c.origin.file
        where = self.ctx.where(c, scheme)
        for e in [c.condition, c.relevance, *(x.condition for x in c.exceptions)]:
            if e is not None and c.kind != "informasjon":  # an information criterion excludes nobody
                self.check_ages(e, file, where)
        if c.kind != "absolutt" or self.target_group(c, scheme):
            return
        national = self.national_criteria.get(c.id)
        if national is not None and national.kind == "absolutt":
            return  # a restatement: structure.py compares it with the national criterion
        caps = self.caps_in(c.condition, scheme)
        for (code, what), node in caps:
            self.report(code, f"{where} er absolutt og setter {what}", file, node.span or c.origin.span)
        if not caps:
            self.report("L001", f"{where} har «art: absolutt», men gjengir ikke et absolutt vilkår i den "
                                "nasjonale grunnmodellen", file, c.origin.span)

    def caps_in(self, condition: Any, scheme: SchemeDef) -> list[tuple[tuple[str, str], Any]]:
        """(code, what) and the comparison for every cap a condition sets, each kind once."""
        reads = flow.Reads(self.model, scheme)
        national = set(self.ctx.national.computations)
        found: list[tuple[tuple[str, str], Any]] = []
        for node in ast.walk(condition):
            if not isinstance(node, (ast.Compare, ast.Member)):
                continue
            sides = (node.left, node.right) if isinstance(node, ast.Compare) else (node.item, node.container)
            kinds = [{cap_of(r) for r in reads.closure(side, stop=lambda n: n in national)
                      if cap_of(r)[0] not in ("L020", "L002")} for side in sides]
            order = ("L005", "L008", "L006", "L007")
            differing = sorted(kinds[0] ^ kinds[1], key=lambda cap: order.index(cap[0]) if cap[0] in order else 9)
            for cap in differing[:1]:  # the one cap a comparison sets: «egenkapital >= 15 % * kjøpesum» is about equity
                if all(k != cap for k, _ in found):
                    found.append((cap, node))
        return found

    # ---- ages by value
    def is_age(self, e: Any, adults: frozenset[str], known: set[str] | None = None) -> bool:
        """Whether `e`'s value is an adult's age: `v.alder` with v over husstand.voksne, or a computation that is."""
        computations = self.age_computations if known is None else known
        for n, bound in _walk_bound(e, adults, into_comparisons=False):
            if isinstance(n, ast.Attribute) and n.name == "alder" and isinstance(n.obj, ast.Name) and n.obj.name in bound:
                return True
            if isinstance(n, ast.Name) and n.name in computations:
                return True
        return False

    def check_ages(self, expr: Any, file: str, where: str) -> None:
        for compare, other, age_left in _age_comparisons(expr, self.is_age):
            if self.excludes_an_adult(compare.op if age_left else flow.FLIP[compare.op], other):
                self.report("L002", f"{where} setter en aldersgrense for voksne søkere", file, compare.span)

    def excludes_an_adult(self, op: str, other: Any) -> bool:
        """Whether `alder <op> other` holds for some adult ages and not for others in the schema's domain."""
        values = self.values_of(other)
        if values is None:
            return True
        test = {"<": lambda a, k: a < k, "<=": lambda a, k: a <= k, ">": lambda a, k: a > k,
                ">=": lambda a, k: a >= k, "=": lambda a, k: a == k, "!=": lambda a, k: a != k}[op]
        return any(len({test(Decimal(a), k) for a in self.ages}) > 1 for k in values)

    def values_of(self, e: Any) -> list[Decimal] | None:
        if isinstance(e, ast.Quantity):
            return [e.value]
        if isinstance(e, ast.Name) and e.name in self.model.parameters:
            values = [v.value for v in self.model.parameters[e.name].values]
            return values if values and all(isinstance(v, Decimal) for v in values) else None
        return None


def _closure(computations, reads) -> set[str]:
    """Names of the computations that read what `reads(expr, known)` recognises, directly or through others."""
    known: set[str] = set()
    while True:
        more = {c.name for c in computations if c.name not in known and reads(c.expr, known)}
        if not more:
            return known
        known |= more


def _walk_bound(node: Any, adults: frozenset[str], into_comparisons: bool = True
                ) -> Iterator[tuple[Any, frozenset[str]]]:
    """Every node with the aggregate variables that range over husstand.voksne at that point."""
    if node is None or isinstance(node, flow.ATOMS):
        return
    if isinstance(node, (list, tuple)):
        for child in node:
            yield from _walk_bound(child, adults, into_comparisons)
        return
    yield node, adults
    if isinstance(node, ast.Compare) and not into_comparisons:
        return
    if isinstance(node, ast.Aggregate) and node.var is not None:
        inner = adults | {node.var} if flow.path_of(node.source) == ADULTS else adults - {node.var}
        yield from _walk_bound(node.source, adults, into_comparisons)
        yield from _walk_bound([node.where, node.body], inner, into_comparisons)
        return
    for child in ast.children(node):
        yield from _walk_bound(child, adults, into_comparisons)


def _age_comparisons(expr: Any, is_age) -> Iterator[tuple[ast.Compare, Any, bool]]:
    """(comparison, the side compared with the age, whether the age is on the left) for each adult-age comparison."""
    for node, adults in _walk_bound(expr, frozenset()):
        if not isinstance(node, ast.Compare):
            continue
        left, right = is_age(node.left, adults), is_age(node.right, adults)
        if left and not right:
            yield node, node.right, True
        elif right and not left:
            yield node, node.left, False
