"""`boligregler forklar POLICY SØKNAD.json`: the reasoned decision letter for one søknad.

A søknad that lacks required facts (or with facts marked `--ukjent`) gives instead a report of
the facts still needed, most decisive first, or the outcome if it no longer depends on them.
"""

from __future__ import annotations

import sys

from boligregler.api import add_allow_option, unlawful_warning
from boligregler.commands import load_policy_argument
from boligregler.commands.vurder import soknad_of
from boligregler.evaluation.soknad import SoknadError
from boligregler.explain.letter import build_letter
from boligregler.explain.missing import missing_facts
from boligregler.rendering.letter import FORMATS, render, render_completeness


def register(sub) -> None:
    p = sub.add_parser("forklar", help="skriv begrunnelsen for vedtaket i en søknad", description=(
        "Vurderer en søknad og skriver begrunnelsen slik den kan limes inn i et vedtaksbrev: reglene "
        "som er brukt, opplysningene som er lagt til grunn, unntakene som er vurdert, barnets beste, hva "
        "som kan endre utfallet og klageadgangen. Mangler søknaden opplysninger, skrives i stedet hvilke "
        "som trengs, den mest avgjørende først, eller utfallet hvis det ikke avhenger av dem."))
    p.add_argument("policy", metavar="POLICY", help="en .pol-fil eller navnet på et medfølgende regelverk")
    p.add_argument("soknad", metavar="SØKNAD", nargs="?", help="søknad som JSON-fil, eller - for standard inn")
    p.add_argument("-e", "--eksempel", metavar="NAVN", help="forklar søknaden i regelverkets eksempel NAVN")
    p.add_argument("--format", choices=FORMATS, default="tekst", help="utdataformat (standard: tekst)")
    p.add_argument("--ukjent", action="append", default=[], metavar="STI",
                   help="regn opplysningen som ukjent selv om den er oppgitt eller har standardverdi, "
                        "f.eks. skjønn.avslag_fra_banker (kan gjentas)")
    add_allow_option(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    policy = load_policy_argument(args.policy, args)
    soknad = soknad_of(policy, args)
    if args.ukjent:
        return _completeness(policy, soknad, args)
    try:
        decision = policy.evaluate(soknad)
    except SoknadError as problem:
        try:
            return _completeness(policy, soknad, args)
        except SoknadError:
            raise problem from None  # other problems than missing facts: report them all
    warning = unlawful_warning(policy)
    if warning and args.format != "json":
        sys.stdout.write(warning + "\n\n")
    sys.stdout.write(render(build_letter(decision), args.format))
    return 0


def _completeness(policy, soknad, args) -> int:
    """Exit code 0 when the outcome is decided without the missing facts, 1 when facts are needed."""
    completeness = missing_facts(policy, soknad, args.ukjent)
    sys.stdout.write(render_completeness(completeness, args.format))
    return 0 if completeness.decided else 1

