"""The frame of a letter: the kommune's letterhead from the policy header and the case metadata of the søknad.

Nothing in the frame is invented: a field a letter needs but neither the header nor the søknad
gives is written as a visible gap, «[mangler: …]», and listed in `Frame.missing`. The case system
may give the letterhead itself in the søknad's `sak` (enhet, postadresse, kontakt, klageinstans,
klageinstans_adresse); a header field the policy lists in `ubekreftet` (stated, but not confirmed
by its sources) is never printed as if it were confirmed: without `sak`, it is a gap.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from boligregler.diagnostics import Diagnostic, Severity
from boligregler.evaluation.soknad import CASE_FIELD
from boligregler.model.checker import LETTERHEAD, VISIBLE_GAP, shows_gap
from boligregler.model.policy import CheckedPolicy
from boligregler.norsk import per_form
from boligregler.syntax import ast

# What each frame field is called in a gap: one text for both målformer, or (bokmål, nynorsk).
_LABELS = {
    "kommune": ("kommunens navn", "namnet på kommunen"),
    "enhet": ("enheten som behandler saken", "eininga som behandlar saka"),
    "postadresse": ("kommunens postadresse", "postadressa til kommunen"),
    "kontakt": "telefon eller e-post for spørsmål", "klageinstans": "klageinstansen",
    "klageinstans_adresse": ("klageinstansens adresse", "adressa til klageinstansen"),
    "automatisering_hjemmel": ("hjemmelen for automatisert vedtak", "heimelen for automatisert vedtak"),
    "saksnummer": "saksnummer", "dato": "dato", "søker_navn": ("søkerens navn", "namnet på søkjaren"),
    "søker_adresse": ("søkerens adresse", "adressa til søkjaren"),
    "saksbehandler": ("saksbehandlerens navn", "namnet på saksbehandlaren"),
}
LABELS = per_form(_LABELS)
HEADER_FRAME = ("kommune", *LETTERHEAD)


def målform(model: CheckedPolicy) -> str:
    return str(model.header.get("målform", "bokmål"))


def gap(field: str, form: str) -> str:
    """The visible gap written where a frame field is missing."""
    return WORDS[form]["gap"].format(LABELS[form][field])


def unconfirmed(model: CheckedPolicy) -> frozenset[str]:
    """The header's frame fields its `ubekreftet` names: stated, but not confirmed by the policy's sources."""
    return frozenset(f.strip() for f in str(model.header.get("ubekreftet", "")).split(",") if f.strip())


def letterhead(model: CheckedPolicy, case: dict | None) -> dict[str, str | None]:
    """Each frame field of the header as the letter uses it: the case system's value in the søknad's `sak`
    first, then the policy header's unless the policy marks it unconfirmed; None where neither gives one."""
    case = case or {}
    doubtful = unconfirmed(model)
    return {f: str(case[f]) if case.get(f) else str(model.header[f]) if model.header.get(f) and f not in doubtful
            else None for f in HEADER_FRAME}


def header_texts(model: CheckedPolicy, case: dict | None = None) -> dict[str, str]:
    """The frame fields for letter texts (see `letterhead`), a visible gap for each one missing."""
    form = målform(model)
    return {f: v if v is not None else gap(f, form) for f, v in letterhead(model, case).items()}


@attrs.frozen
class Frame:
    """Sender, recipient and case lines of a letter; `missing` names the fields shown as gaps."""

    sender: tuple[str, ...]
    recipient: tuple[str, ...]
    case_lines: tuple[tuple[str, str], ...]  # (label, value): saksnummer, dato, saksbehandler
    signature: tuple[str, ...]
    automated: bool
    missing: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"avsender": list(self.sender), "mottaker": list(self.recipient),
                "saksopplysninger": [{"navn": k, "verdi": v} for k, v in self.case_lines],
                "signatur": list(self.signature), "automatisert": self.automated, "mangler": list(self.missing)}


WORDS = per_form({
    "gap": ("[mangler: {}]", "[manglar: {}]"),
    "case": {"saksnummer": "Saksnummer", "dato": "Dato", "saksbehandler": ("Saksbehandler", "Saksbehandlar")},
    "sign_off": ("Med hilsen", "Med helsing"),
    "automated": ("Vedtaket er truffet automatisk og har derfor ingen underskrift.",
                  "Vedtaket er gjort automatisk og har difor inga underskrift."),
})


def build_frame(model: CheckedPolicy, facts: dict, document: str) -> Frame:
    """The frame of `document` ("vedtaksbrev", "saksframlegg" or "forespørsel") for these facts."""
    form = målform(model)
    case = facts.get(CASE_FIELD) or {}
    given = letterhead(model, case)
    header = header_texts(model, case)
    missing: list[str] = [f for f in ("kommune", "enhet", "postadresse", "kontakt") if given[f] is None]
    automated = bool(case.get("automatisert")) and document == "vedtaksbrev"

    def case_value(field: str) -> str:
        value = case.get(field)
        if value in (None, ""):
            missing.append(field)
            return gap(field, form)
        return value.strftime("%d.%m.%Y") if isinstance(value, dt.date) else str(value)

    sender = (header["kommune"], header["enhet"], *header["postadresse"].split("\n"), header["kontakt"])
    recipient: tuple[str, ...] = ()
    if document != "saksframlegg":
        recipient = (case_value("søker_navn"), *case_value("søker_adresse").split("\n"))
    labels = WORDS[form]["case"]
    lines = [(labels["saksnummer"], case_value("saksnummer")), (labels["dato"], case_value("dato"))]
    signature: tuple[str, ...] = ()
    if automated:
        if given["automatisering_hjemmel"] is None:
            missing.append("automatisering_hjemmel")
        signature = (WORDS[form]["automated"], header["enhet"], header["kommune"])
    else:
        worker = case_value("saksbehandler")
        lines.append((labels["saksbehandler"], worker))
        if document != "saksframlegg":
            signature = (WORDS[form]["sign_off"], "", worker, header["enhet"], header["kommune"])
    if document == "vedtaksbrev":
        missing += [f for f in ("klageinstans", "klageinstans_adresse") if given[f] is None]
    return Frame(sender, recipient, tuple(lines), signature, automated, tuple(dict.fromkeys(missing)))


# The letterhead fields a vedtaksbrev prints (`automatisering_hjemmel` only in an automated decision).
SIGNED = ("kommune", "enhet", "postadresse", "kontakt", "klageinstans", "klageinstans_adresse")


def unsigned(leaf: ast.PolicyFile, model: CheckedPolicy) -> list[Diagnostic]:
    """B004 warnings (`boligregler sjekk`; for a base model with `--brev`): what a vedtaksbrev under the policy shows as a visible gap,
    each where the author fills it: a letterhead field the header lacks (at the header) or marks `ubekreftet`
    (at that field), and an inherited letter text that writes «[mangler: …]» (at the text), unless its
    condition needs a yes/no parameter the policy never sets (`tilskudd_tilbys og …` where no tilskudd is given)."""
    form, out = målform(model), []
    w = _UNSIGNED[form]
    fields = {f.name: f for f in leaf.header.fields}
    given = letterhead(model, None)
    for name in (f for f in SIGNED if given[f] is None):
        shown = gap(name, form)
        if name in unconfirmed(model):
            out.append(Diagnostic("B004", Severity.WARNING, w["unconfirmed"].format(name=name, shown=shown), leaf.path,
                                  fields["ubekreftet"].value_span, (w["unconfirmed_note"].format(name=name),)))
        else:
            out.append(Diagnostic("B004", Severity.WARNING, w["absent"].format(name=name, shown=shown), leaf.path,
                                  leaf.header.span, (w["absent_note"].format(name=name),)))
    for text in model.letter:
        if shows_gap(text.template) and not _never(text.condition, model):
            shown = next(VISIBLE_GAP.search(p).group() for p in text.template.parts if isinstance(p, str)
                         and VISIBLE_GAP.search(p))
            out.append(Diagnostic("B004", Severity.WARNING,
                                  w["text"].format(name=text.name, policy=text.origin.policy, shown=shown),
                                  text.origin.file, text.origin.span, (w["text_note"].format(name=text.name),)))
    return out


# B004 in the policy's målform: read by the kommune's policy staff, who write the policy in it.
_UNSIGNED = per_form({
    "unconfirmed": ("vedtaksbrevet kan ikke signeres: «{name}» er merket ubekreftet, så brevet skriver «{shown}» der "
                    "søknadens «sak» ikke gir det",
                    "vedtaksbrevet kan ikkje signerast: «{name}» er merkt som ikkje stadfesta, så brevet skriv «{shown}» "
                    "der «sak» i søknaden ikkje gir det"),
    "unconfirmed_note": ("bekreft verdien med kommunen og ta «{name}» ut av «ubekreftet», eller la "
                         "saksbehandlingssystemet gi den i søknadens «sak.{name}»",
                         "stadfest verdien med kommunen og ta «{name}» ut av «ubekreftet», eller la "
                         "saksbehandlingssystemet gi han i «sak.{name}» i søknaden"),
    "absent": ("vedtaksbrevet kan ikke signeres: regelverkshodet har ikke «{name}», så brevet skriver «{shown}» der "
               "søknadens «sak» ikke gir det",
               "vedtaksbrevet kan ikkje signerast: regelverkshovudet har ikkje «{name}», så brevet skriv «{shown}» der "
               "«sak» i søknaden ikkje gir det"),
    "absent_note": ("skriv {name}: \"…\" i regelverkshodet, eller la saksbehandlingssystemet gi det i søknadens "
                    "«sak.{name}»",
                    "skriv {name}: \"…\" i regelverkshovudet, eller la saksbehandlingssystemet gi det i «sak.{name}» "
                    "i søknaden"),
    "text": ("vedtaksbrevet kan ikke signeres når avsnittet «{name}» tas med: teksten fra {policy} skriver «{shown}»",
             "vedtaksbrevet kan ikkje signerast når avsnittet «{name}» kjem med: teksten frå {policy} skriv «{shown}»"),
    "text_note": ("skriv kommunens egen tekst i regelverket: overstyr begrunnelse {{ {name} når …: \"…\" }} med samme "
                  "«når», med hvert tall som en datert parameter med kilde (som tilskudd_nedskrivning i drammen.pol)",
                  "skriv den eigne teksten til kommunen i regelverket: overstyr begrunnelse {{ {name} når …: \"…\" }} "
                  "med same «når», med kvart tal som ein datert parameter med kjelde (som tilskudd_nedskrivning i "
                  "drammen.pol)"),
})


def _never(condition: ast.Expr | None, model: CheckedPolicy) -> bool:
    """Whether a condition needs (as one of its «og» parts) a yes/no parameter whose every dated value is usann."""
    if isinstance(condition, ast.Logical) and condition.op == "og":
        return _never(condition.left, model) or _never(condition.right, model)
    parameter = model.parameters.get(condition.name) if isinstance(condition, ast.Name) else None
    return parameter is not None and all(v.value is False for v in parameter.values)
