"""The almen interpreter: load a policy, decide, explain."""

from __future__ import annotations

from almen.dsl.diagnostics import AlmenError, PolicyError
from almen.interpreter.api import Answer, Policy, load_policy
from almen.interpreter.errors import ConflictingRules, EvaluationError, FactError, NoRuleApplies, UnknownDecision

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
