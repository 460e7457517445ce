"""What the language server knows about one `.pol` document, independent of the LSP wire format.

`analyse(path, text, open_texts)` parses the document and what it builds on (open editors win
over the disk), checks and lints it exactly as `boligregler sjekk` does (checker, then the legality findings), and indexes every
definition and every use of a name, so that hover, go to definition, references, rename,
completion and the outline are plain look-ups. Positions are the parser's (1-based line and
column, in code points); `server.py` converts them to LSP positions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import attrs

from boligregler.diagnostics import Diagnostic, PolicyError, Severity, Span
from boligregler.evaluation.legality import legality
from boligregler.model import types as T
from boligregler.model.checker import FUNCTIONS, check
from boligregler.model.diff import expression_text
from boligregler.model.loader import shipped_base, shipped_policies_dir
from boligregler.lsp.hover import describe, field_at
from boligregler.model.policy import CheckedPolicy
from boligregler.rendering.policy_markdown import type_words
from boligregler.syntax import ast
from boligregler.syntax.cache import cached_parse
from boligregler.syntax.parser import TOP_LEVEL_WORDS
from boligregler.syntax.template import KEYWORDS_IN_EXPRESSIONS, parse_template

SUGGESTION = re.compile(r"mente du «([^»]+)»\?")
KEYWORDS = sorted(set(TOP_LEVEL_WORDS) | KEYWORDS_IN_EXPRESSIONS | {
    "bygger", "på", "fra", "kilde", "når", "oppfylt", "relevant", "unntak", "forklaring", "etter", "til",
    "liste", "av", "minst", "heltall", "valg", "sannhet", "tekst", "dato", "mengde", "unntatt", "endring", "opplysning",
    "trinn", "forventet"})
KINDS = {ast.Parameter: "parameter", ast.Table: "tabell", ast.Compute: "beregn", ast.Criterion: "vilkår",
         ast.ConditionText: "betingelse", ast.TypeDef: "type", ast.Scheme: "ordning", ast.Example: "eksempel"}


@attrs.frozen
class Definition:
    kind: str  # parameter | tabell | beregn | vilkår | betingelse | type | ordning | eksempel | felt | ...
    name: str  # for søknad fields the dotted path, e.g. bolig.kjøpesum
    file: str
    span: Span | None  # the name
    extent: Span | None  # the whole definition (for the outline)
    children: tuple["Definition", ...] = ()
    override: bool = False


@attrs.frozen
class Use:
    name: str
    file: str
    span: Span
    binding: Span | None = None  # a loop variable's use: where it is bound (`hver b`); None: a definition's name


@attrs.frozen
class Local:
    """A loop variable (`sum(b.alder for hver b i husstand.barn)`): bound at `span`, over `source`."""

    name: str
    file: str
    span: Span
    source: ast.Expr


@attrs.define
class Analysis:
    path: str
    text: str
    diagnostics: list[Diagnostic]
    files: list[ast.PolicyFile] = attrs.field(factory=list)  # the chain, root first; empty if it did not parse
    model: CheckedPolicy | None = None
    definitions: list[Definition] = attrs.field(factory=list)
    uses: list[Use] = attrs.field(factory=list)
    locals: list[Local] = attrs.field(factory=list)

    @property
    def document(self) -> ast.PolicyFile | None:
        return self.files[-1] if self.files else None

    def outline(self) -> list[Definition]:
        return [d for d in self.definitions if d.file == self.path]

    def definitions_of(self, name: str) -> list[Definition]:
        """Definitions of `name`, the most derived first (an override before what it overrides)."""
        order = {f.path: i for i, f in enumerate(self.files)}
        found = [d for d in _flatten(self.definitions) if d.name == name and d.kind != "eksempel"]
        return sorted(found, key=lambda d: -order.get(d.file, -1))

    def uses_of(self, name: str) -> list[Use]:
        """Uses of the definition `name` (a loop variable of the same name is another thing)."""
        return [u for u in self.uses if u.name == name and u.binding is None]

    def local_at(self, line: int, column: int) -> Local | None:
        """The loop variable at (line, column) of the document: where it is bound, or a use of it."""
        for u in self.uses:
            if u.binding is not None and u.file == self.path and _holds(u.span, line, column):
                return next((v for v in self.locals if v.file == u.file and v.span == u.binding), None)
        return next((v for v in self.locals if v.file == self.path and _holds(v.span, line, column)), None)

    def local_uses(self, local: Local) -> list[Use]:
        return [u for u in self.uses if u.binding == local.span and u.file == local.file]


def _holds(span: Span, line: int, column: int) -> bool:
    return span.line <= line <= span.end_line and (span.line < line or span.column <= column) \
        and (line < span.end_line or column <= span.end_column)


def _flatten(defs) -> Iterator[Definition]:
    for d in defs:
        yield d
        yield from _flatten(d.children)


# ---- loading and checking --------------------------------------------------------------------


def analyse(path: str, text: str, open_texts: dict[str, str] | None = None) -> Analysis:
    """Parse, check and lint `text` (the document at `path`) with what it builds on."""
    open_texts = open_texts or {}
    try:
        files = _chain(path, text, open_texts)
    except PolicyError as e:
        return Analysis(path, text, list(e.diagnostics))
    model = check(files)
    errors = any(d.severity is Severity.ERROR for d in model.diagnostics)  # as `boligregler sjekk` does
    diagnostics = list(model.diagnostics) + ([] if errors else legality(files, model))
    result = Analysis(path, text, diagnostics, files, model)
    for f in files:
        result.definitions += _definitions(f)
        uses, local_vars = _uses(f)
        result.uses += uses
        result.locals += local_vars
    return result


def _chain(path: str, text: str, open_texts: dict[str, str]) -> list[ast.PolicyFile]:
    chain = [cached_parse(text, path)]
    seen = {chain[0].header.id}
    while chain[0].header.base is not None:
        child = chain[0]
        base = child.header.base
        found = _base_file(Path(child.path).parent, base, open_texts)
        if found is None or base in seen:
            message = (f"finner ikke regelverket «{base}» som dette bygger på" if found is None
                       else f"regelverkene bygger på hverandre i ring: {base}")
            raise PolicyError((Diagnostic("N006", Severity.ERROR, message, child.path, child.header.base_span),),
                              {f.path: f.source for f in chain})
        seen.add(base)
        base_path, base_text = found
        chain.insert(0, cached_parse(base_text, base_path))
    return chain


def _base_file(folder: Path, name: str, open_texts: dict[str, str]) -> tuple[str, str] | None:
    for candidate in (folder / f"{name}.pol", shipped_base(name) or shipped_policies_dir() / f"{name}.pol"):
        key = str(candidate)
        if key in open_texts:
            return key, open_texts[key]
        if candidate.is_file():
            return key, candidate.read_text(encoding="utf-8")
    return None


# ---- definitions and uses ------------------------------------------------------------------------


def _definitions(f: ast.PolicyFile) -> list[Definition]:
    out = [Definition("regelverk", f.header.id, f.path, f.header.span, f.header.span)]
    for item in f.items:
        d = _definition(item.definition, f.path, item.span)
        if d is not None:
            out.append(d)
    return out


def _definition(node, path: str, extent: Span | None, override: bool = False) -> Definition | None:
    if isinstance(node, ast.Override):
        return _definition(node.definition, path, extent, True)
    if isinstance(node, ast.Schema):
        return Definition("søknad", "søknad", path, node.span, extent, _fields(node.fields, path, ""))
    if isinstance(node, ast.Scheme):
        children = tuple(d for item in node.items if (d := _definition(item.definition, path, item.span)))
        return Definition("ordning", node.name, path, node.span, extent, children, override)
    if isinstance(node, ast.Criterion):
        return Definition("vilkår", node.name, path, node.span, extent,
                          tuple(Definition("unntak", e.letter, path, e.span, e.span) for e in node.exceptions),
                          override)
    for cls, kind in KINDS.items():
        if isinstance(node, cls):
            return Definition(kind, node.name, path, node.span, extent, (), override)
    for kind in ("Outcome", "DecisionMap", "Letter"):
        if type(node).__name__ == kind:
            word = {"Outcome": "utfall", "DecisionMap": "vedtak", "Letter": "begrunnelse"}[kind]
            return Definition(word, word, path, node.span, extent)
    return None


def _fields(fields, path: str, prefix: str) -> tuple[Definition, ...]:
    out = []
    for fld in fields:
        name = prefix + fld.name
        inner = fld.type.element if isinstance(fld.type, ast.ListType) else fld.type
        children = _fields(inner.fields, path, name + ".") if isinstance(inner, ast.RecordType) else ()
        out.append(Definition("felt", name, path, fld.span, fld.span, children))
    return tuple(out)


def _uses(f: ast.PolicyFile) -> tuple[list[Use], list[Local]]:
    """Every name used in an expression or a text's `{…}` hole of the file, and every loop variable;
    a name inside `sum(… for hver b i …)` (and antall, finnes, alle) that the loop binds is a use of it."""
    uses: list[Use] = []
    local_vars: list[Local] = []
    stack: list = [(f.header, {}), (f.items, {})]  # (node, loop variables in scope: name → where bound)
    while stack:
        node, scope = stack.pop()
        if isinstance(node, (tuple, list)):
            stack.extend((n, scope) for n in node)
        elif isinstance(node, ast.Name):
            if node.span is not None:
                uses.append(Use(node.name, f.path, node.span, scope.get(node.name)))
        elif isinstance(node, ast.Aggregate) and node.var is not None:
            bound = node.var_span or node.span
            if bound is not None:
                local_vars.append(Local(node.var, f.path, bound, node.source))
            inner = {**scope, node.var: bound}
            stack += [(node.source, scope), (node.where, inner), (node.body, inner)]
        elif isinstance(node, ast.Field) and isinstance(node.value, str) and "{" in node.value:
            stack.append((_template_parts(node.value, node.value_span, f), scope))
        elif isinstance(node, (ast.LetterText, ast.LetterChange)):
            stack.append((_template_parts(node.text, node.text_span, f), scope))
            stack.extend((getattr(node, a.name), scope) for a in node.__attrs_attrs__ if a.name not in ("text", "span"))
        elif hasattr(node, "__attrs_attrs__") and not isinstance(node, (Span, dt.date)):
            stack.extend((getattr(node, a.name), scope) for a in node.__attrs_attrs__ if not a.name.endswith("span"))
    return uses, local_vars


def _template_parts(text: str, span: Span | None, f: ast.PolicyFile) -> tuple:
    try:
        return parse_template(text, span, f.path, f.expressions, f.source).parts
    except PolicyError:
        return ()


# ---- questions at a position -------------------------------------------------------------------------

WORD = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")


def word_at(text: str, line: int, column: int) -> tuple[str, str, Span] | None:
    """(the dotted word, its part under the cursor, the span of that part) at 1-based (line, column)."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    for m in WORD.finditer(lines[line - 1]):
        if m.start() <= column - 1 <= m.end():
            start = m.start()
            for part in m.group(0).split("."):
                if start <= column - 1 <= start + len(part):
                    whole = m.group(0)[:start - m.start() + len(part)]
                    return whole, part, Span(line, start + 1, line, start + 1 + len(part))
                start += len(part) + 1
    return None


def target(a: Analysis, line: int, column: int) -> str | None:
    """The definition name under the cursor: a name, or a søknad path such as bolig.kjøpesum."""
    found = word_at(a.text, line, column)
    if found is None:
        return None
    whole, part, _ = found
    if "." in whole and a.definitions_of(whole):
        return whole
    return part if a.definitions_of(part) or a.uses_of(part) else (whole if "." in whole else part)


@attrs.frozen
class Symbol:
    """What a request is about: the definition `name`, or the loop variable `local` (which may share a name)."""

    name: str
    local: Local | None = None


def symbol_at(a: Analysis, line: int, column: int) -> Symbol | None:
    local = a.local_at(line, column)
    if local is not None:
        return Symbol(local.name, local)
    name = target(a, line, column)
    return Symbol(name) if name else None


def definitions(a: Analysis, symbol: Symbol) -> list[tuple[str, Span]]:
    """Where `symbol` is defined: the most derived definition first, or where the loop binds it."""
    if symbol.local is not None:
        return [(symbol.local.file, symbol.local.span)]
    return [(d.file, d.span) for d in a.definitions_of(symbol.name) if d.span is not None]


def references(a: Analysis, symbol: Symbol, include_definitions: bool = True) -> list[tuple[str, Span]]:
    """Every use of `symbol` across the chain (a loop variable: only inside its loop)."""
    uses = a.local_uses(symbol.local) if symbol.local is not None else a.uses_of(symbol.name)
    out = [(u.file, u.span) for u in uses] + (definitions(a, symbol) if include_definitions else [])
    return sorted(set(out), key=lambda x: (x[0], x[1].line, x[1].column))


def renamable(a: Analysis, symbol: Symbol) -> bool:
    """A loop variable, or a definition's own name (not a søknad path such as bolig.kjøpesum)."""
    return symbol.local is not None or ("." not in symbol.name and bool(a.definitions_of(symbol.name)))


def hover(a: Analysis, symbol: Symbol, today: dt.date | None = None) -> str | None:
    """Markdown for `symbol`: a parameter's value today, a computation's formula, a criterion's texts;
    for a loop variable the list it runs over and the fields of each element."""
    if a.model is None:
        return None
    if symbol.local is not None:
        return _describe_local(a.model, symbol.local)
    return describe(a.model, symbol.name, today or dt.date.today())


def _describe_local(model: CheckedPolicy, local: Local) -> str:
    text = f"**{local.name}** (løkkevariabel): ett og ett element i `{expression_text(local.source)}`"
    listed = model.expr_types.get(id(local.source))
    element = listed.element if isinstance(listed, T.ListOf) else None
    if isinstance(element, T.Record):
        fields = ", ".join(f"`{local.name}.{n}` ({type_words(s.type)})" for n, s in element.fields.items())
        text += f"\n\nFelt: {fields}"
    return text


def completions(a: Analysis, line: int, column: int) -> list[tuple[str, str, str]]:
    """(label, kind, detail) of what may be written at the cursor."""
    lines = a.text.split("\n")
    before = lines[line - 1][:column - 1] if 1 <= line <= len(lines) else ""
    model = a.model
    if model is None:
        return [(k, "nøkkelord", "") for k in KEYWORDS]
    quoted = re.search(r"([^\W\d][\w.]*)\s*(?:=|!=|≠|i)\s*\[?(?:\"[^\"]*\",\s*)*\"([^\"]*)$", before)
    if quoted:
        spec = field_at(model.schema, quoted.group(1).split("."))
        if spec is not None and isinstance(spec.type, T.Enum):
            return [(v, "verdi", spec.type.name) for v in spec.type.values]
        return []
    dotted = re.search(r"([^\W\d][\w.]*)\.(\w*)$", before)
    if dotted:
        record = _record(model.schema, dotted.group(1).split("."))
        if record is None:
            return []
        return [(n, "felt", type_words(s.type)) for n, s in record.fields.items()]
    out = [(n, "parameter", type_words(p.type)) for n, p in model.parameters.items()]
    out += [(n, "tabell", f"etter {', '.join(t.key_names)}") for n, t in model.tables.items()]
    for scheme in [model.base_scheme, *model.schemes.values()]:
        out += [(n, "beregn", type_words(c.type)) for n, c in scheme.computations.items()]
    out += [(n, "felt", type_words(s.type)) for n, s in model.schema.fields.items()]
    out += [(f, "funksjon", "") for f in FUNCTIONS]
    out += [(k, "nøkkelord", "") for k in KEYWORDS]
    return list(dict.fromkeys(out))


def _record(schema: T.Record, path: list[str]) -> T.Record | None:
    """The record a path of fields leads to (a loop variable over a list counts as its element)."""
    for start in range(len(path)):
        spec = field_at(schema, path[start:]) if start == 0 else None
        if spec is not None:
            inner = spec.type.element if isinstance(spec.type, T.ListOf) else spec.type
            return inner if isinstance(inner, T.Record) else None
    return None


def suggestions(d: Diagnostic) -> list[str]:
    """The «mente du …?» replacements a diagnostic offers."""
    return [m.group(1) for note in d.notes for m in SUGGESTION.finditer(note)] + \
        [m.group(1) for m in SUGGESTION.finditer(d.message)]
