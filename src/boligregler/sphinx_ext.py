"""Sphinx extension: `.. regelverk:: NAVN` renders a policy inside any Sphinx site.

    extensions = ["boligregler.sphinx_ext"]

    .. regelverk:: drammen
       :deler: oversikt, vilkår, eksempler

The argument is a shipped policy's name or a `.pol` path relative to the document. The page
is the same block document as the MkDocs site (`boligregler.rendering.policy_markdown`),
turned into docutils nodes; links to other policies' pages are shown as plain text.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from boligregler import __version__
from boligregler.api import load_policy
from boligregler.diagnostics import BoligreglerError
from boligregler.model.loader import resolve_policy_path
from boligregler.rendering.markup import ENTITY_PATTERN, entity_char
from boligregler.rendering.policy_markdown import (
    SECTIONS, Admonition, Block, BulletList, CodeBlock, Heading, Paragraph, Table,
)
from boligregler.site.pages import SitePolicy
from boligregler.urls import is_web_address

ADMONITIONS = {"note": nodes.note, "success": nodes.tip, "warning": nodes.warning, "failure": nodes.error}


class RegelverkDirective(SphinxDirective):
    required_arguments = 1
    option_spec = {"deler": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if name.endswith(".pol") or "/" in name:
            _, absolute = self.env.relfn2path(name)
            path = Path(absolute)
        else:
            path = resolve_policy_path(name)
        sections = [s.strip() for s in self.options.get("deler", ",".join(SECTIONS)).split(",") if s.strip()]
        unknown = [s for s in sections if s not in SECTIONS]
        if unknown:
            raise self.error(f"ukjent del {', '.join(unknown)} i :deler:; velg blant {', '.join(SECTIONS)}")
        try:
            page = SitePolicy.of(path, load_policy(path))
        except BoligreglerError as e:
            raise self.error(f"regelverket {name} kan ikke vises:\n{e}") from None
        for source in page.policy.model.sources:
            self.env.note_dependency(str(Path(source).resolve()))
        return blocks_to_nodes(page.blocks(sections), prefix=page.policy.id)


def blocks_to_nodes(blocks: list[Block], prefix: str) -> list[nodes.Node]:
    """The block document as docutils nodes; anchors become ids `PREFIX-ANCHOR`."""
    top: list[nodes.Node] = []
    stack: list[tuple[int, nodes.Element | None]] = [(0, None)]

    def add(node: nodes.Node) -> None:
        container = stack[-1][1]
        if container is None:
            top.append(node)
        else:
            container += node

    for b in blocks:
        if isinstance(b, Heading):
            while stack[-1][0] >= b.level:
                stack.pop()
            section = nodes.section(ids=[_id(prefix, b.anchor or b.text)])
            section += nodes.title("", "", *inline_nodes(b.text, prefix))
            add(section)
            stack.append((b.level, section))
        else:
            add(block_node(b, prefix))
    return top


def block_node(b: Block, prefix: str) -> nodes.Node:
    match b:
        case Paragraph(text, anchor):
            p = nodes.paragraph("", "", *inline_nodes(text, prefix))
            if anchor:
                p["ids"].append(_id(prefix, anchor))
            return p
        case BulletList(items, ordered):
            lst = nodes.enumerated_list() if ordered else nodes.bullet_list()
            for item in items:
                lst += nodes.list_item("", nodes.paragraph("", "", *inline_nodes(item, prefix)))
            return lst
        case Table(header, rows):
            table = nodes.table()
            group = nodes.tgroup(cols=len(header))
            table += group
            for _ in header:
                group += nodes.colspec(colwidth=1)
            group += nodes.thead("", _row(header, prefix))
            group += nodes.tbody("", *(_row(r, prefix) for r in rows))
            return table
        case Admonition(kind, title, inner):
            box = ADMONITIONS.get(kind, nodes.note)()
            box += nodes.paragraph("", "", nodes.strong("", "", *inline_nodes(title, prefix)))
            for x in inner:
                box += block_node(x, prefix)
            return box
        case CodeBlock(language, text):
            return nodes.literal_block(text, text, language=language)
    raise TypeError(b)


def _row(cells, prefix: str) -> nodes.row:
    return nodes.row("", *(nodes.entry("", nodes.paragraph("", "", *inline_nodes(c, prefix))) for c in cells))


def _id(prefix: str, anchor: str) -> str:
    return nodes.make_id(f"{prefix}-{anchor}")


_ENTITY = re.compile(ENTITY_PATTERN)


def inline_nodes(text: str, prefix: str) -> list[nodes.Node]:
    """Inline markup (see `policy_markdown`) as docutils nodes."""
    out, _ = _parse(text, 0, "", prefix)
    return out


def _parse(text: str, i: int, stop: str, prefix: str) -> tuple[list[nodes.Node], int]:
    out: list[nodes.Node] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.append(nodes.Text("".join(buf)))
            buf.clear()

    while i < len(text):
        if stop and text.startswith(stop, i) and not (stop == "*" and text.startswith("**", i)):
            flush()
            return out, i + len(stop)
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i + 1])
            i += 2
        elif ch == "&" and (entity := _ENTITY.match(text, i)):
            buf.append(entity_char(entity.group(1)))
            i = entity.end()
        elif ch == "`":
            end = text.find("`", i + 1)
            end = len(text) if end < 0 else end
            flush()
            out.append(nodes.literal(text[i + 1:end], text[i + 1:end]))
            i = end + 1
        elif text.startswith("**", i):
            flush()
            inner, i = _parse(text, i + 2, "**", prefix)
            out.append(nodes.strong("", "", *inner))
        elif ch == "*":
            flush()
            inner, i = _parse(text, i + 1, "*", prefix)
            out.append(nodes.emphasis("", "", *inner))
        elif ch == "[":
            flush()
            label, i = _parse(text, i + 1, "](", prefix)
            end = text.find(")", i)
            end = len(text) if end < 0 else end
            out.append(_reference(label, text[i:end], prefix))
            i = end + 1
        else:
            buf.append(ch)
            i += 1
    flush()
    return out, i


def _reference(label: list[nodes.Node], target: str, prefix: str) -> nodes.Node:
    if target.startswith("#"):
        return nodes.reference("", "", *label, refid=_id(prefix, target[1:]), internal=True)
    if is_web_address(target):
        return nodes.reference("", "", *label, refuri=target)
    return nodes.inline("", "", *label)


def setup(app) -> dict:
    app.add_directive("regelverk", RegelverkDirective)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
