"""What a decision was computed from, kept so that its letter and record can be built on demand."""

from __future__ import annotations

from typing import Any

import attrs

from boligregler.evaluation.compiler import Program


@attrs.frozen(eq=False)
class Basis:
    """The policy, the compiled scheme, the validated facts and the evaluation memo of a decision.

    The memo holds every parameter and computation the evaluation read (`p:…`, `c:…`) and the
    outcome (`utfall`); building the letter may add to it, never change it. `assessed` are the
    memo keys the assessment itself read, so the record without the letter does not depend on
    whether the letter was built. `explain=False`: the criteria carry no texts and there is no letter.
    This is the object `evaluation.decision.Decision` asks for its letter and record (as JSON text too).
    """

    policy: Any  # boligregler.api.Policy (imported lazily to avoid a cycle)
    program: Program
    facts: dict
    memo: dict
    explain: bool = True
    assessed: frozenset = attrs.field(default=attrs.Factory(lambda self: frozenset(self.memo), takes_self=True))
    # memos for the facts changed at a set of paths, by that set (`explain.counterfactual.seed`; None: unchanged)
    seeds: dict = attrs.field(factory=dict, init=False, repr=False)

    def letter(self, decision) -> str:
        """The decision letter as plain Norwegian text ("" when the decision was made without texts)."""
        if not self.explain:
            return ""
        from boligregler.explain.letter import begrunnelse_text
        return begrunnelse_text(decision)

    def record(self, decision, *, with_letter: bool) -> dict[str, Any]:
        """The replay record; `with_letter` also lists the parameters the letter read."""
        from boligregler.explain.replay import record
        return record(decision, with_letter=with_letter)

    def record_json(self, decision, *, with_letter: bool) -> str:
        """The replay record as JSON text (`json.dumps` of `record`, ensure_ascii=False)."""
        from boligregler.explain.replay import record_json
        return record_json(decision, with_letter=with_letter)
