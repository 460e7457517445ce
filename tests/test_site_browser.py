"""The built site in a real browser: Debian's Chromium, driven by Playwright, reads the pages and a
tenant uses the calculator.

The repository's site (mkdocs.yml, strict) is built once for the session to a temporary folder and
served on 127.0.0.1; one browser serves every test, and the pages the accessibility check reads are
loaded and checked several at a time. Screenshots are saved in test-artifacts/. Skipped only when
Chromium or Playwright is missing outside CI; in CI both must be there.
"""

from __future__ import annotations

import datetime as dt
import html
import html.parser
import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from boligregler.money import format_kr
from boligregler.rendering.policy_markdown import slug
from boligregler.site import public
from boligregler.site.pages import load_site_policies
from site_server import CHROMIUM_FLAGS, build_site, chromium_path, serving

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
POLICIES = load_site_policies(ROOT / "policies")
KOMMUNE = next(s for s in POLICIES if s.policy.id == "drammen") if any(
    s.policy.id == "drammen" for s in POLICIES) else next(s for s in POLICIES if s.base is not None)


def engine(url: str) -> bool:
    """The calculator's runtime (Pyodide, the library, its snapshot): pages that only read leave it out."""
    path = url.split("?", 1)[0]
    return "/assets/boligregler/pyodide/" in path or path.endswith(("/boligregler.zip", "/boligregler-minne.bin"))


SEARCH_INDEX = "**/search/search_index.json"  # built into an index on every page load; only the search test reads it


def required(what, install: str):
    """`what` (found, or None): in CI a missing one fails the test, elsewhere it skips it."""
    if what is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"mangler i CI: {install}")
        pytest.skip(f"mangler: {install}")
    return what


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """(base URL, folder) of the built site, served on a free local port."""
    out = tmp_path_factory.mktemp("site")
    build_site(out)
    with serving(out) as url:
        yield url, out


@pytest.fixture(scope="session")
def browser(site):
    """One Chromium (Debian's, never a downloaded one) for the whole session."""
    executable = required(chromium_path(), "Chromium (apt-get install chromium; .ci/run installerer det)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = required(None, "Playwright (pip install -e '.[test]')")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def reader(browser):
    """A page that reads the site without the calculator's engine, at 1280 px."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route(engine, lambda route: route.abort())
    yield page
    context.close()


def test_kommune_page_shows_criteria_parameter_table_and_a_worked_example(reader, site):
    reader.goto(f"{site[0]}/regler/{KOMMUNE.policy.id}/")
    page = html.unescape(reader.content())
    model = KOMMUNE.policy.model
    assert f'<h1 id="regelverk-{model.id}">{model.header["navn"]}' in page
    for criterion in model.criteria:
        assert f'id="{slug("vilkår", criterion.id)}"' in page
        assert criterion.title in page
    assert all(f'<th scope="col">{h}</th>' in page for h in ("Verdi", "Gjelder fra", "Kilde"))
    assert '<caption class="bolig-skjult">' in page
    example = model.examples[0]
    decision = KOMMUNE.policy.evaluate(example.input)
    assert example.title in page and "Beregningen steg for steg" in page
    assert "Resultat: søknaden blir" in page and decision.criterion(model.criteria[0].id).forklaring in page
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"{KOMMUNE.policy.id}.png"
    reader.set_viewport_size({"width": 1280, "height": 2200})
    reader.screenshot(path=str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 50_000


def test_comparison_page_lists_every_kommune(reader, site):
    reader.goto(f"{site[0]}/regler/sammenligning/")
    page = html.unescape(reader.content())
    assert "Sammenligning av kommunene" in page
    for s in POLICIES:
        assert f'<a href="../{s.policy.id}/">{public._short(s.policy.model)}</a>' in page
    for family in public.FAMILIES:
        assert family.title in page
    assert "Renten i stresstesten" in page and "ingen fast grense" in page and "0,00 %" not in page


# ---- the calculator, driven as a tenant would -------------------------------------------------

from test_site_calculator import CASES, expected_soknad  # noqa: E402


class Requests(list):
    """Every request the page made: (url, body)."""


def open_calculator(browser, site, block: str | None = None):
    """A new visit to the kommune page, its calculator loaded: (page, requests). Every request is
    recorded, requests to any other host than the site are refused (the site must work offline), and
    requests matching `block` fail as a missing file would."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    requests = Requests()

    def guard(route):
        requests.append((route.request.url, route.request.post_data or ""))
        if not route.request.url.startswith(site[0] + "/"):
            route.abort()
        elif block is not None and block in route.request.url:
            route.fulfill(status=404, body="")
        else:
            route.continue_()
    p.route("**/*", guard)
    p.goto(f"{site[0]}/regler/{KOMMUNE.policy.id}/")
    p.wait_for_function("window.boligreglerKalkulator && (window.boligreglerKalkulator.ready"
                        " || window.boligreglerKalkulator.error)", timeout=90_000)
    assert p.evaluate("window.boligreglerKalkulator.error || null") is None
    return p, requests


@pytest.fixture(scope="module")
def calculator(browser, site):
    """The kommune page with its calculator loaded, once, restored from the site's memory snapshot."""
    p, requests = open_calculator(browser, site)
    timings = p.evaluate("window.boligreglerKalkulator.timings")
    assert timings["restored"] is True, f"the snapshot was not restored: {timings.get('restoreError')}"
    yield p, requests
    p.context.close()


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


def assert_the_policys_answer(page, utfall: str) -> None:
    """Fill in the case `utfall` of CASES, submit, and find `Policy.evaluate`'s answer on the page."""
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


@pytest.mark.parametrize("utfall", list(CASES))
def test_a_tenant_gets_the_policys_own_answer_in_the_browser(page, calculator, site, utfall):
    assert_the_policys_answer(page, utfall)
    version = page.locator("script[data-versjon]").get_attribute("data-versjon")
    snapshot = [url for url, _ in calculator[1] if "/boligregler-minne.bin" in url]
    assert version and snapshot == [f"{site[0]}/assets/boligregler/boligregler-minne.bin?v={version}"]  # this build's
    typed = {v for _, v in CASES[utfall] if re.fullmatch(r"[\d ]{4,}", v)}
    for url, body in calculator[1]:
        assert url.startswith(site[0] + "/"), f"a request left the site: {url}"
        for value in typed:
            assert value not in url and value.replace(" ", "") not in url + body, f"form data sent: {url}"
    if utfall == "avslag":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "kalkulator-avslag-1280.png"), full_page=False)
        page.set_viewport_size({"width": 390, "height": 900})  # the answer on a phone: nothing wider than the screen
        try:
            answer = page.locator("#kalk-svar")
            answer.scroll_into_view_if_needed()
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
            box = answer.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 391
            answer.screenshot(path=str(ARTIFACTS / "kalkulator-avslag-390.png"))
        finally:
            page.set_viewport_size({"width": 1280, "height": 900})


def test_without_the_snapshot_pyodide_starts_cold_and_gives_the_same_answer(browser, site):
    p, _ = open_calculator(browser, site, block="boligregler-minne.bin")
    try:
        timings = p.evaluate("window.boligreglerKalkulator.timings")
        assert timings["restored"] is False and "404" in timings["restoreError"]
        assert_the_policys_answer(p, "avslag")
    finally:
        p.context.close()


def test_a_calculator_that_cannot_load_says_so_in_norwegian(browser, site):
    """Neither the snapshot nor the library can be fetched: the reader is told, in a sentence of the
    page's målform, that the calculator could not load; the technical message stays for developers."""
    context = browser.new_context()
    p = context.new_page()
    missing = ("/boligregler-minne.bin", "/boligregler.zip")
    p.route("**/*", lambda route: route.fulfill(status=404, body="") if urlsplit(route.request.url).path.endswith(missing)
            else route.continue_())
    try:
        p.goto(f"{site[0]}/regler/{KOMMUNE.policy.id}/")
        p.wait_for_function("window.boligreglerKalkulator && window.boligreglerKalkulator.error", timeout=90_000)
        assert "404" in p.evaluate("window.boligreglerKalkulator.error")
        assert p.locator(".kalk-status").inner_text() == (
            "Kalkulatoren kunne ikke lastes. Last inn siden på nytt, eller prøv igjen senere.")
    finally:
        context.close()


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


def test_one_engine_when_the_head_script_comes_after_the_page(browser, site):
    """kalkulator-start.js is loaded `async`: if it arrives after the page has run kalkulator.js, the engine
    that script started is the only one (a second would fetch and restore everything twice)."""
    context = browser.new_context()
    p = context.new_page()
    engines = []
    p.on("request", lambda r: engines.append(r.url) if "/kalkulator-worker.js" in r.url else None)

    def late(route):
        time.sleep(2)  # the page is parsed and kalkulator.js has run by now
        route.continue_()
    p.route("**/kalkulator-start.js", late)
    try:
        p.goto(f"{site[0]}/regler/{KOMMUNE.policy.id}/")
        p.wait_for_function("window.boligreglerKalkulator && window.boligreglerKalkulator.ready", timeout=90_000)
        p.wait_for_load_state("load")
        assert len(engines) == 1, engines
        fill_in(p, CASES["avslag"])
        assert submit_and_read(p)["utfall"] == "avslag"
    finally:
        context.close()


def test_a_failure_after_the_restore_is_reported_and_the_calculator_answers_on(page):
    """After a restore the library's files are unpacked only when Python asks for one; an answer that
    fails still fails after they are unpacked, is reported, and the next answer comes as before."""
    page.evaluate("""() => window.boligreglerMotor.worker.postMessage(
        {kind: "regn", id: 0, policy: document.getElementById("kalkulator").dataset.policy, pairs: [], today: "ikke en dato"})""")
    page.wait_for_function("window.boligreglerKalkulator.error !== undefined", timeout=60_000)
    assert "ikke en dato" in page.evaluate("window.boligreglerKalkulator.error")
    # the reader gets a sentence, never the technical message (a Python traceback, here)
    assert page.locator(".kalk-status").inner_text() == (
        "Kalkulatoren kunne ikke regne ut svaret. Prøv igjen, eller last inn siden på nytt.")
    fill_in(page, CASES["avslag"])
    assert submit_and_read(page)["utfall"] == "avslag"


def test_a_missing_answer_is_shown_at_the_field(page):
    answered(page, page.get_by_role("button", name="Regn ut").click)
    assert page.locator("#kalk-svar [role=alert]").count() == 1
    field = page.locator('[name="bolig.boutgifter_per_måned"]')
    assert field.get_attribute("aria-invalid") == "true"
    assert page.locator("#kalk-bolig-boutgifter_per_måned-feil").inner_text().strip()


# ---- universal design: axe-core over every page, layouts at 390 and 1280 px --------------------

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = f"axe.run(%s, {{runOnly: {{type: 'tag', values: {WCAG_AA}}}, resultTypes: ['violations']}})"
PARALLEL = 4  # pages loaded and checked at a time


def axe_script() -> str:
    from boligregler.site.vendor import package_dir
    return str(package_dir("axe-core") / "axe.min.js")


def serious(result: dict) -> list[str]:
    """The serious and critical WCAG 2.1 A/AA violations of an axe-core result."""
    return [f"{v['id']} ({v['impact']}): {v['help']}: {', '.join(str(n['target']) for n in v['nodes'][:3])}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def axe_violations(page, context: str = "document") -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core (vendored from npm) finds on the page."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=axe_script())
    return serious(page.evaluate(AXE_RUN % context))


def site_paths(site) -> list[str]:
    out = site[1]
    return sorted(("" if p.parent == out else p.parent.relative_to(out).as_posix() + "/")
                  for p in out.rglob("index.html") if "assets" not in p.relative_to(out).parts)


def test_every_page_meets_wcag_aa_by_axe(browser, site):
    """axe-core over every page of the site, PARALLEL pages at a time: each page is navigated without
    waiting, then axe is started on all of them and the results collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=axe_script())
    context.route(engine, lambda route: route.abort())  # neither the engine nor the search index is read by axe
    context.route(SEARCH_INDEX, lambda route: route.abort())
    pages = [context.new_page() for _ in range(PARALLEL)]
    found = {}
    try:
        paths = site_paths(site) + ["404.html"]  # the page a mistyped address gets
        assert len(paths) >= len(POLICIES) + 6
        for batch in (paths[i:i + PARALLEL] for i in range(0, len(paths), PARALLEL)):
            for page, path in zip(pages, batch):
                page.goto(f"{site[0]}/{path}", wait_until="commit")
            for page, _ in zip(pages, batch):
                page.wait_for_load_state("load")
                page.evaluate(f"() => {{ window.axeResult = {AXE_RUN % 'document'}; }}")
            for page, path in zip(pages, batch):
                problems = serious(page.evaluate("window.axeResult"))
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
def test_layouts_at_phone_and_desktop_width(reader, site, width):
    reader.set_viewport_size({"width": width, "height": 900})
    ARTIFACTS.mkdir(exist_ok=True)
    for path, name in ((f"regler/{KOMMUNE.policy.id}/", KOMMUNE.policy.id), ("regler/sammenligning/", "sammenligning"),
                       ("", "forside")):
        reader.goto(f"{site[0]}/{path}")
        overflow = reader.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} is {overflow} px wider than a {width} px screen"
        reader.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=False)
        if name == "sammenligning":  # one row per kommune: every table fits the screen, nothing to scroll sideways
            wider = reader.evaluate("[...document.querySelectorAll('.md-typeset__scrollwrap')]"
                                    ".map(w => w.scrollWidth - w.clientWidth).filter(d => d > 1)")
            assert wider == [], f"tables wider than a {width} px screen by {wider} px"
        if path.startswith("regler/") and name != "sammenligning":
            form = reader.locator("#kalkulator")
            form.scroll_into_view_if_needed()
            box = form.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1
            reader.screenshot(path=str(ARTIFACTS / f"{name}-kalkulator-{width}.png"), full_page=False)


@pytest.mark.parametrize("path", ["", f"regler/{KOMMUNE.policy.id}/"])
def test_site_search_finds_a_kommune_in_norwegian_and_builds_its_index_only_when_used(reader, site, path):
    """The theme's search worker loads the Norwegian stemmer when it builds the index: not on page
    load (assets/sok.js holds the index back), only once the reader turns to the search field."""
    building = []
    reader.on("request", lambda r: building.append(r.url) if "/lunr/min/lunr.no" in r.url else None)
    with reader.expect_response("**/search/search_index.json"):
        reader.goto(f"{site[0]}/{path}")
    reader.wait_for_load_state("load")
    reader.wait_for_timeout(500)  # time enough for the index to reach the worker, were it not held
    assert building == [], "the search index was built before anyone searched"
    reader.locator("label.md-search__icon, .md-search__input").first.click()
    reader.locator(".md-search__input").fill("tilskudd etablering")
    reader.wait_for_selector(".md-search-result__item", timeout=120_000)  # the index is built first (1 MB)
    assert building, "search answered without the theme's Norwegian index"
    results = reader.locator(".md-search-result__item").all_inner_texts()
    assert any("Tilskudd til etablering" in r for r in results)
    assert reader.locator(".md-search__input").get_attribute("placeholder") == "Søk"


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
    from boligregler.rendering.labels import PHRASES, PHRASES_NYNORSK

    written: list[str] = list(PHRASES.values()) + list(PHRASES_NYNORSK.values())
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
    out = site[1]
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


DEVELOPER_WORDS = {
    "an identifier": re.compile(r"(?<![\w/.#-])[a-zæøå][a-zæøå0-9]*(?:_[a-zæøå0-9]+)+(?![\w/-])"),
    "«seed»": re.compile(r"(?<![\wæøå])seed(?![\wæøå])"),
    "«nasjonal» as a name": re.compile(r"(?<![\wæøå])nasjonal(?![\wæøå])(?! grunnmodell)"),
    "a spec section number": re.compile(r"§\s*\d+\.\d+"),
    "a developer document": re.compile(r"(?<![\w/])[\w-]+\.md(?![\w/])"),
}


def test_no_developer_words_on_any_public_page(site):
    """What a reader (or a screen reader) gets from a public page: no snake_case identifier, no «seed» (the
    project's name for its source documents), no «nasjonal» as the name of a policy («Nasjonal grunnmodell» is
    Norwegian), no section number of the project's spec (§ 2.5; a law's sections are written § 5-4), and no
    landmark a screen reader names in English (the theme's «Header»)."""
    out = site[1]
    developer = developer_pages()
    found, read = [], 0
    for path in site_paths(site):
        if path in developer:
            continue
        page = (out / path / "index.html").read_text(encoding="utf-8")
        text = read_text(page)
        read += 1
        if re.search(r'aria-label="(Header|Footer)"', page):
            found.append(f"{path or '/'}: a landmark named in English")
        for what, pattern in DEVELOPER_WORDS.items():
            found += [f"{path or '/'}: {what}: …{text[max(0, m.start() - 40):m.end() + 20]}…" for m in pattern.finditer(text)]
    assert read >= len(POLICIES) + 3
    assert not found, "\n".join(found)
