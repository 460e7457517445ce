"""A checked policy as readable Norwegian: criteria, dated parameters, worked examples, changes.

The page is built as a small block document (`Heading`, `Paragraph`, `Table`, …) from the same
`CheckedPolicy`, explanation templates and evaluator that decide søknader, so it cannot drift
from what the library decides. `to_markdown` writes the blocks for MkDocs;
`boligregler.sphinx_ext` turns the same blocks into docutils nodes.

Text inside blocks ("inline markup") is a small Markdown subset: `**sterk**`, `*kursiv*`,
code between backticks, `[tekst](mål)` and backslash escapes. A link target is a URL, `#anker` on the same
page, or `regelverk:ID` / `regelverk:ID#anker` for another policy's page.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, localcontext
from typing import Any, Callable, Iterable, Sequence, Union

import attrs

from boligregler.diagnostics import BoligreglerError
from boligregler.evaluation import runtime
from boligregler.evaluation.decision import OUTCOME_WORDS, RESULT_LABELS, WORDS as EVALUATION_WORDS, Decision
from boligregler.evaluation.values import Ratio
from boligregler.explain.frame import målform
from boligregler.model import types as T
from boligregler.model.checker import names_in
from boligregler.model.loader import BASE_FOLDERS, shipped_base
from boligregler.model.policy import (
    CheckedPolicy, ComputeDef, CriterionDef, ExampleDef, ParameterDef, SchemeDef, TableDef,
)
from boligregler.money import CONTEXT, format_kr, format_number, format_percent
from boligregler.rendering import labels, national_nynorsk
from boligregler.rendering.markup import ENTITY_PATTERN, escape_markdown, safe_link_target, entity_char
from boligregler.rendering.text import AMOUNT_LABELS
from boligregler.rendering.words import say
from boligregler.syntax import ast

# ---- the block document ---------------------------------------------------------------


@attrs.frozen
class Heading:
    level: int
    text: str
    anchor: str | None = None


@attrs.frozen
class Paragraph:
    text: str
    anchor: str | None = None


@attrs.frozen
class BulletList:
    items: tuple[str, ...]
    ordered: bool = False


@attrs.frozen
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@attrs.frozen
class Admonition:
    """A highlighted box; `kind` is note, success, warning or failure."""

    kind: str
    title: str
    blocks: tuple["Block", ...]
    collapsible: bool = False


@attrs.frozen
class CodeBlock:
    language: str
    text: str


Block = Union[Heading, Paragraph, BulletList, Table, Admonition, CodeBlock]

_URL = re.compile(r"https?://[^\s«»\"<>]+[^\s«»\"<>.,;:!?)]")


def esc(text: object) -> str:
    """Plain text as inline markup: Markdown's special characters escaped, wherever the text is placed."""
    return escape_markdown(text)


def link(label: str, target: str) -> str:
    """A link; `label` is inline markup, `target` an http(s) URL, `#anker`, `side.md` or `regelverk:ID#anker`.
    Any other target (`javascript:`, a text with line breaks …) gives the label alone, not a link."""
    safe = safe_link_target(target)
    return f"[{label}]({safe})" if safe is not None else label


def autolink(text: str) -> str:
    """Plain text as inline markup, with every http(s) address turned into a link."""
    out, pos = [], 0
    for m in _URL.finditer(text):
        out += [esc(text[pos:m.start()]), link(esc(m.group()), m.group())]
        pos = m.end()
    return "".join(out) + esc(text[pos:])


_MARKUP = re.compile(r"\\(.)|\[((?:\\.|[^\]\\])*)\]\([^)]*\)|\*\*|\*|`|" + ENTITY_PATTERN)


def strip_markup(text: str) -> str:
    """Inline markup as plain text: links become their label, emphasis and escapes go."""
    def plain(m: re.Match) -> str:
        if m.group(1) is not None:
            return m.group(1)
        if m.group(2) is not None:
            return strip_markup(m.group(2))
        return entity_char(m.group(3)) if m.group(3) is not None else ""
    return _MARKUP.sub(plain, text)


def slug(*parts: str) -> str:
    """A stable ASCII anchor: `slug("vilkår", "bolig_i_kommunen")` → `vilkar-bolig-i-kommunen`."""
    text = "-".join(parts).lower()
    for a, b in (("æ", "ae"), ("ø", "o"), ("å", "a"), ("é", "e")):
        text = text.replace(a, b)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def to_markdown(blocks: Iterable[Block]) -> str:
    """Write blocks as Markdown for MkDocs (needs the attr_list, admonition, tables and details extensions)."""
    return "\n\n".join(_markdown_block(b) for b in blocks) + "\n"


def _markdown_inline(text: str) -> str:
    return re.sub(r"\]\(regelverk:([\w-]+)", r"](\1.md", text)


def _markdown_block(b: Block) -> str:
    match b:
        case Heading(level, text, anchor):
            return f"{'#' * level} {_markdown_inline(text)}" + (f" {{#{anchor}}}" if anchor else "")
        case Paragraph(text, anchor):
            return _markdown_inline(text) + (f"\n{{: #{anchor} }}" if anchor else "")
        case BulletList(items, ordered):
            return "\n".join(f"{f'{i}.' if ordered else '-'} {_markdown_inline(t)}" for i, t in enumerate(items, 1))
        case Table(header, rows):
            lines = [header, tuple("---" for _ in header), *rows]
            return "\n".join("| " + " | ".join(_markdown_inline(c).replace("\n", " ") or " " for c in row) + " |"
                             for row in lines)
        case Admonition(kind, title, blocks, collapsible):
            marker = "???" if collapsible else "!!!"
            body = "\n\n".join(_markdown_block(x) for x in blocks)
            return f'{marker} {kind} "{_markdown_inline(title).replace(chr(34), "&quot;")}"\n\n' + "\n".join(
                f"    {line}" if line else "" for line in body.split("\n"))
        case CodeBlock(language, text):
            fence = "`" * max([3, *(len(run) + 1 for run in re.findall(r"`{3,}", text))])
            return f"{fence}{language}\n{text.rstrip()}\n{fence}"
    raise TypeError(b)


# ---- values and expressions in words -------------------------------------------------------

UNIT_WORDS = {"kr": "kr", "kr/mnd": "kr/mnd", "%": "%", "prosentpoeng": "prosentpoeng", "år": "år",
              "måneder": "måneder", "mnd": "måneder"}
KIND_WORDS = {"absolutt": "absolutt vilkår", "hovedregel": "hovedregel", "informasjon": "informasjon"}
COMPARE_WORDS = {"=": "er", "!=": "er ikke", "<": "er under", "<=": "er høyst", ">": "er over", ">=": "er minst"}
ROUNDING_WORDS = {"ned": "rundet ned", "opp": "rundet opp", "halv_opp": "rundet av",
                  "halv_jevn": "rundet av (halvt mot partall)"}
_PRECEDENCE = {"eller": 1, "og": 2, "ikke": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def humanise(name: str) -> str:
    """An identifier as words: `faste_utgifter_sum` → `faste utgifter sum`."""
    return name.replace("_", " ")


def format_date(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y")


def format_value(value: Any, type_: T.Type | None, form: str = "bokmål") -> str:
    """A value of a policy type as plain Norwegian text in `form` (money as in vedtak, per month marked)."""
    if value is None:
        return say("ingen", form)
    if isinstance(value, Ratio):
        return f"{format_number(value.numerator)}/{format_number(value.denominator)}"
    if isinstance(value, frozenset):
        element = type_.element if isinstance(type_, T.SetOf) else None
        left_out = [v for v in (element.values if element else ()) if v not in value]
        if element and value and len(left_out) < len(value):
            return say("alle unntatt ", form) + _join([f"«{v}»" for v in left_out]) if left_out else say("alle", form)
        ordered = [v for v in element.values if v in value] if element else sorted(value)
        return _join([f"«{v}»" for v in ordered]) or say("ingen", form)
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, str):
        return f"«{value}»"
    if isinstance(type_, T.Num) and type_.unit == "kr/mnd":
        return format_kr(value, "kr/mnd")
    if isinstance(type_, T.Num) and type_.unit == "%" and isinstance(value, (int, Decimal)):
        return format_percent(value)  # two decimals, so a page's tables of rates line up (a letter writes «6,5 %»)
    if isinstance(value, (int, Decimal)):
        text = runtime.formatter(type_ if type_ is not None else T.Num("tall"))(value)
        return text.replace(" måneder", " " + say("måneder", form)) if form == "nynorsk" else text
    return str(value)


def _join(items: Sequence[str], word: str = "og") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _quantity(q: ast.Quantity, form: str = "bokmål") -> str:
    number = format_number(q.value)
    return f"{number}\u00a0{say(UNIT_WORDS.get(q.unit, q.unit), form)}" if q.unit else number


def _unit_phrase(q: ast.Quantity, form: str = "bokmål") -> str:
    if q.value == 1 and q.unit == "kr":
        return say("kroner", form)
    if q.value == 1 and q.unit == "kr/mnd":
        return say("kroner per måned", form)
    return _quantity(q, form)


class Describer:
    """Turns expressions of one policy into Norwegian inline markup.

    With `values` (computed values and parameters by name), `facts` (a validated søknad) and
    `evaluate` (the value of a sub-expression for that søknad), names and sums show their value in
    parentheses and a `hvis` shows only the branch taken: the expression worked out for one søknad.
    """

    def __init__(self, model: CheckedPolicy, scheme: SchemeDef | None = None, *,
                 values: dict[str, Any] | None = None, facts: dict | None = None,
                 evaluate: Callable[[ast.Expr], Any] | None = None, page: str = "", paths: bool = False):
        self.model = model
        self.page = page  # link prefix: "" on the policy's own page, `regelverk:ID` elsewhere
        self.scheme = scheme or model.base_scheme
        self.values, self.facts, self.evaluate = values, facts, evaluate
        self.form = målform(model)
        self.paths = paths  # name søknad fields by their paths (`bolig: kjøpesum`), for developers
        self.loop_vars: list[str] = []
        self.loop_lists: dict[str, str] = {}  # loop variable → the søknad list it runs over (`inntekter`)

    def t(self, text: str) -> str:
        """The renderer's own `text` in the policy's målform (`rendering.words`)."""
        return say(text, self.form)

    def describe(self, e: ast.Expr) -> str:
        return self._d(e)

    def template(self, tpl: ast.Template) -> str:
        """An explanation text with its holes shown as ⟨…⟩."""
        plain = Describer(self.model, self.scheme, paths=self.paths)

        def hole(e: ast.Expr) -> str:
            match e:  # «fra ⟨antall banker⟩»: a count written out with its noun is named by the noun
                case ast.Call("antall_tekst", (_, _, ast.Text(plural))):
                    return f"antall {plural}"
            return strip_markup(plain.describe(e))
        return "".join(esc(p) if isinstance(p, str) else f"*⟨{esc(hole(p))}⟩*" for p in tpl.parts)

    def _wrap(self, e: ast.Expr, parent: int) -> str:
        e = self._resolved(e)
        text = self._d(e)
        return f"({text})" if _precedence(e) < parent else text

    def _resolved(self, e: ast.Expr) -> ast.Expr:
        """A `hvis` replaced by the branch this søknad takes, as far as that is known."""
        while isinstance(e, ast.If):
            taken = self._taken(e.condition)
            if taken is None:
                break
            e = e.then if taken else e.otherwise
        return e

    def _d(self, e: ast.Expr) -> str:
        match e:
            case ast.Quantity():
                return esc(_quantity(e, self.form))
            case ast.Text(value):
                scheme = self.model.schemes.get(value)  # `ordning = "eie_først"`: the scheme by its title
                return esc(f"«{scheme.title if scheme is not None else _choice(value)}»")
            case ast.DateLiteral(value):
                return format_date(value)
            case ast.Boolean(value):
                return "ja" if value else "nei"
            case ast.NoneLiteral():
                return self.t("ingen")
            case ast.Name(name):
                return self.name(name)
            case ast.Attribute():
                return self.attribute(e)
            case ast.Lookup(table, keys):
                return f"{self._d(table)} for {' og '.join(self._d(k) for k in keys)}"
            case ast.Call(function, args):
                return self.call(function, args)
            case ast.Unary("ikke", operand):
                return f"{self.t('ikke')} {self._wrap(operand, _PRECEDENCE['ikke'])}"
            case ast.Unary(_, operand):
                return f"−{self._wrap(operand, _PRECEDENCE['neg'])}"
            case ast.Binary(op, left, right):
                p = _PRECEDENCE[op]
                symbol = {"+": "+", "-": "−", "*": "×", "/": "/"}[op]
                return f"{self._wrap(left, p)} {symbol} {self._wrap(right, p + (op in '-/'))}"
            case ast.Compare(op, left, right):
                p = _PRECEDENCE["compare"] + 1
                return f"{self._wrap(left, p)} {self.t(COMPARE_WORDS[op])} {self._wrap(right, p)}"
            case ast.Logical(op, left, right):
                return f"{self._logical_side(left, op)} {op} {self._logical_side(right, op)}"
            case ast.Member(item, ast.ListLiteral(items)):
                return f"{self._wrap(item, 5)} er {_join([self._d(x) for x in items], 'eller')}"
            case ast.Member(item, container):
                return f"{self._wrap(item, 5)} {self.t('er blant')} {self._d(container)}"
            case ast.If(cond, then, otherwise):
                taken = self._resolved(e)
                if taken is not e:
                    return self._d(taken)
                return self.t("hvis {c}, så {t}, ellers {o}").format(
                    c=self._d(cond), t=self._d(then), o=self._d(otherwise))
            case ast.ListLiteral(items):
                return _join([self._d(x) for x in items])
            case ast.Aggregate():
                return self.aggregate(e)
        raise TypeError(e)

    def _logical_side(self, e: ast.Expr, op: str) -> str:
        text = self._d(e)
        mixed = isinstance(e, ast.Logical) and e.op != op
        return f"({text})" if mixed or isinstance(e, ast.If) else text

    def _taken(self, cond: ast.Expr) -> bool | None:
        """Which branch of a `hvis` this søknad takes, when known (never inside a `for hver`)."""
        value = self._evaluated(cond)
        return None if value is None else bool(value)

    def _evaluated(self, e: ast.Expr) -> Any:
        if self.evaluate is None or self.loop_vars:
            return None
        try:
            return self.evaluate(e)
        except BoligreglerError:
            return None

    def name(self, name: str) -> str:
        if name in self.loop_vars:
            return f"*{esc(name)}*"
        if name in self.scheme.computations:
            return link(esc(self.label(name)), f"{self.page}#{anchor('beregn', name, self.scheme)}") + self._value(
                name, self.scheme.computations[name].type)
        if name in self.model.parameters:
            return link(esc(self.label(name)), f"{self.page}#{slug('parameter', name)}") + self._value(
                name, self.model.parameters[name].type)
        if name in self.model.tables:
            return link(esc(self.label(name)), f"{self.page}#{slug('tabell', name)}")
        if name == "tilbudte_ordninger":
            return link(self.t("ordningene kommunen tilbyr"), f"{self.page}#ordninger")
        if name == "utfall":
            return self.t("utfallet")
        spec = self.model.schema.fields.get(name)
        return f"*{esc(self.field((name,)))}*" + self._fact((name,), spec.type if spec else None)

    def field(self, path: Sequence[str]) -> str:
        """A søknad field's name in words (`labels.field`); `path` may start with a loop variable."""
        if self.paths:
            return ": ".join(humanise(p) for p in path)
        if path[0] in self.loop_lists:
            path = (*self.loop_lists[path[0]].split("."), *path[1:])
        spec = _field_spec(self.model.schema, path)
        return labels.field(".".join(path), spec.doc if spec is not None else "", self.form)

    def _list_of(self, e: ast.Expr) -> str | None:
        """The path of the søknad list `e` names (`husstand.barn`), or None."""
        path: list[str] = []
        while isinstance(e, ast.Attribute):
            path.insert(0, e.name)
            e = e.obj
        if not isinstance(e, ast.Name) or e.name in self.loop_vars:
            return None
        path.insert(0, e.name)
        return ".".join(path) if isinstance(_field_type(self.model.schema, path), T.ListOf) else None

    def label(self, name: str) -> str:
        """A computation's, parameter's or table's name inside a sentence (`labels.inline`)."""
        return inline_label(self.model, name, self.scheme)

    def attribute(self, e: ast.Attribute) -> str:
        path = [e.name]
        obj: ast.Expr = e.obj
        while isinstance(obj, ast.Attribute):
            path.insert(0, obj.name)
            obj = obj.obj
        if not isinstance(obj, ast.Name):
            return f"{esc(humanise(e.name))} av {self._d(e.obj)}"
        path.insert(0, obj.name)
        label = f"*{esc(self.field(path))}*"
        if obj.name in self.loop_vars:
            return label
        return label + self._fact(tuple(path), _field_type(self.model.schema, path))

    def _value(self, name: str, type_: T.Type) -> str:
        if self.values is None or name not in self.values:
            return ""
        return f" ({esc(format_value(self.values[name], type_, self.form))})"

    def _fact(self, path: tuple[str, ...], type_: T.Type | None) -> str:
        if self.facts is None or isinstance(type_, (T.ListOf, T.Record)):
            return ""
        value: Any = self.facts
        for part in path:
            if not isinstance(value, dict) or part not in value:
                return ""
            value = value[part]
        return f" ({esc(format_value(value, type_, self.form))})"

    def call(self, function: str, args: tuple[ast.Expr, ...]) -> str:
        a = [self._d(x) for x in args] if function not in ("avrund",) else []
        rate = ""
        if function in ("annuitet", "nåverdi", "månedsrente", "lån_for_rente") and len(args) > 1:
            named = isinstance(args[1], ast.Name) and "rente" in args[1].name
            rate = self.t("med {rate}" if named else "med renten {rate}").format(rate=a[1])
        t = self.t
        match function, args:
            case "maks", _:
                return f"{t('det største av')} {_join(a)}" if len(a) > 1 else a[0]
            case "min", _:
                return f"{t('det minste av')} {_join(a)}" if len(a) > 1 else a[0]
            case "annuitet", (_, _, _):
                return t("terminbeløpet for {a} over {n} {rate}").format(a=a[0], n=a[2], rate=rate)
            case "nåverdi", (_, _, _):
                return t("nåverdien av {a} per måned over {n} {rate}").format(a=a[0], n=a[2], rate=rate)
            case "månedsrente", (_, _):
                return t("månedsrenten på {a} {rate}").format(a=a[0], rate=rate)
            case "lån_for_rente", (_, _):
                return t("lånet som gir {a} i månedsrente {rate}").format(a=a[0], rate=rate)
            case "avrund", (value, ast.Quantity() as unit, ast.Name(mode)):
                words = t(ROUNDING_WORDS[mode]) if mode in ROUNDING_WORDS else f"rundet ({mode})"
                return f"{self._wrap(value, 1)}, {words} {t('til hele')} {esc(_unit_phrase(unit, self.form))}"
            case "antall_tekst", (_, _, ast.Text(plural)):
                return f"{a[0]} {esc(plural)}"
            case "oppgitt", (x,):
                return t("{a} er oppgitt").format(a=a[0] if self.facts is None else
                                                  Describer(self.model, self.scheme, paths=self.paths).describe(x))
        return f"{esc(function)}({', '.join(a)})"

    def aggregate(self, e: ast.Aggregate) -> str:
        text = self._aggregate(e)
        value = self._evaluated(e)
        if value is None:
            return text
        return f"{text} ({esc(format_value(value, self.model.expr_types.get(id(e)), self.form))})"

    def _aggregate(self, e: ast.Aggregate) -> str:
        source = self._d(e.source)
        if e.var is None:
            return self.t("antall {source}").format(source=source)
        listed = None if self.paths else self._list_of(e.source)
        items = labels.list_items(listed, self.form) if listed is not None else None
        self.loop_vars.append(e.var)
        if listed is not None:
            self.loop_lists[e.var] = listed
        try:
            t = self.t
            where = t(" der {w}").format(w=self._d(e.where)) if e.where is not None else ""
            if items is not None:  # the list's items in words: «for hvert barn i husstanden»
                every, some = (f"*{esc(x)}*" for x in items)
                match e.kind:
                    case "sum":
                        return t("summen av {body} for {every}{where}").format(body=self._d(e.body), every=every, where=where)
                    case "antall":
                        return t("antall {source}{where}").format(source=source, where=where)
                    case "finnes":
                        return t("det finnes {some}{where}").format(some=some, where=where)
                return t("{every} oppfyller at {w}").format(every=every, w=self._d(e.where))
            var = f"*{esc(e.var)}*"
            match e.kind:
                case "sum":
                    return f"summen av {self._d(e.body)} for hver {var} i {source}{where}"
                case "antall":
                    return f"antall {var} i {source}{where}"
                case "finnes":
                    return f"det finnes en {var} i {source}{where}"
            return f"hver {var} i {source} oppfyller at {self._d(e.where)}"
        finally:
            self.loop_vars.pop()
            self.loop_lists.pop(e.var, None)


def _definition(model: CheckedPolicy, name: str, scheme: SchemeDef | None = None) -> Any:
    scheme = scheme or model.base_scheme
    return scheme.computations.get(name) or model.parameters.get(name) or model.tables.get(name)


def label(model: CheckedPolicy, name: str, scheme: SchemeDef | None = None) -> str:
    """The reader-facing name of a computation, parameter or table (`boligregler.rendering.labels`)."""
    return labels.label(name, national_nynorsk.doc(model, _definition(model, name, scheme)), målform(model))


def inline_label(model: CheckedPolicy, name: str, scheme: SchemeDef | None = None) -> str:
    return labels.inline(name, national_nynorsk.doc(model, _definition(model, name, scheme)), målform(model))


def _documented_as(head: str, name: str, doc: str) -> str:
    """`head` followed by the doc comment, without the opening phrase that became the label."""
    return _documented(head, labels.doc_rest(name, doc))


def anchor(kind: str, name: str, scheme: SchemeDef | None = None) -> str:
    """The anchor of a definition; one a scheme defines itself is placed under that scheme."""
    if scheme is not None and scheme.id and name in scheme.own:
        return slug(kind, scheme.id, name)
    return slug(kind, name)


def _precedence(e: ast.Expr) -> int:
    match e:
        case ast.Logical(op):
            return _PRECEDENCE[op]
        case ast.Unary("ikke"):
            return _PRECEDENCE["ikke"]
        case ast.Compare() | ast.Member():
            return _PRECEDENCE["compare"]
        case ast.Binary(op):
            return _PRECEDENCE[op]
        case ast.If() | ast.Aggregate() | ast.Call("maks" | "min" | "avrund"):
            return 0
        case ast.Call():
            return 1  # a phrase such as «nåverdien av …»: bracketed inside arithmetic only
    return 10


def _field_spec(schema: T.Record, path: Sequence[str]) -> T.FieldSpec | None:
    """The schema's field at `path`, through lists to their items (`inntekter.type`)."""
    record: T.Type = schema
    spec = None
    for part in path:
        if isinstance(record, T.ListOf):
            record = record.element
        if not isinstance(record, T.Record) or part not in record.fields:
            return None
        spec = record.fields[part]
        record = spec.type
    return spec


def _field_type(schema: T.Record, path: Sequence[str]) -> T.Type | None:
    if not path:
        return schema
    spec = _field_spec(schema, path)
    return spec.type if spec is not None else None


def type_words(t: T.Type, form: str = "bokmål") -> str:
    match t:
        case T.Num(unit):
            return say(UNIT_WORDS.get(unit, unit), form)
        case T.Bool():
            return "ja/nei"
        case T.SetOf(element):
            return f"mengde av {element.name}"
        case T.Text():
            return "tekst"
        case T.Date():
            return "dato"
    return T.describe(t)


# ---- changes relative to the base -------------------------------------------------------------


@attrs.frozen
class Change:
    """One difference between a policy and the policy it builds on, as inline markup."""

    section: str  # a section of `boligregler.model.diff.compare`: parametre, beregninger, vilkår, …
    action: str  # lagt_til | endret | fjernet
    name: str
    text: str


def policy_changes(model: CheckedPolicy, base: CheckedPolicy) -> list[Change]:
    """What `model` adds, changes or removes relative to `base`, found by `boligregler.model.diff.compare`."""
    from boligregler.model.diff import compare

    diff = compare(base, model)
    plain, base_plain = Describer(model), Describer(base)
    form = målform(model)
    out: list[Change] = []

    def latest(p: ParameterDef) -> str:
        v = p.values[-1]
        return say("{value} fra {date}", form).format(value=esc(format_value(v.value, p.type, form)),
                                                      date=format_date(v.valid_from))

    for section, entries in diff.sections.items():
        for e in entries:
            action = e.get("endring", "endret")
            name = str(e.get("navn") or e.get("id") or e.get("felt") or e.get("nøkkel") or section)
            text = _change_text(section, action, name, e, model, base, plain, base_plain, latest)
            if text is not None:
                out.append(Change(section, action, name, text))
    return out


def _change_text(section: str, action: str, name: str, e: dict, model: CheckedPolicy, base: CheckedPolicy,
                 plain: Describer, base_plain: Describer, latest: Callable[[ParameterDef], str]) -> str | None:
    form = målform(model)
    before = say("i {base}", form).format(base=esc(_origin(model, base.id)))
    match section:
        case "regelverk":
            return None  # name, kommune, source and date naturally differ
        case "parametre":
            here = link(esc(inline_label(model, name)), f"#{slug('parameter', name)}") if name in model.parameters \
                else f"*{esc(inline_label(base, name))}*"
            if action == "lagt_til":
                return f"{here}: {latest(model.parameters[name])}"
            if action == "fjernet":
                return f"{here} ({before}: {latest(base.parameters[name])})"
            return f"{here}: {latest(model.parameters[name])} ({before}: {latest(base.parameters[name])})"
        case "tabeller":
            return link(esc(inline_label(model, name)), f"#{slug('tabell', name)}") if name in model.tables \
                else f"*{esc(inline_label(base, name))}*"
        case "beregninger":
            if action == "fjernet":
                return f"*{esc(inline_label(base, name))}* ({before}: {base_plain.describe(base.computations[name].expr)})"
            here = f"{link(esc(inline_label(model, name)), '#' + slug('beregn', name))} = " \
                   f"{plain.describe(model.computations[name].expr)}"
            return here if action == "lagt_til" else \
                f"{here} ({before}: {base_plain.describe(base.computations[name].expr)})"
        case "vilkår":
            c = next((x for x in model.criteria if x.id == name), None)
            if c is None:
                old = next(x for x in base.criteria if x.id == name)
                return f"*{esc(old.title)}*"
            text = f"{link(esc(c.title), '#' + slug('vilkår', c.id))} ({esc(say(KIND_WORDS[c.kind], form))})"
            fields = [humanise(str(f["felt"])) for f in e.get("felter", [])]
            fields += [say("unntak {x}", form).format(x=u["bokstav"]) for u in e.get("unntak", [])] if action == "endret" else []
            return text + (say(": endret {fields}", form).format(fields=esc(_join(fields))) if fields else "")
        case "ordninger":
            title = esc(e.get("tittel") or name)
            return link(title, f"#{slug('ordning', name)}") if name in model.schemes else f"*{title}*"
        case "betingelser":
            return esc(e.get("nå") or e.get("før") or name)
        case "søknadsfelt":
            spec = _field_spec(model.schema, name.split("."))
            words = labels.field(name, spec.doc if spec is not None else "", form)
            return f"*{esc(words)}*" + (f": {esc(e['nå'])}" if e.get("nå") else "")
        case "utfall":
            return outcome_sentence(model)
        case "vedtak":
            return f"*{esc(humanise(name))}*"
    return esc(name)


CHANGE_HEADINGS = {
    "vilkår": "vilkår", "parametre": "parametre", "beregninger": "beregninger", "tabeller": "tabeller",
    "ordninger": "ordninger", "betingelser": "betingelser i vedtaket", "søknadsfelt": "opplysninger i søknaden",
    "utfall": "utfallsregel", "vedtak": "beløp i vedtaket",
}
ACTION_WORDS = {"lagt_til": "Egne", "endret": "Endrede", "fjernet": "Fjernede"}


def changes_blocks(changes: Sequence[Change], model: CheckedPolicy, base: CheckedPolicy) -> list[Block]:
    form = målform(model)
    where = esc(_place(model))
    base_link = link(esc(base.header.get("navn", base.id)), f"regelverk:{base.id}")
    if not changes:
        return [Paragraph(say("{place} følger {base} uten endringer.", form).format(place=where, base=base_link))]
    blocks: list[Block] = [Paragraph(say("{place} bygger på {base} og følger de reglene, bortsett fra dette:", form)
                                     .format(place=where, base=base_link))]
    groups: dict[str, list[str]] = {}
    for c in changes:
        title = (f"{say(ACTION_WORDS.get(c.action, c.action), form)} "
                 f"{say(CHANGE_HEADINGS.get(c.section, c.section), form)}")
        groups.setdefault(title, []).append(c.text)
    for title, items in groups.items():
        blocks += [Paragraph(f"**{esc(title)}**"), BulletList(tuple(items))]
    return blocks


def _place(model: CheckedPolicy) -> str:
    return str(model.header.get("kommune") or model.header.get("navn") or model.id)


def _own(model: CheckedPolicy, definition: Any) -> bool:
    """Whether `definition` (a parameter, computation, criterion, scheme or None) is a local rule of `model`:
    written in it, where it builds on another policy."""
    return (definition is not None and definition.origin is not None and definition.origin.policy == model.id
            and len(model.chain) > 1)


def _origin(model: CheckedPolicy, policy_id: str) -> str:
    """The policy of `model`'s chain that wrote a definition, by name: the kommune, or the national rules."""
    if policy_id == model.id:
        return _place(model)
    if policy_id == model.chain[0]:
        return say("de nasjonale reglene", målform(model))
    return humanise(policy_id).capitalize()


def _short_place(model: CheckedPolicy) -> str:
    return re.sub(r" kommune$", "", _place(model))


# ---- the policy page --------------------------------------------------------------------------


def outcome_sentence(model: CheckedPolicy) -> str:
    form = målform(model)
    t = lambda text: say(text, form)  # noqa: E731
    parts = [t("{outcome} når en {kind} ikke er oppfylt" if r.kind == "hovedregel" else
               "{outcome} når et {kind} ikke er oppfylt").format(
        outcome=f"**{t(OUTCOME_WORDS.get(r.outcome, r.outcome))}**", kind=esc(t(KIND_WORDS.get(r.kind, r.kind))))
        for r in model.outcome_rules]
    default = t("ellers {outcome}").format(outcome=f"**{t(OUTCOME_WORDS.get(model.outcome_default, model.outcome_default))}**")
    return t("Søknaden blir ") + "; ".join([*parts, default]) + "."


def _kind_effect(model: CheckedPolicy, kind: str) -> str:
    rule = next((r for r in model.outcome_rules if r.kind == kind), None)
    form = målform(model)
    if rule is None:
        return say("avgjør ikke utfallet, men forklares i vedtaket", form)
    return say("ikke oppfylt: søknaden blir {outcome}", form).format(
        outcome=say(OUTCOME_WORDS.get(rule.outcome, humanise(rule.outcome)), form))


def _doc_paragraphs(doc: str) -> list[Paragraph]:
    return [Paragraph(autolink(" ".join(chunk.split()))) for chunk in re.split(r"\n\s*\n", doc) if chunk.strip()]


def _documented(head: str, doc: str) -> str:
    """A definition's head followed by its documentation, on one line."""
    doc = " ".join(doc.split())
    return head + (f": {autolink(doc)}" if doc else "")


def _hjemmel(text: str, url: str | None) -> str:
    return link(esc(text), url) if url else autolink(text)


def summary_blocks(model: CheckedPolicy) -> list[Block]:
    """«Kort fortalt»: which criteria decide the outcome, in the order the outcome rule applies them."""
    blocks: list[Block] = [Paragraph(
        f"En søknad om startlån etter dette regelverket vurderes mot vilkårene nedenfor. {outcome_sentence(model)}")]
    items = []
    for r in model.outcome_rules:
        criteria = [c for c in model.criteria if c.kind == r.kind]
        if criteria:
            names = _join([link(esc(c.title), "#" + slug("vilkår", c.id)) for c in criteria])
            items.append(f"Søknaden blir **{OUTCOME_WORDS.get(r.outcome, r.outcome)}** hvis ett av disse ikke er "
                         f"oppfylt: {names}.")
    decided = {r.kind for r in model.outcome_rules}
    info = [c for c in model.criteria if c.kind not in decided]
    if info:
        items.append("Disse punktene avgjør ikke saken, men forklares i vedtaket: "
                     + _join([link(esc(c.title), "#" + slug("vilkår", c.id)) for c in info]) + ".")
    items.append("Hvor mye husstanden kan låne, følger av [beregningen](#beregning); "
                 "[eksemplene](#eksempler) viser den regnet ut for konkrete familier.")
    blocks.append(BulletList(tuple(items), ordered=True))
    return blocks


def criterion_blocks(model: CheckedPolicy, c: CriterionDef, level: int, scheme: SchemeDef | None = None) -> list[Block]:
    d = Describer(model, scheme)
    t = d.t
    blocks: list[Block] = [Heading(level, esc(c.title), anchor("vilkår", c.id, scheme))]
    facts = [f"{t('**Art:**')} {esc(t(KIND_WORDS[c.kind]))} ({esc(_kind_effect(model, c.kind))})",
             f"{t('**Hjemmel:**')} {_hjemmel(c.hjemmel, c.lenke)}"]
    if _own(model, c):
        facts.append(t("**Lokal regel** i {place}").format(place=esc(_place(model))))
    blocks.append(BulletList(tuple(facts)))
    blocks += _doc_paragraphs(c.doc)
    if c.relevance is not None:
        blocks.append(Paragraph(t("**Gjelder bare når** {c}.").format(c=d.describe(c.relevance))))
    if isinstance(c.condition, ast.Boolean) and c.condition.value:
        blocks.append(Paragraph(t("**Alltid oppfylt:** vilkåret forklarer bare hvordan saken er vurdert.")))
    else:
        blocks.append(Paragraph(t("**Oppfylt når** {c}.").format(c=d.describe(c.condition))))
    if c.exceptions:
        blocks.append(Paragraph(t("**Unntak:** vilkåret regnes også som oppfylt når ett av disse gjelder:")))
        items = []
        for e in c.exceptions:
            text = f"**{esc(e.letter)})** {esc(e.title)}: " + t("når {c}.").format(c=d.describe(e.condition))
            if e.hjemmel:
                text += t(" Hjemmel: {h}.").format(h=_hjemmel(e.hjemmel, c.lenke))
            items.append(text)
        blocks.append(BulletList(tuple(items)))
    texts = [f"*{esc(t(RESULT_LABELS.get(r, r))).capitalize()}:* «{d.template(x)}»" for r, x in c.explanations.items() if x]
    texts += [f"*{t('Unntak {x}:').format(x=esc(e.letter))}* «{d.template(e.explanation)}»"
              for e in c.exceptions if e.explanation]
    texts += [f"*{t('Unntak {x} gjelder ikke:').format(x=esc(e.letter))}* «{d.template(e.not_applied)}»"
              for e in c.exceptions if e.not_applied]
    if texts:
        blocks += [Paragraph(t("Slik forklares resultatet i vedtaket (⟨…⟩ fylles inn for hver søknad):")),
                   BulletList(tuple(texts))]
    return blocks


def computation_order(model: CheckedPolicy, names: Iterable[str], scheme: SchemeDef | None = None,
                      reference: Sequence[str] = ()) -> list[str]:
    """`names` with every computation after those it uses; otherwise in `reference` order, then the policy's."""
    scheme = scheme or model.base_scheme
    wanted = list(dict.fromkeys(names))
    rank = {n: i for i, n in enumerate(dict.fromkeys([*reference, *scheme.computations]))}
    deps = {n: {m for m in names_in(scheme.computations[n].expr) if m in wanted and m != n} for n in wanted}
    done: list[str] = []
    while len(done) < len(wanted):
        ready = [n for n in wanted if n not in done and deps[n] <= set(done)]
        if not ready:  # a cycle (the checker reports it); keep the rest in rank order
            ready = [n for n in wanted if n not in done]
        done.append(min(ready, key=lambda n: rank.get(n, len(rank))))
    return done


def computation_blocks(model: CheckedPolicy, scheme: SchemeDef, names: Sequence[str]) -> list[Block]:
    d = Describer(model, scheme)
    blocks: list[Block] = []
    for name in names:
        c: ComputeDef = scheme.computations[name]
        doc = national_nynorsk.doc(model, c)
        head = f"**{esc(labels.label(name, doc, d.form))}** ({esc(type_words(c.type, d.form))})"
        if _own(model, c):
            head += d.t(" · lokal regel i {place}").format(place=esc(_place(model)))
        blocks.append(Paragraph(_documented_as(head, name, doc), anchor("beregn", name, scheme)))
        blocks.append(Paragraph(f"{esc(labels.label(name, doc, d.form))} = {d.describe(c.expr)}"))
    return blocks


def parameter_blocks(model: CheckedPolicy, p: ParameterDef) -> list[Block]:
    form = målform(model)
    doc = national_nynorsk.doc(model, p)
    head = f"**{esc(labels.label(p.name, doc, form))}** ({esc(type_words(p.type, form))})"
    if len(model.chain) > 1:
        head += say(" · fastsatt i {place}", form).format(place=esc(_origin(model, p.origin.policy)))
    rows = tuple((esc(format_value(v.value, p.type, form)), format_date(v.valid_from),
                  autolink(national_nynorsk.source(model, p, v.source) or "–")) for v in p.values)
    return [Paragraph(_documented_as(head, p.name, doc), slug("parameter", p.name)),
            Table(tuple(say(h, form) for h in ("Verdi", "Gjelder fra", "Kilde")), rows)]


def table_blocks(model: CheckedPolicy, t: TableDef) -> list[Block]:
    form = målform(model)
    kind = say("{type} etter {key}", form).format(type=esc(type_words(t.value_type, form)), key=esc(t.keys_in_words))
    doc = national_nynorsk.doc(model, t)
    head = f"**{esc(labels.label(t.name, doc, form))}** ({kind})"
    if len(model.chain) > 1:
        head += say(" · fastsatt i {place}", form).format(place=esc(_origin(model, t.origin.policy)))
    blocks: list[Block] = [Paragraph(_documented_as(head, t.name, doc), slug("tabell", t.name))]
    for v in t.versions:
        blocks.append(Paragraph(say("Gjelder fra {date}. Kilde: {source}", form).format(
            date=format_date(v.valid_from), source=autolink(national_nynorsk.source(model, t, v.source) or "–"))))
        blocks.append(_version_table(t, v, form))
    return blocks


def _version_table(t: TableDef, v, form: str = "bokmål") -> Table:
    """One version as a table: a key column and the values; with two keys a matrix (the first key down,
    the second across) when the rows form one, else a column per key."""
    names = [esc(humanise(n)) for n in t.key_names]
    grid = v.grid()
    if grid is not None:
        firsts, seconds, cells = grid
        header = (f"{names[0].capitalize()} ↓ · {names[1]} →", *(esc(_table_key(k, form)) for k in seconds))
        # the first key in bold: a row header (`site.html` gives it scope="row")
        return Table(header, tuple((f"**{esc(_table_key(a, form))}**",
                                    *(esc(format_value(cells[a, b], t.value_type, form)) for b in seconds))
                                   for a in firsts))
    rows = tuple((*(esc(_table_key(k, form)) for k in keys), esc(format_value(value, t.value_type, form)))
                 for keys, value in v.rows)
    return Table((*(n.capitalize() for n in names), say("Verdi", form)), rows)


def _table_key(key: Any, form: str = "bokmål") -> str:
    if isinstance(key, tuple):
        if key[1] is None:
            return f"{format_number(key[0])} {say('og over', form)}"
        if key[0] == key[1]:
            return format_number(key[0])
        return f"{format_number(key[0])}–{format_number(key[1])}"
    return str(key)


def scheme_blocks(model: CheckedPolicy, s: SchemeDef) -> list[Block]:
    t = lambda text: say(text, målform(model))  # noqa: E731
    blocks: list[Block] = [Heading(3, esc(s.title), slug("ordning", s.id))]
    blocks += _doc_paragraphs(s.doc)
    blocks.append(Paragraph(t("Reglene her gjelder søknader om «{title}».").format(title=esc(s.title))))
    own_criteria = [c for c in s.criteria if c.id in s.own]
    own_computations = [n for n in s.computations if n in s.own]
    removed = [c.id for c in model.criteria if c.id not in {x.id for x in s.criteria}]
    if not (own_criteria or own_computations or removed):
        blocks.append(Paragraph(t("Ordningen bruker vilkårene og beregningen ovenfor uten endringer.")))
    for c in own_criteria:
        blocks += criterion_blocks(model, c, 4, s)
    if own_computations:
        blocks.append(Paragraph(t("**Egen beregning i ordningen:**")))
        blocks += computation_blocks(model, s, computation_order(model, own_computations, s))
    if removed:
        blocks.append(Paragraph(t("Disse vilkårene gjelder ikke i ordningen: ")
                                + _join([link(esc(_criterion_title(model, r)), "#" + slug("vilkår", r))
                                         for r in removed]) + "."))
    own_conditions = [c for c in s.conditions if c.id in s.own]
    if own_conditions:
        blocks += [Paragraph(t("**Betingelser i vedtaket:**")), BulletList(tuple(esc(c.text) for c in own_conditions))]
    return blocks


def _choice(value: str) -> str:
    """A choice such as `eie_først` as words (an identifier is never shown)."""
    return value.replace("_", " ").capitalize() if "_" in value else value


def _criterion_title(model: CheckedPolicy, cid: str) -> str:
    return next((c.title for c in model.criteria if c.id == cid), humanise(cid))


# ---- worked examples ----------------------------------------------------------------------------


@attrs.frozen
class WorkedStep:
    name: str
    label: str
    formula: str  # inline markup, with the values of this søknad
    result: str


@attrs.frozen
class WorkedExample:
    example: ExampleDef
    decision: Decision | None
    facts: dict | None
    steps: tuple[WorkedStep, ...]
    mismatches: tuple[str, ...]
    error: str | None = None


def work_example(policy: Any, example: ExampleDef, reference: Sequence[str] = ()) -> WorkedExample:
    """Evaluate an example with the library and lay out every computed value in calculation order.

    `policy` is a `boligregler.api.Policy`; `reference` orders independent steps (the root baseline's
    computation order, so every kommune's steps follow beregning.md).
    """
    from boligregler.testing import compare

    try:
        facts = policy.validate(example.input or {})
        decision = policy.evaluate_facts(facts)
    except BoligreglerError as e:
        return WorkedExample(example, None, None, (), (), str(e))
    model = policy.model
    program = policy.program(decision.ordning)
    scheme = program.scheme
    memo: dict[str, Any] = {runtime.DATE_KEY: facts["søknadsdato"]}
    for name, value in decision.values.items():
        memo[("c:" if name in scheme.computations else "p:") + name] = value

    def evaluate(expr: ast.Expr) -> Any:
        with localcontext(CONTEXT):
            return policy.expression(expr, decision.ordning)(memo, facts)

    describer = Describer(model, scheme, values=decision.values, facts=facts, evaluate=evaluate)
    computed = [n for n in decision.values if n in scheme.computations]
    steps = []
    for name in computation_order(model, computed, scheme, reference):
        c = scheme.computations[name]
        steps.append(WorkedStep(name, labels.label(name, national_nynorsk.doc(model, c), describer.form),
                                describer.describe(c.expr),
                                format_value(decision.values[name], c.type, describer.form)))
    mismatches = tuple(compare(example.expected or {}, decision.to_dict()))
    return WorkedExample(example, decision, facts, tuple(steps), mismatches)


def _input_items(model: CheckedPolicy, record: T.Record, given: dict, facts: dict, prefix: tuple[str, ...] = ()) -> list[str]:
    """An example's søknad as it was given, each field named in words (`labels.field`)."""
    form = målform(model)
    items = []
    for name, value in given.items():
        spec = record.fields.get(name)
        words = labels.field(".".join((*prefix, name)), spec.doc if spec is not None else "", form)
        label = esc(words if prefix else words[:1].upper() + words[1:])
        typed = facts.get(name) if isinstance(facts, dict) else None
        if spec is not None and isinstance(spec.type, T.Record) and isinstance(value, dict):
            inner = _input_items(model, spec.type, value, typed or {}, (*prefix, name))
            items.append(f"{label}: " + "; ".join(inner))
        elif spec is not None and isinstance(spec.type, T.ListOf):
            element = spec.type.element
            rows = [", ".join(_input_items(model, element, row, typed_row, (*prefix, name)))
                    if isinstance(element, T.Record) and isinstance(row, dict) else esc(format_value(typed_row, element, form))
                    for row, typed_row in zip(value, typed or [])]
            items.append(f"{label}: " + ("; ".join(f"({r})" for r in rows) if rows else say("ingen", form)))
        else:
            shown = typed if typed is not None else value
            text = f"«{_choice(shown)}»" if isinstance(shown, str) else format_value(shown, spec.type if spec else None, form)
            items.append(f"{label}: {esc(text)}")
    return items


ADMONITION_KIND = {"innvilget": "success", "avslag": "failure", "manuell_vurdering": "warning"}


def example_blocks(model: CheckedPolicy, w: WorkedExample) -> list[Block]:
    t = lambda text: say(text, målform(model))  # noqa: E731
    ex = w.example
    blocks: list[Block] = [Heading(3, esc(ex.title), slug("eksempel", ex.name))]
    blocks += _doc_paragraphs(ex.doc)
    if w.decision is None or w.facts is None:
        return blocks + [Admonition("failure", t("Eksempelet kan ikke vurderes"), (Paragraph(esc(w.error or "")),))]
    d = w.decision
    scheme = model.scheme_for(d.ordning)
    blocks += [Paragraph(t("**Søknaden:**")), BulletList(tuple(_input_items(model, model.schema, ex.input or {}, w.facts)))]
    amounts = [f"{esc(t(_amount_label(k)))}: {esc(format_kr(v))}" for k, v in d.beløp.items()]
    if d.rente is not None:
        amounts.append(t("Rente: {rate}").format(rate=esc(format_percent(d.rente))))
    if d.nedbetalingstid_år is not None:
        amounts.append(t("Nedbetalingstid: {n} år").format(n=format_number(d.nedbetalingstid_år)))
    blocks.append(Admonition(ADMONITION_KIND.get(d.utfall, "note"),
                             t("Resultat: søknaden blir {outcome}").format(outcome=t(OUTCOME_WORDS[d.utfall])),
                             (BulletList(tuple(amounts)),)))
    blocks += [Paragraph(t("**Beregningen steg for steg:**")),
               Table(tuple(t(h) for h in ("Steg", "Størrelse", "Slik regnes den ut", "Resultat")),
                     tuple((str(i), link(esc(s.label), "#" + anchor("beregn", s.name, scheme)), s.formula, f"**{esc(s.result)}**")
                           for i, s in enumerate(w.steps, 1)))]
    rows = []
    for r in d.vilkår:
        result = EVALUATION_WORDS[målform(model)]["result"][r.resultat] + (t(" (unntak {x})").format(x=r.unntak) if r.unntak else "")
        rows.append((link(esc(r.tittel), "#" + anchor("vilkår", r.id, scheme)), esc(t(KIND_WORDS.get(r.art, r.art))),
                     esc(result), esc(r.forklaring)))
    blocks += [Paragraph(t("**Vilkårene:**")), Table(tuple(t(h) for h in ("Vilkår", "Art", "Resultat", "Forklaring")),
                                                      tuple(rows))]
    if d.betingelser:
        blocks += [Paragraph(t("**Betingelser i vedtaket:**")), BulletList(tuple(esc(x) for _, x in d.betingelser))]
    if w.mismatches:
        blocks.append(Admonition("warning", t("Resultatet avviker fra det eksempelet forventer"),
                                 (BulletList(tuple(esc(m) for m in w.mismatches)),)))
    return blocks


def _amount_label(key: str) -> str:
    return AMOUNT_LABELS.get(key, humanise(key).capitalize())


# ---- whole pages ------------------------------------------------------------------------------------

SECTIONS = ("oversikt", "endringer", "vilkår", "ordninger", "beregning", "parametre", "eksempler", "kilde")


def policy_blocks(policy: Any, base: CheckedPolicy | None = None, *, reference: Sequence[str] = (),
                  sections: Sequence[str] = SECTIONS) -> list[Block]:
    """The page of one policy (`boligregler.api.Policy`); `base` is the checked policy it builds on."""
    model: CheckedPolicy = policy.model
    blocks: list[Block] = [Heading(1, esc(model.header.get("navn", model.id)), slug("regelverk", model.id))]
    if "oversikt" in sections:
        blocks += _doc_paragraphs(model.doc)
        facts = [f"**Kommune:** {esc(_place(model))}"]
        if base is not None:
            facts.append(f"**Bygger på:** {link(esc(base.header.get('navn', base.id)), f'regelverk:{base.id}')}")
        if isinstance(model.header.get("vedtatt"), dt.date):
            facts.append(f"**Vedtatt:** {format_date(model.header['vedtatt'])}")
        facts += [f"**Kilde:** {autolink(str(model.header.get('kilde', '–')))}",
                  f"**Klage:** klageinstans er {esc(model.header.get('klageinstans', '–'))}"]
        blocks.append(BulletList(tuple(facts)))
        blocks += [Heading(2, "Kort fortalt", "kort-fortalt"), *summary_blocks(model)]
    if "endringer" in sections and base is not None:
        blocks += [Heading(2, f"Dette er annerledes enn i {esc(_rules_name(base, målform(model)))}", "endringer"),
                   *changes_blocks(policy_changes(model, base), model, base)]
    if "vilkår" in sections:
        blocks.append(Heading(2, "Vilkår", "vilkar"))
        for c in model.criteria:
            blocks += criterion_blocks(model, c, 3)
    if "ordninger" in sections:
        blocks += [Heading(2, "Ordninger", "ordninger"),
                   Paragraph("Ordningene kommunen tilbyr: "
                             + (_join([link(esc(s.title), "#" + slug("ordning", s.id)) for s in model.schemes.values()])
                                or "ingen") + ".")]
        for s in model.schemes.values():
            blocks += scheme_blocks(model, s)
        if model.conditions:
            blocks += [Paragraph("**Betingelser i alle vedtak om lån:**"),
                       BulletList(tuple(esc(c.text) for c in model.conditions))]
    if "beregning" in sections:
        blocks += [Heading(2, "Beregning", "beregning"),
                   Paragraph("Beløpene regnes ut slik, i denne rekkefølgen. Hver størrelse bygger på "
                             "størrelsene over den, på [parametrene](#parametre) og på opplysningene i søknaden "
                             "(*kursiv*)."),
                   *computation_blocks(model, model.base_scheme,
                                       computation_order(model, model.computations, reference=reference))]
    if "parametre" in sections:
        blocks += [Heading(2, "Parametre", "parametre"),
                   Paragraph("Hver verdi gjelder fra datoen som står ved den, til neste verdi tar over; "
                             "søknadsdatoen avgjør hvilken verdi som brukes.")]
        for p in model.parameters.values():
            blocks += parameter_blocks(model, p)
        for t in model.tables.values():
            blocks += table_blocks(model, t)
    if "eksempler" in sections:
        blocks.append(Heading(2, "Eksempler", "eksempler"))
        if not model.examples:
            blocks.append(Paragraph("Regelverket har ingen eksempler."))
        else:
            blocks.append(Paragraph("Hvert eksempel er en søknad vurdert av biblioteket selv, med hele "
                                    "beregningen og hvert vilkår slik de står i vedtaket."))
        for ex in model.examples:
            blocks += example_blocks(model, work_example(policy, ex, reference))
    if "kilde" in sections:
        source_path = list(model.sources)[-1] if model.sources else None  # the chain's files, root first
        if source_path is not None:
            blocks += [Heading(2, "Regelverket som kode", "kildekode"),
                       Admonition("note", f"Kildekoden ({esc(source_path.rsplit('/', 1)[-1])})",
                                  (CodeBlock("pol", model.sources[source_path]),), collapsible=True)]
    return blocks


def national(model: CheckedPolicy) -> bool:
    """Whether `model` is the national rules: the root baseline, or the baseline restated in another
    målform (a shipped base in one of the loader's `BASE_FOLDERS`, such as `nasjonal_nynorsk`)."""
    if len(model.chain) == 1:
        return True
    shipped = shipped_base(model.id)
    return shipped is not None and shipped.parent.name in BASE_FOLDERS


def _rules_name(base: CheckedPolicy, form: str) -> str:
    """How a page names the rules a policy builds on, never by its identifier: the national rules as
    «de nasjonale reglene», another base by its kommune or title."""
    if national(base):
        return say("de nasjonale reglene", form)
    return str(base.header.get("kommune") or base.header.get("navn") or base.id)


def render_policy_markdown(policy: Any, base: CheckedPolicy | None = None, *, reference: Sequence[str] = ()) -> str:
    """The Markdown page of one policy."""
    return to_markdown(policy_blocks(policy, base, reference=reference))


# ---- comparison and index -------------------------------------------------------------------------


def _latest(p: ParameterDef | None) -> str:
    if p is None:
        return "–"
    return esc(format_value(p.values[-1].value, p.type))


def comparison_blocks(models: Sequence[CheckedPolicy]) -> list[Block]:
    """A matrix of every policy's parameters, computations, criteria and schemes."""
    by_id = {m.id: m for m in models}

    def base_of(m: CheckedPolicy) -> CheckedPolicy | None:
        return by_id.get(m.chain[-2]) if len(m.chain) > 1 else None

    header = ("", *(link(esc(_short_place(m)), f"regelverk:{m.id}") for m in models))
    blocks: list[Block] = [
        Heading(1, "Sammenligning av kommunene", "sammenligning"),
        Paragraph("Tabellene viser regelverkene side om side; klikk på et navn for å lese hele regelverket. "
                  "**Uthevet** betyr at kommunen selv har fastsatt regelen eller verdien; – betyr at "
                  "regelverket ikke har den. Parametrene vises med siste vedtatte verdi; kommunens side viser "
                  "hele historikken og kildene."),
        Heading(2, "Parametre", "parametre"),
    ]

    def marked(text: str, own: bool) -> str:
        return f"**{text}**" if own else text

    names = list(dict.fromkeys(n for m in models for n in m.parameters))
    local = [n for n in names if any(_own(m, m.parameters.get(n)) for m in models)]
    rows = [(esc(next(label(m, n) for m in models if n in m.parameters)),
             *(marked(_latest(m.parameters.get(n)), _own(m, m.parameters.get(n)))
                                 for m in models))
            for n in local]
    if rows:
        blocks += [Paragraph("Parametre som minst én kommune har fastsatt selv:"), Table(header, tuple(rows))]
    shared = [n for n in names if n not in local and all(n in m.parameters for m in models)]
    if shared:
        first = models[0]
        blocks += [Paragraph("Parametre som er like i alle regelverkene:"),
                   Table(("Parameter", "Verdi"), tuple(
                       (link(esc(label(first, n)), f"regelverk:{first.id}#{slug('parameter', n)}"),
                        _latest(first.parameters[n])) for n in shared))]

    blocks.append(Heading(2, "Beregninger", "beregninger"))
    changed = list(dict.fromkeys(n for m in models for n, c in m.computations.items() if _own(m, c)))
    if changed:
        rows = []
        for n in changed:
            row = [esc(next(label(m, n) for m in models if n in m.computations))]
            for m in models:
                c = m.computations.get(n)
                base = base_of(m)
                cell = "–" if c is None else (
                    "som grunnlaget" if base is not None and c.origin.policy != m.id
                    else Describer(m, page=f"regelverk:{m.id}").describe(c.expr))
                row.append(marked(cell, _own(m, c)))
            rows.append(tuple(row))
        blocks += [Paragraph("Beregninger som minst én kommune har endret eller lagt til:"), Table(header, tuple(rows))]
    else:
        blocks.append(Paragraph("Ingen kommune har endret beregningen."))

    blocks.append(Heading(2, "Vilkår", "vilkar"))
    criteria = list(dict.fromkeys(c.id for m in models for c in m.criteria))
    rows = []
    for cid in criteria:
        row = [esc(next(_criterion_title(m, cid) for m in models if any(c.id == cid for c in m.criteria)))]
        for m in models:
            c = next((x for x in m.criteria if x.id == cid), None)
            cell = "–" if c is None else esc(KIND_WORDS[c.kind])
            row.append(marked(cell, _own(m, c)))
        rows.append(tuple(row))
    blocks.append(Table(header, tuple(rows)))

    blocks.append(Heading(2, "Ordninger", "ordninger"))
    schemes = list(dict.fromkeys(s for m in models for s in m.schemes))
    rows = [(esc(next(m.schemes[s].title for m in models if s in m.schemes)),
             *(marked("tilbys" if s in m.schemes else "–", _own(m, m.schemes.get(s)))
                                 for m in models))
            for s in schemes]
    blocks.append(Table(header, tuple(rows)))
    blocks += [Heading(2, "Eksempler", "eksempler"),
               Table(header, (("antall eksempler", *(str(len(m.examples)) for m in models)),))]
    return blocks


def index_blocks(models: Sequence[CheckedPolicy]) -> list[Block]:
    """The list of policies, with a link to each page and to the comparison."""
    rows = []
    for m in models:
        base = m.chain[-2] if len(m.chain) > 1 else None
        vedtatt = m.header.get("vedtatt")
        rows.append((link(esc(m.header.get("navn", m.id)), f"regelverk:{m.id}"), esc(_place(m)),
                     link(esc(base), f"regelverk:{base}") if base else "–",
                     format_date(vedtatt) if isinstance(vedtatt, dt.date) else "–",
                     str(len(m.criteria)), str(len(m.examples))))
    return [Heading(1, "Regelverk", "regelverk"),
            Paragraph("Hver kommunes regler for startlån, skrevet som kjørbare regler og vist her som vanlig tekst. "
                      "Sidene lages direkte fra regelverkene som avgjør søknadene, så de viser alltid det samme som "
                      "vurderingen gjør."),
            Paragraph("Se også [sammenligningen av kommunene](sammenligning.md)."),
            Table(("Regelverk", "Kommune", "Bygger på", "Vedtatt", "Vilkår", "Eksempler"), tuple(rows))]
