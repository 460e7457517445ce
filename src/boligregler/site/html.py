"""The built pages made accessible where Markdown cannot say it: table captions and header scope."""

from __future__ import annotations

import html
import re

_TABLE = re.compile(r"<table>(.*?)</table>", re.S)
_LABEL = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>|<p><strong>(.*?)</strong>", re.S)
_TAG = re.compile(r"<[^>]+>")
_ROW_HEADER = re.compile(r"<tr>(\s*)<td([^>]*)><strong>([^<]*)</strong></td>")


def _text(fragment: str) -> str:
    plain = html.unescape(_TAG.sub("", fragment)).replace("¶", "").strip().rstrip(":")
    return html.escape(" ".join(plain.split()), quote=False)


def accessible_tables(page: str) -> str:
    """Every Markdown table with a caption for screen readers (the heading or bold lead-in before it,
    which sighted readers see already) and `scope="col"` on its header cells; a first cell that is all
    bold (the first key of a two-dimensional table) is a row header, `scope="row"`."""
    out, pos = [], 0
    for m in _TABLE.finditer(page):
        before = page[pos:m.start()]
        labels = list(_LABEL.finditer(page, 0, m.start()))
        caption = _text(next(g for g in labels[-1].groups() if g is not None)) if labels else ""
        body = m.group(1).replace("<th>", '<th scope="col">')
        body = re.sub(r'<th style="([^"]*)">', r'<th scope="col" style="\1">', body)
        body = _ROW_HEADER.sub(r'<tr>\1<th scope="row"\2>\3</th>', body)
        table = "<table>" + (f'<caption class="bolig-skjult">{caption}</caption>' if caption else "") + body + "</table>"
        out += [before, table]
        pos = m.end()
    return "".join(out) + page[pos:]
