"""`boligregler vurder POLICY SØKNAD.json`: assess one søknad and print the decision."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from boligregler.api import load_policy
from boligregler.diagnostics import BoligreglerError
from boligregler.money import load_json
from boligregler.rendering.text import render_decision


def register(sub) -> None:
    p = sub.add_parser("vurder", help="vurder en søknad", description=(
        "Vurderer en søknad (JSON som i soknad.md) etter et regelverk og skriver vedtaket. "
        "POLICY er en .pol-fil eller navnet på et medfølgende regelverk (f.eks. drammen)."))
    p.add_argument("policy", metavar="POLICY")
    p.add_argument("soknad", metavar="SØKNAD", help="søknad som JSON-fil, eller - for standard inn")
    p.add_argument("--format", choices=["tekst", "json"], default="tekst", help="utdataformat (standard: tekst)")
    p.set_defaults(handler=run)


def read_soknad(path: str):
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise BoligreglerError(f"{path}: kan ikke lese filen ({e.strerror})") from None
    try:
        return load_json(text)
    except json.JSONDecodeError as e:
        raise BoligreglerError(f"{path}:{e.lineno}:{e.colno}: ugyldig JSON: {e.msg}") from None


def run(args) -> int:
    policy = load_policy(args.policy)
    decision = policy.evaluate(read_soknad(args.soknad))
    if args.format == "json":
        print(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_decision(decision))
    return 0
