"""Evaluate a søknad under a compiled policy and build the decision record of vedtak.md."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import attrs

from boligregler.diagnostics import BoligreglerError
from boligregler.evaluation import runtime
from boligregler.evaluation.compiler import CompiledCriterion, Program
from boligregler.evaluation.partial import absent_facts, at, choices, completions, filled, settle
from boligregler.evaluation.runtime import NotAssessed, Unassessed
from boligregler.money import CONTEXT, money_json
from boligregler.norsk import per_form, tredje_person

OUTCOME_NAMES = {"innvilget": "innvilget", "avslag": "avslag", "manuell_vurdering": "manuell vurdering",
                 "ikke_avgjort": "ikke avgjort"}
OUTCOME_WORDS = {"innvilget": "innvilget", "avslag": "avslått", "manuell_vurdering": "sendt til manuell vurdering",
                 "ikke_avgjort": "ikke avgjort ennå, fordi opplysninger mangler"}
# The evaluation's own words, one text for both målformer or (bokmål, nynorsk): a criterion's result, the
# sentence of a criterion whose policy gives no text for it, and who provides a fact not yet there
# (`oppgis av …`) in the third person. The record states them; the letters take them from here.
WORDS = per_form({
    "result": {"oppfylt": "oppfylt", "ikke_oppfylt": ("ikke oppfylt", "ikkje oppfylt"),
               "unntak": "oppfylt etter unntak",
               "ikke_relevant": ("gjelder ikke for denne søknaden", "gjeld ikkje for denne søknaden"),
               "ikke_vurdert": ("ikke vurdert ennå", "ikkje vurdert enno")},
    "default": {"oppfylt": "Vilkåret «{title}» er oppfylt.",
                "ikke_oppfylt": ("Vilkåret «{title}» er ikke oppfylt.", "Vilkåret «{title}» er ikkje oppfylt."),
                "unntak": "Vilkåret «{title}» er oppfylt etter unntak.",
                "ikke_relevant": ("Vilkåret «{title}» gjelder ikke for denne søknaden.",
                                  "Vilkåret «{title}» gjeld ikkje for denne søknaden.")},
    "provider": {"søker": ("oppgis av søkeren", "blir oppgitt av søkjaren"),
                 "saksbehandler": ("vurderes av saksbehandler", "blir vurdert av saksbehandlaren"),
                 "dokumentasjon": ("dokumenteres", "blir dokumentert")},
    "waiting": ("Vilkåret kan ikke vurderes før dette foreligger: {facts}.",
                "Vilkåret kan ikkje vurderast før dette ligg føre: {facts}."),
    "whatever": (", uansett hvordan opplysningene som mangler, blir vurdert.",
                 ", uansett korleis opplysningane som manglar, blir vurderte."),
})
RESULT_WORDS = WORDS["bokmål"]["result"]
RESULT_LABELS = {**RESULT_WORDS, "ikke_relevant": "ikke relevant"}  # a result as a short label (a table, a heading)
PROVIDER_WORDS = WORDS["bokmål"]["provider"]


class UnknownCriterion(BoligreglerError, KeyError):
    """`Decision.criterion` of an id the decision has no criterion for (also a `KeyError`)."""

    code = "ukjent_vilkaar"

    def __init__(self, cid: str, known: tuple[str, ...]):
        super().__init__(f"vedtaket har ikke vilkåret «{cid}»; vilkårene er: {', '.join(known) or 'ingen'}",
                         params={"vilkår": cid, "gyldige": list(known)})

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class RecordError(BoligreglerError, ValueError):
    """`Decision.from_dict` of something that is not a decision record (also a `ValueError`)."""

    code = "ugyldig_vedtak"


@attrs.frozen
class CriterionResult:
    id: str
    tittel: str
    resultat: str  # oppfylt | ikke_oppfylt | unntak | ikke_relevant | ikke_vurdert
    art: str
    hjemmel: str
    lenke: str | None
    unntak: str | None
    forklaring: str
    venter_på: tuple[str, ...] = ()  # ikke_vurdert: the absent facts whose value decides it

    def to_dict(self) -> dict[str, Any]:
        d = {"id": self.id, "tittel": self.tittel, "resultat": self.resultat, "art": self.art,
             "hjemmel": self.hjemmel}
        if self.lenke is not None:
            d["lenke"] = self.lenke
        if self.unntak is not None:
            d["unntak"] = self.unntak
        d["forklaring"] = self.forklaring
        if self.venter_på:
            d["venter_på"] = list(self.venter_på)
        return d


# JSON of a criterion's fields before `unntak` and `forklaring`, by those fields (few: criteria × results)
_CRITERION_HEADS: dict[tuple, str] = {}


def _criterion_json(c: CriterionResult) -> str:
    """`json.dumps(c.to_dict(), ensure_ascii=False)`, with the fields up to `lenke` encoded once."""
    key = (c.id, c.tittel, c.resultat, c.art, c.hjemmel, c.lenke)
    head = _CRITERION_HEADS.get(key)
    if head is None:
        if len(_CRITERION_HEADS) >= 4096:
            _CRITERION_HEADS.clear()
        fields = {"id": c.id, "tittel": c.tittel, "resultat": c.resultat, "art": c.art, "hjemmel": c.hjemmel}
        head = _CRITERION_HEADS[key] = json.dumps(fields | ({} if c.lenke is None else {"lenke": c.lenke}),
                                                  ensure_ascii=False)[:-1]
    text = head if c.unntak is None else f'{head}, "unntak": {json.dumps(c.unntak, ensure_ascii=False)}'
    text = f'{text}, "forklaring": {json.dumps(c.forklaring, ensure_ascii=False)}'
    return f'{text}}}' if not c.venter_på else f'{text}, "venter_på": {json.dumps(list(c.venter_på), ensure_ascii=False)}}}'


@attrs.frozen
class Pending:
    """A fact that is not yet given or assessed, and the criteria that wait for it (`mangler`)."""

    opplysning: str  # its path in the søknad
    beskrivelse: str  # the schema's doc comment, in Norwegian
    oppgis_av: str  # søker | saksbehandler | dokumentasjon
    vilkår: tuple[str, ...]
    beløp: tuple[str, ...] = ()  # amounts of the vedtak that depend on it

    def to_dict(self) -> dict[str, Any]:
        out = {"opplysning": self.opplysning, "beskrivelse": self.beskrivelse, "oppgis_av": self.oppgis_av,
               "vilkår": list(self.vilkår)}
        if self.beløp:
            out["beløp"] = list(self.beløp)
        return out


def fact_json(value: Any) -> Any:
    """A fact as the record writes it: numbers whole or as exact text, dates as ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def amounts_json(amounts: dict[str, Decimal]) -> dict[str, str]:
    """The amounts as the record writes them: kroner, with øre where an amount is not whole."""
    return {k: money_json(v) for k, v in amounts.items()}


def rate_json(rate: Decimal | None) -> str | None:
    """The yearly rate as the record writes it: percent with two decimals, rounded half up."""
    if rate is None:
        return None
    with localcontext(CONTEXT):
        return str((rate * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@attrs.frozen
class Assessment:
    """A case worker's assessment with the reason given beside it in the søknad (fvl. § 25 tredje ledd)."""

    opplysning: str
    beskrivelse: str
    verdi: Any = attrs.field(eq=fact_json)  # compared as recorded: 12.5 and "12.5" are the same assessment
    begrunnelse: str

    def to_dict(self) -> dict[str, Any]:
        return {"opplysning": self.opplysning, "beskrivelse": self.beskrivelse, "verdi": fact_json(self.verdi),
                "begrunnelse": self.begrunnelse}


@attrs.frozen
class Decision:
    """The outcome of one søknad under one policy, with every criterion and amount.

    `basis` is what the letter and the replay record are built from: an object with
    `letter(decision) -> str` and `record(decision, with_letter=bool) -> dict` (`explain.basis.Basis`,
    attached by `boligregler.api`); evaluation itself knows nothing of letters. A decision read
    back with `from_dict` has no basis and carries the recorded letter and record instead.
    Decisions pickle: the letter and record are built first, the basis is left out.

    Two decisions are equal when they decide the same: outcome, scheme, policy, date, every
    criterion and condition, what is missing and the assessments, with amounts compared to
    the øre and the rate to the hundredth of a percent, as the record states them (an amount
    the policy does not round, such as a monthly margin, is decided to the øre). So
    `Decision.from_dict(d.to_dict()) == d` for every decision.
    """

    utfall: str
    ordning: str
    policy: dict[str, str]
    søknadsdato: dt.date
    beløp: dict[str, Decimal] = attrs.field(eq=amounts_json)
    rente: Decimal | None = attrs.field(eq=rate_json)
    nedbetalingstid_år: Decimal | None
    vilkår: tuple[CriterionResult, ...]
    betingelser: tuple[tuple[str, str], ...]
    memo: dict[str, Any] = attrs.field(eq=False, repr=False)  # the evaluation's memo ("c:navn", "p:navn")
    basis: Any = attrs.field(default=None, eq=False, repr=False)
    mangler: tuple[Pending, ...] = ()  # ikke_avgjort: the facts still needed, most decisive first
    # the search for `mangler` reached `SEARCH_BUDGET`: they are then every fact the undecided parts wait for
    mangler_avgrenset: bool = False
    skjønnsvurderinger: tuple[Assessment, ...] = ()  # assessments given with the case worker's reason
    _built: dict[str, Any] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    @property
    def values(self) -> dict[str, Any]:
        """Every computation and parameter value the assessment used, by name."""
        if "values" not in self._built:
            self._built["values"] = {k[2:]: v for k, v in self.memo.items()
                                     if isinstance(k, str) and k[:2] in ("c:", "p:")}
        return self._built["values"]

    @property
    def begrunnelse(self) -> str:
        """The reasons as a letter in plain Norwegian text, built on first use ("" without a basis)."""
        if "begrunnelse" not in self._built:
            self._built["begrunnelse"] = self.basis.letter(self) if self.basis is not None else ""
        return self._built["begrunnelse"]

    @property
    def sporbarhet(self) -> dict[str, Any] | None:
        """The replay record: policy and library versions, parameters used (by the letter too), søknad hash."""
        return self._record(with_letter=True)

    def _record(self, *, with_letter: bool) -> dict[str, Any] | None:
        key = "sporbarhet" if with_letter else "sporbarhet_uten_brev"
        if key not in self._built:
            if self.basis is None:
                return self._built.get("sporbarhet")
            if with_letter:
                self.begrunnelse  # the letter may read parameters too; they belong in the record
            self._built[key] = self.basis.record(self, with_letter=with_letter)
        return self._built[key]

    def to_dict(self, *, letter: bool = True, sporbarhet: bool = True) -> dict[str, Any]:
        """The JSON record of vedtak.md: money as strings, stable key order.

        `letter=False` leaves out `begrunnelse` (the decision letter, whose search for what would
        change the outcome is the costly part), e.g. when screening many søknader; the record
        (`sporbarhet`) then lists what the assessment read, and replays as it is. `sporbarhet=False`
        leaves the record out (`to_json` writes it from its parts).
        """
        out: dict[str, Any] = {
            "utfall": self.utfall,
            "ordning": self.ordning,
            "policy": dict(self.policy),
            "søknadsdato": self.søknadsdato.isoformat(),
            "beløp": amounts_json(self.beløp),
        }
        if self.rente is not None:
            out["rente"] = rate_json(self.rente)
        if self.nedbetalingstid_år is not None:
            out["nedbetalingstid_år"] = int(self.nedbetalingstid_år)
        out["vilkår"] = [c.to_dict() for c in self.vilkår]
        out["betingelser"] = [{"id": i, "tekst": t} for i, t in self.betingelser]
        if self.mangler:
            out["mangler"] = [m.to_dict() for m in self.mangler]
        if self.mangler_avgrenset:
            out["mangler_avgrenset"] = True
        if self.skjønnsvurderinger:
            out["skjønnsvurderinger"] = [a.to_dict() for a in self.skjønnsvurderinger]
        if letter:
            out["begrunnelse"] = self.begrunnelse
        trace = self._record(with_letter=letter) if sporbarhet else None
        if trace is not None:
            out["sporbarhet"] = trace
        return out

    def to_json(self, *, letter: bool = True, head: dict[str, Any] | None = None) -> str:
        """`json.dumps(head | self.to_dict(letter=letter), ensure_ascii=False)`, built faster for a batch: the
        criteria's and the record's parts that are the same for many decisions are encoded once (`head`: keys a
        batch line writes first, such as its line number)."""
        out = self.to_dict(letter=letter, sporbarhet=False)
        vilkår = out.pop("vilkår")
        first, rest = {**(head or {})}, {}
        for key, value in out.items():
            (rest if rest or key == "betingelser" else first)[key] = value
        if self.basis is not None and ("sporbarhet" if letter else "sporbarhet_uten_brev") not in self._built:
            trace_json = self.basis.record_json(self, with_letter=letter)
        else:
            trace = self._record(with_letter=letter)
            trace_json = None if trace is None else json.dumps(trace, ensure_ascii=False)
        criteria = ", ".join(_criterion_json(c) for c in self.vilkår)
        text = f'{json.dumps(first, ensure_ascii=False)[:-1]}, "vilkår": [{criteria}], {json.dumps(rest, ensure_ascii=False)[1:]}'
        return text if trace_json is None else f'{text[:-1]}, "sporbarhet": {trace_json}}}'

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        """A decision read back from its JSON record (`to_dict`), e.g. one stored in a database.

        Money, rates and dates become Decimal and date again; the letter and the record are kept
        as recorded, so `from_dict(d).to_dict() == d`. Raises `RecordError` (a `ValueError`) on a
        malformed record.
        """
        try:
            rente = data.get("rente")
            with localcontext(CONTEXT):
                decision = cls(
                    utfall=data["utfall"], ordning=data["ordning"], policy=dict(data["policy"]),
                    søknadsdato=dt.date.fromisoformat(data["søknadsdato"]),
                    beløp={k: Decimal(v) for k, v in data["beløp"].items()},
                    rente=None if rente is None else Decimal(rente) / 100,
                    nedbetalingstid_år=None if data.get("nedbetalingstid_år") is None
                    else Decimal(data["nedbetalingstid_år"]),
                    vilkår=tuple(CriterionResult(c["id"], c["tittel"], c["resultat"], c["art"], c["hjemmel"],
                                                 c.get("lenke"), c.get("unntak"), c["forklaring"],
                                                 tuple(c.get("venter_på", ())))
                                 for c in data["vilkår"]),
                    betingelser=tuple((b["id"], b["tekst"]) for b in data["betingelser"]),
                    memo={},
                    mangler=tuple(Pending(m["opplysning"], m["beskrivelse"], m["oppgis_av"], tuple(m["vilkår"]),
                                          tuple(m.get("beløp", ()))) for m in data.get("mangler", ())),
                    mangler_avgrenset=bool(data.get("mangler_avgrenset", False)),
                    skjønnsvurderinger=tuple(Assessment(a["opplysning"], a["beskrivelse"], a["verdi"],
                                                        a["begrunnelse"]) for a in data.get("skjønnsvurderinger", ())),
                )
        except (KeyError, TypeError, AttributeError, ArithmeticError, ValueError) as e:
            raise RecordError(f"ikke et vedtak fra boligregler: {type(e).__name__}: {e}",
                              params={"feil": type(e).__name__}) from None
        decision._built["begrunnelse"] = data.get("begrunnelse", "")
        if "sporbarhet" in data:
            decision._built["sporbarhet"] = data["sporbarhet"]
        return decision

    def __getstate__(self) -> dict[str, Any]:
        self.sporbarhet  # build the letter and the record now: the basis (compiled code) does not pickle
        self._record(with_letter=False)
        return {"fields": {a.name: getattr(self, a.name) for a in attrs.fields(type(self)) if a.name != "basis"}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state["fields"].items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "basis", None)

    def criterion(self, cid: str) -> CriterionResult:
        """The result of the criterion `cid`; a `KeyError` naming the criteria there are if it has none."""
        for c in self.vilkår:
            if c.id == cid:
                return c
        raise UnknownCriterion(cid, tuple(c.id for c in self.vilkår))


def default_explanation(title: str, result: str, form: str = "bokmål") -> str:
    """The explanation of a criterion whose policy gives no text for `result`, in the policy's målform."""
    return WORDS[form]["default"][result].format(title=title)


def criterion_result(c: CompiledCriterion, M: dict, F: dict) -> tuple[str, str | None]:
    """A criterion's result over memo `M` and facts `F`, and the letter of the exception that applied."""
    if c.relevance is not None and not c.relevance(M, F):
        return "ikke_relevant", None
    if c.condition(M, F):
        return "oppfylt", None
    for letter, cond in c.exceptions:
        if cond(M, F):
            return "unntak", letter
    return "ikke_oppfylt", None


def described_with_provider(description: str, provided_by: str, form: str = "bokmål") -> str:
    """A fact that is not there, in Norwegian: its description and who provides it, in the policy's målform,
    all in the third person (a policy's text for a fact is written to the applicant: «Om du har …»)."""
    return (f"{tredje_person(description.strip().rstrip('.'), form)} – "
            f"{WORDS[form]['provider'].get(provided_by, provided_by)}")


def describe_pending(p: "Pending", form: str = "bokmål") -> str:
    """A fact the outcome waits for (`mangler`), as `described_with_provider` words it."""
    return described_with_provider(p.beskrivelse, p.oppgis_av, form)


def waiting_explanation(waits: tuple[Unassessed, ...], form: str = "bokmål") -> str:
    return WORDS[form]["waiting"].format(facts="; ".join(described_with_provider(f.doc or f.text, f.provided_by, form) for f in waits))


def _text(c: CompiledCriterion, result: str, letter: str | None, waits, M: dict, F: dict, undecided: bool,
          form: str) -> str:
    d = c.definition
    try:
        if letter is not None and letter in c.exception_explanations:
            return c.exception_explanations[letter](M, F)
        if result in c.explanations:
            return c.explanations[result](M, F)
    except NotAssessed:
        pass
    if result == "ikke_vurdert":
        return waiting_explanation(waits, form)
    text = default_explanation(d.title, result, form)
    if undecided:
        text = text[:-1] + WORDS[form]["whatever"]
    return text


def assess(program: Program, facts: dict, *, explain: bool = True, seed: dict | None = None, form: str = "bokmål"
           ) -> tuple[list[CriterionResult], dict]:
    """Run the criteria; returns their results and the memo of every value computed on the way.

    A criterion that reads a fact not yet given or assessed is settled over every completion
    (`partial.settle`): decided if they agree, else `ikke_vurdert` with the facts it waits for.
    The texts are in the policy's målform (`form`) where the policy gives none.
    """
    M: dict[str, Any] = dict(seed) if seed is not None else {runtime.DATE_KEY: facts["søknadsdato"]}
    F = facts
    results = []
    for c in program.criteria:
        d = c.definition
        waits: tuple[Unassessed, ...] = ()
        try:
            result, letter = criterion_result(c, M, F)
            undecided = False
        except NotAssessed:
            result, letter, waits = settle(criterion_result, c, M, F)
            undecided = True
        text = _text(c, result, letter, waits, M, F, undecided, form) if explain else ""
        results.append(CriterionResult(d.id, d.title, result, d.kind, d.hjemmel, d.lenke, letter, text,
                                       tuple(f.text for f in waits)))
        if waits:
            M.setdefault("@venter", {})[d.id] = waits
    return results, M


def decide(outcome_rules, default: str, results: list[CriterionResult]) -> str:
    """The outcome: the first outcome rule with a criterion of its kind not met, else the default.

    A criterion of the rule's kind that waits for facts (`ikke_vurdert`) makes the outcome
    `ikke_avgjort` unless an earlier rule applies or one of the same kind is not met whatever
    the missing facts are: avslag > ikke_avgjort > manuell_vurdering > innvilget.
    """
    failed_kinds = {r.art for r in results if r.resultat == "ikke_oppfylt"}
    waiting_kinds = {r.art for r in results if r.resultat == "ikke_vurdert"}
    for rule in outcome_rules:
        if rule.kind in failed_kinds:
            return rule.outcome
        if rule.kind in waiting_kinds:
            return "ikke_avgjort"
    return default


@attrs.frozen
class Conclusion:
    """What `conclude` finds: criteria, memo, outcome, amounts and what undecided parts wait for."""

    results: list[CriterionResult]
    memo: dict
    utfall: str
    amounts: dict[str, Any]
    amount_waits: dict[str, tuple[Unassessed, ...]]  # amounts whose value depends on absent facts
    settled: dict  # the memo after the criteria: values that read no absent fact, so hold for every completion


def conclude(program: Program, facts: dict, outcome_rules, default: str, *, explain: bool = True,
             seed: dict | None = None, form: str = "bokmål") -> Conclusion:
    """Criteria, outcome and the vedtak's amounts (run inside the money context).

    An amount that reads an absent fact is reported when every completion gives the same
    value. A grant whose amounts still depend on an absent fact is not decided: innvilget or
    manuell_vurdering becomes ikke_avgjort, since the terms of the loan wait for the fact.
    """
    results, M = assess(program, facts, explain=explain, seed=seed, form=form)
    settled = {k: v for k, v in M.items() if k != "@venter"}
    utfall = decide(outcome_rules, default, results)
    amounts, waits = _amounts(program, facts, M, utfall)
    if waits and utfall not in ("avslag", "ikke_avgjort"):
        utfall = "ikke_avgjort"
        amounts, waits = _amounts(program, facts, M, utfall)
    return Conclusion(results, M, utfall, amounts, waits, settled)


def _amounts(program: Program, facts: dict, M: dict, utfall: str):
    M["utfall"] = utfall
    amounts: dict[str, Any] = {}
    waits: dict[str, tuple[Unassessed, ...]] = {}
    for key, fn in program.decision:
        try:
            amounts[key] = fn(M, facts)
        except NotAssessed:
            leaves, reads, gave_up = completions(fn, M, facts)
            values = {value for _, value in leaves}
            if not gave_up and len(values) == 1:
                amounts[key] = values.pop()
            else:
                waits[key] = tuple(reads)
    return amounts, waits


def pending(program: Program, facts: dict, c: Conclusion, outcome_rules, default: str, form: str = "bokmål"
            ) -> tuple[tuple[Pending, ...], bool]:
    """The facts an undecided outcome waits for: exactly those whose value can change it, most decisive first.

    A fact is listed when two completions of the missing facts that differ only in it give different
    vedtak (`_Search`). First a fact one of whose values decides the outcome on its own, then the
    facts more criteria wait for, then in the order the assessment first read them. The second
    value says whether the search stopped at `SEARCH_BUDGET`: the facts are then every fact the
    undecided criteria and amounts wait for, more than can change the outcome. Each description is in the
    third person, as the record's other texts are (`norsk.tredje_person`, in målform `form`).
    """
    kinds = {rule.kind for rule in outcome_rules}
    art = {r.id: r.art for r in c.results}
    criteria: dict[str, list[str]] = {}
    amounts: dict[str, list[str]] = {}
    for cid, waits in c.memo.get("@venter", {}).items():
        if art[cid] in kinds:
            for f in waits:
                criteria.setdefault(f.text, []).append(cid)
    for key, waits in c.amount_waits.items():
        for f in waits:
            amounts.setdefault(f.text, []).append(key)
    search = _Search(program, facts, c.settled, outcome_rules, default)
    try:
        found, bounded = search.mattering(c), False
    except _Exhausted:
        waiting = [f for waits in (*c.memo.get("@venter", {}).values(), *c.amount_waits.values()) for f in waits]
        found, bounded = list({f.text: f for f in waiting}.values()), True
    first_read = {t: i for i, t in enumerate(dict.fromkeys([*criteria, *amounts, *(f.text for f in found)]))}
    by_text = {f.text: f for f in found}

    def decisive_alone(fact: Unassessed) -> bool:
        branch, domain = choices(fact, facts)
        if branch is not fact:  # whether it may be absent depends on another fact: try the values it may take
            domain = tuple(v for v in fact.domain or () if v is not None)
        return any(conclude(program, filled(facts, fact.path, value), outcome_rules, default, explain=False,
                            seed=c.settled).utfall != "ikke_avgjort" for value in domain or ())

    ranked = sorted(by_text, key=lambda t: (not decisive_alone(by_text[t]), -len(criteria.get(t, ())), first_read[t]))
    return tuple(Pending(t, tredje_person((by_text[t].doc or t).strip(), form), by_text[t].provided_by, tuple(criteria.get(t, ())),
                         tuple(amounts.get(t, ()))) for t in ranked), bounded


SEARCH_BUDGET = 100_000  # partly completed søknader the search for `mangler` decides before it stops (no shipped policy nears it)


class _Exhausted(Exception):
    """The search for `mangler` reached `SEARCH_BUDGET`."""


class _Search:
    """Which missing facts can change the vedtak, found exactly by branching on one fact at a time.

    Each node of the search is the søknad with some missing facts filled in, decided under the
    same three-valued semantics (`conclude`); a node whose outcome is settled holds for every
    completion of the facts still missing and ends its branch (most branches end after a few
    facts), otherwise the search branches on a fact an undecided criterion or amount waits for,
    with the values the søknad allows it there (`partial.choices`). The leaves partition every
    completion, so a fact can change the vedtak exactly when two leaves that fix it differently,
    and agree on every other fact both fix, decide differently (as `partial._matters`).

    The vedtak of a completion is its outcome and, unless it is avslag, its amounts and terms.
    When every completion gives the same vedtak though no criterion alone decides it (one of two
    absolute criteria fails whichever way a fact goes), the criteria it rests on count too: the
    facts listed are then those that decide which. A number that cannot be enumerated
    (`model.domains`) ends its branch undecided and is listed when such a branch waits for it.
    """

    def __init__(self, program: Program, facts: dict, settled: dict, outcome_rules, default: str):
        self.program, self.facts, self.settled = program, facts, settled
        self.rules, self.default = outcome_rules, default
        self.kinds = [rule.kind for rule in outcome_rules]
        # Choices that may be absent only where a condition does not hold: every leaf fixes them, so two
        # leaves that agree on the other facts stand for completions that are both valid søknader.
        self.optional = [f for f in absent_facts(facts) if f.required is not None and f.domain is not None]
        self.budget = SEARCH_BUDGET

    def conclude(self, facts: dict) -> Conclusion:
        self.budget -= 1
        if self.budget < 0:
            raise _Exhausted
        return conclude(self.program, facts, self.rules, self.default, explain=False, seed=self.settled)

    def mattering(self, root: Conclusion) -> list[Unassessed]:
        """The facts that can change the vedtak, in the order the search first branched on them."""
        for grounds in (False, True):
            leaves: list[tuple[dict[str, Any], Any]] = []
            kept: dict[str, Unassessed] = {}
            order: dict[str, Unassessed] = {}
            self._explore(root, self.facts, {}, grounds, leaves, kept, order)
            found = {t for t in order if self._changes(t, leaves)}
            if found or kept:
                return [f for t, f in order.items() if t in found] + [f for t, f in kept.items() if t not in found]
        return list(order.values())  # every completion decides alike, yet a criterion gave up enumerating: all

    def _explore(self, c: Conclusion, facts: dict, assignment: dict[str, Any], grounds: bool, leaves: list,
                 kept: dict, order: dict) -> None:
        fact, blocked = self._next(c, facts, grounds)
        settled = fact is None
        if settled:
            fact = next((f for f in self.optional if at(facts, f.path) is f), None)
        domain = None
        if fact is not None:
            fact, domain = choices(fact, facts)
            if domain is None and not settled:  # (whether a choice may be absent depends on a number)
                blocked = [fact]
        if domain is None:
            for f in blocked:
                kept.setdefault(f.text, f)
            leaves.append((assignment, self._vedtak(c, grounds)))
            return
        order.setdefault(fact.text, fact)
        for value in domain:
            completed = filled(facts, fact.path, value)
            self._explore(self.conclude(completed), completed, {**assignment, fact.text: value}, grounds,
                          leaves, kept, order)

    def _next(self, c: Conclusion, facts: dict, grounds: bool) -> tuple[Unassessed | None, list[Unassessed]]:
        """The fact to branch on (None when the node is settled) and the numbers that block it."""
        if c.utfall != "ikke_avgjort" and not (grounds and c.utfall != self.default):
            return None, []
        waiting = c.memo.get("@venter", {})
        art = {r.id: r.art for r in c.results}
        relevant = self.kinds if c.utfall == "ikke_avgjort" else [self._kind(c.utfall)]
        candidates = [f for kind in relevant for cid, waits in waiting.items() if art[cid] == kind for f in waits]
        if c.utfall == "ikke_avgjort":
            candidates += [f for waits in c.amount_waits.values() for f in waits]
        for f in candidates:
            if f.domain is not None:
                return f, []
        return None, candidates

    def _kind(self, utfall: str) -> str:
        return next(rule.kind for rule in self.rules if rule.outcome == utfall)

    def _vedtak(self, c: Conclusion, grounds: bool) -> Any:
        if c.utfall == "ikke_avgjort":
            return ("ikke_avgjort",)
        key: tuple = (c.utfall,)
        if c.utfall != "avslag":
            key += tuple((k, fact_json(v)) for k, v in c.amounts.items())
        if grounds and c.utfall != self.default:
            kind = self._kind(c.utfall)
            key += tuple(r.id for r in c.results if r.art == kind and r.resultat == "ikke_oppfylt")
        return key

    @staticmethod
    def _changes(text: str, leaves: list) -> bool:
        """Whether two leaves that fix `text` differently, and agree on every other fact both fix, differ."""
        fixing = [(a, v) for a, v in leaves if text in a]
        for i, (a, v) in enumerate(fixing):
            for b, w in fixing[i + 1:]:
                if v != w and a[text] != b[text] and all(b.get(t, x) == x for t, x in a.items() if t != text):
                    return True
        return False

