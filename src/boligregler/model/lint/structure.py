"""The regulation survives: every absolute national criterion in every scheme, absolute and unchanged.

Conditions are compared on the checked model, not on text: computations the municipality adds
are inlined, both sides are brought to a normal form (literals right, `>` on whole numbers as
`>=`, negations pushed in, `og`/`eller` sorted), and what is left is compared as a logical
formula over its atoms. Changes to the national computations a criterion reads are the
dataflow check's (`dataflow.py`) and the evaluating checks' (`evaluation/legality.py`).
"""

from __future__ import annotations

from typing import Any, Iterator

from boligregler.diagnostics import Diagnostic
from boligregler.model import types as T
from boligregler.model.lint import flow
from boligregler.model.lint.rules import finding
from boligregler.model.policy import CheckedPolicy, CriterionDef, SchemeDef
from boligregler.syntax import ast

PRIORITY_FACTS = ("husstand.særlige_behov", "husstand.barn")


class Context:
    """What every check needs: the municipal model, the national one and the files."""

    def __init__(self, files: list[ast.PolicyFile], model: CheckedPolicy, national: CheckedPolicy):
        self.files = files
        self.model = model
        self.national = national
        self.root = files[0].header.id
        self.leaf_file = files[-1].path
        self.removals = {(r.kind, r.name): r for f in files[1:] for r in _removals(f.items)}

    def municipal(self, d: Any) -> bool:
        origin = getattr(d, "origin", None)
        return origin is not None and origin.policy != self.root

    def schemes(self) -> Iterator[tuple[SchemeDef, SchemeDef]]:
        """Each scheme of the municipal policy with the national scheme it must honour."""
        for s in [self.model.base_scheme, *self.model.schemes.values()]:
            yield s, self.national.schemes.get(s.id, self.national.base_scheme) if s.id else self.national.base_scheme

    def is_integer(self, node: Any) -> bool:
        t = self.model.expr_types.get(id(node)) or self.national.expr_types.get(id(node))
        if isinstance(t, T.Num):
            return t.integer
        if isinstance(node, ast.Aggregate) and node.kind == "antall":
            return True
        p = flow.path_of(node)
        spec = _field(self.model.schema, p) if p else None
        return spec is not None and isinstance(spec.type, T.Num) and spec.type.integer

    def normal(self, e: Any, scheme: SchemeDef) -> Any:
        """`e` with the municipality's own computations inlined, in normal form."""
        own = {n: c.expr for n, c in scheme.computations.items()
               if self.municipal(c) and n not in self.national.computations}
        return flow.normal(flow.inline(e, own), self.is_integer)

    def where(self, c: CriterionDef, scheme: SchemeDef) -> str:
        return f"vilkåret «{c.id}»" + (f" i ordningen «{scheme.id}»" if scheme.id else "")


def _field(record: T.Record, path: str) -> T.FieldSpec | None:
    spec = None
    t: Any = record
    for part in path.split("."):
        while isinstance(t, T.ListOf):
            t = t.element
        if not isinstance(t, T.Record) or part not in t.fields:
            return None
        spec = t.fields[part]
        t = spec.type
    return spec


def _removals(items) -> Iterator[ast.Removal]:
    for item in items:
        d = item.definition
        if isinstance(d, ast.Removal):
            yield d
        elif isinstance(d, ast.Scheme):
            yield from _removals(d.items)


def check(ctx: Context) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    seen: set[tuple[int, str]] = set()
    removed: set[str] = set()
    for scheme, national_scheme in ctx.schemes():
        own = {c.id: c for c in scheme.criteria}
        for n in national_scheme.criteria:
            if n.kind != "absolutt":
                continue
            m = own.get(n.id)
            if m is None:
                removal = ctx.removals.get(("vilkår", n.id))
                if n.id not in removed:
                    removed.add(n.id)
                    found.append(finding(
                        "L009", f"det nasjonale vilkåret «{n.id}» («{n.title}») er fjernet"
                                + (f" fra ordningen «{scheme.id}»" if scheme.id else ""),
                        ctx.leaf_file if removal is None else _file_of(ctx, removal),
                        removal.span if removal else ctx.files[-1].header.span))
                continue
            if m is n or not ctx.municipal(m) or (id(m), n.id) in seen:
                continue
            seen.add((id(m), n.id))
            found.extend(check_override(ctx, m, n, scheme))
    found.extend(check_outcome(ctx))
    return found


def _file_of(ctx: Context, node: Any) -> str:
    for f in ctx.files[1:]:
        if node in list(_removals(f.items)):
            return f.path
    return ctx.leaf_file


def check_override(ctx: Context, m: CriterionDef, n: CriterionDef, scheme: SchemeDef) -> list[Diagnostic]:
    file, span, where = m.origin.file, m.origin.span, ctx.where(m, scheme)
    found = []
    if m.kind != "absolutt":
        found.append(finding("L010", f"{where} gjengir et absolutt vilkår i forskriften, men har «art: {m.kind}»",
                             file, span))
    national_scheme = ctx.national.base_scheme
    if m.relevance is not None and (n.relevance is None or ctx.normal(m.relevance, scheme)
                                    != ctx.normal(n.relevance, national_scheme)):
        found.append(finding("L013", f"{where} har fått «relevant når»: vilkåret i forskriften gjelder i alle saker",
                             file, getattr(m.relevance, "span", None) or span))
    national_exceptions = {e.letter: e for e in n.exceptions}
    for e in m.exceptions:
        ne = national_exceptions.get(e.letter)
        if ne is None:
            found.append(finding("L013", f"{where} har fått et nytt unntak «{e.letter}» («{e.title}»), som "
                                         "forskriften ikke har", file, getattr(e.condition, "span", None) or span))
        elif ctx.normal(e.condition, scheme) != ctx.normal(ne.condition, national_scheme):
            kind = flow.compare_conditions(ctx.normal(e.condition, scheme), ctx.normal(ne.condition, national_scheme))
            priority = _reads_priority(ctx, ne.condition, national_scheme)
            code = "L019" if kind == "strengere" and priority else "L013"
            found.append(finding(code, f"{where} har endret unntak {e.letter} («{ne.title}»)"
                                       + (", slik at færre får unntaket" if kind == "strengere" else ""),
                                 file, getattr(e.condition, "span", None) or span))
    kept = {e.letter for e in m.exceptions}
    for letter, ne in national_exceptions.items():
        if letter not in kept:
            priority = _reads_priority(ctx, ne.condition, national_scheme)
            found.append(finding("L019" if priority else "L013",
                                 f"{where} mangler unntak {letter} i forskriften («{ne.title}»)", file, span))
    mc, nc = ctx.normal(m.condition, scheme), ctx.normal(n.condition, national_scheme)
    if mc != nc:
        kind = flow.compare_conditions(mc, nc)
        if kind == "strengere":
            national_parts = {repr(x) for x in flow._flatten(nc, "og")}
            added = [x for x in flow._flatten(m.condition, "og") if repr(ctx.normal(x, scheme)) not in national_parts]
            what = (" med " + ", ".join(f"«{_show(ctx, a)}»" for a in added)) if added else ""
            reads = flow.Reads(ctx.model, scheme)
            caps = sorted({dataflow_cap(r) for a in added
                           for r in reads.closure(a, stop=lambda c: c in ctx.national.computations)} - {None})
            for code, cap in caps or [("L012", "et lokalt krav")]:
                found.append(finding(code, f"{where} er strammet inn{what}: {cap} i et absolutt vilkår gir avslag "
                                           "uten skjønn", file, getattr(added[0] if added else m.condition, "span", None)
                                     or span))
        elif kind != "lik":
            found.append(finding("L011", f"{where} har en annen betingelse enn forskriften "
                                         f"(«{_show(ctx, n.condition)}» i grunnmodellen)",
                                 file, getattr(m.condition, "span", None) or span))
    return found


def dataflow_cap(r: flow.Read) -> tuple[str, str] | None:
    from boligregler.model.lint.dataflow import cap_of
    code, what = cap_of(r)
    return None if code == "L020" else (code, what)


def _reads_priority(ctx: Context, expr: Any, scheme: SchemeDef) -> bool:
    facts = flow.Reads(ctx.national, scheme).facts(expr)
    return any(f == p or f.startswith(p + ".") for f in facts for p in PRIORITY_FACTS)


def _show(ctx: Context, e: Any) -> str:
    """The source text of an expression when it has one, else a compact rendering."""
    span = getattr(e, "span", None)
    if span is not None and span.line == span.end_line:
        for f in ctx.files:
            lines = f.source.split("\n")
            if span.line <= len(lines):
                text = lines[span.line - 1][span.column - 1:span.end_column - 1]
                if text.strip():
                    return " ".join(text.split())
    return type(e).__name__


def check_outcome(ctx: Context) -> list[Diagnostic]:
    """Refusal only when an absolute criterion is not met: the outcome rule may not refuse on main rules."""
    found = []
    node = next((item.definition for f in ctx.files[1:] for item in f.items
                 if isinstance(item.definition, ast.Outcome)), None)
    for rule in ctx.model.outcome_rules:
        if rule.outcome == "avslag" and rule.kind != "absolutt":
            found.append(finding("L014", f"utfallsregelen gir avslag når et vilkår med art «{rule.kind}» ikke er "
                                         "oppfylt", ctx.leaf_file, node.span if node else None))
    national_absolute = {r.outcome for r in ctx.national.outcome_rules if r.kind == "absolutt"}
    if "avslag" in national_absolute and not any(r.outcome == "avslag" and r.kind == "absolutt"
                                                 for r in ctx.model.outcome_rules):
        found.append(finding("L014", "utfallsregelen gir ikke lenger avslag når et absolutt vilkår ikke er oppfylt",
                             ctx.leaf_file, node.span if node else None,
                             fix="behold «avslag når et absolutt vilkår ikke er oppfylt» i utfallsregelen"))
    return found
