"""The calculator's answer: a filled-in form → a søknad → the policy's own decision, in plain words.

This module runs in the visitor's browser (the library in Pyodide) and, unchanged, in CPython,
where the tests compare it with `Policy.evaluate`. The form is generated from the policy's
søknad schema (`site.calculator`); `QUESTIONS` says, for each field, how a tenant is asked, or
which assumption is made for a fact only the case worker can assess. Nothing is sent anywhere.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Sequence

import attrs

from boligregler.evaluation.soknad import SoknadError, format_path
from boligregler.explain.counterfactual import what_would_change
from boligregler.explain.frame import målform
from boligregler.model import types as T
from boligregler.money import format_kr, format_percent
from boligregler.site.words import say

ASK, ASSESS, FIXED = "ask", "assess", "fixed"


@attrs.frozen
class Question:
    """How one søknad field appears in the calculator.

    `role` is ASK (the applicant answers), ASSESS (the case worker assesses it; the calculator
    assumes `assume` and says so in `assumption`, and the visitor may change it) or FIXED (not
    asked: `assume` is used and `assumption` says so). `show_when` = (field, values): ask only then.
    """

    label: str
    role: str = ASK
    help: str = ""
    assume: Any = None
    assumption: str = ""
    show_when: tuple[str, tuple[str, ...]] | None = None
    add: str = ""  # the button that adds a line to a list


Q = Question
QUESTIONS: dict[str, Question] = {
    "søknadsdato": Q("Dato", FIXED, assumption="Reglene slik de gjelder i dag er brukt."),
    "formål": Q("Hva skal lånet brukes til?"),
    "husstand.voksne": Q("Voksne i husstanden", help="Alle voksne som skal bo i boligen, søker sammen.",
                         add="Legg til en voksen"),
    "husstand.voksne.alder": Q("Alder"),
    "husstand.barn": Q("Barn under 18 år", add="Legg til et barn"),
    "husstand.barn.alder": Q("Alder"),
    "husstand.særlige_behov": Q("Har noen i husstanden særlige sosiale eller helsemessige utfordringer?",
                                help="For eksempel sykdom eller funksjonsnedsettelse som gjør at dere trenger en bestemt bolig."),
    "inntekter": Q("Inntekter per måned, etter skatt", add="Legg til en inntekt",
                   help="Hver inntekt for seg: lønn, trygd, stønader, barnetrygd og annet."),
    "inntekter.type": Q("Type inntekt"),
    "inntekter.netto_per_måned": Q("Beløp per måned etter skatt (kr)"),
    "faste_utgifter": Q("Faste utgifter per måned", add="Legg til en utgift",
                        help="Andre lån dere betaler på, barnehage, SFO og barnebidrag dere betaler."),
    "faste_utgifter.type": Q("Type utgift"),
    "faste_utgifter.per_måned": Q("Beløp per måned (kr)"),
    "livsopphold_per_måned": Q("Utgifter til livsopphold", FIXED,
                               assumption="Utgiftene til livsopphold er regnet etter statens satser for husstanden. "
                                          "Kommunen kan regne med mer hvis dere faktisk bruker mer."),
    "bolig.kjøpesum": Q("Prisen på boligen (kr)", help="For borettslag: prisen for andelen, uten fellesgjelden.",
                        show_when=("formål", ("kjøp", "oppføring"))),
    "bolig.kostnad": Q("Kostnaden (kr)", help="Hva arbeidet koster, eller gjelden som skal refinansieres.",
                       show_when=("formål", ("utbedring", "refinansiering"))),
    "bolig.eierform": Q("Eierform", show_when=("formål", ("kjøp",))),
    "bolig.fellesgjeld": Q("Fellesgjeld (kr)", help="Bare for borettslag og aksjeleiligheter."),
    "bolig.boutgifter_per_måned": Q("Boutgifter per måned (kr)",
                                    help="Felleskostnader, strøm, forsikring, kommunale avgifter og vedlikehold."),
    "bolig.i_kommunen": Q("Ligger boligen i kommunen?"),
    "bolig.kommunal_utleiebolig": Q("Er boligen den kommunale utleieboligen dere leier nå?"),
    "egenkapital": Q("Egne sparepenger til boligkjøpet (kr)"),
    "banklån.beløp": Q("Lån banken vil gi dere (kr)",
                       help="Hvis banken gir et lån og startlånet skal dekke resten. Ellers 0."),
    "banklån.terminbeløp_per_måned": Q("Månedlig betaling på banklånet (kr)"),
    "ønsket_nedbetalingstid_år": Q("Hvor mange år vil dere betale ned lånet over?"),
    "ordning": Q("Hvilken ordning vil dere søke?"),
    "skjønn.avslag_fra_banker": Q("Hvor mange banker har sagt nei til å gi dere boliglån?"),
    "tilknytning.folkeregistrert_i_kommunen": Q("Er dere folkeregistrert i kommunen?"),
    "tilknytning.botid_måneder": Q("Hvor mange måneder har dere bodd i kommunen?"),
    "tilknytning.leietaker_i_kommunal_bolig": Q("Leier dere en kommunal bolig nå?"),
    "tilknytning.mottar_sosialhjelp": Q("Får dere økonomisk sosialhjelp nå?"),
    "tilknytning.eier_bolig_eller_fritidsbolig": Q("Eier dere bolig eller fritidsbolig fra før?"),
}

# The case worker's assessments: (field of `skjønn`, the question, the answer assumed, the assumption in words).
ASSESSMENTS = (
    ("langvarige_finansieringsproblemer", "Har dere over lang tid ikke klart å skaffe egnet bolig med lån fra bank?", True,
     "Vi antar at dere over lang tid ikke har klart å finansiere en bolig selv. Kommunen vurderer dette."),
    ("spareevne_utnyttet", "Har dere spart det dere kan?", True,
     "Vi antar at dere har spart det dere kan. Kommunen vurderer dette."),
    ("stabil_bosituasjon_haster", "Haster det å få en stabil bosituasjon, for eksempel for barna?", False,
     "Vi antar at det ikke er særlig hastverk. Kommunen vurderer dette."),
    ("fare_for_tvangssalg", "Står dere i fare for å miste boligen dere eier (tvangssalg)?", False,
     "Vi antar at dere ikke står i fare for tvangssalg."),
    ("hindrer_arbeid", "Hindrer boligsituasjonen noen i husstanden i å ta arbeid?", False,
     "Vi antar at boligsituasjonen ikke hindrer noen i å ta arbeid."),
    ("frigjør_kommunal_bolig", "Flytter dere ut av en kommunal utleiebolig, eller kjøper den dere leier?", False,
     "Vi antar at lånet ikke frigjør en kommunal utleiebolig, med mindre dere har svart at dere kjøper den dere leier."),
    ("varig_lav_inntekt", "Vil inntekten være lav også i årene fremover (for eksempel uføretrygd)?", False,
     "Vi antar at inntekten ikke er varig lav."),
    ("boligen_egnet_og_nøktern", "Passer boligen for husstanden, uten å være dyrere enn nødvendig?", True,
     "Vi antar at kommunen vurderer boligen som egnet og nøktern for husstanden."),
)
QUESTIONS.update({f"skjønn.{field}": Q(question, ASSESS, assume=assumed, assumption=assumption)
                  for field, question, assumed, assumption in ASSESSMENTS})

GROUPS = {"husstand": "Husstanden", "bolig": "Boligen", "banklån": "Lån i bank", "skjønn": "Banker og behov",
          "tilknytning": "Tilknytning til kommunen"}
CHOICE_WORDS = {
    "kjøp": "Kjøpe bolig", "utbedring": "Utbedre boligen", "oppføring": "Bygge bolig",
    "refinansiering": "Refinansiere boliglån", "selveier": "Selveier", "borettslag": "Borettslag (andel)",
    "aksjeleilighet": "Aksjeleilighet", "lønn": "Lønn", "næring": "Næringsinntekt", "sfo": "SFO",
    "annen": "Annet", "forbrukslån": "Forbrukslån eller kredittkort", "billån": "Billån",
}
YES, NO, UNKNOWN = "ja", "nei", "vet_ikke"
LIMIT = Decimal(1_000_000_000)  # no price search goes higher
NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def question(path: Sequence[str]) -> Question:
    """The question for a field path (list indexes left out); a field not in `QUESTIONS` is asked by its name."""
    key = ".".join(path)
    found = QUESTIONS.get(key)
    if found is not None:
        return found
    return Question(path[-1].replace("_", " ").capitalize())


def choice_word(value: str) -> str:
    return CHOICE_WORDS.get(value, value.replace("_", " ").capitalize())


def parse_number(text: str) -> Decimal | None:
    """A number as a person types it: «28 000», «28000», «1 234,50», «30 000 kr»; None if it is not one."""
    cleaned = re.sub(r"[\s\u00a0\u202f]|kr\.?$", "", text.strip().lower())
    if not NUMBER.match(cleaned):
        return None
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        return None


def soknad_from_form(schema: T.Record, pairs: Iterable[tuple[str, str]], today: dt.date,
                     form: str = "bokmål") -> tuple[dict, dict[str, str], list[str]]:
    """The søknad a form's fields give: (søknad, problems by field name, assumptions made).

    Field names are JSON paths (`husstand.voksne[0].alder`); a blank field is left out so the
    schema's default applies, or the schema reports it missing.
    """
    values = dict(pairs)
    problems: dict[str, str] = {}
    assumptions: list[str] = []

    def fill(record: T.Record, prefix: tuple, key_path: tuple[str, ...]) -> dict:
        out: dict[str, Any] = {}
        for name, spec in record.fields.items():
            path, keys = prefix + (name,), key_path + (name,)
            q = question(keys)
            field = format_path(path)
            if q.role == FIXED:
                out[name] = today.isoformat() if isinstance(spec.type, T.Date) else q.assume
                if q.assumption:
                    assumptions.append(say(q.assumption, form))
                continue
            if isinstance(spec.type, T.Record):
                out[name] = fill(spec.type, path, keys)
            elif isinstance(spec.type, T.ListOf):
                rows = sorted({int(m.group(1)) for k in values
                               if (m := re.match(re.escape(field) + r"\[(\d+)\]", k))})
                element = spec.type.element
                out[name] = [fill(element, path + (i,), keys) if isinstance(element, T.Record)
                             else value_of(element, values.get(format_path(path + (i,)), ""), format_path(path + (i,)))
                             for i in rows]
            else:
                raw = values.get(field)
                if raw is None and q.role == ASSESS:
                    raw = YES if q.assume else NO
                if raw is None or raw.strip() == "":
                    continue
                if q.role == ASSESS and raw == UNKNOWN:
                    continue  # left for the case worker: the schema says what an unassessed fact is
                if q.role == ASSESS and (raw == YES) == bool(q.assume) and q.assumption:
                    assumptions.append(say(q.assumption, form))
                value = value_of(spec.type, raw, field)
                if value is not None:
                    out[name] = value
        return out

    def value_of(t: T.Type, raw: str, field: str) -> Any:
        if isinstance(t, T.Bool):
            return raw in (YES, "on", "true")
        if isinstance(t, T.Num):
            number = parse_number(raw)
            if number is None:
                problems[field] = say("Skriv et tall, for eksempel 28 000.", form)
                return None
            if t.integer:
                if number != number.to_integral_value():
                    problems[field] = say("Skriv et helt tall.", form)
                    return None
                return int(number)
            return number
        return raw

    soknad = fill(schema, (), ())
    return soknad, problems, assumptions


OUTCOME_HEADLINES = {
    "innvilget": "Etter kommunens regler ser det ut til at dere kan få startlån",
    "avslag": "Etter kommunens regler ser det ut til at dere ikke kan få startlån",
    "manuell_vurdering": "Kommunen må vurdere søknaden nærmere",
    "ikke_avgjort": "Kommunen må vurdere noe før søknaden kan avgjøres",
}
# What the outcome means for the applicant, in plain words; {vilkår}: the criteria that decide it.
OUTCOME_MEANING = {
    "innvilget": "Med opplysningene dere har gitt, og antakelsene under, er alle vilkårene oppfylt.",
    "avslag": "Dette må alltid være oppfylt, men er det ikke: {vilkår}. Da kan kommunen ikke gi startlån etter "
              "disse reglene, med mindre opplysningene er andre enn dem dere har gitt.",
    "manuell_vurdering": "Dette krever kommunen som hovedregel, men det er ikke oppfylt: {vilkår}. Da avgjør ikke "
                         "reglene saken alene. En saksbehandler vurderer om det skal gjøres unntak, så dere kan "
                         "søke likevel.",
    "ikke_avgjort": "Svaret avhenger av noe saksbehandleren i kommunen må vurdere først: {vilkår}. Beløpene under "
                    "er regnet ut etter de andre opplysningene. Dere kan søke; da vurderer kommunen det.",
}
ASSUMED_NOTE = ("Der teksten sier at noe er vurdert, er det kalkulatorens antakelse (se «Det vi har antatt» under), "
                "ikke saksbehandlerens vurdering.")
DECIDING = {"avslag": ("absolutt", "ikke_oppfylt"), "manuell_vurdering": ("hovedregel", "ikke_oppfylt"),
            "ikke_avgjort": (None, "ikke_vurdert")}  # (art, resultat) of the criteria that decide the outcome
RESULT_MARKS = {"oppfylt": "Oppfylt", "unntak": "Oppfylt etter unntak", "ikke_oppfylt": "Ikke oppfylt",
                "ikke_relevant": "Gjelder ikke", "ikke_vurdert": "Kommunen vurderer"}


@attrs.frozen
class Answer:
    """What the calculator shows: the decision (None if the form has problems) and its HTML."""

    decision: Any
    highest_price: Decimal | None
    problems: dict[str, str]
    html: str

    def to_json(self) -> str:
        """What the page shows: the HTML, the outcome, and [field id, message] for each problem."""
        problems = [[_field_id(name), message] for name, message in self.problems.items()]
        return json.dumps({"html": self.html, "problems": problems, "utfall": getattr(self.decision, "utfall", None)},
                          ensure_ascii=False)


_loaded: dict[str, Any] = {}


def _policy(policy_id: str) -> Any:
    """A policy of the site's bundle. The site build refused any policy with errors or legality findings
    (`load_site_policies`), and the bundle holds exactly those files, so the legality lint (most of the
    loading time, and slow in Pyodide) is not run again in the browser; other errors still raise."""
    if policy_id not in _loaded:
        from boligregler.api import Policy
        from boligregler.diagnostics import PolicyError, Severity
        from boligregler.model.checker import check
        from boligregler.model.loader import load_chain

        model = check(load_chain(policy_id))
        errors = tuple(d for d in model.diagnostics if d.severity is Severity.ERROR)
        if errors:
            raise PolicyError(errors, model.sources)
        _loaded[policy_id] = Policy(model, "compiled", ())
    return _loaded[policy_id]


def warm(policy_id: str) -> None:
    """Load the policy and run its first example once, so the first answer comes at once (nothing to
    do once loaded: a restored memory snapshot has every policy of the site warm)."""
    if policy_id in _loaded:
        return
    policy = _policy(policy_id)
    if policy.model.examples:
        policy.evaluate(policy.model.examples[0].input)


def browser_answer(policy_id: str, pairs_json: str, today_iso: str) -> str:
    """The entry point the web worker calls: form fields as JSON pairs → `Answer.to_json()`."""
    pairs = [(str(k), str(v)) for k, v in json.loads(pairs_json)]
    return answer(_policy(policy_id), pairs, dt.date.fromisoformat(today_iso)).to_json()


def answer(policy: Any, pairs: Iterable[tuple[str, str]], today: dt.date) -> Answer:
    """The calculator's answer to a filled-in form, by `policy`'s own rules."""
    form = målform(policy.model)
    soknad, problems, assumptions = soknad_from_form(policy.model.schema, pairs, today, form)
    if not problems:
        try:
            facts = policy.validate(soknad)
        except SoknadError as e:
            problems = {p.path: _plain_problem(p.message) for p in e.problems}
    if problems:
        items = "".join(f'<li><a href="#{_field_id(name)}">{html.escape(say(_label_of(policy, name), form))}: '
                        f'{html.escape(message)}</a></li>' for name, message in problems.items())
        text = (f'<div class="kalk-feil" role="alert"><h3 tabindex="-1">{say("Noe i skjemaet må rettes", form)}</h3>'
                f'<ul>{items}</ul></div>')
        return Answer(None, None, problems, text)
    decision = policy.evaluate_facts(facts)
    highest = highest_price(policy, facts)
    return Answer(decision, highest, {}, render(policy, decision, highest, assumptions, form))


def highest_price(policy: Any, facts: dict) -> Decimal | None:
    """The highest kjøpesum, in whole thousands, at which the søknad is innvilget, all else equal
    (None if no price is): doubling and bisection, every point evaluated by the policy itself.
    Like the counterfactual search, it assumes a lower price never hurts between the points probed."""
    bolig = facts.get("bolig")
    if not isinstance(bolig, dict) or bolig.get("kjøpesum") is None:
        return None
    target = policy.model.outcome_default

    def works(price: Decimal) -> bool:
        changed = {**facts, "bolig": {**bolig, "kjøpesum": price}}
        return policy.evaluate_facts(changed, explain=False).utfall == target

    step = Decimal(1000)
    current = max((bolig["kjøpesum"] // step) * step, step)
    if works(current):
        low, high = current, current * 2
        while works(high):
            low, high = high, high * 2
            if high > LIMIT:
                return low
    elif works(step):
        low, high = step, current
    else:
        return None
    while high - low > step:
        middle = ((low + high) / 2 // step) * step
        low, high = (middle, high) if works(middle) else (low, middle)
    return low


def render(policy: Any, decision: Any, highest: Decimal | None, assumptions: list[str], form: str = "bokmål") -> str:
    """The answer as HTML in `form`; every text from the policy or the decision is escaped."""
    e = html.escape
    b = decision.beløp
    rows = []

    def row(label: str, value: str) -> None:
        rows.append(f'<tr><th scope="row">{e(say(label, form))}</th><td>{e(value)}</td></tr>')

    refused = decision.utfall == "avslag"
    if "lånebehov" in b:
        row("Det dere trenger å låne, med omkostninger (lånebehov)", format_kr(b["lånebehov"]))
    if "startlån" in b:
        row("Startlån dere kan få", "0 kr" if refused else format_kr(b["startlån"]))
    if "maks_lån" in b:
        row("Største lån dere kan betjene (maks lån)", format_kr(b["maks_lån"]))
    if highest is not None:
        row("Høyeste boligpris som gir innvilget startlån", format_kr(highest))
    if "tilskudd" in b and b["tilskudd"] > 0 and not refused:
        row("Tilskudd til etablering", format_kr(b["tilskudd"]))
    if "terminbeløp_per_måned" in b:
        terms = [format_percent(decision.rente) + " " + say("rente", form)] if decision.rente is not None else []
        terms += [f"{decision.nedbetalingstid_år} {say('år', form)}"] if decision.nedbetalingstid_år is not None else []
        label = "Månedlig betaling om dere fikk hele lånebehovet" if refused else "Å betale på startlånet per måned"
        row(label, format_kr(b["terminbeløp_per_måned"]) + (f" ({', '.join(terms)})" if terms else ""))
    if "margin_per_måned" in b:
        row("Til overs hver måned etter lån og livsopphold", format_kr(b["margin_per_måned"]))
    criteria = "".join(
        f'<li class="kalk-{e(c.resultat)}"><strong>{e(say(RESULT_MARKS.get(c.resultat, c.resultat), form))}:</strong> '
        f'{e(c.tittel)}. {e(c.forklaring)}</li>'
        for c in decision.vilkår if c.art != "informasjon")
    caption = say("Beløp etter reglene i {navn}", form).format(navn=policy.navn)
    parts = [f'<h3 tabindex="-1">{e(say(OUTCOME_HEADLINES.get(decision.utfall, decision.utfall), form))}</h3>',
             f'<p class="kalk-betyr">{e(meaning(decision, form))}</p>',
             f'<p>{say("Dette er et anslag etter kommunens egne regler, ikke et vedtak. Kommunen avgjør søknaden.", form)}</p>',
             f'<table class="kalk-tall"><caption>{e(caption)}</caption><tbody>{"".join(rows)}</tbody></table>',
             f'<h4>{say("Vilkårene", form)}</h4>'
             + (f'<p>{say(ASSUMED_NOTE, form)}</p>' if assumptions else "")
             + f'<ul class="kalk-vilkår">{criteria}</ul>']
    parts.append(_changes_html(decision, form))
    if assumptions:
        parts.append(f'<h4>{say("Det vi har antatt", form)}</h4><ul>' + "".join(f"<li>{e(a)}</li>" for a in dict.fromkeys(assumptions)) + "</ul>")
    return f'<div class="kalk-svar kalk-{e(decision.utfall)}">' + "".join(parts) + "</div>"


def meaning(decision: Any, form: str = "bokmål") -> str:
    """What the outcome means for the applicant, naming the criteria that decide it (`OUTCOME_MEANING`)."""
    text = say(OUTCOME_MEANING.get(decision.utfall, ""), form)
    if decision.utfall not in DECIDING:
        return text
    art, result = DECIDING[decision.utfall]
    deciding = [f"«{c.tittel.rstrip('.')}»" for c in decision.vilkår
                if c.resultat == result and c.art != "informasjon" and (art is None or c.art == art)]
    if not deciding:  # decided by the outcome rule itself, not by one criterion
        return say("Kommunen vurderer søknaden nærmere.", form)
    joined = deciding[0] if len(deciding) == 1 else ", ".join(deciding[:-1]) + f" {say('og', form)} {deciding[-1]}"
    return text.format(vilkår=joined)


def _changes_html(decision: Any, form: str = "bokmål") -> str:
    if decision.utfall == "innvilget":
        return ""
    what = what_would_change(decision)
    e = html.escape
    if what.changes:
        items = "".join(f"<li>{e(c.text)}</li>" for c in what.changes)
        return (f"<h4>{say('Dette kunne gitt et annet svar', form)}</h4>"
                f"<p>{say('Hver endring for seg, når alt annet er likt:', form)}</p><ul>{items}</ul>")
    if what.per_criterion:
        items = "".join(f"<li>{e(r.tittel)}: " + ("; ".join(e(c.text) for c in changes) if changes
                        else say("ingen endring i opplysningene alene oppfyller dette vilkåret", form)) + "</li>"
                        for r, changes in what.per_criterion)
        return (f"<h4>{say('Dette kunne gitt et annet svar', form)}</h4>"
                f"<p>{say('Ingen enkelt endring er nok alene. Det hvert vilkår ville trenge:', form)}</p><ul>{items}</ul>")
    return ""


def _plain_problem(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _field_id(name: str) -> str:
    return "kalk-" + re.sub(r"[^\w-]", "-", name)


def _label_of(policy: Any, name: str) -> str:
    keys = tuple(k for k in re.split(r"[.\[\]]+", name) if k and not k.isdigit())
    return question(keys).label if keys else "Skjemaet"
