"""Evaluate a søknad under a compiled policy and build the decision record of vedtak.md."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import attrs

from boligregler.evaluation import runtime
from boligregler.evaluation.compiler import CompiledCriterion, Program
from boligregler.money import CONTEXT, money_json

OUTCOME_NAMES = {"innvilget": "innvilget", "avslag": "avslag", "manuell_vurdering": "manuell vurdering"}
OUTCOME_WORDS = {"innvilget": "innvilget", "avslag": "avslått", "manuell_vurdering": "sendt til manuell vurdering"}
RESULT_WORDS = {"oppfylt": "oppfylt", "ikke_oppfylt": "ikke oppfylt", "unntak": "oppfylt etter unntak",
                "ikke_relevant": "ikke relevant"}


class UnknownCriterion(KeyError):
    """`Decision.criterion` of an id the decision has no criterion for."""

    def __init__(self, cid: str, known: tuple[str, ...]):
        super().__init__(cid)
        self.message = f"vedtaket har ikke vilkåret «{cid}»; vilkårene er: {', '.join(known) or 'ingen'}"

    def __str__(self) -> str:
        return self.message


@attrs.frozen
class CriterionResult:
    id: str
    tittel: str
    resultat: str  # oppfylt | ikke_oppfylt | unntak | ikke_relevant
    art: str
    hjemmel: str
    lenke: str | None
    unntak: str | None
    forklaring: str

    def to_dict(self) -> dict[str, Any]:
        d = {"id": self.id, "tittel": self.tittel, "resultat": self.resultat, "art": self.art,
             "hjemmel": self.hjemmel}
        if self.unntak is not None:
            d["unntak"] = self.unntak
        d["forklaring"] = self.forklaring
        return d


@attrs.frozen
class Decision:
    """The outcome of one søknad under one policy, with every criterion and amount.

    `basis` is what the letter and the replay record are built from: an object with
    `letter(decision) -> str` and `record(decision, with_letter=bool) -> dict` (`explain.basis.Basis`,
    attached by `boligregler.api`); evaluation itself knows nothing of letters. A decision read
    back with `from_dict` has no basis and carries the recorded letter and record instead.
    Decisions pickle: the letter and record are built first, the basis is left out.
    """

    utfall: str
    ordning: str
    policy: dict[str, str]
    søknadsdato: dt.date
    beløp: dict[str, Decimal]
    rente: Decimal | None
    nedbetalingstid_år: Decimal | None
    vilkår: tuple[CriterionResult, ...]
    betingelser: tuple[tuple[str, str], ...]
    memo: dict[str, Any] = attrs.field(eq=False, repr=False)  # the evaluation's memo ("c:navn", "p:navn")
    basis: Any = attrs.field(default=None, eq=False, repr=False)
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

    def to_dict(self, *, letter: bool = True) -> dict[str, Any]:
        """The JSON record of vedtak.md: money as strings, stable key order.

        `letter=False` leaves out `begrunnelse` (the decision letter, whose search for what would
        change the outcome is the costly part), e.g. when screening many søknader; the record
        (`sporbarhet`) then lists what the assessment read, and replays as it is.
        """
        out: dict[str, Any] = {
            "utfall": self.utfall,
            "ordning": self.ordning,
            "policy": dict(self.policy),
            "søknadsdato": self.søknadsdato.isoformat(),
            "beløp": {k: money_json(v) for k, v in self.beløp.items()},
        }
        if self.rente is not None:
            with localcontext(CONTEXT):
                out["rente"] = str((self.rente * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        if self.nedbetalingstid_år is not None:
            out["nedbetalingstid_år"] = int(self.nedbetalingstid_år)
        out["vilkår"] = [c.to_dict() for c in self.vilkår]
        out["betingelser"] = [{"id": i, "tekst": t} for i, t in self.betingelser]
        if letter:
            out["begrunnelse"] = self.begrunnelse
        trace = self._record(with_letter=letter)
        if trace is not None:
            out["sporbarhet"] = trace
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        """A decision read back from its JSON record (`to_dict`), e.g. one stored in a database.

        Money, rates and dates become Decimal and date again; the letter and the record are kept
        as recorded, so `from_dict(d).to_dict() == d`. Raises `ValueError` on a malformed record.
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
                                                 c.get("lenke"), c.get("unntak"), c["forklaring"])
                                 for c in data["vilkår"]),
                    betingelser=tuple((b["id"], b["tekst"]) for b in data["betingelser"]),
                    memo={},
                )
        except (KeyError, TypeError, AttributeError, ArithmeticError, ValueError) as e:
            raise ValueError(f"ikke et vedtak fra boligregler: {type(e).__name__}: {e}") from None
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


def default_explanation(title: str, result: str) -> str:
    """The explanation of a criterion whose policy gives no text for `result`."""
    return f"Vilkåret «{title}» er {RESULT_WORDS[result]}."


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


def assess(program: Program, facts: dict, *, explain: bool = True) -> tuple[list[CriterionResult], dict]:
    """Run the criteria; returns their results and the memo of every value computed on the way."""
    M: dict[str, Any] = {runtime.DATE_KEY: facts["søknadsdato"]}
    F = facts
    results = []
    for c in program.criteria:
        d = c.definition
        result, letter = criterion_result(c, M, F)
        text = ""
        if explain:
            if letter is not None and letter in c.exception_explanations:
                text = c.exception_explanations[letter](M, F)
            elif result in c.explanations:
                text = c.explanations[result](M, F)
            else:
                text = default_explanation(d.title, result)
        results.append(CriterionResult(d.id, d.title, result, d.kind, d.hjemmel, d.lenke, letter, text))
    return results, M


def decide(outcome_rules, default: str, results: list[CriterionResult]) -> str:
    """The first outcome rule whose kind of criterion has one not met; else the default."""
    failed_kinds = {r.art for r in results if r.resultat == "ikke_oppfylt"}
    for rule in outcome_rules:
        if rule.kind in failed_kinds:
            return rule.outcome
    return default
