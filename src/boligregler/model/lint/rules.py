"""The legality rules: each `L` code with what it reports, its legal basis and the usual fix."""

from __future__ import annotations

import attrs

from boligregler.diagnostics import Diagnostic, LegalBasis, Severity, Span

FORSKRIFT = "Forskrift om lån fra Husbanken (FOR-2019-11-18-1546)"
VEILEDER = "Husbankens veileder for startlån"
LDL = "Likestillings- og diskrimineringsloven"

_ABSOLUTE = LegalBasis(
    f"{FORSKRIFT} og {VEILEDER}", "§ 9-1 annet ledd",
    "Kommunen kan gi egne retningslinjer i samsvar med forskriften; retningslinjene kan ikke være "
    "absolutte, men må alltid åpne for unntak (veilederen, «Kommunale retningslinjer kan ikke være absolutte»)")
_SURVIVES = LegalBasis(
    FORSKRIFT, "§ 9-1 annet ledd",
    "Kommunale retningslinjer skal være i samsvar med forskriften: vilkårene i forskriften gjelder i "
    "hver sak og kan verken fjernes, lempes eller gjøres til skjønn")


@attrs.frozen
class Rule:
    code: str
    title: str  # the short label `sjekk` shows in its code table
    basis: LegalBasis
    fix: str


MAKE_MAIN_RULE = ("skriv «art: hovedregel», så går en søknad som ikke oppfyller vilkåret, til manuell "
                  "vurdering i stedet for avslag")

RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("L001", "absolutt kommunalt vilkår", _ABSOLUTE, MAKE_MAIN_RULE),
    Rule("L002", "aldersgrense", LegalBasis(
        f"{VEILEDER} og {LDL}", "§ 6 (alder)",
        "Startlån har ingen aldersgrense utover myndighetsalderen (18 år); kommunale retningslinjer kan "
        "ikke være i strid med annet regelverk"),
        "fjern aldersgrensen; alder kan bare brukes til å kreve at søkeren er myndig (18 år)"),
    Rule("L003", "statsborgerskap eller nasjonalitet", LegalBasis(
        f"{LDL} og {VEILEDER}", "§ 6 (nasjonal opprinnelse)",
        "Statsborgerskap er ikke et vilkår for startlån; å utelukke søkere etter statsborgerskap eller "
        "opprinnelse, f.eks. søkere utenfor EØS, er usaklig og diskriminerende"),
        "fjern bruken av opplysningen; lovlig opphold vurderes etter forskriften, ikke etter nasjonalitet"),
    Rule("L004", "rentepåslag over 0,25 prosentpoeng", LegalBasis(
        FORSKRIFT, "§ 8-2 tiende ledd",
        "Kommunen kan legge inntil 0,25 prosentpoeng på Husbankens rente for å dekke sine administrasjonskostnader"),
        "sett kommunens påslag (kommunalt_rentepåslag) til høyst 0,25 prosentpoeng over Husbankens rente"),
    Rule("L005", "absolutt krav om botid", LegalBasis(
        VEILEDER, "veiledningen til § 9-1 annet ledd",
        "Krav om botid er lovlig bare når det åpner for unntak, i hvert fall for husstander i akutte bosituasjoner"),
        MAKE_MAIN_RULE),
    Rule("L006", "absolutt inntektsgrense", LegalBasis(
        VEILEDER, "«Kommunale retningslinjer kan ikke være absolutte»",
        "«Inntekt over 4,5 G gir ikke lån» er ulovlig som absolutt regel, mens «inntekt under 4,5 G "
        "prioriteres som hovedregel» er lovlig"), MAKE_MAIN_RULE),
    Rule("L007", "absolutt pristak", LegalBasis(
        f"{FORSKRIFT} og {VEILEDER}", "§ 9-1 annet ledd",
        "En lokal grense for kjøpesum er lovlig, men som alle lokale regler må den åpne for unntak"),
        MAKE_MAIN_RULE),
    Rule("L008", "absolutt krav om egenkapital", LegalBasis(
        VEILEDER, "«Egenkapital og formue»",
        "Kommunen kan kreve at en del av egenkapitalen brukes, men ikke alt; søkeren bør beholde minst to "
        "netto månedslønner, og en kommunal regel om egenkapital må åpne for unntak"), MAKE_MAIN_RULE),
    Rule("L009", "nasjonalt vilkår fjernet", _SURVIVES,
         "fjern «fjern vilkår …»; et nasjonalt vilkår gjelder i alle ordninger"),
    Rule("L010", "nasjonalt vilkår ikke lenger absolutt", _SURVIVES,
         "behold «art: absolutt» i vilkår som gjengir forskriften"),
    Rule("L011", "nasjonalt vilkår lempet eller endret", _SURVIVES,
         "behold betingelsen fra grunnmodellen; skriv lokale krav som egne vilkår med «art: hovedregel»"),
    Rule("L012", "lokalt krav i et nasjonalt vilkår", _ABSOLUTE,
         "behold betingelsen fra grunnmodellen, og skriv det lokale kravet som et eget vilkår med «art: hovedregel»"),
    Rule("L013", "endret «relevant når» eller unntak i et nasjonalt vilkår", _SURVIVES,
         "behold «relevant når» og unntakene fra grunnmodellen; forskriftens unntak er uttømmende"),
    Rule("L014", "utfallsregel som gir avslag uten absolutt vilkår", _ABSOLUTE,
         "behold utfallsregelen fra grunnmodellen: avslag bare når et absolutt vilkår ikke er oppfylt"),
    Rule("L015", "livsopphold under statens satser", LegalBasis(
        VEILEDER, "«Beregne betjeningsevnen for startlån»",
        "Beløp til livsopphold må minimum utgjøre veiledende sats for økonomisk sosialhjelp"),
        "la livsoppholdet være minst statens veiledende satser (livsoppholdsnorm); en kommunal norm kan bare være høyere"),
    Rule("L016", "nedbetalingstid kortere enn forskriften tillater", LegalBasis(
        FORSKRIFT, "§ 8-5",
        "Lånet kan ha nedbetalingstid inntil 30 år, og inntil 50 år når vilkårene for forlenget "
        "nedbetalingstid er oppfylt; kommunale retningslinjer kan ikke utelukke 50 år (veilederen)"),
        "behold forlenget nedbetalingstid på minst 50 år; en kortere tid kan bare være en hovedregel"),
    Rule("L017", "inntektstype som ikke lenger regnes med", LegalBasis(
        VEILEDER, "«Ulike typer inntekt»",
        "Fast arbeidsinntekt og varige ytelser (uføretrygd, alderspensjon) regnes med i betjeningsevnen; "
        "bare midlertidige inntekter kan etter skjønn holdes utenfor"),
        "regn med inntektstypen som i grunnmodellen"),
    Rule("L018", "vilkår på diskrimineringsgrunnlag", LegalBasis(
        LDL, "§ 6",
        "Diskriminering på grunn av kjønn, graviditet, etnisitet (herunder nasjonal opprinnelse), religion, "
        "livssyn, funksjonsnedsettelse, seksuell orientering, kjønnsidentitet, kjønnsuttrykk eller alder er forbudt"),
        "fjern bruken av opplysningen"),
    Rule("L019", "prioritert gruppe brukt mot søkeren", LegalBasis(
        FORSKRIFT, "§ 5-4 annet ledd bokstav a",
        "Kommunen kan gi startlån når husstanden har barn eller særlige sosiale eller helsemessige "
        "utfordringer; barnefamilier og personer med særlige behov skal prioriteres, ikke stenges ute"),
        "fjern kravet; barn og særlige behov kan bare tale for søkeren"),
    Rule("L020", "kommunal endring i det et absolutt vilkår bygger på", _ABSOLUTE,
         "behold den nasjonale beregningen, og skriv den lokale regelen som et eget vilkår med «art: hovedregel»"),
    Rule("L021", "søknad som får avslag bare etter kommunens regler", _SURVIVES,
         "rett endringen slik at søknaden i eksempelet ikke får avslag på et vilkår i forskriften, "
         "eller skriv den lokale regelen som et eget vilkår med «art: hovedregel»"),
    Rule("K001", "søknadsfelt uten kategori", LegalBasis(
        f"{LDL} og {VEILEDER}", "§ 6",
        "Kommunale retningslinjer må være saklige; hver opplysning kommunen ber om, skal ha et saklig formål"),
        "skriv «## kategori: økonomi» (eller bolig, tilknytning, husstand, saksbehandling) i doc-kommentaren til feltet"),
)}

CATEGORIES = ("økonomi", "bolig", "tilknytning", "husstand", "saksbehandling")


def finding(code: str, message: str, file: str, span: Span | None, *, notes=(), related=(),
            witness: dict | None = None, severity: Severity = Severity.ERROR, fix: str | None = None) -> Diagnostic:
    """A legality finding with its rule's legal basis and fix."""
    rule = RULES[code]
    basis = rule.basis
    text = f"{message}. {basis.kilde} {basis.paragraf}: {basis.setning}"
    return Diagnostic(code, severity, text, file, span, tuple(notes), tuple(related),
                      legal_basis=basis, fix=fix or rule.fix, witness=witness)
