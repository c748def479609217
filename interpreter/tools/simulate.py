"""Expected vacancies per letting type for a housing stock, exact: dwellings × turnover × share.

Each department's year is cut where the policy can change its shares (wheel periods,
parameter values, year ends); in each piece the expected vacancies are the department's
yearly turnover times the piece's share of the year, spread by the `andele` decision.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from almen.dsl.diagnostics import AlmenError
from almen.interpreter.api import Policy
from almen.interpreter.env import Env
from almen.interpreter.errors import FactError, Unknown
from almen.interpreter.facts import convert_facts

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
        raise FactError("afdelinger", "a list of departments in the stock file", departments)
    return departments


def simulate(policy: Policy, stock: list[dict[str, Any]], start: dt.date, end: dt.date) -> Impact:
    """Expected vacancies from `start` to `end` (both included) for every department in the stock."""
    impact = Impact(policy.stamp(), start, end)
    low, high = policy.valid
    if low is not None and high is not None and (start < low or end > high):
        impact.notes.append(
            f"{policy.id} {policy.version} is valid {low} – {high}; outside that its rules are applied "
            "as they stand on its first or last day"
        )
    cuts = _cuts(policy, start, end)
    for i, department in enumerate(stock):
        name = str(department.get("navn", f"afdeling {i + 1}"))
        dwellings = _number(department, "familieboliger", f"afdelinger[{i}]")
        turnover = _number(department, "fraflytningsprocent", f"afdelinger[{i}]") / 100
        facts = {"afdeling": department.get("afdeling", {})}
        counts = impact.per_department.setdefault(name, {})
        for piece_start, piece_end in itertools.pairwise(cuts):
            year_days = 366 if _leap(piece_start.year) else 365
            vacancies = dwellings * turnover * Fraction((piece_end - piece_start).days, year_days)
            shares = _shares(policy, facts, _clamp(piece_start, low, high), f"afdelinger[{i}]")
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


def _shares(policy: Policy, facts: dict[str, Any], day: dt.date, where: str) -> dict[str, Fraction]:
    converted = convert_facts(facts, policy.schema, policy.defaults)
    env = Env(policy.program, converted, day, None)
    try:
        if "trappe" in policy.model.decisions and _needs_placement(converted):
            placement = policy.program.values["trappe"](env)
            record = converted["afdeling"]
            for key, value in placement.items():
                record.put(key, value)
            env = Env(policy.program, converted, day, None)
        shares = policy.program.values["andele"](env)
    except Unknown as u:
        raise AlmenError(f"{where}: the stock lacks facts for 'andele': {', '.join(sorted(u.needs))}") from None
    return {k: Fraction(v) for k, v in shares.items()}


def _needs_placement(facts: dict[str, Any]) -> bool:
    from almen.interpreter.values import FactRecord, Missing

    record = facts.get("afdeling")
    return isinstance(record, FactRecord) and isinstance(record.value("trin"), Missing)


def _number(department: dict[str, Any], key: str, where: str) -> Fraction:
    value = department.get(key)
    if isinstance(value, bool) or value is None:
        raise FactError(f"{where}.{key}", "a number", value)
    try:
        return Fraction(str(value))
    except ValueError:
        raise FactError(f"{where}.{key}", "a number", value) from None


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
