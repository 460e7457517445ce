"""`boligregler logg verifiser|etterprøv`: check the decision log's hash chain, or replay every entry."""

from __future__ import annotations

import json
import sys

from boligregler.api import Policy
from boligregler.diagnostics import BoligreglerError
from boligregler.explain.replay import replay_record


def register(sub) -> None:
    p = sub.add_parser("logg", help="sjekk eller etterprøv beslutningsloggen", description=(
        "Beslutningsloggen har hvert vedtak tjenesten (eller «vurder --logg») har fattet, lenket sammen med "
        "sha256. «verifiser» finner en oppføring som er endret, fjernet eller flyttet; «etterprøv» vurderer "
        "hver søknad på nytt og sammenligner med vedtaket som ble logget."))
    actions = p.add_subparsers(dest="handling", metavar="HANDLING", required=True)
    for name, aliases, text in (("verifiser", [], "sjekk at kjeden av oppføringer er hel og uendret"),
                                ("etterprøv", ["etterprov"], "vurder hver loggede søknad på nytt")):
        a = actions.add_parser(name, aliases=aliases, help=text, description=text[0].upper() + text[1:] + ".")
        a.add_argument("--database", metavar="URL", help="postgresql://…, sqlite:///sti.db eller en filsti "
                                                           "(standard: logg.sqlite i datamappen)")
        a.add_argument("--data", metavar="MAPPE", help="datamappen (standard: $BOLIGREGLER_DATA)")
        a.add_argument("--format", choices=["tekst", "json"], default="tekst", help="utdataformat")
        if name == "etterprøv":
            a.add_argument("--regelverk", metavar="MAPPE",
                           help="mappen med regelverkene (standard: de medfølgende)")
        a.set_defaults(handler=verify if name == "verifiser" else replay)


def _open(args):
    from boligregler.server.log import open_log
    return open_log(args.database, args.data)


def verify(args) -> int:
    from boligregler.server.log import verify_log

    log = _open(args)
    try:
        result = verify_log(log)
    finally:
        log.close()
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif result.ok:
        print(f"Loggen er hel: {result.entries} oppføringer, siste hash {result.head}.")
    else:
        print(f"Loggen er IKKE hel ({result.entries} oppføringer):", file=sys.stderr)
        for f in result.findings:
            print(f"  • {f}", file=sys.stderr)
    return 0 if result.ok else 1


def replay(args) -> int:
    from boligregler.server.registry import Registry
    from boligregler.money import load_json

    log = _open(args)
    registry = Registry(args.regelverk, interval=0)
    registry.reload()
    checked, failed = 0, []
    try:
        for entry in log.entries():
            checked += 1
            policy: Policy | None = registry.get(entry.regelverk)
            if policy is None:
                failed.append({"løpenummer": entry.lopenummer, "merknader": [f"regelverket «{entry.regelverk}» finnes ikke"],
                               "forskjeller": []})
                continue
            try:
                result = replay_record(load_json(entry.vedtak), load_json(entry.soknad), policy)
            except BoligreglerError as e:
                failed.append({"løpenummer": entry.lopenummer, "merknader": [str(e)], "forskjeller": []})
                continue
            if not result.identical:
                failed.append({"løpenummer": entry.lopenummer, **result.to_dict()})
    finally:
        log.close()
    if args.format == "json":
        print(json.dumps({"antall": checked, "avvik": failed}, ensure_ascii=False, indent=2, default=str))
    else:
        for f in failed:
            print(f"løpenummer {f['løpenummer']}: " + "; ".join(
                [*f["merknader"], *(d["sti"] for d in f["forskjeller"])]), file=sys.stderr)
        print(f"Etterprøvde {checked} vedtak i loggen: {checked - len(failed)} gir det samme vedtaket, "
              f"{len(failed)} avviker.", file=sys.stdout if not failed else sys.stderr)
    return 1 if failed else 0
