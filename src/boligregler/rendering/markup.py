"""Escaping for Markdown and link targets, shared by the decision letters and the policy site.

Text from a policy or a søknad is untrusted: a kommune's name, a criterion's title or an
explanation may hold `<script>`, `javascript:` or Markdown block markers (`- `, `1. `, `===`,
four spaces of indentation). `escape_markdown` turns such text into Markdown that renders as
exactly that text, inline, wherever it is placed; `safe_link_target` lets only http(s)
addresses and the site's own targets through.
"""

from __future__ import annotations

import re

from boligregler.urls import is_web_address

# Characters Markdown (with the tables and attr_list extensions) gives a meaning anywhere in a line,
# escaped by a backslash; `<` and `&` (HTML) and `~` (strike-through in GitHub's Markdown) by entities.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]{}|#!])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", "~": "&#126;"}
# Line breaks (Python-Markdown normalises \r\n and \r to \n) and runs of blanks, which Markdown could read
# as a new block, a hard line break or indented code.
_BLANKS = re.compile(r"[ \t]*(?:\r\n|\r|\n)[ \t\r\n]*|[ \t]{2,}|\t")
# What opens a block at the start of a line: list items, quotes, setext underlines, admonitions (!!!, ???),
# definition lists (:); headings (#), tables (|) and attribute lists ({) are escaped everywhere already.
_BLOCK_MARKER = re.compile(r"^( ?)(?:(\d+)([.)])|([-+>])|([=:?]))")
_MARKER_ENTITY = {"=": "&#61;", ":": "&#58;", "?": "&#63;"}


def escape_markdown(text: object) -> str:
    """Plain text as Markdown inline text that renders as exactly that text, wherever it is placed.

    Every line is escaped on its own and the lines are joined by a space (how Markdown renders a line
    break inside a paragraph anyway), so no line of the text can start a list, a heading, a code block
    or a table: the result is one line, safe in a paragraph, a list item, a heading or a table cell.
    Runs of blanks become one space, as HTML shows them.
    """
    line = _INLINE_SPECIAL.sub(r"\\\1", _BLANKS.sub(" ", str(text)))
    line = re.sub(r"[&<~]", lambda m: _ENTITIES[m.group()], line)
    return _BLOCK_MARKER.sub(_escape_marker, line, count=1)


def _escape_marker(m: re.Match) -> str:
    space, number, after_number, backslashed, entity = m.groups()
    if number:
        return f"{space}{number}\\{after_number}"
    return space + (f"\\{backslashed}" if backslashed else _MARKER_ENTITY[entity])


# The entities `escape_markdown` writes; readers of the inline markup (the Sphinx directive) decode them.
ENTITY_PATTERN = r"&(amp|lt|#\d{1,7});"


def entity_char(name: str) -> str:
    """The character of an entity's name as `ENTITY_PATTERN` captures it (`lt`, `#126` …)."""
    return {"amp": "&", "lt": "<"}.get(name) or chr(min(int(name[1:]), 0x10FFFF))


_SITE_TARGET = re.compile(r"(?:regelverk:[\w-]+|[\w-]+\.md)?(?:#[\w-]*)?")


def safe_link_target(target: str) -> str | None:
    """`target` fit for a link's href: an http(s) address (parentheses percent-encoded), an anchor on the
    same page, another page of the site (`sammenligning.md`) or a policy (`regelverk:ID#anker`); else None."""
    if is_web_address(target):
        return target.replace("(", "%28").replace(")", "%29")
    if target and _SITE_TARGET.fullmatch(target):
        return target
    return None
