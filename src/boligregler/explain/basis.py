"""What a decision was computed from, kept so that its letter and record can be built on demand."""

from __future__ import annotations

from typing import Any

import attrs

from boligregler.evaluation.compiler import Program


@attrs.frozen(eq=False)
class Basis:
    """The policy, the compiled scheme, the validated facts and the evaluation memo of a decision.

    The memo holds every parameter and computation the evaluation read (`p:…`, `c:…`) and the
    outcome (`utfall`); building the letter may add to it, never change it.
    """

    policy: Any  # boligregler.api.Policy (imported lazily to avoid a cycle)
    program: Program
    facts: dict
    memo: dict
