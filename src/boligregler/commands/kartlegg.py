"""`boligregler kartlegg POLICY REGISTER`: which households in a register could buy, and at what price."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from boligregler.api import add_allow_option, load_for_command
from boligregler.diagnostics import BoligreglerError, file_problem
from boligregler.screening import HOUSEHOLD_LABELS

TYPE_NAMES = {**HOUSEHOLD_LABELS, "alle": "alle"}


def register(sub) -> None:
    p = sub.add_parser("kartlegg", help="kartlegg hvilke husstander i et register som kan kjøpe bolig", description=(
        "Vurderer hver husstand i et register (Parquet, CSV, XLSX eller JSON-linjer, én husstand per rad; "
        "kolonnene er beskrevet i docs/screening.md) etter regelverket: om husstanden kan kjøpe nå, den "
        "høyeste kjøpesummen den kan finansiere med og uten tilskudd (finansieringsbevis i hele 1 000 kr), "
        "hva som hindrer, og rekkefølgen regelverket prioriterer. Skriver en oppsummering etter "
        "husstandstype, og etter ønske en tabell, en Excel-arbeidsbok og en HTML-rapport med figurer."))
    p.add_argument("policy", metavar="POLICY")
    p.add_argument("register", metavar="REGISTER", help=".parquet, .csv, .xlsx eller .jsonl")
    p.add_argument("--inndata", choices=["parquet", "csv", "xlsx", "jsonl"], help="formatet til REGISTER")
    p.add_argument("--ut", metavar="FIL", help="tabell med én rad per husstand (.parquet eller .csv)")
    p.add_argument("--xlsx", metavar="FIL", help="Excel-arbeidsbok for boligkonsulenten")
    p.add_argument("--html", metavar="FIL", help="rapport med figurer (én HTML-fil)")
    p.add_argument("--forrige", metavar="FIL",
                   help="en tidligere kartlegging (fra --ut, Parquet eller CSV) å sammenligne med, etter «referanse»")
    p.add_argument("--prisnivå", metavar="KR", action="append", default=[],
                   help="kommunens prisnivå for en bolig (kan gis flere ganger), vist i figuren")
    p.add_argument("--utvalg", metavar="N", type=int,
                   help="velg de N første i prioritert rekkefølge som kan finansiere en bolig (til kommunens laveste "
                        "prisnivå fra --prisnivå, ellers kjøpesummen i registeret), f.eks. Bærums 20 familier i året")
    p.add_argument("--format", choices=["tekst", "json"], default="tekst",
                   help="json: oppsummeringen, radene som ikke kunne leses og feil som JSON på standard ut")
    add_allow_option(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    try:
        from boligregler.screening import skip_pandas_probe
        skip_pandas_probe()
        import pyarrow as pa
        from boligregler.screening import files, kartlegging as K
    except ImportError:
        raise BoligreglerError("kartlegg krever tilleggspakkene: pip install 'boligregler[screening]'") from None
    policy = load_for_command(args.policy, args)
    kind = files.kind_of(args.register, args.inndata)
    levels = []
    for text in args.prisnivå:
        try:
            levels.append(int(text.replace(" ", "").replace("\u00a0", "")))
        except ValueError:
            raise BoligreglerError(f"--prisnivå må være et beløp i hele kroner, ikke «{text}»") from None
    previous = _read_previous(args.forrige) if args.forrige else None
    parts, bad, row_problems = [], 0, []
    for chunk in files.table_chunks(policy, args.register, kind, searched=K.SEARCHED):
        for p in chunk.problems:
            if args.format == "json":
                row_problems.append(row_problem(p))
                continue
            where = f"{args.register}:{p.row}" if kind == "jsonl" else f"{args.register}:rad {p.row}, kolonne «{p.column}»"
            print(f"{where}: {p.message}", file=sys.stderr)
        bad += len(chunk.bad_rows)
        if chunk.batch.n:
            parts.append(K.map_chunk(policy, chunk))
    if not parts:
        raise BoligreglerError(f"{args.register}: ingen husstander kunne kartlegges")
    table = K.sort_by_priority(policy, pa.concat_tables(parts))
    level = min(levels) if levels else None  # the kommune's lowest price level
    if args.utvalg is not None:
        if args.utvalg < 1:
            raise BoligreglerError(f"--utvalg må være et positivt heltall, ikke {args.utvalg}")
        if not levels and table.column("kjøpesum").null_count == table.num_rows:
            raise BoligreglerError("--utvalg trenger kommunens prisnivå (--prisnivå KR) når registeret ikke har "
                                   "kjøpesummer: utvalget er husstandene som kan finansiere en bolig til den prisen")
        table = K.select(table, args.utvalg, level)
    summary = K.summary_by_type(table, level)
    comparison = K.compare(previous, table) if previous is not None else None
    synthetic = _is_synthetic(args.register, kind)
    if args.format == "json":
        print(json.dumps({"regelverk": policy.id, "husstander": table.num_rows, "syntetiske_data": synthetic,
                          "etter_husstandstype": summary, "rader_med_feil": bad, "problemer": row_problems,
                          **({"siden_forrige": comparison.to_pylist()} if comparison is not None else {})},
                         ensure_ascii=False, indent=2, default=str))
    else:
        print(text_summary(policy, table, summary, comparison, bad, synthetic, level))
    if args.ut:
        _write_table(table, args.ut)
    if args.xlsx:
        write_workbook(args.xlsx, policy, table, summary, comparison, synthetic, level)
    if args.html:
        _write_text(args.html, html_report(policy, table, summary, comparison, levels, synthetic))
    return 1 if bad else 0


def row_problem(p) -> dict:
    """A row of the register that could not be read, as data (as a problem in `--format json`)."""
    return {"kode": "ugyldig_rad", "rad": p.row, "kolonne": p.column or None, "melding": p.message}


def _read_previous(path: str):
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq
    try:
        table = pcsv.read_csv(path) if Path(path).suffix.lower() == ".csv" else pq.read_table(path)
    except OSError as e:
        raise file_problem(path, "lese", e) from None
    except Exception as e:  # pyarrow's errors for a file that is not a table
        raise BoligreglerError(f"{path}: kan ikke leses som en tidligere kartlegging: {e}") from None
    missing = [c for c in ("referanse", "kan_kjøpe_nå", "høyeste_kjøpesum") if c not in table.column_names]
    if missing:
        raise BoligreglerError(f"{path}: en tidligere kartlegging må ha kolonnene {', '.join(missing)}")
    return table


def _is_synthetic(path: str, kind: str) -> bool:
    if kind != "parquet":
        return False
    import pyarrow.parquet as pq
    meta = pq.read_schema(path).metadata or {}
    return b"Syntetiske" in meta.get(b"boligregler", b"")


def _write_table(table, path: str) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq
    try:
        if Path(path).suffix.lower() == ".csv":
            pcsv.write_csv(table, path)
        else:
            pq.write_table(table, path)
    except OSError as e:
        raise file_problem(path, "skrive", e) from None


def _write_text(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        raise file_problem(path, "skrive", e) from None


def _kr(v) -> str:
    from boligregler.screening.report import kr
    return kr(v)


def financing_meaning(level: int | None, summary) -> str:
    """What «kan finansiere en bolig» counts in this kartlegging, for the reader."""
    if summary and summary[-1]["kan_finansiere_en_bolig"] is None:
        return "Hvem som kan finansiere en bolig, telles når kommunens prisnivå er gitt (--prisnivå)."
    if level is not None:
        return f"«Kan finansiere en bolig»: den høyeste kjøpesummen er minst kommunens laveste prisnivå, {_kr(level)}."
    unknown = summary[-1]["finansiering_ukjent"] if summary else 0
    return ("«Kan finansiere en bolig»: den høyeste kjøpesummen er minst kjøpesummen i registeret."
            + (f" For {unknown} husstander uten kjøpesum i registeret er det ukjent (gi --prisnivå)." if unknown else ""))


def text_summary(policy, table, summary, comparison, bad: int, synthetic: bool, level: int | None = None) -> str:
    lines = [f"Kartlegging etter «{policy.navn}», {table.num_rows} husstander"
             + (" (syntetiske data)" if synthetic else "") + ":"]
    for s in summary:
        can = s["kan_finansiere_en_bolig"]
        lines.append(f"  {TYPE_NAMES.get(s['husstandstype'], s['husstandstype'])}: {s['husstander']} husstander, "
                     f"{s['kan_kjøpe_nå']} kan kjøpe nå"
                     + (f", {can} kan finansiere en bolig" if can is not None else "")
                     + (f" ({s['finansiering_ukjent']} ukjent: uten kjøpesum)" if s["finansiering_ukjent"] else "") + "; "
                     f"median høyeste kjøpesum {_kr(s['median_høyeste_kjøpesum'])} "
                     f"({_kr(s['median_uten_tilskudd'])} uten tilskudd)")
    lines.append("  " + financing_meaning(level, summary))
    if comparison is not None:
        from collections import Counter
        counts = Counter(comparison.column("endring").to_pylist())
        lines.append("  Siden forrige kartlegging: " + ", ".join(
            f"{counts[k]} {k}" for k in ("kan nå kjøpe", "falt ut", "ny", "borte", "uendret")))
    if "utvalgt" in table.column_names:
        chosen = [r for r, c in zip(table.column("referanse").to_pylist(), table.column("utvalgt").to_pylist()) if c]
        lines.append(f"  Utvalget: {len(chosen)} husstander, de første i prioritert rekkefølge som kan finansiere en "
                     "bolig" + (": " + ", ".join(str(r) for r in chosen[:50]) + (" …" if len(chosen) > 50 else "")
                                if chosen else ""))
    if bad:
        lines.append(f"  {bad} rader kunne ikke leses (se meldingene over).")
    return "\n".join(lines)


HEADER = [("prioritet", "Prioritet"), ("referanse", "Referanse"), ("husstandstype", "Husstandstype"),
          ("voksne", "Voksne"), ("barn", "Barn"), ("kjøpesum", "Kjøpesum i registeret"), ("utfall", "Utfall nå"),
          ("kan_kjøpe_nå", "Kan kjøpe nå"), ("høyeste_kjøpesum", "Høyeste kjøpesum"),
          ("høyeste_kjøpesum_uten_tilskudd", "Høyeste kjøpesum uten tilskudd"), ("maks_lån", "Maks lån"),
          ("disponibelt_per_måned", "Disponibelt per måned"), ("hindrer", "Hindrer"),
          ("mangler", "Mangler"), ("rad", "Rad i registeret")]


def criterion_titles(policy) -> dict[str | None, dict[str, str]]:
    """The title of every criterion by name, per scheme (None: the policy's own criteria): what a reader sees
    in place of the names in the table's `hindrer` column. A scheme may title a criterion itself («Eie
    først»: «Evne til å betale rentene på lånet»)."""
    model = policy.model
    return {scheme.id or None: {crit.id: crit.title for crit in scheme.criteria}
            for scheme in [model.base_scheme, *model.schemes.values()]}


def readable_hindrer(names: str | None, titles: dict[str | None, dict[str, str]], ordning: str | None) -> str:
    """`hindrer` as the criteria's titles in the household's scheme («Avslag fra to banker; Betjeningsevne»)."""
    own = titles.get(ordning, titles[None])
    return "; ".join(own.get(n, n) for n in names.split(", ")) if names else ""


def write_workbook(path: str, policy, table, summary, comparison, synthetic: bool, level: int | None = None) -> None:
    from boligregler.screening.report import workbook
    header = HEADER + ([("utvalgt", "Utvalgt")] if "utvalgt" in table.column_names else [])
    cols = {k: table.column(k).to_pylist() for k, _ in header}
    titles = criterion_titles(policy)
    cols["hindrer"] = [readable_hindrer(v, titles, o) for v, o in zip(cols["hindrer"], table.column("ordning").to_pylist())]
    rows = zip(*(["ja" if v is True else "nei" if v is False else v for v in cols[k]] for k, _ in header))
    sheets = [("Husstander", [h for _, h in header], rows),
              ("Etter husstandstype", ["Husstandstype", "Husstander", "Kan kjøpe nå", "Kan finansiere en bolig",
                                       "Ukjent (uten kjøpesum)", "Median høyeste kjøpesum", "Median uten tilskudd"],
               [[TYPE_NAMES.get(s["husstandstype"]), s["husstander"], s["kan_kjøpe_nå"], s["kan_finansiere_en_bolig"],
                 s["finansiering_ukjent"], s["median_høyeste_kjøpesum"], s["median_uten_tilskudd"]] for s in summary]
               + [[], [financing_meaning(level, summary)]])]
    if comparison is not None:
        sheets.append(("Endringer", ["Referanse", "Endring", "Høyeste kjøpesum før", "Høyeste kjøpesum nå"],
                       zip(*[comparison.column(c).to_pylist() for c in comparison.column_names])))
    about = [["Regelverk", policy.navn], ["Regelverkets sha256", policy.sha256],
             ["Laget", dt.date.today().isoformat()], ["Husstander", table.num_rows],
             ["Metode", "Høyeste kjøpesum i hele 1 000 kr der ingen absolutte vilkår svikter som ikke svikter uansett "
                        "pris; kontrollert mot 1 000 kr mer. Beregnet eksakt etter regelverket."]]
    if synthetic:
        about.insert(0, ["Data", "SYNTETISKE husstander (ingen ekte personer)"])
    sheets.append(("Om kartleggingen", ["", ""], about))
    try:
        workbook(path, sheets)
    except OSError as e:
        raise file_problem(path, "skrive", e) from None


def html_report(policy, table, summary, comparison, levels: list[int], synthetic: bool) -> str:
    import numpy as np
    from boligregler.screening.report import bar_chart, esc, kr, page, table as html_table
    titles = criterion_titles(policy)
    best = np.array(table.column("høyeste_kjøpesum").to_pylist(), dtype=object)
    prices = np.array(table.column("kjøpesum").to_pylist(), dtype=object)
    width = 250_000
    top = max([v for v in list(best) + list(prices) if v is not None] + levels + [width])
    edges = list(range(0, int(top) + width, width))[:41]
    labels = [(f"{e / 1_000_000:.2f}".rstrip("0").rstrip(".") or "0").replace(".", ",") for e in edges]
    labels[-1] = "≥ " + labels[-1]  # the last bar holds every higher price

    def hist(values):
        counts = [0] * len(edges)
        for v in values:
            if v is not None:
                counts[min(int(v) // width, len(edges) - 1)] += 1
        return counts
    series = {"Høyeste kjøpesum husstanden kan finansiere": hist(best), "Kjøpesum i registeret": hist(prices)}
    levels_html = ""
    if levels:
        reach = [(kr(level), sum(1 for v in best if v is not None and v >= level)) for level in levels]
        levels_html = "<p>Husstander som kan finansiere kommunens prisnivå:</p>" + html_table(
            ["Prisnivå", "Husstander som kan finansiere det"], reach)
    from collections import Counter
    from boligregler.screening.konsekvens import OUTCOME_LABELS
    outcomes = Counter(OUTCOME_LABELS.get(v, v) if v else "uten kjøpesum i registeret"
                       for v in table.column("utfall").to_pylist())
    sections = [
        ("Oppsummering", f"<p>{table.num_rows} husstander er kartlagt etter «{esc(policy.navn)}». "
                         f"{esc(financing_meaning(min(levels) if levels else None, summary))}</p>" + html_table(
            ["Husstandstype", "Husstander", "Kan kjøpe nå", "Kan finansiere en bolig", "Ukjent (uten kjøpesum)",
             "Median høyeste kjøpesum", "Median uten tilskudd"],
            [[TYPE_NAMES.get(s["husstandstype"]), s["husstander"], s["kan_kjøpe_nå"],
              "–" if s["kan_finansiere_en_bolig"] is None else s["kan_finansiere_en_bolig"],
              "–" if s["finansiering_ukjent"] is None else s["finansiering_ukjent"],
              kr(s["median_høyeste_kjøpesum"]), kr(s["median_uten_tilskudd"])] for s in summary])),
        ("Hva husstandene kan finansiere", bar_chart("Høyeste kjøpesum mot prisene i registeret (mill. kr; antall husstander)",
                                                     labels, series) + levels_html),
        ("Utfall med kjøpesummen i registeret", bar_chart("Utfall (antall husstander)", list(outcomes),
                                                          {"Husstander": list(outcomes.values())})),
    ]
    if "utvalgt" in table.column_names:
        chosen = table.filter(table.column("utvalgt")).to_pylist()
        sections.append(("Utvalget", f"<p>De {len(chosen)} første i prioritert rekkefølge som kan finansiere en "
                         "bolig.</p>" + html_table(
                             ["Prioritet", "Referanse", "Husstandstype", "Høyeste kjøpesum", "Uten tilskudd", "Hindrer"],
                             [[r["prioritet"], r["referanse"], TYPE_NAMES.get(r["husstandstype"]),
                               kr(r["høyeste_kjøpesum"]), kr(r["høyeste_kjøpesum_uten_tilskudd"]), readable_hindrer(r["hindrer"], titles, r["ordning"])]
                              for r in chosen])))
    first = table.slice(0, 50).to_pylist()
    sections.append(("De første 50 i prioritert rekkefølge", html_table(
        ["Prioritet", "Referanse", "Husstandstype", "Kan kjøpe nå", "Høyeste kjøpesum", "Uten tilskudd", "Hindrer"],
        [[r["prioritet"], r["referanse"], TYPE_NAMES.get(r["husstandstype"]),
          "ja" if r["kan_kjøpe_nå"] else "nei" if r["kan_kjøpe_nå"] is False else "–",
          kr(r["høyeste_kjøpesum"]), kr(r["høyeste_kjøpesum_uten_tilskudd"]), readable_hindrer(r["hindrer"], titles, r["ordning"])] for r in first])))
    if comparison is not None:
        changed = [r for r in comparison.to_pylist() if r["endring"] in ("kan nå kjøpe", "falt ut")]
        counts = Counter(comparison.column("endring").to_pylist())
        sections.append(("Endringer siden forrige kartlegging", bar_chart(
            "Endringer (antall husstander)", list(counts), {"Husstander": list(counts.values())}) + html_table(
            ["Referanse", "Endring", "Høyeste kjøpesum før", "Høyeste kjøpesum nå"],
            [[r["referanse"], r["endring"], kr(r["høyeste_kjøpesum_før"]), kr(r["høyeste_kjøpesum_nå"])]
             for r in changed[:200]])))
    sections.append(("Slik er det regnet", "<p>Høyeste kjøpesum er den høyeste prisen i hele 1 000 kr der ingen "
                     "absolutte vilkår svikter utover dem som svikter uansett pris (for eksempel manglende avslag "
                     "fra bank), kontrollert mot 1 000 kr mer: et finansieringsbevis regnet eksakt etter regelverket "
                     f"(sha256 {esc(policy.sha256[:12])}…). «Uten tilskudd» er den høyeste prisen startlånet alene "
                     "dekker. Mangler registeret eierform, er selveier (med dokumentavgift) lagt til grunn.</p>"))
    note = "Syntetiske data: husstandene er laget av boligregler og beskriver ingen ekte personer." if synthetic else None
    return page(f"Kartlegging: {policy.navn}", sections, note)
