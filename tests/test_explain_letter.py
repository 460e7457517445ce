"""The decision letter: golden letters for refused families under every shipped policy, the
letter's parts, the `begrunnelse` block of the language, and escaping in Markdown and HTML."""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import attrs
import markdown as markdown_lib
import pytest
from lark import Lark

from boligregler import load_policy
from boligregler.cli import main
from boligregler.explain.frame import unconfirmed
from boligregler.explain.letter import build_letter
from boligregler.model.loader import shipped_policies_dir
from boligregler.money import load_json
from boligregler.norsk import lix
from boligregler.rendering.letter import render, render_html, render_markdown, render_text
from boligregler.syntax.parser import PARSER_OPTIONS, grammar_path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "letters"
UPDATE = bool(os.environ.get("BOLIGREGLER_UPDATE_GOLDEN"))
POLICIES = sorted(p.stem for p in shipped_policies_dir().glob("*.pol"))
FAMILY = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))


CASE = {"saksnummer": "2026/4711", "dato": "2026-03-20", "søker_navn": "Kari Nordmann og Per Nordmann",
        "søker_adresse": "Storgata 1\n3015 Drammen", "saksbehandler": "Ola Hansen"}


def refused_family() -> dict:
    """Two adults, two children, too little income, and no registered long-term financing problems."""
    s = copy.deepcopy(FAMILY)
    s["inntekter"][0]["netto_per_måned"] = 30000
    s["skjønn"]["langvarige_finansieringsproblemer"] = False
    s["sak"] = dict(CASE)
    return s


def one_example_per_outcome() -> list[tuple[str, str, dict]]:
    """(policy, utfall, søknad): the first example of each outcome in every shipped policy, with case metadata."""
    out = []
    for pid in POLICIES:
        seen = set()
        for ex in load_policy(pid).model.examples:
            utfall = (ex.expected or {}).get("utfall")
            if utfall and utfall not in seen:
                seen.add(utfall)
                out.append((pid, utfall, {**copy.deepcopy(ex.input), "sak": dict(CASE)}))
    return out


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{name} mangler; kjør med BOLIGREGLER_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


@pytest.fixture(scope="module", params=POLICIES)
def policy(request):
    return load_policy(request.param)


def test_refusal_letter_for_a_family_matches_golden(policy):
    s = refused_family()
    if policy.id == "nasjonal":
        del s["sak"]  # one golden letter shows the visible gaps of a søknad without case metadata
    decision = policy.evaluate(s)
    assert decision.utfall == "avslag"
    assert_golden(f"{policy.id}-avslag-barnefamilie.txt", decision.begrunnelse)


def named_example(pid: str, name: str) -> dict:
    ex = next(e for e in load_policy(pid).model.examples if e.name == name)
    return {**copy.deepcopy(ex.input), "sak": dict(CASE)}


@pytest.mark.parametrize("pid, name", [
    ("kongsvinger", "eie_først_barnefamilie_på_sosialhjelp"),  # interest-only years, then the payment
    ("drammen", "tilskudd_innenfor_20_prosent"),  # the tilskudd's terms
    ("skien", "varig_lav_inntekt_50_år_og_tilskudd"),  # the 50-year term with its reason
])
def test_grant_terms_match_golden(pid, name):
    decision = load_policy(pid).evaluate(named_example(pid, name))
    assert decision.utfall == "innvilget"
    assert_golden(f"{pid}-innvilget-{name.replace('_', '-')}.txt", decision.begrunnelse)


@pytest.mark.parametrize("pid, utfall, soknad", one_example_per_outcome(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_outcome_of_every_policy_matches_golden(pid, utfall, soknad):
    decision = load_policy(pid).evaluate(soknad)
    assert decision.utfall == utfall
    assert_golden(f"{pid}-{utfall}.txt", decision.begrunnelse)


@pytest.mark.parametrize("fmt, suffix", [("markdown", "md"), ("html", "html"), ("json", "json")])
def test_other_formats_match_golden(fmt, suffix):
    letter = build_letter(load_policy("drammen").evaluate(refused_family()))
    assert_golden(f"drammen-avslag-barnefamilie.{suffix}", render(letter, fmt))


def test_refusal_letter_has_every_part_a_case_worker_needs(policy):
    letter = build_letter(policy.evaluate(refused_family()))
    keys = [s.key for s in letter.sections]
    assert letter.document == "vedtaksbrev" and keys[:2] == ["innledning", "vedtak"]
    for key in ("grunnlag", "inntekt", "utgifter", "betjeningsevne", "vurdering", "barn", "endringer", "klage"):
        assert key in keys, key
    assert "automatisering" not in keys, "a letter a case worker signs is not an automated decision"
    vurdering = letter.section("vurdering")
    failed = [": ikke oppfylt." in i.text for i in vurdering.items]
    assert failed == sorted(failed, reverse=True), "the criteria that are not met come first"
    assert all(any(d.startswith("Hjemmel: ") for d in i.details) for i in vurdering.items)
    behov = next(i for i in vurdering.items if i.text.startswith("Langvarige problemer"))
    assert any(d.startswith("Unntak a ") and "gjelder ikke" in d for d in behov.details), \
        "the children's exception is shown as considered"
    named = policy.model.header["klageinstans"] if "klageinstans" not in unconfirmed(policy.model) else \
        "[mangler: klageinstansen]"  # a body the sources do not confirm is left for the case system to name
    assert any(named in p for p in letter.section("klage").paragraphs)


def test_letter_without_children_has_no_childrens_section():
    s = refused_family()
    s["husstand"]["barn"] = []
    letter = build_letter(load_policy("nasjonal").evaluate(s))
    assert letter.section("barn") is None


def test_granted_letter_states_the_loan_and_no_changes():
    decision = load_policy("nasjonal").evaluate(copy.deepcopy(FAMILY))
    letter = build_letter(decision)
    assert decision.utfall == "innvilget"
    assert letter.section("endringer") is None
    assert "Søknaden om startlån er innvilget" in letter.section("vedtak").paragraphs[0]
    assert "2\u00a0973\u00a0590 kr" in letter.section("vedtak").paragraphs[0]


def test_manual_assessment_lists_what_the_case_worker_must_assess():
    s = copy.deepcopy(FAMILY)
    s["tilknytning"]["folkeregistrert_i_kommunen"] = False
    decision = load_policy("drammen").evaluate(s)
    letter = build_letter(decision)
    assert decision.utfall == "manuell_vurdering"
    manual = letter.section("manuell")
    assert [i.text.split(":")[0] for i in manual.items] == ["Folkeregistrert i Drammen"]
    assert letter.section("klage") is None, "a manual assessment is not yet a decision one can appeal"
    assert letter.document == "saksframlegg" and letter.frame.recipient == ()
    assert [c.text for c in letter.what_if.changes] == ["at søkeren er folkeregistrert i kommunen"]  # to the case worker


@pytest.mark.parametrize("text, form, third", [
    ("Med 15 366 kr kan husstanden din betjene et lån.", "bokmål", "Med 15 366 kr kan husstanden betjene et lån."),
    ("Husstanden din: én voksen", "bokmål", "Husstanden: én voksen"),
    ("Om boligsituasjonen hindrer deg i å få arbeid", "bokmål", "Om boligsituasjonen hindrer søkeren i å få arbeid"),
    ("Du betaler verken renter eller avdrag.", "bokmål", "Søkeren betaler verken renter eller avdrag."),
    ("Tilknytningen din til kommunen og boligsituasjonen din i dag.", "bokmål",
     "Tilknytningen til kommunen og boligsituasjonen i dag."),
    ("Begrunnelse for vurderingen av om du har problemer: «Du har fast jobb.»", "bokmål",
     "Begrunnelse for vurderingen av om søkeren har problemer: «Du har fast jobb.»"),  # a quote is kept
    ("Hushaldet ditt har barn, og du treng renta di «Kva du «vil»» no.", "nynorsk",
     "Hushaldet har barn, og søkjaren treng renta «Kva du «vil»» no."),
    ("Dudal og dukken", "bokmål", "Dudal og dukken"),
])
def test_the_saksframlegg_speaks_of_the_applicant_in_the_third_person(text, form, third):
    from boligregler.norsk import tredje_person
    assert tredje_person(text, form) == third


# Sentences from the shipped policies and the fixtures, each with the file it stands in, and the forms the rule
# must also handle: a possessive before a noun, a reflexive «deg», the nynorsk «di».
@pytest.mark.parametrize("source, text, form, third", [
    ("policies/baerum.pol", "Har du ikke BankID, eller har du verge, hjelper kommunen deg å søke.", "bokmål",
     "Har søkeren ikke BankID, eller har søkeren verge, hjelper kommunen søkeren å søke."),
    ("policies/drammen.pol", "Tilskuddet: Du betaler verken renter eller avdrag på tilskuddet på {tilskudd}.", "bokmål",
     "Tilskuddet: Søkeren betaler verken renter eller avdrag på tilskuddet på {tilskudd}."),
    ("policies/kongsvinger.pol", "Det er mer enn de {disponibelt} husstanden din har til å betale på lånet i dag.",
     "bokmål", "Det er mer enn de {disponibelt} husstanden har til å betale på lånet i dag."),
    ("policies/nasjonal.pol", "Vi viser til søknaden din om startlån med søknadsdato {søknadsdato}.", "bokmål",
     "Vi viser til søknaden om startlån med søknadsdato {søknadsdato}."),
    ("policies/nasjonal.pol", "Vi anbefaler at du setter av penger til uforutsette utgifter, og at du tar kontakt med "
     "oss tidlig hvis du får problemer med å betale.", "bokmål", "Vi anbefaler at søkeren setter av penger til "
     "uforutsette utgifter, og at søkeren tar kontakt med oss tidlig hvis søkeren får problemer med å betale."),
    ("policies/sandnes.pol", "Det er ikke registrert at husstanden din eier bolig eller fritidsbolig fra før.", "bokmål",
     "Det er ikke registrert at husstanden eier bolig eller fritidsbolig fra før."),
    ("policies/skien.pol", "I Skien må boligen som hovedregel ligge i kommunen.", "bokmål",
     "I Skien må boligen som hovedregel ligge i kommunen."),
    ("policies/nynorsk/nasjonal_nynorsk.pol", "Tilknytinga du har til kommunen, og busituasjonen i dag.", "nynorsk",
     "Tilknytinga søkjaren har til kommunen, og busituasjonen i dag."),
    ("policies/nynorsk/nasjonal_nynorsk.pol", "Kjøper du ein annan bustad, må kommunen godkjenne han først.", "nynorsk",
     "Kjøper søkjaren ein annan bustad, må kommunen godkjenne han først."),
    ("policies/nynorsk/nasjonal_nynorsk.pol", "at busituasjonen hindrar deg i å ta arbeid", "nynorsk",
     "at busituasjonen hindrar søkjaren i å ta arbeid"),
    ("tests/fixtures/ulovlig/egen_laanerente.pol", "Renten du betaler", "bokmål", "Renten søkeren betaler"),
    (None, "Du og din ektefelle må sende inn lønnsslippene.", "bokmål",
     "Søkeren og søkerens ektefelle må sende inn lønnsslippene."),
    (None, "Du må sende dine lønnsslipper.", "bokmål", "Søkeren må sende sine lønnsslipper."),
    (None, "Dine inntekter er lave.", "bokmål", "Søkerens inntekter er lave."),
    (None, "Du må melde deg hos oss, så kontakter vi deg.", "bokmål",
     "Søkeren må melde seg hos oss, så kontakter vi søkeren."),
    (None, "Du får lånet, og banken kontakter deg.", "bokmål", "Søkeren får lånet, og banken kontakter søkeren."),
    (None, "Du og di kone", "bokmål", "Søkeren og di kone"),  # «di» is no bokmål possessive
    (None, "Du og di kone må melde dykk; kona di får brevet.", "nynorsk",
     "Søkjaren og søkjaren si kone må melde seg; kona får brevet."),
    (None, "Du må sende inn lønsslippane dine og di eiga fråsegn.", "nynorsk",
     "Søkjaren må sende inn lønsslippane og si eiga fråsegn."),
])
def test_third_person_over_the_policies_texts(source, text, form, third):
    from boligregler.norsk import tredje_person
    if source is not None:
        assert text in (ROOT / source).read_text(encoding="utf-8"), "the sentence stands in the file it names"
    assert tredje_person(text, form) == third


@pytest.mark.parametrize("text, form, third", [
    # a question word begins a clause with a subject of its own: the possessive in it is the applicant's, not reflexive
    ("Du har ikke sagt hvor din bolig ligger.", "bokmål", "Søkeren har ikke sagt hvor søkerens bolig ligger."),
    ("Du har ikkje sagt kvar di bustad ligg.", "nynorsk", "Søkjaren har ikkje sagt kvar søkjaren si bustad ligg."),
    ("Du må forklare hvordan dine utgifter blir dekket.", "bokmål",
     "Søkeren må forklare hvordan søkerens utgifter blir dekket."),
    ("Du må oppgje kven ditt hushald er.", "nynorsk", "Søkjaren må oppgje kven søkjaren sitt hushald er."),
    ("Du må oppgi hva du eier.", "bokmål", "Søkeren må oppgi hva søkeren eier."),
    # a possessive is left out only after a noun in the definite form that agrees with it, not after a verb
    ("Du må oppgi hva din inntekt er.", "bokmål", "Søkeren må oppgi hva søkerens inntekt er."),
    ("Du må ordne din økonomi.", "bokmål", "Søkeren må ordne sin økonomi."),
    ("Du har arvet din bolig.", "bokmål", "Søkeren har arvet sin bolig."),
    ("Du har arvet ditt hus.", "bokmål", "Søkeren har arvet sitt hus."),
    ("Du må senda dine papir.", "nynorsk", "Søkjaren må senda sine papir."),
    ("Du må tjene dine penger selv.", "bokmål", "Søkeren må tjene sine penger selv."),
    ("Du har lånet ditt i banken.", "bokmål", "Søkeren har lånet sitt i banken."),
    ("Har hushaldet ditt barn, må du seie det.", "nynorsk", "Har hushaldet barn, må søkjaren seie det."),
    ("Med 20 000 kr kan hushaldet ditt betene eit lån.", "nynorsk", "Med 20 000 kr kan hushaldet betene eit lån."),
    ("I dag har hushaldet ditt 20 000 kr til å betale på lånet.", "nynorsk",
     "I dag har hushaldet 20 000 kr til å betale på lånet."),
    ("Barna dine og kona di bur i bustaden din.", "nynorsk", "Barna og kona bur i bustaden."),
    ("Inntektene dine er lave.", "bokmål", "Inntektene er lave."),
])
def test_third_person_reads_each_possessive_in_its_own_clause(text, form, third):
    from boligregler.norsk import tredje_person
    assert tredje_person(text, form) == third


@pytest.mark.parametrize("text, form, third", [
    ("Dere må melde dere hos oss, så kontakter vi dere.", "bokmål", "Søkerne må melde seg hos oss, så kontakter vi søkerne."),
    ("Husstanden deres har ingen gjeld.", "bokmål", "Husstanden har ingen gjeld."),
    ("Deres inntekter er lave.", "bokmål", "Søkernes inntekter er lave."),
    ("Dere må sende deres lønnsslipper.", "bokmål", "Søkerne må sende søkernes lønnsslipper."),
    ("Det er mer enn de 5 000 kr dere har.", "bokmål", "Det er mer enn de 5 000 kr søkerne har."),  # «de» is theirs
    ("De må melde dykk hos oss, så kontaktar vi dykk.", "nynorsk",
     "Søkjarane må melde seg hos oss, så kontaktar vi søkjarane."),
    ("Hushaldet dykkar har barn, og lønsslippane dykkar manglar.", "nynorsk",
     "Hushaldet har barn, og lønsslippane manglar."),
    ("Du og kona di må melde dykk.", "nynorsk", "Søkjaren og kona må melde seg."),
])
def test_third_person_speaks_of_the_applicants_together(text, form, third):
    from boligregler.norsk import tredje_person
    assert tredje_person(text, form) == third


def test_third_person_leaves_no_du_form_in_any_policy_text():
    """Every text of every shipped policy and fixture written to the applicant reads without «du», «deg» or a
    possessive of the second person outside quotes once written in the third person; nynorsk also without «di»."""
    from boligregler.norsk import tredje_person
    files = [*(ROOT / "policies").rglob("*.pol"), *(ROOT / "tests" / "fixtures").rglob("*.pol")]
    you = {"bokmål": re.compile(r"\b(?:[Dd]u|[Dd]eg|[Dd]in|[Dd]itt|[Dd]ine)\b"),
           "nynorsk": re.compile(r"\b(?:[Dd]u|[Dd]eg|[Dd]in|[Dd]itt|[Dd]ine|[Dd]i)\b")}
    checked = 0
    for path in files:
        source = path.read_text(encoding="utf-8")
        form = "nynorsk" if re.search(r"^\s*målform:\s*nynorsk", source, re.MULTILINE) else "bokmål"
        for text in re.findall(r'"((?:[^"\\]|\\.)*)"', source):
            if you[form].search(re.sub(r"«[^«»]*»", "", text)):
                checked += 1
                third = tredje_person(text, form)
                assert not you[form].search(re.sub(r"«[^«»]*»", "", third)), (path.name, third)
    assert checked > 100


def test_no_saksframlegg_addresses_the_applicant():
    """Every golden saksframlegg: no «du», «deg» or possessive «din» outside a quote, no klage (not a decision)."""
    memos = sorted(GOLDEN.glob("*-manuell_vurdering.txt"))
    assert len(memos) >= 6
    for path in memos:
        text = re.sub(r"«[^«»]*»", "", path.read_text(encoding="utf-8"))
        assert not re.search(r"\b(?:[Dd]u|[Dd]eg|din|ditt|dine)\b", text), path.name
        assert not re.search(r"\bklage\b", text), path.name


def test_exception_that_applies_is_explained():
    s = copy.deepcopy(FAMILY)
    s["skjønn"]["langvarige_finansieringsproblemer"] = False
    s["skjønn"]["stabil_bosituasjon_haster"] = True
    letter = build_letter(load_policy("nasjonal").evaluate(s))
    behov = next(i for i in letter.section("vurdering").items if i.text.startswith("Langvarige problemer"))
    assert "oppfylt etter unntak (bokstav a)" in behov.text
    assert behov.details[-1].startswith("Unntak a (Barnefamilier") and " gjelder. " in behov.details[-1]
    assert any("barna trenger en stabil bosituasjon raskt" in p for p in letter.section("barn").paragraphs)


def test_explain_false_gives_no_letter_but_a_record():
    decision = load_policy("nasjonal").evaluate(copy.deepcopy(FAMILY), explain=False)
    assert decision.begrunnelse == ""
    assert decision.to_dict()["sporbarhet"]["regelverk"]["id"] == "nasjonal"  # issue 12: every record replays


def test_begrunnelse_in_the_record_is_the_text_letter():
    decision = load_policy("skien").evaluate(refused_family())
    assert decision.to_dict()["begrunnelse"] == render(build_letter(decision), "tekst")


# ---- the language: `begrunnelse { … }` ---------------------------------------------------


def test_grammar_builds_in_strict_mode():
    Lark(grammar_path().read_text(encoding="utf-8"), strict=True, **PARSER_OPTIONS)


HOSTILE = """regelverk fiendtlig bygger på nasjonal {
    navn: "<script>alert('navn')</script> & co"
    kommune: "Kommune"
    vedtatt: 2024-01-01
    kilde: "Test"
    klageinstans: "<b>klagenemnda</b>"
}
overstyr begrunnelse {
    innledning: "Søknaden om *startlån* [lenke](javascript:x) <img src=x onerror=alert(1)> gjelder {formål}."
    klage: "# Klage til {klageinstans} | {regelverk_navn}"
}
"""


def test_html_and_markdown_escape_everything_from_the_policy(tmp_path):
    (tmp_path / "fiendtlig.pol").write_text(HOSTILE, encoding="utf-8")
    letter = build_letter(load_policy(tmp_path / "fiendtlig.pol").evaluate(refused_family()))
    page = render_html(letter)
    for raw in ("<script>", "<img", "<b>klagenemnda</b>"):
        assert raw not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;b&gt;klagenemnda&lt;/b&gt;" in page
    markdown = render_markdown(letter)
    assert "\\*startlån\\*" in markdown and "\\[lenke\\]" in markdown and "&lt;img" in markdown
    assert "\n\\# Klage til &lt;b>klagenemnda&lt;/b> \\| &lt;script>" in markdown
    shown = markdown_lib.markdown(markdown)
    for raw in ("<script>", "<img", "<b>", "<em>", "<a ", "<h1>Klage"):
        assert raw not in shown
    assert "Søknaden om *startlån* [lenke](javascript:x) &lt;img src=x onerror=alert(1)&gt; gjelder" in shown


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "kommune.pol"
    path.write_text('regelverk kommune bygger på nasjonal {\n    navn: "K"\n    kommune: "K"\n    vedtatt: 2024-01-01\n'
                    '    kilde: "K"\n    klageinstans: "K"\n}\n' + text, encoding="utf-8")
    return path


def codes(tmp_path, text: str) -> list[str]:
    from boligregler.api import check_policy
    return [d.code for d in check_policy(write(tmp_path, text)).diagnostics]


@pytest.mark.parametrize("text, code", [
    ('overstyr begrunnelse { innleding: "x" }', "B001"),
    ('begrunnelse { klage: "x" }', "N005"),
    ('overstyr begrunnelse { endring bolig.kjøpsum: "x" }', "N001"),
    ('overstyr begrunnelse { endring bolig.kjøpesum trinn 10 år: "x" }', "B002"),
    ('overstyr begrunnelse { endring skjønn.hindrer_arbeid til "ja": "x" }', "B002"),
    ('overstyr begrunnelse { endring ordning til sann: "x" }', "B002"),
    ('overstyr begrunnelse { endring ordning til "eie_forst": "x" }', "T005"),
    ('overstyr begrunnelse { endring egenkapital til sann: "x" }', "B002"),
    ('overstyr begrunnelse { endring egenkapital når egenkapital: "x" }', "T002"),
    ('overstyr begrunnelse { endring egenkapital: "{endringen}" }', "N001"),
    ('overstyr begrunnelse { endring inntekter: "x" }', "B002"),
    ('overstyr begrunnelse { endring inntekter {type: "lønnn"}: "x" }', "T005"),
    ('overstyr begrunnelse { klage: "{klageinstanse}" }', "N001"),
    ('overstyr begrunnelse { barn når antall_barn: "x" }', "T002"),
    ('ordning eie_først { overstyr begrunnelse { klage: "x" } }', "B001"),
])
def test_letter_mistakes_are_diagnosed(tmp_path, text, code):
    assert code in codes(tmp_path, text)


def test_overriding_a_section_replaces_all_its_paragraphs(tmp_path):
    policy = load_policy(write(tmp_path, 'overstyr begrunnelse {\n    klage: "Klag til {kommune} innen tre uker."\n}\n'))
    letter = build_letter(policy.evaluate(refused_family()))
    assert letter.section("klage").paragraphs == ("Klag til K innen tre uker.",)
    assert letter.section("innledning").paragraphs[0].startswith("Vi viser til søknaden"), "others are inherited"


def test_shipped_policies_check_clean():
    assert main(["sjekk", *sorted(str(p) for p in shipped_policies_dir().glob("*.pol"))]) == 0


def test_cli_forklar_prints_the_letter(capsys):
    path = ROOT / "examples" / "familie.json"
    assert main(["forklar", "nasjonal", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["utfall"] == "innvilget" and out["tittel"] == "Vedtak om startlån"


def test_every_golden_letter_is_plain_norwegian():
    """LIX ≤ 45 (Björnsson: under 40 easy, 40–50 medium), no identifier or JSON path, no «(er)» or «(e)»."""
    letters = sorted(GOLDEN.glob("*.txt"))
    assert len(letters) >= 20
    for path in letters:
        text = path.read_text(encoding="utf-8")
        assert lix(text) <= 45, f"{path.name}: LIX {lix(text):.1f}"
        snake = re.findall(r"\b[^\W\d_]+_[^\W\d_]+(?:_[^\W\d_]+)*\b", text)
        assert not snake, f"{path.name}: identifiers reach the reader: {snake}"
        assert not re.search(r"\w\((?:er|e|ene)\)", text), f"{path.name}: a number does not agree with its noun"
        words = re.sub(r"\b[\w.-]+@[\w.-]+\.[a-z]{2,}\b", "", text.replace("lovdata.no", ""))  # e-mail addresses
        assert not re.search(r"\b(?:[^\W\d_]+\.){1,}[^\W\d_]{2,}\b", words), \
            f"{path.name}: a dotted path reaches the reader"
        assert not re.search(r"\b(?:1|én|ett|eitt|éi) (?:voksne|vaksne|banker|bankar|måneder|månader|dokumenter|"
                             r"dokument(?:a|ene)|dager|dagar)\b", text), f"{path.name}: one with a plural"
        assert not re.search(r"\b(?:[02-9]|\d{2,}|to|tre|fire|fem|seks|sju|åtte|ni|ti|elleve|tolv) "
                             r"(?:voksen|vaksen|bank|måned|månad|dag)\b", text), f"{path.name}: many with a singular"
        assert not re.search(r"\b0 (?:barn|voksne|banker)\b", text), f"{path.name}: «0 barn» where «ingen barn» reads"


def test_lix_counts_words_sentences_and_long_words():
    assert lix("Dette er en kort setning. Her kommer enda en setning.") == pytest.approx(10 / 2 + 100 * 2 / 10)  # «setning» has seven letters
    assert lix("Overskrift\n==========\nTo ord.") == pytest.approx(3 / 2 + 100 * 1 / 3)


NYNORSK = ROOT / "tests" / "fixtures" / "nynorsk" / "fjordvik.pol"


def test_a_nynorsk_policy_writes_its_frame_and_own_texts_in_nynorsk_and_the_checker_lists_the_rest(tmp_path):
    from boligregler.api import check_policy
    policy = load_policy(NYNORSK)
    letter = build_letter(policy.evaluate(copy.deepcopy(FAMILY)))
    assert letter.målform == "nynorsk"
    assert letter.section("vedtak").paragraphs[0].startswith("Søknaden om startlån er innvilga.")
    assert letter.section("grunnlag").heading == "Opplysningar vi har lagt til grunn"
    assert "[manglar: namnet på søkjaren]" in letter.frame.recipient
    assert '<html lang="nn">' in render_html(letter)
    assert not [d for d in check_policy(NYNORSK).diagnostics if d.code == "M001"], "it builds on nasjonal_nynorsk"
    # the same kommune built directly on the bokmål national rules is told which texts it inherits in bokmål
    on_bokmål = tmp_path / "fjordvik.pol"
    on_bokmål.write_text(NYNORSK.read_text(encoding="utf-8").replace("bygger på nasjonal_nynorsk", "bygger på nasjonal"),
                         encoding="utf-8")
    warnings = [d for d in check_policy(on_bokmål).diagnostics if d.code == "M001"]
    # in nynorsk, as the kommune's policy staff write the policy, and with the shipped nynorsk national rules first
    assert len(warnings) == 2 and "tekstar som lesaren ser, kjem frå «nasjonal», som er på bokmål" in warnings[0].message
    twin = "byt til «bygger på nasjonal_nynorsk», som har dei same reglane med alle tekstane på nynorsk"
    assert warnings[0].notes[0] == twin and warnings[1].notes[0] == twin
    listed = warnings[0].notes[1]
    assert listed.startswith("skriv dei på nynorsk med «overstyr»: ")
    assert "vilkår betjeningsevne" in listed and "begrunnelse: grunnlag" in listed
    assert "vilkår bustad_i_kommunen" not in listed, "its own texts"
    assert "77 opplysningar i søknaden har ingen tekst på nynorsk (skildringa i brevet" in warnings[1].message
    assert "skjønn.hindrer_arbeid" in warnings[1].notes[1] and "inntekter.type «lønn»" in warnings[1].notes[1]
    assert not BOKMÅL_ONLY.findall(" ".join([d.message for d in warnings] + [n for d in warnings for n in d.notes[:1]]))
    # B004 too: its letterhead without «enhet», and «klageinstans» not confirmed
    unsigned = tmp_path / "signed" / "fjordvik.pol"
    unsigned.parent.mkdir()
    unsigned.write_text(NYNORSK.read_text(encoding="utf-8").replace('    enhet: "Bustadkontoret"\n', "").replace(
        '    målform: nynorsk', '    målform: nynorsk\n    ubekreftet: "klageinstans"'), encoding="utf-8")
    found = sorted((d.message, d.notes[0]) for d in unsigned_for(unsigned))
    assert found == [
        ("vedtaksbrevet kan ikkje signerast: regelverkshovudet har ikkje «enhet», så brevet skriv «[manglar: eininga som "
         "behandlar saka]» der «sak» i søknaden ikkje gir det", 'skriv enhet: "…" i regelverkshovudet, eller la '
         "saksbehandlingssystemet gi det i «sak.enhet» i søknaden"),
        ("vedtaksbrevet kan ikkje signerast: «klageinstans» er merkt som ikkje stadfesta, så brevet skriv «[manglar: "
         "klageinstansen]» der «sak» i søknaden ikkje gir det", "stadfest verdien med kommunen og ta «klageinstans» ut "
         "av «ubekreftet», eller la saksbehandlingssystemet gi han i «sak.klageinstans» i søknaden")], found
    s = copy.deepcopy(FAMILY)
    s["bolig"]["i_kommunen"] = False
    manual = build_letter(policy.evaluate(s))
    assert manual.document == "saksframlegg"
    assert "retningslina «Bustaden ligg i Fjordvik» ikkje er oppfylt" in manual.section("vedtak").paragraphs[0]


def nynorsk_cases() -> dict[str, dict]:
    granted = {**copy.deepcopy(FAMILY), "sak": dict(CASE)}
    refused = refused_family()
    manual = {**copy.deepcopy(FAMILY), "sak": dict(CASE)}
    manual["bolig"]["i_kommunen"] = False
    partial = {**copy.deepcopy(FAMILY), "sak": dict(CASE)}
    del partial["skjønn"]["avslag_fra_banker"]
    return {"innvilget": granted, "avslag": refused, "manuell_vurdering": manual, "ikke_avgjort": partial}


# Tell-tale words only bokmål writes (their nynorsk forms differ: ikkje, viss/om, kva, korleis, kvifor,
# bustaden, søkjaren, hushaldet, mykje, nokon, månad, frå, heimel, gjeld, eigenkapital, opplysningar,
# vurderinga, grunngiving, innvilga, tilskot, sjølveigar, løn, omsynet, halde på, hindrar, frigjer), as
# a check that a nynorsk letter reads as nynorsk throughout: the national texts, the søknad's facts as
# the letter describes them (a missing reason, a forespørsel) and the words for choices (income types).
BOKMÅL_ONLY = re.compile(r"\b(?:ikke|hvis|hva|hvordan|hvorfor|hvilke|hvilken|boligen|bolig|søkeren|husstanden|mye|"
                         r"noen|måned|måneder|fra|Hjemmel|gjelder|egenkapital|Egenkapital|opplysninger|vurderingen|"
                         r"begrunnelse|innvilget|tilskudd|Tilskudd|selveier|lønn|Lønn|hensynet|beholde|hindrer|"
                         r"frigjør|mottar|eier|bruker|hver|hvert|uten|selv|noe|annet|sier|oppgis|vurderes|dokumenteres|avgjøres|ennå)\b")


@pytest.mark.parametrize("utfall", ["innvilget", "avslag", "manuell_vurdering", "ikke_avgjort"])
def test_a_nynorsk_kommune_gets_the_national_texts_in_nynorsk(utfall):
    decision = load_policy(NYNORSK).evaluate(nynorsk_cases()[utfall])
    assert decision.utfall == utfall
    letter = decision.begrunnelse
    found = set(BOKMÅL_ONLY.findall(letter))
    assert not found, f"bokmål in a nynorsk {utfall}: {sorted(found)}"
    assert_golden(f"fjordvik-{utfall}.txt", letter)


# Keys of the decision record whose values are identifiers, codes or amounts, not texts a person reads.
IDENTIFIER_KEYS = {"utfall", "ordning", "id", "resultat", "art", "opplysning", "oppgis_av", "søknadsdato", "lenke",
                   "unntak", "venter_på", "vilkår_id", "sha256", "versjon", "beløp", "sporbarhet", "avgjort"}


def reader_texts(record, path: str = ""):
    """(path, text) of every text in a decision record (or a `missing_facts` result) a person reads."""
    if isinstance(record, dict):
        for key, value in record.items():
            if key not in IDENTIFIER_KEYS and not (key == "vilkår" and path.endswith("]")):  # `mangler[i].vilkår`: ids
                yield from reader_texts(value, f"{path}.{key}")
    elif isinstance(record, list):
        for i, value in enumerate(record):
            yield from reader_texts(value, f"{path}[{i}]")
    elif isinstance(record, str):
        yield path, record


@pytest.mark.parametrize("utfall", ["innvilget", "avslag", "manuell_vurdering", "ikke_avgjort"])
def test_every_text_of_a_nynorsk_decision_record_is_nynorsk(utfall):
    """Not only the letter: the record's criteria, conditions and missing facts (a fact in a list line named by the
    list's nynorsk text), a partial søknad's facts not needed, and `vurder`'s text, for every outcome."""
    from boligregler.explain import missing_facts
    from boligregler.rendering.text import render_decision
    policy = load_policy(NYNORSK)
    soknad = nynorsk_cases()[utfall]
    decision = policy.evaluate(soknad)
    assert decision.utfall == utfall
    unknown = ["husstand.barn[0].alder", "inntekter[1].netto_per_måned", "husstand.voksne[1].alder"]
    partial = missing_facts(policy, soknad, unknown).to_dict()
    texts = [*reader_texts(decision.to_dict()), *reader_texts(partial, "delvis"),
             ("vurder", render_decision(decision, "nynorsk"))]
    found = {path: sorted(set(BOKMÅL_ONLY.findall(text))) for path, text in texts if BOKMÅL_ONLY.search(text)}
    assert not found, f"bokmål in a nynorsk {utfall} record: {found}"
    described = [m["beskrivelse"] for m in [*partial["mangler"], *partial["trengs_ikke"]]]
    assert "Alderen til barnet (borna i hushaldet, nr. 1)" in described, described  # the third person, as the record
    assert not [t for t in described if re.search(r"\b(?:barn|inntekter|voksne) nr\.", t)], described


@pytest.mark.parametrize("pid", ["nasjonal", "drammen", NYNORSK])
def test_the_records_own_texts_speak_of_the_applicant_in_the_third_person(pid):
    """`mangler` and `trengs_ikke` (their `beskrivelse`), a waiting criterion's sentence and the case worker's
    assessments describe the facts in the third person: a policy's text for a fact is written to the applicant
    («Om du har langvarige problemer …») and had been followed by «– vurderes av saksbehandler»; the forespørsel to
    the applicant still says «du»."""
    from boligregler.explain import missing_facts
    from boligregler.rendering.text import render_decision
    policy = load_policy(pid)
    soknad = copy.deepcopy(FAMILY)
    del soknad["skjønn"]["langvarige_finansieringsproblemer"]
    soknad["skjønn"]["begrunnelse"] = {"hindrer_arbeid": "Søkeren har fast arbeid i nabokommunen."}
    decision = policy.evaluate(soknad)
    assert decision.utfall == "ikke_avgjort"
    record = decision.to_dict()
    partial = missing_facts(policy, soknad, ["skjønn.spareevne_utnyttet"]).to_dict()
    waiting = [c["forklaring"] for c in record["vilkår"] if c["resultat"] == "ikke_vurdert"]
    texts = [*(m["beskrivelse"] for m in [*record["mangler"], *partial["mangler"], *partial["trengs_ikke"]]),
             *waiting, *(a["beskrivelse"] for a in record["skjønnsvurderinger"]), render_decision(decision)]
    assert record["mangler"] and waiting and record["skjønnsvurderinger"]
    for text in texts:
        assert not re.search(r"\b(?:[Dd]u|[Dd]eg|[Dd]in|[Dd]itt|[Dd]ine)\b", re.sub(r"«[^«»]*»", "", text)), text
    applicant = {"nasjonal": "søkeren", "drammen": "søkeren", NYNORSK: "søkjaren"}[pid]
    assert any(f"om {applicant} har langvarige" in t.lower() for t in texts), texts
    letter = build_letter(decision)  # the forespørsel, to the applicant
    asked = [i.text for s in ("mangler", "vurderes") if letter.section(s) for i in letter.section(s).items]
    assert any(t.startswith("Om du har langvarige") for t in asked), asked
    assert not any(applicant in t for t in asked), asked


def test_the_checker_lists_the_facts_a_nynorsk_policy_has_no_nynorsk_text_for(tmp_path):
    from boligregler.api import check_policy
    assert not [d for d in check_policy(ROOT / "policies" / "nynorsk" / "nasjonal_nynorsk.pol").diagnostics
                if d.code == "M001"], "every national fact and choice has its nynorsk text"
    text = (ROOT / "policies" / "nynorsk" / "nasjonal_nynorsk.pol").read_text(encoding="utf-8")
    trimmed = tmp_path / "nasjonal_nynorsk.pol"
    trimmed.write_text("\n".join(line for line in text.splitlines()
                                 if "opplysning skjønn.hindrer_arbeid:" not in line
                                 and 'opplysning bolig.eierform "borettslag"' not in line), encoding="utf-8")
    warnings = [d for d in check_policy(trimmed).diagnostics if d.code == "M001"]
    assert len(warnings) == 1 and "2 opplysningar i søknaden har ingen tekst på nynorsk" in warnings[0].message
    assert warnings[0].notes[-1].endswith("bolig.eierform «borettslag», skjønn.hindrer_arbeid")


def test_an_opplysning_text_names_a_field_and_one_of_its_choices(tmp_path):
    from boligregler.api import check_policy
    bad = tmp_path / "feil.pol"
    bad.write_text('regelverk feil bygger på nasjonal {\n    navn: "Feil"\n    kommune: "Feil kommune"\n'
                   '    vedtatt: 2024-01-01\n    kilde: "test"\n}\n\noverstyr begrunnelse {\n'
                   '    opplysning bolig.farge: "Fargen"\n    opplysning bolig.eierform "hytte": "hytte"\n'
                   '    opplysning egenkapital "mye": "mykje"\n}\n', encoding="utf-8")
    found = {(d.code, d.span.line) for d in check_policy(bad).diagnostics if d.severity.name == "ERROR"}
    assert {("N001", 9), ("T002", 11)} <= found and any(line == 10 for _, line in found), found


def test_the_nynorsk_national_rules_decide_exactly_as_the_bokmål_ones():
    """nasjonal_nynorsk restates the criteria only for their texts: every condition, relevance and exception
    is the national one, so both give the same outcome, amounts and criterion results for every example."""
    bokmål, nynorsk = load_policy("nasjonal"), load_policy("nasjonal_nynorsk")
    pairs = {c.id: c for c in bokmål.model.schemes["startlån"].criteria}
    for c in nynorsk.model.schemes["startlån"].criteria:
        b = pairs.pop(c.id)
        assert (c.kind, c.condition, c.relevance) == (b.kind, b.condition, b.relevance), c.id
        assert [(e.letter, e.condition) for e in c.exceptions] == [(e.letter, e.condition) for e in b.exceptions]
    assert not pairs
    for ex in bokmål.model.examples:
        a, b = bokmål.evaluate(copy.deepcopy(ex.input)), nynorsk.evaluate(copy.deepcopy(ex.input))
        assert (a.utfall, a.beløp, [(r.id, r.resultat) for r in a.vilkår]) == \
            (b.utfall, b.beløp, [(r.id, r.resultat) for r in b.vilkår]), ex.name


def test_a_bokmål_policy_gets_no_målform_warning():
    from boligregler.api import check_policy
    assert not [d for d in check_policy(shipped_policies_dir() / "drammen.pol").diagnostics if d.code == "M001"]


HOSTILE_REASON = "Fast jobb og\n<b>god</b> inntekt; *kan* få lån i bank om to år.\n\n- ikke en liste"


def test_the_case_workers_reasons_are_quoted_beside_the_assessment_and_escaped_as_data():
    s = refused_family()
    s["skjønn"]["begrunnelse"] = {"langvarige_finansieringsproblemer": HOSTILE_REASON,
                                  "boligen_egnet_og_nøktern": "Tre soverom for to voksne og to barn."}
    decision = load_policy("drammen").evaluate(s)
    letter = build_letter(decision)
    vurdering = {i.text.split(":")[0]: i.details for i in letter.section("vurdering").items}
    quoted = "«Fast jobb og <b>god</b> inntekt; *kan* få lån i bank om to år. - ikke en liste»"
    langvarig = [d for d in vurdering["Langvarige problemer med å finansiere bolig"] if "begrunnelse" in d]
    assert langvarig[0] == ("Saksbehandlers begrunnelse for vurderingen av om du har langvarige problemer med å "
                            "finansiere egen bolig (forskriften § 5-4 første ledd bokstav a): " + quoted)
    assert any("«Tre soverom for to voksne og to barn.»" in d for d in vurdering["Boligen er egnet og nøktern"])
    assert quoted in letter.section("vedtak").paragraphs[1], "the reason the refusal rests on comes with the reason first"
    assert not any("[mangler" in p for p in letter.section("vedtak").paragraphs)
    # an assessment the refusal rests on, given without a reason, is a visible gap, not a bare conclusion
    assert ("[mangler: saksbehandlers begrunnelse for vurderingen av om boligsituasjonen hindrer deg i å få "
            "eller beholde arbeid (§ 5-4 annet ledd bokstav c)]") in langvarig
    # one that cannot change the result (tvangssalg needs refinansiering) asks for none
    assert not any("tvangssalg" in d for d in langvarig)
    page = render_html(letter)
    assert "<b>god</b>" not in page and "&lt;b&gt;god&lt;/b&gt;" in page
    shown = markdown_lib.markdown(render_markdown(letter))
    assert "<b>" not in shown and "<em>" not in shown and "*kan* få lån" in shown
    assert json.loads(render(letter, "json"))["deler"]  # data, not markup
    assert decision.to_dict()["skjønnsvurderinger"][0]["begrunnelse"] == HOSTILE_REASON.strip()


def test_a_reason_is_quoted_once_beside_the_first_rule_that_reads_it():
    s = refused_family()
    s["skjønn"]["begrunnelse"] = {"varig_lav_inntekt": "Uføretrygd, ingen utsikt til høyere inntekt."}
    s["skjønn"]["varig_lav_inntekt"] = True
    text = load_policy("drammen").evaluate(s).begrunnelse
    assert text.count("«Uføretrygd, ingen utsikt til høyere inntekt.»") == 1


def test_the_case_system_gives_the_letterhead_and_an_unconfirmed_header_field_is_never_printed_as_confirmed():
    s = refused_family()
    plain = build_letter(load_policy("drammen").evaluate(copy.deepcopy(s)))
    assert plain.frame.sender[:3] == ("Drammen kommune", "[mangler: enheten som behandler saken]",
                                      "Postboks 7500, 3008 Drammen")  # enhet is stated but marked ubekreftet
    assert {"enhet", "klageinstans", "klageinstans_adresse"} <= set(plain.frame.missing)
    assert "[mangler: klageinstansen], [mangler: klageinstansens adresse]" in render(plain, "tekst")
    s["sak"] |= {"enhet": "Startlånskontoret", "klageinstans": "Klagenemnda i Drammen kommune",
                 "klageinstans_adresse": "Postboks 7500, 3008 Drammen", "kontakt": "startlan@drammen.example"}
    signed = build_letter(load_policy("drammen").evaluate(s))
    assert signed.frame.missing == ()
    text = render(signed, "tekst")
    assert "sender vi klagen til Klagenemnda i Drammen kommune, Postboks 7500" in text
    assert "[mangler: klageinstans" not in text and "[mangler: enheten" not in text
    assert signed.frame.sender[1] == "Startlånskontoret" and "startlan@drammen.example" in text


# What `sjekk --brev` says each shipped policy must fill before its vedtaksbrev can be signed (docs/vedtaksbrev.md).
UNSIGNED = {
    "baerum": {"enhet", "klageinstans", "klageinstans_adresse", "ordningsvilkår"},
    "drammen": {"enhet", "klageinstans", "klageinstans_adresse"},
    "kongsvinger": {"enhet", "klageinstans", "klageinstans_adresse"},
    "sandnes": {"postadresse", "kontakt", "klageinstans", "klageinstans_adresse", "ordningsvilkår"},
    "skien": {"enhet", "klageinstans", "klageinstans_adresse"},
    "nasjonal": {"enhet", "postadresse", "kontakt", "klageinstans", "klageinstans_adresse"},
}


def unsigned_for(path) -> list:
    from boligregler.commands.sjekk import diagnostics_for
    return [d for d in diagnostics_for(str(path), letters=True)[0] if d.code == "B004"]


@pytest.mark.parametrize("pid", sorted(UNSIGNED))
def test_sjekk_brev_says_which_frame_fields_and_texts_a_signable_letter_lacks_and_where(pid):
    path = shipped_policies_dir() / f"{pid}.pol"
    found = unsigned_for(path)
    named = {re.search(r"«([^»]+)»", d.message).group(1) for d in found}
    assert named == UNSIGNED[pid], [d.message for d in found]
    lines = path.read_text(encoding="utf-8").splitlines()
    for d in found:
        assert d.severity.name == "WARNING" and d.span is not None and d.notes, d
        if "ubekreftet" in d.message:  # at the field that marks it
            assert lines[d.span.line - 1].lstrip().startswith("ubekreftet:"), d
        elif "regelverkshodet har ikke" in d.message:
            assert lines[d.span.line - 1].startswith("regelverk "), d
        else:  # the inherited text that writes the gap
            assert d.file.endswith("nasjonal.pol") and "[mangler:" in d.message, d
    assert not unsigned_for(NYNORSK), "the nynorsk fixture gives its whole letterhead and offers no tilskudd"
    plain = [d for d in check_policy_diagnostics(path) if d.code == "B004"]
    if pid == "nasjonal":  # a base model: its letterhead is each kommune's to fill, so only with --brev
        assert not plain
    else:  # a kommune's policy: `boligregler sjekk` says so without being asked
        assert plain == found


def test_sjekk_tells_a_kommune_its_letters_cannot_be_signed_without_brev(capsys):
    assert main(["sjekk", "--farge", "aldri", str(shipped_policies_dir() / "drammen.pol")]) == 0
    assert "advarsel[B004]: vedtaksbrevet kan ikke signeres" in capsys.readouterr().err
    assert main(["sjekk", str(shipped_policies_dir() / "nasjonal.pol")]) == 0
    assert "B004" not in capsys.readouterr().err
    assert main(["sjekk", "--brev", "--farge", "aldri", str(shipped_policies_dir() / "nasjonal.pol")]) == 0
    assert "advarsel[B004]" in capsys.readouterr().err


def check_policy_diagnostics(path):
    from boligregler.commands.sjekk import diagnostics_for
    return diagnostics_for(str(path))[0]


def test_a_tilskudd_without_the_kommunes_terms_is_a_visible_gap_in_the_grant(tmp_path):
    path = write(tmp_path, "overstyr parameter tilskudd_tilbys: sannhet {\n    sann fra 2015-01-01 kilde \"K\"\n}\n"
                           "overstyr parameter maks_tilskudd_andel: % {\n    20 % fra 2015-01-01 kilde \"K\"\n}\n")
    s = {**copy.deepcopy(FAMILY), "sak": dict(CASE)}
    s["bolig"]["kjøpesum"] = 4000000  # a loan need above maks lån, within 20 % of the price
    decision = load_policy(path).evaluate(s)
    assert decision.utfall == "innvilget" and decision.beløp["tilskudd"] > 0, (decision.utfall, decision.beløp)
    terms = build_letter(decision).section("lånevilkår").paragraphs
    assert "Tilskuddet: [mangler: kommunens vilkår for tilskuddet (nedskrivning og tilbakebetaling ved salg)]" in terms
    assert [d.span.line for d in unsigned_for(path) if "ordningsvilkår" in d.message] == [
        next(i for i, line in enumerate((ROOT / "policies" / "nasjonal.pol").read_text(encoding="utf-8").splitlines(), 1)
             if "Tilskuddet: [mangler:" in line)]
    drammen = build_letter(load_policy("drammen").evaluate(named_example("drammen", "tilskudd_innenfor_20_prosent")))
    assert not any("[mangler" in p for p in drammen.section("lånevilkår").paragraphs), "Drammen writes its terms"


def test_ubekreftet_names_letterhead_fields_only(tmp_path):
    text = (ROOT / "tests" / "fixtures" / "nynorsk" / "fjordvik.pol").read_text(encoding="utf-8")
    path = tmp_path / "fjordvik.pol"
    path.write_text(text.replace("    målform: nynorsk\n", '    målform: nynorsk\n    ubekreftet: "klageinstans, adresse"\n'),
                    encoding="utf-8")
    with pytest.raises(Exception) as e:
        load_policy(path)
    assert "«ubekreftet» må nevne felt i brevhodet" in str(e.value)


def partial_family() -> dict:
    """A single parent whose søknad has no assessments and no bank refusals yet: ikke_avgjort."""
    return {"søknadsdato": "2026-03-01", "formål": "kjøp",
            "husstand": {"voksne": [{"alder": 31}], "barn": [{"alder": 4}, {"alder": 7}]},
            "inntekter": [{"type": "lønn", "netto_per_måned": 36000}, {"type": "barnetrygd", "netto_per_måned": 3532}],
            "bolig": {"kjøpesum": 2100000, "eierform": "selveier", "boutgifter_per_måned": 4200},
            "sak": dict(CASE)}


def test_the_forespørsel_asks_for_what_is_needed_by_when_and_says_what_happens_without_it():
    decision = load_policy("drammen").evaluate(partial_family())
    letter = build_letter(decision)
    assert letter.document == "forespørsel" and decision.utfall == "ikke_avgjort"
    keys = [s.key for s in letter.sections]
    assert keys.index("vedtak") < keys.index("mangler") < keys.index("svarfrist") < keys.index("vurderes")
    assert letter.section("vedtak").heading == "Hvor langt søknaden er kommet"  # it is not a vedtak
    asked = letter.section("mangler").items
    assert [i.text for i in asked] == ["Antall banker som har avslått søknad om boliglån, etter dokumentasjon fra bankene."]
    assert asked[0].details == ("Har betydning for «Ikke lån i bank» og «Avslag fra to "
                                "private banker»",)
    assert "Fristen er 10.04.2026." in letter.section("svarfrist").paragraphs  # 21 days from sak.dato
    assert any("kan da bli avslått" in p for p in letter.section("svarfrist").paragraphs)
    assert all(i.text.startswith("Om ") for i in letter.section("vurderes").items)  # the case worker's own
    assert "klage" not in keys and "endringer" not in keys
    assert_golden("drammen-ikke_avgjort-enslig-forsorger.txt", render(letter, "tekst"))  # (drammen-ikke_avgjort.txt is the first example)


def test_a_nynorsk_kommune_finds_its_base_from_the_command_line_the_text_api_and_the_language_server():
    from boligregler import load_policy_text
    from boligregler.lsp.analysis import analyse
    text = NYNORSK.read_text(encoding="utf-8")
    assert load_policy_text(text, name="fjordvik.pol").model.header["målform"] == "nynorsk"
    assert not [d for d in analyse(str(NYNORSK), text).diagnostics if d.severity.name == "ERROR"]
    assert load_policy("nasjonal_nynorsk").model.header["målform"] == "nynorsk"
    assert "nasjonal_nynorsk" not in POLICIES, "a base in another målform is not listed as a kommune"


@pytest.mark.parametrize(("source", "words"), [
    ("drammen", "og beløpene i vedtaket: lånebehovet, maks lån, startlånet, tilskuddet, terminbeløpet, marginen"),
    (NYNORSK, "og beløpa i vedtaket: lånebehovet, maks lån, startlånet, terminbeløpet, marginen, omkostningane"),
])
def test_a_forespørsel_names_the_amounts_a_missing_fact_decides_in_words(source, words):
    s = {**copy.deepcopy(FAMILY), "sak": dict(CASE)}
    del s["bolig"]["kjøpesum"]
    from boligregler.explain import missing_facts
    letter = build_letter(missing_facts(load_policy(source), s).decision)
    assert letter.document == "forespørsel"
    item = next(i for i in letter.section("mangler").items if i.text.startswith("Kjøpesum"))
    assert words in item.details[0], item.details
    assert not re.search(r"\b\w+_\w+\b|per måned|beløpet \w", item.details[0]), item.details


def test_a_nynorsk_criterion_without_its_own_text_is_explained_in_nynorsk(tmp_path):
    own = tmp_path / "fjordvik.pol"
    own.write_text(NYNORSK.read_text(encoding="utf-8").replace(
        '''    forklaring {
        oppfylt: "Bustaden ligg i Fjordvik kommune."
        ikke_oppfylt: "Bustaden ligg ikkje i Fjordvik kommune; saksbehandlaren må vurdere om det skal gjerast unntak."
    }
''', ""), encoding="utf-8")
    policy = load_policy(own)
    s = copy.deepcopy(FAMILY)
    s["bolig"]["i_kommunen"] = False
    letter = build_letter(policy.evaluate(s))
    assert letter.document == "saksframlegg"
    text = render_text(letter)
    assert "Vilkåret «Bustaden ligg i Fjordvik» er ikkje oppfylt." in text
    assert "er ikke oppfylt" not in text
    # one source of the default sentences: the record states what the letter says
    assert policy.evaluate(s).criterion("bustad_i_kommunen").forklaring == "Vilkåret «Bustaden ligg i Fjordvik» er ikkje oppfylt."
    s["bolig"]["i_kommunen"] = True
    assert policy.evaluate(s).criterion("bustad_i_kommunen").forklaring == "Vilkåret «Bustaden ligg i Fjordvik» er oppfylt."


def test_a_nynorsk_letter_names_a_list_line_in_the_policys_words_and_says_who_gives_it():
    from boligregler.explain import missing_facts
    s = {**copy.deepcopy(FAMILY), "sak": dict(CASE)}
    letter = build_letter(missing_facts(load_policy(NYNORSK), s, ["husstand.barn[1].alder"]).decision)
    asked = [i.text for i in letter.section("mangler").items]
    assert asked == ["Alderen til barnet (borna i hushaldet ditt, nr. 2)."]
    text = render_text(letter)
    assert "ikkje vurdert enno. Vilkåret kan ikkje vurderast før dette ligg føre: Alderen til barnet (borna i " \
           "hushaldet ditt, nr. 2) – blir oppgitt av deg." in text
    assert "barn nr." not in text and "oppgitt av søkjaren" not in text
    bokmål = render_text(build_letter(missing_facts(load_policy("drammen"), s, ["husstand.barn[1].alder"]).decision))
    assert "Barnets alder (barn nr. 2) – oppgis av deg." in bokmål


def test_months_are_written_in_the_policys_målform_in_every_explanation(tmp_path):
    from boligregler import load_policy_text
    from boligregler.evaluation.runtime import formatter
    from boligregler.model import types as T
    from decimal import Decimal
    assert formatter(T.Num("måneder"), "nynorsk")(Decimal(3)) == "3 månader"
    assert formatter(T.Num("måneder"))(Decimal(1)) == "1 måned"
    text = NYNORSK.read_text(encoding="utf-8").replace(
        'oppfylt: "Bustaden ligg i Fjordvik kommune."', 'oppfylt: "Du har budd {tilknytning.botid_måneder} i kommunen."')
    for backend in ("compiled", "interpreter"):
        policy = load_policy_text(text, name="fjordvik.pol", backend=backend)
        s = copy.deepcopy(FAMILY)
        s["tilknytning"]["botid_måneder"] = 14
        assert policy.evaluate(s).criterion("bustad_i_kommunen").forklaring == "Du har budd 14 månader i kommunen."


def test_a_vedtak_amount_is_named_by_the_computation_it_is():
    from boligregler import load_policy_text
    from boligregler.explain import missing_facts
    text = (ROOT / "policies" / "nasjonal.pol").read_text(encoding="utf-8").replace(
        "vedtak {\n", "## Egen andel av kjøpesummen. Det husstanden betaler selv.\n"
                      "beregn egen_andel: kr = bolig.kjøpesum - startlån\n\nvedtak {\n    egen_andel_kr: egen_andel\n", 1)
    s = {**copy.deepcopy(FAMILY), "sak": dict(CASE)}
    del s["bolig"]["kjøpesum"]
    letter = build_letter(missing_facts(load_policy_text(text, name="nasjonal.pol"), s).decision)
    item = next(i for i in letter.section("mangler").items if i.text.startswith("Kjøpesum"))
    assert "egen andel av kjøpesummen" in item.details[0] and "egen andel," not in item.details[0], item.details


@pytest.mark.parametrize(("hjemmel", "source", "in_sentence"), [
    ("Forskrift om lån fra Husbanken § 5-4: …", "forskrift", "forskrift om lån fra Husbanken § 5-4: …"),
    ("Forskrift om lån frå Husbanken § 5-4", "forskrift", "forskrift om lån frå Husbanken § 5-4"),
    ("§ 5-4 annet ledd: lånet skal kunne betjenes", "forskrift", "§ 5-4 annet ledd: lånet skal kunne betjenes"),
    ("Drammen kommunes retningslinjer for startlån: søkeren skal være folkeregistrert i Drammen kommune", "kommune",
     "Drammen kommunes retningslinjer for startlån: søkeren skal være folkeregistrert i Drammen kommune"),
    ("Retningslinjene til kommunen: botid", "kommune", "retningslinjene til kommunen: botid"),
    ("Retningslinjene for startlån i Fjordvik kommune: startlån blir gitt til bustad i kommunen", "kommune",
     "retningslinjene for startlån i Fjordvik kommune: startlån blir gitt til bustad i kommunen"),
    ("Kommunens retningslinjer for startlån", "kommune", "kommunens retningslinjer for startlån"),
    ("Testkommunens ordning «Eie først»", "kommune", "Testkommunens ordning «Eie først»"),
    ("Vergemålsloven § 2", None, "vergemålsloven § 2"),
    ("Plan- og bygningsloven § 29-4", None, "plan- og bygningsloven § 29-4"),
    ("§ 3 annet ledd: søkeren skal ha bodd i kommunen i to år", None,
     "§ 3 annet ledd: søkeren skal ha bodd i kommunen i to år"),  # a bare § other than of chapter 5: source unknown
    ("§ 3 i retningslinjene for startlån i Fjordvik kommune", "kommune",
     "§ 3 i retningslinjene for startlån i Fjordvik kommune"),
    ("§ 8-5: nedbetalingstiden er inntil 30 år", None, "§ 8-5: nedbetalingstiden er inntil 30 år"),
    ("Husbankens veiledning til startlån: egenkapital", None, "Husbankens veiledning til startlån: egenkapital"),
])
def test_a_refusal_names_where_its_rules_stand_only_when_the_legal_basis_says(hjemmel, source, in_sentence):
    """«… ikke er oppfylt i forskrift om lån fra Husbanken / i kommunens retningslinjer»: told from the
    legal basis; a law or Husbanken's guidance is neither, and the letter names no source for it. The same
    reading gives the basis inside «Regelen står i …»: a common noun first written small, a name kept."""
    from boligregler.explain.letter import legal_basis

    assert legal_basis(hjemmel) == (source, in_sentence)


def test_a_saksframlegg_on_several_guidelines_says_where_they_stand():
    """Two of the kommune's guidelines not met: «fordi to av kommunens retningslinjer ikke er oppfylt:», the
    source filled from their legal bases, as a refusal's is."""
    s = copy.deepcopy(FAMILY)
    s["tilknytning"]["folkeregistrert_i_kommunen"] = False
    s["bolig"]["i_kommunen"] = False
    letter = build_letter(load_policy("drammen").evaluate(s))
    assert letter.document == "saksframlegg"
    vedtak = letter.section("vedtak").paragraphs[0]
    assert vedtak == "Søknaden kan ikke avgjøres automatisk fordi to av kommunens retningslinjer ikke er oppfylt:", vedtak
    assert [i.text for i in letter.section("vedtak").items] == ["Folkeregistrert i Drammen", "Boligen ligger i Drammen"]
    keys = [s.key for s in letter.sections]
    assert keys[keys.index("vedtak") + 1] == "vedtak_merknad", "the list follows the sentence that leads to it"
    assert letter.section("vedtak_merknad").paragraphs[0].startswith("Kommunens retningslinjer er hovedregler")


@pytest.mark.parametrize("hjemler, vedtak", [
    (("Forskrift om lån fra Husbanken § 5-2", "Forskrift om lån fra Husbanken § 5-3 annet ledd"),
     "Søknaden kan ikke avgjøres automatisk fordi to vilkår i forskrift om lån fra Husbanken ikke er oppfylt:"),
    (("§ 5-2 første ledd", "§ 5-3 annet ledd"),
     "Søknaden kan ikke avgjøres automatisk fordi to vilkår i forskrift om lån fra Husbanken ikke er oppfylt:"),
    (("§ 3 i Drammen kommunes retningslinjer", "§ 4 i Drammen kommunes retningslinjer"),
     "Søknaden kan ikke avgjøres automatisk fordi to av kommunens retningslinjer ikke er oppfylt:"),
    (("§ 3 første ledd", "§ 4 første ledd"), "Søknaden kan ikke avgjøres automatisk fordi to retningslinjer ikke er oppfylt:"),
    (("Forskrift om lån fra Husbanken § 5-2", None),
     "Søknaden kan ikke avgjøres automatisk fordi vilkåret «Folkeregistrert i Drammen» ikke er oppfylt. "
     "Regelen står i forskrift om lån fra Husbanken § 5-2."),
    (("Plan- og bygningsloven § 29-4", None),
     "Søknaden kan ikke avgjøres automatisk fordi retningslinjen «Folkeregistrert i Drammen» ikke er oppfylt. "
     "Regelen står i plan- og bygningsloven § 29-4."),
])
def test_a_saksframlegg_cites_where_its_rules_stand_truly(hjemler, vedtak):
    """A rule of the forskrift is a vilkår in it, not a «retningslinje»; the kommune's are «kommunens
    retningslinjer»; a bare § outside chapter 5 names no source; a law's name is written small in a sentence."""
    from boligregler import load_policy_text
    text = (ROOT / "policies" / "drammen.pol").read_text(encoding="utf-8")
    old = ("Drammen kommunes retningslinjer for startlån: søkeren skal være folkeregistrert i Drammen kommune",
           "Drammen kommunes retningslinjer for startlån: startlån gis til bolig i Drammen kommune")
    s = copy.deepcopy(FAMILY)
    s["tilknytning"]["folkeregistrert_i_kommunen"] = False
    for before, after in zip(old, hjemler):
        assert before in text
        if after is None:
            continue
        text = text.replace(before, after)
        s["bolig"]["i_kommunen"] = False
    if hjemler[1] is None:
        s["bolig"]["i_kommunen"] = True
    letter = build_letter(load_policy_text(text, name="drammen.pol").evaluate(s))
    assert letter.document == "saksframlegg"
    assert letter.section("vedtak").paragraphs[0] == vedtak


def test_the_low_margin_warning_counts_the_changes_not_the_rules_they_stand_under():
    """«Endringen over» for one change that gives a grant, «Endringene over» for more: counted over the single
    changes, else over the changes of the combinations, never over the rules the per-rule lists stand under."""
    from boligregler.explain.letter import _warned_changes
    letter = build_letter(load_policy("drammen").evaluate(refused_family()))
    what_if = letter.what_if
    assert what_if.none_suffices and len(what_if.per_criterion) == 2 and what_if.combinations
    assert _warned_changes(what_if) == sum(len(c) for c in what_if.combinations)
    one_rule_one_change = attrs.evolve(what_if, per_criterion=what_if.per_criterion[:1],
                                       combinations=(what_if.combinations[0][:1],))
    assert _warned_changes(one_rule_one_change) == 1  # one rule heading and one change: had counted two
    single = load_policy("drammen").evaluate(copy.deepcopy(FAMILY) | {"inntekter": [
        {**FAMILY["inntekter"][0], "netto_per_måned": 30000}, *FAMILY["inntekter"][1:]]})
    assert build_letter(single).what_if.changes and _warned_changes(build_letter(single).what_if) == len(build_letter(single).what_if.changes)
    margin = letter.section("margin")
    assert margin is not None and margin.paragraphs[0].startswith("Endringene over er de minste")
