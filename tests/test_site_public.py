"""The kommune pages read by the public: a summary first, the calculator, then the rules; no developer material."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from boligregler.api import load_policy
from boligregler.site.pages import load_site_policies, site_pages
from boligregler.site.public import FAMILIES, additions, date_sentence, public_text

ROOT = Path(__file__).resolve().parents[1]
POLICIES = load_site_policies(ROOT / "policies")
KOMMUNER = [s for s in POLICIES if s.base is not None]


@pytest.fixture(scope="module")
def pages():
    return site_pages(POLICIES)


def outside_folds(markdown: str) -> str:
    """What a reader sees without opening a fold: lines of a `???` block are indented."""
    return "\n".join(line for line in markdown.split("\n") if not line.startswith("    ") and not line.startswith("<"))


@pytest.mark.parametrize("s", KOMMUNER, ids=lambda s: s.policy.id)
def test_kommune_page_opens_with_the_summary_then_the_calculator_then_the_rules(pages, s):
    page = pages[f"{s.policy.id}.md"]
    header = s.policy.model.header
    summary = page.index("## Kort om startlån i")
    calculator = page.index('<section class="kalkulator"')
    rules = page.index("## Vilkårene")
    assert summary < calculator < rules
    top = page[summary:calculator]
    assert "**Hvem kan få startlån?**" in top and "**Hvor mye?**" in top and "**Slik søker du:**" in top
    assert "**Klage:**" in top
    for item in str(header["dokumentasjon"]).split(";"):
        assert item.strip() in top
    if header.get("nettside"):
        assert f"]({header['nettside']})" in top
    for text in additions(s.policy.model, s.base):
        assert text in top


@pytest.mark.parametrize("s", KOMMUNER, ids=lambda s: s.policy.id)
def test_no_developer_material_where_the_public_reads(pages, s):
    page = pages[f"{s.policy.id}.md"]
    visible = outside_folds(page)
    assert "seed" not in page.lower()
    assert not re.search(r"§\s?\d+\.\d", page), "a section number of the spec"
    assert not re.search(r"\bnasjonal\b", visible), "the baseline named by its identifier"
    words = re.sub(r"\]\([^)]*\)|\{[^}]*\}|https?://\S+", "", visible)  # link targets and anchors are not read
    assert not re.search(r"\w_\w", words.replace("\\_", "_")), "an identifier on the page"
    for p in s.policy.model.parameters:
        assert p.replace("_", " ") not in visible.lower() or p.replace("_", " ") in public_text(
            s.policy.model.parameters[p].doc).lower()
    if s.policy.model.header.get("vedtatt_antatt"):
        assert "**Vedtatt:**" not in page and "ikke bekreftet" in date_sentence(s.policy.model)
        assert date_sentence(s.policy.model) in page


def test_the_same_three_households_on_every_page_and_the_comparison(pages):
    assert len(FAMILIES) == 3
    comparison = pages["sammenligning.md"]
    for f in FAMILIES:
        assert f.title in comparison


def test_developer_pages_are_out_of_the_public_menu():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8").replace("!!python", "#"))
    nav = {next(iter(entry)): entry[next(iter(entry))] for entry in config["nav"]}
    public = [p for p in nav["Regelverk"] if isinstance(p, str)] + [
        next(iter(p.values())) for p in nav["Regelverk"] if isinstance(p, dict)]
    developer = [next(iter(p.values())) if isinstance(p, dict) else p for p in nav["For utviklere"]]
    assert {"language.md", "ytelse.md"} <= set(developer)
    assert not {"language.md", "ytelse.md", "nettstedet.md"} & set(public)
    assert "navigation.tabs" in config["theme"]["features"]


def test_public_text_drops_source_notes_and_spec_sections():
    assert public_text("Drammen kommune, «Leie til eie» (seed: Bidra til kjøp av bolig) og nettsiden") == \
        "Drammen kommune, «Leie til eie» («Bidra til kjøp av bolig») og nettsiden"
    assert public_text("Kalkulasjonsrente (seed), virkemidler") == "Kalkulasjonsrente, virkemidler"
    assert public_text("§ 2.1 Livsoppholdsnorm etter statens satser.") == "Livsoppholdsnorm etter statens satser."
    assert public_text("Forskrift om lån fra Husbanken § 5-4 første ledd") == "Forskrift om lån fra Husbanken § 5-4 første ledd"
    # a sentence pointing to a developer document goes, the rest of the text stays
    assert public_text("Søknaden i soknad.md under nasjonale regler. Sosialhjelp regnes ikke med.") == \
        "Sosialhjelp regnes ikke med."


def test_tables_get_a_caption_and_header_scope():
    from boligregler.site.html import accessible_tables
    page = ('<h3 id="x">Kalkulasjonsrente<a class="headerlink" href="#x">¶</a></h3><table><thead><tr><th>Verdi</th>'
            '<th style="text-align: right;">Fra</th></tr></thead><tbody><tr><td>5 %</td><td>2015</td></tr></tbody></table>'
            '<p><strong>Par &amp; barn</strong> i 2026</p><table><thead><tr><th>A</th></tr></thead></table>')
    out = accessible_tables(page)
    assert '<table><caption class="bolig-skjult">Kalkulasjonsrente</caption><thead><tr><th scope="col">Verdi</th>' in out
    assert '<th scope="col" style="text-align: right;">Fra</th>' in out
    assert '<caption class="bolig-skjult">Par &amp; barn</caption>' in out
    assert accessible_tables("<p>ingen tabell</p>") == "<p>ingen tabell</p>"


@pytest.fixture(scope="module")
def nynorsk(tmp_path_factory):
    """Drammen's policy written as a nynorsk kommune would: the same rules, `målform: nynorsk`."""
    folder = tmp_path_factory.mktemp("nynorsk")
    text = (ROOT / "policies" / "drammen.pol").read_text(encoding="utf-8")
    (folder / "drammen.pol").write_text(text.replace("    kommune: ", "    målform: nynorsk\n    kommune: ", 1),
                                        encoding="utf-8")
    return next(s for s in load_site_policies(folder) if s.policy.id == "drammen")


def test_a_nynorsk_policy_gets_its_page_and_calculator_in_nynorsk(nynorsk):
    import datetime as dt
    from types import SimpleNamespace

    from boligregler.site import estimate
    from boligregler.site.pages import policy_page
    from boligregler.site.plugin import BoligreglerPlugin
    from test_site_calculator import CASES

    page = policy_page(nynorsk)
    for text in ("**Kven kan få startlån?**", "**Kor mykje?**", "Kva kan vi låne?", ">Rekn ut<", "Vaksne i hushaldet",
                 'data-malform="nynorsk"', "## Vilkåra", "dei nasjonale reglane", "ikkje stadfesta"):
        assert text in page, text
    assert "Hvem kan få" not in page and "Regn ut<" not in page
    # the folds too: the renderer's own words (criteria, formulas, rates, worked examples) are nynorsk
    for text in ("**Heimel:**", "Utrekninga steg for steg", "| Verdi | Gjeld frå | Kjelde |", "noverdien av",
                 "runda ned til heile", "| Steg | Storleik | Slik blir han rekna ut | Resultat |", "**Vilkåra:**",
                 "*føremålet med lånet* er ikkje «refinansiering»", "for *kvart barn i hushaldet*",
                 "· fastsett i dei nasjonale reglane", "Kvar sats gjeld frå datoen"):
        assert text in page, text
    for text in ("**Hjemmel:**", "Gjelder fra", "Slik regnes den ut", "rundet ned", "nåverdien av [", "**Gjelder bare når**",
                 "Beregningen steg for steg", "fastsatt i", "hvert barn i husstanden", "Hver sats gjelder"):
        assert text not in page, text
    answer = estimate.answer(nynorsk.policy, CASES["avslag"], dt.date(2026, 3, 1))
    assert "Etter reglane i kommunen ser det ut til at de ikkje kan få startlån" in answer.html
    assert "Største lån de kan betene (maks lån)" in answer.html
    plugin = BoligreglerPlugin()
    plugin.load_config({})
    plugin.policies = [nynorsk]
    own = SimpleNamespace(file=SimpleNamespace(src_uri="regler/drammen.md"), url="regler/drammen/")
    other = SimpleNamespace(file=SimpleNamespace(src_uri="index.md"), url="")
    assert plugin.on_post_page('<html lang="nb">', page=own, config=None) == '<html lang="nn">'
    assert plugin.on_post_page('<html lang="nb">', page=other, config=None) == '<html lang="nb">'


def test_every_text_of_the_calculator_and_summary_has_a_nynorsk_form():
    from boligregler.site import calculator, estimate, public as P
    from boligregler.site.words import NYNORSK
    texts = {t for q in estimate.QUESTIONS.values() for t in (q.label, q.help, q.assumption, q.add) if t}
    texts |= set(estimate.GROUPS.values()) | set(estimate.CHOICE_WORDS.values())
    texts |= set(estimate.OUTCOME_HEADLINES.values()) | set(estimate.RESULT_MARKS.values())
    texts |= set(estimate.OUTCOME_MEANING.values()) | {estimate.ASSUMED_NOTE}
    texts |= {calculator.INTRO, calculator.ASSESSED, calculator.NEEDS_JS, P.WHO_DEFAULT, P.HOW_MUCH, P.RULES_INTRO,
              P.CALCULATION_INTRO, P.RATES_INTRO, P.EXAMPLES_INTRO}
    assert sorted(texts - set(NYNORSK)) == []


@pytest.mark.parametrize("s", KOMMUNER, ids=lambda s: s.policy.id)
def test_folded_formulas_name_soknad_fields_in_words(pages, s):
    """Behind the folds too: a søknad field by its Norwegian name (`labels.FIELDS`), never by its path
    (`bolig: kjøpesum`), its identifier (`netto_per_måned`) or a loop variable (`*b*`)."""
    from boligregler.model import types as T

    markdown = "\n".join(line for line in pages[f"{s.policy.id}.md"].split("\n") if not line.startswith("<"))
    words = re.sub(r"\]\([^)]*\)|\{[^}]*\}|https?://\S+", "", markdown).replace("\\_", "_")
    assert not re.search(r"\w_\w", words), re.search(r".{30}\w_\w.{30}", words)
    assert not re.search(r"\*[a-zæøå]{1,3}\*", words), "a loop variable"

    def paths(record: T.Record, prefix: tuple[str, ...] = ()):
        for name, spec in record.fields.items():
            t = spec.type.element if isinstance(spec.type, T.ListOf) else spec.type
            if prefix:
                yield " ".join(prefix[-1].split("_")) + ": " + " ".join(name.split("_"))
            if isinstance(t, T.Record):
                yield from paths(t, (*prefix, name))
    found = [p for p in paths(s.policy.model.schema) if p in words]
    assert not found
    assert "*inntektens beløp per måned etter skatt*" in words and "*hvert barn i husstanden*" in words


@pytest.mark.parametrize("s", KOMMUNER, ids=lambda s: s.policy.id)
def test_what_the_sources_do_not_confirm_is_said_and_points_to_the_kommune(pages, s):
    """Documents and contact come from the policy header; nothing is invented: a list the kommune has not
    confirmed says so, and without a contact the page sends the reader to the kommune's own page."""
    from boligregler.explain.frame import unconfirmed

    header = s.policy.model.header
    top = pages[f"{s.policy.id}.md"].split('<section class="kalkulator"')[0]
    if header.get("dokumentasjon_antatt"):
        assert "*Kommunen har ikke bekreftet hva som må legges ved.*" in top
        assert str(header["dokumentasjon_antatt"]) in top
    contact = top[top.index("**Kontakt:**"):].split("\n")[0]
    if header.get("kontakt"):
        assert str(header["kontakt"]) in contact
        assert ("Ikke bekreftet av kommunen" in contact) == ("kontakt" in unconfirmed(s.policy.model))
    else:
        assert "Telefon og e-post er ikke lagt inn her" in contact
        assert (f"]({header['nettside']})" in contact) if header.get("nettside") else s.title in contact


# ---- a nynorsk kommune's site: every page it has reads in nynorsk ---------------------------------

NYNORSK_SITE_YML = """\
site_name: Test
docs_dir: docs
theme: {name: material, language: nb}
plugins:
  - search: {lang: ['no']}
  - boligregler: {policies: regelverk, snapshot: false}
markdown_extensions: [attr_list, admonition, tables, pymdownx.details, pymdownx.superfences]
nav:
  - Framside: index.md
  - Regelverk: [regler/index.md]
"""
# Words only bokmål has (nynorsk: ikkje, kven, kva, kor, korleis, viss, kvar, kvart, nokon, noko, mykje,
# meir, frå, berre, hushald, gjeld, de, dykkar, sjølv, utan, heimel, reglane, vilkåra, seier, anna, annan,
# innhald, innhaldsliste, søkjeord).
BOKMÅL_ONLY = ("ikke", "hvem", "hva", "hvor", "hvordan", "hvis", "hver", "hvert", "noen", "noe", "mye", "mer", "fra",
               "bare", "husstand", "husstanden", "gjelder", "dere", "deres", "selv", "uten", "hjemmel", "reglene",
               "vilkårene", "sier", "annet", "annen", "innhold", "innholdsliste", "søkeord")


@pytest.fixture(scope="module")
def nynorsk_site(tmp_path_factory):
    """The site of a kommune that writes nynorsk (tests/fixtures/nynorsk/fjordvik.pol, building on the national
    rules in nynorsk, which live outside its folder), built with the Material theme in bokmål, as the real site is."""
    from boligregler.cli import main

    project = tmp_path_factory.mktemp("nynorsk-nettsted")
    (project / "docs").mkdir()
    (project / "docs" / "index.md").write_text("# Framside\n\nSjå [regelverka](regler/index.md).\n", encoding="utf-8")
    (project / "regelverk").mkdir()
    (project / "regelverk" / "fjordvik.pol").write_bytes((ROOT / "tests/fixtures/nynorsk/fjordvik.pol").read_bytes())
    (project / "mkdocs.yml").write_text(NYNORSK_SITE_YML, encoding="utf-8")
    assert main(["docs", "--konfig", str(project / "mkdocs.yml"), "build", "--mappe", str(project / "ut")]) == 0
    return project / "ut"


@pytest.mark.parametrize("path", ["regler/fjordvik", "regler/nasjonal_nynorsk"])
def test_a_nynorsk_kommunes_pages_read_in_nynorsk_national_rules_included(nynorsk_site, path):
    from test_site_browser import read_text

    page = (nynorsk_site / path / "index.html").read_text(encoding="utf-8")
    assert '<html lang="nn"' in page[:200]
    seen = read_text(re.sub(r"<details.*?</details>", " ", page, flags=re.S))  # what is read without opening a fold
    everything = read_text(page)  # the folds too: the national rates, sources and calculations in nynorsk
    found = sorted({w for w in BOKMÅL_ONLY if re.search(rf"(?<![\wæøå]){w}(?![\wæøå])", everything)})
    assert not found, f"{path}: bokmål on a nynorsk page: {found}"
    if path.endswith("fjordvik"):
        assert "dei nasjonale reglane" in seen and "kva kan vi låne?" in seen and "nasjonal_nynorsk" not in seen
        assert "kalkulator-start.js" in page  # a kommune: the calculator
        assert "Talet på born i hushaldet" in page  # the renderer's names in the folds, in nynorsk too
    else:
        assert "kalkulator-start.js" not in page and 'id="kalkulator"' not in page  # the national rules: no calculator
    assert "Nasjonal grunnmodell på nynorsk" in page  # its own entry in the menu, told apart from the bokmål one
    assert 'aria-label="Innhaldsliste"' in page and "Gå til innhald" in page and "Skriv søkjeord" in page  # the theme
    assert 'aria-label="Header"' not in page and 'aria-label="Toppfelt"' in page


def test_every_national_doc_comment_and_source_has_its_nynorsk_form():
    """A doc comment or source edited in nasjonal.pol must be given anew in rendering/national_nynorsk.py,
    and a text nasjonal.pol no longer has must go (a nynorsk page would show the bokmål otherwise)."""
    from boligregler.rendering import national_nynorsk as N

    model = load_policy(ROOT / "policies" / "nasjonal.pol").model
    docs = {N._folded(d.doc) for d in [*model.parameters.values(), *model.tables.values(), *model.computations.values()]
            if d.doc}
    sources = {N._folded(v.source) for p in model.parameters.values() for v in p.values if v.source}
    sources |= {N._folded(v.source) for t in model.tables.values() for v in t.versions if v.source}
    assert sorted(docs - N.DOCS.keys()) == [] and sorted(sources - N.SOURCES.keys()) == []
    assert sorted(N.DOCS.keys() - docs) == [] and sorted(N.SOURCES.keys() - sources) == []
