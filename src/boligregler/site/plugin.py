"""MkDocs plugin: generate the policy pages from a folder of `.pol` files at build time.

    plugins:
      - boligregler:
          policies: policies   # folder of .pol files, relative to mkdocs.yml
          dest: regler         # folder of the generated pages inside the site
          dekning: utviklere/dekning.md  # optional: a developers' page with each policy's example coverage
          snapshot: true       # the calculator's memory snapshot (made in Node; false: Pyodide starts cold)

The pages are added to `nav` next to `<dest>/index.md`, wherever mkdocs.yml lists it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.config_options import ExtraScriptValue
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

from boligregler.diagnostics import BoligreglerError
from boligregler.explain.frame import målform
from boligregler.site import calculator
from boligregler.site.coverage_page import coverage_page
from boligregler.site.html import accessible_tables, theme_in
from boligregler.site.pages import INDEX, SitePolicy, html_title, load_site_policies, site_pages
from boligregler.site.vendor import package_dir


class BoligreglerConfig(base.Config):
    policies = c.Type(str, default="policies")
    dest = c.Type(str, default="regler")
    dekning = c.Optional(c.Type(str))
    snapshot = c.Type(bool, default=True)


class BoligreglerPlugin(BasePlugin[BoligreglerConfig]):
    def __init__(self) -> None:
        self.policies: list[SitePolicy] = []
        self.folder = Path()
        self.engine: tuple[Path, Path, list[str] | None] | None = None  # built once per build, see `_engine`
        self.engine_version: str | None = None

    def on_config(self, config):
        self.engine = self.engine_version = None
        self.folder = Path(config.config_file_path or ".").resolve().parent / self.config.policies
        if not self.folder.is_dir():
            raise PluginError(f"boligregler: finner ikke mappen med regelverk: {self.folder}")
        try:
            self.policies = load_site_policies(self.folder)
        except BoligreglerError as e:
            raise PluginError(f"boligregler: regelverkene i {self.folder} har feil:\n{e}") from None
        if config.nav is not None:
            self._add_to_nav(config.nav)
        config.extra_css += [f"{calculator.DEST}/nettsted.css", f"{calculator.DEST}/kalkulator.css"]
        for name in ("nettsted.js", "kalkulator.js"):
            script = ExtraScriptValue(f"{calculator.DEST}/{name}")
            script.type = "module"
            config.extra_javascript.append(script)
        return config

    def _add_to_nav(self, nav: list) -> None:
        index = f"{self.config.dest}/{INDEX}"
        section = _section_listing(nav, index)
        if section is None:
            return
        listed = {_target(entry) for entry in section}
        section += [{html_title(s.title): f"{self.config.dest}/{s.policy.id}.md"} for s in self.policies
                    if f"{self.config.dest}/{s.policy.id}.md" not in listed]

    def on_files(self, files: Files, *, config) -> Files:
        try:
            pages = site_pages(self.policies)
        except BoligreglerError as e:
            raise PluginError(f"boligregler: kan ikke lage sidene: {e}") from None
        for name, markdown in pages.items():
            files.append(File.generated(config, f"{self.config.dest}/{name}", content=markdown))
        if self.config.dekning:
            files.append(File.generated(config, self.config.dekning, content=coverage_page(self.policies)))
        for name in calculator.ASSET_FILES:
            files.append(File.generated(config, f"{calculator.DEST}/{name}", abs_src_path=str(calculator.ASSETS / name)))
        return files

    def on_page_content(self, html, *, page, config, files):
        """Tables get captions and header scope (Markdown has no syntax for them)."""
        return accessible_tables(html)

    def on_post_page(self, output, *, page, config):
        """A page of a policy written in nynorsk says so to screen readers and search (`lang="nn"`) and has the
        theme's words in nynorsk, the theme's landmarks have Norwegian names (`html.theme_in`); a
        kommune page starts its calculator's engine from its head, and every page defers the theme's
        search index until the reader uses search (assets/sok.js, run before the theme's script)."""
        site_policy = next((s for s in self.policies if page.file.src_uri == f"{self.config.dest}/{s.policy.id}.md"), None)
        form = målform(site_policy.policy.model) if site_policy is not None else "bokmål"
        if form == "nynorsk":
            output = output.replace('<html lang="nb"', '<html lang="nn"', 1)
        output = theme_in(output, form)
        assets = get_relative_url(calculator.DEST, page.url)
        if site_policy is not None and not site_policy.national:  # a kommune page: it has the calculator
            start = (f'<script async src="{assets}/kalkulator-start.js" data-policy="{html.escape(site_policy.policy.id)}" '
                     f'data-versjon="{self._engine_version()}"></script>\n')
            output = output.replace("</head>", start + "</head>", 1)
        bundle = re.search(r'<script src="[^"]*assets/javascripts/bundle\.[0-9a-f]+\.min\.js"></script>', output)
        if bundle is not None:
            output = (output[:bundle.start()] + f'<script src="{assets}/sok.js"></script>\n'
                      + output[bundle.start():])
        return output

    def on_post_build(self, *, config) -> None:
        """The calculator's engine: the Pyodide runtime (vendored from npm), the library bundle and its snapshot."""
        try:
            calculator.write_assets(Path(config.site_dir), *self._engine())
        except BoligreglerError as e:
            raise PluginError(f"boligregler: kan ikke lage kalkulatoren: {e}") from None

    def _engine(self) -> tuple[Path, Path, list[str] | None]:
        """(library bundle, Pyodide folder, policies in the snapshot or None): what the engine is built from;
        the bundle is made once per build."""
        if self.engine is None:
            self.engine = (calculator.bundle([s.path for s in self.policies] + self._bases()), package_dir("pyodide"),
                           [s.policy.id for s in self.policies if not s.national] if self.config.snapshot else None)
        return self.engine

    def _engine_version(self) -> str:
        if self.engine_version is None:
            try:
                library, pyodide, snapshot_of = self._engine()
                self.engine_version = calculator.engine_version(library, snapshot_of, pyodide)
            except BoligreglerError as e:
                raise PluginError(f"boligregler: kan ikke lage kalkulatoren: {e}") from None
        return self.engine_version

    def _bases(self) -> list[Path]:
        """Policy files the site's policies build on that live outside its folder (the shipped baseline)."""
        inside = {s.path.resolve() for s in self.policies}
        return sorted({Path(p).resolve() for s in self.policies for p in s.policy.model.sources} - inside)

    def on_serve(self, server, *, config, builder):
        server.watch(str(self.folder))
        return server


def _target(entry) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and len(entry) == 1:
        value = next(iter(entry.values()))
        return value if isinstance(value, str) else None
    return None


def _section_listing(items: list, uri: str) -> list | None:
    """The nav list that contains `uri`, searched depth first."""
    if any(_target(entry) == uri for entry in items):
        return items
    for entry in items:
        if isinstance(entry, dict):
            for value in entry.values():
                if isinstance(value, list) and (found := _section_listing(value, uri)) is not None:
                    return found
    return None
