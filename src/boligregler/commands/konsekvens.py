"""`boligregler konsekvens A.pol B.pol BEFOLKNING`: what changing the rules from A to B does to a population."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

from boligregler.api import add_allow_option, load_for_command
from boligregler.commands.kartlegg import row_problem
from boligregler.diagnostics import BoligreglerError, file_problem


def register(sub) -> None:
    p = sub.add_parser("konsekvens", help="hva en regelendring gjør med en befolkning av husstander", description=(
        "Vurderer de samme husstandene (Parquet, CSV, XLSX eller JSON-linjer) etter regelverk A og B, og viser "
        "hvor mange som får et annet utfall, i hvilken retning, etter husstandstype, endringen i sum startlån og "
        "tilskudd, og eksempler på husstander for hver slags endring."))
    p.add_argument("policy_a", metavar="A")
    p.add_argument("policy_b", metavar="B")
    p.add_argument("population", metavar="BEFOLKNING")
    p.add_argument("--inndata", choices=["parquet", "csv", "xlsx", "jsonl"], help="formatet til BEFOLKNING")
    p.add_argument("--html", metavar="FIL", help="rapport med figurer (én HTML-fil)")
    p.add_argument("--format", choices=["tekst", "json"], default="tekst",
                   help="json: virkningen, radene som ikke kunne leses og feil som JSON på standard ut")
    add_allow_option(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    try:
        from boligregler.screening import skip_pandas_probe
        skip_pandas_probe()
        from boligregler.screening import files, konsekvens as K
    except ImportError:
        raise BoligreglerError("konsekvens krever tilleggspakkene: pip install 'boligregler[screening]'") from None
    a, b = load_for_command(args.policy_a, args), load_for_command(args.policy_b, args)
    kind = files.kind_of(args.population, args.inndata)
    chunks_a = files.table_chunks(a, args.population, kind)
    chunks_b = files.table_chunks(b, args.population, kind)
    reported, row_problems = set(), []

    def reporting(chunks, name):
        for chunk in chunks:
            for p in chunk.problems:
                key = (p.row, p.column, p.message)
                if key not in reported:
                    reported.add(key)
                    if args.format == "json":
                        row_problems.append({**row_problem(p), "regelverk": name})
                        continue
                    where = f"{args.population}:{p.row}" if kind == "jsonl" else \
                        f"{args.population}:rad {p.row}, kolonne «{p.column}»"
                    print(f"{where}: {p.message} (etter «{name}»)", file=sys.stderr)
            yield chunk

    impact = K.impact_of(a, b, reporting(chunks_a, a.navn), reporting(chunks_b, b.navn))
    if impact.name_a == impact.name_b:  # two versions of one policy: tell them apart by file
        impact.name_a = f"{a.navn} ({Path(args.policy_a).name})"
        impact.name_b = f"{b.navn} ({Path(args.policy_b).name})"
    if args.format == "json":
        print(json.dumps({**impact_json(impact), "problemer": row_problems}, ensure_ascii=False, indent=2))
    else:
        print(K.text(impact))
    if args.html:
        synthetic = False
        if kind == "parquet":
            import pyarrow.parquet as pq
            synthetic = b"Syntetiske" in ((pq.read_schema(args.population).metadata or {}).get(b"boligregler", b""))
        try:
            Path(args.html).write_text(K.html(impact, synthetic), encoding="utf-8")
        except OSError as e:
            raise file_problem(args.html, "skrive", e) from None
    return 1 if impact.skipped else 0


def impact_json(impact) -> dict:
    """The impact as data: transitions, directions, changes by household type, sums in kroner."""
    from boligregler.money import money_json

    def kroner(ore: int) -> str:
        return money_json(Decimal(ore) / 100)
    return {
        "a": impact.name_a, "b": impact.name_b, "husstander": impact.households, "endret": impact.changed,
        "retninger": dict(impact.directions()),
        "overganger": [{"fra": a, "til": b, "antall": c} for (a, b), c in sorted(impact.transitions.items(),
                                                                              key=lambda x: (-x[1], str(x[0])))],
        "etter_husstandstype": {kind: dict(counts) for kind, counts in sorted(impact.by_type.items())},
        "sum": {key: {"a": kroner(impact.totals_a[key]), "b": kroner(impact.totals_b[key])}
                for key in ("startlån", "tilskudd")},
        "ikke_vurdert_etter_begge": len(impact.skipped),
    }
