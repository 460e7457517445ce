"""`boligregler forklar POLICY SØKNAD.json`: the reasoned decision letter for one søknad.

A søknad that lacks required facts (or with facts marked `--ukjent`) is decided as partial
(`explain.missing`): a fact it lacks is not yet given, as an unassessed `oppgis av` fact is, so
the document is the forespørsel om opplysninger while the outcome waits for facts, and the
letter of the outcome when it holds whatever they are. Exit code 1 while the outcome waits.
"""

from __future__ import annotations

import sys

from boligregler.api import add_allow_option, unlawful_warning
from boligregler.commands import load_policy_argument
from boligregler.commands.vurder import soknad_of
from boligregler.evaluation.soknad import SoknadError
from boligregler.explain.letter import build_letter
from boligregler.explain.missing import missing_facts
from boligregler.rendering.letter import FORMATS, render


def register(sub) -> None:
    p = sub.add_parser("forklar", help="skriv begrunnelsen for vedtaket i en søknad", description=(
        "Vurderer en søknad og skriver begrunnelsen slik den kan limes inn i et vedtaksbrev: reglene "
        "som er brukt, opplysningene som er lagt til grunn, unntakene som er vurdert, barnets beste, hva "
        "som kan endre utfallet og klageadgangen. Kan søknaden ikke avgjøres fordi opplysninger mangler "
        "eller ikke er vurdert, skrives en forespørsel om opplysninger: hva som trengs, den mest "
        "avgjørende først, hvorfor og innen når (avslutningskode 1)."))
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
        decision = missing_facts(policy, soknad, args.ukjent).decision
    else:
        try:
            decision = policy.evaluate(soknad)
        except SoknadError as problem:
            try:
                decision = missing_facts(policy, soknad).decision
            except SoknadError:
                raise problem from None  # other problems than missing facts: report them all
    warning = unlawful_warning(policy)
    if warning and args.format != "json":
        sys.stdout.write(warning + "\n\n")
    sys.stdout.write(render(build_letter(decision), args.format))
    return 1 if decision.utfall == "ikke_avgjort" else 0
