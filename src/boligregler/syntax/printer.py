"""The canonical layout of a `.pol` file: `format_policy(text)` is what `boligregler fmt` writes.

The printer works on the parser's own tokens (a Lark tree that keeps every token) and the
comments between them, so it never changes what a file means: the syntax tree of the output
equals that of the input, and this is verified on every call. Like gofmt it decides
indentation, spacing and blank lines, and keeps the author's line breaks:

* indentation is four spaces per open block; a line inside brackets opened on an earlier line
  is indented one step from the line that opened them; a line that continues a definition
  (an expression broken over lines) is indented one step from the definition;
* one space between tokens, none inside `(…)`, `[…]` and object literals `{…}`, none before
  `,` and `:`, none around `.` and in a ratio `10/12`, and none after a unary minus; two spaces
  between definitions written on one line (`{ type: inntektstype  netto_per_måned: kr/mnd }`);
* at most one blank line in a row, none at the start or end of a block or file; no trailing
  spaces; the file ends with one newline;
* comments (`#`) and doc comments (`##`) stay where they are: on their own line (indented as
  the definition that follows them) or at the end of a line (after two spaces).
"""

from __future__ import annotations

import functools
import re

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from boligregler.diagnostics import BoligreglerError, Diagnostic, PolicyError, Severity, Span
from boligregler.syntax.grammar import grammar_path

INDENT = "    "
OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = set(OPENERS.values())
NO_SPACE_BEFORE = {")", "]", ",", ":", "."}
NO_SPACE_AFTER = {"(", "[", "."}
CALL_WORDS = {"valg", "sum", "antall", "finnes", "alle"}  # keywords written directly before "("
COMMENT = re.compile(r"#[^\n]*")


class FormatError(BoligreglerError):
    """The printer would have changed the meaning of a file (a bug in the printer, never user input)."""

    code = "formatering_endrer_innhold"


@functools.cache
def token_parser() -> Lark:
    """The `.pol` grammar, keeping every token (keywords and punctuation too) in the tree."""
    return Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr", propagate_positions=True,
                keep_all_tokens=True, start="start")


def format_policy(text: str, path: str = "<policy>") -> str:
    """The canonical layout of `text`; raises `PolicyError` (every syntax error) if it does not parse."""
    from boligregler.syntax.cache import cached_parse  # the checked parse reports every error at once
    from boligregler.syntax.parser import parse_policy

    if text.startswith("\ufeff"):
        text = text[1:]
    before = cached_parse(text, path)
    try:
        tree = token_parser().parse(text)
    except UnexpectedInput as e:  # pragma: no cover - parse_policy above would have raised
        raise PolicyError((Diagnostic("S001", Severity.ERROR, str(e), path, Span(e.line, e.column, e.line,
                                                                                 e.column + 1)),), {path: text})
    result = _Printer(text, tree).render()
    if result == text:  # already formatted: the same text has the same tree
        return result
    after = parse_policy(result, path)
    if (before.doc, before.header, before.items) != (after.doc, after.header, after.items):
        raise FormatError(f"{path}: formateringen ville endret innholdet (en feil i boligregler)")
    return result


class _Line:
    __slots__ = ("tokens", "comment", "blank_before", "indent")

    def __init__(self, blank_before: bool):
        self.tokens: list[Token] = []
        self.comment: str | None = None
        self.blank_before = blank_before
        self.indent = 0


class _Printer:
    def __init__(self, text: str, tree: Tree):
        self.text = text
        self.tree = tree
        self.parent: dict[int, Tree] = {}  # id(token or tree) → its parent tree
        self.tokens: list[Token] = []
        self._index(tree)

    def _index(self, root: Tree) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            for child in node.children:
                self.parent[id(child)] = node
            for child in reversed(node.children):
                if isinstance(child, Tree):
                    stack.append(child)
        self.tokens = [t for t in root.scan_values(lambda v: isinstance(v, Token))]
        self.tokens.sort(key=lambda t: t.start_pos)

    # ---- lines as written, with their comments ------------------------------------------------
    def _lines(self) -> list[_Line]:
        lines: list[_Line] = []
        pos = 0
        current: _Line | None = None
        for tok in self.tokens + [None]:
            gap = self.text[pos:tok.start_pos if tok is not None else len(self.text)]
            current = self._gap(gap, lines, current)
            if tok is None:
                break
            if current is None:
                current = _Line(blank_before=False)
                lines.append(current)
            current.tokens.append(tok)
            pos = tok.end_pos
        return lines

    def _gap(self, gap: str, lines: list[_Line], current: _Line | None) -> _Line | None:
        """Consume whitespace and comments between tokens; return the line the next token joins."""
        i = 0
        newlines = 0
        while i < len(gap):
            c = gap[i]
            if c == "\n":
                newlines += 1
                if newlines == 1:
                    current = None
                i += 1
            elif c == "#":
                m = COMMENT.match(gap, i)
                comment = m.group(0).rstrip()
                if current is not None and newlines == 0:
                    current.comment = comment
                else:
                    line = _Line(blank_before=newlines > 1 and bool(lines))
                    line.comment = comment
                    lines.append(line)
                    current = line
                newlines = 0
                i = m.end()
            else:
                i += 1
        if newlines == 0 and current is not None and current.comment is not None:
            return None  # a token after a comment starts a new line (cannot happen in valid input)
        if current is None and newlines:
            nxt = _Line(blank_before=newlines > 1 and bool(lines))
            lines.append(nxt)
            return nxt
        return current

    # ---- structure ------------------------------------------------------------------------------
    def _ancestors(self, node) -> list[Tree]:
        out = []
        while id(node) in self.parent:
            node = self.parent[id(node)]
            out.append(node)
        return out

    def _child_of(self, node, owner: Tree):
        """The direct child of `owner` that contains `node` (or node itself)."""
        while id(node) in self.parent:
            p = self.parent[id(node)]
            if p is owner:
                return node
            node = p
        return None

    def _is_continuation(self, tok: Token, owner: Tree, line_no: int) -> bool:
        """Whether `tok`, first on its line, continues a definition begun on an earlier line of `owner`."""
        child = self._child_of(tok, owner)
        if child is None or isinstance(child, Token):
            return False
        for t in child.scan_values(lambda v: isinstance(v, Token)):
            if t.start_pos >= tok.start_pos:
                continue
            if t.type != "DOC_COMMENT":
                return True
        return False

    # ---- rendering --------------------------------------------------------------------------------
    def render(self) -> str:
        lines = [ln for ln in self._lines() if ln.tokens or ln.comment is not None]
        # stack of open brackets: (char, owner tree, indent of the line that opened it, line index)
        stack: list[tuple[str, Tree, int, int]] = []
        out: list[str] = []
        index = 0
        while index < len(lines):
            line = lines[index]
            self._split_closer(lines, index, len(stack))
            indent = self._indent(line, stack, index)
            line.indent = indent
            first = line.tokens[0] if line.tokens else None
            opens_block = bool(out) and out[-1].rstrip().endswith("{")
            closes_block = first is not None and first.value == "}"
            if line.blank_before and out and not opens_block and not closes_block:
                out.append("")
            body = self._join(line.tokens)
            if line.comment is not None:
                body = f"{body}  {line.comment}" if body else line.comment
            out.append(INDENT * indent + body)
            for tok in line.tokens:
                if tok.value in OPENERS and tok.type in ("LPAR", "LSQB", "LBRACE"):
                    stack.append((tok.value, self.parent[id(tok)], indent, index))
                elif tok.value in CLOSERS and tok.type in ("RPAR", "RSQB", "RBRACE") and stack:
                    stack.pop()
            index += 1
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n"

    @staticmethod
    def _split_closer(lines: list[_Line], index: int, open_before: int) -> None:
        """Put a `}` that closes a block opened on an earlier line on its own line."""
        line = lines[index]
        depth = 0
        for i, tok in enumerate(line.tokens):
            if tok.type in ("LPAR", "LSQB", "LBRACE"):
                depth += 1
            elif tok.type in ("RPAR", "RSQB", "RBRACE"):
                depth -= 1
                if depth < 0 and tok.type == "RBRACE" and i > 0 and open_before:
                    rest = _Line(blank_before=False)
                    rest.tokens, rest.comment = line.tokens[i:], line.comment
                    line.tokens, line.comment = line.tokens[:i], None
                    lines.insert(index + 1, rest)
                    return

    def _indent(self, line: _Line, stack, index: int) -> int:
        first = line.tokens[0] if line.tokens else None
        if first is not None and first.type in ("RPAR", "RSQB", "RBRACE") and stack:
            return stack[-1][2]
        if not stack:
            base, owner = 0, self.tree
        else:
            char, owner, opener_indent, _ = stack[-1]
            base = opener_indent + 1
            if char != "{":
                return base  # inside (…) or […]: one step in from the line that opened them
        if first is None:  # a comment on its own line: indented like the definition after it
            return base
        return base + (1 if self._is_continuation(first, owner, index) else 0)

    def _join(self, tokens: list[Token]) -> str:
        out = ""
        prev: Token | None = None
        for tok in tokens:
            if prev is not None:
                out += self._space(prev, tok)
            out += self._text(tok)
            prev = tok
        return out

    def _text(self, tok: Token) -> str:
        if tok.type == "DOC_COMMENT":
            value = tok.value.rstrip()
            if len(value) > 2 and value[2] not in " #":
                value = "## " + value[2:]
            return value
        if tok.type == "NUMBER":
            return tok.value.replace("\u00a0", " ")
        return tok.value

    def _space(self, prev: Token, tok: Token) -> str:
        parent = self.parent.get(id(tok))
        prev_parent = self.parent.get(id(prev))
        if prev.type == "NUMBER" and tok.type == "NUMBER":
            return "  "  # one space would join them into one grouped number (`1 000`)
        if tok.value in NO_SPACE_BEFORE and tok.type in ("RPAR", "RSQB", "COMMA", "COLON", "DOT"):
            return ""
        if prev.value in NO_SPACE_AFTER and prev.type in ("LPAR", "LSQB", "DOT"):
            return ""
        if tok.type == "LPAR" and (prev.type == "NAME" or prev.value in CALL_WORDS) and parent is not None \
                and parent.data != "atom" and prev_parent is parent:
            return ""
        if prev.type == "MINUS" and prev_parent is not None and prev_parent.data in ("neg", "negative") \
                and prev_parent.children[0] is prev:
            return ""
        if tok.type == "LSQB" and parent is not None and parent.data == "lookup":
            return ""
        if prev_parent is not None and prev_parent.data == "ratio" and parent is prev_parent:
            return ""
        if prev.type == "LBRACE":
            return "" if self._is_object(prev) else " "
        if tok.type == "RBRACE":
            return "" if self._is_object(tok) else " "
        owner = self._brace_owner(tok)
        if owner is not None and not self._is_object_tree(owner):
            a, b = self._child_of(prev, owner), self._child_of(tok, owner)
            if a is not None and b is not None and a is not b and not isinstance(a, Token) \
                    and not isinstance(b, Token):
                return "  "
        return " "

    def _is_object(self, brace: Token) -> bool:
        return self._is_object_tree(self.parent[id(brace)])

    @staticmethod
    def _is_object_tree(tree: Tree) -> bool:
        return tree.data == "object"

    def _brace_owner(self, tok: Token) -> Tree | None:
        """The innermost tree with its own `{` … `}` around `tok`."""
        for tree in self._ancestors(tok):
            if any(isinstance(c, Token) and c.type == "LBRACE" for c in tree.children):
                return tree
        return None
