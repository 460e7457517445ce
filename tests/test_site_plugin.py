"""The MkDocs plugin and `boligregler docs build`: pages generated from a folder of policies."""

from __future__ import annotations

import json
import re
import textwrap
import zipfile

import pytest

from boligregler.cli import main
from boligregler.site import calculator
from boligregler.site.pages import load_site_policies, site_pages
from boligregler.site.vendor import WEB, package_dir
from test_site_markdown import write_testby

MKDOCS_YML = textwrap.dedent("""\
    site_name: Test
    docs_dir: docs
    theme: mkdocs
    plugins:
      - boligregler:
          policies: regelverk
          snapshot: false
    markdown_extensions: [attr_list, admonition, tables, pymdownx.details, pymdownx.superfences]
    validation:
      links: {not_found: warn, anchors: warn, unrecognized_links: warn}
      nav: {omitted_files: warn, not_found: warn}
    nav:
      - Forside: index.md
      - Regler:
          - regler/index.md
          - Sammenligning: regler/sammenligning.md
    """)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Forside\n\nSe [regelverkene](regler/index.md).\n", encoding="utf-8")
    (tmp_path / "regelverk").mkdir()
    write_testby(tmp_path / "regelverk")
    (tmp_path / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    return tmp_path


def test_site_pages_are_an_index_a_comparison_and_one_page_per_policy(project):
    policies = load_site_policies(project / "regelverk")
    assert [s.policy.id for s in policies] == ["nasjonal", "testby"]
    assert policies[1].base is policies[0].policy.model and policies[1].title == "Testby kommune"
    assert sorted(site_pages(policies)) == ["index.md", "nasjonal.md", "sammenligning.md", "testby.md"]


def test_docs_build_generates_the_pages_and_their_navigation(project, capsys):
    out = project / "ut"
    assert main(["docs", "--konfig", str(project / "mkdocs.yml"), "build", "--mappe", str(out)]) == 0
    assert f"Nettstedet er bygd i {out}" in capsys.readouterr().out
    page = (out / "regler" / "testby" / "index.html").read_text(encoding="utf-8")
    assert 'id="vilkar-bolig-i-testby"' in page and "Boligen ligger i Testby" in page
    assert "Resultat: søknaden blir innvilget" in page
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "Testby kommune" in home and "Nasjonal grunnmodell" in home  # added to the nav under Regler
    assert "Testby" in (out / "regler" / "sammenligning" / "index.html").read_text(encoding="utf-8")
    engine = out / "assets" / "boligregler"
    assert (engine / "boligregler.zip").is_file() and (engine / "pyodide" / "pyodide.asm.wasm").is_file()
    assert not (engine / "boligregler-minne.bin").exists()  # `snapshot: false`: the calculator starts cold
    head = page[:page.index("</head>")]  # the engine starts while the page loads
    assert re.search(r'<script async src="../../assets/boligregler/kalkulator-start.js" data-policy="testby" '
                     r'data-versjon="[0-9a-f]{24}"></script>', head)
    assert (engine / "kalkulator-start.js").is_file() and (engine / "sok.js").is_file()
    assert "kalkulator-start.js" not in home  # no calculator on the front page
    with zipfile.ZipFile(engine / "boligregler.zip") as bundle:
        names = set(bundle.namelist())
    assert {"boligregler/site/estimate.py", "boligregler/_policies/testby.pol", "lark/__init__.py"} <= names
    assert not {n for n in names if n.startswith(("boligregler/server/", "boligregler/commands/", "boligregler/cli.py"))}


def test_the_snapshot_is_pinned_to_the_pyodide_whose_private_api_it_uses():
    """Pyodide 314.0.7 has no public API for memory snapshots (nor had 314.0.8, the newest on npm on 1 December
    2026, whose typings are the same): the site build and the worker use its private `_makeSnapshot`,
    `makeMemorySnapshot` and `_loadSnapshot`, and grow the heap before the restore (pyodide#6254). An upgrade
    fails here first, so that both are checked again."""
    pinned = json.loads((WEB / "package.json").read_text(encoding="utf-8"))["dependencies"]["pyodide"]
    locked = json.loads((WEB / "package-lock.json").read_text(encoding="utf-8"))["packages"]["node_modules/pyodide"]
    assert pinned == locked["version"] == "314.0.7", (
        "Pyodide is upgraded: check that a public snapshot API has not replaced _makeSnapshot/_loadSnapshot/"
        "makeMemorySnapshot (site/minnebilde.mjs, assets/kalkulator-worker.js) and whether pyodide#6254 (the heap "
        "created at the compiled size, not the image's) is fixed, then update this test")
    typings = (package_dir("pyodide") / "pyodide.d.ts").read_text(encoding="utf-8")
    for private in ("_makeSnapshot?: boolean", "_loadSnapshot?:", "static makeMemorySnapshot("):
        assert private in typings, f"Pyodide {pinned} no longer declares {private}"
    worker = (calculator.ASSETS / "kalkulator-worker.js").read_text(encoding="utf-8")
    assert "_loadSnapshot" in worker and "memory.grow" in worker and "makeMemorySnapshot" in calculator.SNAPSHOT_SCRIPT.read_text(encoding="utf-8")


def test_a_policy_with_errors_stops_the_build_with_every_problem(project, capsys):
    path = project / "regelverk" / "testby.pol"
    path.write_text(path.read_text(encoding="utf-8").replace("oppfylt når bolig.i_kommunen",
                                                             "oppfylt når bolig.i_kommunne"), encoding="utf-8")
    assert main(["docs", "--konfig", str(project / "mkdocs.yml"), "build", "--mappe", str(project / "ut")]) == 1
    err = capsys.readouterr().err
    assert "boligregler: regelverkene i" in err and "har feil" in err
    assert "testby.pol:27:17" in err and "ukjent felt «i_kommunne»" in err and "mente du «i_kommunen»?" in err


def test_docs_build_without_configuration_names_the_file(tmp_path, capsys):
    assert main(["docs", "--konfig", str(tmp_path / "mkdocs.yml"), "build"]) == 1
    assert "finner ikke MkDocs-konfigurasjonen" in capsys.readouterr().err
