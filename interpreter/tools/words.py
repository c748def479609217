"""Values as a Danish reader writes them: dates (31. december 2027), money (22.904,30 kr.),
percentages (40 %), and shares over a common denominator (7/18). Exact throughout: a number
is never passed through a float."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from almen.dsl import nodes as n
from almen.dsl.formatter import expr_text
from almen.dsl.types import show_number

MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)


def date_words(day: dt.date) -> str:
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def dates_in(text: str) -> str:
    """Every ISO date in a text written the Danish way."""
    return _ISO.sub(lambda m: date_words(dt.date(int(m[1]), int(m[2]), int(m[3]))), text)


def number_words(value: Fraction, decimals: int | None = None) -> str:
    """A number with Danish separators: 22904.3 → 22.904,3 (or 22.904,30 with two decimals)."""
    text = show_number(value) if decimals is None else format(_decimal(value), f".{decimals}f")
    if "/" in text:
        return text
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return sign + grouped + ("," + frac if frac else "")


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def literal_words(lit: n.Literal) -> str:
    """A literal as the agreement writes it: 22.904,30 kr., 40 %, 1. januar 2024."""
    if lit.kind == n.LiteralKind.MONEY:
        value = Fraction(lit.value)
        return number_words(value, 0 if value.denominator == 1 else 2) + " kr."
    if lit.kind == n.LiteralKind.PERCENT:
        return number_words(Fraction(lit.value)) + " %"
    if lit.kind in (n.LiteralKind.INT, n.LiteralKind.NUMBER):
        return number_words(Fraction(lit.value)) + (f" {lit.unit}" if lit.unit else "")
    if lit.kind == n.LiteralKind.DATE:
        return date_words(lit.value)
    return expr_text(lit)


def value_words(e: Any) -> str:
    """An expression in words where it is a plain value, else as the formatter writes it."""
    if isinstance(e, n.Literal):
        return literal_words(e)
    return dates_in(expr_text(e))


def literal_delta(a: Any, b: Any) -> str | None:
    """The signed difference of two numeric literals of the same kind (+845,70 kr.); None when
    they are not comparable or equal."""
    numeric = (n.LiteralKind.MONEY, n.LiteralKind.PERCENT, n.LiteralKind.INT, n.LiteralKind.NUMBER)
    if not (isinstance(a, n.Literal) and isinstance(b, n.Literal) and a.kind == b.kind and a.kind in numeric):
        return None
    if a.unit != b.unit:
        return None
    diff = Fraction(b.value) - Fraction(a.value)
    if diff == 0:
        return None
    shown = literal_words(n.Literal(a.kind, abs(diff), a.unit))
    if a.kind == n.LiteralKind.PERCENT:
        shown = shown.replace(" %", " procentpoint")
    return ("+" if diff >= 0 else "−") + shown


def share_words(value: Fraction, denominator: int) -> str:
    """A share over a denominator both versions can be read in: 7/18, 0/18."""
    scaled = value * denominator
    if scaled.denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    return f"{scaled.numerator}/{denominator}"


def signed_share(value: Fraction, denominator: int) -> str:
    text = share_words(abs(value), denominator)
    return ("+" if value >= 0 else "−") + text
