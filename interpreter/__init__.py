"""The almen interpreter: load a policy, decide, explain."""

from __future__ import annotations

from dsl.diagnostics import AlmenError, PolicyError
from interpreter.api import Answer, Policy, UnknownDecision, load_policy
from interpreter.errors import ConflictingRules, EvaluationError, NoRuleApplies
from interpreter.facts import FactError

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
