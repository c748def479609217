"""Goals at run time: `målopfyldelse()` reports each key figure against its baseline or target,
or what is missing to tell; one broken figure does not hide the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.interpreter.env import Thunk
from almen.interpreter.errors import EvaluationError, Unknown
from almen.interpreter.explanation import Node, Status
from almen.interpreter.values import number_json

Compiled = tuple[n.Goal, Thunk, Thunk | None, Thunk | None]


def compile_goals(model: Any, expr: Callable[[Any], Thunk]) -> list[Compiled]:
    def optional(e: Any) -> Thunk | None:
        return expr(e) if e is not None else None

    return [
        (g, expr(g.measure), optional(g.target), optional(g.baseline and g.baseline.value))
        for g in model.goals.values()
        if g.measure is not None  # the checker refuses a goal without one
    ]


def report(model: Any, goals: list[Compiled], env: Any) -> tuple[dict[str, Any], ...]:
    return tuple(goal(model, g, m, tgt, base, env) for g, m, tgt, base in goals)


def goal(
    model: Any, g: n.Goal, measure: Thunk, target: Thunk | None, baseline: Thunk | None, env: Any
) -> dict[str, Any]:
    """One key figure: its value against its baseline or target, or what is missing to tell."""
    unit = t.strip(model.type_of(g.measure))
    shown: dict[str, Any] = {}
    needs = frozenset[str]()
    node = env.trace.open(Node("mål", g.name, g.meta.citations, g.meta.notes, g.span)) if env.trace else None
    failure = None
    try:
        for key, thunk in (("værdi", measure), ("målværdi", target), ("basislinje", baseline)):
            if thunk is None:
                continue
            try:
                shown[key] = thunk(env)
            except Unknown as u:
                needs |= u.needs
    except EvaluationError as err:  # one broken figure does not hide the others
        failure = f"{err.path}:{err.line}: {err.message}"
    finally:
        if env.trace is not None:
            env.trace.close()
    status = "fejl" if failure else "uafklaret" if needs else _goal_status(g.direction, shown)
    if node is not None:
        node.outcome, node.text = status, f"retning {g.direction}"
        node.inputs.update(
            (key, _figure(shown[key], unit)) for key in ("værdi", "basislinje", "målværdi") if key in shown
        )
        node.status = Status.DETERMINED
    return {
        "mål": g.name,
        "titel": g.meta.title,
        "tjener": tuple(g.serves),
        "retning": g.direction,
        **{key: _figure(shown.get(key), unit) for key in ("værdi", "basislinje")},
        "basislinje_pr": g.baseline.date.isoformat() if g.baseline is not None else None,
        "målværdi": _figure(shown.get("målværdi"), unit),
        "status": status,
        "mangler": tuple(sorted(needs)),
        "fejl": failure,
        "kilde": "; ".join(c.source for c in g.meta.citations),
    }


def _goal_status(direction: str, shown: dict[str, Any]) -> str:
    value = shown["værdi"]
    if direction == "følges":
        return "følges"  # a figure the agreement only asks to follow: no verdict
    reference = shown.get("målværdi", shown.get("basislinje"))
    if reference is None:
        return "uafklaret"
    if direction == "skal nå":
        start = shown.get("basislinje")
        rising = start is None or reference >= start
        ok = value >= reference if rising else value <= reference
    else:
        ok = {
            "skal falde": value < reference,
            "skal stige": value > reference,
            "må ikke stige": value <= reference,
            "må ikke falde": value >= reference,
        }[direction]
    return "på sporet" if ok else "ikke på sporet"


def _figure(value: Any, unit: t.Type) -> str | None:
    if value is None:
        return None
    shown = number_json(value, unit) if isinstance(unit, t.Num) else value
    return str(shown)
