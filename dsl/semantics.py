"""The meaning of the language's small pieces, written once: literals, operators, table cells.

The checker (types, table analysis), the evaluators and the renderer all read these; none of
them spells out what `<=` or a cell `15 % ..< 25 %` means on its own.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from almen.dsl import nodes as n
from almen.dsl import types as t

# ---------------------------------------------------------------- literals

LITERAL_TYPES: dict[str, t.Type] = {
    n.LiteralKind.INT: t.INT,
    n.LiteralKind.NUMBER: t.NUMBER,
    n.LiteralKind.PERCENT: t.PERCENT,
    n.LiteralKind.MONEY: t.MONEY,
    n.LiteralKind.STRING: t.TEXT,
    n.LiteralKind.DATE: t.DATE,
    n.LiteralKind.BOOL: t.BOOL,
    n.LiteralKind.NULL: t.NULL,
    n.LiteralKind.DURATION: t.DURATION,
}


def normal(x: Any) -> Any:
    """Exact numbers in their one form: a whole Fraction is an int."""
    if type(x) is Fraction and x.denominator == 1:
        return int(x)
    return x


def number_value(e: n.Literal) -> int | Fraction:
    """The exact value of a number, percentage or amount as written (25 % is 25, 22.904,30 kr is 2290430/100)."""
    return normal(Fraction(e.value))


# ---------------------------------------------------------------- operators

COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
ORDERING = frozenset(("<", "<=", ">", ">="))
SHOWN = {"=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}  # how a person reads them


def compare(op: str, a: Any, b: Any) -> bool:
    return bool(COMPARISONS[op](a, b))


def ordered(typ: t.Type) -> bool:
    """Values of this type have an order (<, ranges, min/max, sorting)."""
    typ = t.strip(typ)
    return isinstance(typ, t.Num | t.Unknown) or typ == t.DATE


def arithmetic_type(op: str, left: t.Type, right: t.Type) -> t.Type | None:
    """The type of `left op right` with units (None: not computable). Dates move by durations,
    dates subtract to days, lists concatenate; units add to themselves, a plain number or a
    share scales anything, a percentage of an amount is an amount, division is exact."""
    if op in "+-":
        if left == t.DATE and right == t.DURATION:
            return t.DATE
        if op == "-" and left == t.DATE and right == t.DATE:
            return t.INT
        if op == "+" and isinstance(left, t.ListOf) and isinstance(right, t.ListOf):
            joined = t.join(left, right)
            if joined is not None:
                return joined
        if isinstance(left, t.Num) and isinstance(right, t.Num) and t.comparable(left, right):
            unit = left.unit if left.unit == right.unit else "brøk"
            return t.Num(unit, left.integer and right.integer)
        return None
    if not (isinstance(left, t.Num) and isinstance(right, t.Num)):
        return None
    units = (left.unit, right.unit)
    if op == "*":
        rest = [u for u in units if u not in (None, "brøk")]
        if len(rest) <= 1 or set(rest) == {"%", "kr"}:
            unit = "kr" if "kr" in rest else (rest[0] if rest else ("brøk" if "brøk" in units else None))
            return t.Num(unit, left.integer and right.integer)
        return None
    if right.unit is None or right.unit == "brøk":  # division: exact, so integers give a share
        return t.Num(left.unit if left.unit is not None else "brøk")
    if left.unit == right.unit:
        return t.NUMBER
    return None


def percent_scale(op: str, left: t.Type, right: t.Type) -> Fraction | None:
    """A percentage of an amount is an amount: 55 % × 41 644 kr is 22 904,20 kr (2 × 25 % stays 50 %)."""
    units = {x.unit if isinstance(x, t.Num) else None for x in (t.strip(left), t.strip(right))}
    return Fraction(1, 100) if op == "*" and units == {"%", "kr"} else None


# ---------------------------------------------------------------- constants and table cells


def constant(e: Any) -> Any:
    """The value of a constant expression in a table cell (a literal, a negated or divided
    number, an enumeration member written bare), or None."""
    if isinstance(e, n.Literal):
        return e.value if e.kind != n.LiteralKind.NULL else None
    if isinstance(e, n.Name):
        ann = e.annotation
        return e.name if ann is not None and ann.ref is not None and ann.ref.kind == "member" else None
    if isinstance(e, n.Unary) and e.op == "-":
        inner = constant(e.operand)
        return -inner if isinstance(inner, int | Fraction) else None
    if isinstance(e, n.Binary) and e.op == "/":
        a, b = constant(e.left), constant(e.right)
        if isinstance(a, int | Fraction) and isinstance(b, int | Fraction) and b != 0:
            return Fraction(a) / Fraction(b)
    return None


def cell_exprs(c: n.Cell) -> list[Any]:
    """The constants a cell is written with."""
    if isinstance(c, n.CellCompare):
        return [c.value]
    if isinstance(c, n.CellRange):
        return [c.low, c.high]
    if isinstance(c, n.CellValues):
        return list(c.values)
    return []


def cell_test(c: n.Cell) -> Callable[[Any], bool] | None:
    """A table cell as a test on its input's value; None for `-` (any value)."""
    if isinstance(c, n.CellAny):
        return None
    if isinstance(c, n.CellValues):
        options = [constant(v) for v in c.values]
        return lambda value: value in options
    if isinstance(c, n.CellCompare):
        bound, test = constant(c.value), COMPARISONS[c.op]
        return lambda value: bool(test(value, bound))
    low, high = constant(c.low), constant(c.high)
    if c.closed:
        return lambda value: bool(low <= value <= high)
    return lambda value: bool(low <= value < high)


def matches(c: n.Cell, value: Any) -> bool:
    test = cell_test(c)
    return test is None or test(value)
