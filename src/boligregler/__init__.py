"""Rules-as-code for Norwegian municipal startlån.

    >>> from boligregler import load_policy
    >>> policy = load_policy("nasjonal")
    >>> decision = policy.evaluate(søknad)        # a dict as in soknad.md
    >>> decision.to_dict()["utfall"]

Attributes are imported on first use, so `import boligregler` stays cheap.
"""

__version__ = "0.1.0"

_EXPORTS = {
    "load_policy": "boligregler.api", "check_policy": "boligregler.api", "Policy": "boligregler.api",
    "Decision": "boligregler.evaluation.decision", "CriterionResult": "boligregler.evaluation.decision",
    "BoligreglerError": "boligregler.diagnostics", "PolicyError": "boligregler.diagnostics",
    "SoknadError": "boligregler.evaluation.soknad", "EvaluationError": "boligregler.evaluation.runtime",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'boligregler' has no attribute {name!r}")
