"""The policy renderer's own words in nynorsk: bokmål is the source text, `NYNORSK` its nynorsk.

`say(text, form)` gives `text` in `form` ("bokmål" or "nynorsk", the policy header's `målform`,
see `boligregler.explain.frame.målform`); texts with `{holes}` are formatted after. The policy's
own texts (titles, doc comments, explanations) are the author's and are never translated.
"""

from __future__ import annotations

NYNORSK: dict[str, str] = {
    # formulas
    "ikke": "ikkje", "hvis {c}, så {t}, ellers {o}": "viss {c}, så {t}, elles {o}",
    "er ikke": "er ikkje", "er under": "er under", "er høyst": "er høgst", "er over": "er over", "er minst": "er minst",
    "er blant": "er blant", "det største av": "det største av", "det minste av": "det minste av",
    "terminbeløpet for {a} over {n} {rate}": "terminbeløpet for {a} over {n} {rate}",
    "nåverdien av {a} per måned over {n} {rate}": "noverdien av {a} per månad over {n} {rate}",
    "månedsrenten på {a} {rate}": "månadsrenta på {a} {rate}",
    "lånet som gir {a} i månedsrente {rate}": "lånet som gir {a} i månadsrente {rate}",
    "med {rate}": "med {rate}", "med renten {rate}": "med renta {rate}",
    "rundet ned": "runda ned", "rundet opp": "runda opp", "rundet av": "runda av",
    "rundet av (halvt mot partall)": "runda av (halvt mot partal)", "til hele": "til heile",
    "kroner": "kroner", "kroner per måned": "kroner per månad", "måneder": "månader",
    "{a} er oppgitt": "{a} er oppgitt", "summen av {body} for {every}{where}": "summen av {body} for {every}{where}",
    "antall {source}{where}": "talet på {source}{where}", "antall {source}": "talet på {source}",
    "det finnes {some}{where}": "det finst {some}{where}", " der {w}": " der {w}",
    "{every} oppfyller at {w}": "{every} oppfyller at {w}",
    "utfallet": "utfallet", "ordningene kommunen tilbyr": "ordningane kommunen tilbyr",
    "ingen": "ingen", "alle": "alle", "alle unntatt ": "alle unnateke ", "og over": "og over",
    # kinds, outcomes, results
    "absolutt vilkår": "absolutt vilkår", "hovedregel": "hovudregel", "informasjon": "informasjon",
    "innvilget": "innvilga", "avslått": "avslått", "sendt til manuell vurdering": "sendt til manuell vurdering",
    "ikke avgjort ennå, fordi opplysninger mangler": "ikkje avgjord enno, fordi opplysningar manglar",
    "oppfylt": "oppfylt", "ikke oppfylt": "ikkje oppfylt", "oppfylt etter unntak": "oppfylt etter unntak",
    "ikke relevant": "ikkje relevant", "ikke vurdert ennå": "ikkje vurdert enno",
    "avgjør ikke utfallet, men forklares i vedtaket": "avgjer ikkje utfallet, men blir forklart i vedtaket",
    "ikke oppfylt: søknaden blir {outcome}": "ikkje oppfylt: søknaden blir {outcome}",
    # criteria
    "**Art:**": "**Art:**", "**Hjemmel:**": "**Heimel:**", "**Lokal regel** i {place}": "**Lokal regel** i {place}",
    "**Gjelder bare når** {c}.": "**Gjeld berre når** {c}.",
    "**Alltid oppfylt:** vilkåret forklarer bare hvordan saken er vurdert.":
        "**Alltid oppfylt:** vilkåret forklarer berre korleis saka er vurdert.",
    "**Oppfylt når** {c}.": "**Oppfylt når** {c}.",
    "**Unntak:** vilkåret regnes også som oppfylt når ett av disse gjelder:":
        "**Unntak:** vilkåret blir òg rekna som oppfylt når eitt av desse gjeld:",
    "når {c}.": "når {c}.", " Hjemmel: {h}.": " Heimel: {h}.", "Unntak {x}:": "Unntak {x}:",
    "Unntak {x} gjelder ikke:": "Unntak {x} gjeld ikkje:",
    "Slik forklares resultatet i vedtaket (⟨…⟩ fylles inn for hver søknad):":
        "Slik blir resultatet forklart i vedtaket (⟨…⟩ blir fylt inn for kvar søknad):",
    # computations, parameters, tables
    " · lokal regel i {place}": " · lokal regel i {place}", " · fastsatt i {place}": " · fastsett i {place}",
    "de nasjonale reglene": "dei nasjonale reglane", "Verdi": "Verdi", "Gjelder fra": "Gjeld frå", "Kilde": "Kjelde",
    "{type} etter {key}": "{type} etter {key}", "Gjelder fra {date}. Kilde: {source}": "Gjeld frå {date}. Kjelde: {source}",
    "ja/nei": "ja/nei", "tekst": "tekst", "dato": "dato", "antall": "tal",
    # schemes
    "Reglene her gjelder søknader om «{title}».": "Reglane her gjeld søknader om «{title}».",
    "Ordningen bruker vilkårene og beregningen ovenfor uten endringer.":
        "Ordninga bruker vilkåra og utrekninga ovanfor utan endringar.",
    "**Egen beregning i ordningen:**": "**Eiga utrekning i ordninga:**",
    "Disse vilkårene gjelder ikke i ordningen: ": "Desse vilkåra gjeld ikkje i ordninga: ",
    "**Betingelser i vedtaket:**": "**Vilkår i vedtaket:**",
    # worked examples
    "**Søknaden:**": "**Søknaden:**", "Rente: {rate}": "Rente: {rate}", "Nedbetalingstid: {n} år": "Nedbetalingstid: {n} år",
    "Resultat: søknaden blir {outcome}": "Resultat: søknaden blir {outcome}",
    "**Beregningen steg for steg:**": "**Utrekninga steg for steg:**", "Steg": "Steg", "Størrelse": "Storleik",
    "Slik regnes den ut": "Slik blir han rekna ut", "Resultat": "Resultat", "**Vilkårene:**": "**Vilkåra:**",
    "Vilkår": "Vilkår", "Art": "Art", "Forklaring": "Forklaring", " (unntak {x})": " (unntak {x})",
    "Resultatet avviker fra det eksempelet forventer": "Resultatet avvik frå det eksempelet ventar",
    "Eksempelet kan ikke vurderes": "Eksempelet kan ikkje vurderast",
    "Lånebehov": "Lånebehov", "Maks lån": "Maks lån", "Startlån": "Startlån", "Tilskudd": "Tilskot",
    "Terminbeløp per måned": "Terminbeløp per månad", "Disponibelt per måned": "Disponibelt per månad",
    "Margin per måned": "Margin per månad", "Livsopphold per måned": "Livsopphald per månad",
    "Tellende inntekt per måned": "Tellande inntekt per månad", "Omkostninger": "Omkostningar",
    # one decision as text (`boligregler vurder`)
    "Vedtak": "Vedtak", "Regelverk: {navn} ({id}), ordning: {ordning}, søknadsdato: {dato}":
        "Regelverk: {navn} ({id}), ordning: {ordning}, søknadsdato: {dato}",
    "ADVARSEL: regelverket har lovlighetsfeil ({codes}) og er kjørt med «tillat ulovlig».":
        "ÅTVARING: regelverket har lovlegheitsfeil ({codes}) og er køyrt med «tillat ulovleg».",
    "Nedbetalingstid": "Nedbetalingstid", "Hjemmel": "Heimel",
    "Dette mangler før søknaden kan avgjøres (det viktigste først):":
        "Dette manglar før søknaden kan avgjerast (det viktigaste først):",
    "Vilkår som venter": "Vilkår som ventar", "Saksbehandlers vurderinger med begrunnelse:":
        "Vurderingane til saksbehandlaren med grunngiving:", "Begrunnelse": "Grunngiving", "Betingelser": "Lånevilkår",
    # changes relative to the base
    "{place} følger {base} uten endringer.": "{place} følgjer {base} utan endringar.",
    "{place} bygger på {base} og følger de reglene, bortsett fra dette:":
        "{place} byggjer på {base} og følgjer dei reglane, bortsett frå dette:",
    "Egne": "Eigne", "Endrede": "Endra", "Fjernede": "Fjerna", "vilkår": "vilkår", "parametre": "parametrar",
    "beregninger": "utrekningar", "tabeller": "tabellar", "ordninger": "ordningar",
    "betingelser i vedtaket": "vilkår i vedtaket", "opplysninger i søknaden": "opplysningar i søknaden",
    "utfallsregel": "utfallsregel", "beløp i vedtaket": "beløp i vedtaket", "i {base}": "i {base}",
    "{value} fra {date}": "{value} frå {date}", ": endret {fields}": ": endra {fields}", "unntak {x}": "unntak {x}",
    "Søknaden blir ": "Søknaden blir ", "{outcome} når en {kind} ikke er oppfylt": "{outcome} når ein {kind} ikkje er oppfylt",
    "{outcome} når et {kind} ikke er oppfylt": "{outcome} når eit {kind} ikkje er oppfylt", "ellers {outcome}": "elles {outcome}",
}


def say(text: str, form: str = "bokmål") -> str:
    """`text` (bokmål) in `form`; a text with no nynorsk form stays bokmål."""
    return NYNORSK.get(text, text) if form == "nynorsk" else text
