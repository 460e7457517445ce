"""The Sphinx extension: `.. regelverk::` renders a policy as native docutils nodes."""

from __future__ import annotations

import io
import re

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace

from boligregler.sphinx_ext import inline_nodes
from test_site_markdown import write_testby


def sphinx_build(tmp_path, body: str) -> tuple[int, str]:
    """Build a one-page Sphinx site with warnings as errors; the status code and the warnings."""
    src = tmp_path / "src"
    src.mkdir()
    write_testby(src)
    (src / "conf.py").write_text('extensions = ["boligregler.sphinx_ext"]\nproject = "test"\n', encoding="utf-8")
    (src / "index.rst").write_text(f"Regler\n======\n\n{body}\n", encoding="utf-8")
    warnings = io.StringIO()
    with docutils_namespace():  # as sphinx-build does: directives and nodes registered for this build only
        app = Sphinx(str(src), str(src), str(tmp_path / "out"), str(tmp_path / "doctrees"), "html",
                     status=io.StringIO(), warning=warnings, warningiserror=True, freshenv=True)
        app.build()
    return app.statuscode, warnings.getvalue()


def build(tmp_path, body: str) -> str:
    """The HTML of a one-page Sphinx site that must build without a warning."""
    status, warnings = sphinx_build(tmp_path, body)
    assert (status, warnings) == (0, "")
    return (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_directive_renders_the_whole_policy(tmp_path):
    page = build(tmp_path, ".. regelverk:: testby.pol")
    assert "Startlån i Testby kommune" in page
    assert 'id="testby-vilkar-bolig-i-testby"' in page and "Boligen ligger i Testby" in page
    assert "<table" in page and "Testby kommune, vedtak 1" in page
    assert "Enslig med lønn får lån" in page and "Resultat: søknaden blir innvilget" in page
    assert 'href="https://testby.example/startlan"' in page
    assert 'class="highlight-pol' in page
    for target in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{target}"' in page, target


def test_parts_option_selects_sections(tmp_path):
    page = build(tmp_path, ".. regelverk:: testby.pol\n   :deler: vilkår")
    assert "Boligen ligger i Testby" in page
    assert "Enslig med lønn får lån" not in page and "Kort fortalt" not in page


def test_unknown_part_is_an_error_naming_the_choices(tmp_path):
    status, warnings = sphinx_build(tmp_path, ".. regelverk:: testby.pol\n   :deler: eksempel")
    assert status != 0
    assert "index.rst:4: ERROR: ukjent del eksempel i :deler:; velg blant oversikt, endringer" in warnings


def test_inline_markup_becomes_nodes():
    result = inline_nodes("**Art:** *hoved\\*regel* [§ 5-2](https://lovdata.no/x) og [a](#b) &lt;3", "p")
    assert [type(n) for n in result] == [nodes.strong, nodes.Text, nodes.emphasis, nodes.Text, nodes.reference,
                                         nodes.Text, nodes.reference, nodes.Text]
    assert result[2].astext() == "hoved*regel"
    assert result[4]["refuri"] == "https://lovdata.no/x" and result[6]["refid"] == "p-b"
    assert "".join(n.astext() for n in result) == "Art: hoved*regel § 5-2 og a <3"
