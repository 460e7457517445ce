"""Load every policy in a folder and render the site's Markdown pages from them."""

from __future__ import annotations

from pathlib import Path

import attrs

from boligregler.api import Policy, load_policy
from boligregler.diagnostics import PolicyError
from boligregler.model.checker import check
from boligregler.model.loader import load_chain
from boligregler.model.policy import CheckedPolicy
from boligregler.rendering.policy_markdown import (
    comparison_blocks, index_blocks, policy_blocks, to_markdown,
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
    def title(self) -> str:
        return str(self.policy.model.header.get("kommune") or self.policy.navn)


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
    by_id = {p.id: p.model for _, p in policies}

    def model_of(path: Path, chain: tuple[str, ...]) -> CheckedPolicy:
        if chain[-1] in by_id and by_id[chain[-1]].chain == chain:
            return by_id[chain[-1]]
        return check(load_chain(path)[:len(chain)])

    out = []
    for path, p in policies:
        chain = p.model.chain
        base = model_of(path, chain[:-1]) if len(chain) > 1 else None
        root = model_of(path, chain[:1]) if len(chain) > 1 else p.model
        out.append(SitePolicy(path, p, base, root))
    return sorted(out, key=lambda s: (len(s.policy.model.chain) > 1, s.title.lower(), s.policy.id))


def policy_page(site_policy: SitePolicy) -> str:
    """The Markdown page of one policy; its worked examples follow the root baseline's calculation order."""
    return to_markdown(policy_blocks(site_policy.policy, site_policy.base,
                                     reference=tuple(site_policy.root.computations)))


def site_pages(policies: list[SitePolicy]) -> dict[str, str]:
    """Page file name (relative to the site's policy folder) → Markdown."""
    models = [s.policy.model for s in policies]
    pages = {INDEX: to_markdown(index_blocks(models)), COMPARISON: WIDE_PAGE + to_markdown(comparison_blocks(models))}
    for s in policies:
        pages[f"{s.policy.id}.md"] = policy_page(s)
    return pages
