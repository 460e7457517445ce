"""A decision as plain Norwegian text for a terminal or a case file."""

from __future__ import annotations

from boligregler.evaluation.decision import OUTCOME_WORDS, RESULT_WORDS, Decision, describe_pending
from boligregler.money import format_kr, format_percent

AMOUNT_LABELS = {
    "lånebehov": "Lånebehov", "maks_lån": "Maks lån", "startlån": "Startlån", "tilskudd": "Tilskudd",
    "terminbeløp_per_måned": "Terminbeløp per måned", "disponibelt_per_måned": "Disponibelt per måned",
    "margin_per_måned": "Margin per måned", "livsopphold_per_måned": "Livsopphold per måned",
    "tellende_inntekt_per_måned": "Tellende inntekt per måned", "omkostninger": "Omkostninger",
}
MARKS = {"oppfylt": "✓", "unntak": "✓", "ikke_oppfylt": "✗", "ikke_relevant": "–", "ikke_vurdert": "?"}


def render_decision(d: Decision) -> str:
    lines = [f"Vedtak: {OUTCOME_WORDS[d.utfall].upper()}",
             f"Regelverk: {d.policy['navn']} ({d.policy['id']}), ordning: {d.ordning}, søknadsdato: {d.søknadsdato:%d.%m.%Y}",
             ""]
    if "lovlighet" in d.policy:
        codes = ", ".join(d.policy["lovlighet"]["funn"])
        lines[2:2] = [f"ADVARSEL: regelverket har lovlighetsfeil ({codes}) og er kjørt med «tillat ulovlig».", ""]
    width = max(len(AMOUNT_LABELS.get(k, k)) for k in d.beløp) if d.beløp else 0
    for key, value in d.beløp.items():
        lines.append(f"  {AMOUNT_LABELS.get(key, key).ljust(width)}  {format_kr(value):>16}")
    if d.rente is not None:
        lines.append(f"  {'Rente'.ljust(width)}  {format_percent(d.rente):>16}")
    if d.nedbetalingstid_år is not None:
        lines.append(f"  {'Nedbetalingstid'.ljust(width)}  {str(d.nedbetalingstid_år) + ' år':>16}")
    lines += ["", "Vilkår:"]
    for c in d.vilkår:
        result = RESULT_WORDS[c.resultat] + (f" (bokstav {c.unntak})" if c.unntak else "")
        lines.append(f"  {MARKS[c.resultat]} {c.tittel} [{c.art}]: {result}")
        lines.append(f"      {c.forklaring}")
        lines.append(f"      Hjemmel: {c.hjemmel}")
    if d.mangler:
        titles = {c.id: c.tittel for c in d.vilkår}
        lines += ["", "Dette mangler før søknaden kan avgjøres (det viktigste først):"]
        for m in d.mangler:
            lines.append(f"  • {describe_pending(m)}")
            waiting = [titles.get(cid, cid) for cid in m.vilkår]
            if waiting:
                lines.append(f"      Vilkår som venter: {', '.join(waiting)}")
    if d.skjønnsvurderinger:
        lines += ["", "Saksbehandlers vurderinger med begrunnelse:"]
        for a in d.skjønnsvurderinger:
            value = ("ja" if a.verdi else "nei") if isinstance(a.verdi, bool) else str(a.verdi)
            lines.append(f"  • {a.beskrivelse.rstrip('.')}: {value}. Begrunnelse: {a.begrunnelse}")
    if d.betingelser:
        lines += ["", "Betingelser:"] + [f"  • {text}" for _, text in d.betingelser]
    return "\n".join(lines)
