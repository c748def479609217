"""Expected vacancies per letting type for a housing stock, exact: dwellings × turnover × share.

Each department's year is cut where the policy can change its shares (wheel periods,
parameter values, year ends); in each piece the expected vacancies are the department's
yearly turnover times the piece's share of the year, spread by the policy's share decision
(Copenhagen: `andele`), evaluated through `Policy.decide` like any caller's.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from almen.dsl import types as t
from almen.dsl.diagnostics import AlmenError
from almen.dsl.i18n import _
from almen.interpreter.api import Answer, Policy
from almen.interpreter.errors import FactError, UnknownDecision
from almen.interpreter.explanation import Status

Counts = dict[str, Fraction]


@attrs.define
class Impact:
    policy: dict[str, str]
    start: dt.date
    end: dt.date
    total: Counts = attrs.Factory(dict)
    per_year: dict[int, Counts] = attrs.Factory(dict)
    per_department: dict[str, Counts] = attrs.Factory(dict)
    notes: list[str] = attrs.Factory(list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "total": _json(self.total),
            "per_year": {str(y): _json(c) for y, c in sorted(self.per_year.items())},
            "per_department": {d: _json(c) for d, c in self.per_department.items()},
            "notes": self.notes,
        }


def _json(counts: Counts) -> dict[str, str]:
    from almen.dsl.types import show_number

    return {k: show_number(v) for k, v in counts.items()}


def load_stock(path: str | Path) -> list[dict[str, Any]]:
    from decimal import Decimal

    data = json.loads(Path(path).read_text(encoding="utf-8"), parse_float=Decimal)
    departments = data.get("afdelinger") if isinstance(data, dict) else None
    if not isinstance(departments, list):
        raise FactError("afdelinger", _("a list of departments in the stock file"), departments)
    return departments


@attrs.frozen
class Plan:
    """What a simulation reads: the decision that gives the shares, the stock's two figures, and
    which facts another decision fills in where the stock leaves them out."""

    decision: str
    dwellings: str = "familieboliger"
    turnover: str = "fraflytningsprocent"  # percent of the dwellings vacated in a year
    fill: tuple[tuple[str, str], ...] = ()  # (record fact, decision whose answer gives its fields)


def plan(
    policy: Policy,
    decision: str | None = None,
    fill: dict[str, str] | None = None,
    dwellings: str = "familieboliger",
    turnover: str = "fraflytningsprocent",
) -> Plan:
    """The plan read from the policy, where the arguments leave it open: the share decision is the
    one whose answer is a record of shares; a record fact is filled by the decision whose answer's
    fields are all fields of it (Copenhagen: `afdeling` ← `trappe`)."""
    types = policy.model.value_types
    if decision is None:
        candidates = [d for d in policy.decisions if _is_shares(types.get(d))]
        if len(candidates) != 1:
            found = ", ".join(candidates) or _("none")
            raise AlmenError(
                _("choose the decision that gives the shares (--decision); candidates: {found}").format(found=found)
            )
        decision = candidates[0]
    elif decision not in policy.model.decisions:
        raise UnknownDecision(policy.id, decision, policy.decisions)
    elif not _is_shares(types.get(decision)):
        raise AlmenError(_("the decision '{name}' gives no shares (a record of fractions)").format(name=decision))
    if fill is None:
        fill = {}
        for fact, typ in policy.schema.items():
            fillers = [d for d in policy.decisions if d != decision and _fills(types.get(d), typ)]
            if len(fillers) == 1:
                fill[fact] = fillers[0]
    for fact, by in fill.items():
        if fact not in policy.schema:
            raise FactError(fact, _("a declared fact to fill in"), fact)
        if by not in policy.model.decisions:
            raise UnknownDecision(policy.id, by, policy.decisions)
    return Plan(decision, dwellings, turnover, tuple(sorted(fill.items())))


def _is_shares(typ: t.Type | None) -> bool:
    return isinstance(typ, t.Record) and bool(typ.fields) and all(f == t.SHARE for _, f in typ.fields)


def _fills(answer: t.Type | None, fact: t.Type) -> bool:
    fact = t.strip(fact)
    if not (isinstance(answer, t.Record) and answer.fields and isinstance(fact, t.Record)):
        return False
    return all((f := fact.field(k)) is not None and t.assignable(v, t.strip(f)) for k, v in answer.fields)


def simulate(
    policy: Policy, stock: list[dict[str, Any]], start: dt.date, end: dt.date, how: Plan | None = None
) -> Impact:
    """Expected vacancies from `start` to `end` (both included) for every department in the stock.
    Every evaluation goes through `Policy.decide`; the stock is never changed."""
    how = how or plan(policy)
    impact = Impact(policy.stamp(), start, end)
    low, high = policy.valid
    if low is not None and high is not None and (start < low or end > high):
        impact.notes.append(
            _(
                "{policy} {version} is valid {low} – {high}; outside that its rules are applied as they stand "
                "on its first or last day"
            ).format(policy=policy.id, version=policy.version, low=low, high=high)
        )
    cuts = _cuts(policy, start, end)
    for i, department in enumerate(stock):
        where = f"afdelinger[{i}]"
        if not isinstance(department, dict):
            raise FactError(where, _("an object with a department's figures and facts"), department)
        name = str(department.get("navn", f"afdeling {i + 1}"))
        dwellings = _number(department, how.dwellings, where)
        turnover = _number(department, how.turnover, where) / 100
        facts = {k: v for k, v in department.items() if k not in ("navn", how.dwellings, how.turnover)}
        counts = impact.per_department.setdefault(name, {})
        for piece_start, piece_end in itertools.pairwise(cuts):
            year_days = 366 if calendar.isleap(piece_start.year) else 365
            vacancies = dwellings * turnover * Fraction((piece_end - piece_start).days, year_days)
            shares = _shares(policy, how, facts, _clamp(piece_start, low, high), where)
            for letting, share in shares.items():
                amount = vacancies * share
                for bucket in (counts, impact.total, impact.per_year.setdefault(piece_start.year, {})):
                    bucket[letting] = bucket.get(letting, Fraction(0)) + amount
    return impact


def _cuts(policy: Policy, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days on which the shares may change, plus the years' ends, from start to end + 1."""
    stop = end + dt.timedelta(days=1)
    days = {start, stop}
    days |= {dt.date(y, 1, 1) for y in range(start.year + 1, stop.year + 1)}
    model = policy.model
    for wheel in model.wheels.values():
        for p in wheel.periods:
            days |= {p.start, p.end + dt.timedelta(days=1)}
    for param in model.params.values():
        days |= {v.start for v in param.values}
    return sorted(d for d in days if start <= d <= stop)


def _clamp(day: dt.date, low: dt.date | None, high: dt.date | None) -> dt.date:
    if low is not None and day < low:
        return low
    if high is not None and day > high:
        return high
    return day


def _shares(policy: Policy, how: Plan, facts: dict[str, Any], day: dt.date, where: str) -> dict[str, Fraction]:
    for fact, by in how.fill:
        given = facts.get(fact)
        record = given if isinstance(given, dict) else {}
        answer = _decide(policy, by, facts, day, where)
        if answer.status == Status.DETERMINED and isinstance(answer.value, dict):
            facts = {**facts, fact: {**answer.value, **record}}  # what the stock gives wins
    answer = _decide(policy, how.decision, facts, day, where)
    if answer.status != Status.DETERMINED:
        missing = ", ".join(answer.needs)
        raise AlmenError(
            _("{where}: the stock lacks facts for '{decision}': {missing}").format(
                where=where, decision=how.decision, missing=missing
            )
        )
    return {k: Fraction(v) for k, v in answer.raw.items()}


def _decide(policy: Policy, decision: str, facts: dict[str, Any], day: dt.date, where: str) -> Answer:
    try:
        return policy.decide(decision, facts, day, explain=False)
    except FactError as e:
        raise e.within(where) from None


def _number(department: dict[str, Any], key: str, where: str) -> Fraction:
    value = department.get(key)
    if isinstance(value, bool) or value is None:
        raise FactError(f"{where}.{key}", _("a number"), value)
    try:
        return Fraction(str(value))
    except ValueError:
        raise FactError(f"{where}.{key}", _("a number"), value) from None
