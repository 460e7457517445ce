"""`boligregler sammenlign A B`: what differs between two policies, as text or JSON."""

from __future__ import annotations

import json

from boligregler.api import add_allow_option
from boligregler.commands import load_policy_argument
from boligregler.model.diff import compare, example_differences, render_text


def register(sub) -> None:
    p = sub.add_parser("sammenlign", help="vis forskjellene mellom to regelverk", description=(
        "Viser hva som skiller regelverk B fra regelverk A: parametre med gamle og nye verdier, "
        "beregninger, vilkår (med unntak, art og hjemmel), betingelser og ordninger. "
        "Sammenlignes en kommune med grunnmodellen den bygger på, vises nøyaktig de lokale reglene. "
        "A og B er .pol-filer eller navn på medfølgende regelverk (f.eks. nasjonal drammen)."))
    p.add_argument("a", metavar="A", help="regelverket det sammenlignes fra")
    p.add_argument("b", metavar="B", help="regelverket det sammenlignes med")
    p.add_argument("--format", choices=["tekst", "json"], default="tekst", help="utdataformat (standard: tekst)")
    p.add_argument("--eksempler", action="store_true",
                   help="vurder også eksempelsøknadene i begge regelverk og vis dem som får ulikt utfall")
    add_allow_option(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    a, b = load_policy_argument(args.a, args), load_policy_argument(args.b, args)
    diff = compare(a.model, b.model)
    if args.eksempler:
        diff = diff.with_examples(example_differences(a, b))
    if args.format == "json":
        print(json.dumps(diff.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_text(diff))
    return 0
