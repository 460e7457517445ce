"""Facts a municipality adds to the søknad: what they are about, and whether they are used to exclude.

Every added field declares its category in its doc comment (`## kategori: økonomi`), from
`CATEGORIES`; a missing one is a warning (K001). A field is judged by use: if a criterion or a
computation compares it or branches on it (not merely adds it to an amount), and its name, doc
comment or values touch a ground protected by likestillings- og diskrimineringsloven § 6 or
nationality, it is flagged (L003 for nationality, L018 for the other grounds). Names are only the
last hint: a field about pensions from an EØS country that is only added to income is no finding.

National priority facts (særlige behov, children) may only count for the applicant: a municipal
criterion whose condition can turn from met to not met because the household has children or
special needs is L019.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, Iterator

from boligregler.diagnostics import Diagnostic, Severity
from boligregler.model import types as T
from boligregler.model.lint import flow
from boligregler.model.lint.rules import CATEGORIES, finding
from boligregler.model.lint.structure import Context
from boligregler.syntax import ast

NATIONALITY = re.compile(
    r"statsborg|nasjonal|nasjonalitet|opprinn|opphav|innvandr|oppholds|opphalds|fødeland|fødested|fødestad|"
    r"landbakgrunn|eøs|utenlandsk|utanlandsk|utland|norsk|norge|nordisk|norden|flyktning|asyl|citizen|"
    r"nationality|immigra|country|landkode|hjemland|heimland|herkomst|avstamming|morsmål|afrika|asia|midtøsten|"
    r"vestlig|innfødt", re.IGNORECASE)
PROTECTED = re.compile(
    r"kjønn|kjønnsidentitet|kjønnsuttrykk|kvinne|jente|gutt|gravid|svangerskap|permisjon|omsorgsoppg|"
    r"etnisk|etnisitet|hudfarge|rase|minoritet|samisk|kvensk|religi|livssyn|trussamfunn|trossamfunn|muslim|"
    r"kristen|jødisk|hindu|buddh|seksuell|legning|homofil|lesbisk|bifil|transperson|funksjonsnedsett|"
    r"funksjonshem|nedsatt_funksjon|funksjonsevne|handikap|diagnose|gender|religion|ethnic|kirke|kyrkje|moské|"
    r"menighet|fødselsår|fødselsdato|alder", re.IGNORECASE)
SHORT_PROTECTED = {"mann", "menn", "kvinne", "kvinner", "kvinnelig", "mannlig", "tru", "same", "samer"}
SHORT_NATIONALITY = {"pass", "land"}
USAKLIG = re.compile(r"gjeld_til_kommun|skyld_til_kommun|restanse|skylder_kommun", re.IGNORECASE)
CATEGORY = re.compile(r"kategori\s*:\s*([\wæøå]+)", re.IGNORECASE)
PRIORITY = ("husstand.særlige_behov", "husstand.barn")


def added_fields(ctx: Context) -> Iterator[tuple[str, T.FieldSpec]]:
    def walk(record: T.Record, prefix: str):
        for name, spec in record.fields.items():
            path = prefix + name
            if spec.origin and spec.origin != ctx.root:
                yield path, spec
            t = spec.type
            while isinstance(t, T.ListOf):
                t = t.element
            if isinstance(t, T.Record):
                yield from walk(t, path + ".")
    yield from walk(ctx.model.schema, "")


def _implied_category(path: str, spec: T.FieldSpec) -> str | None:
    """The category a field's place or type states: its national group, or økonomi for an amount."""
    group = path.split(".", 1)[0] if "." in path else None
    implied = {"bolig": "bolig", "tilknytning": "tilknytning", "husstand": "husstand", "skjønn": "saksbehandling",
               "inntekter": "økonomi", "faste_utgifter": "økonomi", "banklån": "økonomi"}
    if group in implied:
        return implied[group]
    t = spec.type
    if isinstance(t, T.Num) and t.unit in ("kr", "kr/mnd"):
        return "økonomi"
    return None


def _touches(pattern: re.Pattern, *texts: str) -> bool:
    return any(pattern.search(t) for t in texts if t)


def _touches_protected(*texts: str) -> bool:
    words = {w.lower() for t in texts if t for w in re.split(r"[^\wæøåÆØÅ]+|_", t)}
    return _touches(PROTECTED, *texts) or bool(words & SHORT_PROTECTED)


def _values(t: T.Type) -> tuple[str, ...]:
    while isinstance(t, (T.ListOf, T.SetOf)):
        t = t.element
    return t.values if isinstance(t, T.Enum) else ()


def deciding_in(ctx: Context, expr: Any) -> set[str]:
    """The facts one expression decides on (see `deciding_reads`)."""
    return set(_deciding(ctx, [(expr, ctx.leaf_file, False)]))


def deciding_reads(ctx: Context) -> dict[str, tuple[Any, str]]:
    """Facts that decide something: a side of a comparison or membership test, or a yes/no fact used as a
    condition (of a criterion, an exception, a branch or a filter). A fact only added into an amount is not."""
    exprs = []
    for scheme, _ in ctx.schemes():
        for c in scheme.criteria:
            exprs.append(([c.condition, c.relevance, *(x.condition for x in c.exceptions)], c.origin.file, True))
        for c in scheme.computations.values():
            exprs.append((c.expr, c.origin.file, isinstance(c.type, T.Bool)))
    return _deciding(ctx, exprs)


def _deciding(ctx: Context, exprs) -> dict[str, tuple[Any, str]]:
    out: dict[str, tuple[Any, str]] = {}
    schema = ctx.model.schema.fields

    def fact(e: Any, bound: dict[str, str]) -> str | None:
        if not isinstance(e, (ast.Name, ast.Attribute)):
            return None
        p = flow.path_of(e, bound)
        return p if p and p.split(".", 1)[0] in schema else None

    def visit(e: Any, bound: dict[str, str], file: str, condition: bool) -> None:
        if e is None or isinstance(e, flow.ATOMS):
            return
        if isinstance(e, (list, tuple)):
            for x in e:
                visit(x, bound, file, condition)
            return
        if condition and (p := fact(e, bound)):
            out.setdefault(p, (e, file))
        if isinstance(e, ast.Compare):
            sides = (e.left, e.right)
        elif isinstance(e, ast.Member):
            sides = (e.item, e.container)
        else:
            sides = ()
        for side in sides:
            if p := fact(side, bound):
                out.setdefault(p, (side, file))
        if isinstance(e, ast.Aggregate):
            visit(e.source, bound, file, False)
            inner = dict(bound)
            if e.var is not None:
                inner[e.var] = flow.path_of(e.source, bound) or f"<{e.var}>"
            visit(e.where, inner, file, True)
            visit(e.body, inner, file, e.kind in ("finnes", "alle"))
            return
        if isinstance(e, ast.Logical):
            visit([e.left, e.right], bound, file, True)
        elif isinstance(e, ast.Unary) and e.op == "ikke":
            visit(e.operand, bound, file, True)
        elif isinstance(e, ast.If):
            visit(e.condition, bound, file, True)
            visit([e.then, e.otherwise], bound, file, False)
        else:
            for c in ast.children(e):
                visit(c, bound, file, False)

    for e, file, condition in exprs:
        visit(e, {}, file, condition)
    return out


def check(ctx: Context) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    deciding = deciding_reads(ctx)
    file = ctx.leaf_file
    for path, spec in added_fields(ctx):
        name = path.rsplit(".", 1)[-1]
        values = _values(spec.type)
        m = CATEGORY.search(spec.doc or "")
        if m is None and _implied_category(path, spec) is not None:
            pass  # a field inside `bolig`, `tilknytning`, `husstand` or `skjønn`, or an amount, says what it is
        elif m is None or m.group(1).lower() not in CATEGORIES:
            found.append(finding(
                "K001", f"søknadsfeltet «{path}» sier ikke hva det gjelder"
                        + (f" («{m.group(1)}» er ikke en kategori)" if m else ""),
                file, None, severity=Severity.WARNING,
                notes=[f"kategorier: {', '.join(CATEGORIES)}"]))
        used = [p for p in deciding if p == path or p.startswith(path + ".")]
        if not used:
            continue
        node, where = deciding[used[0]]
        texts = (name, spec.doc or "", *values)
        words = {w.lower() for t in texts if t for w in re.split(r"[^\wæøåÆØÅ]+|_", t)}
        if _touches(NATIONALITY, *texts) or words & SHORT_NATIONALITY:
            found.append(finding("L003", f"søknadsfeltet «{path}» gjelder statsborgerskap, opprinnelse eller "
                                         "oppholdsgrunnlag og brukes til å skille mellom søkere",
                                 where, getattr(node, "span", None)))
        elif _touches_protected(*texts):
            found.append(finding("L018", f"søknadsfeltet «{path}» gjelder et diskrimineringsgrunnlag og brukes til å "
                                         "skille mellom søkere", where, getattr(node, "span", None)))
        elif _touches(USAKLIG, name, spec.doc or ""):
            found.append(finding("L018", f"søknadsfeltet «{path}» (gjeld til kommunen) er et usaklig kriterium for "
                                         "startlån (Husbankens veileder: kommunale retningslinjer må være saklige)",
                                 where, getattr(node, "span", None)))
    found.extend(check_priority(ctx))
    return found


# ---- national priority facts only count for the applicant ------------------------------------


def _priority_direction(atom: Any, ctx: Context) -> bool | None:
    """True if the atom holds when the household has priority (children, special needs), False if it holds
    when it has not, None if it does not read a priority fact or is not monotone in it."""
    p = flow.path_of(atom)
    if p == "husstand.særlige_behov":
        return True
    if isinstance(atom, ast.Compare):
        left = atom.left
        counts_children = (isinstance(left, ast.Name) and left.name == "antall_barn") or (
            isinstance(left, ast.Aggregate) and left.kind == "antall" and flow.path_of(left.source) == "husstand.barn")
        if counts_children and not _reads_priority(ctx, atom.right):
            zero = isinstance(atom.right, ast.Quantity) and atom.right.value == 0
            return {">": True, ">=": True, "<": False, "<=": False,
                    "=": False if zero else None, "!=": True if zero else None}.get(atom.op)
        if flow.path_of(left) == "husstand.særlige_behov" and isinstance(atom.right, ast.Boolean):
            return {"=": atom.right.value, "!=": not atom.right.value}.get(atom.op)
    return None


def _reads_priority(ctx: Context, e: Any) -> bool:
    for node in ast.walk(e):
        p = flow.path_of(node)
        if p and any(p == q or p.startswith(q + ".") for q in PRIORITY):
            return True
        if isinstance(node, ast.Name) and node.name == "antall_barn":
            return True
    return False


def check_priority(ctx: Context) -> list[Diagnostic]:
    found = []
    seen: set[int] = set()
    for scheme, _ in ctx.schemes():
        for c in scheme.criteria:
            if not ctx.municipal(c) or c.kind == "informasjon" or id(c) in seen:
                continue
            seen.add(id(c))
            if any(c.id == n.id for n in ctx.national.base_scheme.criteria):
                continue  # a restated national criterion: structure.py compares it
            cond = ctx.normal(c.condition, scheme)
            atoms = flow.atoms(cond)
            keys = [repr(a) for a in atoms]
            if len(atoms) > 12:
                continue
            for i, a in enumerate(atoms):
                if not _reads_priority(ctx, a):
                    continue
                direction = _priority_direction(a, ctx)
                against = direction is not None and _can_fail_by_priority(cond, keys, i, direction)
                if against:
                    found.append(finding("L019", f"{ctx.where(c, scheme)} kan bli ikke oppfylt fordi husstanden har "
                                                 "barn eller særlige behov", c.origin.file,
                                         getattr(a, "span", None) or c.origin.span))
                    break
    return found


def _can_fail_by_priority(cond: Any, keys: list[str], i: int, direction: bool) -> bool:
    """Whether moving atom i to the priority side can turn the condition from met to not met."""
    others = [k for j, k in enumerate(keys) if j != i]
    for bits in itertools.product((False, True), repeat=len(others)):
        v = dict(zip(others, bits))
        v[keys[i]] = not direction
        before = flow.truth(cond, v)
        v[keys[i]] = direction
        if before and not flow.truth(cond, v):
            return True
    return False
