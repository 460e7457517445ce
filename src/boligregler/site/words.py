"""The site's own words in the policy's målform: bokmål is the source text, `NYNORSK` its nynorsk.

`say(text, form)` gives `text` in `form` ("bokmål" or "nynorsk", from the policy header's
`målform`, see `boligregler.explain.frame.målform`). Texts with `{holes}` are formatted after.
The test suite checks that every text the calculator and the summary use has a nynorsk form.
"""

from __future__ import annotations

NYNORSK: dict[str, str] = {
    # the calculator's questions
    "Dato": "Dato",
    "Reglene slik de gjelder i dag er brukt.": "Reglane slik dei gjeld i dag er brukte.",
    "Hva skal lånet brukes til?": "Kva skal lånet brukast til?",
    "Voksne i husstanden": "Vaksne i hushaldet",
    "Alle voksne som skal bo i boligen, søker sammen.": "Alle vaksne som skal bu i bustaden, søkjer saman.",
    "Legg til en voksen": "Legg til ein vaksen",
    "Alder": "Alder",
    "Barn under 18 år": "Born under 18 år",
    "Legg til et barn": "Legg til eit barn",
    "Har noen i husstanden særlige sosiale eller helsemessige utfordringer?":
        "Har nokon i hushaldet særlege sosiale eller helsemessige utfordringar?",
    "For eksempel sykdom eller funksjonsnedsettelse som gjør at dere trenger en bestemt bolig.":
        "Til dømes sjukdom eller funksjonsnedsetjing som gjer at de treng ein bestemd bustad.",
    "Inntekter per måned, etter skatt": "Inntekter per månad, etter skatt",
    "Legg til en inntekt": "Legg til ei inntekt",
    "Hver inntekt for seg: lønn, trygd, stønader, barnetrygd og annet.":
        "Kvar inntekt for seg: løn, trygd, stønader, barnetrygd og anna.",
    "Type inntekt": "Type inntekt",
    "Beløp per måned etter skatt (kr)": "Beløp per månad etter skatt (kr)",
    "Faste utgifter per måned": "Faste utgifter per månad",
    "Legg til en utgift": "Legg til ei utgift",
    "Andre lån dere betaler på, barnehage, SFO og barnebidrag dere betaler.":
        "Andre lån de betaler på, barnehage, SFO og barnebidrag de betaler.",
    "Type utgift": "Type utgift",
    "Beløp per måned (kr)": "Beløp per månad (kr)",
    "Utgifter til livsopphold": "Utgifter til livsopphald",
    "Utgiftene til livsopphold er regnet etter statens satser for husstanden. Kommunen kan regne med mer hvis dere faktisk bruker mer.":
        "Utgiftene til livsopphald er rekna etter satsane til staten for hushaldet. Kommunen kan rekne med meir "
        "dersom de faktisk bruker meir.",
    "Prisen på boligen (kr)": "Prisen på bustaden (kr)",
    "For borettslag: prisen for andelen, uten fellesgjelden.": "For burettslag: prisen for delen, utan fellesgjelda.",
    "Kostnaden (kr)": "Kostnaden (kr)",
    "Hva arbeidet koster, eller gjelden som skal refinansieres.": "Kva arbeidet kostar, eller gjelda som skal refinansierast.",
    "Eierform": "Eigarform",
    "Fellesgjeld (kr)": "Fellesgjeld (kr)",
    "Bare for borettslag og aksjeleiligheter.": "Berre for burettslag og aksjeleilegheiter.",
    "Boutgifter per måned (kr)": "Buutgifter per månad (kr)",
    "Felleskostnader, strøm, forsikring, kommunale avgifter og vedlikehold.":
        "Felleskostnader, straum, forsikring, kommunale avgifter og vedlikehald.",
    "Ligger boligen i kommunen?": "Ligg bustaden i kommunen?",
    "Er boligen den kommunale utleieboligen dere leier nå?": "Er bustaden den kommunale utleigebustaden de leiger no?",
    "Egne sparepenger til boligkjøpet (kr)": "Eigne sparepengar til bustadkjøpet (kr)",
    "Lån banken vil gi dere (kr)": "Lån banken vil gi dykk (kr)",
    "Hvis banken gir et lån og startlånet skal dekke resten. Ellers 0.":
        "Dersom banken gir eit lån og startlånet skal dekkje resten. Elles 0.",
    "Månedlig betaling på banklånet (kr)": "Månadleg betaling på banklånet (kr)",
    "Hvor mange år vil dere betale ned lånet over?": "Kor mange år vil de betale ned lånet over?",
    "Hvilken ordning vil dere søke?": "Kva ordning vil de søkje?",
    "Hvor mange banker har sagt nei til å gi dere boliglån?": "Kor mange bankar har sagt nei til å gi dykk bustadlån?",
    "Har dere over lang tid ikke klart å skaffe egnet bolig med lån fra bank?":
        "Har de over lang tid ikkje klart å skaffe eigna bustad med lån frå bank?",
    "Vi antar at dere over lang tid ikke har klart å finansiere en bolig selv. Kommunen vurderer dette.":
        "Vi går ut frå at de over lang tid ikkje har klart å finansiere ein bustad sjølve. Kommunen vurderer dette.",
    "Har dere spart det dere kan?": "Har de spart det de kan?",
    "Vi antar at dere har spart det dere kan. Kommunen vurderer dette.":
        "Vi går ut frå at de har spart det de kan. Kommunen vurderer dette.",
    "Haster det å få en stabil bosituasjon, for eksempel for barna?":
        "Hastar det å få ein stabil busituasjon, til dømes for borna?",
    "Vi antar at det ikke er særlig hastverk. Kommunen vurderer dette.":
        "Vi går ut frå at det ikkje hastar særleg. Kommunen vurderer dette.",
    "Står dere i fare for å miste boligen dere eier (tvangssalg)?":
        "Står de i fare for å miste bustaden de eig (tvangssal)?",
    "Vi antar at dere ikke står i fare for tvangssalg.": "Vi går ut frå at de ikkje står i fare for tvangssal.",
    "Hindrer boligsituasjonen noen i husstanden i å ta arbeid?":
        "Hindrar busituasjonen nokon i hushaldet i å ta arbeid?",
    "Vi antar at boligsituasjonen ikke hindrer noen i å ta arbeid.":
        "Vi går ut frå at busituasjonen ikkje hindrar nokon i å ta arbeid.",
    "Flytter dere ut av en kommunal utleiebolig, eller kjøper den dere leier?":
        "Flyttar de ut av ein kommunal utleigebustad, eller kjøper de den de leiger?",
    "Vi antar at lånet ikke frigjør en kommunal utleiebolig, med mindre dere har svart at dere kjøper den dere leier.":
        "Vi går ut frå at lånet ikkje frigjer ein kommunal utleigebustad, med mindre de har svart at de kjøper den "
        "de leiger.",
    "Vil inntekten være lav også i årene fremover (for eksempel uføretrygd)?":
        "Vil inntekta vere låg også i åra framover (til dømes uføretrygd)?",
    "Vi antar at inntekten ikke er varig lav.": "Vi går ut frå at inntekta ikkje er varig låg.",
    "Passer boligen for husstanden, uten å være dyrere enn nødvendig?":
        "Passar bustaden for hushaldet, utan å vere dyrare enn naudsynt?",
    "Vi antar at kommunen vurderer boligen som egnet og nøktern for husstanden.":
        "Vi går ut frå at kommunen vurderer bustaden som eigna og nøktern for hushaldet.",
    "Er dere folkeregistrert i kommunen?": "Er de folkeregistrerte i kommunen?",
    "Hvor mange måneder har dere bodd i kommunen?": "Kor mange månader har de budd i kommunen?",
    "Leier dere en kommunal bolig nå?": "Leiger de ein kommunal bustad no?",
    "Får dere økonomisk sosialhjelp nå?": "Får de økonomisk sosialhjelp no?",
    "Eier dere bolig eller fritidsbolig fra før?": "Eig de bustad eller fritidsbustad frå før?",
    # groups and choices
    "Husstanden": "Hushaldet", "Boligen": "Bustaden", "Lån i bank": "Lån i bank", "Banker og behov": "Bankar og behov",
    "Tilknytning til kommunen": "Tilknyting til kommunen",
    "Kjøpe bolig": "Kjøpe bustad", "Utbedre boligen": "Utbetre bustaden", "Bygge bolig": "Byggje bustad",
    "Refinansiere boliglån": "Refinansiere bustadlån", "Selveier": "Sjølveigar", "Borettslag (andel)": "Burettslag (del)",
    "Aksjeleilighet": "Aksjeleilegheit", "Lønn": "Løn", "Næringsinntekt": "Næringsinntekt", "SFO": "SFO",
    "Annet": "Anna", "Forbrukslån eller kredittkort": "Forbrukslån eller kredittkort", "Billån": "Billån",
    "Ja": "Ja", "Nei": "Nei", "Velg": "Vel", "Vet ikke: la kommunen vurdere": "Veit ikkje: la kommunen vurdere",
    "Fjern": "Fjern", "Fjern linje {n} i «{list}»": "Fjern linje {n} i «{list}»", "Legg til": "Legg til",
    # the form
    "Hva kan vi låne?": "Kva kan vi låne?",
    "Fyll inn opplysningene om husstanden og boligen dere ser på, så regner kalkulatoren ut svaret etter {place}s "
    "egne regler: om dere ser ut til å kunne få startlån, hvor mye, høyeste boligpris, hva det koster i måneden og "
    "hva som kunne endret svaret. Det du skriver blir i nettleseren din og sendes ikke noe sted. Svaret er et "
    "anslag, ikke et vedtak.":
        "Fyll inn opplysningane om hushaldet og bustaden de ser på, så reknar kalkulatoren ut svaret etter dei "
        "eigne reglane til {place}: om de ser ut til å kunne få startlån, kor mykje, høgaste bustadpris, kva det "
        "kostar i månaden og kva som kunne endra svaret. Det du skriv, blir verande i nettlesaren din og blir "
        "ikkje sendt nokon stad. Svaret er eit overslag, ikkje eit vedtak.",
    "Det kommunen vurderer": "Det kommunen vurderer",
    "Noen vilkår vurderer saksbehandleren i kommunen. Kalkulatoren har gjort antakelsene som står under hvert "
    "spørsmål. Endre svaret hvis det ikke stemmer for dere.":
        "Nokre vilkår vurderer saksbehandlaren i kommunen. Kalkulatoren har gått ut frå det som står under kvart "
        "spørsmål. Endre svaret dersom det ikkje stemmer for dykk.",
    "Regn ut": "Rekn ut", "Tøm skjemaet": "Tøm skjemaet",
    "Kalkulatoren krever JavaScript. Den lastes når siden er åpnet.":
        "Kalkulatoren krev JavaScript. Han blir lasta når sida er opna.",
    "Slik regner kalkulatoren": "Slik reknar kalkulatoren",
    # the answer
    "Etter kommunens regler ser det ut til at dere kan få startlån": "Etter reglane i kommunen ser det ut til at de kan få startlån",
    "Etter kommunens regler ser det ut til at dere ikke kan få startlån":
        "Etter reglane i kommunen ser det ut til at de ikkje kan få startlån",
    "Kommunen må vurdere søknaden nærmere": "Kommunen må vurdere søknaden nærare",
    "Kommunen må vurdere noe før søknaden kan avgjøres": "Kommunen må vurdere noko før søknaden kan avgjerast",
    "Med opplysningene dere har gitt, og antakelsene under, er alle vilkårene oppfylt.":
        "Med opplysningane de har gitt, og antakingane under, er alle vilkåra oppfylte.",
    "Dette må alltid være oppfylt, men er det ikke: {vilkår}. Da kan kommunen ikke gi startlån etter disse reglene, "
    "med mindre opplysningene er andre enn dem dere har gitt.":
        "Dette må alltid vere oppfylt, men er det ikkje: {vilkår}. Då kan ikkje kommunen gi startlån etter desse "
        "reglane, med mindre opplysningane er andre enn dei de har gitt.",
    "Dette krever kommunen som hovedregel, men det er ikke oppfylt: {vilkår}. Da avgjør ikke reglene saken alene. "
    "En saksbehandler vurderer om det skal gjøres unntak, så dere kan søke likevel.":
        "Dette krev kommunen som hovudregel, men det er ikkje oppfylt: {vilkår}. Då avgjer ikkje reglane saka "
        "åleine. Ein saksbehandlar vurderer om det skal gjerast unntak, så de kan søkje likevel.",
    "Svaret avhenger av noe saksbehandleren i kommunen må vurdere først: {vilkår}. Beløpene under er regnet ut etter "
    "de andre opplysningene. Dere kan søke; da vurderer kommunen det.":
        "Svaret avheng av noko saksbehandlaren i kommunen må vurdere først: {vilkår}. Beløpa under er rekna ut etter "
        "dei andre opplysningane. De kan søkje; då vurderer kommunen det.",
    "Kommunen vurderer søknaden nærmere.": "Kommunen vurderer søknaden nærare.", "og": "og",
    "Der teksten sier at noe er vurdert, er det kalkulatorens antakelse (se «Det vi har antatt» under), ikke "
    "saksbehandlerens vurdering.":
        "Der teksten seier at noko er vurdert, er det antakinga til kalkulatoren (sjå «Det vi har gått ut frå» under), "
        "ikkje vurderinga til saksbehandlaren.",
    "Oppfylt": "Oppfylt", "Oppfylt etter unntak": "Oppfylt etter unntak", "Ikke oppfylt": "Ikkje oppfylt",
    "Gjelder ikke": "Gjeld ikkje", "Kommunen vurderer": "Kommunen vurderer",
    "Noe i skjemaet må rettes": "Noko i skjemaet må rettast",
    "Skriv et tall, for eksempel 28 000.": "Skriv eit tal, til dømes 28 000.",
    "Skriv et helt tall.": "Skriv eit heilt tal.",
    "Dette er et anslag etter kommunens egne regler, ikke et vedtak. Kommunen avgjør søknaden.":
        "Dette er eit overslag etter dei eigne reglane til kommunen, ikkje eit vedtak. Kommunen avgjer søknaden.",
    "Beløp etter reglene i {navn}": "Beløp etter reglane i {navn}",
    "Det dere trenger å låne, med omkostninger (lånebehov)": "Det de treng å låne, med omkostnader (lånebehov)",
    "Startlån dere kan få": "Startlån de kan få",
    "Største lån dere kan betjene (maks lån)": "Største lån de kan betene (maks lån)",
    "Høyeste boligpris som gir innvilget startlån": "Høgaste bustadpris som gir innvilga startlån",
    "Tilskudd til etablering": "Tilskot til etablering",
    "Månedlig betaling om dere fikk hele lånebehovet": "Månadleg betaling om de fekk heile lånebehovet",
    "Å betale på startlånet per måned": "Å betale på startlånet per månad",
    "Til overs hver måned etter lån og livsopphold": "Til overs kvar månad etter lån og livsopphald",
    "rente": "rente", "år": "år",
    "Vilkårene": "Vilkåra",
    "Det vi har antatt": "Det vi har gått ut frå",
    "Dette kunne gitt et annet svar": "Dette kunne gitt eit anna svar",
    "Hver endring for seg, når alt annet er likt:": "Kvar endring for seg, når alt anna er likt:",
    "Ingen enkelt endring er nok alene. Det hvert vilkår ville trenge:":
        "Inga enkel endring er nok åleine. Det kvart vilkår ville trenge:",
    "ingen endring i opplysningene alene oppfyller dette vilkåret":
        "inga endring i opplysningane åleine oppfyller dette vilkåret",
    # the summary
    "Kort om startlån i {place}": "Kort om startlån i {place}",
    "Hvem kan få startlån?": "Kven kan få startlån?",
    "Hvor mye?": "Kor mykje?",
    "Slik søker du:": "Slik søkjer du:",
    "Dette må du legge ved søknaden:": "Dette må du leggje ved søknaden:",
    "Kontakt:": "Kontakt:",
    "nettsiden til {place}": "nettsida til {place}",
    "Kommunen kan be om mer; spør kommunen.": "Kommunen kan be om meir; spør kommunen.",
    "Ikke bekreftet av kommunen.": "Ikkje stadfesta av kommunen.",
    "Telefon og e-post er ikke lagt inn her; ta kontakt med {place}.":
        "Telefon og e-post er ikkje lagde inn her; ta kontakt med {place}.",
    "Kommunen har ikke bekreftet hva som må legges ved.": "Kommunen har ikkje stadfesta kva som må leggjast ved.",
    "Kommunen kan be om mer. Se {where} eller spør kommunen.": "Kommunen kan be om meir. Sjå {where} eller spør kommunen.",
    "Telefon og e-post er ikke lagt inn her. Se {where}.": "Telefon og e-post er ikkje lagde inn her. Sjå {where}.",
    "Klage:": "Klage:",
    "Får du avslag, kan du klage. Klagen avgjøres av {instans}.": "Får du avslag, kan du klage. Klaga blir avgjord av {instans}.",
    "Regn ut for dere selv i kalkulatoren": "Rekn ut for dykk sjølve i kalkulatoren",
    "Les mer og søk på nettsiden til {place}": "Les meir og søk på nettsida til {place}",
    "Det {place} legger til {base}:": "Det {place} legg til {base}:",
    "Datoen kommunen vedtok disse reglene, er ikke bekreftet.": "Datoen kommunen vedtok desse reglane, er ikkje stadfesta.",
    "Reglene er lagt inn som gjeldende fra {dato}.": "Reglane er lagde inn som gjeldande frå {dato}.",
    "Reglene ble vedtatt {dato}.": "Reglane vart vedtekne {dato}.",
    "Hvor mye dere kan låne, avhenger av hva husstanden har igjen hver måned etter skatt, livsopphold og faste utgifter.":
        "Kor mykje de kan låne, kjem an på kva hushaldet har att kvar månad etter skatt, livsopphald og faste utgifter.",
    "For eksempel kan en husstand slik: «{family}» betjene et lån på inntil {amount}{rate}.":
        "Til dømes kan eit hushald slik: «{family}» betene eit lån på inntil {amount}{rate}.",
    " med {rate} rente": " med {rate} rente",
    "Startlån er for dem som ikke får et stort nok lån i banken, men som kan betjene et lån og trenger hjelp til å "
    "skaffe seg en egnet bolig.":
        "Startlån er for dei som ikkje får eit stort nok lån i banken, men som kan betene eit lån og treng hjelp til "
        "å skaffe seg ein eigna bustad.",
    "Er dette ikke oppfylt, får du avslag.": "Er ikkje dette oppfylt, får du avslag.",
    "Er dette ikke oppfylt, vurderer kommunen søknaden nærmere før den avgjøres.":
        "Er ikkje dette oppfylt, vurderer kommunen søknaden nærare før han blir avgjord.",
    "Dette avgjør ikke søknaden, men står forklart i vedtaket.": "Dette avgjer ikkje søknaden, men står forklart i vedtaket.",
    "Dette vurderer {place} i en søknad om startlån. Under hvert vilkår står hva som skjer om det ikke er oppfylt, "
    "og hvilken regel det bygger på; regelen i detalj kan foldes ut.":
        "Dette vurderer {place} i ein søknad om startlån. Under kvart vilkår står kva som skjer om det ikkje er "
        "oppfylt, og kva regel det byggjer på; regelen i detalj kan faldast ut.",
    "Grunnlag:": "Grunnlag:", "Regelen i detalj": "Regelen i detalj", "Slik regnes lånet ut": "Slik blir lånet rekna ut",
    "Satser og grenser": "Satsar og grenser", "Regneeksempler": "Rekneeksempel",
    "Beregningen steg for steg": "Utrekninga steg for steg",
    "Alle satser og grenser, med historikk": "Alle satsar og grenser, med historikk",
    "Beregningen og vilkårene": "Utrekninga og vilkåra", "Alle endringene i detalj": "Alle endringane i detalj",
    "Det {place} gjør annerledes enn {base}": "Det {place} gjer annleis enn {base}",
    "ellers avslag": "elles avslag", "ellers vurderer kommunen søknaden nærmere": "elles vurderer kommunen søknaden nærare",
    "Unntak: {title}.": "Unntak: {title}.", "Ordninger": "Ordningar", "{place} tilbyr {schemes}.": "{place} tilbyr {schemes}.",
    "disse ordningene: ": "desse ordningane: ", "Reglene for «{title}» i detalj": "Reglane for «{title}» i detalj",
    "Kommunen regner ut hva husstanden har igjen hver måned etter skatt, livsopphold, boutgifter og faste utgifter, "
    "og hvor stort lån det beløpet kan betjene med renten og nedbetalingstiden under. Lånebehovet er kjøpesummen med "
    "omkostninger, minus egenkapital og eventuelt lån i bank.":
        "Kommunen reknar ut kva hushaldet har att kvar månad etter skatt, livsopphald, buutgifter og faste utgifter, "
        "og kor stort lån det beløpet kan betene med renta og nedbetalingstida under. Lånebehovet er kjøpesummen med "
        "omkostnader, minus eigenkapital og eventuelt lån i bank.",
    "Hver sats gjelder fra datoen som står ved den, til en ny sats tar over; søknadsdatoen avgjør hvilken som brukes.":
        "Kvar sats gjeld frå datoen som står ved han, til ein ny sats tek over; søknadsdatoen avgjer kva for ein som "
        "blir brukt.",
    "Hvert eksempel er en søknad vurdert etter reglene over, med hele beregningen.":
        "Kvart eksempel er ein søknad vurdert etter reglane over, med heile utrekninga.",
}


def say(text: str, form: str = "bokmål") -> str:
    """`text` (bokmål) in `form`; a text with no nynorsk form stays bokmål."""
    return NYNORSK.get(text, text) if form == "nynorsk" else text
