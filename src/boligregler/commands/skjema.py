"""`boligregler skjema POLICY`: the søknad the policy accepts, as JSON Schema (draft 2020-12)."""

from __future__ import annotations

import json

from boligregler.api import load_policy
from boligregler.rendering.json_schema import soknad_schema


def register(sub) -> None:
    p = sub.add_parser("skjema", help="skriv søknadsskjemaet som JSON Schema", description=(
        "Skriver søknaden regelverket tar imot som JSON Schema (utkast 2020-12), laget fra regelverkets "
        "skjema: typer, enheter, lovlige verdier, grenser, standardverdier, «påkrevd når» og beskrivelsene "
        "fra dokumentasjonskommentarene. Det samme skjemaet gir tjenesten på /v1/regelverk/ID/skjema."))
    p.add_argument("policy", metavar="POLICY", help="en .pol-fil eller navnet på et medfølgende regelverk")
    p.add_argument("--format", choices=["json"], default="json", help="utdataformat (bare json)")
    p.set_defaults(handler=run)


def run(args) -> int:
    policy = load_policy(args.policy)
    print(json.dumps(soknad_schema(policy.model, policy.sha256), ensure_ascii=False, indent=2))
    return 0
