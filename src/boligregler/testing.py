"""Run a policy's examples (`eksempel` blocks) as tests and describe every mismatch; build partial søknader."""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from boligregler.api import Policy
from boligregler.diagnostics import BoligreglerError, UsageError, suggest
from boligregler.model.policy import ExampleDef
from boligregler.money import format_kr


@attrs.frozen
class ExampleResult:
    policy: str
    example: ExampleDef
    mismatches: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.mismatches

    @property
    def location(self) -> str:
        span = self.example.origin.span
        return f"{self.example.origin.file}:{span.line}" if span else self.example.origin.file


def _money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _compare_amounts(expected: dict, actual: dict, prefix: str) -> list[str]:
    out = []
    for key, want in expected.items():
        if key not in actual:
            out.append(f"{prefix}{key}: forventet {format_kr(_money(want) or Decimal(0))}, men vedtaket har ikke beløpet")
            continue
        got, want_d = _money(actual[key]), _money(want)
        if want_d is None or got != want_d:
            out.append(f"{prefix}{key}: forventet {format_kr(want_d) if want_d is not None else want}, fikk {format_kr(got)}")
    return out


def compare(expected: dict, decision: dict) -> list[str]:
    """Every difference between an example's `forventet` and the decision's JSON."""
    out: list[str] = []
    for key, want in expected.items():
        if key == "beløp":
            out += _compare_amounts(want, decision["beløp"], "beløp.")
        elif key == "vilkår":
            results = {c["id"]: c for c in decision["vilkår"]}
            for cid, want_result in want.items():
                c = results.get(cid)
                got = "(finnes ikke)" if c is None else (
                    f"unntak {c['unntak']}" if c["resultat"] == "unntak" and " " in str(want_result) else c["resultat"])
                if got != want_result:
                    out.append(f"vilkår.{cid}: forventet {want_result}, fikk {got}"
                               + (f" — {c['forklaring']}" if c else ""))
        elif key == "betingelser":
            got = [b["id"] for b in decision["betingelser"]]
            if sorted(got) != sorted(want):
                out.append(f"betingelser: forventet {want}, fikk {got}")
        elif key == "mangler":  # the facts the outcome waits for, most decisive first, by path
            got = [m["opplysning"] for m in decision.get("mangler", [])]
            if got != list(want):
                out.append(f"mangler: forventet {list(want)}, fikk {got}")
        elif key == "rente":
            if _money(decision.get("rente")) != _money(want):
                out.append(f"rente: forventet {want}, fikk {decision.get('rente')}")
        else:
            if decision.get(key) != want:
                out.append(f"{key}: forventet {want}, fikk {decision.get(key)}")
    return out


def run_example(policy: Policy, example: ExampleDef) -> ExampleResult:
    try:
        decision = policy.evaluate(example.input or {}).to_dict(letter=False)  # examples never state a letter
    except BoligreglerError as e:
        return ExampleResult(policy.id, example, (f"søknaden kunne ikke vurderes: {e}",))
    return ExampleResult(policy.id, example, tuple(compare(example.expected or {}, decision)))


def run_examples(policy: Policy) -> list[ExampleResult]:
    return [run_example(policy, ex) for ex in policy.model.examples]


def find_example(policy: Policy, name: str) -> ExampleDef:
    """The example called `name` in the policy; a `UsageError` with a «mente du …?» hint if there is none."""
    names = [ex.name for ex in policy.model.examples]
    for ex in policy.model.examples:
        if ex.name == name:
            return ex
    guess = suggest(name, names)
    hint = f"; mente du «{guess}»?" if guess else (f"; eksemplene er {', '.join(names)}" if names else
                                                   "; regelverket har ingen eksempler")
    raise UsageError(f"regelverket «{policy.id}» har ikke eksempelet «{name}»{hint}", code="ukjent_eksempel",
                     params={"regelverk": policy.id, "eksempel": name, "forslag": guess})


def without(soknad: dict, *paths: str) -> dict:
    """A copy of `soknad` with the facts at the dotted `paths` (e.g. «bolig.kjøpesum») left out."""
    result = copy.deepcopy(soknad)
    for path in paths:
        *parents, last = path.split(".")
        target = result
        for key in parents:
            target = target[key]
        del target[last]
    return result
