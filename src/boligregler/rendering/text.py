"""A decision as plain Norwegian text for a terminal or a case file."""

from __future__ import annotations

from boligregler.evaluation.decision import OUTCOME_WORDS, WORDS, Decision, describe_pending
from boligregler.money import format_kr, format_percent
from boligregler.norsk import tredje_person
from boligregler.rendering.words import say

AMOUNT_LABELS = {
    "lånebehov": "Lånebehov", "maks_lån": "Maks lån", "startlån": "Startlån", "tilskudd": "Tilskudd",
    "terminbeløp_per_måned": "Terminbeløp per måned", "disponibelt_per_måned": "Disponibelt per måned",
    "margin_per_måned": "Margin per måned", "livsopphold_per_måned": "Livsopphold per måned",
    "tellende_inntekt_per_måned": "Tellende inntekt per måned", "omkostninger": "Omkostninger",
}
MARKS = {"oppfylt": "✓", "unntak": "✓", "ikke_oppfylt": "✗", "ikke_relevant": "–", "ikke_vurdert": "?"}


def render_decision(d: Decision, form: str = "bokmål") -> str:
    """The decision as text in the policy's målform (`form`), for the case worker: the policy's texts, written to
    the applicant, in the third person (`norsk.tredje_person`)."""
    t = lambda text: say(text, form)  # noqa: E731
    lines = [f"{t('Vedtak')}: {t(OUTCOME_WORDS[d.utfall]).upper()}",
             t("Regelverk: {navn} ({id}), ordning: {ordning}, søknadsdato: {dato}").format(
                 navn=d.policy["navn"], id=d.policy["id"], ordning=d.ordning, dato=f"{d.søknadsdato:%d.%m.%Y}"),
             ""]
    if "lovlighet" in d.policy:
        codes = ", ".join(d.policy["lovlighet"]["funn"])
        lines[2:2] = [t("ADVARSEL: regelverket har lovlighetsfeil ({codes}) og er kjørt med «tillat ulovlig».").format(
            codes=codes), ""]
    labels = {k: t(AMOUNT_LABELS.get(k, k)) for k in d.beløp}
    width = max(map(len, labels.values())) if labels else 0
    for key, value in d.beløp.items():
        lines.append(f"  {labels[key].ljust(width)}  {format_kr(value):>16}")
    if d.rente is not None:
        lines.append(f"  {t('Rente').ljust(width)}  {format_percent(d.rente):>16}")
    if d.nedbetalingstid_år is not None:
        lines.append(f"  {t('Nedbetalingstid').ljust(width)}  {str(d.nedbetalingstid_år) + ' år':>16}")
    lines += ["", t("Vilkår") + ":"]
    results = WORDS[form]["result"]
    for c in d.vilkår:
        result = results[c.resultat] + (f" (bokstav {c.unntak})" if c.unntak else "")
        lines.append(f"  {MARKS[c.resultat]} {c.tittel} [{t(c.art)}]: {result}")
        lines.append(f"      {tredje_person(c.forklaring, form)}")
        lines.append(f"      {t('Hjemmel')}: {c.hjemmel}")
    if d.mangler:
        titles = {c.id: c.tittel for c in d.vilkår}
        lines += ["", t("Dette mangler før søknaden kan avgjøres (det viktigste først):")]
        for m in d.mangler:
            lines.append(f"  • {describe_pending(m, form)}")
            waiting = [titles.get(cid, cid) for cid in m.vilkår]
            if waiting:
                lines.append(f"      {t('Vilkår som venter')}: {', '.join(waiting)}")
    if d.skjønnsvurderinger:
        lines += ["", t("Saksbehandlers vurderinger med begrunnelse:")]
        for a in d.skjønnsvurderinger:
            value = ("ja" if a.verdi else "nei") if isinstance(a.verdi, bool) else str(a.verdi)
            lines.append(f"  • {a.beskrivelse.rstrip('.')}: {value}. {t('Begrunnelse')}: {a.begrunnelse}")
    if d.betingelser:
        lines += ["", t("Betingelser") + ":"] + [f"  • {tredje_person(text, form)}" for _, text in d.betingelser]
    return "\n".join(lines)
