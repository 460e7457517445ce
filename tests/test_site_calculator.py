"""«Hva kan vi låne?»: the form generated from the schema and the answer computed from it.

The module `boligregler.site.estimate` is what the browser runs (in Pyodide); here it runs in
CPython and is compared with `Policy.evaluate` on the søknad a tenant's answers make.
`test_site_browser.py` drives the same form in Chromium.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from boligregler.api import load_policy
from boligregler.model import types as T
from boligregler.money import format_kr
from boligregler.site import estimate as E
from boligregler.site.calculator import form_html

TODAY = dt.date(2026, 3, 1)
KOMMUNER = ("baerum", "drammen", "kongsvinger", "sandnes", "skien")


def tenant(**changes) -> list[tuple[str, str]]:
    """The form as a tenant fills it in: a couple with two children buying a flat, two bank refusals."""
    fields = {
        "formål": "kjøp", "husstand.voksne[0].alder": "38", "husstand.voksne[1].alder": "35",
        "husstand.barn[0].alder": "7", "husstand.barn[1].alder": "3", "husstand.særlige_behov": "nei",
        "inntekter[0].type": "lønn", "inntekter[0].netto_per_måned": "48 500",
        "inntekter[1].type": "barnetrygd", "inntekter[1].netto_per_måned": "3532",
        "faste_utgifter[0].type": "studielån", "faste_utgifter[0].per_måned": "1 200",
        "bolig.kjøpesum": "2 900 000", "bolig.eierform": "selveier", "bolig.fellesgjeld": "0",
        "bolig.boutgifter_per_måned": "4500", "bolig.i_kommunen": "ja", "bolig.kommunal_utleiebolig": "nei",
        "egenkapital": "50 000", "banklån.beløp": "0", "banklån.terminbeløp_per_måned": "0",
        "ønsket_nedbetalingstid_år": "30", "skjønn.avslag_fra_banker": "2",
        "tilknytning.folkeregistrert_i_kommunen": "ja", "tilknytning.botid_måneder": "48",
        "tilknytning.leietaker_i_kommunal_bolig": "nei", "tilknytning.mottar_sosialhjelp": "nei",
        "tilknytning.eier_bolig_eller_fritidsbolig": "nei",
    }
    fields.update(changes)
    return [(k, v) for k, v in fields.items() if v is not None]


def expected_soknad(pairs) -> dict:
    """The søknad those answers mean, written out by hand: what `Policy.evaluate` is given."""
    f = dict(pairs)
    num = lambda k: Decimal(f[k].replace(" ", ""))  # noqa: E731
    rows = lambda prefix, keys: [  # noqa: E731
        {key: conv(f[f"{prefix}[{i}].{key}"]) for key, conv in keys.items()}
        for i in range(10) if f"{prefix}[{i}].{next(iter(keys))}" in f]
    yes = lambda k: f[k] == "ja"  # noqa: E731
    return {
        "søknadsdato": TODAY.isoformat(), "formål": f["formål"],
        "husstand": {"voksne": rows("husstand.voksne", {"alder": int}), "barn": rows("husstand.barn", {"alder": int}),
                     "særlige_behov": yes("husstand.særlige_behov")},
        "inntekter": rows("inntekter", {"type": str, "netto_per_måned": lambda v: Decimal(v.replace(" ", ""))}),
        "faste_utgifter": rows("faste_utgifter", {"type": str, "per_måned": lambda v: Decimal(v.replace(" ", ""))}),
        "livsopphold_per_måned": None,
        "bolig": {"kjøpesum": num("bolig.kjøpesum"), "eierform": f["bolig.eierform"], "fellesgjeld": num("bolig.fellesgjeld"),
                  "boutgifter_per_måned": num("bolig.boutgifter_per_måned"), "i_kommunen": yes("bolig.i_kommunen"),
                  "kommunal_utleiebolig": yes("bolig.kommunal_utleiebolig")},
        "egenkapital": num("egenkapital"),
        "banklån": {"beløp": num("banklån.beløp"), "terminbeløp_per_måned": num("banklån.terminbeløp_per_måned")},
        "ønsket_nedbetalingstid_år": int(f["ønsket_nedbetalingstid_år"]),
        "skjønn": {"avslag_fra_banker": int(f["skjønn.avslag_fra_banker"]), "langvarige_finansieringsproblemer": True,
                   "spareevne_utnyttet": True, "stabil_bosituasjon_haster": False, "fare_for_tvangssalg": False,
                   "hindrer_arbeid": False, "frigjør_kommunal_bolig": False, "varig_lav_inntekt": False,
                   "boligen_egnet_og_nøktern": True},
        "tilknytning": {"folkeregistrert_i_kommunen": yes("tilknytning.folkeregistrert_i_kommunen"),
                        "botid_måneder": int(f["tilknytning.botid_måneder"]),
                        "leietaker_i_kommunal_bolig": yes("tilknytning.leietaker_i_kommunal_bolig"),
                        "mottar_sosialhjelp": yes("tilknytning.mottar_sosialhjelp"),
                        "eier_bolig_eller_fritidsbolig": yes("tilknytning.eier_bolig_eller_fritidsbolig")},
    }


SINGLE_PARENT = {"husstand.voksne[1].alder": None, "husstand.barn[0].alder": "6", "husstand.barn[1].alder": "9",
                 "inntekter[0].netto_per_måned": "28 000", "inntekter[1].type": None,
                 "inntekter[1].netto_per_måned": None, "bolig.kjøpesum": "2 000 000",
                 "bolig.boutgifter_per_måned": "3500", "egenkapital": "0"}
CASES = {  # Drammen: a grant, a refusal (a single parent who can service no loan) and a manual assessment
    "innvilget": tenant(),
    "avslag": tenant(**{**SINGLE_PARENT, "inntekter[0].netto_per_måned": "12 000"}),
    "manuell_vurdering": tenant(**{"skjønn.avslag_fra_banker": "1"}),
}
# The single parent of the issue: the tilskudd she needs is over Drammen's 20 % (a main rule), so manuell_vurdering
OVER_THE_GRANT_LIMIT = tenant(**SINGLE_PARENT)


@pytest.fixture(scope="module")
def policies():
    return {k: load_policy(k) for k in KOMMUNER}


@pytest.mark.parametrize("utfall", list(CASES))
def test_answer_is_the_policys_own_decision(policies, utfall):
    policy = policies["drammen"]
    answer = E.answer(policy, CASES[utfall], TODAY)
    expected = policy.evaluate(expected_soknad(CASES[utfall]))
    assert answer.problems == {}
    assert answer.decision.utfall == expected.utfall == utfall
    assert answer.decision.to_dict() == expected.to_dict()
    text = html.unescape(answer.html)
    assert E.OUTCOME_HEADLINES[utfall] in text
    assert format_kr(expected.beløp["maks_lån"]) in text
    for c in expected.vilkår:
        if c.art != "informasjon":
            assert c.forklaring in text
    assert ("Dette kunne gitt et annet svar" in text) == (utfall != "innvilget")
    assert "ikke et vedtak" in text
    deciding = {"avslag": ("absolutt", "ikke_oppfylt"), "manuell_vurdering": ("hovedregel", "ikke_oppfylt")}.get(utfall)
    meaning = text.split("</h3>", 1)[1].split("</p>", 1)[0]  # what the outcome means, right under the headline
    assert E.ASSUMED_NOTE in text  # «er vurdert» in a criterion's text is the calculator's assumption, and says so
    if deciding is None:
        assert "alle vilkårene oppfylt" in meaning
    else:
        named = [c.tittel for c in expected.vilkår if (c.art, c.resultat) == deciding]
        assert named and all(f"«{t}»" in meaning for t in named)
        assert ("søke likevel" in meaning) == (utfall == "manuell_vurdering")


def test_an_unassessed_fact_answers_in_plain_words_what_the_kommune_must_assess(policies):
    """«Vet ikke» on an assessment: the outcome is ikke_avgjort, and the answer says, in words, which
    criterion waits for the case worker, and that the family may apply."""
    policy = policies["drammen"]
    answer = E.answer(policy, tenant(**{"skjønn.boligen_egnet_og_nøktern": E.UNKNOWN}), TODAY)
    assert answer.decision.utfall == "ikke_avgjort"
    waiting = [c.tittel for c in answer.decision.vilkår if c.resultat == "ikke_vurdert"]
    text = html.unescape(answer.html)
    assert E.OUTCOME_HEADLINES["ikke_avgjort"] in text and waiting
    meaning = text.split("</h3>", 1)[1].split("</p>", 1)[0]
    assert "saksbehandleren i kommunen må vurdere først" in meaning and "Dere kan søke" in meaning
    assert all(f"«{t}»" in meaning for t in waiting)
    assert "ikke_avgjort" not in text.replace('class="kalk-svar kalk-ikke_avgjort"', "")  # the outcome in words only


@pytest.mark.parametrize("kommune", KOMMUNER)
def test_every_kommune_answers_the_same_tenant_by_its_own_rules(policies, kommune):
    policy = policies[kommune]
    answer = E.answer(policy, CASES["innvilget"], TODAY)
    assert answer.decision.to_dict() == policy.evaluate(expected_soknad(CASES["innvilget"])).to_dict()


def test_highest_price_is_the_turning_point(policies):
    policy = policies["drammen"]
    for pairs in (CASES["innvilget"], OVER_THE_GRANT_LIMIT):
        answer = E.answer(policy, pairs, TODAY)
        price = answer.highest_price
        assert price is not None and price % 1000 == 0
        at = lambda p: policy.evaluate(expected_soknad(pairs) | {"bolig": {**expected_soknad(pairs)["bolig"], "kjøpesum": p}})  # noqa: E731
        assert at(price).utfall == "innvilget"
        assert at(price + 1000).utfall != "innvilget"
        assert format_kr(price) in html.unescape(answer.html)


def test_numbers_as_people_write_them():
    assert E.parse_number("28 000") == Decimal(28000)
    assert E.parse_number("28\u00a0000 kr") == Decimal(28000)
    assert E.parse_number("1 234,50") == Decimal("1234.50")
    assert E.parse_number("tjue") is None and E.parse_number("") is None and E.parse_number("1,2,3") is None


def test_problems_are_reported_per_field_in_plain_norwegian(policies):
    policy = policies["drammen"]
    answer = E.answer(policy, tenant(**{"inntekter[0].netto_per_måned": "mye", "bolig.boutgifter_per_måned": ""}), TODAY)
    assert answer.decision is None
    assert answer.problems["inntekter[0].netto_per_måned"] == "Skriv et tall, for eksempel 28 000."
    answer = E.answer(policy, tenant(**{"bolig.boutgifter_per_måned": "", "husstand.voksne[0].alder": "12"}), TODAY)
    assert set(answer.problems) == {"bolig.boutgifter_per_måned", "husstand.voksne[0].alder"}
    reply = answer.to_json()
    assert 'kalk-bolig-boutgifter_per_måned' in reply and 'role=\\"alert\\"' in reply


def test_an_assessment_left_to_the_case_worker_is_left_out_and_stated(policies):
    policy = policies["drammen"]
    soknad, _, assumptions = E.soknad_from_form(policy.model.schema, tenant(), TODAY)
    assert soknad["skjønn"]["langvarige_finansieringsproblemer"] is True
    assert E.QUESTIONS["skjønn.langvarige_finansieringsproblemer"].assumption in assumptions
    soknad, _, assumptions = E.soknad_from_form(
        policy.model.schema, tenant(**{"skjønn.spareevne_utnyttet": E.UNKNOWN}), TODAY)
    assert "spareevne_utnyttet" not in soknad["skjønn"]
    assert E.QUESTIONS["skjønn.spareevne_utnyttet"].assumption not in assumptions


class _Controls(HTMLParser):
    """The named controls of a form, their labels and the ids they are described by."""

    def __init__(self):
        super().__init__()
        self.names, self.ids, self.labels_for, self.described = set(), set(), set(), []
        self.in_template = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "template":
            self.in_template += 1
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "label" and "for" in a:
            self.labels_for.add(a["for"])
        if tag in ("input", "select") and not self.in_template:
            self.names.add(re.sub(r"\[\d+\]", "[]", a["name"]))
            if a.get("type") != "radio":
                assert a["id"] in self.labels_for, f"{a['name']} has no label"
        if "aria-describedby" in a and not self.in_template:
            self.described += a["aria-describedby"].split()

    def handle_endtag(self, tag):
        if tag == "template":
            self.in_template -= 1


def _leaves(record: T.Record, prefix: str = ""):
    for name, spec in record.fields.items():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(spec.type, T.Record):
            yield from _leaves(spec.type, path)
        elif isinstance(spec.type, T.ListOf):
            yield from _leaves(spec.type.element, path + "[]") if isinstance(spec.type.element, T.Record) else [path + "[]"]
        else:
            yield path


@pytest.mark.parametrize("kommune", ["drammen", "kongsvinger"])
def test_form_asks_every_field_of_the_schema_an_applicant_knows(policies, kommune):
    policy = policies[kommune]
    controls = _Controls()
    controls.feed(form_html(policy))
    keys = lambda path: re.sub(r"\[\]", "", path)  # noqa: E731
    asked = {p for p in _leaves(policy.model.schema) if E.question(tuple(keys(p).split("."))).role != E.FIXED}
    if len(policy.model.schemes) < 2:
        asked.discard("ordning")
    rows_shown = {"husstand.voksne[].alder", "inntekter[].type", "inntekter[].netto_per_måned"}
    templated = {p for p in asked if "[]" in p} - rows_shown  # asked when a line is added
    assert asked - templated == controls.names
    assert set(controls.described) <= controls.ids
    assert ("ordning" in controls.names) == (kommune == "kongsvinger")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from([k for k, _ in tenant()]),
                       st.one_of(st.text(max_size=8), st.sampled_from(["0", "-1", "ja", "nei", "1e9", "99999999999"])),
                       max_size=6))
def test_any_form_gets_an_answer_or_field_problems(policies, changes):
    answer = E.answer(policies["kongsvinger"], tenant(**changes), TODAY)
    assert (answer.decision is None) == bool(answer.problems)
    assert answer.html.startswith("<div")
