"""Legality lint: what a municipal policy may say under the national rules for startlån.

A municipal policy (one that `bygger på` another) may only state what forskrift om lån
fra Husbanken § 9-1 annet ledd and Husbanken's guidance allow local guidelines to say.
Only definitions written outside the root baseline are checked; the baseline itself is
the regulation. Every finding is an error that names the rule it breaks, in Norwegian.

Codes:
    L001  an `absolutt` criterion that does not restate an absolute national one
    L002  an age limit other than 18 (in a criterion or a computation)
    L003  a criterion, computation or søknad field on citizenship or nationality
    L004  a rate margin (a parameter named *margin*/*påslag*) above 0.25 percentage points
    L005  a residence (botid) requirement as an `absolutt` criterion
    L006  an income cap as an `absolutt` criterion
    L007  a price cap (kjøpesum, fellesgjeld) as an `absolutt` criterion
    L008  an equity requirement as an `absolutt` criterion

The checks read the syntax tree; what they cannot see (a cap hidden in a yes/no fact the
case worker fills in, a margin written as a bare number) is listed in
docs/kommunale-regler.md.
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext
from typing import Any, Iterator

import attrs

from boligregler.diagnostics import Diagnostic, Severity, Span
from boligregler.model import types as T
from boligregler.model.checker import check
from boligregler.model.policy import CheckedPolicy, ComputeDef, CriterionDef, SchemeDef
from boligregler.money import CONTEXT, format_number
from boligregler.syntax import ast

NO_EXCEPTIONS = ("Kommunale retningslinjer skal være i samsvar med forskrift om lån fra Husbanken "
                 "(§ 9-1 annet ledd) og må etter Husbankens veileder alltid åpne for unntak")
RULES = {
    "L001": NO_EXCEPTIONS + "; bare vilkår som gjengir forskriften selv, kan gi avslag uten skjønn",
    "L002": ("Startlån har ingen aldersgrense utover myndighetsalderen (18 år); en øvre eller nedre "
             "aldersgrense i kommunale retningslinjer er i strid med likestillings- og diskrimineringsloven "
             "(Husbankens veileder: «Kommunale retningslinjer kan ikke være i strid med forskriften, "
             "annet regelverk eller føringer fra Stortingets budsjettvedtak»)"),
    "L003": ("Statsborgerskap er ikke et vilkår for startlån, og kommunale retningslinjer må være saklige: "
             "å utelukke søkere etter statsborgerskap eller nasjonalitet, f.eks. søkere utenfor EØS, er "
             "usaklig og diskriminerende (Husbankens veileder om kommunale retningslinjer; "
             "likestillings- og diskrimineringsloven)"),
    "L004": ("Kommunen kan legge høyst 0,25 prosentpoeng på Husbankens rente "
             "(forskrift om lån fra Husbanken § 8-2 tiende ledd)"),
    "L005": ("Krav om botid i kommunen er lovlig bare når det åpner for unntak, i hvert fall for "
             "husstander i akutte bosituasjoner (Husbankens veiledning til forskriften § 9-1 annet ledd)"),
    "L006": ("Forskriften har ingen inntektsgrense; en kommunal inntektsgrense er lovlig som hovedregel, "
             "men ikke som absolutt regel (Husbankens veileder: kommunale retningslinjer kan ikke være absolutte)"),
    "L007": ("En lokal grense for kjøpesum er lovlig, men bare som hovedregel med åpning for unntak "
             "(forskriften § 9-1 annet ledd og Husbankens veileder om kommunale retningslinjer)"),
    "L008": ("Forskriften har ikke noe krav om egenkapital; en kommunal regel om bruk av egenkapital må "
             "åpne for unntak (Husbankens veileder, «Egenkapital og formue»)"),
}
MAKE_MAIN_RULE = ("skriv «art: hovedregel», så går en søknad som ikke oppfyller vilkåret, til manuell "
                  "vurdering i stedet for avslag")

MAX_MARGIN = Decimal("0.0025")  # 0.25 percentage points, stored as a fraction like every % value
MARGIN_NAME = re.compile(r"margin|påslag|rentetillegg", re.IGNORECASE)
CITIZENSHIP = re.compile(r"statsborger|nasjonalitet|fødeland|landbakgrunn|(?:^|_)eøs", re.IGNORECASE)
ADULTS = "husstand.voksne"
LAWFUL_AGE = Decimal(18)


@attrs.frozen
class _Cap:
    """A quantity that, compared with a limit in an absolute criterion, makes a cap."""

    code: str
    what: str
    names: frozenset[str] = frozenset()
    paths: frozenset[str] = frozenset()


CAPS = (
    _Cap("L005", "et krav om botid", paths=frozenset({"tilknytning.botid_måneder"})),
    _Cap("L008", "et krav om egenkapital", names=frozenset({"egenkapital"})),
    _Cap("L006", "en inntektsgrense", names=frozenset({"tellende_inntekt", "inntekter"})),
    _Cap("L007", "et pristak", names=frozenset({"grunnlag"}),
         paths=frozenset({"bolig.kjøpesum", "bolig.fellesgjeld"})),
)


def lint(files: list[ast.PolicyFile], model: CheckedPolicy) -> list[Diagnostic]:
    """Legality findings for the policy `files` describe (root baseline first) and its checked `model`.

    A policy that builds on nothing is the baseline itself and gets no findings.
    """
    if len(files) < 2:
        return []
    return _Linter(files, model, check(files[:1])).run()


class _Linter:
    def __init__(self, files: list[ast.PolicyFile], model: CheckedPolicy, national: CheckedPolicy):
        self.files = files
        self.model = model
        self.root = files[0].header.id
        self.national = national
        self.national_criteria = {c.id: c for s in _schemes(national) for c in s.criteria}
        self.national_computations = {n for s in _schemes(national) for n in s.computations}
        self.criterion_nodes = dict(_criterion_nodes(files[1:]))
        self.found: list[Diagnostic] = []
        # every computation once: the schemes share the objects they do not override
        computations = list({id(c): c for s in _schemes(model) for c in s.computations.values()}.values())
        self.municipal_computations = self.municipal(computations)
        self.age_computations = _closure(computations,
                                         lambda e, known: self.is_age_expression(e, frozenset(), known))
        new = [c for c in self.municipal_computations if c.name not in self.national_computations]
        self.derived = {cap: _closure(new, lambda e, known, cap=cap: _mentions(e, cap, known)) for cap in CAPS}

    # ---- what the municipality wrote
    def municipal(self, definitions):
        return [d for d in definitions if d.origin is not None and d.origin.policy != self.root]

    def criteria(self) -> Iterator[tuple[CriterionDef, SchemeDef | None]]:
        seen: set[int] = set()
        for scheme in _schemes(self.model):
            for c in self.municipal(scheme.criteria):
                if id(c) not in seen:
                    seen.add(id(c))
                    yield c, (scheme if scheme.id else None)

    def scheme_target_group(self, c: CriterionDef, scheme: SchemeDef | None) -> bool:
        """A criterion a municipal `ordning` adds: it defines who the scheme is for.

        Whoever falls outside can still apply for an ordinary startlån, so the criterion
        bars nobody from startlån and may be absolute.
        """
        return (scheme is not None and scheme.id not in self.national.schemes and c.id in scheme.own
                and c.id not in self.national_criteria)

    # ---- running the checks
    def run(self) -> list[Diagnostic]:
        for c, scheme in self.criteria():
            self.check_criterion(c, scheme)
        for c in self.municipal_computations:
            self.check_expression(c.expr, c.origin.file, f"beregningen «{c.name}»")
        self.check_parameters()
        self.check_schema()
        return sorted(self.found, key=lambda d: (d.file, d.span.line if d.span else 0,
                                                 d.span.column if d.span else 0, d.code))

    def report(self, code: str, message: str, file: str, span: Span | None, notes=()) -> None:
        d = Diagnostic(code, Severity.ERROR, f"{message}. {RULES[code]}", file, span, tuple(notes))
        if d not in self.found:
            self.found.append(d)

    def check_criterion(self, c: CriterionDef, scheme: SchemeDef | None) -> None:
        file = c.origin.file
        where = f"vilkåret «{c.id}»" + (f" i ordningen «{scheme.id}»" if scheme else "")
        node = self.criterion_nodes.get((file, c.id, c.origin.span))
        before = len(self.found)
        for e in [c.condition, c.relevance, *(e.condition for e in c.exceptions)]:
            if e is not None:
                self.check_expression(e, file, where)
        named = CITIZENSHIP.search(c.id) or CITIZENSHIP.search(c.title)
        if named and not any(d.code == "L003" for d in self.found[before:]):
            self.report("L003", f"{where} («{c.title}») gjelder statsborgerskap eller nasjonalitet", file, c.origin.span,
                        ["fjern vilkåret"])
        if c.kind != "absolutt" or self.scheme_target_group(c, scheme):
            return
        art = _field_value_span(node, "art") or c.origin.span
        caps = self.caps_in(c.condition)
        for cap, compare in caps:
            self.report(cap.code, f"{where} er absolutt og setter {cap.what}", file, compare.span or art,
                        [MAKE_MAIN_RULE])
        national = self.national_criteria.get(c.id)
        if not caps and (national is None or national.kind != "absolutt"):
            self.report("L001", f"{where} har «art: absolutt», men gjengir ikke et absolutt vilkår i den "
                                f"nasjonale grunnmodellen", file, art, [MAKE_MAIN_RULE])

    def check_expression(self, expr: ast.Expr, file: str, where: str) -> None:
        for compare, other in _age_comparisons(expr, self.is_age_expression):
            if not self.is_eighteen(other):
                self.report("L002", f"{where} setter en aldersgrense for voksne søkere", file, compare.span,
                            ["fjern aldersgrensen; alder kan bare brukes til å kreve at søkeren er myndig (18 år)"])
        for node in _walk(expr):
            name = _path(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
            if name and CITIZENSHIP.search(name.rsplit(".", 1)[-1]):
                self.report("L003", f"{where} bruker «{name}», som gjelder statsborgerskap eller nasjonalitet",
                            file, node.span, ["fjern bruken av opplysningen"])

    def check_parameters(self) -> None:
        for p in self.municipal(self.model.parameters.values()):
            if not (isinstance(p.type, T.Num) and p.type.unit in ("%", "prosentpoeng")):
                continue
            if not MARGIN_NAME.search(p.name) or "stresstest" in p.name:
                continue
            for v in p.values:
                if isinstance(v.value, Decimal) and v.value > MAX_MARGIN:
                    with localcontext(CONTEXT):
                        shown = format_number(v.value * 100)
                    self.report("L004", f"parameteren «{p.name}» legger {shown} prosentpoeng på renten fra "
                                        f"{v.valid_from}", p.origin.file, v.span or p.origin.span,
                                ["sett påslaget til høyst 0,25 prosentpoeng"])

    def check_schema(self) -> None:
        for f in self.files[1:]:
            for path, field in _schema_fields(f):
                if CITIZENSHIP.search(path.rsplit(".", 1)[-1]):
                    self.report("L003", f"søknadsfeltet «{path}» gjelder statsborgerskap eller nasjonalitet",
                                f.path, field.span, ["fjern feltet fra søknaden"])

    # ---- recognising ages, caps and the number 18
    def is_age_expression(self, e: Any, adults: frozenset[str], known: set[str] | None = None) -> bool:
        """Whether the value of `e` is an adult's age: `v.alder` with v ranging over husstand.voksne,
        or a computation whose value is. A comparison inside `e` is reported on its own."""
        computations = self.age_computations if known is None else known
        for n, bound in _walk_bound(e, adults, into_comparisons=False):
            if isinstance(n, ast.Attribute) and n.name == "alder" and isinstance(n.obj, ast.Name) and n.obj.name in bound:
                return True
            if isinstance(n, ast.Name) and n.name in computations:
                return True
        return False

    def is_eighteen(self, e: ast.Expr) -> bool:
        if isinstance(e, ast.Quantity):
            return e.value == LAWFUL_AGE
        if isinstance(e, ast.Name) and e.name in self.model.parameters:
            values = [v.value for v in self.model.parameters[e.name].values]
            return bool(values) and all(v == LAWFUL_AGE for v in values)
        return False

    def caps_in(self, condition: ast.Expr) -> list[tuple[_Cap, ast.Compare]]:
        found: list[tuple[_Cap, ast.Compare]] = []
        for node in _walk(condition):
            if not isinstance(node, ast.Compare):
                continue
            for cap in CAPS:
                left = _mentions(node.left, cap, self.derived[cap])
                right = _mentions(node.right, cap, self.derived[cap])
                if left != right:
                    if all(c is not cap for c, _ in found):
                        found.append((cap, node))
                    break
        return found


def _schemes(policy: CheckedPolicy) -> list[SchemeDef]:
    """The policy without any `ordning` overlay, then every `ordning`."""
    return [policy.base_scheme, *policy.schemes.values()]


# ---- syntax-tree helpers --------------------------------------------------------------------


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, (list, tuple)):
        yield from node
    elif hasattr(node, "__attrs_attrs__") and not isinstance(node, Span):
        for a in node.__attrs_attrs__:
            if a.eq:
                yield getattr(node, a.name)


def _walk(node: Any) -> Iterator[Any]:
    """Every syntax node under `node`, itself included."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None or isinstance(n, (str, Decimal, bool, int)):
            continue
        if not isinstance(n, (list, tuple)):
            yield n
        stack.extend(_children(n))


def _walk_bound(node: Any, adults: frozenset[str], into_comparisons: bool = True
                ) -> Iterator[tuple[Any, frozenset[str]]]:
    """Every node with the aggregate variables that range over husstand.voksne at that point."""
    if node is None or isinstance(node, (str, Decimal, bool, int)):
        return
    if isinstance(node, (list, tuple)):
        for child in node:
            yield from _walk_bound(child, adults, into_comparisons)
        return
    yield node, adults
    if isinstance(node, ast.Compare) and not into_comparisons:
        return
    if isinstance(node, ast.Aggregate) and node.var is not None:
        inner = adults | {node.var} if _path(node.source) == ADULTS else adults - {node.var}
        yield from _walk_bound(node.source, adults, into_comparisons)
        yield from _walk_bound([node.where, node.body], inner, into_comparisons)
        return
    for child in _children(node):
        yield from _walk_bound(child, adults, into_comparisons)


def _age_comparisons(expr: ast.Expr, is_age) -> Iterator[tuple[ast.Compare, ast.Expr]]:
    """(comparison, the side it compares the age with) for every comparison of an adult's age."""
    for node, adults in _walk_bound(expr, frozenset()):
        if not isinstance(node, ast.Compare):
            continue
        left, right = is_age(node.left, adults), is_age(node.right, adults)
        if left and not right:
            yield node, node.right
        elif right and not left:
            yield node, node.left


def _path(e: Any) -> str | None:
    """`bolig.kjøpesum` for the expression that reads that fact; None for anything else."""
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Attribute):
        base = _path(e.obj)
        return f"{base}.{e.name}" if base else None
    return None


def _mentions(e: Any, cap: _Cap, derived: set[str]) -> bool:
    for node in _walk(e):
        if isinstance(node, ast.Name) and (node.name in cap.names or node.name in derived):
            return True
        if isinstance(node, ast.Attribute) and _path(node) in cap.paths:
            return True
    return False


def _closure(computations: list[ComputeDef], reads) -> set[str]:
    """Names of the computations that read the thing `reads(expr, known)` recognises, directly or through others."""
    known: set[str] = set()
    while True:
        more = {c.name for c in computations if c.name not in known and reads(c.expr, known)}
        if not more:
            return known
        known |= more


def _definitions(items) -> Iterator[Any]:
    for item in items:
        d = item.definition
        if isinstance(d, ast.Override):
            d = d.definition
        if isinstance(d, ast.Scheme):
            yield from _definitions(d.items)
        else:
            yield d


def _criterion_nodes(files: list[ast.PolicyFile]) -> Iterator[tuple[tuple[str, str, Span | None], ast.Criterion]]:
    for f in files:
        for d in _definitions(f.items):
            if isinstance(d, ast.Criterion):
                yield (f.path, d.name, d.span), d


def _field_value_span(node: ast.Criterion | None, name: str) -> Span | None:
    if node is None:
        return None
    return next((f.value_span or f.span for f in node.fields if f.name == name), None)


def _schema_fields(file: ast.PolicyFile) -> Iterator[tuple[str, ast.SchemaField]]:
    def walk(fields, prefix):
        for field in fields:
            path = prefix + field.name
            yield path, field
            t = field.type
            while isinstance(t, ast.ListType):
                t = t.element
            if isinstance(t, ast.RecordType):
                yield from walk(t.fields, path + ".")

    for d in _definitions(file.items):
        if isinstance(d, ast.Schema):
            yield from walk(d.fields, "")
