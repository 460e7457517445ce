"""The documents a decision gives, as a structure: the vedtaksbrev, the saksframlegg and the forespørsel.

- *vedtaksbrev* (innvilget, avslag): to the applicant, in du-form, with the reasons
  forvaltningsloven §§ 24, 25 and 27 ask for: the reason first, the facts with every figure a
  reader can redo, each rule with its legal basis, barnets beste, what would change the outcome,
  the terms of a grant, klage and utsatt iverksetting;
- *saksframlegg* (manuell_vurdering): to the case worker: which guidelines are not met, what the
  rules allow, and the same facts;
- *forespørsel om opplysninger* (ikke_avgjort): to the applicant: what we need before we can decide.

The sentences come from the policy: its `begrunnelse { … }` texts, the criteria's explanations
and legal bases, the exceptions' texts and the `endring` wording. The fixed words here are the
headings and the few words that join a criterion's own texts (in `WORDS`, per målform).
`rendering.letter` writes the structure as text, Markdown, HTML or JSON.
"""

from __future__ import annotations

import datetime as dt
import re
import weakref
from decimal import Decimal, localcontext
from typing import Any

import attrs

from boligregler.evaluation import runtime
from boligregler.evaluation.decision import WORDS as EVALUATION_WORDS, CriterionResult, criterion_result
from boligregler.diagnostics import parse_path
from boligregler.evaluation.runtime import EvaluationError, NotAssessed
from boligregler.evaluation.soknad import description
from boligregler.explain import facts as P
from boligregler.explain.basis import Basis
from boligregler.explain.counterfactual import WhatIf, dependencies, seed, what_would_change
from boligregler.explain.evaluate import Texts
from boligregler.explain.frame import Frame, build_frame, målform
from boligregler.model import types as T
from boligregler.model.checker import LETTER_LINES
from boligregler.syntax import ast
from boligregler.money import CONTEXT, format_kr
from boligregler.norsk import antall_tekst, per_form, tredje_person

DOCUMENTS = {"innvilget": "vedtaksbrev", "avslag": "vedtaksbrev", "manuell_vurdering": "saksframlegg",
             "ikke_avgjort": "forespørsel"}

# The fixed words of the documents, per key: one text for both målformer, or (bokmål, nynorsk).
_WORDS: dict[str, Any] = {
    "refused_one": ("Søknaden om startlån er avslått fordi vilkåret «{title}» ikke er oppfylt.",
                    "Søknaden om startlån er avslått fordi vilkåret «{title}» ikkje er oppfylt."),
    "refused_many": ("Søknaden om startlån er avslått fordi {rules} ikke er oppfylt:",
                     "Søknaden om startlån er avslått fordi {rules} ikkje er oppfylte:"),
    # the deciding rules counted, with where they stand when they all stand in one place (else each point's
    # hjemmel says): a rule of the forskrift is a vilkår, never a retningslinje
    "rules": {"criteria": {"forskrift": ("{count} i forskrift om lån fra Husbanken", "{count} i forskrift om lån frå Husbanken"),
                           "kommune": ("{count} i kommunens retningslinjer", "{count} i retningslinjene til kommunen"),
                           None: "{count}"},
              "guidelines": {"forskrift": ("{count} i forskrift om lån fra Husbanken",
                                           "{count} i forskrift om lån frå Husbanken"),
                             "kommune": ("{number} av kommunens retningslinjer", "{number} av retningslinene til kommunen"),
                             None: "{count}"}},
    "manual_one": ("Søknaden kan ikke avgjøres automatisk fordi {rule} «{title}» ikke er oppfylt.",
                   "Søknaden kan ikkje avgjerast automatisk fordi {rule} «{title}» ikkje er oppfylt."),
    "manual_rule": {"forskrift": ("vilkåret", "vilkåret"), "kommune": ("retningslinjen", "retningslina"),
                    None: ("retningslinjen", "retningslina")},
    "manual_many": ("Søknaden kan ikke avgjøres automatisk fordi {rules} ikke er oppfylt:",
                    "Søknaden kan ikkje avgjerast automatisk fordi {rules} ikkje er oppfylte:"),
    "criteria": (("ett vilkår", "vilkår"), ("eitt vilkår", "vilkår")),
    "guidelines": (("én retningslinje", "retningslinjer"), ("éi retningsline", "retningsliner")),
    "rule": "Regelen står i {basis}.",
    "basis": ("Hjemmel: {basis}", "Heimel: {basis}"),
    "exception_applies": ("Unntak {letter} ({title}{basis}) gjelder. {why}",
                          "Unntak {letter} ({title}{basis}) gjeld. {why}"),
    "exception_not": ("Unntak {letter} ({title}{basis}) gjelder ikke. {why}",
                      "Unntak {letter} ({title}{basis}) gjeld ikkje. {why}"),
    "exception_not_met": ("Vilkårene for unntaket er ikke oppfylt etter opplysningene i søknaden.",
                          "Vilkåra for unntaket er ikkje oppfylte etter opplysningane i søknaden."),
    "no_change": ("Ingen av endringene vi kan foreslå, oppfyller dette vilkåret alene.",
                  "Ingen av endringane vi kan føreslå, oppfyller dette vilkåret åleine."),
    "combined": ("Sammen: {changes}", "Saman: {changes}"),
    "margin_note": (" (da blir marginen {margin} per måned)", " (då blir marginen {margin} per månad)"),
    "margin_warning": (
        "{changes} og marginen blir da liten, under grensen på {limit} per måned "
        "som regelverket bruker for å varsle om liten margin. Det gir lite å gå på hvis utgiftene øker.",
        "{changes} og marginen blir då liten, under grensa på {limit} per månad "
        "som regelverket brukar for å varsle om liten margin. Det gir lite å gå på om utgiftene aukar."),
    "margin_changes": (("Endringen over er den minste som er nok,", "Endringene over er de minste som er nok,"),
                       ("Endringa over er den minste som er nok,", "Endringane over er dei minste som er nok,")),
    "and": " og ",
    "needed_for": ("Har betydning for {what}", "Har betydning for {what}"),
    "amounts": ("beløpene i vedtaket: {names}", "beløpa i vedtaket: {names}"),
    # The vedtak's amounts (the national `vedtak` block) as a reader names them; another is named by its key in words.
    "amount_names": {
        "lånebehov": "lånebehovet", "maks_lån": "maks lån", "startlån": "startlånet",
        "tilskudd": ("tilskuddet", "tilskotet"), "terminbeløp_per_måned": "terminbeløpet",
        "disponibelt_per_måned": ("det disponible beløpet", "det disponible beløpet"),
        "margin_per_måned": "marginen", "livsopphold_per_måned": ("livsoppholdet", "livsopphaldet"),
        "tellende_inntekt_per_måned": ("tellende inntekt", "tellande inntekt"),
        "omkostninger": ("omkostningene", "omkostningane"), "rente": ("renten", "renta"),
        "nedbetalingstid_år": ("nedbetalingstiden", "nedbetalingstida"),
    },
    "deadline_date": "Fristen er {date}.",
    "reason": ("Saksbehandlers begrunnelse for vurderingen {what}: «{text}»",
               "Grunngivinga frå saksbehandlaren for vurderinga {what}: «{text}»"),
    "reason_missing": ("[mangler: saksbehandlers begrunnelse for vurderingen {what}]",
                       "[manglar: grunngivinga frå saksbehandlaren for vurderinga {what}]"),
    "of": ("av", "av"),
    # who gives a fact not yet there, to the applicant (the evaluation's words, `decision.WORDS`, are in the third person)
    "provided": {"søker": ("oppgis av deg", "blir oppgitt av deg"),
                 "saksbehandler": ("vurderes av saksbehandler", "blir vurdert av saksbehandlaren"),
                 "dokumentasjon": ("dokumenteres", "blir dokumentert")},
    "headings": {
        "vedtak": "Vedtak", "resultat": ("Hva saken gjelder", "Kva saka gjeld"), "lånevilkår": "Vilkår for lånet",
        "grunnlag": ("Opplysninger vi har lagt til grunn", "Opplysningar vi har lagt til grunn"),
        "inntekt": "Inntekt", "utgifter": ("Livsopphold og faste utgifter", "Livsopphald og faste utgifter"),
        "betjeningsevne": ("Lånebehov og betjeningsevne", "Lånebehov og betalingsevne"),
        "vurdering": "Vurdering", "barn": "Barnets beste",
        "manuell": ("Dette må saksbehandler vurdere", "Dette må saksbehandlaren vurdere"),
        "mangler": ("Dette trenger vi fra deg", "Dette treng vi frå deg"),
        "vurderes": ("Dette vurderer saksbehandler", "Dette vurderer saksbehandlaren"),
        "status": ("Hvor langt søknaden er kommet", "Kor langt søknaden er komen"),
        "endringer": ("Hva som kan endre utfallet", "Kva som kan endre utfallet"), "klage": "Du kan klage",
        "automatisering": "Automatisert saksbehandling",
        "skjønn": ("Saksbehandlers vurderinger", "Vurderingane til saksbehandlaren"),
    },
}
WORDS = {form: {**words, "results": EVALUATION_WORDS[form]["result"], "waiting": EVALUATION_WORDS[form]["waiting"]}
         for form, words in per_form(_WORDS).items()}


# the first words of a legal basis that are common nouns (written small inside a sentence), not names
_COMMON_HEADS = frozenset({"Forskrift", "Forskriften", "Forskrifta", "Lov", "Loven", "Lova", "Kommunens",
                           "Retningslinjene", "Retningslinjer", "Retningslinene", "Retningsliner"})


def legal_basis(hjemmel: str) -> tuple[str | None, str]:
    """A rule's legal basis read once: where the rule stands, and the basis as it reads inside a sentence.

    Where: "forskrift" (a basis that names forskrift om lån fra Husbanken, or a bare section of its chapter 5
    on startlån, «§ 5-4 annet ledd»), "kommune" (the kommune's guideline or ordning), else None (a law,
    Husbanken's guidance, a bare «§ 3» of unknown source): the letter then names no source rather than a
    wrong one. In a sentence a common noun first is written small («Regelen står i forskrift om …», «… i
    retningslinjene for startlån i Fjordvik kommune»), as is a law's name («vergemålsloven § 2», «plan- og
    bygningsloven § 29-4»); a name stays («Drammen kommunes retningslinjer», «Husbankens veileder»)."""
    first, _, rest = hjemmel.partition(" ")
    head = hjemmel.split(":", 1)[0].lower()
    if re.match(r"forskrift(?:en|a)? om lån fr[aå] husbanken|§\s*5-\d", head):
        source = "forskrift"
    else:
        source = "kommune" if "kommune" in head else None
    if first in _COMMON_HEADS:
        return source, f"{first.lower()} {rest}".rstrip()
    if re.match(r"(?:\w+- (?:og|eller) )?\w+lov(?:en|a)\b", hjemmel):  # «Plan- og bygningsloven § 29-4»
        return source, hjemmel[0].lower() + hjemmel[1:]
    return source, hjemmel


@attrs.frozen
class Item:
    """A point in a list, with indented details (the legal basis, exceptions considered)."""

    text: str
    details: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"tekst": self.text, "detaljer": list(self.details)}


@attrs.frozen
class Section:
    key: str
    heading: str | None
    paragraphs: tuple[str, ...] = ()
    items: tuple[Item, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.key, "overskrift": self.heading, "avsnitt": list(self.paragraphs),
                "punkter": [i.to_dict() for i in self.items]}


@attrs.frozen
class Letter:
    title: str
    utfall: str | None
    sections: tuple[Section, ...]
    what_if: WhatIf | None = None
    document: str = "vedtaksbrev"  # vedtaksbrev | saksframlegg | forespørsel | oversikt
    frame: Frame | None = None
    målform: str = "bokmål"

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dokument": self.document, "målform": self.målform, "tittel": self.title,
                               "utfall": self.utfall}
        if self.frame is not None:
            out["ramme"] = self.frame.to_dict()
        out["deler"] = [s.to_dict() for s in self.sections]
        if self.what_if is not None:
            out["hva_kan_endre_utfallet"] = self.what_if.to_dict()
        return out


def first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Builder:
    def __init__(self, decision):
        self.decision = decision
        self.basis: Basis = decision.basis
        self.model = self.basis.policy.model
        self.texts = Texts(self.basis)
        self.form = målform(self.model)
        self.w = WORDS[self.form]
        self.low_margin = ""  # set when a suggested change leaves a margin below the policy's margin_varsel
        self._lines: dict[str, list[dict[str, Any]]] = {}

    # ---- the policy's texts
    def paragraphs(self, name: str) -> tuple[str, ...]:
        return tuple(self.texts.paragraphs((name,)))

    def points(self, names: tuple[str, ...]) -> tuple[Item, ...]:
        """The points of a part, in policy order: `X_punkt` texts and the per-line texts (`LETTER_LINES`)."""
        return tuple(Item(first_upper(text)) for text in self.texts.paragraphs(names, self.lines))

    def lines(self, name: str) -> list[dict[str, Any]]:
        """The names each line of a søknad list binds in a per-line text; incomes also `medregnet`."""
        if name in self._lines:
            return self._lines[name]
        path, var, _ = LETTER_LINES[name]
        lines = P.get(self.basis.facts, path)
        out = self._lines[name] = []
        for i, line in enumerate(lines if runtime.given(lines) else ()):  # a list not yet given has no lines
            extra: dict[str, Any] = {var: line}
            if name == "inntektslinje":
                try:
                    extra["medregnet"] = self.counted(path, i)
                except runtime.NotAssessed:
                    continue  # how much of it counts waits for a fact not yet given
            out.append(extra)
        return out

    def counted(self, path: P.Path, index: int) -> Decimal:
        """How much of income line `index` counts: tellende inntekt with the line, less without it."""
        facts = self.basis.facts
        lines = P.get(facts, path)
        without = P.with_value(facts, path, [x for j, x in enumerate(lines) if j != index])
        income = self.basis.program.computations["tellende_inntekt"]
        total = self.basis.memo.get("c:tellende_inntekt")
        if total is None:
            total = income({runtime.DATE_KEY: facts["søknadsdato"]}, facts)
        return total - income({runtime.DATE_KEY: facts["søknadsdato"]}, without)

    # ---- the criteria
    def decisive(self) -> list[CriterionResult]:
        """The criteria that decided a non-default outcome: those of the outcome rule that applied."""
        rule = next((r for r in self.model.outcome_rules if r.outcome == self.decision.utfall), None)
        if rule is None:
            return []
        return [r for r in self.decision.vilkår if r.art == rule.kind and r.resultat == "ikke_oppfylt"]

    def rule_sentence(self, r: CriterionResult) -> str:
        """Where the rule stands: its legal basis in words, which names the forskrift or the kommune's guideline."""
        return self.w["rule"].format(basis=legal_basis(r.hjemmel)[1])

    def reason(self, decisive: list[CriterionResult], key_one: str, key_many: str, nouns: str,
               quotes: dict[str, tuple[str, ...]]) -> Section:
        """The Vedtak section of a refusal or a case for manual assessment: the deciding rules first, with
        the case worker's reasons for the assessments they rest on. With several rules, the list follows the
        sentence that leads to it, and the policy's text for the outcome stands after it (`vedtak_merknad`)."""
        w = self.w
        heading = w["headings"]["vedtak" if key_one == "refused_one" else "resultat"]
        brief = self.decision.utfall == "manuell_vurdering"  # the saksframlegg gives the details below
        if len(decisive) == 1:
            r = decisive[0]
            first = w[key_one].format(title=r.tittel, rule=w["manual_rule"][legal_basis(r.hjemmel)[0]])
            text = " ".join([first, self.rule_sentence(r), *([] if brief else [self.explanation(r)])])
            return Section("vedtak", heading, (text.strip(), *quotes.get(r.id, ()), *self.paragraphs(self.decision.utfall)))
        items = tuple(Item(r.tittel if brief else f"{r.tittel}: {self.explanation(r)}",
                           (w["basis"].format(basis=r.hjemmel), *quotes.get(r.id, ()))) for r in decisive)
        sources = {legal_basis(r.hjemmel)[0] for r in decisive}
        source = sources.pop() if len(sources) == 1 else None
        nouns = "criteria" if source == "forskrift" else nouns
        rules = w["rules"][nouns][source].format(count=antall_tekst(len(decisive), *w[nouns]),
                                                 number=antall_tekst(len(decisive), "én", "").strip())
        return Section("vedtak", heading, (w[key_many].format(rules=rules),), items)

    def criterion_item(self, r: CriterionResult, quotes: tuple[str, ...] = ()) -> Item:
        details = [self.w["basis"].format(basis=r.hjemmel)] if r.hjemmel else []
        if r.resultat in ("ikke_oppfylt", "unntak"):
            details += self.exceptions(r)
        details += quotes
        if r.art == "informasjon":
            return Item(f"{r.tittel}: {self.explanation(r)}".rstrip(), tuple(details))
        result = self.w["results"].get(r.resultat, r.resultat)
        if r.unntak:
            result += f" (bokstav {r.unntak})"
        return Item(f"{r.tittel}: {result}. {self.explanation(r)}".rstrip(), tuple(details))

    def explanation(self, r: CriterionResult) -> str:
        """The criterion's explanation; for one still waiting for facts without a text of its own for that, the
        letter's sentence, which tells the applicant who gives what it waits for (you, the case worker,
        documentation), where the evaluation's says «the applicant»."""
        if r.resultat != "ikke_vurdert" or not r.venter_på:
            return r.forklaring
        definition = next(c for c in self.basis.program.scheme.criteria if c.id == r.id)
        if "ikke_vurdert" in definition.explanations:
            return r.forklaring
        waits = []
        for name in r.venter_på:
            fact = P.get(self.basis.facts, parse_path(name))  # the fact not yet given, as the assessment describes it
            waits.append(f"{fact.doc.rstrip('.')} – {self.w['provided'][fact.provided_by]}")
        return self.w["waiting"].format(facts="; ".join(waits))

    def quotes(self, order: list[CriterionResult]) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]],
                                                             tuple[str, ...]]:
        """The case worker's reasons (forvaltningsloven § 25 tredje ledd), quoted as given beside the criterion
        they bear on: the first in `order` whose rule reads the assessment. A criterion that is not met on an
        assessment given without a reason shows the gap. Returns the quotes per criterion, the gaps per
        criterion, and the quotes no criterion reads."""
        reasons = {a.opplysning: a for a in self.decision.skjønnsvurderinger}
        per: dict[str, list[str]] = {}
        gaps: dict[str, list[str]] = {}
        loose: list[str] = []
        for path, doc, reader_ids in _case_worker_facts(self.model, self.basis.program.scheme):
            if not runtime.given(P.get(self.basis.facts, path)):
                continue
            name = P.name(path)
            what = _what(doc, self.w["of"])
            readers = [r for r in order if r.id in reader_ids]
            if name in reasons:
                text = self.w["reason"].format(what=what, text=" ".join(reasons[name].begrunnelse.split()))
                (per.setdefault(readers[0].id, []) if readers else loose).append(text)
            else:
                for r in (r for r in readers if r.resultat == "ikke_oppfylt" and self.decided_by(r.id, path)):
                    gaps.setdefault(r.id, []).append(self.w["reason_missing"].format(what=what))
                    break
        return {k: tuple(v) for k, v in per.items()}, {k: tuple(v) for k, v in gaps.items()}, tuple(loose)

    def decided_by(self, cid: str, path: P.Path) -> bool:
        """Whether criterion `cid`, not met, would be met with another value of the assessment at `path`
        (every other truth value or choice; an assessed amount or count always counts)."""
        spec = P.spec_of(self.model.schema, path)
        values = (False, True) if spec.type == T.BOOL else getattr(spec.type, "values", None)
        if values is None:
            return True
        compiled = next(c for c in self.basis.program.criteria if c.definition.id == cid)
        current = P.get(self.basis.facts, path)
        memo = seed(self.basis, frozenset({path}))
        for value in (v for v in values if v != current):
            facts = P.with_value(self.basis.facts, path, value)
            try:
                if criterion_result(compiled, dict(memo), facts)[0] != "ikke_oppfylt":
                    return True
            except NotAssessed:
                continue
        return False

    def exceptions(self, r: CriterionResult) -> list[str]:
        """The exceptions the assessment considered, in order, each with why it did or did not apply."""
        definition = next(c for c in self.basis.program.scheme.criteria if c.id == r.id)
        lines = []
        for e in definition.exceptions:
            basis = f"; {e.hjemmel}" if e.hjemmel else ""
            if e.letter == r.unntak:
                why = (self.texts.render_given(e.explanation) or "") if e.explanation else ""
                lines.append(self.w["exception_applies"].format(letter=e.letter, title=e.title, basis=basis,
                                                                why=why).rstrip())
                break
            why = (self.texts.render_given(e.not_applied) if e.not_applied else None) or self.w["exception_not_met"]
            lines.append(self.w["exception_not"].format(letter=e.letter, title=e.title, basis=basis, why=why))
        return lines

    def joined(self, texts: list[str]) -> str:
        return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + self.w["and"] + texts[-1]

    def margin_note(self, changes) -> str:
        """A warning when the changes give a grant whose margin is below the policy's `margin_varsel`."""
        program = self.basis.program
        if "margin" not in program.computations or "margin_varsel" not in self.model.parameters:
            return ""
        facts = self.basis.facts
        for c in changes:
            facts = c.applied(facts)
        if facts.get("ordning", "") != self.basis.facts.get("ordning", ""):
            return ""
        M = dict(seed(self.basis, frozenset(c.lever.path for c in changes)))
        try:
            margin = program.computations["margin"](M, facts)
            limit = self.basis.policy.lookup.parameter(M, "margin_varsel")
        except runtime.NotAssessed:
            return ""  # the margin waits for a fact not yet given
        if margin >= limit:
            return ""
        self.low_margin = format_kr(limit)
        return self.w["margin_note"].format(margin=format_kr(margin))

    def requested(self) -> list[Section]:
        """What the outcome waits for (forespørsel om opplysninger), most decisive first: what the applicant
        must send (facts given by the applicant or documented) with the deadline, and what the case worker
        still assesses; each with the rules and amounts it matters for."""
        titles = {r.id: r.tittel for r in self.decision.vilkår}
        sent: list[Item] = []
        assessed: list[Item] = []
        for m in self.decision.mangler:
            why = [f"«{titles[c]}»" for c in m.vilkår]
            if m.beløp:
                names = [self.w["amount_names"].get(b) or self.amount_name(b) for b in m.beløp]
                why.append(self.w["amounts"].format(names=", ".join(names)))
            item = Item(first_upper(self.to_applicant(m).rstrip(".")) + ".",
                        (self.w["needed_for"].format(what=self.joined(why)),))
            (assessed if m.oppgis_av == "saksbehandler" else sent).append(item)
        h = self.w["headings"]
        return [Section("mangler", h["mangler"], self.paragraphs("mangler") if sent else (), tuple(sent)),
                Section("svarfrist", None, (*self.deadline(), *self.paragraphs("svarfrist")) if sent else ()),
                Section("vurderes", h["vurderes"], self.paragraphs("vurderes") if assessed else (), tuple(assessed))]

    def to_applicant(self, m) -> str:
        """A fact the outcome waits for as the policy writes it to the applicant («Om du har …»): the record's
        `beskrivelse` is in the third person."""
        fact = P.get(self.basis.facts, parse_path(m.opplysning))
        return (fact.doc or m.beskrivelse) if isinstance(fact, runtime.Unassessed) else m.beskrivelse

    def amount_name(self, key: str) -> str:
        """A vedtak amount the national words do not name: the first sentence of the doc comment of the computation
        it is (`## Egen andel av terminbeløpet.` → «egen andel av terminbeløpet»), when written in the policy's
        målform (in the policy itself, or a bokmål letter), else its key in words without the unit."""
        expr = dict(self.model.decision).get(key)
        computation = self.basis.program.scheme.computations.get(expr.name) if isinstance(expr, ast.Name) else None
        if computation is not None and (self.form == "bokmål" or computation.origin.policy == self.model.id):
            first = description(computation.doc).split(". ")[0].rstrip(".")
            first = re.sub(r"^§\s*[\d.]+\s*", "", first)  # «§ 2.7 Lånebehov» names the computation by its section
            if first:
                return first[:1].lower() + first[1:]
        return _amount_words(key)

    def deadline(self) -> tuple[str, ...]:
        """The date the policy's `svarfrist_opplysninger` (days, stated in its `mangler` text) ends,
        counted from the letter's date (`sak.dato`) when the søknad gives one."""
        sent = (self.basis.facts.get("sak") or {}).get("dato")
        if sent is None or "svarfrist_opplysninger" not in self.model.parameters:
            return ()
        due = sent + dt.timedelta(days=int(self.texts.value("svarfrist_opplysninger")))
        return (self.w["deadline_date"].format(date=due.strftime("%d.%m.%Y")),)

    # ---- the documents
    def build(self) -> Letter:
        d = self.decision
        document = DOCUMENTS.get(d.utfall, "vedtaksbrev")
        decisive = self.decisive()
        failing = [r for r in d.vilkår if r.resultat == "ikke_oppfylt" and r not in decisive]
        others = [r for r in d.vilkår if r not in decisive and r not in failing]
        h = self.w["headings"]
        order = [*decisive, *failing, *others]
        quotes, gaps, loose = self.quotes(order)
        if d.utfall == "avslag":
            vedtak = self.reason(decisive, "refused_one", "refused_many", "criteria", quotes)
        elif d.utfall == "manuell_vurdering":
            vedtak = self.reason(decisive, "manual_one", "manual_many", "guidelines", quotes)
        else:  # a forespørsel is not a decision: its first part says where the søknad stands
            vedtak = Section("vedtak", h["vedtak" if d.utfall == "innvilget" else "status"], self.paragraphs(d.utfall))
        sections = [Section("innledning", None, self.paragraphs("innledning")), vedtak]
        if vedtak.items:  # the rules listed under «… ikke er oppfylt:», then the policy's text for the outcome
            sections.append(Section("vedtak_merknad", None, self.paragraphs(d.utfall)))
        if d.mangler:
            sections += self.requested()
        if d.utfall == "innvilget":
            sections.append(Section("lånevilkår", h["lånevilkår"],
                                    (*self.paragraphs("lånevilkår"), *self.paragraphs("ordningsvilkår")),
                                    tuple(Item(text) for _, text in d.betingelser)))
        sections += [
            Section("grunnlag", h["grunnlag"], self.paragraphs("grunnlag"), self.points(("grunnlag_punkt",))),
            Section("inntekt", h["inntekt"], self.paragraphs("inntekt"),
                    self.points(("inntektslinje", "inntekt_punkt"))),
            Section("utgifter", h["utgifter"], self.paragraphs("utgifter"),
                    self.points(("utgifter_punkt", "barnesats", "utgiftslinje"))),
            Section("betjeningsevne", h["betjeningsevne"], self.paragraphs("betjeningsevne"),
                    self.points(("betjeningsevne_punkt",))),
            Section("vurdering", h["vurdering"], self.paragraphs("vurdering"),
                    tuple(self.criterion_item(r, (*quotes.get(r.id, ()), *gaps.get(r.id, ()))) for r in order)),
            Section("skjønn", h["skjønn"], (), tuple(Item(q) for q in loose)),
            Section("barn", h["barn"], self.paragraphs("barn")),
        ]
        if d.utfall == "manuell_vurdering":
            sections.append(Section("manuell", h["manuell"], self.paragraphs("manuell"), tuple(
                Item(f"{r.tittel}: {self.explanation(r)}", (self.w["basis"].format(basis=r.hjemmel),)) for r in decisive)))
        what_if = what_would_change(d, self.texts)
        if what_if.changes:
            sections.append(Section("endringer", h["endringer"], self.paragraphs("endringer"),
                                    tuple(Item(c.text + self.margin_note((c,))) for c in what_if.changes)))
        elif what_if.none_suffices:
            items = [Item(f"{r.tittel}:", tuple(c.text for c in changes) or (self.w["no_change"],))
                     for r, changes in what_if.per_criterion]
            sections.append(Section("endringer", h["endringer"], self.paragraphs("ingen_endring"), tuple(items)))
            if what_if.combinations:
                sections.append(Section("kombinasjoner", None, self.paragraphs("kombinasjoner"), tuple(
                    Item(self.w["combined"].format(changes=self.joined([c.text for c in combo])) + self.margin_note(combo))
                    for combo in what_if.combinations)))
        if self.low_margin:
            changes = self.w["margin_changes"][_warned_changes(what_if) != 1]
            sections.append(Section("margin", None, (self.w["margin_warning"].format(changes=changes,
                                                                                      limit=self.low_margin),)))
        frame = build_frame(self.model, self.basis.facts, document)
        if document == "vedtaksbrev":
            sections.append(Section("klage", h["klage"], self.paragraphs("klage")))
            if frame.automated:
                sections.append(Section("automatisering", h["automatisering"], self.paragraphs("automatisering")))
        title = " ".join(self.paragraphs("tittel"))
        sections = [s for s in sections if s.paragraphs or s.items]
        if document == "saksframlegg":  # to the case worker: the applicant in the third person
            sections = [_third_person(s, self.form) for s in sections]
            what_if = _third_person_changes(what_if, self.form)
        return Letter(title, d.utfall, tuple(sections), what_if, document, frame, self.form)


_assessments: "weakref.WeakKeyDictionary[Any, dict[str, tuple]]" = weakref.WeakKeyDictionary()


def _case_worker_facts(model, scheme) -> tuple[tuple[P.Path, str, frozenset[str]], ...]:
    """(path, description, the criteria that read it) of every fact a case worker assesses (`oppgis av
    saksbehandler`), outside lists; found once per policy and scheme."""
    per_scheme = _assessments.setdefault(model, {})
    if scheme.id not in per_scheme:
        deps = dependencies(model, scheme)
        reads = {c.id: deps.criterion(c) for c in scheme.criteria}
        per_scheme[scheme.id] = tuple(
            (path, doc, frozenset(cid for cid, paths in reads.items() if any(P.overlaps(path, p) for p in paths)))
            for path, doc in _assessed_by_case_worker(model))
    return per_scheme[scheme.id]


def _assessed_by_case_worker(model, record=None, path: P.Path = ()) -> list[tuple[P.Path, str]]:
    out = []
    for key, spec in (model.schema if record is None else record).fields.items():
        if spec.provided_by == "saksbehandler":
            out.append(((*path, key), model.fact_text((*path, key)) or description(spec.doc)))
        elif hasattr(spec.type, "fields"):
            out += _assessed_by_case_worker(model, spec.type, (*path, key))
    return out


def _third_person(section: Section, form: str) -> Section:
    """A section written to the applicant as the saksframlegg words it (`norsk.tredje_person`)."""
    return attrs.evolve(section, paragraphs=tuple(tredje_person(p, form) for p in section.paragraphs),
                        items=tuple(Item(tredje_person(i.text, form), tuple(tredje_person(d, form) for d in i.details))
                                    for i in section.items))


def _third_person_changes(what_if: WhatIf, form: str) -> WhatIf:
    def worded(changes):
        return tuple(attrs.evolve(c, text=tredje_person(c.text, form)) for c in changes)
    return attrs.evolve(what_if, changes=worded(what_if.changes),
                        per_criterion=tuple((r, worded(cs)) for r, cs in what_if.per_criterion),
                        combinations=tuple(worded(combo) for combo in what_if.combinations))


def _warned_changes(what_if: WhatIf) -> int:
    """How many changes the warning of a low margin speaks of: those that give a grant (the single changes, else
    the changes of the combinations), not the rules they are listed under."""
    return len(what_if.changes) or sum(len(combo) for combo in what_if.combinations)


def _amount_words(key: str) -> str:
    """A vedtak key the letter has no name for, in words without its unit («egen_andel_per_måned» → «egen andel»)."""
    for unit in ("_per_måned", "_år", "_kr"):
        if key.endswith(unit):
            key = key[: -len(unit)]
    return key.replace("_", " ")


def _what(doc: str, of: str) -> str:
    """What an assessment decides, after «vurderingen»: «av om søkeren …» from the field's description."""
    text = doc.rstrip(".")
    return f"{of} {text[:1].lower()}{text[1:]}" if text else ""


def build_letter(decision) -> Letter:
    """The document for a decision made by `Policy.evaluate` (it needs the decision's `basis`)."""
    if decision.basis is None:
        raise EvaluationError("vedtaket mangler grunnlaget brevet bygges fra; vurder søknaden med Policy.evaluate")
    with localcontext(CONTEXT):
        return _Builder(decision).build()


def begrunnelse_text(decision) -> str:
    """The document as plain text: what `Decision.begrunnelse` and the JSON record hold."""
    from boligregler.rendering.letter import render_text
    return render_text(build_letter(decision))
