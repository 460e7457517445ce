"""`boligregler eksempel POLICY [NAVN]`: print an example's søknad as JSON, or list the examples."""

from __future__ import annotations

import json
from decimal import Decimal

from boligregler.api import add_allow_option, load_for_command
from boligregler.testing import find_example


def register(sub) -> None:
    p = sub.add_parser("eksempel", help="skriv søknaden i et eksempel som JSON", description=(
        "Skriver søknaden i eksempelet NAVN i regelverket som JSON, klar til å endres og vurderes med "
        "«boligregler vurder». Uten NAVN listes eksemplene i regelverket."))
    p.add_argument("policy", metavar="POLICY", help="en .pol-fil eller navnet på et medfølgende regelverk")
    p.add_argument("navn", metavar="NAVN", nargs="?", help="eksempelets navn")
    p.add_argument("--format", choices=["tekst", "json"], default="tekst",
                   help="json: også listen over eksempler og feil som JSON (søknaden er alltid JSON)")
    add_allow_option(p)
    p.set_defaults(handler=run)


def plain_json(value):
    """An example's values as JSON values: whole numbers as integers, other amounts as exact numbers."""
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_json(v) for v in value]
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    return value


def run(args) -> int:
    policy = load_for_command(args.policy, args)
    if args.navn is None:
        if args.format == "json":
            print(json.dumps({"eksempler": [{"navn": ex.name, "tittel": ex.title} for ex in policy.model.examples]},
                             ensure_ascii=False, indent=2))
            return 0
        for ex in policy.model.examples:
            print(f"{ex.name}\t{ex.title}")
        return 0
    example = find_example(policy, args.navn)
    print(json.dumps(plain_json(example.input or {}), ensure_ascii=False, indent=2))
    return 0
