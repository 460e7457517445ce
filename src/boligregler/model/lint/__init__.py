"""Legality lint: what a municipal policy may say under the national rules for startlån.

A municipal policy (one that `bygger på` another) may only state what forskrift om lån fra
Husbanken § 9-1 annet ledd and Husbanken's guidance allow local guidelines to say. The checks
reason on the checked model, not on names:

- `structure`: every absolute national criterion survives in every scheme, absolute, with an
  equivalent condition, its `relevant når` and its exceptions (L009–L014);
- `dataflow`: municipal overrides of the national computations an absolute criterion reads
  (a price inside `maks_lån`; L005–L008, L020);
- `local`: criteria the municipality writes itself: absolute local rules and caps (L001,
  L005–L008), age limits judged by value over the schema's domain (L002);
- `facts`: facts the municipality adds, classified and judged by use (L003, L018, K001), and
  national priority facts turned against the applicant (L019).

What needs evaluation (values at every dated breakpoint, the rate margin, living-cost floors,
counted income, and the differential search for søknader refused only under the municipal
rules: L004, L015–L017, L021) lives in `boligregler.evaluation.legality`, which runs these
checks too. Only definitions written outside the root baseline are checked; the baseline is
the regulation. `RULES` holds every code with its legal basis and fix; what the lint cannot see
is listed in docs/kommunale-regler.md.
"""

from __future__ import annotations

from boligregler.diagnostics import Diagnostic
from boligregler.model.checker import check
from boligregler.model.lint import dataflow, facts, local, structure
from boligregler.model.lint.rules import MAKE_MAIN_RULE, RULES, Rule, finding
from boligregler.model.lint.structure import Context
from boligregler.model.policy import CheckedPolicy
from boligregler.syntax import ast

__all__ = ["lint", "national_model", "Context", "RULES", "Rule", "MAKE_MAIN_RULE", "finding"]

_NATIONAL: dict[tuple[str, str], CheckedPolicy] = {}


def national_model(files: list[ast.PolicyFile]) -> CheckedPolicy:
    """The checked root baseline of `files`, checked once per process (syntax trees are immutable)."""
    key = (files[0].path, files[0].source)
    if key not in _NATIONAL:
        _NATIONAL[key] = check(files[:1])
    return _NATIONAL[key]


def context(files: list[ast.PolicyFile], model: CheckedPolicy) -> Context:
    return Context(files, model, national_model(files))


def lint(files: list[ast.PolicyFile], model: CheckedPolicy) -> list[Diagnostic]:
    """The static legality findings for the policy `files` describe (root baseline first) and its checked `model`.

    A policy that builds on nothing is the baseline itself and gets no findings.
    """
    if len(files) < 2:
        return []
    return static_findings(context(files, model))


def static_findings(ctx: Context) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for part in (structure.check, dataflow.check, lambda c: local.Local(c).run(), facts.check):
        for d in part(ctx):
            if d not in found:
                found.append(d)
    return sort(found)


def sort(found: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(found, key=lambda d: (d.file, d.span.line if d.span else 0, d.span.column if d.span else 0, d.code))
