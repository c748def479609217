"""Date arithmetic that never guesses: calendar months under a declared rule, Danish working days."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from typing import Any

from almen.dsl.i18n import _
from almen.interpreter.errors import MonthError

__all__ = ["MonthError", "add_months", "add_working_days", "is_working_day", "shift", "working_days_between"]


def add_months(day: dt.date, months: int, rule: str | None) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    if day.day > last:
        if rule != "sidste_dag":
            raise MonthError(
                _(
                    "{0} + {1} måneder has no day {2} in {3}-{4:02d}; the policy must declare "
                    "'månedsregel sidste_dag' to round to the last day of the month"
                ).format(day.isoformat(), months, day.day, year, month + 1)
            )
        return dt.date(year, month + 1, last)
    return dt.date(year, month + 1, day.day)


@functools.cache
def _danish_holidays(year: int) -> Any:
    # The `holidays` package follows the law: Store Bededag is no holiday from 2024 on.
    # Imported here: it is slow to load, and most commands never count working days.
    import holidays

    return holidays.country_holidays("DK", years=year)


def is_working_day(day: dt.date) -> bool:
    """Monday–Friday and not a Danish public holiday (helligdag)."""
    return day.weekday() < 5 and day not in _danish_holidays(day.year)


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The `count`-th working day after `day`; `day` itself does not count."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative if `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for i in range(1, (end - start).days + 1) if is_working_day(start + dt.timedelta(days=i)))


def shift(day: dt.date, amount: int, unit: str, month_rule: str | None) -> dt.date:
    """`day` moved by a duration: days, Danish working days, calendar months or years."""
    if unit == "dage":
        return day + dt.timedelta(days=amount)
    if unit == "hverdage":
        return add_working_days(day, amount)
    if unit == "måneder":
        return add_months(day, amount, month_rule)
    return add_months(day, 12 * amount, month_rule)
