"""Date arithmetic that never guesses: calendar months under a declared rule, Danish working days."""

from __future__ import annotations

import bisect
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


# Counting is by whole years and weeks, never day by day, so that a date in year 1 costs what
# one in 2024 does (a few microseconds a year): the weekdays of a span by arithmetic, less the
# holidays on weekdays, which are kept per year.
_weekday_holidays: dict[int, tuple[dt.date, ...]] = {}


def _holidays_in(first: int, last: int) -> None:
    """Make sure the weekday holidays of the years `first`..`last` are known."""
    missing = [y for y in range(first, last + 1) if y not in _weekday_holidays]
    if not missing:
        return
    import holidays

    # one object for the whole range: building one per year costs 0.2 ms a year
    found = holidays.country_holidays("DK", years=range(missing[0], missing[-1] + 1))
    by_year: dict[int, list[dt.date]] = {y: [] for y in range(missing[0], missing[-1] + 1)}
    for day in found:
        if day.weekday() < 5:
            by_year[day.year].append(day)
    for year, days in by_year.items():
        _weekday_holidays.setdefault(year, tuple(sorted(days)))


def _weekdays(first: dt.date, last: dt.date) -> int:
    """Mondays to Fridays from `first` to `last`, both included."""
    days = (last - first).days + 1
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    start = first.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (start + i) % 7 < 5)


def _count(first: dt.date, last: dt.date) -> int:
    """Working days from `first` to `last`, both included (0 if `last` is earlier)."""
    if last < first:
        return 0
    _holidays_in(first.year, last.year)
    off = 0
    for year in range(first.year, last.year + 1):
        days = _weekday_holidays[year]
        low = bisect.bisect_left(days, first) if year == first.year else 0
        high = bisect.bisect_right(days, last) if year == last.year else len(days)
        off += high - low
    return _weekdays(first, last) - off


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The `count`-th working day after `day` (before it, if `count` is negative); `day` itself
    does not count. Whole weeks are skipped while many remain: they never hold more than five
    working days a week, so a jump leaves at least one to walk to."""
    step = dt.timedelta(days=1 if count >= 0 else -1)
    remaining = abs(count)
    while remaining >= 10:
        jump = dt.timedelta(weeks=(remaining - 1) // 5)
        if count > 0:
            target = day + jump
            remaining -= _count(day + step, target)
        else:
            target = day - jump
            remaining -= _count(target, day + step)
        day = target
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative if `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    if start == end:
        return 0
    return _count(start + dt.timedelta(days=1), end)


def shift(day: dt.date, amount: int, unit: str, month_rule: str | None) -> dt.date:
    """`day` moved by a duration: days, Danish working days, calendar months or years."""
    if unit == "dage":
        return day + dt.timedelta(days=amount)
    if unit == "hverdage":
        return add_working_days(day, amount)
    if unit == "måneder":
        return add_months(day, amount, month_rule)
    return add_months(day, 12 * amount, month_rule)
