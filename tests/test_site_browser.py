"""The built site in a real browser: headless Chromium reads the pages and a tenant uses the calculator.

Builds the repository's site (mkdocs.yml, strict) once to a temporary folder, serves it on
127.0.0.1 and drives Debian's Chromium: with --dump-dom and --screenshot, and through Playwright
(one browser for all the calculator's checks). Screenshots are saved in test-artifacts/.
Skipped only when Chromium or Playwright is missing outside CI; in CI both must be there.
"""

from __future__ import annotations

import html
import html.parser
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import datetime as dt
import re

import pytest

from boligregler.cli import main
from boligregler.money import format_kr
from boligregler.rendering.policy_markdown import slug
from boligregler.site import public
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
        yield browser, url, tmp_path_factory.mktemp("chromium"), out
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_chromium(site, url: str, *args: str) -> str:
    browser, _, profile, _ = site
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
    assert all(f'<th scope="col">{h}</th>' in page for h in ("Verdi", "Gjelder fra", "Kilde"))
    assert '<caption class="bolig-skjult">' in page
    example = model.examples[0]
    decision = KOMMUNE.policy.evaluate(example.input)
    assert example.title in page and "Beregningen steg for steg" in page
    assert "Resultat: søknaden blir" in page and decision.criterion(model.criteria[0].id).forklaring in page
    assert screenshot(site, f"regler/{KOMMUNE.policy.id}/", f"{KOMMUNE.policy.id}.png").stat().st_size > 50_000


def test_comparison_page_lists_every_kommune(site):
    page = dom(site, "regler/sammenligning/")
    assert "Sammenligning av kommunene" in page
    for s in POLICIES:
        assert f'<a href="../{s.policy.id}/">{public._short(s.policy.model)}</a>' in page
    for family in public.FAMILIES:
        assert family.title in page
    assert "Renten i stresstesten" in page and "ingen fast grense" in page and "0,00 %" not in page


# ---- the calculator, driven as a tenant would -------------------------------------------------

from test_site_calculator import CASES, expected_soknad  # noqa: E402


def playwright_api():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("Playwright mangler i CI; test-ekstraen skal installere det (pip install -e '.[test]')")
        pytest.skip("Playwright er ikke installert (pip install -e '.[test]')")
    return sync_playwright


@pytest.fixture(scope="module")
def browser(site):
    """One Chromium (Debian's, never a downloaded one) for every calculator check."""
    sync_playwright = playwright_api()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=site[0], args=[f for f in CHROMIUM_FLAGS if f != "--headless"])
        yield b
        b.close()


class Requests(list):
    """Every request the page made: (url, body)."""


@pytest.fixture(scope="module")
def calculator(browser, site):
    """The kommune page with its calculator loaded, once; every request is recorded, and requests to
    any other host than the site are refused (the site must work offline)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    requests = Requests()

    def guard(route):
        requests.append((route.request.url, route.request.post_data or ""))
        if route.request.url.startswith(site[1] + "/"):
            route.continue_()
        else:
            route.abort()
    p.route("**/*", guard)
    p.goto(f"{site[1]}/regler/{KOMMUNE.policy.id}/")
    p.wait_for_function("window.boligreglerKalkulator && (window.boligreglerKalkulator.ready"
                        " || window.boligreglerKalkulator.error)", timeout=90_000)
    assert p.evaluate("window.boligreglerKalkulator.error || null") is None
    yield p, requests
    context.close()


@pytest.fixture
def page(calculator):
    """The calculator page with the form emptied («Tøm skjemaet»)."""
    p, _ = calculator
    p.get_by_role("button", name="Tøm skjemaet").click()
    p.wait_for_function("document.getElementById('kalk-svar').innerHTML === ''")
    return p


def fill_in(page, pairs) -> None:
    """Fill in the form as a person would: add the lines the answers need, type, pick, tick."""
    for name, value in pairs:
        row = re.match(r"^(.*?)\[(\d+)\]", name)
        if row:
            listing = page.locator(f'fieldset[data-liste="{row.group(1)}"]')
            while listing.locator(".kalk-rad").count() <= int(row.group(2)):
                listing.locator(".kalk-legg-til").click()
        control = page.locator(f'[name="{name}"]')
        kind = control.first.evaluate("e => e.type || e.tagName")
        if kind == "radio":
            page.locator(f'[name="{name}"][value="{value}"]').check()
        elif kind.startswith("select"):
            control.select_option(value)
        else:
            control.fill(value)


def answered(page, action) -> None:
    """Do `action` and wait for the calculator's next answer."""
    before = page.evaluate("window.boligreglerKalkulator.answers")
    action()
    page.wait_for_function(f"window.boligreglerKalkulator.answers > {before}", timeout=60_000)


def submit_and_read(page) -> dict:
    answered(page, page.get_by_role("button", name="Regn ut").click)
    answer = page.locator("#kalk-svar")
    rows = {r.locator("th").inner_text(): r.locator("td").inner_text() for r in answer.locator("tr").all()}
    classes = answer.locator(".kalk-svar").get_attribute("class").split()
    return {"utfall": next(c[5:] for c in classes if c.startswith("kalk-") and c != "kalk-svar"),
            "rows": rows, "text": answer.inner_text()}


@pytest.mark.parametrize("utfall", list(CASES))
def test_a_tenant_gets_the_policys_own_answer_in_the_browser(page, calculator, site, utfall):
    fill_in(page, CASES[utfall])
    shown = submit_and_read(page)
    soknad = expected_soknad(CASES[utfall]) | {"søknadsdato": dt.date.today().isoformat()}
    decision = KOMMUNE.policy.evaluate(soknad)
    assert shown["utfall"] == decision.utfall == utfall
    assert shown["rows"]["Største lån dere kan betjene (maks lån)"] == format_kr(decision.beløp["maks_lån"])
    assert shown["rows"]["Startlån dere kan få"] == format_kr(decision.beløp["startlån"] if utfall != "avslag" else 0)
    for c in decision.vilkår:
        if c.art != "informasjon":
            assert c.forklaring in shown["text"]
    typed = {v for _, v in CASES[utfall] if re.fullmatch(r"[\d ]{4,}", v)}
    for url, body in calculator[1]:
        assert url.startswith(site[1] + "/"), f"a request left the site: {url}"
        for value in typed:
            assert value not in url and value.replace(" ", "") not in url + body, f"form data sent: {url}"
    if utfall == "avslag":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "kalkulator-avslag-1280.png"), full_page=False)


def test_the_calculator_is_used_by_keyboard_alone_with_labelled_fields(page):
    page.locator("#kalk-tittel").click()  # the reading position: Tab goes on from the heading
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "kalk-formål":
            break
    else:
        pytest.fail("Tab reaches no field of the calculator")
    names = []
    for _ in range(200):
        page.keyboard.press("Tab")
        el = page.evaluate("""() => { const e = document.activeElement;
            const label = e.labels && e.labels[0] ? e.labels[0].innerText : (e.getAttribute('aria-label') || e.innerText);
            return {name: e.name || '', tag: e.tagName, label, text: e.innerText || ''}; }""")
        assert el["label"].strip(), f"no accessible name: {el}"
        names.append(el)
        if el["tag"] == "BUTTON" and el["text"] == "Regn ut":
            break
    else:
        pytest.fail("Tab never reaches «Regn ut»")
    assert {"husstand.voksne[0].alder", "inntekter[0].netto_per_måned", "bolig.kjøpesum"} <= {n["name"] for n in names}
    page.focus('[name="husstand.voksne[0].alder"]')
    page.keyboard.type("40")
    page.focus('[name="inntekter[0].netto_per_måned"]')
    page.keyboard.type("30000")
    page.locator("fieldset[data-liste='husstand.barn'] .kalk-legg-til").focus()
    page.keyboard.press("Enter")  # adds a line and moves the focus into it
    assert page.evaluate("document.activeElement.name") == "husstand.barn[0].alder"
    page.keyboard.type("4")
    page.focus('[name="bolig.kjøpesum"]')
    page.keyboard.type("1800000")
    page.focus('[name="bolig.eierform"]')
    page.keyboard.press("ArrowDown")
    page.focus('[name="bolig.boutgifter_per_måned"]')
    page.keyboard.type("3000")
    answered(page, lambda: page.keyboard.press("Enter"))  # Enter in a field submits the form
    assert page.evaluate("document.activeElement.closest('#kalk-svar') !== null")
    assert page.locator("#kalk-svar h3").inner_text() in {
        "Etter kommunens regler ser det ut til at dere kan få startlån",
        "Etter kommunens regler ser det ut til at dere ikke kan få startlån",
        "Kommunen må vurdere søknaden nærmere",
        "Kommunen må vurdere noe før søknaden kan avgjøres"}  # ikke_avgjort: an assessment is not stated


def test_a_missing_answer_is_shown_at_the_field(page):
    answered(page, page.get_by_role("button", name="Regn ut").click)
    assert page.locator("#kalk-svar [role=alert]").count() == 1
    field = page.locator('[name="bolig.boutgifter_per_måned"]')
    assert field.get_attribute("aria-invalid") == "true"
    assert page.locator("#kalk-bolig-boutgifter_per_måned-feil").inner_text().strip()


# ---- universal design: axe-core over every page, layouts at 390 and 1280 px --------------------

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, context: str = "document") -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core (vendored from npm) finds on the page."""
    from boligregler.site.vendor import package_dir
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(package_dir("axe-core") / "axe.min.js"))
    result = page.evaluate(f"axe.run({context}, {{runOnly: {{type: 'tag', values: {WCAG_AA}}}, resultTypes: ['violations']}})")
    return [f"{v['id']} ({v['impact']}): {v['help']}: {', '.join(str(n['target']) for n in v['nodes'][:3])}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def site_paths(site) -> list[str]:
    out = site[3]
    return sorted(("" if p.parent == out else p.parent.relative_to(out).as_posix() + "/")
                  for p in out.rglob("index.html") if "assets" not in p.relative_to(out).parts)


def test_every_page_meets_wcag_aa_by_axe(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route("**/assets/boligregler/pyodide/**", lambda route: route.abort())  # the engine is not read by axe
    found = {}
    try:
        paths = site_paths(site)
        assert len(paths) >= len(POLICIES) + 5
        for path in paths:
            page.goto(f"{site[1]}/{path}")
            problems = axe_violations(page)
            if problems:
                found[path or "/"] = problems
    finally:
        context.close()
    assert not found, "\n".join(f"{p}: {v}" for p, vs in found.items() for v in vs)


def test_the_calculators_answer_meets_wcag_aa(page):
    fill_in(page, CASES["avslag"])
    submit_and_read(page)
    assert axe_violations(page, "document.querySelector('.kalkulator')") == []


@pytest.mark.parametrize("width", [390, 1280])
def test_layouts_at_phone_and_desktop_width(browser, site, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.route("**/assets/boligregler/pyodide/**", lambda route: route.abort())
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        for path, name in ((f"regler/{KOMMUNE.policy.id}/", KOMMUNE.policy.id), ("regler/sammenligning/", "sammenligning"),
                           ("", "forside")):
            page.goto(f"{site[1]}/{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{path} is {overflow} px wider than a {width} px screen"
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=False)
            if path.startswith("regler/") and name != "sammenligning":
                form = page.locator("#kalkulator")
                form.scroll_into_view_if_needed()
                box = form.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1
                page.screenshot(path=str(ARTIFACTS / f"{name}-kalkulator-{width}.png"), full_page=False)
    finally:
        context.close()


def test_site_search_finds_a_kommune_in_norwegian(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route("**/assets/boligregler/pyodide/**", lambda route: route.abort())
    try:
        page.goto(f"{site[1]}/")
        page.locator("label.md-search__icon, .md-search__input").first.click()
        page.locator(".md-search__input").fill("tilskudd etablering")
        page.wait_for_selector(".md-search-result__item", timeout=30_000)
        results = page.locator(".md-search-result__item").all_inner_texts()
        assert any("Tilskudd til etablering" in r for r in results)
        assert page.locator(".md-search__input").get_attribute("placeholder") == "Søk"
    finally:
        context.close()


# ---- no identifiers where the public reads ---------------------------------------------------------


class _ReadText(html.parser.HTMLParser):
    """The text a reader (or a screen reader) gets from a page: its text and its labelling attributes."""

    SKIPPED = {"script", "style", "template"}
    READ_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        self.parts += [v for k, v in attrs if k in self.READ_ATTRIBUTES and v]

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def read_text(page_html: str) -> str:
    reader = _ReadText()
    reader.feed(page_html)
    return " ".join(" ".join(reader.parts).replace("\u00a0", " ").split()).lower()


def developer_pages() -> set[str]:
    """The pages under «For utviklere» in mkdocs.yml's menu, as folders of the built site."""
    import yaml

    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    section = next(entry["For utviklere"] for entry in nav if isinstance(entry, dict) and "For utviklere" in entry)
    files = [next(iter(e.values())) if isinstance(e, dict) else e for e in section]
    return {f.removesuffix(".md").removesuffix("index").rstrip("/") + "/" for f in files}


def policy_identifiers() -> dict[str, set[str]]:
    """Every multi-word identifier of the shipped policies (parameters, computations, tables, criteria,
    schemes) → the forms a page must not show: raw (`maks_tilskudd_andel`) and split by spaces
    (`maks tilskudd andel`). A split form written by a person, in a policy's title or text or in a
    reader-facing label (`maks lån`, «Eie først», «Antall barn i husstanden»), is Norwegian and allowed."""
    from boligregler.rendering.labels import PHRASES

    written: list[str] = list(PHRASES.values())
    names: set[str] = set()
    for s in POLICIES:
        m = s.policy.model
        written += [str(v) for v in m.header.values()] + [m.doc]
        for c in [*m.criteria, *(c for sc in m.schemes.values() for c in sc.criteria)]:
            names.add(c.id)
            written += [c.title, c.doc, c.hjemmel, *(e.title for e in c.exceptions)]
            written += [p for t in c.explanations.values() if t for p in t.parts if isinstance(p, str)]
        for sc in m.schemes.values():
            names |= {sc.id, *sc.computations}
            written += [sc.title, sc.doc, *(c.doc for c in sc.computations.values())]
        for d in (m.parameters, m.computations, m.tables):
            names |= set(d)
            written += [x.doc for x in d.values()]
        written += [t for ex in m.examples for t in (ex.title, ex.doc)] + [c.text for c in m.conditions]
    authors = " ".join(" ".join(written).split()).lower()
    forms = {}
    for n in names:
        if "_" in n:
            split = n.replace("_", " ").lower()
            forms[n] = {n.lower()} | ({split} if split not in authors else set())
    return forms


def test_no_identifier_on_any_public_page(site):
    out = site[3]
    developer = developer_pages()
    forms = policy_identifiers()
    assert "maks tilskudd andel" in forms["maks_tilskudd_andel"]
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(f)}(?!\w)" for fs in forms.values() for f in sorted(fs)))
    found, read = {}, 0
    for path in site_paths(site):
        if path in developer:
            continue
        text = read_text((out / path / "index.html").read_text(encoding="utf-8"))
        read += 1
        hits = sorted({m.group() for m in pattern.finditer(text)})
        if hits:
            found[path or "/"] = hits
    assert read >= len(POLICIES) + 3, "the kommune pages, the national rules, the list, the comparison, the front page"
    assert not found, "\n".join(f"{p}: {', '.join(h)}" for p, h in found.items())
