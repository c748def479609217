"""Static types of the language, with their units, and how they combine."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Union

import attrs


@attrs.frozen
class Num:
    """A number. unit: None (plain), "%" (percent points), "kr" (money), "brøk" (an exact share)."""

    unit: str | None = None
    integer: bool = False
    low: int | None = None  # declared bounds of an integer fact, for table analysis
    high: int | None = None

    def __str__(self) -> str:
        if self.integer:
            return "heltal"
        return {None: "tal", "%": "procent", "kr": "kr", "brøk": "brøk"}[self.unit]


@attrs.frozen
class Simple:
    name: str  # sandhed, tekst, dato, varighed, intet, hjul

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class Enum:
    name: str
    members: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class Record:
    name: str | None
    fields: tuple[tuple[str, Type], ...]

    def field(self, name: str) -> Type | None:
        return dict(self.fields).get(name)

    def __str__(self) -> str:
        return self.name or "{" + ", ".join(f"{k}: {v}" for k, v in self.fields) + "}"


@attrs.frozen
class ListOf:
    elem: Type

    def __str__(self) -> str:
        return f"liste af {self.elem}"


@attrs.frozen
class MapOf:
    """A lookup from text to values, made by `opslag`; its JSON form is an object."""

    value: Type

    def __str__(self) -> str:
        return f"opslag af {self.value}"


@attrs.frozen
class Optional:
    inner: Type

    def __str__(self) -> str:
        return f"{self.inner}?"


@attrs.frozen
class WheelType:
    letting: Enum

    def __str__(self) -> str:
        return f"hjul af {self.letting}"


@attrs.frozen
class Unknown:
    """The type of something already reported as an error: it unifies with anything."""

    def __str__(self) -> str:
        return "?"


Type = Union[Num, Simple, Enum, Record, ListOf, MapOf, Optional, WheelType, Unknown]

INT = Num(None, True)
NUMBER = Num(None)
PERCENT = Num("%")
MONEY = Num("kr")
SHARE = Num("brøk")
BOOL = Simple("sandhed")
TEXT = Simple("tekst")
DATE = Simple("dato")
DURATION = Simple("varighed")
NULL = Simple("intet")
UNKNOWN = Unknown()

BUILTIN_TYPES: dict[str, Type] = {
    "tal": NUMBER,
    "procent": PERCENT,
    "kr": MONEY,
    "brøk": SHARE,
    "sandhed": BOOL,
    "tekst": TEXT,
    "dato": DATE,
    "varighed": DURATION,
}


def strip(t: Type) -> Type:
    return t.inner if isinstance(t, Optional) else t


def assignable(source: Type, target: Type) -> bool:
    """Can a value of type `source` stand where `target` is expected?"""
    if isinstance(source, Unknown) or isinstance(target, Unknown):
        return True
    if source == NULL:
        return isinstance(target, Optional)
    if isinstance(target, Optional):
        return assignable(strip(source), target.inner)
    if isinstance(source, Num) and isinstance(target, Num):
        if source.unit == target.unit:
            return target.integer <= source.integer
        return {source.unit, target.unit} <= {None, "brøk"}
    if isinstance(source, ListOf) and isinstance(target, ListOf):
        return assignable(source.elem, target.elem)
    if isinstance(source, MapOf) and isinstance(target, MapOf):
        return assignable(source.value, target.value)
    if isinstance(source, Record) and isinstance(target, Record):
        if source.name is not None and source.name == target.name:
            return True
        s, t = dict(source.fields), dict(target.fields)
        return s.keys() == t.keys() and all(assignable(s[k], t[k]) for k in s)
    if isinstance(source, Enum) and isinstance(target, Enum):
        return set(source.members) <= set(target.members)
    if source == TEXT and isinstance(target, Enum):
        return True  # literals are checked against the members where they are written
    return source == target


def comparable(a: Type, b: Type) -> bool:
    a, b = strip(a), strip(b)
    if isinstance(a, Num) and isinstance(b, Num):
        return a.unit == b.unit or {a.unit, b.unit} <= {None, "brøk"}
    return assignable(a, b) or assignable(b, a)


def join(a: Type, b: Type) -> Type | None:
    """The type of `hvis … så a ellers b`, or None if the branches do not fit together."""
    if isinstance(a, Unknown):
        return b
    if isinstance(b, Unknown) or a == b:
        return a
    if a == NULL:
        return b if isinstance(b, Optional) else Optional(b)
    if b == NULL:
        return a if isinstance(a, Optional) else Optional(a)
    if isinstance(a, Num) and isinstance(b, Num) and comparable(a, b):
        unit = a.unit if a.unit == b.unit else "brøk"
        return Num(unit, a.integer and b.integer)
    if isinstance(a, Enum) and b == TEXT:
        return a
    if a == TEXT and isinstance(b, Enum):
        return b
    if isinstance(a, ListOf) and isinstance(b, ListOf):
        elem = join(a.elem, b.elem)
        return ListOf(elem) if elem is not None else None
    if isinstance(a, Record) and isinstance(b, Record):
        if assignable(a, b):
            return b
        if assignable(b, a):
            return a
        fa, fb = dict(a.fields), dict(b.fields)
        if fa.keys() != fb.keys():
            return None
        joined = {k: join(fa[k], fb[k]) for k in fa}
        if any(v is None for v in joined.values()):
            return None
        return Record(a.name if a.name == b.name else None, tuple((k, v) for k, v in joined.items() if v))
    if assignable(a, b):
        return b
    if assignable(b, a):
        return a
    return None


def show_number(value: int | Fraction) -> str:
    """Exact text of a number: a decimal where it terminates, else a fraction ("1/3")."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1:
        return f"{value.numerator}/{value.denominator}"
    return format(Decimal(value.numerator) / Decimal(value.denominator), "f")
