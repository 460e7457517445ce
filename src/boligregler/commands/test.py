"""`boligregler test [POLICY...]`: run the examples written in policies."""

from __future__ import annotations

import sys

from boligregler.api import add_allow_option, load_for_command
from boligregler.diagnostics import PolicyError
from boligregler.model.loader import shipped_policies_dir
from boligregler.testing import run_examples


def register(sub) -> None:
    p = sub.add_parser("test", help="kjør eksemplene i regelverk", description=(
        "Vurderer hver eksempelsøknad i regelverkene og sammenligner med det forventede utfallet. "
        "Uten argumenter kjøres alle medfølgende regelverk."))
    p.add_argument("filer", nargs="*", metavar="POLICY")
    p.add_argument("-v", "--detaljert", action="store_true", help="vis også eksempler som består")
    add_allow_option(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    paths = args.filer or sorted(str(p) for p in shipped_policies_dir().glob("*.pol"))
    passed = failed = 0
    for path in paths:
        try:
            policy = load_for_command(path, args)
        except PolicyError as e:
            print(f"✗ {path}: regelverket har feil\n{e}", file=sys.stderr)
            failed += 1
            continue
        for r in run_examples(policy):
            if r.passed:
                passed += 1
                if args.detaljert:
                    print(f"✓ {r.policy}: {r.example.name}")
            else:
                failed += 1
                print(f"✗ {r.policy}: {r.example.name} «{r.example.title}» ({r.location})")
                for m in r.mismatches:
                    print(f"    {m}")
    print(f"{passed} bestått, {failed} feilet")
    if passed + failed == 0:
        print("ingen eksempler ble kjørt: regelverkene har ingen «eksempel»-blokker", file=sys.stderr)
        return 1
    return 1 if failed else 0
