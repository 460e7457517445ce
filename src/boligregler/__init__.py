"""Rules-as-code for Norwegian municipal startlån.

    >>> from boligregler import load_policy
    >>> policy = load_policy("nasjonal")
    >>> decision = policy.evaluate(søknad)        # a dict as in soknad.md
    >>> decision.to_dict()["utfall"]

Attributes are imported on first use, so `import boligregler` stays cheap.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

_EXPORTS = {
    "load_policy": "boligregler.api", "load_policy_text": "boligregler.api", "check_policy": "boligregler.api",
    "Policy": "boligregler.api", "verify": "boligregler.api",
    "Decision": "boligregler.evaluation.decision", "CriterionResult": "boligregler.evaluation.decision",
    "BoligreglerError": "boligregler.diagnostics", "PolicyError": "boligregler.diagnostics",
    "UsageError": "boligregler.diagnostics", "Problem": "boligregler.diagnostics",
    "SoknadError": "boligregler.evaluation.soknad", "EvaluationError": "boligregler.evaluation.runtime",
}
__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # what type checkers see; at run time the names are imported on first use
    from boligregler.api import Policy, check_policy, load_policy, load_policy_text, verify
    from boligregler.diagnostics import BoligreglerError, PolicyError, Problem, UsageError
    from boligregler.evaluation.decision import CriterionResult, Decision
    from boligregler.evaluation.runtime import EvaluationError
    from boligregler.evaluation.soknad import SoknadError


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'boligregler' has no attribute {name!r}")
