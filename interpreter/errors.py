"""The interpreter's errors, under the one root `AlmenError` (`almen.dsl.diagnostics`).

Raised to callers: EvaluationError (NoRuleApplies, ConflictingRules) pointing at the policy's
source, UnknownDecision, and FactError (raised by `facts.py`, naming the fact's path).
Internal signals that never leave the API: Unknown (a value needs facts not given; `decide`
turns it into an undetermined answer) and MonthError (turned into an EvaluationError).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from almen.dsl import nodes as n
from almen.dsl.diagnostics import AlmenError, Diagnostic, PolicyError, did_you_mean, source_line
from almen.dsl.i18n import _


class EvaluationError(PolicyError):
    """The policy cannot answer for these facts; the message names the rules involved."""

    def __init__(self, span: n.Span, message: str, hint: str | None = None, related: Sequence[Any] = ()):
        rel = tuple((s, m, None) for s, m in related)
        super().__init__([Diagnostic(span, message, hint, None, rel)])

    def quoted(self, sources: dict[str, str]) -> EvaluationError:
        """The same error with the source lines filled in, for showing to a person."""

        def line(s: n.Span) -> str | None:
            text = sources.get(s.path)
            return source_line(text, s.line) if text is not None else None

        new = self.__class__.__new__(self.__class__)
        PolicyError.__init__(
            new,
            [
                attrs.evolve(d, source_line=line(d.span), related=tuple((s, m, line(s)) for s, m, _ in d.related))
                for d in self.diagnostics
            ],
        )
        return new


class NoRuleApplies(EvaluationError):
    pass


class ConflictingRules(EvaluationError):
    pass


def conflict(what: str, nodes: Sequence[Any]) -> ConflictingRules:
    names = _(" and ").join(f"'{x.name}'" for x in nodes[:2])
    return ConflictingRules(
        nodes[0].span,
        _("conflicting rules apply to {what}: {names}").format(what=what, names=names),
        _("make one an exception to the other (undtagelse til …), or narrow their conditions"),
        [(x.span, _("'{name}' also applies").format(name=x.name)) for x in nodes[1:]],
    )


class UnknownDecision(AlmenError):
    """No decision of that name in the policy (the message suggests the nearest)."""

    def __init__(self, policy: str, name: str, known: Sequence[str]):
        hint = did_you_mean(name, known)
        message = _("policy '{policy}' has no decision '{name}'").format(policy=policy, name=name)
        super().__init__(message + (f"; {hint}" if hint else ""))


class Unknown(AlmenError):
    """Raised while evaluating when a value needs facts that were not given. `decide` turns it
    into an undetermined answer; it is under the one root so that, were it ever to escape, an
    embedder's `except AlmenError` would see it and no caller mistakes it for a crash."""

    def __init__(self, needs: frozenset[str]):
        super().__init__(", ".join(sorted(needs)))
        self.needs = needs


class Slow(AlmenError):
    """Raised by generated code: this input is for the three-valued evaluator (never leaves
    `Policy.decide`)."""


class Unsupported(AlmenError):
    """A construct the generated tier does not compile; the decision always takes the evaluator."""


class MonthError(AlmenError):
    """The date does not exist in the target month and the policy said not to round."""


class FactError(AlmenError):
    """A fact has the wrong type or value. `path` names it, `expected` says what was wanted."""

    def __init__(self, path: str, expected: str, received: Any):
        self._say(path, expected, _describe(received))

    def _say(self, path: str, expected: str, received: str) -> None:
        self.path, self.expected, self.received = path, expected, received
        super().__init__(
            _("fact '{path}': expected {expected}, got {received}").format(
                path=path, expected=expected, received=received
            )
        )

    @classmethod
    def saying(cls, path: str, expected: str, received: str) -> FactError:
        """An error whose received value is already described in words (`got …`)."""
        new = cls.__new__(cls)
        new._say(path, expected, received)
        return new

    def redacted(self) -> str:
        """The message without the value received: the fact's path and the type expected."""
        return _("fact '{path}': expected {expected}").format(path=self.path, expected=self.expected)

    def within(self, prefix: str) -> FactError:
        """The same error for a fact set that lies at `prefix` in a larger document."""
        return FactError.saying(f"{prefix}.{self.path}", self.expected, self.received)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate, shown
        return _('the text "{text}"').format(text=shown)
    if isinstance(value, int) and value.bit_length() > 200:
        return _("a number of about {n} digits").format(n=int(value.bit_length() * 0.30103))
    if isinstance(value, Decimal) and value.is_finite() and len(value.as_tuple().digits) > 40:
        return _("a number of {n} digits").format(n=len(value.as_tuple().digits))
    if isinstance(value, int | float | Decimal | Fraction):
        try:
            return _("the number {n}").format(n=value)
        except ValueError:  # too many digits to print
            return _("a very large number")
    if isinstance(value, list | tuple):
        return _("a list")
    if isinstance(value, dict):
        return _("an object")
    return type(value).__name__
