"""The built site in a real browser: headless Chromium reads a kommune page and the comparison.

Builds the repository's site (mkdocs.yml, strict) to a temporary folder, serves it on
127.0.0.1 and drives Chromium with --dump-dom and --screenshot. Screenshots are saved in
test-artifacts/. Skipped only when Chromium is missing outside CI; in CI it must run.
"""

from __future__ import annotations

import html
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from boligregler.cli import main
from boligregler.rendering.policy_markdown import _short_place, slug
from boligregler.site.pages import load_site_policies

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


def chromium() -> str:
    found = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium mangler i CI; .ci/run skal installere det (apt-get install chromium)")
        pytest.skip("Chromium er ikke installert (apt-get install chromium); .ci/run installerer det i CI")
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The base URL of the built site, served on a free local port."""
    browser = chromium()
    out = tmp_path_factory.mktemp("site")
    assert main(["docs", "--konfig", str(ROOT / "mkdocs.yml"), "build", "--mappe", str(out)]) == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield browser, url, tmp_path_factory.mktemp("chromium")
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_chromium(site, url: str, *args: str) -> str:
    browser, _, profile = site
    result = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def dom(site, path: str) -> str:
    return html.unescape(run_chromium(site, f"{site[1]}/{path}", "--dump-dom"))


def screenshot(site, path: str, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    target.unlink(missing_ok=True)
    run_chromium(site, f"{site[1]}/{path}", "--window-size=1280,2200", "--hide-scrollbars", f"--screenshot={target}")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return target


POLICIES = load_site_policies(ROOT / "policies")
KOMMUNE = next(s for s in POLICIES if s.policy.id == "drammen") if any(
    s.policy.id == "drammen" for s in POLICIES) else next(s for s in POLICIES if s.base is not None)


def test_kommune_page_shows_criteria_parameter_table_and_a_worked_example(site):
    page = dom(site, f"regler/{KOMMUNE.policy.id}/")
    model = KOMMUNE.policy.model
    assert f"<h1 id=\"regelverk-{model.id}\">{model.header['navn']}" in page
    for criterion in model.criteria:
        assert f'id="{slug("vilkår", criterion.id)}"' in page
        assert criterion.title in page
    assert "<th>Verdi</th>" in page and "<th>Gjelder fra</th>" in page and "<th>Kilde</th>" in page
    example = model.examples[0]
    decision = KOMMUNE.policy.evaluate(example.input)
    assert example.title in page and "Beregningen steg for steg" in page
    assert "Resultat: søknaden blir" in page and decision.criterion(model.criteria[0].id).forklaring in page
    assert screenshot(site, f"regler/{KOMMUNE.policy.id}/", f"{KOMMUNE.policy.id}.png").stat().st_size > 50_000


def test_comparison_page_lists_every_kommune(site):
    page = dom(site, "regler/sammenligning/")
    assert "Sammenligning av kommunene" in page
    for s in POLICIES:
        assert f'<a href="../{s.policy.id}/">{_short_place(s.policy.model)}</a>' in page
