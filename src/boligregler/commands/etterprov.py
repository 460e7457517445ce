"""`boligregler etterprøv VEDTAK.json SØKNAD.json`: check that a recorded decision reproduces.

The søknad is evaluated again under the policy the record names (or `--regelverk`), and the
new decision is compared with the recorded one by content (the JSON values; formatting does
not count). Exit code 0 when it is the same, 1 when it differs, with what differs and why (a
changed policy file, another søknad, another library version). With the output of a batch
(`vurder SØKNADER.jsonl`) and its input, every line is replayed against the søknad on its line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from boligregler.api import load_policy, verify
from boligregler.commands.vurder import BATCH_SUFFIXES, read_soknad, read_text
from boligregler.diagnostics import BoligreglerError
from boligregler.model.loader import shipped_policy_path
from boligregler.explain.replay import describe, read_record, replay_record
from boligregler.records import read_csv, read_jsonl


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
    text = read_text(args.vedtak)  # bytes that are not UTF-8 are located (file:line:col)
    if Path(args.vedtak).suffix.lower() in (".jsonl", ".ndjson"):
        return replay_batch(text, args)
    replay = verify(text, read_soknad(args.soknad), args.regelverk, name=args.vedtak)
    if args.format == "json":
        print(json.dumps(replay.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(describe(replay), file=sys.stdout if replay.identical else sys.stderr)
    return 0 if replay.identical else 1


def replay_batch(text: str, args) -> int:
    """Replay every decision line of a batch against the søknad on the same line of its input."""
    policies: dict[str, object] = {}
    kind = BATCH_SUFFIXES.get(Path(args.soknad).suffix.lower(), "jsonl")
    failed = 0
    checked = 0
    soknader = None
    for number, line in enumerate(text.split("\n"), 1):  # JSON Lines end at \n only
        if not line.strip():
            continue
        recorded = read_record(line, f"{args.vedtak}:{number}")
        pid = args.regelverk or recorded["sporbarhet"]["regelverk"].get("id", "")
        if pid not in policies:
            # a decision made with «tillat ulovlig» says so; replaying it needs the same permission
            allowed = isinstance(recorded.get("policy"), dict) and "lovlighet" in recorded["policy"]
            # a name from the record is only ever a shipped policy, never a path
            policies[pid] = load_policy(args.regelverk if args.regelverk else shipped_policy_path(pid),
                                        tillat_ulovlig=allowed)
        if soknader is None:
            source = read_text(args.soknad)
            records = read_jsonl(source) if kind == "jsonl" else read_csv(source, policies[pid].model.schema,
                                                                          args.soknad)
            soknader = {r.line: r for r in records}
        source_line = recorded.get("linje")
        record = soknader.get(source_line) if isinstance(source_line, int) else None
        if record is None or record.problem is not None:
            raise BoligreglerError(f"{args.vedtak}:{number}: finner ingen søknad på linje {source_line} "
                                   f"i {args.soknad}")
        replay = replay_record(recorded, record.soknad, policies[pid])
        checked += 1
        if not replay.identical:
            failed += 1
            if args.format == "json":
                print(json.dumps({"linje": source_line} | replay.to_dict(), ensure_ascii=False))
            else:
                print(f"{args.vedtak}:{number} (søknaden på linje {source_line}):\n{describe(replay)}",
                      file=sys.stderr)
    summary = f"Etterprøvde {checked} vedtak: {checked - failed} gir det samme vedtaket, {failed} avviker."
    print(summary, file=sys.stderr if args.format == "json" or failed else sys.stdout)
    return 1 if failed else 0
