"""The builtin functions, one registry: each builtin's signature (checked against the argument
types), its implementation, and how a person reads it. The checker, the evaluators and the
renderer all read this table; adding a builtin is one entry here.

An implementation takes plain values (the evaluator has already dealt with missing facts);
one that needs the evaluation itself (the wheels, the goals) takes the environment first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

import attrs

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.i18n import _, ngettext
from almen.dsl.semantics import ordered


class Checking(Protocol):
    """What a signature may ask of the checker."""

    def error(self, span: n.Span, message: str, hint: str | None = None) -> None: ...
    def need(self, e: Any, actual: t.Type, wanted: t.Type) -> None: ...
    def reads_every_goal(self) -> None: ...


Signature = Callable[[Checking, n.Call, list[t.Type]], t.Type]


@attrs.frozen
class Builtin:
    name: str
    signature: Signature
    run: Callable[..., Any]
    description: str  # Danish, for the rendered policy and the reference
    needs_env: bool = False  # run(env, *values): it reads the evaluation (wheels, goals)


BUILTINS: dict[str, Builtin] = {}


def _register(
    name: str, description: str, signature: Signature, needs_env: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def add(run: Callable[..., Any]) -> Callable[..., Any]:
        BUILTINS[name] = Builtin(name, signature, run, description, needs_env)
        return run

    return add


# ---------------------------------------------------------------- signatures


def _arity(cx: Checking, e: n.Call, args: list[t.Type], k: int) -> bool:
    if len(args) != k:
        takes = ngettext("'{0}' takes {1} argument, not {2}", "'{0}' takes {1} arguments, not {2}", k)
        cx.error(e.span, takes.format(e.name, k, len(args)))
        return False
    return True


def _list_arg(cx: Checking, e: n.Call, args: list[t.Type]) -> t.Type | None:
    """The element type of the one list argument; None after an error."""
    if not _arity(cx, e, args, 1):
        return None
    coll = t.strip(args[0])
    if not isinstance(coll, t.ListOf | t.Unknown):
        cx.error(e.args[0].span, _("'{0}' needs a list, not a {1}").format(e.name, coll))
        return None
    return coll.elem if isinstance(coll, t.ListOf) else t.UNKNOWN


def _fixed(result: t.Type) -> Signature:
    def sig(cx: Checking, e: n.Call, args: list[t.Type]) -> t.Type:
        return result if _list_arg(cx, e, args) is not None else t.UNKNOWN

    return sig


def _without_null(cx: Checking, e: n.Call, args: list[t.Type]) -> t.Type:
    elem = _list_arg(cx, e, args)
    return t.ListOf(t.strip(elem)) if elem is not None else t.UNKNOWN


def _sum(cx: Checking, e: n.Call, args: list[t.Type]) -> t.Type:
    elem = _list_arg(cx, e, args)
    if elem is None:
        return t.UNKNOWN
    if not isinstance(t.strip(elem), t.Num | t.Unknown):
        cx.error(e.args[0].span, _("'sum' needs a list of numbers, not a {0}").format(t.strip(args[0])))
    return t.strip(elem)


def _extreme(cx: Checking, e: n.Call, args: list[t.Type]) -> t.Type:
    if not args:
        cx.error(e.span, _("'{0}' needs at least one argument").format(e.name))
        return t.UNKNOWN
    out: t.Type | None = args[0]
    for arg, atype in zip(e.args[1:], args[1:], strict=True):
        out = t.join(out, atype) if out is not None else None
        if out is None or not ordered(atype):
            cx.error(arg.span, _("'{0}' cannot compare a {1} with a {2}").format(e.name, args[0], atype))
            return t.UNKNOWN
    return out or t.UNKNOWN


def _dates(result: t.Type, k: int) -> Signature:
    def sig(cx: Checking, e: n.Call, args: list[t.Type]) -> t.Type:
        if _arity(cx, e, args, k):
            for arg, atype in zip(e.args, args, strict=True):
                cx.need(arg, atype, t.DATE)
        return result

    return sig


def _wheel_arg(cx: Checking, e: n.Call, args: list[t.Type], k: int) -> t.WheelType | None:
    if not _arity(cx, e, args, k):
        return None
    wheel = args[0]
    if not isinstance(wheel, t.WheelType):
        if not isinstance(wheel, t.Unknown):
            cx.error(e.args[0].span, _("'{0}' needs a letting wheel, not a {1}").format(e.name, wheel))
        return None
    return wheel


def _shares(cx: Checking, e: n.Call, args: list[t.Type]) -> t.Type:
    wheel = _wheel_arg(cx, e, args, 1)
    if wheel is None:
        return t.UNKNOWN
    return t.Record(None, tuple((mem, t.SHARE) for mem in wheel.letting.members))


def _place(cx: Checking, e: n.Call, args: list[t.Type]) -> t.Type:
    wheel = _wheel_arg(cx, e, args, 2)
    if wheel is None:
        return t.UNKNOWN
    cx.need(e.args[1], args[1], t.INT)
    return t.Record(
        None,
        (
            ("plads", t.INT),
            ("periode", t.TEXT),
            ("type", wheel.letting),
            ("fallback", t.ListOf(wheel.letting)),
            ("kriterier", t.ListOf(t.TEXT)),
        ),
    )


# What `målopfyldelse()` gives for each goal: numbers as exact text in the measure's unit.
GOAL_REPORT = t.Record(
    None,
    (
        ("mål", t.TEXT),
        ("titel", t.Optional(t.TEXT)),
        ("tjener", t.ListOf(t.TEXT)),
        ("retning", t.TEXT),
        ("værdi", t.Optional(t.TEXT)),
        ("basislinje", t.Optional(t.TEXT)),
        ("basislinje_pr", t.Optional(t.TEXT)),
        ("målværdi", t.Optional(t.TEXT)),
        ("status", t.TEXT),
        ("mangler", t.ListOf(t.TEXT)),
        ("fejl", t.Optional(t.TEXT)),
        ("kilde", t.TEXT),
    ),
)


def _goals(cx: Checking, e: n.Call, args: list[t.Type]) -> t.Type:
    _arity(cx, e, args, 0)
    cx.reads_every_goal()
    return t.ListOf(GOAL_REPORT)


# ---------------------------------------------------------------- the builtins


@_register("længde", "antallet af elementer i en liste", _fixed(t.INT))
def _length(xs: Any) -> int:
    return len(xs)


@_register("tom", "sand, hvis listen er tom", _fixed(t.BOOL))
def _empty(xs: Any) -> bool:
    return len(xs) == 0


@_register("uden_intet", "listen uden de elementer, der er intet", _without_null)
def _without(xs: Any) -> tuple[Any, ...]:
    return tuple(x for x in xs if x is not None)


@_register("sum", "summen af en liste af tal", _sum)
def _total(xs: Any) -> Any:
    return sum(xs, 0)


@_register("min", "den mindste af værdierne", _extreme)
def _least(*xs: Any) -> Any:
    return min(xs)


@_register("max", "den største af værdierne", _extreme)
def _greatest(*xs: Any) -> Any:
    return max(xs)


@_register("årstal", "årstallet i en dato", _dates(t.INT, 1))
def _year(day: dt.date) -> int:
    return day.year


@_register("dag_i_måneden", "dagen i måneden for en dato", _dates(t.INT, 1))
def _day(day: dt.date) -> int:
    return day.day


@_register("er_hverdag", "sand, hvis datoen er en hverdag (ikke weekend eller helligdag)", _dates(t.BOOL, 1))
def _is_working_day(day: dt.date) -> bool:
    from almen.interpreter import calendar  # the Danish calendar is loaded only where it is counted in

    return calendar.is_working_day(day)


@_register("hverdage_mellem", "antallet af hverdage fra den første dato til den anden", _dates(t.INT, 2))
def _working_days(a: dt.date, b: dt.date) -> int:
    from almen.interpreter import calendar

    return calendar.working_days_between(a, b)


@_register("andele", "hjulets andele pr. udlejningstype i den periode, beslutningsdatoen falder i", _shares, True)
def _wheel_shares(env: Any, wheel: Any) -> Any:
    return env.program.shares_of(wheel, env)


@_register("plads", "den udlejningstype, hjulet giver en bestemt ledig bolig", _place, True)
def _wheel_place(env: Any, wheel: Any, vacancy: int) -> Any:
    return env.program.place_of(wheel, vacancy, env)


@_register("målopfyldelse", "hvert mål med sin værdi over for basislinje eller målværdi", _goals, True)
def _goal_report(env: Any) -> Any:
    return env.program.goal_report(env)
