"""almen: Danish social-housing letting policy as code.

The public API. Import it from here (`from almen import load_policy, PolicyError, FactError`);
the language lives in `almen.dsl`, the evaluation core and its tools in `almen.interpreter`.
"""

from __future__ import annotations

from almen.dsl.diagnostics import AlmenError, PolicyError
from almen.interpreter import (
    Answer,
    ConflictingRules,
    EvaluationError,
    FactError,
    NoRuleApplies,
    Policy,
    UnknownDecision,
    load_policy,
)

__all__ = [
    "AlmenError",
    "Answer",
    "ConflictingRules",
    "EvaluationError",
    "FactError",
    "NoRuleApplies",
    "Policy",
    "PolicyError",
    "UnknownDecision",
    "load_policy",
]
