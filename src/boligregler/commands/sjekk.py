"""`boligregler sjekk FIL...`: check policies and report every problem at once."""

from __future__ import annotations

import sys

from boligregler.diagnostics import PolicyError, Severity, render_json, render_text
from boligregler.model.checker import check
from boligregler.evaluation.legality import legality
from boligregler.model.loader import load_chain, load_chain_text
from boligregler.commands import STDIN_NAME, add_policy_files, color_wanted, policy_files, read_stdin
from boligregler.watch import follow


def register(sub) -> None:
    p = sub.add_parser("sjekk", help="sjekk regelverk for feil", description=(
        "Sjekker ett eller flere regelverk (.pol) og alt de bygger på: syntaks, navn, typer og enheter, "
        "sirkulære beregninger, daterte verdier og hjemmel. Et kommunalt regelverk (som bygger på et annet) "
        "kontrolleres også mot det forskriften og Husbankens veileder tillater lokale retningslinjer å si."))
    add_policy_files(p, "regelverk som skal sjekkes")
    p.add_argument("--format", choices=["tekst", "json"], default="tekst", help="utdataformat (standard: tekst)")
    p.add_argument("--farge", choices=["auto", "alltid", "aldri"], default="auto",
                   help="farger i terminalen (auto: bare på en terminal, og ikke med NO_COLOR eller TERM=dumb)")
    p.add_argument("--strengt", action="store_true", help="behandle advarsler som feil")
    p.add_argument("--brev", action="store_true", help=(
        "meld hva et vedtaksbrev etter regelverket ville vise som «[mangler: …]» (felt i regelverkshodet, "
        "tekster kommunen må skrive selv), med stedet der det fylles ut, også for en grunnmodell (et regelverk "
        "som ikke bygger på et annet); for et kommunalt regelverk meldes det alltid"))
    p.add_argument("--følg", action="store_true", help="sjekk på nytt hver gang et av regelverkene endres")
    p.set_defaults(handler=run)


def diagnostics_for(path: str, letters: bool = False):
    """The diagnostics of the policy at `path` (and what it builds on) and the sources they point into, with
    what its vedtaksbrev would show as a visible gap (`explain.frame.unsigned`, B004) when it builds on another
    policy (a kommune's, whose letters are sent as they are) or `letters` asks for it (a base model, whose
    letterhead each kommune fills). B004 costs next to nothing beside the check itself."""
    try:
        files = load_chain_text(read_stdin(), STDIN_NAME) if path == "-" else load_chain(path)
        model = check(files)
        if any(d.severity is Severity.ERROR for d in model.diagnostics):
            return list(model.diagnostics), model.sources
        if letters or len(files) > 1:
            from boligregler.explain.frame import unsigned
            return [*model.diagnostics, *legality(files, model), *unsigned(files[-1], model)], model.sources
        return [*model.diagnostics, *legality(files, model)], model.sources
    except PolicyError as e:
        return list(e.diagnostics), e.sources


def run(args) -> int:
    if args.følg:
        return follow(lambda: _run_once(args))
    return _run_once(args)[0]


def _run_once(args) -> tuple[int, list[str]]:
    """Check once; the exit code and every file read (to watch)."""
    all_diags, sources = [], {}
    files = policy_files(args.filer)
    for path in files:
        diags, srcs = diagnostics_for(path, args.brev)
        all_diags += [d for d in diags if d not in all_diags]
        sources.update(srcs)
    errors = [d for d in all_diags if d.severity is Severity.ERROR]
    if args.format == "json":
        print(render_json(all_diags))
    elif all_diags:
        print(render_text(all_diags, sources, color=color_wanted(args.farge, sys.stderr)), file=sys.stderr)
    else:
        print(f"Ingen feil funnet i {len(files)} regelverk.")
    return (1 if errors or (args.strengt and all_diags) else 0), [*files, *sources]
