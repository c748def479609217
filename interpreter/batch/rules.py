"""Decisions given by rules, and decision tables, over the household table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from almen.dsl import nodes as n
from almen.interpreter.batch.terms import Term, Unsupported

if TYPE_CHECKING:
    from almen.interpreter.batch.compiler import Compiler


def decision(c: Compiler, dec: n.Decision, rules: list[n.Rule]) -> Term:
    raise Unsupported(f"the rules of '{dec.name}' over values from the household table")


def table(c: Compiler, tab: n.Table) -> Any:
    raise Unsupported(f"the table '{tab.name}' over values from the household table")
