"""The generated site shows every policy text as text: no markup, script or link a policy did not mean.

A hostile policy puts HTML, Markdown block markers and `javascript:` links into every text field; the
built site (MkDocs Material, as published) must show them as text everywhere, navigation and titles
included, and link only to http(s) addresses.
"""

from __future__ import annotations

import html.parser
import re
import textwrap
from pathlib import Path

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boligregler.api import check_policy
from boligregler.cli import main
from boligregler.rendering.markup import escape_markdown, safe_link_target
from boligregler.rendering.policy_markdown import BulletList, Heading, Paragraph, Table, link, to_markdown
from test_site_markdown import TESTBY, write_testby
from test_site_plugin import MKDOCS_YML

PROBE = "<img src=x onerror=alert('xss')>"
SCRIPT = "</title><script>alert('xss')</script>"
SITE_EXTENSIONS = ["attr_list", "admonition", "tables", "toc", "pymdownx.details", "pymdownx.superfences"]


def hostile_testby() -> str:
    text = TESTBY
    for old, new in [
        ('"Testby kommune"', f'"Ondsinnet {PROBE}"'),
        ('"Startlån i Testby kommune"', f'"Navn {SCRIPT}"'),
        ('"Testby kommunes klagenemnd"', '"x\\n\\n<script>alert(1)</script>"'),
        ('"Boligen ligger i Testby"', '"Tittel\\n\\n- liste\\n<script>alert(2)</script>"'),
        ('"Testby kommune, vedtak 1"', '"[klikk](javascript:alert(3)) <b onmouseover=alert(4)>"'),
        ('"Enslig med lønn får lån"', '"Eksempel\\n    kode\\n=== <iframe src=x>"'),
        ('"Boligen ligger i Testby."', '"Forklaring <svg onload=alert(5)>"'),
    ]:
        assert old in text
        text = text.replace(old, new)
    return text.replace("## Testby regner med en fast rente.", "## Testby <img src=y onerror=alert(6)> regner.")


class Elements(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text outside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def elements(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    return parser


def assert_no_injection(page: str, where: str) -> None:
    parsed = elements(page)
    for tag, attrs in parsed.tags:
        assert tag not in ("iframe", "b"), (where, tag)
        assert not (tag == "img" and attrs.get("src") in ("x", "y")), where
        assert not any(name.startswith("on") for name in attrs), (where, tag, attrs)
        href = (attrs.get("href") or "").strip().lower()
        assert not href.startswith(("javascript:", "data:", "vbscript:")), (where, href)
        if tag == "script":
            assert "alert(" not in str(attrs), where
    assert "<script>alert" not in page, where


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fiendtlig")
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# Forside\n", encoding="utf-8")
    (root / "regelverk").mkdir()
    write_testby(root / "regelverk")
    (root / "regelverk" / "testby.pol").write_text(hostile_testby(), encoding="utf-8")
    (root / "mkdocs.yml").write_text(MKDOCS_YML.replace("theme: mkdocs", "theme:\n  name: material"),
                                     encoding="utf-8")
    out = root / "ut"
    assert main(["docs", "--konfig", str(root / "mkdocs.yml"), "build", "--mappe", str(out)]) == 0
    return out


def test_every_page_of_the_site_shows_hostile_policy_texts_as_text(built_site):
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) >= 5
    for page in pages:
        assert_no_injection(page.read_text(encoding="utf-8"), str(page.relative_to(built_site)))
    policy_page = (built_site / "regler" / "testby" / "index.html").read_text(encoding="utf-8")
    shown = " ".join("".join(elements(policy_page).text).split())
    assert f"Ondsinnet {PROBE}" in shown and "Forklaring <svg onload=alert(5)>" in shown
    assert "Tittel - liste <script>alert(2)</script>" in shown  # the title's lines, as one line of text
    assert "[klikk](javascript:alert(3))" in shown


def test_navigation_and_page_titles_are_escaped(built_site):
    home = (built_site / "index.html").read_text(encoding="utf-8")
    nav = " ".join("".join(elements(home).text).split())
    assert f"Ondsinnet {PROBE}" in nav  # the policy's navigation entry, shown as text
    policy_page = (built_site / "regler" / "testby" / "index.html").read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", policy_page, re.S).group(1)
    assert "<" not in title and "Ondsinnet &#60;img" in title


def test_a_link_that_is_not_http_is_refused_by_the_checker(tmp_path):
    text = TESTBY.replace('lenke: "https://testby.example/startlan"', 'lenke: "javascript:alert(document.domain)"')
    write_testby(tmp_path)
    (tmp_path / "testby.pol").write_text(text, encoding="utf-8")
    diagnostics = check_policy(tmp_path / "testby.pol").diagnostics
    assert [(d.code, d.span.line) for d in diagnostics] == [("T002", text[:text.index("javascript")].count("\n") + 1)]
    assert "https://" in diagnostics[0].message


@pytest.mark.parametrize("target", ["javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,<script>", "x\n\n<script>",
                                    "https://a.example/ b", "https:///x", "//evil.example", "vbscript:x", ""])
def test_links_go_only_to_web_addresses_and_the_sites_own_pages(target):
    assert safe_link_target(target) is None
    assert link("tekst", target) == "tekst"


@pytest.mark.parametrize("target", ["https://lovdata.no/forskrift/2014-03-03-210/§5-2", "http://x.example/a(b)",
                                    "#vilkar-bolig", "sammenligning.md", "regelverk:drammen#parametre"])
def test_web_addresses_and_site_targets_are_kept(target):
    assert safe_link_target(target) is not None
    assert "(" not in safe_link_target(target) and ")" not in safe_link_target(target)


def _shown(markdown_text: str) -> tuple[list[str], str]:
    rendered = markdown.markdown(markdown_text, extensions=SITE_EXTENSIONS)
    parsed = elements(rendered)
    return [tag for tag, _ in parsed.tags], " ".join("".join(parsed.text).split())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(list("ab1 \n\t-+*_=#>|:?!~^`[](){}<>&\\/.;\"'") + [
    "    ", "1.", "2)", "&lt;", "&#45;", "<script>", "!!! note", "??? x", "{: #a }", "```", "***", "<http://x.example>"]),
    max_size=25).map("".join))
def test_escaped_text_renders_as_exactly_that_text_in_every_block(text):
    plain = " ".join(text.split())
    escaped = escape_markdown(text)
    assert "\n" not in escaped
    for block, tags in [(Paragraph(escaped), ["p"]), (BulletList((escaped, escaped)), ["ul", "li", "li"]),
                        (Heading(2, f"a {escaped}"), ["h2"]), (Table(("a",), ((escaped,),)), None)]:
        rendered_tags, shown = _shown(to_markdown([block]))
        if tags is None:
            assert rendered_tags == ["table", "thead", "tr", "th", "tbody", "tr", "td"], text
            assert shown == " ".join(f"a {plain}".split()), text
        elif plain or block.__class__ is Heading:
            assert rendered_tags == tags, (text, escaped, rendered_tags)
            expected = f"a {plain}" if block.__class__ is Heading else (
                f"{plain} {plain}" if block.__class__ is BulletList else plain)
            assert shown == " ".join(expected.split()), (text, escaped, shown)


def test_code_block_fence_is_longer_than_any_fence_in_the_text():
    from boligregler.rendering.policy_markdown import CodeBlock
    source = textwrap.dedent("""\
        a
        ````
        <script>alert(1)</script>
        ```
        """)
    tags, shown = _shown(to_markdown([CodeBlock("pol", source)]))
    assert "script" not in tags and "p" not in tags and tags.count("pre") == 1
    assert "a ```` <script>alert(1)</script> ```" in shown
