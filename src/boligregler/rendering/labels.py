"""Reader-facing Norwegian names for a policy's computations, parameters and tables.

A public page never shows an identifier (`maks_tilskudd_andel`, nor «maks tilskudd andel»). A
definition's name on a page is, in order: a phrase given here for the baseline's names whose doc
comment does not start with a name; the doc comment's opening phrase (`## Maks lån: …` → «Maks lån»,
a leading spec section number dropped); the identifier as words, the last resort for a policy whose
author wrote no doc comment (write one).
"""

from __future__ import annotations

import re

PHRASES = {
    "livsopphold_enslig": "Livsopphold for en enslig voksen",
    "livsopphold_par": "Livsopphold for et par",
    "livsopphold_bofellesskap": "Livsopphold for hver voksen utover to",
    "livsopphold_barn": "Livsopphold per barn",
    "tilskudd_tilbys": "Om kommunen gir tilskudd til etablering",
    "margin_varsel": "Grensen for varsel om liten margin",
    "antall_voksne": "Antall voksne i husstanden",
    "antall_barn": "Antall barn i husstanden",
    "ordinær_løpetid": "Nedbetalingstid uten forlengelse",
    "nedbetalingstid": "Nedbetalingstid",
    "startlån": "Startlån",
    "kalkulasjonsrente": "Fast kalkulasjonsrente",
    "faste_utgifter_sum": "Faste utgifter",
    "tilskudd": "Tilskudd",
}
# The same phrases in nynorsk, for a policy written in nynorsk (`målform: nynorsk`).
PHRASES_NYNORSK = {
    "livsopphold_enslig": "Livsopphald for ein einsleg vaksen",
    "livsopphold_par": "Livsopphald for eit par",
    "livsopphold_bofellesskap": "Livsopphald for kvar vaksen utover to",
    "livsopphold_barn": "Livsopphald per barn",
    "tilskudd_tilbys": "Om kommunen gir tilskot til etablering",
    "margin_varsel": "Grensa for varsel om liten margin",
    "antall_voksne": "Talet på vaksne i hushaldet",
    "antall_barn": "Talet på born i hushaldet",
    "ordinær_løpetid": "Nedbetalingstid utan forlenging",
    "nedbetalingstid": "Nedbetalingstid",
    "startlån": "Startlån",
    "kalkulasjonsrente": "Fast kalkulasjonsrente",
    "faste_utgifter_sum": "Faste utgifter",
    "tilskudd": "Tilskot",
}
MAX_WORDS = 10
_SECTION = re.compile(r"^§\s*\d+(?:\.\d+)*\s*")
_PROPER = ("Norges ", "Husbank", "NAV", "Drammen", "Skien", "Sandnes", "Bergen", "Oslo")


def doc_phrase(doc: str) -> str | None:
    """The opening phrase of a doc comment when it names the definition (at most ten words), else None."""
    text = _SECTION.sub("", " ".join(doc.split()))
    if not text:
        return None
    head = re.split(r"(?<=[^\d])[.:;](?:\s|$)|\s\(", text, maxsplit=1)[0].strip().rstrip(".")
    if len(head.split()) > MAX_WORDS:
        head = head.split(",")[0].strip()
    return head if head and len(head.split()) <= MAX_WORDS else None


def label(name: str, doc: str = "", form: str = "bokmål") -> str:
    """The name of a definition as a reader sees it, capitalised: «Maks lån», «Antall barn i husstanden»;
    `form` "nynorsk" gives the nynorsk phrase where there is one."""
    text = (PHRASES_NYNORSK if form == "nynorsk" else PHRASES).get(name) or doc_phrase(doc) or name.replace("_", " ")
    return text[:1].upper() + text[1:]


def inline(name: str, doc: str = "", form: str = "bokmål") -> str:
    """`label` inside a sentence: the first letter small unless it starts a proper name."""
    text = label(name, doc, form)
    return text if text.startswith(_PROPER) or text[1:2].isupper() else text[:1].lower() + text[1:]


def doc_rest(name: str, doc: str) -> str:
    """A doc comment without the opening phrase that became the definition's label."""
    text = _SECTION.sub("", " ".join(doc.split()))
    phrase = doc_phrase(doc)
    if name in PHRASES or phrase is None or not text.startswith(phrase):
        return text
    return text[len(phrase):].lstrip(" .:;,").strip()


# ---- søknad fields --------------------------------------------------------------------------------
# How a formula names a fact from the søknad: a phrase per field of the national schema, in bokmål
# and nynorsk, keyed by its path with list items under the list's path (`inntekter.type`). A field a
# kommune adds is named by its doc comment's opening phrase, else by its name as words.

FIELDS: dict[str, tuple[str, str]] = {
    "søknadsdato": ("søknadsdatoen", "søknadsdatoen"),
    "husstand": ("husstanden", "hushaldet"),
    "bolig": ("boligen", "bustaden"),
    "banklån": ("lånet i banken", "lånet i banken"),
    "skjønn": ("saksbehandlers vurderinger", "vurderingane til saksbehandlaren"),
    "tilknytning": ("tilknytningen til kommunen", "tilknytinga til kommunen"),
    "formål": ("formålet med lånet", "føremålet med lånet"),
    "husstand.voksne": ("voksne i husstanden", "vaksne i hushaldet"),
    "husstand.voksne.alder": ("den voksnes alder", "alderen til den vaksne"),
    "husstand.barn": ("barn i husstanden", "born i hushaldet"),
    "husstand.barn.alder": ("barnets alder", "alderen til barnet"),
    "husstand.særlige_behov": ("husstanden har særlige behov", "hushaldet har særlege behov"),
    "inntekter": ("inntekter", "inntekter"),
    "inntekter.type": ("inntektens type", "typen inntekt"),
    "inntekter.netto_per_måned": ("inntektens beløp per måned etter skatt", "beløpet per månad etter skatt"),
    "faste_utgifter": ("faste utgifter", "faste utgifter"),
    "faste_utgifter.type": ("utgiftens type", "typen utgift"),
    "faste_utgifter.per_måned": ("utgiftens beløp per måned", "beløpet per månad"),
    "livsopphold_per_måned": ("saksbehandlers anslag over livsopphold per måned",
                              "anslaget til saksbehandlaren over livsopphald per månad"),
    "bolig.kjøpesum": ("kjøpesummen", "kjøpesummen"),
    "bolig.kostnad": ("kostnaden", "kostnaden"),
    "bolig.eierform": ("eierformen", "eigarforma"),
    "bolig.fellesgjeld": ("fellesgjelden", "fellesgjelda"),
    "bolig.boutgifter_per_måned": ("boutgiftene per måned", "buutgiftene per månad"),
    "bolig.i_kommunen": ("boligen ligger i kommunen", "bustaden ligg i kommunen"),
    "bolig.kommunal_utleiebolig": ("boligen er den kommunale utleieboligen søkeren leier",
                                   "bustaden er den kommunale utleigebustaden søkjaren leiger"),
    "egenkapital": ("egenkapitalen", "eigenkapitalen"),
    "banklån.beløp": ("lånet fra banken", "lånet frå banken"),
    "banklån.terminbeløp_per_måned": ("terminbeløpet på banklånet per måned", "terminbeløpet på banklånet per månad"),
    "ønsket_nedbetalingstid_år": ("nedbetalingstiden søkeren ønsker", "nedbetalingstida søkjaren ønskjer"),
    "ordning": ("ordningen det søkes om", "ordninga det blir søkt om"),
    "skjønn.avslag_fra_banker": ("antall banker som har avslått søknad om boliglån",
                                 "talet på bankar som har avslått søknad om bustadlån"),
    "skjønn.langvarige_finansieringsproblemer": ("søkeren har langvarige problemer med å finansiere bolig",
                                                 "søkjaren har langvarige problem med å finansiere bustad"),
    "skjønn.spareevne_utnyttet": ("søkeren har utnyttet evnen til å spare", "søkjaren har utnytta evna til å spare"),
    "skjønn.stabil_bosituasjon_haster": ("en stabil bosituasjon haster", "ein stabil busituasjon hastar"),
    "skjønn.fare_for_tvangssalg": ("husstanden står i fare for tvangssalg", "hushaldet står i fare for tvangssal"),
    "skjønn.hindrer_arbeid": ("boligsituasjonen hindrer arbeid", "busituasjonen hindrar arbeid"),
    "skjønn.frigjør_kommunal_bolig": ("kjøpet frigjør en kommunal utleiebolig", "kjøpet frigjer ein kommunal utleigebustad"),
    "skjønn.varig_lav_inntekt": ("husstanden har varig lav inntekt", "hushaldet har varig låg inntekt"),
    "skjønn.boligen_egnet_og_nøktern": ("boligen er egnet og nøktern", "bustaden er eigna og nøktern"),
    "tilknytning.folkeregistrert_i_kommunen": ("søkeren er folkeregistrert i kommunen",
                                               "søkjaren er folkeregistrert i kommunen"),
    "tilknytning.botid_måneder": ("botiden i kommunen", "butida i kommunen"),
    "tilknytning.leietaker_i_kommunal_bolig": ("søkeren leier en kommunal bolig", "søkjaren leiger ein kommunal bustad"),
    "tilknytning.mottar_sosialhjelp": ("søkeren mottar sosialhjelp", "søkjaren får sosialhjelp"),
    "tilknytning.eier_bolig_eller_fritidsbolig": ("søkeren eier bolig eller fritidsbolig",
                                                  "søkjaren eig bustad eller fritidsbustad"),
}
# A list in a sum, count or test over its items: (every item, some item), bokmål and nynorsk.
LISTS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "husstand.voksne": (("hver voksen i husstanden", "en voksen i husstanden"),
                        ("kvar vaksen i hushaldet", "ein vaksen i hushaldet")),
    "husstand.barn": (("hvert barn i husstanden", "et barn i husstanden"), ("kvart barn i hushaldet", "eit barn i hushaldet")),
    "inntekter": (("hver inntekt", "en inntekt"), ("kvar inntekt", "ei inntekt")),
    "faste_utgifter": (("hver faste utgift", "en fast utgift"), ("kvar fast utgift", "ei fast utgift")),
}


def field(key: str, doc: str = "", form: str = "bokmål") -> str:
    """The name of a søknad field (`key`: its path, list items under the list) inside a sentence."""
    if key in FIELDS:
        return FIELDS[key][form == "nynorsk"]
    phrase = doc_phrase(doc) if doc else None
    if phrase is not None:
        return phrase if phrase.startswith(_PROPER) or phrase[1:2].isupper() else phrase[:1].lower() + phrase[1:]
    return key.rsplit(".", 1)[-1].replace("_", " ")


def list_items(key: str, form: str = "bokmål") -> tuple[str, str] | None:
    """(every item, some item) of a list field of the søknad, or None for a list the table does not know."""
    words = LISTS.get(key)
    return None if words is None else words[form == "nynorsk"]
