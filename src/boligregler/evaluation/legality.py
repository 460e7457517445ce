"""The legality check by evaluation: values at every dated breakpoint, and søknader as witnesses.

`legality(files, model)` runs the static lint (`boligregler.model.lint`) and then evaluates the
policy beside its baseline:

- **the rate margin** (L004): the loan's own rate `lånets_rente`, and any other municipal rate built
  on Husbanken's rate, minus Husbanken's national rate, at every breakpoint, is at most 0.25
  prosentpoeng (forskriften § 8-2); a municipal `prosentpoeng` parameter that does not flow into
  the stress-test rate `rente` is a margin by value. Nothing that flows only into `rente` is a margin.
- **floors** (L015–L017, L008): living costs at least the state rates for a range of households;
  the longest term still 50 years with varig lav inntekt (30 without); every national income type
  still counted except those `OPTIONAL_INCOME` lists; the equity buffer at least two months.
- **the differential search** (L021): søknader are generated around the policy's parameters and
  the thresholds its expressions compare facts with, and assessed under the policy and under a
  *lawful twin*: the policy with every change to a national definition that is not a lawful lever
  (`LEVERS`, used within its bounds) put back to the national definition. A søknad whose absolute
  national criterion comes out differently is reported as the witness.

Results are cached per process by the text of the policy chain.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal, DecimalException, localcontext
from typing import Any, Iterator

import attrs

from boligregler.diagnostics import BoligreglerError, Diagnostic, Severity
from boligregler.evaluation import runtime
from boligregler.evaluation.compiler import Program, compile_expression, compile_scheme
from boligregler.evaluation.decision import assess
from boligregler.evaluation.soknad import compile_validator
from boligregler.model import types as T
from boligregler.model.checker import policy_digest
from boligregler.model.lint import context, flow, sort, static_findings
from boligregler.model.lint.rules import finding
from boligregler.model.lint.structure import Context
from boligregler.model.policy import CheckedPolicy, SchemeDef
from boligregler.money import CONTEXT
from boligregler.syntax import ast

MAX_MARGIN = Decimal("0.0025")  # 0.25 prosentpoeng, stored as a fraction like every % value
MIN_BUFFER_MONTHS = Decimal(2)
STRESS_RATE = "rente"
# Income types a municipality may leave out of counted income with discretion (temporary income;
# Husbanken's guidance «Ulike typer inntekt» and «Midlertidig inntekt»).
OPTIONAL_INCOME = frozenset({"arbeidsavklaringspenger", "dagpenger", "introduksjonsstønad", "kvalifiseringsstønad",
                             "overgangsstønad", "kontantstøtte", "barnebidrag", "bostøtte", "sosialhjelp",
                             "leieinntekt", "annen"})
# Lawful levers (docs/kommunale-regler.md «Lovlige justeringer»): national definitions a municipality
# may change, kept in the lawful twin when their value checks pass.
LEVER_PARAMETERS = frozenset({
    "stresstest_påslag", "styringsrente", "kommunal_livsoppholdsnorm", "livsopphold_enslig", "livsopphold_par",
    "livsopphold_bofellesskap", "livsopphold_barn", "tilskudd_tilbys", "maks_tilskudd_andel",
    "ordinær_nedbetalingstid", "forlenget_nedbetalingstid", "egenkapital_buffer_måneder",
    "tellende_inntektstyper", "leieinntekt_andel", "husbankens_rente", "kommunalt_rentepåslag",
    # state fees and rates the municipality may bring up to date
    "tinglysingsgebyr", "dokumentavgift_sats", "tinglysinger_ved_kjøp", "tinglysinger_ellers"})
LEVER_COMPUTATIONS = frozenset({
    "rente", "livsoppholdsnorm", "livsopphold", "tellende_inntekt", "tilskudd", "lengste_nedbetalingstid",
    "ordinær_løpetid", "nedbetalingstid", "lånets_rente", "omkostninger"})
# National computations a municipality may change in one direction only, checked on generated søknader:
# less left to service the loan is a stricter living-cost norm, more fixed expenses likewise.
VALUE_LEVERS = {"disponibelt": -1, "faste_utgifter_sum": 1}
NOT_MET, MET = "ikke_oppfylt", ("oppfylt", "unntak", "ikke_relevant")

_CACHE: dict[str, list[Diagnostic]] = {}


def legality(files: list[ast.PolicyFile], model: CheckedPolicy) -> list[Diagnostic]:
    """Every legality finding of a municipal policy (static and by evaluation); none for the baseline."""
    if len(files) < 2:
        return []
    key = policy_digest({f.path: f.source for f in files})
    if key not in _CACHE:
        ctx = context(files, model)
        found = static_findings(ctx)
        with localcontext(CONTEXT):
            for d in Evaluated(ctx).run():
                if d not in found:
                    found.append(d)
        _CACHE[key] = sort(found)
    return list(_CACHE[key])


# ---- generated søknader ---------------------------------------------------------------------


def complete(value: Any, t: T.Type, date: str) -> Any:
    """`value` with every required field the schema has no default for filled in."""
    if isinstance(t, T.Record):
        out = dict(value) if isinstance(value, dict) else {}
        for name, spec in t.fields.items():
            if name in out:
                out[name] = complete(out[name], spec.type, date)
            elif not spec.has_default and not spec.nullable:
                out[name] = complete(None, spec.type, date)
        return out
    if value is not None:
        if isinstance(t, T.ListOf) and isinstance(value, list):
            return [complete(v, t.element, date) for v in value]
        return value
    if isinstance(t, T.Bool):
        return False
    if isinstance(t, T.Num):
        return Decimal(0)
    if isinstance(t, T.Enum):
        return t.values[0] if t.values else ""
    if isinstance(t, T.Date):
        return date
    if isinstance(t, T.ListOf):
        return [complete(None, t.element, date) for _ in range(t.min_items)]
    if isinstance(t, T.SetOf):
        return []
    return ""


SKJØNN_MET = {"avslag_fra_banker": Decimal(1), "langvarige_finansieringsproblemer": True, "spareevne_utnyttet": True,
              "stabil_bosituasjon_haster": False, "fare_for_tvangssalg": False, "hindrer_arbeid": False,
              "frigjør_kommunal_bolig": False, "varig_lav_inntekt": False, "boligen_egnet_og_nøktern": True}
HOUSEHOLDS = [([35], []), ([40, 38], [3, 9]), ([29], [2]), ([52, 24, 21], []), ([67], []), ([30], [15, 12, 8]),
              ([44, 42], [14]), ([19], []), ([58, 61], [])]


def _household(adults, children) -> dict:
    return {"voksne": [{"alder": Decimal(a)} for a in adults], "barn": [{"alder": Decimal(b)} for b in children]}


def base_soknad(date: str) -> dict:
    return {"søknadsdato": date, "formål": "kjøp", "husstand": _household([35], []),
            "inntekter": [{"type": "lønn", "netto_per_måned": Decimal(35000)}],
            "bolig": {"kjøpesum": Decimal(2500000), "eierform": "selveier", "boutgifter_per_måned": Decimal(4000)},
            "skjønn": dict(SKJØNN_MET)}


def _set(s: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        s = s.setdefault(p, {})
        if not isinstance(s, dict):
            return
    s[parts[-1]] = value


def generated(date: str, thresholds: list[tuple[str, Any]], n: int = 160, seed: int = 10) -> Iterator[dict]:
    """Deterministic varied søknader on `date`, and each threshold (fact path, value) tried on its own."""
    rng = random.Random(seed)
    prices = [900000, 1800000, 2600000, 3400000, 4500000, 6000000]
    incomes = [12000, 22000, 32000, 45000, 65000, 90000]
    for i in range(n):
        s = base_soknad(date)
        adults, children = rng.choice(HOUSEHOLDS)
        s["husstand"] = _household(adults, children)
        income = Decimal(rng.choice(incomes))
        kind = rng.choice(["lønn", "lønn", "uføretrygd", "alderspensjon", "arbeidsavklaringspenger", "næring"])
        s["inntekter"] = [{"type": kind, "netto_per_måned": income}]
        if children:
            s["inntekter"].append({"type": "barnetrygd", "netto_per_måned": Decimal(1766 * len(children))})
        purpose = rng.choice(["kjøp", "kjøp", "kjøp", "oppføring", "utbedring", "refinansiering"])
        s["formål"] = purpose
        price = Decimal(rng.choice(prices))
        if purpose in ("kjøp", "oppføring"):
            s["bolig"] = {"kjøpesum": price, "boutgifter_per_måned": Decimal(rng.choice([2500, 4000, 6500]))}
            if purpose == "kjøp":
                s["bolig"]["eierform"] = rng.choice(["selveier", "borettslag", "aksjeleilighet"])
                if s["bolig"]["eierform"] == "borettslag":
                    s["bolig"]["fellesgjeld"] = Decimal(rng.choice([0, 300000, 900000]))
        else:
            s["bolig"] = {"kostnad": price / 3, "boutgifter_per_måned": Decimal(4000)}
        s["egenkapital"] = Decimal(rng.choice([0, 0, 150000, 800000]))
        if rng.random() < 0.2:
            s["banklån"] = {"beløp": Decimal(1500000), "terminbeløp_per_måned": Decimal(9000)}
        if rng.random() < 0.2:
            s["faste_utgifter"] = [{"type": "forbrukslån", "per_måned": Decimal(3000)}]
        if rng.random() < 0.1:
            s["livsopphold_per_måned"] = Decimal(30000)
        sk = dict(SKJØNN_MET)
        sk["avslag_fra_banker"] = Decimal(rng.choice([1, 1, 2, 3]))
        variant = rng.random()
        if variant < 0.25:
            sk["langvarige_finansieringsproblemer"] = False
            sk[rng.choice(["stabil_bosituasjon_haster", "hindrer_arbeid", "frigjør_kommunal_bolig"])] = True
        if purpose == "refinansiering":
            sk["fare_for_tvangssalg"] = True
        if rng.random() < 0.3:
            sk["varig_lav_inntekt"] = True
            s["ønsket_nedbetalingstid_år"] = Decimal(50)
        s["skjønn"] = sk
        s["tilknytning"] = {"botid_måneder": Decimal(rng.choice([0, 6, 13, 25, 60])),
                            "folkeregistrert_i_kommunen": rng.random() < 0.8,
                            "leietaker_i_kommunal_bolig": rng.random() < 0.2}
        if rng.random() < 0.2:
            s["husstand"]["særlige_behov"] = True
        yield s
    for path, value in thresholds:
        s = base_soknad(date)
        _set(s, path, value)
        yield s


# ---- the checks ----------------------------------------------------------------------------


@attrs.define
class Runner:
    """One policy's validator and compiled schemes, evaluating single computations and whole søknader."""

    model: CheckedPolicy
    lookup: runtime.DatedLookup = attrs.field(init=False)
    programs: dict = attrs.field(factory=dict, init=False)
    validator: Any = attrs.field(default=None, init=False)

    def __attrs_post_init__(self):
        self.lookup = runtime.DatedLookup(self.model)

    def program(self, scheme: SchemeDef) -> Program:
        if scheme.id not in self.programs:
            self.programs[scheme.id] = compile_scheme(self.model, scheme, self.lookup)
        return self.programs[scheme.id]

    def facts(self, soknad: dict) -> dict | None:
        if self.validator is None:
            base = self.program(self.model.base_scheme)
            compiled: dict[int, Any] = {}

            def required(expr, facts):
                if id(expr) not in compiled:
                    compiled[id(expr)] = compile_expression(self.model, base, self.lookup, expr)
                return bool(compiled[id(expr)]({runtime.DATE_KEY: facts["søknadsdato"]}, facts))
            self.validator = compile_validator(self.model.schema, required)
        try:
            return self.validator(complete(soknad, self.model.schema, soknad["søknadsdato"]))
        except BoligreglerError:
            return None

    def value(self, scheme: SchemeDef, name: str, facts: dict) -> Any:
        program = self.program(scheme)
        fn = program.computations.get(name)
        if fn is None or facts is None:
            return None
        try:
            return fn({runtime.DATE_KEY: facts["søknadsdato"]}, facts)
        except (BoligreglerError, DecimalException, ArithmeticError, KeyError, TypeError):
            return None

    def results(self, scheme: SchemeDef, facts: dict) -> dict[str, str] | None:
        try:
            results, _ = assess(self.program(scheme), facts, explain=False)
        except (BoligreglerError, DecimalException, ArithmeticError, KeyError, TypeError):
            return None
        return {r.id: r.resultat for r in results}


_NATIONAL_RUNNERS: dict[tuple[str, str], Runner] = {}


class Evaluated:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.model = ctx.model
        self.national = ctx.national
        self.runner = Runner(self.model)
        key = (ctx.files[0].path, ctx.files[0].source)
        if key not in _NATIONAL_RUNNERS:
            _NATIONAL_RUNNERS[key] = Runner(self.national)
        self.base = _NATIONAL_RUNNERS[key]
        self.found: list[Diagnostic] = []
        self.bad_levers: set[str] = set()
        self.dates = self.breakpoints()

    # ---- dates
    def breakpoints(self) -> list[str]:
        """Every date a parameter or table value starts, from the first date every one of them has a value."""
        starts, firsts = set(), []
        for m in (self.model, self.national):
            for p in m.parameters.values():
                if p.values:
                    firsts.append(p.values[0].valid_from)
                    starts |= {v.valid_from for v in p.values}
            for t in m.tables.values():
                if t.versions:
                    firsts.append(t.versions[0].valid_from)
                    starts |= {v.valid_from for v in t.versions}
        first = max(firsts, default=dt.date(2024, 1, 1))
        dates = sorted({d for d in starts if d >= first} | {first})
        return [d.isoformat() for d in dates]

    def run(self) -> list[Diagnostic]:
        for check in (self.margins, self.floors, self.differential):
            try:
                check()
            except (BoligreglerError, ArithmeticError, DecimalException, RecursionError, LookupError, TypeError,
                    ValueError) as e:  # a policy the evaluating check cannot run: say so, never a traceback
                self.found.append(finding(
                    "L021", f"kontrollen ved vurdering («{check.__name__}») kunne ikke kjøres for dette regelverket "
                            f"({type(e).__name__}: {e}); bare de statiske kontrollene er gjort",
                    self.ctx.leaf_file, self.ctx.files[-1].header.span, severity=Severity.WARNING,
                    fix="rett feilen, eller kontroller regelverket manuelt"))
        return self.found

    def report(self, code: str, message: str, definition: Any = None, **kw) -> None:
        origin = getattr(definition, "origin", None)
        file = origin.file if origin else self.ctx.leaf_file
        span = (kw.pop("span", None) or origin.span) if origin else self.ctx.files[-1].header.span
        d = finding(code, message, file, span, **kw)
        if d not in self.found:
            self.found.append(d)

    def schemes(self) -> list[tuple[SchemeDef, SchemeDef]]:
        return list(self.ctx.schemes())

    def municipal_definition(self, scheme: SchemeDef, name: str) -> Any:
        """The first municipal definition `name` reads (itself included), for locating a finding."""
        reads = flow.Reads(self.model, scheme)
        c = scheme.computations.get(name)
        candidates = [c] if c is not None else []
        if c is not None:
            for r in sorted(reads.closure(c.expr), key=lambda r: (r.kind, r.name)):
                d = {"beregning": scheme.computations, "parameter": self.model.parameters,
                     "tabell": self.model.tables}.get(r.kind, {}).get(r.name)
                if d is not None:
                    candidates.append(d)
        return next((d for d in candidates if self.ctx.municipal(d)), None)

    # ---- L004: the margin on Husbanken's rate
    def margins(self) -> None:
        """The loan's rate and every municipal rate that is not the stress-test rate, by value.

        A candidate is `lånets_rente`, or a municipal computation in % or parameter in % or
        prosentpoeng that neither flows into the stress-test rate `rente` nor into an absolute
        criterion, and is not a share (multiplied with an amount). A computation or % parameter is
        compared with Husbanken's rate; a prosentpoeng parameter is itself the margin."""
        schemes = {s.id: s for s, _ in self.schemes()}
        excluded, shares, stress = set(), self.shares(), set()
        for scheme, national_scheme in self.schemes():
            reads = flow.Reads(self.model, scheme)
            if STRESS_RATE in scheme.computations:
                stress |= {r.name for r in reads.closure(scheme.computations[STRESS_RATE].expr)} | {STRESS_RATE}
        excluded |= stress
        for scheme, national_scheme in self.schemes():
            reads = flow.Reads(self.model, scheme)
            for c in scheme.criteria:
                if c.kind == "absolutt":
                    excluded |= {r.name for e in (c.condition, c.relevance, *(x.condition for x in c.exceptions))
                                 for r in reads.closure(e)}
        rates: list[tuple[str, str]] = []
        for sid, scheme in schemes.items():
            for name, c in scheme.computations.items():
                if name == "lånets_rente" or (self.ctx.municipal(c) and name not in excluded and name not in shares
                                              and isinstance(c.type, T.Num) and c.type.unit == "%"
                                              and self.built_on_lending_rate(scheme, c, stress)):
                    rates.append((sid, name))
        covered = {r.name for sid, name in rates for r in flow.Reads(self.model, schemes[sid]).closure(
            schemes[sid].computations[name].expr)}
        reported: set[tuple[str, str]] = set()
        for date in self.dates:
            national_rate = self.national_parameter("husbankens_rente", date)
            facts = self.runner.facts(base_soknad(date))
            if national_rate is None or facts is None:
                continue
            for sid, name in sorted(set(rates)):
                if (sid, name) in reported:
                    continue
                rate = self.runner.value(schemes[sid], name, facts)
                base = self.base_rate(schemes[sid], name, date, national_rate)
                if isinstance(rate, Decimal) and rate - base > MAX_MARGIN:
                    definition = self.municipal_definition(schemes[sid], name)
                    if definition is not None:
                        reported.add((sid, name))
                        self.report("L004", f"lånets rente («{name}») er {_pct(rate)} fra {date}, "
                                            f"{_pp(rate - base)} prosentpoeng over Husbankens rente "
                                            f"({_pct(base)})", definition)
        for p in self.model.parameters.values():
            if not (self.ctx.municipal(p) and isinstance(p.type, T.Num) and p.type.unit in ("%", "prosentpoeng")
                    and p.name not in excluded and p.name not in shares and p.name != "husbankens_rente"
                    and p.name not in covered):
                continue
            for v in p.values:
                if not isinstance(v.value, Decimal):
                    continue
                base = Decimal(0) if p.type.unit == "prosentpoeng" else self.national_parameter(
                    "husbankens_rente", max(v.valid_from.isoformat(), self.dates[0]))
                if base is not None and v.value - base > MAX_MARGIN:
                    what = (f"legger {_pp(v.value)} prosentpoeng på en rente" if p.type.unit == "prosentpoeng"
                            else f"er en rente på {_pct(v.value)}, {_pp(v.value - base)} prosentpoeng over Husbankens rente")
                    self.report("L004", f"parameteren «{p.name}» {what} fra {v.valid_from}, og den brukes ikke i "
                                        "renten betjeningsevnen prøves med", p, span=v.span or p.origin.span)
                    break

    def base_rate(self, scheme: SchemeDef, name: str, date: str, national_rate: Decimal) -> Decimal:
        """The rate a margin is measured from: Husbanken's national rate, unless the rate is built on a
        Husbanken rate the policy states itself as its one % parameter (a policy written without the baseline's)."""
        reads = flow.Reads(self.model, scheme).closure(scheme.computations[name].expr)
        names = {r.name for r in reads if r.kind == "parameter"}
        if "husbankens_rente" in names:
            return national_rate
        own = [self.model.parameters[n] for n in names if self.ctx.municipal(self.model.parameters[n])
               and isinstance(self.model.parameters[n].type, T.Num) and self.model.parameters[n].type.unit == "%"]
        if len(own) != 1 or not names - {own[0].name}:  # a fixed rate of its own is measured from Husbanken's
            return national_rate
        value = None
        for v in own[0].values:
            if v.valid_from.isoformat() <= date and isinstance(v.value, Decimal):
                value = v.value
        return national_rate if value is None else value

    def built_on_lending_rate(self, scheme: SchemeDef, c: Any, stress: set[str]) -> bool:
        """A rate built on Husbanken's rate, or a rate of its own; not one derived from the stress-test rate."""
        names = {r.name for r in flow.Reads(self.model, scheme).closure(c.expr)}
        return bool(names & {"husbankens_rente", "lånets_rente"}) or not names & (stress - {"husbankens_rente"})

    def shares(self) -> set[str]:
        """Names used as a factor of a product or quotient somewhere: shares (15 % of the price), not rates."""
        out = set()
        exprs = [c.expr for s, _ in self.schemes() for c in s.computations.values()]
        exprs += [e for s, _ in self.schemes() for c in s.criteria
                  for e in (c.condition, c.relevance, *(x.condition for x in c.exceptions))]
        for e in exprs:
            for node in ast.walk(e):
                if isinstance(node, ast.Binary) and node.op in ("*", "/"):
                    out |= {x.name for x in (node.left, node.right) if isinstance(x, ast.Name)}
        return out

    def national_parameter(self, name: str, date: str) -> Any:
        p = self.national.parameters.get(name)
        if p is None:
            return None
        d = dt.date.fromisoformat(date)
        value = None
        for v in p.values:
            if v.valid_from <= d:
                value = v.value
        return value

    # ---- L015, L016, L017, L008: floors on national values
    def floors(self) -> None:
        for scheme, national_scheme in self.schemes():
            for date in self.dates:
                self.living_costs(scheme, national_scheme, date)
                self.terms(scheme, national_scheme, date)
                self.incomes(scheme, national_scheme, date)
        buffer = self.model.parameters.get("egenkapital_buffer_måneder")
        if buffer is not None and self.ctx.municipal(buffer):
            for v in buffer.values:
                if isinstance(v.value, Decimal) and v.value < MIN_BUFFER_MONTHS:
                    self.bad_levers.add("egenkapital_buffer_måneder")
                    self.report("L008", f"egenkapitalbufferen er {v.value} måneder fra {v.valid_from}: søkeren må "
                                        "få beholde minst to netto månedsinntekter", buffer, span=v.span)

    def living_costs(self, scheme: SchemeDef, national_scheme: SchemeDef, date: str) -> None:
        if not self.changed_reads(scheme, "livsopphold"):
            return
        for adults, children in HOUSEHOLDS:
            s = base_soknad(date)
            s["husstand"] = _household(adults, children)
            m, n = self.runner.facts(s), self.base.facts(s)
            got = self.runner.value(scheme, "livsopphold", m)
            floor = self.base.value(national_scheme, "livsoppholdsnorm", n)
            if isinstance(got, Decimal) and isinstance(floor, Decimal) and got < floor:
                self.bad_levers |= {"livsopphold", "livsoppholdsnorm", "kommunal_livsoppholdsnorm",
                                    "livsopphold_enslig", "livsopphold_par", "livsopphold_bofellesskap",
                                    "livsopphold_barn"}
                who = f"{len(adults)} voksne og {len(children)} barn" if children else f"{len(adults)} voksne"
                self.report("L015", f"livsoppholdet er {_kr(got)} per måned for {who} fra {date}, under statens "
                                    f"veiledende satser ({_kr(floor)})",
                            self.municipal_definition(scheme, "livsopphold"), witness=s)
                return

    def changed_reads(self, scheme: SchemeDef, name: str) -> bool:
        return self.municipal_definition(scheme, name) is not None

    def terms(self, scheme: SchemeDef, national_scheme: SchemeDef, date: str) -> None:
        if not self.changed_reads(scheme, "lengste_nedbetalingstid"):
            return
        for varig in (True, False):
            s = base_soknad(date)
            s["skjønn"]["varig_lav_inntekt"] = varig
            s["ønsket_nedbetalingstid_år"] = Decimal(50)
            m, n = self.runner.facts(s), self.base.facts(s)
            want = self.base.value(national_scheme, "lengste_nedbetalingstid", n)
            got = self.runner.value(scheme, "lengste_nedbetalingstid", m)
            if got is None and "lengste_nedbetalingstid" not in scheme.computations:
                got = self.runner.value(scheme, "nedbetalingstid", m)
            if isinstance(got, Decimal) and isinstance(want, Decimal) and got < want:
                self.bad_levers |= {"lengste_nedbetalingstid", "ordinær_nedbetalingstid", "forlenget_nedbetalingstid",
                                    "nedbetalingstid", "ordinær_løpetid"}
                why = "med varig lav inntekt" if varig else "uten forlenget nedbetalingstid"
                self.report("L016", f"lengste nedbetalingstid {why} er {got} år fra {date}; forskriften § 8-5 gir "
                                    f"inntil {want} år", self.municipal_definition(scheme, "lengste_nedbetalingstid")
                            or self.model.parameters.get("forlenget_nedbetalingstid"), witness=s)
                return

    def incomes(self, scheme: SchemeDef, national_scheme: SchemeDef, date: str) -> None:
        if not self.changed_reads(scheme, "tellende_inntekt"):
            return
        kinds = self.national.types.get("inntektstype")
        for kind in getattr(kinds, "values", ()):
            if kind in OPTIONAL_INCOME:
                continue
            s = base_soknad(date)
            s["inntekter"] = [{"type": kind, "netto_per_måned": Decimal(20000)}]
            m, n = self.runner.facts(s), self.base.facts(s)
            want = self.base.value(national_scheme, "tellende_inntekt", n)
            got = self.runner.value(scheme, "tellende_inntekt", m)
            if isinstance(got, Decimal) and isinstance(want, Decimal) and got < want:
                self.bad_levers |= {"tellende_inntekt", "tellende_inntektstyper"}
                self.report("L017", f"inntektstypen «{kind}» regnes ikke lenger fullt med i tellende inntekt "
                                    f"({_kr(got)} av {_kr(want)} per måned fra {date})",
                            self.municipal_definition(scheme, "tellende_inntekt"), witness=s)

    # ---- L021: søknader refused (or granted) only because of a change that is no lawful lever
    def unlawful_changes(self, scheme: SchemeDef, national_scheme: SchemeDef) -> list[tuple[str, str, Any]]:
        """(kind, name, definition) of every change to a national definition the absolute criteria read
        that is not a lawful lever within its bounds."""
        reads = flow.Reads(self.model, scheme)
        absolute = [c for c in national_scheme.criteria if c.kind == "absolutt"]
        mine = {c.id: c for c in scheme.criteria}
        exprs = [e for n in absolute for c in [mine.get(n.id, n)]
                 for e in (c.condition, c.relevance, *(x.condition for x in c.exceptions))]
        closure = {r for e in exprs for r in reads.closure(e)}
        out = []
        for r in sorted(closure, key=lambda r: (r.kind, r.name)):
            if r.kind == "beregning":
                d, nd = scheme.computations.get(r.name), national_scheme.computations.get(r.name)
                lever = r.name in LEVER_COMPUTATIONS and (r.name != STRESS_RATE or not reads.facts(d.expr))
                if r.name in VALUE_LEVERS and d is not None and nd is not None and self.ctx.municipal(d):
                    lever = self.one_way(scheme, national_scheme, r.name, VALUE_LEVERS[r.name])
                if r.name in ("tilskudd", "tilskuddsbehov") and d is not None and nd is not None and self.ctx.municipal(d):
                    lever = self.grant_within_gap(scheme)
                if r.name == "maks_lån" and d is not None and nd is not None and self.ctx.municipal(d):
                    lever = not reads.facts(d.expr) - reads.facts(nd.expr) and self.within_interest_only(scheme)
            elif r.kind in ("parameter", "tabell"):
                table = self.model.parameters if r.kind == "parameter" else self.model.tables
                national = self.national.parameters if r.kind == "parameter" else self.national.tables
                d, nd = table.get(r.name), national.get(r.name)
                lever = r.name in LEVER_PARAMETERS
            else:
                continue
            if d is None or nd is None or not self.ctx.municipal(d):
                continue
            if not lever or r.name in self.bad_levers:
                out.append((r.kind, r.name, d))
        return out

    def one_way(self, scheme: SchemeDef, national_scheme: SchemeDef, name: str, direction: int) -> bool:
        """Whether the municipal `name` only moves the lawful way: never above (direction -1) or below (+1)
        the national value, on generated søknader."""
        for s in generated(self.dates[-1], [], n=60, seed=3):
            m, n = self.runner.facts(s), self.base.facts(s)
            a, b = self.runner.value(scheme, name, m), self.base.value(national_scheme, name, n)
            if isinstance(a, Decimal) and isinstance(b, Decimal) and (a - b) * direction < 0:
                return False
        return True

    def grant_within_gap(self, scheme: SchemeDef) -> bool:
        """Whether the grant never exceeds the gap between the loan need and maks lån (rounded up to 1 000 kr):
        a grant cannot stand in for the repayment-capacity test."""
        for s in generated(self.dates[-1], [], n=60, seed=5):
            m = self.runner.facts(s)
            grant, need, loan = (self.runner.value(scheme, n, m) for n in ("tilskudd", "lånebehov", "maks_lån"))
            if all(isinstance(v, Decimal) for v in (grant, need, loan)) and grant > max(need - loan, 0) + 1000:
                return False
        return True

    def within_interest_only(self, scheme: SchemeDef) -> bool:
        """Whether `maks_lån` never exceeds what the household can service paying interest only at the
        stress-test rate (avdragsfrihet, forskriften § 8-5): a longer term or an interest-only period is a
        lawful lever, a loan beyond that is not."""
        for s in generated(self.dates[-1], [], n=60, seed=4):
            m = self.runner.facts(s)
            loan, left, rate = (self.runner.value(scheme, n, m) for n in ("maks_lån", "disponibelt", STRESS_RATE))
            if not all(isinstance(v, Decimal) for v in (loan, left, rate)) or rate <= 0:
                continue
            if loan > max(left, Decimal(0)) * 12 / rate + 1000:
                return False
        return True

    def twin(self, scheme: SchemeDef, national_scheme: SchemeDef, changes) -> tuple[CheckedPolicy, SchemeDef]:
        """The policy with `changes` and the national absolute criteria put back to the national definitions."""
        computations = dict(scheme.computations)
        parameters, tables = dict(self.model.parameters), dict(self.model.tables)
        for kind, name, _ in changes:
            if kind == "beregning":
                computations[name] = national_scheme.computations[name]
            elif kind == "parameter":
                parameters[name] = self.national.parameters[name]
            else:
                tables[name] = self.national.tables[name]
        national_criteria = {c.id: c for c in national_scheme.criteria if c.kind == "absolutt"}
        criteria = [national_criteria.get(c.id, c) for c in scheme.criteria]
        criteria += [c for cid, c in national_criteria.items() if cid not in {x.id for x in scheme.criteria}]
        for name, c in national_scheme.computations.items():
            computations.setdefault(name, c)
        twin_scheme = attrs.evolve(scheme, computations=computations, criteria=tuple(criteria))
        types = {**self.national.expr_types, **self.model.expr_types}
        model = attrs.evolve(self.model, parameters=parameters, tables=tables, expr_types=types,
                             base_scheme=twin_scheme if not scheme.id else self.model.base_scheme,
                             schemes={**self.model.schemes, **({scheme.id: twin_scheme} if scheme.id else {})})
        return model, twin_scheme

    def thresholds(self, scheme: SchemeDef) -> list[tuple[str, Any]]:
        """Fact values around every number a municipal expression compares a fact with."""
        out: list[tuple[str, Any]] = []
        for c in [*scheme.computations.values(), *scheme.criteria]:
            if not self.ctx.municipal(c):
                continue
            exprs = [c.expr] if hasattr(c, "expr") else [c.condition, *(x.condition for x in c.exceptions)]
            for e in exprs:
                for node in ast.walk(e):
                    if not isinstance(node, ast.Compare):
                        continue
                    for side, other in ((node.left, node.right), (node.right, node.left)):
                        path = flow.path_of(side)
                        if not path or path.split(".")[0] not in self.model.schema.fields:
                            continue
                        for k in self.numbers(other):
                            k = k * 100 if isinstance(other, ast.Quantity) and other.unit in ("%",) else k
                            out += [(path, k - 1), (path, k), (path, k + 1)]
                        if isinstance(other, ast.Text):
                            out.append((path, other.value))
                        if isinstance(other, ast.Boolean):
                            out += [(path, True), (path, False)]
        return out[:60]

    def numbers(self, e: Any) -> list[Decimal]:
        if isinstance(e, ast.Quantity):
            return [e.value]
        if isinstance(e, ast.Name) and e.name in self.model.parameters:
            return [v.value for v in self.model.parameters[e.name].values if isinstance(v.value, Decimal)]
        return []

    def differential(self) -> None:
        for scheme, national_scheme in self.schemes():
            changes = self.unlawful_changes(scheme, national_scheme)
            if not changes:
                continue
            model, twin_scheme = self.twin(scheme, national_scheme, changes)
            twin = Runner(model)
            absolute = [c.id for c in national_scheme.criteria if c.kind == "absolutt"]
            names = ", ".join(f"«{name}»" for _, name, _ in changes)
            reported: set[tuple[str, str]] = set()
            dates = self.dates[-3:]
            for date in dates:
                for s in generated(date, self.thresholds(scheme), n=120 if len(dates) > 1 else 200):
                    if scheme.id:
                        s["ordning"] = scheme.id
                    m = self.runner.facts(s)
                    t = twin.facts(s)
                    if m is None or t is None:
                        continue
                    mine, theirs = self.runner.results(scheme, m), twin.results(twin_scheme, t)
                    if mine is None or theirs is None:
                        continue
                    for cid in absolute:
                        a, b = mine.get(cid), theirs.get(cid)
                        direction = ("strengere" if a == NOT_MET and b in MET else
                                     "løsere" if a in MET and b == NOT_MET else None)
                        if direction is None or (cid, direction) in reported:
                            continue
                        reported.add((cid, direction))
                        what = ("gir avslag på" if direction == "strengere" else "oppfyller")
                        self.report("L021", f"søknaden i eksempelet {what} det absolutte vilkåret «{cid}» etter "
                                            f"kommunens regler, men ikke etter forskriften; forskjellen kommer fra "
                                            f"{names}, som ikke er en lovlig justering", changes[0][2], witness=s)
                if reported:
                    break


def _pct(v: Decimal) -> str:
    return f"{(v * 100).normalize():f} %".replace(".", ",")


def _pp(v: Decimal) -> str:
    return f"{(v * 100).normalize():f}".replace(".", ",")


def _kr(v: Decimal) -> str:
    return f"{v.quantize(Decimal(1)):,} kr".replace(",", " ")
