"""Policy → Markdown rendering: expressions in Norwegian, values, changes, worked examples, pages."""

from __future__ import annotations

import functools
import html
import re
import shutil
import textwrap
from decimal import Decimal
from pathlib import Path

import markdown
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from boligregler.api import load_policy
from boligregler.evaluation.values import Ratio
from boligregler.model import types as T
from boligregler.model.loader import shipped_policies_dir
from boligregler.rendering.policy_markdown import (
    Admonition, BulletList, CodeBlock, Describer, Heading, Paragraph, Table, comparison_blocks, esc,
    format_value, index_blocks, policy_changes, render_policy_markdown, slug, strip_markup, to_markdown,
    work_example,
)
from boligregler.syntax.parser import parse_expression

TESTBY = textwrap.dedent('''\
    ## Testby: et lite regelverk for testene av nettstedet.
    regelverk testby bygger på nasjonal {
        navn: "Startlån i Testby kommune"
        kommune: "Testby kommune"
        vedtatt: 2024-01-01
        kilde: "Testby kommune, retningslinjer (https://testby.example/startlan)"
        klageinstans: "Testby kommunes klagenemnd"
    }

    ## Testby regner med en fast rente.
    parameter kalkulasjonsrente: % {
        5 % fra 2024-01-01 kilde "Testby kommune, vedtak 1"
        6 % fra 2025-01-01 kilde "Testby kommune, vedtak 2"
    }

    overstyr parameter tilskudd_tilbys: sannhet {
        sann fra 2024-01-01 kilde "Testby kommune, vedtak 1"
    }

    overstyr beregn rente: % = kalkulasjonsrente

    vilkår bolig_i_testby {
        tittel: "Boligen ligger i Testby"
        art: hovedregel
        hjemmel: "Testby kommunes retningslinjer: boligen skal ligge i kommunen"
        lenke: "https://testby.example/startlan"
        oppfylt når bolig.i_kommunen
        forklaring {
            oppfylt: "Boligen ligger i Testby."
            ikke_oppfylt: "Boligen ligger ikke i Testby; lånebehovet er {lånebehov}."
        }
    }

    eksempel enslig_innvilget "Enslig med lønn får lån" {
        søknad: {
            søknadsdato: 2026-03-01
            formål: "kjøp"
            husstand: {voksne: [{alder: 40}]}
            inntekter: [{type: "lønn", netto_per_måned: 36000}]
            bolig: {kjøpesum: 2000000, eierform: "selveier", boutgifter_per_måned: 4000}
            skjønn: {avslag_fra_banker: 1, langvarige_finansieringsproblemer: sann, spareevne_utnyttet: sann, boligen_egnet_og_nøktern: sann}
        }
        forventet: { utfall: "innvilget" }
    }

    eksempel feil_forventning "Forventer innvilget, men boligen ligger utenfor Testby" {
        søknad: {
            søknadsdato: 2026-03-01
            formål: "kjøp"
            husstand: {voksne: [{alder: 40}]}
            inntekter: [{type: "lønn", netto_per_måned: 36000}]
            bolig: {kjøpesum: 2000000, eierform: "selveier", boutgifter_per_måned: 4000, i_kommunen: usann}
            skjønn: {avslag_fra_banker: 1, langvarige_finansieringsproblemer: sann, spareevne_utnyttet: sann, boligen_egnet_og_nøktern: sann}
        }
        forventet: { utfall: "innvilget" }
    }
''')


def write_testby(folder: Path) -> Path:
    """The test policy and the national baseline it builds on, in `folder`."""
    shutil.copy(shipped_policies_dir() / "nasjonal.pol", folder / "nasjonal.pol")
    path = folder / "testby.pol"
    path.write_text(TESTBY, encoding="utf-8")
    return path


@functools.cache
def nasjonal():
    return load_policy("nasjonal")


@pytest.fixture(scope="module")
def testby(tmp_path_factory):
    return load_policy(write_testby(tmp_path_factory.mktemp("testby")))


def describe(text: str) -> str:
    return Describer(nasjonal().model).describe(parse_expression(text))


# ---- expressions in words ------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "words"), [
    ("skjønn.avslag_fra_banker >= 1", "*antall banker som har avslått søknad om boliglån* er minst 1"),
    ("formål != \"refinansiering\"", "*formålet med lånet* er ikke «refinansiering»"),
    ("formål i [\"kjøp\", \"oppføring\"]", "*formålet med lånet* er «kjøp» eller «oppføring»"),
    ("ikke husstand.særlige_behov", "ikke *husstanden har særlige behov*"),
    ("skjønn.hindrer_arbeid og (skjønn.fare_for_tvangssalg eller husstand.særlige_behov)",
     "*boligsituasjonen hindrer arbeid* og (*husstanden står i fare for tvangssalg* eller *husstanden har særlige behov*)"),
    ("maks(antall_voksne - 2, 0) * livsopphold_bofellesskap",
     "(det største av [antall voksne i husstanden](#beregn-antall-voksne) − 2 og 0) × "
     "[livsopphold for hver voksen utover to](#parameter-livsopphold-bofellesskap)"),
    ("lånebehov - (tilskudd - 1 kr)",
     "[lånebehov](#beregn-lanebehov) − ([tilskudd](#beregn-tilskudd) − 1\u00a0kr)"),
    ("avrund(nåverdi(disponibelt, rente, nedbetalingstid), 1000 kr, ned)",
     "nåverdien av [disponibelt beløp til å betjene startlånet](#beregn-disponibelt) per måned over "
     "[nedbetalingstid](#beregn-nedbetalingstid) med [renten betjeningsevnen beregnes med](#beregn-rente), "
     "rundet ned til hele 1\u00a0000\u00a0kr"),
    ("hvis antall_voksne = 1 så livsopphold_enslig ellers livsopphold_par",
     "hvis [antall voksne i husstanden](#beregn-antall-voksne) er 1, så "
     "[livsopphold for en enslig voksen](#parameter-livsopphold-enslig), "
     "ellers [livsopphold for et par](#parameter-livsopphold-par)"),
    ("sum(livsopphold_barn[b.alder] for hver b i husstand.barn)",
     "summen av [livsopphold per barn](#tabell-livsopphold-barn) for *barnets alder* for *hvert barn i husstanden*"),
    ("finnes(hver b i husstand.barn der b.alder < 6)",
     "det finnes *et barn i husstanden* der *barnets alder* er under 6"),
])
def test_expressions_read_as_norwegian(source, words):
    assert describe(source) == words


def test_worked_expression_shows_values_and_only_the_branch_taken():
    model = nasjonal().model
    expr = parse_expression("hvis antall_voksne = 1 så livsopphold_enslig ellers livsopphold_par")
    d = Describer(model, values={"antall_voksne": Decimal(2), "livsopphold_par": Decimal(13100)},
                  facts={}, evaluate=lambda e: False)
    assert d.describe(expr) == "[livsopphold for et par](#parameter-livsopphold-par) (13\u00a0100 kr/mnd)"


def test_explanation_template_shows_holes_as_plain_placeholders():
    criterion = next(c for c in nasjonal().model.criteria if c.id == "bankfinansiering")
    text = Describer(nasjonal().model).template(criterion.explanations["oppfylt"])
    assert text == "Det er dokumentert avslag på lån fra *⟨antall banker⟩*."


# ---- values ---------------------------------------------------------------------------------------


def test_values_are_formatted_as_in_a_decision():
    incomes = T.Enum("inntektstype", ("lønn", "sosialhjelp", "annen"))
    assert format_value(Decimal("7850"), T.Num("kr/mnd")) == "7\u00a0850 kr/mnd"
    assert format_value(Decimal("2100000"), T.Num("kr")) == "2\u00a0100\u00a0000 kr"
    assert format_value(Decimal("0.065"), T.Num("%")) == "6,50\u00a0%"
    assert format_value(Ratio(Decimal(10), Decimal(12)), T.Num("andel")) == "10/12"
    assert format_value(frozenset({"lønn", "annen"}), T.SetOf(incomes)) == "alle unntatt «sosialhjelp»"
    assert format_value(frozenset({"sosialhjelp"}), T.SetOf(incomes)) == "«sosialhjelp»"
    assert format_value(True, T.Bool()) == "ja"


# ---- inline markup -----------------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(TEXT)
@example("  a   b ")
def test_escaped_text_reads_back_unchanged(text):
    assert strip_markup(esc(text)) == re.sub(" {2,}", " ", text)  # runs of blanks are one space, as HTML shows them


@settings(max_examples=150, deadline=None)
@given(TEXT.map(str.strip).filter(bool))
def test_escaped_text_renders_as_itself_in_markdown(text):
    rendered = markdown.markdown(f"a {esc(text)} a", extensions=["attr_list", "tables"])
    assert html.unescape(re.sub(r"</?p>", "", rendered)) == f"a {text} a"


def test_slugs_are_ascii_and_stable():
    assert slug("vilkår", "bolig_i_kommunen") == "vilkar-bolig-i-kommunen"
    assert slug("parameter", "ordinær_nedbetalingstid") == "parameter-ordinaer-nedbetalingstid"


def test_blocks_as_markdown():
    blocks = [Heading(2, "Vilkår", "vilkar"), Paragraph("**Art:** hovedregel", "art"),
              BulletList(("a", "b"), ordered=True), Table(("Verdi", "Kilde"), (("5\u00a0%", "x \\| y"),)),
              Admonition("warning", "Avvik", (Paragraph("tekst"),)), CodeBlock("pol", "parameter x: %")]
    assert to_markdown(blocks) == (
        "## Vilkår {#vilkar}\n\n**Art:** hovedregel\n{: #art }\n\n1. a\n2. b\n\n"
        "| Verdi | Kilde |\n| --- | --- |\n| 5\u00a0% | x \\| y |\n\n"
        '!!! warning "Avvik"\n\n    tekst\n\n```pol\nparameter x: %\n```\n')


# ---- pages ----------------------------------------------------------------------------------------------


def test_changes_list_what_the_policy_adds_and_overrides(testby):
    changes = {(c.section, c.action, c.name): c.text for c in policy_changes(testby.model, nasjonal().model)}
    assert changes[("parametre", "lagt_til", "kalkulasjonsrente")] == \
        "[fast kalkulasjonsrente](#parameter-kalkulasjonsrente): 6,00\u00a0% fra 01.01.2025"
    assert changes[("parametre", "endret", "tilskudd_tilbys")] == \
        "[om kommunen gir tilskudd til etablering](#parameter-tilskudd-tilbys): ja fra 01.01.2024 (i de nasjonale reglene: nei fra 18.11.2019)"
    assert changes[("beregninger", "endret", "rente")].startswith(
        "[rente](#beregn-rente) = [fast kalkulasjonsrente](#parameter-kalkulasjonsrente) (i de nasjonale reglene: ")
    assert changes[("vilkår", "lagt_til", "bolig_i_testby")] == \
        "[Boligen ligger i Testby](#vilkar-bolig-i-testby) (hovedregel)"
    assert not any(section == "regelverk" for section, _, _ in changes)


def test_worked_example_steps_are_the_decision_values(testby):
    example = testby.model.examples[0]
    worked = work_example(testby, example, reference=tuple(nasjonal().model.computations))
    decision = testby.evaluate(example.input)
    steps = {s.name: s.result for s in worked.steps}
    for name in ("livsopphold", "tellende_inntekt", "disponibelt", "omkostninger", "lånebehov", "rente",
                 "maks_lån", "terminbeløp", "margin"):
        assert steps[name] == format_value(decision.values[name], testby.model.computations[name].type)
    order = [s.name for s in worked.steps]
    assert order.index("disponibelt") < order.index("maks_lån") < order.index("terminbeløp") < order.index("margin")
    assert worked.mismatches == ()


def test_policy_page_reads_as_a_kommune_page(testby):
    page = render_policy_markdown(testby, nasjonal().model, reference=tuple(nasjonal().model.computations))
    assert page.startswith("# Startlån i Testby kommune {#regelverk-testby}\n")
    assert "[Startlån etter nasjonale regler](nasjonal.md)" in page
    assert "## Dette er annerledes enn i de nasjonale reglene {#endringer}" in page  # never «nasjonal», an identifier
    assert "### Boligen ligger i Testby {#vilkar-bolig-i-testby}" in page
    assert ("- **Hjemmel:** [Testby kommunes retningslinjer: boligen skal ligge i kommunen]"
            "(https://testby.example/startlan)") in page
    assert "**Oppfylt når** *boligen ligger i kommunen*." in page
    assert "*Ikke oppfylt:* «Boligen ligger ikke i Testby; lånebehovet er *⟨lånebehov⟩*.»" in page
    assert "| 5,00\u00a0% | 01.01.2024 | Testby kommune, vedtak 1 |" in page
    assert '!!! success "Resultat: søknaden blir innvilget"' in page
    assert '!!! warning "Resultat: søknaden blir sendt til manuell vurdering"' in page
    assert '!!! warning "Resultatet avviker fra det eksempelet forventer"' in page
    assert "utfall: forventet innvilget, fikk manuell\\_vurdering" in page
    assert "| Boligen ligger i Testby |" not in page  # criteria in tables are links to their section
    assert "[Boligen ligger i Testby](#vilkar-bolig-i-testby) | hovedregel | ikke oppfylt |" in page


def test_comparison_marks_local_values_and_lists_every_policy(testby):
    models = [nasjonal().model, testby.model]
    page = to_markdown(comparison_blocks(models))
    assert "|   | [Nasjonal grunnmodell](nasjonal.md) | [Testby](testby.md) |" in page
    assert "| Fast kalkulasjonsrente | – | **6,00\u00a0%** |" in page
    assert "| Om kommunen gir tilskudd til etablering | nei | **ja** |" in page
    assert "| Boligen ligger i Testby | – | **hovedregel** |" in page
    shared = page.split("Parametre som er like i alle regelverkene:")[1]
    assert "[Norges Banks styringsrente](nasjonal.md#parameter-styringsrente) | 4,00\u00a0% |" in shared


def test_index_links_every_policy(testby):
    page = to_markdown(index_blocks([nasjonal().model, testby.model]))
    assert "[Startlån i Testby kommune](testby.md) | Testby kommune | [nasjonal](nasjonal.md) | 01.01.2024 |" in page
    assert "[sammenligningen av kommunene](sammenligning.md)" in page


# ---- reader-facing names -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "doc", "shown"), [
    ("maks_lån", "§ 2.11 Maks lån: nåverdien av det disponible beløpet.", "Maks lån"),
    ("maks_tilskudd_andel", "Største tilskudd som andel av kjøpesummen (og ikke av kostnaden).",
     "Største tilskudd som andel av kjøpesummen"),
    ("husbankens_rente", "Husbankens flytende rente på startlån, som kommunen låner videre til låntakeren.",
     "Husbankens flytende rente på startlån"),
    ("tilskudd_tilbys", "Tilskudd til etablering er en kommunal ordning; nasjonalt gis det ikke tilskudd.",
     "Om kommunen gir tilskudd til etablering"),
    ("egen_sats", "", "Egen sats"),
])
def test_a_definition_is_named_by_its_doc_comment_or_a_phrase(name, doc, shown):
    from boligregler.rendering import labels

    assert labels.label(name, doc) == shown
    assert labels.inline(name, doc) == (shown if shown.startswith("Husbank") else shown[0].lower() + shown[1:])


def test_what_follows_a_shipped_definitions_name_reads_as_a_sentence():
    """A page shows «**Name** (unit): the rest of the doc comment»; the rest never opens with a bracket
    or a comma left over from the name («**Andelen av leieinntekt som regnes med** (andel): (10 av 12
    måneder).»), in bokmål or in the nynorsk the national definitions have."""
    from boligregler.rendering import labels, national_nynorsk
    from boligregler.site.pages import load_site_policies

    for s in load_site_policies(Path(__file__).resolve().parents[1] / "policies"):
        m = s.policy.model
        for d in (m.parameters, m.computations, m.tables):
            for name, definition in d.items():
                for doc in (definition.doc, national_nynorsk.doc(m, definition)):
                    rest = labels.doc_rest(name, doc)
                    assert not rest.startswith(("(", ",")), (s.policy.id, name, rest)


def test_every_definition_of_a_shipped_policy_has_a_written_name():
    """Named by a phrase or its doc comment, never by the last resort (the identifier as words)."""
    from boligregler.rendering import labels
    from boligregler.site.pages import load_site_policies

    for s in load_site_policies(Path(__file__).resolve().parents[1] / "policies"):
        m = s.policy.model
        for d in (m.parameters, m.computations, m.tables):
            for name, definition in d.items():
                if "_" in name:
                    assert name in labels.PHRASES or labels.doc_phrase(definition.doc) is not None, name
