"""Load every policy in a folder and render the site's Markdown pages from them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Mapping, Sequence

import attrs

from boligregler.api import Policy, load_policy
from boligregler.diagnostics import PolicyError
from boligregler.model.checker import check
from boligregler.explain.frame import målform
from boligregler.model.loader import load_chain, shipped_base
from boligregler.model.policy import CheckedPolicy
from boligregler.site.calculator import form_html
from boligregler.rendering.policy_markdown import (
    SECTIONS, Block, Heading, Paragraph, esc, national, policy_blocks, slug, to_markdown,
)
from boligregler.site.public import (
    assess_families, comparison_page, index_page, public_markdown, public_text, rule_blocks, summary_blocks,
)

INDEX = "index.md"
COMPARISON = "sammenligning.md"
WIDE_PAGE = "---\nhide:\n  - toc\n---\n\n"  # Material: no table of contents column, so the matrix fits


@attrs.frozen
class SitePolicy:
    """A policy on the site, with the checked policy it builds on and its root baseline."""

    path: Path
    policy: Policy
    base: CheckedPolicy | None
    root: CheckedPolicy

    @property
    def national(self) -> bool:
        """The national rules (the baseline, or the baseline in another målform): a page without a calculator."""
        return national(self.policy.model)

    @property
    def title(self) -> str:
        model = self.policy.model
        title = str(model.header.get("kommune") or self.policy.navn)
        if self.national and self.base is not None:  # the baseline restated: «Nasjonal grunnmodell på nynorsk»
            title = f"{title} på {målform(model)}"
        return title

    @classmethod
    def of(cls, path: Path, policy: Policy, known: Mapping[str, CheckedPolicy] = {}) -> SitePolicy:
        """`policy`, loaded from `path`, with the checked policies it builds on: taken from `known` (by id)
        when their chain matches, else checked from `path`'s chain."""
        chain = policy.model.chain
        if len(chain) == 1:
            return cls(path, policy, None, policy.model)

        def model_of(ids: tuple[str, ...]) -> CheckedPolicy:
            model = known.get(ids[-1])
            if model is not None and model.chain == ids:
                return model
            return check(load_chain(path)[:len(ids)])

        base = model_of(chain[:-1])
        return cls(path, policy, base, base if len(chain) == 2 else model_of(chain[:1]))

    def blocks(self, sections: Sequence[str] = SECTIONS) -> list[Block]:
        """The policy's page; its worked examples follow the root baseline's calculation order."""
        return policy_blocks(self.policy, self.base, reference=tuple(self.root.computations), sections=sections)


def load_site_policies(folder: str | Path) -> list[SitePolicy]:
    """Every `*.pol` in `folder`, baselines first, then by kommune; raises `PolicyError` listing every error."""
    paths = sorted(Path(folder).glob("*.pol"))
    policies, diagnostics, sources = [], [], {}
    for path in paths:
        try:
            policies.append((path, load_policy(path)))
        except PolicyError as e:
            diagnostics += [d for d in e.diagnostics if d not in diagnostics]
            sources.update(e.sources)
    if diagnostics:
        raise PolicyError(diagnostics, sources)
    policies += _bases_outside(folder, [p for _, p in policies])
    by_id = {p.id: p.model for _, p in policies}
    out = [SitePolicy.of(path, p, by_id) for path, p in policies]
    return sorted(out, key=lambda s: (not s.national, len(s.policy.model.chain), s.title.lower(), s.policy.id))


def _bases_outside(folder: str | Path, policies: Sequence[Policy]) -> list[tuple[Path, Policy]]:
    """The shipped bases the folder's policies build on but the folder does not hold (the national rules
    in nynorsk, say), so that every «bygger på» link has its page."""
    inside = {p.id for p in policies}
    wanted = sorted({i for p in policies for i in p.model.chain[:-1]} - inside)
    return [(path, load_policy(path)) for path in (shipped_base(i) for i in wanted) if path is not None]


def policy_page(site_policy: SitePolicy) -> str:
    """The Markdown page of one policy, its title (escaped) in the front matter for the page's <title>;
    a kommune's page has the calculator after its overview."""
    front = f"---\ntitle: {json.dumps(html_title(site_policy.title), ensure_ascii=False)}\n---\n\n"
    model = site_policy.policy.model
    if site_policy.national:  # the national rules: no calculator (a søknad goes to a kommune)
        top = [Heading(1, esc(model.header.get("navn", model.id)), slug("regelverk", model.id)),
               Paragraph(esc(public_text(" ".join(model.doc.split()))))]
        return front + to_markdown(top) + "\n" + public_markdown(to_markdown(rule_blocks(site_policy)))
    results = assess_families(site_policy.policy, dt.date.today())
    top = [Heading(1, esc(model.header.get("navn", model.id)), slug("regelverk", model.id)),
           *summary_blocks(site_policy.policy, site_policy.base, results)]
    return (front + to_markdown(top) + "\n" + form_html(site_policy.policy) + "\n"
            + public_markdown(to_markdown(rule_blocks(site_policy))))


def html_title(text: str) -> str:
    """A policy's title as HTML text for a theme that inserts it unescaped (navigation, <title>): markup
    characters, line breaks and anything YAML front matter cannot hold become character references."""
    return "".join(c if c.isprintable() and c not in "<>&\"'`\\" else f"&#{ord(c)};" for c in " ".join(text.split()))


def site_pages(policies: list[SitePolicy]) -> dict[str, str]:
    """Page file name (relative to the site's policy folder) → Markdown."""
    loaded = [s.policy for s in policies if not s.national or s.base is None]  # kommuner and the baseline
    pages = {INDEX: to_markdown(index_page(loaded)),
             COMPARISON: WIDE_PAGE + to_markdown(comparison_page(loaded, dt.date.today()))}
    for s in policies:
        pages[f"{s.policy.id}.md"] = policy_page(s)
    return pages
