"""What generated decisions run with: exact Decimal arithmetic, the evaluator's form of their
values, and the few helpers their source calls (`codegen.py` writes the source)."""

from __future__ import annotations

import datetime as dt
import decimal
from fractions import Fraction
from typing import Any

from almen.dsl import types as t
from almen.dsl.semantics import normal
from almen.interpreter import calendar
from almen.interpreter.errors import Slow
from almen.interpreter.values import Duration

# Decimal arithmetic that is exact or raises (and so hands the case to the evaluator)
EXACT = decimal.Context(
    prec=200,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow, decimal.Inexact, decimal.Rounded],
)


def as_decimal(value: Fraction) -> decimal.Decimal | Fraction:
    """A Fraction as the Decimal of the same value where it has one (a terminating decimal)."""
    try:
        return EXACT.divide(decimal.Decimal(value.numerator), decimal.Decimal(value.denominator))
    except decimal.DecimalException:
        return value


def exact(value: Any) -> Any:
    """The evaluator's form of a value of the fast tier: Decimals back to ints and Fractions."""
    kind = type(value)
    if kind is decimal.Decimal:
        return normal(Fraction(value))
    if kind is dict:
        return {k: exact(v) for k, v in value.items()}
    if kind is tuple:
        return tuple(exact(v) for v in value)
    return value


class FastRecord(dict[str, Any]):
    """A record of validated facts in the fast tier: only the fields given (or defaulted)."""

    __slots__ = ()


def slow(*operands: Any) -> Any:
    raise Slow("records compare by every field: the evaluator compares them")


def between(value: Any, low: Any, high: Any) -> bool:
    # a function, not a chained comparison: all three operands are evaluated, as the evaluator does
    return bool(low <= value <= high)


def _runtime(month_rule: str | None) -> dict[str, Any]:
    def date_shift(day: Any, duration: Duration, sign: int) -> dt.date:
        if day is None:
            raise Slow("intet")
        return calendar.shift(day, sign * duration.amount, duration.unit, month_rule)

    return {
        "Fraction": Fraction,
        "Decimal": decimal.Decimal,
        "date": dt.date,
        "Duration": Duration,
        "normal": normal,
        "slow": slow,
        "between": between,
        "date_shift": date_shift,
    }


def contains_fact_record(value: Any) -> bool:
    """A fact record in an answer: its JSON form lists every field, so the evaluator builds it."""
    kind = type(value)
    if kind is FastRecord:
        return True
    if kind is dict:
        return any(contains_fact_record(v) for v in value.values())
    if kind is tuple:
        return any(contains_fact_record(v) for v in value)
    return False


def whole_or_not_number(typ: t.Type) -> bool:
    return not isinstance(typ, t.Num) or typ.integer


def numbers_inside(typ: t.Type) -> bool:
    """A value of this type may hold a number that is not whole (or its type is not known)."""
    typ = t.strip(typ)
    if isinstance(typ, t.Num):
        return not typ.integer
    if isinstance(typ, t.ListOf):
        return numbers_inside(typ.elem)
    if isinstance(typ, t.MapOf):
        return numbers_inside(typ.value)
    if isinstance(typ, t.Record):
        return any(numbers_inside(f) for _, f in typ.fields)
    return isinstance(typ, t.Unknown)


def plain_type(typ: t.Type) -> bool:
    """Values of this type compare the same in both tiers (no record, which the tiers hold differently)."""
    typ = t.strip(typ)
    if isinstance(typ, t.ListOf):
        return plain_type(typ.elem)
    if isinstance(typ, t.MapOf):
        return plain_type(typ.value)
    return isinstance(typ, t.Num | t.Simple | t.Enum)
