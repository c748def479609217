"""Run-time values and their exact JSON form.

Numbers are `int` or `Fraction` at run time, whatever their unit; the static type says how
to show them: money as a decimal with two places, shares as fractions, percent as decimals.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import attrs

from almen.dsl import types as t
from almen.dsl.i18n import _
from almen.interpreter.errors import Unknown


class Missing:
    """A fact that was not given. Reading it raises Unknown with its path."""

    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = path

    def __repr__(self) -> str:
        return f"Missing({self.path})"


class FactRecord:
    """A record from the facts: knows its path, so a missing field names itself.

    Every field given is converted (and so checked) at once; an absent one becomes its
    default or Missing only when read, so a decision pays for the absent fields it uses."""

    __slots__ = ("cache", "convert", "names", "path", "raw")

    def __init__(self, path: str, raw: dict[str, Any], names: tuple[str, ...], convert: Any):
        self.path = path
        self.raw = raw
        self.names = names
        self.convert = convert  # absent field name → its default, or Missing
        self.cache: dict[str, Any] = {}

    def value(self, name: str) -> Any:
        """The converted field, or Missing."""
        cache = self.cache
        if name not in cache:
            cache[name] = self.convert(name)
        return cache[name]

    def get(self, name: str) -> Any:
        value = self.value(name)
        if type(value) is Missing:
            raise Unknown(frozenset((value.path,)))
        return value

    def put(self, name: str, value: Any) -> None:
        self.cache[name] = value

    @property
    def fields(self) -> dict[str, Any]:
        return {name: self.value(name) for name in self.names}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FactRecord) and self.fields == other.fields

    def __hash__(self) -> int:
        return hash(self.path)


@attrs.frozen
class Duration:
    amount: int
    unit: str  # dage, hverdage, måneder, år


@attrs.frozen
class WheelRef:
    name: str


def field(obj: Any, name: str) -> Any:
    if type(obj) is FactRecord:
        return obj.get(name)
    return obj[name]


def to_json(value: Any, typ: t.Type) -> Any:
    """The exact JSON form of a value of a static type. A fact inside it that was not given
    raises Unknown: an answer that shows a missing fact is not determined."""
    if type(value) is Missing:
        raise Unknown(frozenset((value.path,)))
    if value is None:
        return None
    typ = t.strip(typ)
    if isinstance(typ, t.Num):
        return number_json(value, typ)
    if isinstance(typ, t.Record):
        ftypes = dict(typ.fields)
        items = value.fields.items() if isinstance(value, FactRecord) else value.items()
        return {k: to_json(v, ftypes.get(k, t.UNKNOWN)) for k, v in items}
    if isinstance(typ, t.ListOf):
        return [to_json(v, typ.elem) for v in value]
    if isinstance(typ, t.MapOf):
        return {k: to_json(v, typ.value) for k, v in value.items()}
    return plain_json(value)


def number_json(value: Any, typ: t.Num) -> Any:
    if isinstance(value, bool):
        return value
    if typ.integer:
        return int(value)
    if typ.unit == "kr":
        return money(value)
    if typ.unit == "brøk":
        f = Fraction(value)
        return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"
    return t.show_number(Fraction(value))


def money(value: Any) -> str:
    """Kroner with two decimals (øre). Exact amounts print exactly; finer ones round half-even."""
    f = Fraction(value)
    exact = Decimal(f.numerator) / Decimal(f.denominator)
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def plain_json(value: Any) -> Any:
    """JSON form when the static type is not known (inside explanations)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Fraction):
        return t.show_number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return f"{value.amount} {value.unit}"
    if isinstance(value, WheelRef):
        return f"hjul {value.name}"
    if isinstance(value, FactRecord):
        return {k: plain_json(v) for k, v in value.fields.items() if not isinstance(v, Missing)}
    if isinstance(value, Missing):
        return None
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return str(value)


def show(value: Any) -> str:
    """Short text of a value for explanations."""
    j = plain_json(value)
    if isinstance(j, bool):
        return _("true") if j else _("false")
    if j is None:
        return _("nothing")
    if isinstance(j, str):
        return j
    return json.dumps(j, ensure_ascii=False)
