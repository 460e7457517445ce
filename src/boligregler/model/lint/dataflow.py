"""What reaches an absolute criterion: municipal overrides of the national computations it reads.

A national computation the municipality overrides keeps its national role. If the override
reads a søknad fact the national definition does not read (a price inside `maks_lån`, botid
inside `lånebehov`), or a municipal parameter where the national computation is not one of the
lawful levers (`LEVERS`), it puts a local rule inside an absolute criterion. Whether a lever is
used within its bounds, and whether the change refuses anyone the baseline would not, is
checked by evaluating the policy (`boligregler.evaluation.legality`).
"""

from __future__ import annotations

from boligregler.diagnostics import Diagnostic
from boligregler.model.lint import flow
from boligregler.model.lint.rules import finding
from boligregler.model.lint.structure import Context

# National computations a municipality may redefine (docs/kommunale-regler.md, «Lovlige justeringer»),
# with the søknad facts the redefinition may read besides those the national definition reads.
LEVERS: dict[str, tuple[str, ...]] = {
    "rente": (),  # the stress-test rate: any rate that reads no søknad fact
    "livsoppholdsnorm": ("husstand", "livsopphold_per_måned"),
    "livsopphold": ("husstand", "livsopphold_per_måned"),
    "tellende_inntekt": ("inntekter",),
    "tilskudd": (),
    "tilskuddsbehov": (),
    "lengste_nedbetalingstid": ("ønsket_nedbetalingstid_år", "skjønn", "husstand.barn"),
    "ordinær_løpetid": ("ønsket_nedbetalingstid_år",),
    "nedbetalingstid": ("ønsket_nedbetalingstid_år", "skjønn"),
    "omkostninger": (),
    "disponibelt": (),  # less left over is a stricter living-cost norm; the other direction is checked by value
    "faste_utgifter_sum": ("faste_utgifter",),
}

CAP_FACTS = (
    ("tilknytning.botid_måneder", "L005", "et krav om botid"),
    ("egenkapital", "L008", "et krav om egenkapital"),
    ("inntekter", "L006", "en inntektsgrense"),
    ("bolig.kjøpesum", "L007", "et pristak"),
    ("bolig.fellesgjeld", "L007", "et pristak"),
    ("husstand.voksne.alder", "L002", "en aldersgrense"),
)
CAP_COMPUTATIONS = {"tellende_inntekt": ("L006", "en inntektsgrense"), "grunnlag": ("L007", "et pristak"),
                    "egenkapital_brukt": ("L008", "et krav om egenkapital")}


def _under(path: str, prefixes) -> bool:
    return any(path == p or path.startswith(p + ".") for p in prefixes)


def _deciding_facts(ctx: Context, expr) -> set[str]:
    """Facts `expr` compares, tests membership of, or branches or filters on (not only adds up)."""
    from boligregler.model.lint.facts import deciding_in
    return deciding_in(ctx, expr)


def cap_of(read: flow.Read) -> tuple[str, str]:
    if read.kind == "beregning" and read.name in CAP_COMPUTATIONS:
        return CAP_COMPUTATIONS[read.name]
    if read.kind == "fakta":
        for prefix, code, what in CAP_FACTS:
            if _under(read.name, (prefix,)):
                return code, what
    return "L020", "en lokal regel"


def check(ctx: Context) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    seen: set[tuple[int, str]] = set()
    for scheme, national_scheme in ctx.schemes():
        absolute = [c for c in scheme.criteria if c.kind == "absolutt"
                    and any(n.id == c.id and n.kind == "absolutt" for n in national_scheme.criteria)]
        reads = flow.Reads(ctx.model, scheme)
        national_reads = flow.Reads(ctx.national, national_scheme)
        reached = reads.computations([e for c in absolute for e in
                                      (c.condition, c.relevance, *(x.condition for x in c.exceptions))])
        for name in sorted(reached):
            c = scheme.computations[name]
            n = national_scheme.computations.get(name)
            if n is None or not ctx.municipal(c) or (id(c), name) in seen:
                continue
            seen.add((id(c), name))
            own = {k: d.expr for k, d in scheme.computations.items()
                   if ctx.municipal(d) and k not in ctx.national.computations}
            inlined = flow.inline(c.expr, own)
            municipal_reads = reads.direct(inlined)
            deciding = _deciding_facts(ctx, inlined)
            before = national_reads.direct(n.expr)
            before_facts = {r.name for r in before if r.kind == "fakta"}
            allowed = LEVERS.get(name)
            where = f"beregningen «{name}»" + (f" i ordningen «{scheme.id}»" if scheme.id else "")
            reported = set()
            for r in sorted(municipal_reads, key=lambda r: (r.kind, r.name)):
                if r.kind == "fakta" and r.name not in before_facts and not _under(r.name, allowed or ()):
                    # a lever may add an amount (a pension counted as income); deciding on a new fact is a rule
                    new = allowed is None or r.name in deciding
                elif r.kind == "beregning" and r.name in CAP_COMPUTATIONS and r not in before:
                    new = True
                elif r.kind in ("parameter", "tabell") and allowed is None and r not in before:
                    new = ctx.municipal(ctx.model.parameters.get(r.name) or ctx.model.tables.get(r.name))
                else:
                    new = False
                if not new:
                    continue
                code, what = cap_of(r)
                if (code, r.name) in reported:
                    continue
                reported.add((code, r.name))
                kind = {"fakta": "søknadsfeltet", "beregning": "beregningen", "parameter": "parameteren",
                        "tabell": "tabellen"}[r.kind]
                found.append(finding(
                    code, f"{where} overstyrer en nasjonal beregning som et absolutt vilkår bygger på, og "
                          f"leser {kind} «{r.name}», som den nasjonale beregningen ikke leser: det er {what} "
                          "som gir avslag uten skjønn",
                    c.origin.file, getattr(r.node, "span", None) or c.origin.span))
    return found
