"""`boligregler etterprøv VEDTAK.json SØKNAD.json`: check that a recorded decision reproduces.

The søknad is evaluated again under the policy the record names (or `--regelverk`), and the
new decision JSON is compared with the recorded file byte for byte. Exit code 0 when it is
identical, 1 when it differs, with what differs and why (a changed policy file, another søknad,
another library version).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from boligregler.commands.vurder import read_soknad
from boligregler.diagnostics import BoligreglerError, file_problem
from boligregler.explain.replay import describe, verify


def register(sub) -> None:
    p = sub.add_parser("etterprøv", aliases=["etterprov"], help="etterprøv et lagret vedtak", description=(
        "Vurderer søknaden på nytt etter regelverket vedtaket oppgir, og sjekker at det nye vedtaket er "
        "nøyaktig likt det lagrede, byte for byte. VEDTAK er JSON fra «boligregler vurder --format json». "
        "Avviker det, vises hva som er ulikt og hvorfor (endret regelverk, annen søknad, annen versjon)."))
    p.add_argument("vedtak", metavar="VEDTAK", help="vedtaket som JSON-fil")
    p.add_argument("soknad", metavar="SØKNAD", help="søknaden som JSON-fil, eller - for standard inn")
    p.add_argument("--regelverk", metavar="POLICY",
                   help="regelverket som skal brukes (standard: det medfølgende regelverket vedtaket oppgir)")
    p.add_argument("--format", choices=["tekst", "json"], default="tekst", help="utdataformat (standard: tekst)")
    p.set_defaults(handler=run)


def run(args) -> int:
    try:
        text = Path(args.vedtak).read_text(encoding="utf-8")
    except OSError as e:
        raise file_problem(args.vedtak, "lese", e) from None
    except UnicodeDecodeError:
        raise BoligreglerError(f"{args.vedtak}: kan ikke lese filen (er ikke UTF-8-tekst)") from None
    replay = verify(text, read_soknad(args.soknad), args.regelverk, name=args.vedtak)
    if args.format == "json":
        print(json.dumps({
            "identisk": replay.identical, "samme_innhold": replay.same_content, "merknader": list(replay.notes),
            "forskjeller": [{"sti": d.path, "vedtaket": d.recorded, "ny_vurdering": d.now}
                            for d in replay.differences],
        }, ensure_ascii=False, indent=2, default=str))
    else:
        print(describe(replay), file=sys.stdout if replay.identical else sys.stderr)
    return 0 if replay.identical else 1
