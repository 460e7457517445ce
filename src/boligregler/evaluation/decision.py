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
    """The outcome of one søknad under one policy, with every criterion and amount."""

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
    # What the letter and the replay record are built from (explain.basis.Basis); None: no texts.
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
        """The reasons as a letter in plain Norwegian text, built on first use (boligregler.explain)."""
        if "begrunnelse" not in self._built:
            from boligregler.explain.letter import begrunnelse_text
            self._built["begrunnelse"] = begrunnelse_text(self) if self.basis is not None else ""
        return self._built["begrunnelse"]

    @property
    def sporbarhet(self) -> dict[str, Any] | None:
        """The replay record: policy and library versions, parameters used, søknad hash (explain.replay)."""
        if self.basis is None:
            return None
        if "sporbarhet" not in self._built:
            from boligregler.explain.replay import record
            self.begrunnelse  # the letter may read parameters too; they belong in the record
            self._built["sporbarhet"] = record(self)
        return self._built["sporbarhet"]

    def to_dict(self, *, letter: bool = True) -> dict[str, Any]:
        """The JSON record of vedtak.md: money as strings, stable key order.

        `letter=False` leaves out `begrunnelse` (the decision letter, whose search for what would
        change the outcome is the costly part), e.g. when screening many søknader.
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
        if self.basis is not None:
            out["sporbarhet"] = self.sporbarhet
        return out

    def criterion(self, cid: str) -> CriterionResult:
        return next(c for c in self.vilkår if c.id == cid)


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
