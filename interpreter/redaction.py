"""Redaction by construction: under `--redact` no value a person gave is shown, wherever it
surfaces — a fact read, an outcome that carries it (a household in a list, an id in a ranking,
a date), the answer itself, in text, trees and JSON alike.

A value is personal when it repeats a text, number or date given in the facts. Truth values
stay: they are the conditions met or failed, which is what a redacted explanation is for.
Figures the policy computes and that repeat no given value are shown; one that happens to equal
a given value is hidden too, erring on the side of the person.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

REDACTED = "[skjult]"


class Redactor:
    def __init__(self, facts: Any):
        self.given = frozenset(_leaves(facts))

    def json(self, value: Any) -> Any:
        """A JSON value with every personal leaf (and key) replaced by REDACTED."""
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if self.personal(key):
                    key = f"{REDACTED} {sum(k.startswith(REDACTED) for k in out) + 1}"
                out[key] = self.json(item)
            return out
        if isinstance(value, list | tuple):
            return [self.json(item) for item in value]
        return REDACTED if self.personal(value) else value

    def personal(self, value: Any) -> bool:
        return any(leaf in self.given for leaf in _forms(value))


def _leaves(value: Any) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    todo = [value]
    while todo:
        x = todo.pop()
        if isinstance(x, dict):
            todo += list(x.keys()) + list(x.values())
        elif isinstance(x, list | tuple):
            todo += list(x)
        elif not (isinstance(x, bool) or x is None):
            found += _forms(x)
    return found


def _forms(value: Any) -> list[tuple[str, Any]]:
    """The ways a value is compared: as text, and as an exact number where it is one."""
    if isinstance(value, bool) or value is None:
        return []
    forms: list[tuple[str, Any]] = []
    if isinstance(value, str):
        forms.append(("text", value))
    try:
        if isinstance(value, float):
            forms.append(("number", Fraction(Decimal(repr(value)))))
        elif isinstance(value, str | int | Decimal | Fraction) and len(str(value)) <= 40:
            forms.append(("number", Fraction(str(value).strip())))
    except (ValueError, ArithmeticError):
        pass
    return forms
