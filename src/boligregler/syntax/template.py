"""Explanation and letter texts with `{uttrykk}` holes, split into text and expressions.

Kept apart from the parser: most holes are plain names (`{lånebehov}`) built here directly,
and the rest were parsed when the file was read (`PolicyFile.expressions`), so checking a
policy from the syntax-tree cache never needs Lark.
"""

from __future__ import annotations

import re

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


def dotted_name(text: str, line: int, column: int):
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


def parse_template(text: str, span: Span | None, path: str, known: dict | None = None) -> ast.Template:
    """Split `"… {uttrykk} …"` into text and expressions (`{{`/`}}` are literal braces).

    `known` holds holes already parsed, keyed by (text, line, column); others go to the parser.
    Raises `PolicyError` for a hole that is not a valid expression.
    """
    parts: list = []
    pos = 0
    line = span.line if span else 1
    base_col = (span.column + 1) if span else 1
    for m in HOLE.finditer(text):
        parts.append(text[pos:m.start()])
        if m.group(1) is None:
            parts.append(m.group(0)[0])
        else:
            column = base_col + m.start(1)
            nested = NESTED_HOLE.search(m.group(1))
            if nested:
                at = column + nested.end() - 1
                raise PolicyError((Diagnostic(
                    "S011", Severity.ERROR, "en tekst inne i et {…}-hull kan ikke selv ha {…}-hull", path,
                    Span(line, at, line, at + 1),
                    ("flytt uttrykket i det indre hullet ut i teksten, eller lag en beregning (beregn …) "
                     "og bruk navnet; skriv {{ og }} for klammer som skal stå i teksten",)),), {})
            expr = dotted_name(m.group(1), line, column) or (known or {}).get((m.group(1), line, column))
            if expr is None:
                from boligregler.syntax.parser import parse_expression
                expr = parse_expression(m.group(1), path, line, column)
            parts.append(expr)
        pos = m.end()
    parts.append(text[pos:])
    merged: list = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif p != "":
            merged.append(p)
    return ast.Template(tuple(merged), span=span)
