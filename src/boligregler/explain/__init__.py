"""Explaining decisions: the reasoned letter, what would change the outcome, missing facts and replay.

    >>> decision = load_policy("drammen").evaluate(søknad)
    >>> print(decision.begrunnelse)                   # the letter as plain text
    >>> build_letter(decision)                        # the letter as a structure (rendering.letter)
    >>> what_would_change(decision).changes           # the smallest single changes that give innvilget
    >>> missing_facts(policy, partial_søknad)         # decided as partial: .decision, .needed, .not_needed
    >>> verify(vedtak_json_text, søknad).identical    # does the record reproduce byte for byte?

The modules are imported on first use, so that `boligregler.api` can depend on `explain.basis`.
"""

_EXPORTS = {
    "Change": "counterfactual", "WhatIf": "counterfactual", "what_would_change": "counterfactual",
    "Letter": "letter", "build_letter": "letter", "Completeness": "missing", "missing_facts": "missing",
    "Replay": "replay", "record": "replay", "verify": "replay",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib
        return getattr(importlib.import_module(f"boligregler.explain.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'boligregler.explain' has no attribute {name!r}")
