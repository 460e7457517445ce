"""The national baseline's texts in nynorsk, for the pages of a policy written in nynorsk.

`nasjonal_nynorsk.pol` restates in nynorsk what a reader of a decision sees (the criteria, the
letter, the changes it may suggest, the søknad's facts) without changing a rule. The rest of what a
policy page shows from `nasjonal.pol` is documentation: the doc comments of its parameters, tables
and computations, and the source of each dated value. Their nynorsk wording lives here, keyed by the
bokmål text exactly as `nasjonal.pol` writes it (whitespace folded), so a page never restates a rule
to translate it. A doc comment or source that is edited in `nasjonal.pol` and not here shows in
bokmål until it is added; a test lists every national text without its nynorsk form.
"""

from __future__ import annotations

from typing import Any

from boligregler.explain.frame import målform

DOCS = {
    "Norges Banks styringsrente.": "Styringsrenta til Noregs Bank.",
    "Påslag på styringsrenten når betjeningsevnen stresstestes.":
        "Påslag på styringsrenta når betjeningsevna blir stresstesta.",
    "Husbankens flytende rente på startlån, som kommunen låner videre til låntakeren.":
        "Den flytande renta til Husbanken på startlån, som kommunen lånar vidare til låntakaren.",
    "Kommunens påslag på Husbankens rente: inntil 0,25 prosentpoeng etter forskriften § 8-2 tiende ledd.":
        "Påslaget kommunen legg på renta til Husbanken: inntil 0,25 prosentpoeng etter forskrifta § 8-2 tiande ledd.",
    "Statens veiledende satser for økonomisk stønad, per måned.":
        "Dei rettleiande satsane frå staten for økonomisk stønad, per månad.",
    "Sats for hver voksen utover to (person i bofellesskap).": "Sats for kvar vaksen utover to (person i bufellesskap).",
    "Tinglysingsgebyr per dokument.": "Tinglysingsgebyr per dokument.",
    "Dokumentavgift ved overføring av selveid fast eiendom.": "Dokumentavgift ved overføring av sjølveigd fast eigedom.",
    "Antall dokumenter som tinglyses ved kjøp: skjøte og pantedokument.":
        "Talet på tinglyste dokument ved kjøp: skøyte og pantedokument.",
    "Antall dokumenter som tinglyses ved oppføring, utbedring og refinansiering: pantedokumentet.":
        "Talet på tinglyste dokument ved oppføring, utbetring og refinansiering: pantedokumentet.",
    "Ordinær lengste nedbetalingstid.": "Ordinær lengste nedbetalingstid.",
    "Lengste nedbetalingstid når forlenget nedbetalingstid er innvilget.":
        "Lengste nedbetalingstid når forlengd nedbetalingstid er innvilga.",
    "Buffer av egenkapital søkeren får beholde, målt i månedsinntekter.":
        "Buffer av eigenkapital søkjaren får behalde, målt i månadsinntekter.",
    "Andelen av leieinntekt som regnes med: 10 av 12 måneder.":
        "Delen av leigeinntekt som blir rekna med: 10 av 12 månader.",
    "Inntektstyper som regnes med i betjeningsevnen.": "Inntektstypar som blir rekna med i betjeningsevna.",
    "Kommunens egen livsoppholdsnorm. Nasjonalt finnes ingen slik norm utover statens satser.":
        "Den eigne livsopphaldsnorma til kommunen. Nasjonalt finst det inga slik norm utover satsane frå staten.",
    "Tilskudd til etablering er en kommunal ordning; nasjonalt gis det ikke tilskudd.":
        "Tilskot til etablering er ei kommunal ordning; nasjonalt blir det ikkje gitt tilskot.",
    "Største tilskudd som andel av kjøpesummen eller kostnaden.":
        "Største tilskot som del av kjøpesummen eller kostnaden.",
    "Under denne marginen (disponibelt minus terminbeløp) varsler brevet om at marginen er liten. Terskelen er "
    "grunnmodellens eget valg, ikke et krav i forskriften; kommunen bør sette sin egen.":
        "Under denne marginen (disponibelt minus terminbeløp) varslar brevet om at marginen er liten. Terskelen er "
        "eit val grunnmodellen sjølv har gjort, ikkje eit krav i forskrifta; kommunen bør setje sin eigen.",
    "Svarfristen i en forespørsel om opplysninger: dagene søkeren får til å sende det søknaden venter på.":
        "Svarfristen i ein førespurnad om opplysningar: dagane søkjaren får til å sende det søknaden ventar på.",
    "Sats per barn etter alder.": "Sats per barn etter alder.",
    "Antall voksne og barn i husstanden.": "Talet på vaksne og born i hushaldet.",
    "§ 2.1 Livsoppholdsnorm etter statens satser.": "Livsopphaldsnorm etter satsane frå staten.",
    "Livsopphold: det høyeste av normen, kommunens norm og saksbehandlers anslag.":
        "Livsopphald: det høgaste av norma, norma til kommunen og anslaget til saksbehandlaren.",
    "§ 2.2 Tellende inntekt. Leieinntekt regnes med for ti av tolv måneder.":
        "Inntekt som blir rekna med. Leigeinntekt blir rekna med for ti av tolv månader.",
    "§ 2.3 Faste utgifter, medregnet terminbeløpet på banklånet.":
        "Faste utgifter, medrekna terminbeløpet på banklånet.",
    "§ 2.4 Disponibelt beløp til å betjene startlånet.": "Disponibelt beløp til å betene startlånet.",
    "Grunnlaget for lånet: kjøpesum ved kjøp og oppføring, ellers kostnaden.":
        "Grunnlaget for lånet: kjøpesum ved kjøp og oppføring, elles kostnaden.",
    "§ 2.5 Omkostninger: dokumentavgift (selveier) og tinglysing.":
        "Omkostningar: dokumentavgift (sjølveigar) og tinglysing.",
    "§ 2.6 Egenkapital som brukes: det som overstiger bufferen.":
        "Eigenkapital som blir brukt: det som er meir enn bufferen.",
    "§ 2.7 Lånebehov. Fellesgjeld finansieres ikke.": "Lånebehov. Fellesgjeld blir ikkje finansiert.",
    "§ 2.8 Renten betjeningsevnen beregnes med.": "Renta betjeningsevna blir rekna med.",
    "Lånets egen rente: Husbankens rente pluss kommunens påslag (forskriften § 8-2). Den er ikke renten "
    "betjeningsevnen prøves med, og en endring i stresstesten er aldri et rentepåslag.":
        "Den eigne renta til lånet: renta til Husbanken pluss påslaget til kommunen (forskrifta § 8-2). Ho er ikkje "
        "renta betjeningsevna blir prøvd med, og ei endring i stresstesten er aldri eit rentepåslag.",
    "§ 2.10 Lengste tillatte nedbetalingstid.": "Lengste tillatne nedbetalingstid.",
    "Maks lån over den ordinære løpetiden.": "Maks lån over den ordinære løpetida.",
    "En løpetid er aldri lengre enn nødvendig.": "Ei løpetid er aldri lengre enn nødvendig.",
    "§ 2.11 Maks lån: nåverdien av det disponible beløpet, nedrundet til hele tusen.":
        "Maks lån: noverdien av det disponible beløpet, runda ned til heile tusen.",
    "Tilskudd som trengs for å dekke lånebehovet, rundet opp til hele tusen.":
        "Tilskot som trengst for å dekkje lånebehovet, runda opp til heile tusen.",
    "§ 2.12 Tilskudd der kommunen tilbyr det, innenfor kommunens grense.":
        "Tilskot der kommunen tilbyr det, innanfor grensa til kommunen.",
    "§ 2.13 Startlån, terminbeløp og margin.": "Startlån, terminbeløp og margin.",
    "Terminbeløp og margin for hele lånebehovet, slik det rapporteres ved avslag.":
        "Terminbeløp og margin for heile lånebehovet, slik det blir rapportert ved avslag.",
}

SOURCES = {
    "Norges Bank, rentebeslutning 13. desember 2023": "Noregs Bank, rentevedtak 13. desember 2023",
    "Norges Bank, rentebeslutning 18. juni 2025": "Noregs Bank, rentevedtak 18. juni 2025",
    "Norges Bank, rentebeslutning 17. september 2025": "Noregs Bank, rentevedtak 17. september 2025",
    "Husbanken, veileder for startlån: kalkulasjonsrente": "Husbanken, rettleiar for startlån: kalkulasjonsrente",
    "Husbanken, renter: flytende rente 4,554 % til 30. juni 2024 (renten endres 1. januar, mars, mai, juli, "
    "september og november)":
        "Husbanken, renter: flytande rente 4,554 % til 30. juni 2024 (renta blir endra 1. januar, mars, mai, juli, "
        "september og november)",
    "Husbanken, renter: ny flytende rente fra 1. juli 2024": "Husbanken, renter: ny flytande rente frå 1. juli 2024",
    "Forskrift om lån fra Husbanken § 8-2 tiende ledd: kommunen kan legge inntil 0,25 prosentpoeng på Husbankens "
    "rente; uten lokale retningslinjer legges det ikke noe på":
        "Forskrift om lån frå Husbanken § 8-2 tiande ledd: kommunen kan leggje inntil 0,25 prosentpoeng på renta "
        "til Husbanken; utan lokale retningslinjer blir det ikkje lagt noko på",
    "Statlige veiledende retningslinjer for økonomisk stønad 2023":
        "Statlege rettleiande retningslinjer for økonomisk stønad 2023",
    "Statlige veiledende retningslinjer for økonomisk stønad 2024":
        "Statlege rettleiande retningslinjer for økonomisk stønad 2024",
    "Kartverket, gebyr for tinglysing 2024": "Kartverket, gebyr for tinglysing 2024",
    "Kartverket, gebyr for tinglysing 2025": "Kartverket, gebyr for tinglysing 2025",
    "Lov om dokumentavgift og Stortingets vedtak om dokumentavgift":
        "Lov om dokumentavgift og vedtaket til Stortinget om dokumentavgift",
    "Husbanken, veileder for startlån: omkostninger (skjøte og pantedokument)":
        "Husbanken, rettleiar for startlån: omkostningar (skøyte og pantedokument)",
    "Husbanken, veileder for startlån: omkostninger (pantedokument)":
        "Husbanken, rettleiar for startlån: omkostningar (pantedokument)",
    "Forskrift om lån fra Husbanken § 8-5": "Forskrift om lån frå Husbanken § 8-5",
    "Husbanken, veileder for startlån: egenkapital og formue": "Husbanken, rettleiar for startlån: eigenkapital og formue",
    "Husbanken, veileder for startlån: ulike typer inntekt": "Husbanken, rettleiar for startlån: ulike typar inntekt",
    "Forskrift om lån fra Husbanken kapittel 5: ingen kommunal norm uten lokale retningslinjer":
        "Forskrift om lån frå Husbanken kapittel 5: inga kommunal norm utan lokale retningslinjer",
    "Forskrift om tilskudd til etablering: kommunen avgjør om den tilbyr tilskudd":
        "Forskrift om tilskot til etablering: kommunen avgjer om han tilbyr tilskot",
    "Forskrift om tilskudd til etablering: kommunen fastsetter eventuell grense":
        "Forskrift om tilskot til etablering: kommunen fastset ei eventuell grense",
    "Grunnmodellens terskel for varsel om liten margin; forskriften § 5-4 første ledd krever bare at søkeren kan "
    "betjene lånet og har nødvendige midler til livsopphold":
        "Terskelen grunnmodellen bruker for varsel om liten margin; forskrifta § 5-4 første ledd krev berre at "
        "søkjaren kan betene lånet og har nødvendige midlar til livsopphald",
    "Forvaltningsloven § 17: saken skal være så godt opplyst som mulig før vedtak treffes; grunnmodellen bruker tre "
    "uker, som klagefristen, til kommunen fastsetter sin egen frist":
        "Forvaltningslova § 17: saka skal vere så godt opplyst som mogleg før vedtak blir gjort; grunnmodellen bruker "
        "tre veker, som klagefristen, til kommunen fastset sin eigen frist",
}


def _folded(text: str) -> str:
    return " ".join(text.split())


def national_text(model: Any, definition: Any, text: str | None, table: dict[str, str]) -> str:
    """`text` (a doc comment or a source of `definition`) as a page of `model` shows it: in nynorsk when the
    policy is written in nynorsk and the text comes from the national baseline (the root of its chain)."""
    if not text or målform(model) != "nynorsk" or getattr(definition, "origin", None) is None \
            or definition.origin.policy != model.chain[0]:
        return text or ""
    return table.get(_folded(text), text)


def doc(model: Any, definition: Any) -> str:
    """The doc comment of a parameter, table or computation of `model`, in the page's målform."""
    return national_text(model, definition, getattr(definition, "doc", "") if definition is not None else "", DOCS)


def source(model: Any, definition: Any, text: str | None) -> str:
    """The source of one of `definition`'s dated values, in the page's målform."""
    return national_text(model, definition, text, SOURCES)
