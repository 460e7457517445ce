"""The public Python API: `load_policy(path)` → `Policy`; `Policy.evaluate(søknad)` → `Decision`."""

from __future__ import annotations

from decimal import localcontext
from pathlib import Path
from typing import Any

from boligregler.diagnostics import PolicyError, Severity, UsageError
from boligregler.evaluation import runtime
from boligregler.evaluation.compiler import Program, compile_expression, compile_scheme
from boligregler.evaluation.interpreter import interpret_scheme
from boligregler.evaluation.decision import Decision, assess, decide
from boligregler.evaluation.soknad import compile_validator
from boligregler.explain.basis import Basis
from boligregler.model.checker import check, policy_digest
from boligregler.model.loader import load_chain
from boligregler.model.policy import CheckedPolicy
from boligregler.money import CONTEXT


BACKENDS = {"compiled": compile_scheme, "interpreter": interpret_scheme}


class Policy:
    """A checked, ready-to-run policy. Build it with `load_policy`.

    `backend` picks how the checked model runs: "compiled" (generated Python, the default)
    or "interpreter" (the reference tree-walker, slower; both give the same decisions).
    """

    def __init__(self, model: CheckedPolicy, backend: str = "compiled"):
        if backend not in BACKENDS:
            raise UsageError(f"ukjent motor «{backend}»; velg en av {', '.join(sorted(BACKENDS))}",
                             code="ukjent_motor", params={"motor": backend, "gyldige": sorted(BACKENDS)})
        self.model = model
        self.backend = backend
        self.sha256 = policy_sha256(model)  # by file name: the same wherever the files are
        self._lookup = runtime.DatedLookup(model)
        self._programs: dict[tuple[str, str], Program] = {}  # (backend, scheme id) → program
        self._validator = None
        self._conditions: dict[tuple[str, int], Any] = {}  # (scheme, id(expr)) → function; the model keeps expr alive

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def navn(self) -> str:
        return str(self.model.header.get("navn", self.model.id))

    @property
    def lookup(self) -> runtime.DatedLookup:
        """The dated parameter and table values, shared by every scheme's program."""
        return self._lookup

    @property
    def warnings(self):
        return [d for d in self.model.diagnostics if d.severity is Severity.WARNING]

    def program(self, ordning: str, backend: str | None = None) -> Program:
        """The program of the scheme `ordning` picks, run by this policy's backend or by `backend`.

        Explanations re-evaluate many times and ask for "compiled" whichever backend the policy runs.
        """
        scheme = self.model.scheme_for(ordning)
        key = (backend or self.backend, scheme.id)
        if key not in self._programs:
            self._programs[key] = BACKENDS[key[0]](self.model, scheme, self._lookup)
        return self._programs[key]

    def validate(self, soknad: Any) -> dict:
        """The søknad as typed facts with defaults applied; raises `SoknadError` listing every problem."""
        if self._validator is None:
            def required(expr, facts):
                with localcontext(CONTEXT):
                    return bool(self.expression(expr)({runtime.DATE_KEY: facts["søknadsdato"]}, facts))
            self._validator = compile_validator(self.model.schema, required)
        return self._validator(soknad)

    def expression(self, expr, ordning: str = ""):
        """A checked expression of this policy (e.g. a `påkrevd når` condition) as a function of (memo, facts).

        The memo maps `runtime.DATE_KEY` to the søknadsdato and may hold values already computed
        ("c:navn", "p:navn"); the function is compiled once per scheme and expression.
        """
        program = self.program(ordning)
        key = (program.scheme.id, id(expr))
        if key not in self._conditions:
            self._conditions[key] = compile_expression(self.model, program, self._lookup, expr)
        return self._conditions[key]

    def evaluate(self, soknad: Any, *, explain: bool = True) -> Decision:
        """Assess a søknad (a dict as in soknad.md) and return the decision."""
        facts = self.validate(soknad)
        return self.evaluate_facts(facts, explain=explain)

    def evaluate_facts(self, facts: dict, *, explain: bool = True) -> Decision:
        """Assess already validated facts (see `validate`)."""
        ordning = facts.get("ordning", "")
        program = self.program(ordning)
        with localcontext(CONTEXT):
            results, M = assess(program, facts, explain=explain)
            utfall = decide(self.model.outcome_rules, self.model.outcome_default, results)
            M["utfall"] = utfall
            amounts = {key: fn(M, facts) for key, fn in program.decision}
        rente = amounts.pop("rente", None)
        term = amounts.pop("nedbetalingstid_år", None)
        granted = utfall != "avslag"
        conditions = tuple((c.id, c.text) for c in program.scheme.conditions) if granted else ()
        return Decision(
            utfall=utfall, ordning=ordning,
            policy={"id": self.id, "navn": self.navn, "sha256": self.sha256},
            søknadsdato=facts["søknadsdato"], beløp=amounts, rente=rente, nedbetalingstid_år=term,
            vilkår=tuple(results), betingelser=conditions,
            memo=M,
            basis=Basis(self, program, facts, M) if explain else None,
        )


    def evaluate_batch(self, batch):
        """Decide a batch of søknader as columns (`boligregler.evaluation.columnar.Batch`).

        The columnar backend decides every row it can represent exactly; the other rows are
        decided here by `evaluate_facts` and marked in the result's `fallback`.
        """
        from boligregler.diagnostics import BoligreglerError
        from boligregler.evaluation import columnar
        return columnar.evaluate(self.model, batch, lambda facts: self.evaluate_facts(facts, explain=False),
                                 (BoligreglerError,))


def policy_sha256(model: CheckedPolicy) -> str:
    """sha256 over the policy and its bases, by file name, so the path it was loaded from does not matter."""
    return policy_digest({Path(path).name: text for path, text in model.sources.items()})


def check_policy(path: str | Path) -> CheckedPolicy:
    """Parse and check a policy and its bases; syntax errors raise, other findings are in `.diagnostics`."""
    return check(load_chain(path))


def load_policy(path: str | Path, backend: str = "compiled") -> Policy:
    """Load a policy file (or the name of a shipped policy); raises `PolicyError` if it has errors."""
    model = check_policy(path)
    errors = [d for d in model.diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise PolicyError(tuple(errors), model.sources)
    return Policy(model, backend)
