"""A developers' page with the example coverage of every policy (`test --dekning`), for the site.

The boligregler MkDocs plugin writes it where its `dekning` option says (e.g. `utviklere/dekning.md`).
Per policy: how much of it and of what it inherits its examples exercise, by kind (criterion
results, outcomes, `hvis` branches, table rows), and every point no example reaches, with its
file:line:col. The public pages stay free of it; list the page under «For utviklere» in `nav`.
"""

from __future__ import annotations

from typing import Sequence

from boligregler.coverage import KINDS, Coverage, coverage, describe_point, percent_text
from boligregler.rendering.policy_markdown import Admonition, Block, BulletList, Heading, Paragraph, Table, esc, slug, to_markdown
from boligregler.site.pages import SitePolicy


def coverage_blocks(reports: list[tuple[str, Coverage]]) -> list[Block]:
    """The page: an overview table, then one section per policy (`reports`: (title, coverage))."""
    blocks: list[Block] = [
        Heading(1, "Dekning av eksemplene"),
        Paragraph("Hvor mye av hvert regelverk eksemplene i `.pol`-filen prøver: hvert mulig vilkårsresultat "
                  "(oppfylt, ikke oppfylt, hvert unntak, ikke relevant, ikke vurdert), hvert utfall, begge "
                  "grener av hver `hvis` og hver rad i hver versjon av hver tabell. Det arvede (fra "
                  "`bygger på`) telles for seg. Samme tall som `boligregler test --dekning REGELVERK`."),
        Table(("Regelverk", "Eksempler", "Dekket", "Dekning"),
              tuple((f"[{esc(title)}](#{slug('dekning', cov.policy)})", str(len(cov.examples)),
                     f"{cov.covered} av {len(cov.points)}", percent_text(cov.percent)) for title, cov in reports)),
    ]
    for title, cov in reports:
        blocks += _policy_blocks(title, cov)
    return blocks


def _policy_blocks(title: str, cov: Coverage) -> list[Block]:
    out: list[Block] = [Heading(2, esc(title), slug("dekning", cov.policy)),
                        Paragraph(f"{len(cov.examples)} eksempler dekker {percent_text(cov.percent)} "
                                  f"({cov.covered} av {len(cov.points)} punkter).")]
    rows = []
    for pid in reversed(cov.chain):
        points = cov.of(pid)
        if not points:
            continue
        cells = [f"{sum(p.covered for p in cov.of(pid, k))} av {len(cov.of(pid, k))}" for k in KINDS]
        label = esc(pid) if pid == cov.policy else f"{esc(pid)} (arvet)"
        rows.append((label, *cells, percent_text(cov.percent_of(pid))))
    out.append(Table(("Regelverk", *(k.capitalize() for k in KINDS.values()), "Totalt"), tuple(rows)))
    missing = [p for p in cov.points if not p.covered]
    if missing:
        items = tuple(esc(describe_point(p)) + (f" (`{p.location}`)" if p.location else "") for p in missing)
        out.append(Admonition("note", f"Ikke dekket ({len(missing)})", (BulletList(items),), collapsible=True))
    if cov.failed:
        out.append(Paragraph("Eksempler som ikke kunne vurderes (ikke talt med): " + ", ".join(esc(n) for n in cov.failed)))
    return out


def coverage_page(policies: Sequence[SitePolicy]) -> str:
    """The Markdown page for the site's policies (in the site's order)."""
    return to_markdown(coverage_blocks([(s.title, coverage(s.policy)) for s in policies]))
