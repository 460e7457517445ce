"""Explanation and letter texts with `{uttrykk}` holes, split into text and expressions.

Kept apart from the parser: most holes are plain names (`{lånebehov}`) built here directly,
and the rest were parsed when the file was read (`PolicyFile.expressions`), so checking a
policy from the syntax-tree cache never needs Lark.
"""

from __future__ import annotations

import functools
import re

import attrs

from boligregler.diagnostics import Diagnostic, PolicyError, Severity, Span
from boligregler.syntax import ast

class _Hole:
    """One `{uttrykk}` hole (or a literal `{{`/`}}`) found by `HOLE.finditer`, shaped like a regex match."""

    __slots__ = ("_text", "_start", "_end", "_inner")

    def __init__(self, text: str, start: int, end: int, inner: bool):
        self._text, self._start, self._end, self._inner = text, start, end, inner

    def group(self, n: int = 0) -> str | None:
        if n == 0:
            return self._text[self._start:self._end]
        return self._text[self._start + 1:self._end - 1] if self._inner else None

    def start(self, n: int = 0) -> int:
        return self._start + (1 if n else 0)

    def end(self) -> int:
        return self._end


class _Holes:
    """Finds holes; a `}` inside a quoted text within a hole (`{hvis a så "x}" ellers "y"}`) does not end it."""

    @staticmethod
    def finditer(text: str):
        i, n = 0, len(text)
        while i < n:
            if text.startswith("{{", i) or text.startswith("}}", i):
                yield _Hole(text, i, i + 2, False)
                i += 2
                continue
            if text[i] != "{":
                i += 1
                continue
            j, quoted = i + 1, False
            while j < n and (quoted or text[j] not in "{}"):
                if quoted and text[j] == "\\":
                    j += 1
                elif text[j] == '"':
                    quoted = not quoted
                j += 1
            if j < n and text[j] == "}":
                yield _Hole(text, i, j + 1, True)
                i = j + 1
            else:
                i += 1  # an unclosed `{` is literal text


HOLE = _Holes()
NESTED_HOLE = re.compile(r'"(?:[^"\\]|\\.)*\{(?!\{)')
DOTTED = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
KEYWORDS_IN_EXPRESSIONS = {"hvis", "så", "ellers", "og", "eller", "ikke", "i", "sann", "usann", "ingen", "sum",
                           "antall", "finnes", "alle", "hver", "der", "for"}


def dotted_name(text: str, line: int = 1, column: int = 1):
    """`navn` or `post.felt` as a syntax tree, or None if the hole is anything else."""
    parts = text.split(".")
    if not DOTTED.fullmatch(text) or any(p in KEYWORDS_IN_EXPRESSIONS for p in parts):
        return None
    end = column + len(parts[0])
    node = ast.Name(parts[0], span=Span(line, column, line, end))
    for part in parts[1:]:
        end += 1 + len(part)
        node = ast.Attribute(node, part, span=Span(line, column, line, end))
    return node


STRING_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def unquote(token: str) -> str:
    """The value of a `"…"` token: `\\n` is a line break, `\\t` a tab, `\\x` any other character x."""
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), token[1:-1])


class TextPositions:
    """Where each character of a text's value stands in the source: `\\n`, `\\"` and other escapes take
    two columns there but are one character in the value, and a text lies on one line."""

    def __init__(self, token: str, line: int, column: int):
        self.line = line
        self.columns: list[int] = []  # source column of each value character, then of the closing quote
        i = 1
        while i < len(token) - 1:
            self.columns.append(column + i)
            i += 2 if token[i] == "\\" else 1
        self.columns.append(column + i)

    @classmethod
    def of(cls, text: str, span: Span | None, source: str | None) -> TextPositions:
        """The positions of `text`, the value of the token at `span` in `source` (without the source, as if
        the text had no escapes)."""
        line, column = (span.line, span.column) if span else (1, 0)
        if span is not None and source is not None:
            start = _line_starts(source)[line - 1] + column - 1 if line <= len(_line_starts(source)) else -1
            token = STRING_TOKEN.match(source, start) if start >= 0 else None
            if token and unquote(token.group(0)) == text:
                return cls(token.group(0), line, column)
        return cls('"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"', line, column)

    def column(self, offset: int) -> int:
        return self.columns[max(0, min(offset, len(self.columns) - 1))]

    def span(self, start: int, end: int) -> Span:
        return Span(self.line, self.column(start), self.line, self.column(end))

    def mover(self, expression: str, start: int):
        """Maps a span in `expression` parsed alone (from line 1, column 1), which starts at `start` in the
        value, to the source."""
        line_starts = [0] + [i + 1 for i, ch in enumerate(expression) if ch == "\n"]

        def offset(line: int, column: int) -> int:
            return start + line_starts[max(1, min(line, len(line_starts))) - 1] + column - 1

        return lambda s: self.span(offset(s.line, s.column), offset(s.end_line, s.end_column))


@functools.lru_cache(maxsize=8)
def _line_starts(source: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", source)]


def _moved(node, move):
    """`node` with every span in it mapped by `move`."""
    if isinstance(node, Span):
        return move(node)
    if isinstance(node, tuple):
        return tuple(_moved(n, move) for n in node)
    if attrs.has(type(node)):
        return attrs.evolve(node, **{a.alias: _moved(getattr(node, a.name), move) for a in attrs.fields(type(node))})
    return node


def parse_hole(expression: str, positions: TextPositions, start: int, path: str):
    """The expression of a `{…}` hole starting at `start` in the text's value, its spans in the source.

    Raises `PolicyError` (located in the source) for a hole that does not parse.
    """
    move = positions.mover(expression, start)
    node = dotted_name(expression)
    if node is None:
        from boligregler.syntax.parser import parse_expression
        try:
            node = parse_expression(expression, path)
        except PolicyError as e:
            raise PolicyError(tuple(attrs.evolve(d, span=d.span and move(d.span)) for d in e.diagnostics),
                              e.sources) from None
    return _moved(node, move)


def parse_template(text: str, span: Span | None, path: str, known: dict | None = None,
                   source: str | None = None) -> ast.Template:
    """Split `"… {uttrykk} …"` into text and expressions (`{{`/`}}` are literal braces).

    `span` is the text's token in `source` (the file's text), through which holes are located even after
    escapes. `known` holds holes already parsed, keyed by (text, line, column of the hole's first character).
    Raises `PolicyError` for a hole that is not a valid expression.
    """
    parts: list = []
    pos = 0
    positions = TextPositions.of(text, span, source)
    for m in HOLE.finditer(text):
        parts.append(text[pos:m.start()])
        if m.group(1) is None:
            parts.append(m.group(0)[0])
        else:
            nested = NESTED_HOLE.search(m.group(1))
            if nested:
                at = m.start(1) + nested.end() - 1
                raise PolicyError((Diagnostic(
                    "S011", Severity.ERROR, "en tekst inne i et {…}-hull kan ikke selv ha {…}-hull", path,
                    positions.span(at, at + 1),
                    ("flytt uttrykket i det indre hullet ut i teksten, eller lag en beregning (beregn …) "
                     "og bruk navnet; skriv {{ og }} for klammer som skal stå i teksten",)),), {})
            expr = (known or {}).get((m.group(1), positions.line, positions.column(m.start(1))))
            parts.append(expr or parse_hole(m.group(1), positions, m.start(1), path))
        pos = m.end()
    parts.append(text[pos:])
    merged: list = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif p != "":
            merged.append(p)
    return ast.Template(tuple(merged), span=span)
