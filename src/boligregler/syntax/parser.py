"""Parse `.pol` text into a syntax tree, with hand-written Norwegian syntax errors.

`parse_policy(text, path)` returns an `ast.PolicyFile` or raises `PolicyError`
holding every syntax problem found: after the first error each top-level block
is parsed on its own so that one mistake does not hide the next.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import json
import re
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

import lark
from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.grammar import Rule
from lark.lexer import TerminalDef

from boligregler.diagnostics import Diagnostic, PolicyError, Severity, Span, suggest
from boligregler.limits import (MAX_LINE_CHARS, MAX_LIST_MINIMUM, MAX_POLICY_CHARS, MAX_POLICY_DECIMALS, MAX_POLICY_NUMBER,
                               decimals, grouped, magnitude_exceeds)
from boligregler.syntax import ast
from boligregler.syntax.cache import private_dir, prune, read_private, store, touch, user_cache_dir
from boligregler.syntax.grammar import grammar_path
from boligregler.syntax.template import (HOLE, STRING_TOKEN, TextPositions, dotted_name, parse_hole,
                                         unquote)

PARSER_OPTIONS = {"parser": "lalr", "propagate_positions": True, "start": ["start", "expr", "fragment"]}
PARSER_CACHE_FORMAT = "1"  # bump when the layout of the cache file changes


@functools.cache
def lark_parser() -> Lark:
    """The `.pol` parser, loaded from the per-user cache when it matches the grammar, else built."""
    return load_lark_parser(user_cache_dir())


def load_lark_parser(cache_dir: Path | None) -> Lark:
    """Load the serialized parser from `cache_dir`, or build it from the grammar and store it there.

    Building analyses the grammar and its regexes (a few hundred ms); loading takes a few tens.
    The cache is JSON, never pickle, so a planted file cannot run code, and it is only read from
    and written to a folder that this user owns and others cannot write to. Any problem with
    the cache falls back to building from the grammar.
    """
    grammar = grammar_path().read_text(encoding="utf-8")
    key = parser_cache_key(grammar)
    path = None
    if cache_dir is not None and private_dir(cache_dir):
        path = cache_dir / f"parser-{key[:40]}.json"
        try:
            stored = json.loads(read_private(path), object_hook=_from_json)
            if stored["key"] == key:
                touch(path)
                return Lark.load({"data": stored["data"], "memo": stored["memo"]})
        except Exception:  # noqa: BLE001 - a missing, damaged or foreign file is rebuilt and replaced
            pass
    parser = Lark(grammar, **PARSER_OPTIONS)
    if path is not None:
        data, memo = parser.memo_serialize([TerminalDef, Rule])
        store(path, _to_json({"key": key, "data": data, "memo": memo}))
        prune(cache_dir, "parser-")
    return parser


def parser_cache_key(grammar: str) -> str:
    """sha256 over everything the serialized parser depends on."""
    h = hashlib.sha256()
    for part in (PARSER_CACHE_FORMAT, lark.__version__, sys.version, repr(sorted(PARSER_OPTIONS.items())), grammar):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def _to_json(value):
    """Lark's serialized parser as plain JSON: tuples and dicts with non-text keys are tagged."""
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("#") for k in value):
            return {k: _to_json(v) for k, v in value.items()}
        return {"#dict": [[_to_json(k), _to_json(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"#tuple": [_to_json(v) for v in value]}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    return value


def _from_json(obj: dict):
    """Undo `_to_json` for one JSON object (`json.loads` calls it innermost first)."""
    if len(obj) == 1:
        if "#tuple" in obj:
            return tuple(obj["#tuple"])
        if "#dict" in obj:
            return {k: v for k, v in obj["#dict"]}
    return obj


def span_of_token(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


def span_of_meta(meta) -> Span | None:
    if getattr(meta, "empty", True):
        return None
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def number(tok: str) -> Decimal:
    return Decimal(tok.replace(" ", "").replace("\u00a0", ""))


def _items(children):
    return tuple(c for c in children if c is not None)


@v_args(meta=True)
class ToAst(Transformer_NonRecursive):
    """Lark tree → `ast` nodes. Collects value errors (bad dates) instead of raising."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.diagnostics: list[Diagnostic] = []

    # -- helpers
    def _error(self, code: str, message: str, span: Span | None) -> None:
        self.diagnostics.append(Diagnostic(code, Severity.ERROR, message, self.path, span))

    def _number(self, tok: Token) -> Decimal:
        """A number token, reported (S010) when it lies outside the documented range of policy numbers."""
        value = number(tok)
        if magnitude_exceeds(value, MAX_POLICY_NUMBER):
            self._error("S010", f"tallet er for stort; et tall i et regelverk kan være høyst "
                        f"{grouped(MAX_POLICY_NUMBER)}", span_of_token(tok))
            return Decimal(0)
        if decimals(value) > MAX_POLICY_DECIMALS:
            self._error("S010", f"tallet har for mange desimaler; høyst {MAX_POLICY_DECIMALS}", span_of_token(tok))
            return Decimal(0)
        return value

    def _date(self, tok: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(tok))
        except ValueError:
            self._error("S007", f"ugyldig dato «{tok}»; skriv datoer som ÅÅÅÅ-MM-DD", span_of_token(tok))
            return dt.date.min

    # -- file structure
    def start(self, meta, children):
        docs, header, *items = children
        return docs, header, tuple(items)

    def fragment(self, meta, children):
        return children

    def docs(self, meta, children):
        return "\n".join(re.sub(r"^## ?", "", str(t)).rstrip() for t in children)

    def header(self, meta, children):
        name, base, *fields = children
        return ast.Header(str(name), str(base) if base else None, _items(fields),
                          span=span_of_token(name), base_span=span_of_token(base) if base else None)

    def base(self, meta, children):
        return children[0]

    def field(self, meta, children):
        name, value = children
        value_span = getattr(value, "span", None)
        if isinstance(value, (_Spanned, ast.Text, ast.DateLiteral)):
            value = value.value
        return ast.Field(str(name), value, span=span_of_token(name), value_span=value_span)

    def key(self, meta, children):
        return children[0]

    header_key = key
    json_key = key

    def word(self, meta, children):
        return _Spanned(ast.Word(str(children[0])), span_of_token(children[0]))

    def item(self, meta, children):
        docs, definition = children
        return ast.Item(docs, definition, span=span_of_meta(meta))

    def scheme_part(self, meta, children):
        return self.item(meta, children)

    # -- schema
    def type_def(self, meta, children):
        name, (type_, nullable) = children
        if nullable:
            self._error("S008", "en navngitt type kan ikke være «eller ingen»; skriv det på feltet", span_of_meta(meta))
        return ast.TypeDef(str(name), type_, span=span_of_token(name))

    def schema(self, meta, children):
        return ast.Schema(_items(children), span=span_of_meta(meta))

    def schema_field(self, meta, children):
        docs, name, (type_, nullable), default, required, provided = children
        return ast.SchemaField(str(name), type_, nullable,
                               ast.MISSING if default is None else default[0],
                               required, docs, span=span_of_token(name), provided_by=provided)

    def provided_by(self, meta, children):
        return str(children[0])

    def default(self, meta, children):
        return (children[0],)

    def required_when(self, meta, children):
        return children[0]

    def schema_type(self, meta, children):
        return children[0], children[1] is not None

    def nullable(self, meta, children):
        return True

    def integer_type(self, meta, children):
        unit, range_ = children
        low, high = range_ if range_ else (None, None)
        return ast.IntegerType(unit, low, high, span=span_of_meta(meta))

    def range(self, meta, children):
        return self._number(children[0]), self._number(children[1])

    def enum_type(self, meta, children):
        return ast.EnumType(tuple(unquote(t) for t in children), span=span_of_meta(meta))

    def list_type(self, meta, children):
        element, minimum = children
        least = self._number(minimum) if minimum else None
        if least is not None and least > MAX_LIST_MINIMUM:
            self._error("S010", f"«minst» kan være høyst {MAX_LIST_MINIMUM}", span_of_token(minimum))
            least = None
        return ast.ListType(element, least, span=span_of_meta(meta))

    def record_type(self, meta, children):
        return ast.RecordType(_items(children), span=span_of_meta(meta))

    def unit(self, meta, children):
        return str(children[0])

    def count_unit(self, meta, children):
        return "antall"

    def share_unit(self, meta, children):
        return "andel"

    def number_unit(self, meta, children):
        return "tall"

    def unit_type(self, meta, children):
        return ast.UnitType(children[0], span=span_of_meta(meta))

    def bool_type(self, meta, children):
        return ast.BoolType(span=span_of_meta(meta))

    def text_type(self, meta, children):
        return ast.TextType(span=span_of_meta(meta))

    def date_type(self, meta, children):
        return ast.DateType(span=span_of_meta(meta))

    def set_type(self, meta, children):
        return ast.SetType(str(children[0]), span=span_of_meta(meta))

    def named_type(self, meta, children):
        return ast.NamedType(str(children[0]), span=span_of_token(children[0]))

    # -- parameters and tables
    def parameter(self, meta, children):
        name, type_, *parts = children
        fields = tuple(p for p in parts if isinstance(p, ast.Field))
        values = tuple(p for p in parts if isinstance(p, ast.DatedValue))
        return ast.Parameter(str(name), type_, fields, values, span=span_of_token(name))

    def dated_value(self, meta, children):
        value, date, source = children
        return ast.DatedValue(value, self._date(date), source, span=span_of_meta(meta))

    def source(self, meta, children):
        return unquote(children[0])

    def ratio(self, meta, children):
        return ast.Ratio(self._number(children[0]), self._number(children[1]), span=span_of_meta(meta))

    def set_value(self, meta, children):
        return ast.SetValue(tuple(unquote(t) for t in _items(children)), False, span=span_of_meta(meta))

    def set_complement(self, meta, children):
        return ast.SetValue(tuple(unquote(t) for t in _items(children)), True, span=span_of_meta(meta))

    def table(self, meta, children):
        name, type_, key_names, *parts = children
        fields = tuple(p for p in parts if isinstance(p, ast.Field))
        versions = tuple(p for p in parts if isinstance(p, ast.TableVersion))
        return ast.Table(str(name), type_, key_names, fields, versions, span=span_of_token(name))

    def key_names(self, meta, children):
        return tuple(str(c) for c in children)

    def table_version(self, meta, children):
        date, source, *rows = children
        return ast.TableVersion(self._date(date), source, tuple(rows), span=span_of_token(date))

    def table_row(self, meta, children):
        *keys, value = children
        return ast.TableRow(tuple(keys), value, span=span_of_meta(meta))

    def key_text(self, meta, children):
        return unquote(children[0])

    def key_range(self, meta, children):
        return self._number(children[0]), self._number(children[1])

    def key_open(self, meta, children):
        return self._number(children[0]), None  # `3 og over`: no upper bound

    def key_int(self, meta, children):
        value = self._number(children[0])
        return value, value

    # -- computations, criteria, outcome, schemes
    def compute(self, meta, children):
        name, type_, expr = children
        return ast.Compute(str(name), type_, expr, span=span_of_token(name))

    def criterion(self, meta, children):
        name, *parts = children
        conditions = [p[1] for p in parts if isinstance(p, tuple) and p[0] == "oppfylt"]
        relevance = [p[1] for p in parts if isinstance(p, tuple) and p[0] == "relevant"]
        explanations = tuple(f for p in parts if isinstance(p, list) for f in p)
        return ast.Criterion(
            str(name),
            tuple(p for p in parts if isinstance(p, ast.Field)),
            conditions[0] if conditions else None,
            relevance[0] if relevance else None,
            tuple(p for p in parts if isinstance(p, ast.ExceptionRule)),
            explanations,
            span=span_of_token(name),
        )

    def fulfilled_when(self, meta, children):
        return ("oppfylt", children[0])

    def relevant_when(self, meta, children):
        return ("relevant", children[0])

    def explanations(self, meta, children):
        return list(children)

    def exception(self, meta, children):
        docs, letter, title, *parts = children
        conditions = [p for p in parts if not isinstance(p, ast.Field)]
        return ast.ExceptionRule(
            str(letter), unquote(title) if title else None,
            tuple(p for p in parts if isinstance(p, ast.Field)),
            conditions[0] if conditions else None, docs, span=span_of_token(letter))

    def applies_when(self, meta, children):
        return children[0]

    def outcome(self, meta, children):
        *rules, default = children
        return ast.Outcome(_items(rules), str(default), span=span_of_meta(meta),
                           default_span=span_of_token(default))

    def outcome_rule(self, meta, children):
        outcome, _determiner, kind = _items(children)
        return ast.OutcomeRule(str(outcome), str(kind), span=span_of_meta(meta))

    def determiner(self, meta, children):
        return str(children[0])

    def scheme(self, meta, children):
        name, *parts = children
        return ast.Scheme(str(name), tuple(p for p in parts if isinstance(p, ast.Field)),
                          tuple(p for p in parts if isinstance(p, ast.Item)), span=span_of_token(name))

    def condition_text(self, meta, children):
        name, text = children
        return ast.ConditionText(str(name), unquote(text), span=span_of_token(name))

    def decision_map(self, meta, children):
        return ast.DecisionMap(tuple(children), span=span_of_meta(meta))

    def decision_entry(self, meta, children):
        key, expr = children
        return ast.DecisionEntry(str(key), expr, span=span_of_token(key))

    def letter(self, meta, children):
        return ast.Letter(tuple(c for c in children if isinstance(c, ast.LetterText)),
                          tuple(c for c in children if isinstance(c, ast.LetterChange)), span=span_of_meta(meta),
                          facts=tuple(c for c in children if isinstance(c, ast.LetterFact)))

    def letter_text(self, meta, children):
        key, condition, text = children
        return ast.LetterText(str(key), condition, unquote(text), span=span_of_token(key),
                              text_span=span_of_token(text))

    def letter_addition(self, meta, children):
        key, condition, text = children
        return ast.LetterText(str(key), condition, unquote(text), addition=True, span=span_of_token(key),
                              text_span=span_of_token(text))

    def letter_change(self, meta, children):
        path, new_item, target, step, condition, text = children
        return ast.LetterChange(path, new_item, target, step, condition, unquote(text), span=span_of_meta(meta),
                                text_span=span_of_token(text))

    def letter_fact(self, meta, children):
        path, value, text = children
        return ast.LetterFact(path, unquote(value) if value is not None else None, unquote(text),
                              span=span_of_meta(meta))

    def fact_path(self, meta, children):
        return tuple(str(c) for c in children)

    def override(self, meta, children):
        return ast.Override(children[0], span=span_of_meta(meta))

    def removal(self, meta, children):
        kind, name = children
        return ast.Removal(kind, str(name), span=span_of_token(name))

    def removal_kind(self, meta, children):
        return str(children[0])

    # -- examples and literals
    def example(self, meta, children):
        name, title, *parts = children
        inputs = [p for p in parts if isinstance(p, tuple) and p[0] == "søknad"]
        expected = [p for p in parts if isinstance(p, tuple) and p[0] == "forventet"]
        return ast.Example(
            str(name), unquote(title) if title else None,
            tuple(p for p in parts if isinstance(p, ast.Field)),
            inputs[0][1] if inputs else None, expected[0][1] if expected else None,
            span=span_of_token(name),
            input_span=inputs[0][2] if inputs else None,
            expected_span=expected[0][2] if expected else None,
        )

    def example_input(self, meta, children):
        return ("søknad", children[0], span_of_meta(meta))

    def example_expected(self, meta, children):
        return ("forventet", children[0], span_of_meta(meta))

    def object(self, meta, children):
        return {key: _plain(value) for key, value in _items(children)}

    def pair(self, meta, children):
        key, value = children
        return (unquote(key) if key.type == "STRING" else str(key)), value

    def array(self, meta, children):
        return [_plain(v) for v in _items(children)]

    # -- expressions
    def quantity(self, meta, children):
        value, unit = children
        return ast.Quantity(self._number(value), str(unit) if unit else None, span=span_of_meta(meta))

    def negative(self, meta, children):
        q = children[0]
        return ast.Quantity(-q.value, q.unit, span=span_of_meta(meta))

    def text(self, meta, children):
        return ast.Text(unquote(children[0]), span=span_of_token(children[0]))

    def date(self, meta, children):
        return ast.DateLiteral(self._date(children[0]), span=span_of_token(children[0]))

    def true(self, meta, children):
        return ast.Boolean(True, span=span_of_meta(meta))

    def false(self, meta, children):
        return ast.Boolean(False, span=span_of_meta(meta))

    def none(self, meta, children):
        return ast.NoneLiteral(span=span_of_meta(meta))

    def name(self, meta, children):
        return ast.Name(str(children[0]), span=span_of_token(children[0]))

    def call(self, meta, children):
        name, *args = children
        return ast.Call(str(name), _items(args), span=span_of_meta(meta))

    def list_expr(self, meta, children):
        return ast.ListLiteral(_items(children), span=span_of_meta(meta))

    def attribute(self, meta, children):
        obj, name = children
        return ast.Attribute(obj, str(name), span=span_of_meta(meta))

    def lookup(self, meta, children):
        return ast.Lookup(children[0], tuple(children[1:]), span=span_of_meta(meta))

    def neg(self, meta, children):
        return ast.Unary("-", children[0], span=span_of_meta(meta))

    def not_(self, meta, children):
        return ast.Unary("ikke", children[0], span=span_of_meta(meta))

    def binary(self, meta, children):
        left, op, right = children
        return ast.Binary({"×": "*"}.get(op, op), left, right, span=span_of_meta(meta))

    def add_op(self, meta, children):
        return str(children[0])

    mul_op = add_op

    def compare_op(self, meta, children):
        return {"≤": "<=", "≥": ">=", "≠": "!="}.get(str(children[0]), str(children[0]))

    def compare(self, meta, children):
        left, op, right = children
        return ast.Compare(op, left, right, span=span_of_meta(meta))

    def member(self, meta, children):
        return ast.Member(children[0], children[1], span=span_of_meta(meta))

    def or_(self, meta, children):
        return ast.Logical("eller", children[0], children[1], span=span_of_meta(meta))

    def and_(self, meta, children):
        return ast.Logical("og", children[0], children[1], span=span_of_meta(meta))

    def if_expr(self, meta, children):
        return ast.If(*children, span=span_of_meta(meta))

    def sum_over(self, meta, children):
        body, var, source, where = children
        return ast.Aggregate("sum", str(var), source, where, body, span=span_of_meta(meta), var_span=span_of_token(var))

    def count(self, meta, children):
        return ast.Aggregate("antall", None, children[0], None, None, span=span_of_meta(meta))

    def count_where(self, meta, children):
        var, source, where = children
        return ast.Aggregate("antall", str(var), source, where, None, span=span_of_meta(meta), var_span=span_of_token(var))

    def exists(self, meta, children):
        var, source, where = children
        return ast.Aggregate("finnes", str(var), source, where, None, span=span_of_meta(meta), var_span=span_of_token(var))

    def forall(self, meta, children):
        var, source, where = children
        return ast.Aggregate("alle", str(var), source, where, None, span=span_of_meta(meta), var_span=span_of_token(var))


class _Spanned:
    """A field value with its position, unwrapped by `ToAst.field`."""

    def __init__(self, value, span):
        self.value, self.span = value, span


def _plain(value):
    """A literal inside `søknad: {…}` as the JSON value it stands for."""
    if isinstance(value, (ast.Quantity, ast.Text, ast.Boolean)):
        return value.value
    if isinstance(value, ast.DateLiteral):
        return value.value.isoformat()
    if isinstance(value, ast.NoneLiteral):
        return None
    return value


# ---- syntax errors --------------------------------------------------------------------

TOP_LEVEL_WORDS = ("regelverk", "type", "søknad", "parameter", "tabell", "beregn", "vilkår", "utfall",
                   "ordning", "betingelse", "vedtak", "begrunnelse", "eksempel", "overstyr", "fjern")
LINE_START_WORD = re.compile(r"^([^\W\d]\w*)(?=[ \t]+[^\W\d]|[ \t]*\{)", re.MULTILINE)  # `søknad {` starts a block too

TERMINAL_NAMES = {
    "NAME": "et navn",
    "STRING": "en tekst i anførselstegn",
    "NUMBER": "et tall",
    "DATE": "en dato (ÅÅÅÅ-MM-DD)",
    "UNIT": "en enhet (kr, kr/mnd, %, prosentpoeng, år, måneder)",
    "$END": "slutten av filen",
}
VALUE_TERMINALS = {"STRING", "NUMBER", "DATE"}
CLOSERS = {"{": ("}", "RBRACE", "blokken"), "(": (")", "RPAR", "parentesen"), "[": ("]", "RSQB", "listen")}
OPERATORS = "+-*/×=<>≤≥≠"


def _terminal_text(name: str) -> str:
    if name in TERMINAL_NAMES:
        return TERMINAL_NAMES[name]
    term = next((t for t in lark_parser().terminals if t.name == name), None)
    if term is not None and term.pattern.type == "str":
        return f"«{term.pattern.value}»"
    return name


def _expected_text(expected: set[str]) -> str:
    shown = sorted(_terminal_text(t) for t in expected if t != "DOC_COMMENT")
    if len(shown) > 6:
        shown = shown[:6] + ["…"]
    return ", ".join(shown)


def _keywords(expected: set[str]) -> dict[str, str]:
    words = {}
    for t in lark_parser().terminals:
        if t.name in expected and t.pattern.type == "str" and t.pattern.value.isalpha():
            words[t.pattern.value] = t.name
    return words


def _unclosed(text: str) -> tuple[str, int] | None:
    """The innermost bracket that is never closed, skipping strings and comments."""
    stack: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c == '"':
            i += 1
            while i < n and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
        elif c in CLOSERS:
            stack.append((c, i))
        elif c in "})]" and stack:
            stack.pop()
        i += 1
    return stack[-1] if stack else None


def _back(text: str, offset: int) -> int:
    """The offset of the last non-space character before `offset` (or -1)."""
    offset -= 1
    while offset >= 0 and text[offset].isspace():
        offset -= 1
    return offset


INVISIBLE_NAMES = {  # the invisible characters a copy from a word processor or a web page brings, in Norwegian
    "\ufeff": "byte-rekkefølgemerke (BOM) eller usynlig hardt mellomrom", "\u200b": "mellomrom uten bredde",
    "\u200c": "skjøtehindrer uten bredde", "\u200d": "skjøter uten bredde", "\u2028": "linjeskilletegn",
    "\u2029": "avsnittsskilletegn", "\u00a0": "hardt mellomrom", "\u202f": "smalt hardt mellomrom",
    "\u00ad": "myk bindestrek", "\u2060": "ordskjøter", "\x0b": "loddrett tabulator", "\x0c": "sideskift",
    "\x00": "nulltegn", "\x85": "neste linje (NEL)", "\u200e": "venstre-til-høyre-merke",
    "\u200f": "høyre-til-venstre-merke",
}


def _invisible_kind(char: str) -> str:
    """A Norwegian word for an invisible character not in INVISIBLE_NAMES, from its Unicode category."""
    category = unicodedata.category(char)
    return {"Cc": "kontrolltegn", "Cf": "formateringstegn", "Zs": "mellomrom", "Zl": "linjeskilletegn",
            "Zp": "avsnittsskilletegn", "Co": "tegn for privat bruk", "Cn": "tegn uten tildelt betydning",
            "Cs": "enslig UTF-16-surrogat"}.get(category, "")


def syntax_diagnostic(e: UnexpectedInput, text: str, path: str) -> Diagnostic:
    """Turn a Lark error into a Norwegian message for the most common mistakes."""

    def diag(code, message, span, notes=()):
        return Diagnostic(code, Severity.ERROR, message, path, span, tuple(notes))

    def at(offset: int) -> Span:
        return Span.from_offsets(text, offset, offset + 1)

    if isinstance(e, UnexpectedCharacters):
        char = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        span = Span(e.line, e.column, e.line, e.column + 1)
        if char == '"':
            return diag("S005", "teksten mangler avsluttende anførselstegn «\"»", span,
                        ["en tekst må begynne og slutte på samme linje"])
        if not char.isprintable() or char.isspace():  # an invisible character: name it
            name = INVISIBLE_NAMES.get(char) or _invisible_kind(char)
            return diag("S006", f"ugyldig usynlig tegn U+{ord(char):04X}" + (f" ({name})" if name else ""), span,
                        ["slett tegnet; det kommer ofte fra en kopi fra et tekstbehandlingsprogram"])
        return diag("S006", f"ugyldig tegn «{char}»", span)

    assert isinstance(e, UnexpectedToken)
    tok = e.token
    expected = set(e.expected)
    if tok.type == "$END":
        end = len(text)
        open_bracket = _unclosed(text)
        if open_bracket is not None and CLOSERS[open_bracket[0]][1] in expected:
            closer, _, what = CLOSERS[open_bracket[0]]
            return diag("S002", f"{what} er ikke lukket; mangler «{closer}»", at(open_bracket[1]),
                        [f"hver «{open_bracket[0]}» må ha en tilhørende «{closer}»"])
        last = _back(text, end)
        if last >= 0 and text[last] in OPERATORS + ":":
            return diag("S003", f"mangler verdi etter «{text[last]}»", at(last),
                        [f"forventet {_expected_text(expected)}"])
        span = at(last) if last >= 0 else Span(1, 1, 1, 1)
        return diag("S001", f"uttrykket eller blokken slutter for tidlig; forventet {_expected_text(expected)}", span)

    span = span_of_token(tok)
    offset = tok.start_pos
    prev = _back(text, offset)
    prev_char = text[prev] if prev >= 0 else ""
    if tok.value == "," and prev_char.isdigit() and text[offset + 1: offset + 2].isdigit():
        return diag("S006", "desimaltall skrives med punktum", span, ["skriv 2.5, ikke 2,5"])
    if prev_char and prev_char in ":=" and (expected & VALUE_TERMINALS or tok.type == "RBRACE"):
        return diag("S003", f"mangler verdi etter «{prev_char}»", at(prev),
                    [f"forventet {_expected_text(expected & VALUE_TERMINALS) or 'en verdi'}"])
    if tok.type == "COLON":
        # `navn:` with its value missing, so the next line's key was read as the value
        key_start = _word_start(text, _back(text, offset))
        before = _back(text, key_start)
        if before >= 0 and text[before] == ":" and "\n" in text[before:key_start]:
            return diag("S003", f"mangler verdi etter «{text[_word_start(text, before):before + 1].strip()}»",
                        at(before), ["skriv verdien på samme linje, f.eks. kommune: \"Drammen kommune\""])
    keywords = _keywords(expected)
    if tok.type == "NAME" and keywords:
        guess = suggest(str(tok), keywords)
        if guess:
            return diag("S004", f"ukjent nøkkelord «{tok}»", span, [f"mente du «{guess}»?"])
    shown = f"uventet «{tok}»" if tok.type not in TERMINAL_NAMES else f"uventet {_terminal_text(tok.type)} «{tok}»"
    return diag("S001", shown, span, [f"forventet {_expected_text(expected)}"])


def _word_start(text: str, end: int) -> int:
    """The start of the word that ends at `end` (itself included)."""
    i = end
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_"):
        i -= 1
    return i


def _parse(text: str, start: str, path: str):
    tree = lark_parser().parse(text, start=start)
    builder = ToAst(path)
    try:
        result = builder.transform(tree)
    except VisitError as e:  # pragma: no cover - a transformer bug, not user input
        raise e.orig_exc
    span = _too_deep(result)
    if span is not None:
        builder.diagnostics.append(Diagnostic(
            "S009", Severity.ERROR, f"uttrykket, verdien eller søknadstypen er nestet i mer enn {MAX_DEPTH} nivåer",
            path, span, ("del et uttrykk opp i flere beregninger (beregn …) og bruk navnene deres, og en søknadstype "
                         "i flere navngitte typer (type …)",)))
    return result, builder.diagnostics


MAX_DEPTH = 100  # expression nesting; the checker, the generated code and CPython's own limits are recursive


def _too_deep(root) -> Span | None:
    """The span of the outermost expression nested more than MAX_DEPTH levels, if any (walked without recursion)."""
    stack = [(root, 0, None)]
    while stack:
        node, depth, span = stack.pop()
        if isinstance(node, tuple):  # a sequence of syntax nodes
            stack.extend((child, depth, span) for child in node)
        elif isinstance(node, (list, dict)):  # a literal such as an example's søknad
            if depth >= MAX_DEPTH:
                return span
            stack.extend((child, depth + 1, span) for child in (node.values() if isinstance(node, dict) else node))
        elif isinstance(node, EXPRESSION_NODES):
            if depth >= MAX_DEPTH:
                return span
            outermost = span if depth else node.span
            stack.extend((getattr(node, name), depth + 1, outermost) for name in _children(type(node)))
        elif hasattr(node, "__attrs_attrs__") and not isinstance(node, Span):
            here = span if depth else getattr(node, "span", None) or span  # inside a nesting: its outermost node
            if isinstance(node, ast.Example):
                here = node.input_span or here
            stack.extend((getattr(node, name), depth, here) for name in _children(type(node)))
    return None


EXPRESSION_NODES = tuple(t for t in ast.Expr.__args__) + (ast.RecordType, ast.ListType)  # nested søknad types too


@functools.cache
def _children(node_type) -> tuple[str, ...]:
    return tuple(a.name for a in node_type.__attrs_attrs__ if a.name not in ("span", "value_span", "base_span",
                                                                              "default_span", "input_span",
                                                                              "expected_span"))


def _with_doc_comments(text: str, start: int) -> int:
    """Move a block's start back over the `##` lines directly above it."""
    while start > 0:
        prev = text.rfind("\n", 0, start - 1) + 1
        if not text[prev:start].startswith("##"):
            break
        start = prev
    return start


def _all_syntax_errors(text: str, path: str, first: UnexpectedInput) -> list[Diagnostic]:
    starts = [_with_doc_comments(text, m.start()) for m in LINE_START_WORD.finditer(text)
              if m.group(1) in TOP_LEVEL_WORDS or suggest(m.group(1), TOP_LEVEL_WORDS)]
    found: dict[tuple, Diagnostic] = {}
    bounds = list(zip(starts, starts[1:] + [len(text)]))
    for begin, end in bounds:
        prefix = "\n" * text.count("\n", 0, begin)
        chunk = prefix + text[begin:end]
        try:
            lark_parser().parse(chunk, start="fragment")
        except UnexpectedInput as e:
            d = syntax_diagnostic(e, chunk, path)
            found[(d.span.line, d.span.column) if d.span else (0, 0)] = d
    if not found:
        d = syntax_diagnostic(first, text, path)
        return [d]
    return [found[k] for k in sorted(found)]


def parse_policy(text: str, path: str = "<policy>") -> ast.PolicyFile:
    """Parse a whole `.pol` file; raise `PolicyError` with every syntax error found."""
    too_large = _too_large(text, path)
    if too_large:
        raise PolicyError(too_large, {path: text})
    try:
        (doc, header, items), problems = _parse(text, "start", path)
    except UnexpectedInput as e:
        raise PolicyError(tuple(_all_syntax_errors(text, path, e)), {path: text}) from None
    if problems:
        raise PolicyError(tuple(problems), {path: text})
    return ast.PolicyFile(path, text, doc, header, items, expressions=_template_expressions(text, path))


LONG_LINE = re.compile(f"^[^\\n]{{{MAX_LINE_CHARS}}}(?=[^\\n])", re.MULTILINE)


def _too_large(text: str, path: str) -> tuple[Diagnostic, ...]:
    """S012 for a file or lines beyond the documented sizes, found before the (linear but costly) parse."""
    if len(text) > MAX_POLICY_CHARS:
        return (Diagnostic("S012", Severity.ERROR, f"filen er for stor; et regelverk kan ha høyst "
                           f"{grouped(MAX_POLICY_CHARS)} tegn", path,
                           Span.from_offsets(text, MAX_POLICY_CHARS, MAX_POLICY_CHARS + 1),
                           ("del regelverket opp i flere filer som bygger på hverandre (bygger på …)",)),)
    return tuple(Diagnostic("S012", Severity.ERROR, f"linjen er for lang; en linje i et regelverk kan ha høyst "
                            f"{grouped(MAX_LINE_CHARS)} tegn", path,
                            Span.from_offsets(text, m.end(), m.end() + 1),
                            ("del uttrykket opp i flere beregninger (beregn …) og bruk navnene deres",))
                 for m in LONG_LINE.finditer(text))


def _template_expressions(text: str, path: str) -> dict:
    """Parse now the `{uttrykk}` holes of texts, keyed as `parse_template` looks them up.

    Explanation texts are checked later, but a file read from the syntax-tree cache then needs no parser.
    A hole that does not parse is left out; the checker reports it when it reads the text.
    """
    found = {}
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    for m in STRING_TOKEN.finditer(text):
        if "{" not in m.group(0):
            continue
        line = bisect.bisect_right(line_starts, m.start())
        positions = TextPositions(m.group(0), line, m.start() - line_starts[line - 1] + 1)
        for hole in HOLE.finditer(unquote(m.group(0))):
            if hole.group(1) is None or dotted_name(hole.group(1)) is not None:
                continue
            try:
                found[(hole.group(1), line, positions.column(hole.start(1)))] = parse_hole(
                    hole.group(1), positions, hole.start(1), path)
            except PolicyError:
                pass
    return found


def parse_expression(text: str, path: str = "<uttrykk>"):
    """Parse one expression, its spans counted from line 1, column 1 of `text`; used for template holes."""
    try:
        expr, problems = _parse(text, "expr", path)
    except UnexpectedInput as e:
        raise PolicyError((syntax_diagnostic(e, text, path),), {}) from None
    if problems:
        raise PolicyError(tuple(problems), {})
    return expr
