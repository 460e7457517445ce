"""The public Python API: `load_policy(path)` → `Policy`; `Policy.evaluate(søknad)` → `Decision`.

This module composes the stages: it builds a `Decision` (evaluation) with the `Basis` its letter
and replay record are made from (explain), so that evaluation never imports explain.

Thread safety: a `Policy` may be shared by any number of threads. Its lazily compiled programs
and validator are built under a lock, evaluation keeps its state in per-call memos, and decimal
arithmetic runs in a thread-local context. A `Decision` is immutable; its letter and record are
built on first use (two threads that ask at once may both build them, with the same result).
"""

from __future__ import annotations

import hashlib
import sys
import threading
from decimal import localcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from boligregler.diagnostics import Diagnostic, PolicyError, Severity, UsageError
from boligregler.evaluation import runtime
from boligregler.evaluation.compiler import Program, compile_expression, compile_scheme
from boligregler.evaluation.interpreter import interpret_scheme
from boligregler.evaluation.locate import locate
from boligregler.evaluation.runtime import EvaluationError
from boligregler.evaluation.decision import Assessment, Decision, conclude, pending
from boligregler.evaluation.soknad import REASONS, compile_validator, described_schema, description
from boligregler.model.loader import (Resolver, base_source, load_chain, load_chain_text, read_text, resolve_policy_path,
                                      shipped_policy_path, text_base_source)
from boligregler.model.policy import CheckedPolicy
from boligregler.money import CONTEXT
from boligregler.norsk import tredje_person

if TYPE_CHECKING:  # the explain layer is imported where a decision's letter, record or replay is made
    from boligregler.explain.replay import Replay


BACKENDS = {"compiled": compile_scheme, "interpreter": interpret_scheme}


class Policy:
    """A checked, ready-to-run policy. Build it with `load_policy`.

    `backend` picks how the checked model runs: "compiled" (generated Python, the default)
    or "interpreter" (the reference tree-walker, slower; both give the same decisions), or is a
    function (model, scheme, lookup) → `Program`, e.g. an instrumented interpreter (boligregler.coverage).
    """

    def __init__(self, model: CheckedPolicy, backend: str = "compiled", unlawful: tuple = ()) -> None:
        if not callable(backend) and backend not in BACKENDS:
            raise UsageError(f"ukjent motor «{backend}»; velg en av {', '.join(sorted(BACKENDS))}",
                             code="ukjent_motor", params={"motor": backend, "gyldige": sorted(BACKENDS)})
        self.model = model
        # Legality errors this policy was loaded with anyway (`load_policy(..., tillat_ulovlig=True)`);
        # every decision records them and every output shows them.
        self.unlawful = tuple(unlawful)
        self.backend = backend
        self.sha256 = policy_sha256(model)  # of the content only: the same whatever the files are called
        self._lock = threading.RLock()  # guards the lazily built programs, validator and conditions
        self._lookup = runtime.DatedLookup(model)
        self._programs: dict[tuple[str, str], Program] = {}  # (backend, scheme id) → program
        self._validator = None
        self._conditions: dict[tuple[str, int], Any] = {}  # (scheme, id(expr)) → function; the model keeps expr alive
        self._assessed = _assessed_records(model.schema)  # records holding case workers' assessments

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def navn(self) -> str:
        return str(self.model.header.get("navn", self.model.id))

    @property
    def versjon(self) -> str | None:
        """The version label the header gives (`versjon: "2026.1"`), if any."""
        value = self.model.header.get("versjon")
        return None if value is None else str(value)

    @property
    def lookup(self) -> runtime.DatedLookup:
        """The dated parameter and table values, shared by every scheme's program."""
        return self._lookup

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.model.diagnostics if d.severity is Severity.WARNING]

    def program(self, ordning: str, backend: str | None = None) -> Program:
        """The program of the scheme `ordning` picks, run by this policy's backend or by `backend`.

        Explanations re-evaluate many times and ask for "compiled" whichever backend the policy runs.
        """
        scheme = self.model.scheme_for(ordning)
        key = (backend or self.backend, scheme.id)
        program = self._programs.get(key)
        if program is None:
            with self._lock:
                if key not in self._programs:
                    make = BACKENDS[key[0]] if isinstance(key[0], str) else key[0]
                    self._programs[key] = make(self.model, scheme, self._lookup)
                program = self._programs[key]
        return program

    def validate(self, soknad: Any, *, unknown: frozenset[str] | None = None) -> dict[str, Any]:
        """The søknad as typed facts with defaults applied; raises `SoknadError` listing every problem.

        With `unknown` (paths, possibly none) the søknad is partial: what it lacks is not yet given
        (see `evaluation.soknad.compile_validator`), and only other problems raise.
        """
        validator = self._validator
        if validator is None:
            with self._lock:
                if self._validator is None:
                    def required(expr, facts):
                        with localcontext(CONTEXT):
                            return bool(self.expression(expr)({runtime.DATE_KEY: facts["søknadsdato"]}, facts))
                    self._validator = compile_validator(described_schema(self.model), required)
                validator = self._validator
        return validator(soknad) if unknown is None else validator(soknad, unknown)

    def expression(self, expr: Any, ordning: str = "") -> Callable[[dict, dict], Any]:
        """A checked expression of this policy (e.g. a `påkrevd når` condition) as a function of (memo, facts).

        The memo maps `runtime.DATE_KEY` to the søknadsdato and may hold values already computed
        ("c:navn", "p:navn"); the function is compiled once per scheme and expression.
        """
        program = self.program(ordning)
        key = (program.scheme.id, id(expr))
        function = self._conditions.get(key)
        if function is None:
            with self._lock:
                if key not in self._conditions:
                    self._conditions[key] = compile_expression(self.model, program, self._lookup, expr)
                function = self._conditions[key]
        return function

    def evaluate(self, soknad: Any, *, explain: bool = True) -> Decision:
        """Assess a søknad (a dict as in soknad.md) and return the decision."""
        facts = self.validate(soknad)
        return self.evaluate_facts(facts, explain=explain)

    def evaluate_facts(self, facts: dict[str, Any], *, explain: bool = True, mangler: bool = True) -> Decision:
        """Assess already validated facts (see `validate`).

        `mangler=False` skips the search for the facts an undecided outcome waits for (most of
        the time an undecided søknad takes); `Decision.mangler` is then empty.
        """
        ordning = facts.get("ordning", "")
        program = self.program(ordning)
        rules, default = self.model.outcome_rules, self.model.outcome_default
        try:
            form = str(self.model.header.get("målform", "bokmål"))
            with localcontext(CONTEXT):
                c = conclude(program, facts, rules, default, explain=explain, form=form)
                waits, bounded = pending(program, facts, c, rules, default, form) \
                    if mangler and c.utfall == "ikke_avgjort" else ((), False)
        except EvaluationError as e:
            raise locate(self, facts, e) from None  # with the policy, file:line:col and søknad path
        from boligregler.explain.basis import Basis
        c.memo.pop("@venter", None)
        results, M, utfall, amounts = c.results, c.memo, c.utfall, dict(c.amounts)
        rente = amounts.pop("rente", None)
        term = amounts.pop("nedbetalingstid_år", None)
        granted = utfall != "avslag"
        conditions = tuple((c.id, c.text) for c in program.scheme.conditions) if granted else ()
        return Decision(
            utfall=utfall, ordning=ordning, policy=self.record(),
            søknadsdato=facts["søknadsdato"], beløp=amounts, rente=rente, nedbetalingstid_år=term,
            vilkår=tuple(results), betingelser=conditions,
            memo=M,
            basis=Basis(self, program, facts, M, explain=explain),
            mangler=waits, mangler_avgrenset=bounded, skjønnsvurderinger=self._reasons(facts, form),
        )

    def _reasons(self, facts: dict, form: str) -> tuple[Assessment, ...]:
        """The case worker's assessments that the søknad gives a reason for, in schema order, each described in
        the third person (`norsk.tredje_person`), as the record's other texts are."""
        out = []
        for path, record in self._assessed:
            values = facts
            for part in path:
                values = values[part]
            reasons = values.get(REASONS, {})
            for key in (k for k in record.fields if k in reasons and runtime.given(values[k])):
                text, prefix = reasons[key], ".".join(path)
                out.append(Assessment(f"{prefix}.{key}" if prefix else key,
                                      tredje_person(description(record.fields[key].doc), form),
                                      values[key], text))
        return tuple(out)

    def record(self) -> dict:
        """How a decision names its policy; with `lovlighet` when it was loaded despite legality errors."""
        policy: dict = {"id": self.id, "navn": self.navn, "sha256": self.sha256}
        if self.versjon is not None:
            policy["versjon"] = self.versjon
        if self.unlawful:
            policy["lovlighet"] = {"tillatt_ulovlig": True, "funn": sorted({d.code for d in self.unlawful})}
        return policy

    def evaluate_batch(self, batch, *, mangler: bool = True):
        """Decide a batch of søknader as columns (`boligregler.evaluation.columnar.Batch`).

        The columnar backend decides every row it can represent exactly; the other rows are
        decided here by `evaluate_facts` and marked in the result's `fallback`. `mangler=False`
        leaves the result's `missing` empty (see `evaluate_facts`), for runs that only need
        outcomes and amounts, such as the kartlegging's price search.
        """
        from boligregler.diagnostics import BoligreglerError
        from boligregler.evaluation import columnar
        return columnar.evaluate(self.model, batch,
                                 lambda facts: self.evaluate_facts(facts, explain=False, mangler=mangler),
                                 (BoligreglerError,), mangler=mangler)


UNLAWFUL_WARNING = ("ADVARSEL: regelverket har lovlighetsfeil ({codes}) og er kjørt med «tillat ulovlig»; "
                    "vedtaket kan ikke brukes uten at feilene er rettet.")


def unlawful_warning(policy: Policy) -> str | None:
    """The line every output prints for a policy loaded despite legality errors, else None."""
    if not policy.unlawful:
        return None
    return UNLAWFUL_WARNING.format(codes=", ".join(sorted({d.code for d in policy.unlawful})))


def add_allow_option(parser) -> None:
    """`--tillat-ulovlig` for a command that runs policies."""
    parser.add_argument("--tillat-ulovlig", action="store_true", dest="tillat_ulovlig",
                        help="kjør regelverket selv om det har lovlighetsfeil (L-koder); bruken skrives i hvert "
                             "vedtak og i all utdata")


def load_for_command(path: str, args) -> Policy:
    """`load_policy` for a command: honours `--tillat-ulovlig` and warns on standard error when it is used."""
    policy = load_policy(path, tillat_ulovlig=getattr(args, "tillat_ulovlig", False))
    warning = unlawful_warning(policy)
    if warning:
        print(warning, file=sys.stderr)
    return policy


def legality_findings(files: list) -> tuple[list[Diagnostic], CheckedPolicy]:
    """The checked policy of a `bygger på` chain and its legality findings (`boligregler.evaluation.legality`)."""
    from boligregler.evaluation.legality import legality
    from boligregler.model.checker import check
    model = check(files)
    if any(d.severity is Severity.ERROR for d in model.diagnostics):
        return [], model
    return legality(files, model), model


def _assessed_records(record, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """(path, record) of every record outside lists that holds a case worker's assessment."""
    out = [(path, record)] if any(s.provided_by == "saksbehandler" for s in record.fields.values()) else []
    for key, spec in record.fields.items():
        if hasattr(spec.type, "fields"):
            out += _assessed_records(spec.type, (*path, key))
    return out


def policy_sha256(model: CheckedPolicy) -> str:
    """sha256 over the content of the policy and its bases, root first; file names and paths do not count."""
    h = hashlib.sha256(b"boligregler-regelverk-1\0")
    for text in model.sources.values():
        data = text.encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def check_policy(path: str | Path) -> CheckedPolicy:
    """Parse and check a policy and its bases; syntax errors raise, other findings are in `.diagnostics`."""
    from boligregler.model.checker import check
    return check(load_chain(path))


def check_policy_text(text: str, name: str = "<tekst>", resolver: Resolver | None = None) -> CheckedPolicy:
    """`check_policy` for a policy given as text; see `load_policy_text`."""
    from boligregler.model.checker import check
    return check(load_chain_text(text, name, resolver))


def _checked(name: str, text: str, find_base, chain: Callable[[], list]) -> tuple[list[Diagnostic], CheckedPolicy]:
    """`legality_findings` of the chain `chain()` reads, from the per-user cache when it holds them
    (`boligregler.policy_cache`: keyed by every text of the chain and the package's code)."""
    from boligregler.policy_cache import checked

    def build():
        files = chain()
        return files, legality_findings(files)
    return checked(name, text, find_base, build)


def _usable(checked: tuple[list[Diagnostic], CheckedPolicy], backend: str, tillat_ulovlig: bool) -> Policy:
    findings, model = checked
    errors = [d for d in model.diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise PolicyError(tuple(errors), model.sources)
    unlawful = tuple(d for d in findings if d.severity is Severity.ERROR)
    if unlawful and not tillat_ulovlig:
        raise PolicyError(unlawful, model.sources)
    return Policy(model, backend, unlawful)


def load_policy(path: str | Path, backend: str = "compiled", *, tillat_ulovlig: bool = False) -> Policy:
    """Load a policy file (or the name of a shipped policy); raises `PolicyError` if it has errors.

    Legality errors (the `L` codes of `boligregler sjekk`) are errors too: a municipal policy that
    breaks the regulation is refused with its findings. `tillat_ulovlig=True` loads it anyway, for
    review; the findings are then on `Policy.unlawful`, recorded in every decision's `policy.lovlighet`
    and shown by every command's output (`unlawful_warning`).
    """
    root = resolve_policy_path(path)
    return _usable(_checked(str(root), read_text(root), base_source, lambda: load_chain(path)), backend, tillat_ulovlig)


def load_policy_text(text: str, name: str = "<tekst>", resolver: Resolver | None = None,
                     backend: str = "compiled", *, tillat_ulovlig: bool = False) -> Policy:
    """Load a policy from its text, e.g. one kept in a database; raises `PolicyError` if it has errors.

    `name` is what diagnostics call the text (e.g. "drammen.pol"). The policies it builds on
    (`bygger på`) come from `resolver(id) -> text | None`; by default the shipped policies.
    The policy's `sha256` depends on the texts only, so it is the same as when loaded from files.
    """
    chain = lambda: load_chain_text(text, name, resolver)  # noqa: E731
    if not isinstance(text, str) or not isinstance(name, str):
        return _usable(legality_findings(chain()), backend, tillat_ulovlig)
    return _usable(_checked(name, text.removeprefix("\ufeff"), text_base_source(resolver), chain), backend, tillat_ulovlig)


def verify(vedtak_text: str, soknad: Any, policy: Policy | str | Path | None = None,
           name: str = "VEDTAK.json") -> Replay:
    """Evaluate `soknad` again and compare with the recorded decision (see `explain.replay.verify`).

    `policy` is a `Policy`, a path or a shipped policy's name; by default the policy the record names.
    """
    from boligregler.explain.replay import read_record, replay_record
    recorded = read_record(vedtak_text, name)
    if not isinstance(policy, Policy):
        # a decision made with «tillat ulovlig» says so; replaying it needs the same permission
        allowed = isinstance(recorded.get("policy"), dict) and "lovlighet" in recorded["policy"]
        # A name from the record is only ever a shipped policy, never a path (`../../etc/shadow`).
        policy = load_policy(policy if policy is not None else
                             shipped_policy_path(recorded["sporbarhet"]["regelverk"].get("id", "")),
                             tillat_ulovlig=allowed)
    return replay_record(recorded, soknad, policy, vedtak_text)
