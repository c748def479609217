"""Syntax trees of one policy → a checked Model, in passes: declarations (names, header, fact
and record types) → named values (types and units of every expression, dependencies) with
tables and wheels as they are reached → slot exceptions, goals, removals → cycles.

Every problem becomes a diagnostic; all of them are raised together as one PolicyError.
The model owns its trees: a tree already checked once (a parse reused from the cache, a
predecessor's declarations under an amendment) is copied first, so annotations never leak
from one model into another.
"""

from __future__ import annotations

from collections.abc import Iterable

from almen.dsl import nodes as n
from almen.dsl.check.context import Context
from almen.dsl.check.cycles import check_cycles
from almen.dsl.check.declarations import MONTH_RULES, collect, resolve_types
from almen.dsl.check.expressions import Typer
from almen.dsl.check.model import Annotation, Model, Ref, RefKind
from almen.dsl.check.tables import HIT_POLICIES, MAX_TABLE_CASES, Tables
from almen.dsl.check.values import CITATION, MAX_CHAIN, Values, require_citation
from almen.dsl.check.wheels import Wheels

__all__ = [
    "CITATION",
    "HIT_POLICIES",
    "MAX_CHAIN",
    "MAX_TABLE_CASES",
    "MONTH_RULES",
    "Annotation",
    "Model",
    "Ref",
    "RefKind",
    "check",
]

CHECKED = object()  # marks a declaration whose tree belongs to a model


def check(modules: Iterable[n.Module]) -> Model:
    """Check a whole policy (all its files). Raises PolicyError listing every problem."""
    cx = Context(tuple(_own(m) for m in modules))
    cx.typer, cx.values, cx.tables, cx.wheels = Typer(cx), Values(cx), Tables(cx), Wheels(cx)
    collect(cx)
    resolve_types(cx)
    cx.values.check()
    m = cx.model
    for excs in m.slot_exceptions.values():
        for exc in excs:
            cx.wheels.slot_exception(exc)
    for goal in m.goals.values():
        cx.wheels.goal(goal)
    for removal in m.removals:
        require_citation(cx, removal, n.Meta(citations=(removal.citation,)))
    check_cycles(cx)
    cx.report.raise_if_any()
    for decl in m.declarations():
        decl.annotate(CHECKED)
    return m


def _own(module: n.Module) -> n.Module:
    """The module itself, or a copy if another model already annotated any of its trees."""
    if any(d.annotation is not None for d in module.decls):
        return n.copy_tree(module)
    return module
