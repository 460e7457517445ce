"""What a kommune page says to the public first: a one-screen summary in plain Norwegian.

Built from the policy's header (`målgruppe`, `slik_søker_du`, `dokumentasjon`, `kontakt`,
`nettside`, `vedtatt_antatt`, `klageinstans`), from what the policy changes relative to the rules
it builds on, and from three households assessed by the policy itself (`FAMILIES`, the same in
every kommune and on the comparison page). Developer material stays off: no identifiers, no
source-document notes, no assumed date shown as a decision date.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Sequence

import attrs

from boligregler.explain.frame import målform, unconfirmed
from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy
from boligregler.money import format_kr, format_percent
from boligregler.site.words import say
from boligregler.rendering.policy_markdown import (
    Block, BulletList, Heading, Paragraph, autolink, esc, format_date, format_value, link, national, policy_changes,
)

_SOURCE_NOTE = re.compile(r"\s*\(seed(?::\s*([^)]*))?\)|\s*\(seed, [^)]*\)|\bseed(?:en)?:\s*", re.IGNORECASE)
_SPEC_SECTION = re.compile(r"\s*\(?beregning\.md[^)]*\)?|§\s?\d+(?:\.\d+)+\s*")
# A sentence that points to a developer document (`soknad.md`): only a developer can follow it.
_DEVELOPER_SENTENCE = re.compile(r"(^[ \t]*|(?<=[.!?]) )[^.!?\n]*?\b[\w-]+\.md\b[^.!?\n]*[.!?](?: +|$)", re.MULTILINE)


def public_text(text: str) -> str:
    """A policy text for the public: notes on the project's source documents and spec section numbers go."""
    return public_markdown(text).strip()


def public_markdown(text: str) -> str:
    """`public_text` over rendered Markdown (the folds reuse the policy renderer's blocks)."""
    text = _SOURCE_NOTE.sub(lambda m: f" («{m.group(1).strip()}»)" if m.group(1) else "", text)
    return _SPEC_SECTION.sub("", _DEVELOPER_SENTENCE.sub(r"\1", text))


def first_sentence(text: str) -> str:
    m = re.match(r"(.+?[.!?])(\s|$)", " ".join(text.split()))
    return m.group(1) if m else " ".join(text.split())


@attrs.frozen
class Family:
    """A household assessed in every kommune: the answers a tenant would give, as a søknad."""

    title: str
    soknad: dict


def _family(title: str, adults: Sequence[int], children: Sequence[int], incomes: dict[str, int], price: int,
            housing: int, equity: int = 0, botid: int = 48, expenses: dict[str, int] | None = None) -> Family:
    return Family(title, {
        "formål": "kjøp",
        "husstand": {"voksne": [{"alder": a} for a in adults], "barn": [{"alder": a} for a in children]},
        "inntekter": [{"type": k, "netto_per_måned": v} for k, v in incomes.items()],
        "faste_utgifter": [{"type": k, "per_måned": v} for k, v in (expenses or {}).items()],
        "bolig": {"kjøpesum": price, "eierform": "selveier", "boutgifter_per_måned": housing},
        "egenkapital": equity,
        "skjønn": {"avslag_fra_banker": 2, "langvarige_finansieringsproblemer": True, "spareevne_utnyttet": True,
                   "boligen_egnet_og_nøktern": True},
        "tilknytning": {"folkeregistrert_i_kommunen": True, "botid_måneder": botid},
    })


FAMILIES = (
    _family("Enslig forsørger med to barn (6 og 9 år), 28 000 kr i lønn etter skatt, bolig til 2 000 000 kr",
            [34], [6, 9], {"lønn": 28_000}, 2_000_000, 3_500),
    _family("Par med to barn (3 og 7 år), 48 500 kr i lønn og barnetrygd, bolig til 2 900 000 kr, 50 000 kr spart",
            [38, 35], [3, 7], {"lønn": 48_500, "barnetrygd": 3_532}, 2_900_000, 4_500, equity=50_000,
            expenses={"studielån": 1_200, "barnehage": 1_500}),
    _family("Enslig uføretrygdet, 24 000 kr i uføretrygd, bodd ett år i kommunen, bolig til 1 600 000 kr",
            [52], [], {"uføretrygd": 24_000}, 1_600_000, 3_000, botid=12),
)


@attrs.frozen
class FamilyResult:
    family: Family
    utfall: str
    maks_lån: Decimal | None
    startlån: Decimal | None
    rente: Decimal | None


def assess_families(policy: Any, on: dt.date) -> list[FamilyResult]:
    """The three households of `FAMILIES` assessed by `policy` on the date `on`."""
    out = []
    for f in FAMILIES:
        d = policy.evaluate({"søknadsdato": on.isoformat(), **f.soknad}, explain=False)
        out.append(FamilyResult(f, d.utfall, d.beløp.get("maks_lån"), d.beløp.get("startlån"), d.rente))
    return out


OUTCOME_PHRASES = {"innvilget": "får startlån", "avslag": "får avslag",
                   "manuell_vurdering": "får søknaden vurdert nærmere av kommunen",
                   "ikke_avgjort": "får søknaden vurdert nærmere av kommunen"}


def place(model: CheckedPolicy) -> str:
    return str(model.header.get("kommune") or model.header.get("navn") or model.id)


def base_name(base: CheckedPolicy, form: str = "bokmål") -> str:
    """How the public page names the rules a kommune builds on: never by its identifier."""
    if national(base):
        return "dei nasjonale reglane" if form == "nynorsk" else "de nasjonale reglene"
    return place(base)


def additions(model: CheckedPolicy, base: CheckedPolicy) -> list[str]:
    """What the kommune adds to or changes in the rules it builds on, in words (inline markup)."""
    out: list[str] = []
    for change in policy_changes(model, base):
        if change.section == "vilkår" and change.action == "lagt_til":
            c = next((c for c in model.criteria if c.id == change.name), None)
            if c is not None and c.kind != "informasjon":
                effect = say("ellers avslag" if c.kind == "absolutt" else "ellers vurderer kommunen søknaden nærmere",
                             målform(model))
                out.append(f"{esc(public_text(c.title))} ({effect}).")
        elif change.section == "parametre" and change.action in ("lagt_til", "endret"):
            p = model.parameters.get(change.name)
            if p is None or not p.doc:
                continue
            sentence = public_text(first_sentence(p.doc))
            value = format_value(p.values[-1].value, p.type)
            if isinstance(p.type, T.Bool) or re.search(r"\d", sentence) or not sentence.endswith("."):
                out.append(esc(sentence))
            else:
                out.append(esc(f"{sentence[:-1]}: {value}."))
        elif change.section == "ordninger" and change.action == "lagt_til":
            s = model.schemes.get(change.name)
            if s is not None:
                doc = f" {public_text(first_sentence(s.doc))}" if s.doc else ""
                out.append(esc(f"Ordningen «{s.title}».{doc}"))
    return out


WHO_DEFAULT = ("Startlån er for dem som ikke får et stort nok lån i banken, men som kan betjene et lån og trenger "
               "hjelp til å skaffe seg en egnet bolig.")
HOW_MUCH = ("Hvor mye dere kan låne, avhenger av hva husstanden har igjen hver måned etter skatt, livsopphold og "
            "faste utgifter.")


def summary_blocks(policy: Any, base: CheckedPolicy | None, results: Sequence[FamilyResult]) -> list[Block]:
    """The top of a kommune page, in the policy's målform: who, how much, what the kommune adds, how to
    apply, documents, contact, appeal and when the rules were decided."""
    model: CheckedPolicy = policy.model
    form = målform(model)
    t = lambda text: say(text, form)  # noqa: E731
    h = model.header
    name = place(model)
    blocks: list[Block] = [Heading(2, esc(t("Kort om startlån i {place}").format(place=name)), "kort-om-startlan")]
    who = h.get("målgruppe") or t(WHO_DEFAULT)
    blocks.append(Paragraph(f"**{t('Hvem kan få startlån?')}** {esc(public_text(str(who)))}"))
    typical = next((r for r in results if r.utfall == "innvilget" and r.maks_lån), None) or next(
        (r for r in results if r.maks_lån), None)
    how_much = t(HOW_MUCH)
    if typical is not None:
        rate = t(" med {rate} rente").format(rate=format_percent(typical.rente)) if typical.rente is not None else ""
        how_much += " " + esc(t("For eksempel kan en husstand slik: «{family}» betjene et lån på inntil {amount}{rate}.")
                              .format(family=typical.family.title, amount=format_kr(typical.maks_lån), rate=rate))
    how_much += f" [{t('Regn ut for dere selv i kalkulatoren')}](#kalk-tittel)."
    blocks.append(Paragraph(f"**{t('Hvor mye?')}** {how_much}"))
    if base is not None:
        added = additions(model, base)
        if added:
            lead = t("Det {place} legger til {base}:").format(place=name, base=base_name(base, form))
            blocks += [Paragraph(f"**{esc(lead)}**"), BulletList(tuple(added))]
    apply = h.get("slik_søker_du")
    site = h.get("nettside")
    if apply or site:
        text = esc(public_text(str(apply))) if apply else ""
        if site:
            text += (" " if text else "") + link(esc(t("Les mer og søk på nettsiden til {place}").format(place=name)),
                                                 str(site)) + "."
        blocks.append(Paragraph(f"**{t('Slik søker du:')}** {text}"))
    where = link(esc(t("nettsiden til {place}").format(place=name)), str(site)) if site else ""
    documents = [d.strip() for d in str(h.get("dokumentasjon") or "").split(";") if d.strip()]
    if documents:
        blocks += [Paragraph(f"**{t('Dette må du legge ved søknaden:')}**"),
                   BulletList(tuple(esc(public_text(d)) for d in documents))]
    if h.get("dokumentasjon_antatt") or not documents:
        reason = esc(public_text(str(h.get("dokumentasjon_antatt") or "")))
        blocks.append(Paragraph(f"*{t('Kommunen har ikke bekreftet hva som må legges ved.')}* "
                                + (f"{reason} " if reason else "")
                                + (t("Kommunen kan be om mer. Se {where} eller spør kommunen.").format(where=where)
                                   if site else t("Kommunen kan be om mer; spør kommunen."))))
    if h.get("kontakt"):
        note = f" *{t('Ikke bekreftet av kommunen.')}*" if "kontakt" in unconfirmed(model) else ""
        blocks.append(Paragraph(f"**{t('Kontakt:')}** {autolink(str(h['kontakt']))}.{note}"))
    else:
        blocks.append(Paragraph(f"**{t('Kontakt:')}** " + (
            t("Telefon og e-post er ikke lagt inn her. Se {where}.").format(where=where) if site
            else esc(t("Telefon og e-post er ikke lagt inn her; ta kontakt med {place}.").format(place=name)))))
    appeal = t("Får du avslag, kan du klage. Klagen avgjøres av {instans}.").format(
        instans=public_text(str(h.get("klageinstans", "kommunens klageinstans"))))
    blocks.append(Paragraph(f"**{t('Klage:')}** {esc(appeal)}"))
    blocks.append(Paragraph(date_sentence(model)))
    return blocks


def date_sentence(model: CheckedPolicy) -> str:
    """When the rules were decided, or that the date is not confirmed (in the policy's målform)."""
    form = målform(model)
    decided = model.header.get("vedtatt")
    if model.header.get("vedtatt_antatt"):
        since = (" " + say("Reglene er lagt inn som gjeldende fra {dato}.", form).format(dato=format_date(decided))
                 if isinstance(decided, dt.date) else "")
        return f"*{say('Datoen kommunen vedtok disse reglene, er ikke bekreftet.', form)}*{since}"
    if isinstance(decided, dt.date):
        return say("Reglene ble vedtatt {dato}.", form).format(dato=format_date(decided))
    return ""


def _effect(model: CheckedPolicy, kind: str) -> str:
    outcome = next((r.outcome for r in model.outcome_rules if r.kind == kind), None)
    return say({"avslag": "Er dette ikke oppfylt, får du avslag.",
                "manuell_vurdering": "Er dette ikke oppfylt, vurderer kommunen søknaden nærmere før den avgjøres."}.get(
        outcome or "", "Dette avgjør ikke søknaden, men står forklart i vedtaket."), målform(model))


RULES_INTRO = ("Dette vurderer {place} i en søknad om startlån. Under hvert vilkår står hva som skjer om det ikke er "
               "oppfylt, og hvilken regel det bygger på; regelen i detalj kan foldes ut.")


CALCULATION_INTRO = ("Kommunen regner ut hva husstanden har igjen hver måned etter skatt, livsopphold, boutgifter og "
                     "faste utgifter, og hvor stort lån det beløpet kan betjene med renten og nedbetalingstiden under. "
                     "Lånebehovet er kjøpesummen med omkostninger, minus egenkapital og eventuelt lån i bank.")
RATES_INTRO = ("Hver sats gjelder fra datoen som står ved den, til en ny sats tar over; søknadsdatoen avgjør hvilken "
               "som brukes.")
EXAMPLES_INTRO = "Hvert eksempel er en søknad vurdert etter reglene over, med hele beregningen."


def rule_blocks(site_policy: Any) -> list[Block]:
    """The rules after the calculator: each criterion in words, the details and the figures behind folds."""
    from boligregler.rendering import policy_markdown as M

    policy, base = site_policy.policy, site_policy.base
    model: CheckedPolicy = policy.model
    t = lambda text: say(text, målform(model))  # noqa: E731
    name = t("kommunen") if site_policy.national else place(model)
    blocks: list[Block] = [
        Heading(2, t("Vilkårene"), "vilkar"),
        Paragraph(esc(t(RULES_INTRO).format(place=name))),
    ]
    for c in model.criteria:
        detail = M.criterion_blocks(model, c, 4)[1:]
        text = _effect(model, c.kind) + f" {t('Grunnlag:')} {M._hjemmel(public_text(c.hjemmel), c.lenke)}."
        blocks += [Heading(3, esc(public_text(c.title)), M.anchor("vilkår", c.id)), Paragraph(text)]
        if c.exceptions:
            blocks.append(BulletList(tuple(t("Unntak: {title}.").format(title=esc(public_text(e.title)))
                                           for e in c.exceptions)))
        blocks.append(M.Admonition("note", t("Regelen i detalj"), tuple(detail), collapsible=True))
    blocks += [Heading(2, t("Ordninger"), "ordninger"),
               Paragraph(t("{place} tilbyr {schemes}.").format(
                   place=esc(name), schemes=(t("disse ordningene: ") if len(model.schemes) > 1 else "")
                   + M._join([f"«{esc(s.title)}»" for s in model.schemes.values()])))]
    if len(model.schemes) > 1:
        for s in model.schemes.values():
            head, *rest = M.scheme_blocks(model, s)
            blocks += [head, M.Admonition("note", t("Reglene for «{title}» i detalj").format(title=esc(s.title)),
                                          tuple(rest), collapsible=True)]
    order = M.computation_order(model, model.computations, reference=tuple(site_policy.root.computations))
    blocks += [
        Heading(2, t("Slik regnes lånet ut"), "beregning"),
        Paragraph(t(CALCULATION_INTRO)),
        M.Admonition("note", t("Beregningen steg for steg"), tuple(M.computation_blocks(model, model.base_scheme, order)),
                     collapsible=True),
        Heading(2, t("Satser og grenser"), "parametre"),
        Paragraph(t(RATES_INTRO)),
        M.Admonition("note", t("Alle satser og grenser, med historikk"),
                     tuple(b for p in model.parameters.values() for b in M.parameter_blocks(model, p))
                     + tuple(b for t in model.tables.values() for b in M.table_blocks(model, t)), collapsible=True),
        Heading(2, t("Regneeksempler"), "eksempler"),
        Paragraph(t(EXAMPLES_INTRO)),
    ]
    for ex in model.examples:
        worked = M.example_blocks(model, M.work_example(policy, ex, tuple(site_policy.root.computations)))
        head, *rest = worked
        blocks += [head, M.Admonition("note", t("Beregningen og vilkårene"), tuple(rest), collapsible=True)]
    if not site_policy.national:
        different = t("Det {place} gjør annerledes enn {base}").format(place=name, base=base_name(base, målform(model)))
        blocks += [Heading(2, esc(different), "endringer"),
                   M.Admonition("note", t("Alle endringene i detalj"),
                                tuple(M.changes_blocks(M.policy_changes(model, base), model, base)), collapsible=True)]
    return blocks


OUTCOME_CELLS = {"innvilget": "Innvilget", "avslag": "Avslag", "manuell_vurdering": "Vurderes nærmere",
                 "ikke_avgjort": "Vurderes nærmere"}
EFFECT_WORDS = {"absolutt": "ellers avslag", "hovedregel": "ellers vurderes søknaden nærmere",
                "informasjon": "forklares i vedtaket"}


def _short(model: CheckedPolicy) -> str:
    name = place(model)
    return "Nasjonale regler" if len(model.chain) == 1 else name.removesuffix(" kommune")


def _page(model: CheckedPolicy) -> str:
    return f"regelverk:{model.id}"


def _rate(result: FamilyResult, model: CheckedPolicy) -> str:
    if result.rente is None:
        return "–"
    how = ("fast kalkulasjonsrente" if "kalkulasjonsrente" in model.parameters
           else "styringsrenten pluss påslag" if "stresstest_påslag" in model.parameters else "")
    return format_percent(result.rente) + (f" ({how})" if how else "")


def _grant(model: CheckedPolicy) -> str:
    offered = model.parameters.get("tilskudd_tilbys")
    limit = model.parameters.get("maks_tilskudd_andel")
    if offered is None or not offered.values[-1].value:
        return "gir ikke tilskudd"
    if limit is None or not limit.values[-1].value:
        return "ingen fast grense (vurderes i hver sak)"
    return f"inntil {format_value(limit.values[-1].value, limit.type)} av kjøpesummen"


def _income(model: CheckedPolicy) -> str:
    p = model.parameters.get("tellende_inntektstyper")
    if p is None:
        return "–"
    counted = set(p.values[-1].value)
    left_out = [v for v in p.type.element.values if v not in counted]
    return "alle inntekter" if not left_out else "alt unntatt " + _and([v.replace("_", " ") for v in left_out])


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]


def comparison_page(policies: Sequence[Any], on: dt.date) -> list[Block]:
    """The comparison for the public: the same three households in every kommune, the main figures
    (the rate the loan is stress-tested at, grants, incomes counted) and each kommune's own rules in words.
    Small tables with one row per kommune, so the page reads on a phone."""
    from boligregler.rendering.policy_markdown import Table

    assessed = [(p, assess_families(p, on)) for p in policies]
    blocks: list[Block] = [
        Heading(1, "Sammenligning av kommunene", "sammenligning"),
        Paragraph("Her er de samme tre husstandene vurdert etter reglene i hver kommune, slik reglene gjelder "
                  f"{format_date(on)}, med de viktigste tallene og reglene hver kommune har lagt til. Svaret er et "
                  "anslag etter reglene: kommunen vurderer selv blant annet om boligen er egnet. Klikk på et navn "
                  "for å lese hele regelverket og regne ut for deres egen husstand."),
        Heading(2, "Tre husstander", "husstander"),
    ]
    for i, family in enumerate(FAMILIES):
        rows = []
        for policy, results in assessed:
            r = results[i]
            rows.append((link(esc(_short(policy.model)), _page(policy.model)), OUTCOME_CELLS.get(r.utfall, r.utfall),
                         format_kr(r.maks_lån) if r.maks_lån is not None else "–",
                         format_kr(r.startlån) if r.startlån is not None and r.utfall != "avslag" else "–"))
        blocks += [Paragraph(f"**{esc(family.title)}**"),
                   Table(("Regelverk", "Svar", "Største lån husstanden kan betjene", "Startlån"), tuple(rows))]
    blocks += [
        Heading(2, "Rente, tilskudd og inntekt", "hovedtall"),
        Paragraph("Renten er den lånet stresstestes med når kommunen regner ut hvor stort lån husstanden kan "
                  "betjene; den faktiske renten på lånet er lavere."),
        Table(("Regelverk", "Renten i stresstesten", "Tilskudd til etablering", "Inntekt som regnes med"), tuple(
            (link(esc(_short(p.model)), _page(p.model)), _rate(results[1], p.model), _grant(p.model), _income(p.model))
            for p, results in assessed)),
        Heading(2, "Kommunenes egne regler", "egne-regler"),
        Paragraph("Alle kommunene følger forskriften om startlån. Dette har hver kommune lagt til:"),
    ]
    for policy, _ in assessed:
        model = policy.model
        if len(model.chain) == 1:
            continue
        own = [c for c in model.criteria if c.origin.policy == model.id]
        items = tuple(f"{esc(public_text(c.title))} ({EFFECT_WORDS[c.kind]})" for c in own) + tuple(
            f"Ordningen «{esc(s.title)}»" for s in model.schemes.values() if s.origin and s.origin.policy == model.id)
        blocks += [Paragraph(f"**{link(esc(place(model)), _page(model))}**"),
                   BulletList(items or ("ingen egne vilkår",))]
    return blocks


def index_page(policies: Sequence[Any]) -> list[Block]:
    """The list of regelverk: each kommune, what it adds, and when its rules were decided (if confirmed)."""
    from boligregler.rendering.policy_markdown import Table

    root = next((p.model for p in policies if len(p.model.chain) == 1), None)
    rows = []
    for p in policies:
        model = p.model
        if len(model.chain) == 1:
            continue
        own = [c for c in model.criteria if c.origin.policy == model.id and c.kind != "informasjon"]
        decided = model.header.get("vedtatt")
        when = ("ikke bekreftet" if model.header.get("vedtatt_antatt") or not isinstance(decided, dt.date)
                else format_date(decided))
        rows.append((link(esc(place(model)), _page(model)),
                     "; ".join(esc(public_text(c.title)) for c in own) or "ingen egne vilkår", when))
    blocks: list[Block] = [
        Heading(1, "Regelverk", "regelverk"),
        Paragraph("Velg kommunen din. Siden forteller kort hvem som kan få startlån, hvordan du søker og hva du må "
                  "legge ved, og har kalkulatoren «Hva kan vi låne?». Sidene lages direkte fra reglene som avgjør "
                  "søknadene, så de sier det samme som vurderingen gjør."),
        Table(("Kommune", "Egne vilkår i tillegg til de nasjonale reglene", "Reglene vedtatt"), tuple(rows)),
        Paragraph("Se også [sammenligningen av kommunene](sammenligning.md)"
                  + (f" og {link('de nasjonale reglene alle kommunene bygger på', _page(root))}" if root else "") + "."),
    ]
    return blocks
