"""HTML reports with inline SVG charts and XLSX workbooks for the kartlegging and konsekvens reports.

The HTML is one self-contained page (no scripts, no external files) with charts drawn as SVG
that carry a text alternative (`<title>` and a table of the same numbers), so the report can be
mailed, archived and read with a screen reader.
"""

from __future__ import annotations

import html
from typing import Iterable, Sequence

PALETTE = ("#3f51b5", "#e08a00", "#2e7d32", "#c62828", "#6a1b9a", "#00838f")


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def kr(value) -> str:
    """A whole-krone amount with Norwegian grouping: 2 100 000 kr."""
    if value is None:
        return "–"
    return f"{int(value):,}".replace(",", "\u00a0").replace("-", "\u2212") + "\u00a0kr"


def number(value) -> str:
    return f"{int(value):,}".replace(",", "\u00a0").replace("-", "\u2212")


def nice_step(raw: float) -> int:
    """The smallest whole 1, 2 or 5 times a power of ten that is at least `raw`: round axis ticks."""
    power = 10 ** max(len(str(int(max(raw, 1)))) - 1, 0)
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def bar_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float]], *,
              unit: str = "", width: int = 720, height: int = 280) -> str:
    """Grouped vertical bars as inline SVG, with the numbers as a table for screen readers."""
    n, k = len(labels), max(len(series), 1)
    step_value = nice_step(max([max(v, default=0) for v in series.values()] + [1]) / 4)
    top = step_value * 4
    ticks = [number(step_value * step) for step in range(5)]
    left, right, head = 12 + 6 * max(len(t) for t in ticks), 12, 28
    bottom = 34 + 14 * max(len(series), 1)
    plot_w, plot_h = width - left - right, height - bottom - head
    slot = plot_w / max(n, 1)
    bar = max(slot * 0.8 / k, 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
             f'width="100%" style="max-width:{width}px" aria-labelledby="t">',
             f'<title>{esc(title)}</title>',
             f'<text x="{left}" y="18" font-size="14" font-weight="bold">{esc(title)}</text>']
    for step, tick in enumerate(ticks):
        y = head + plot_h - plot_h * step / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{esc(tick)}</text>')
    for j, (name, values) in enumerate(series.items()):
        for i, v in enumerate(values):
            h = plot_h * v / top
            x = left + i * slot + slot * 0.1 + j * bar
            parts.append(f'<rect x="{x:.1f}" y="{head + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[j % len(PALETTE)]}"><title>{esc(name)}, {esc(labels[i])}: '
                         f'{esc(number(v))}{esc(unit)}</title></rect>')
    every = max(1, n // 12)
    for i, label in enumerate(labels):
        if i % every == 0:
            x = left + i * slot + slot / 2
            parts.append(f'<text x="{x:.1f}" y="{head + plot_h + 14}" font-size="10" text-anchor="middle">{esc(label)}</text>')
    for j, name in enumerate(series):  # one legend line per series, so long names never overlap
        y = head + plot_h + 26 + 14 * j
        parts.append(f'<rect x="{left}" y="{y}" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>')
        parts.append(f'<text x="{left + 14}" y="{y + 9}" font-size="11">{esc(name)}</text>')
    parts.append("</svg>")
    rows = [[label] + [number(series[s][i]) for s in series] for i, label in enumerate(labels)]
    table_html = table(["", *series], rows)
    return (f'<figure>{"".join(parts)}<details><summary>Tallene i figuren</summary>{table_html}</details>'
            f'</figure>')


def table(header: Sequence[str], rows: Iterable[Sequence], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="{"n" if j >= numeric_from else ""}">{esc(c)}</td>'
                                    for j, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0;font-size:.92em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.merk{background:#fff8e1;border-left:4px solid #e08a00;padding:.5em 1em}
figure{margin:1em 0}details{font-size:.9em}
"""


def page(title: str, sections: Sequence[tuple[str, str]], note: str | None = None) -> str:
    """A complete HTML page: a title, an optional note (e.g. «syntetiske data») and sections of HTML."""
    body = "".join(f"<section><h2>{esc(h)}</h2>{content}</section>" for h, content in sections)
    banner = f'<p class="merk">{esc(note)}</p>' if note else ""
    return (f'<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>'
            f'<body><h1>{esc(title)}</h1>{banner}{body}</body></html>')


def workbook(path: str, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]]) -> None:
    """An XLSX workbook with one sheet per (name, header, rows), header row bold and frozen."""
    import openpyxl
    from openpyxl.styles import Font
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, header, rows in sheets:
        ws = wb.create_sheet(name[:31])
        ws.append(list(header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(list(row))
        ws.freeze_panes = "A2"
        for j, h in enumerate(header, 1):
            ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = min(max(len(str(h)) + 2, 12), 40)
    wb.save(path)
