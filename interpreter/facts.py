"""Facts from outside (JSON-shaped) → run-time values, checked against the policy's fact types.

A wrong fact is a FactError naming its path and the type expected; a missing one becomes
Missing, so that reading it makes the answer undetermined rather than false.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from almen.dsl import i18n
from almen.dsl import types as t
from almen.dsl.diagnostics import did_you_mean
from almen.dsl.i18n import _
from almen.interpreter.errors import FactError
from almen.interpreter.values import FactRecord, Missing

MAX_ABS_NUMBER = 10**15  # no key figure, amount or count in a letting policy comes near this
MAX_LIST = 10_000
MAX_DECIMALS = 20

# The texts accepted where a fact is a decimal number or a date; the JSON Schema of the facts
# (tools/schema.py) says the same with these very patterns. ASCII digits only; a decimal string
# has at most 15 digits before the point (or is 10^15 itself) and at most 20 after it.
DECIMAL_PATTERN = r"^\s*[+-]?(0*[0-9]{1,15}(\.[0-9]{0,20})?|0*1000000000000000(\.0{0,20})?|\.[0-9]{1,20})\s*$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DECIMAL = re.compile(DECIMAL_PATTERN)
_DATE = re.compile(DATE_PATTERN)


def convert_facts(given: Any, schema: dict[str, t.Type], defaults: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """All declared facts, converted: every value given is checked now; keys not declared are an
    error (a typo caught early); an absent field becomes its default or Missing when first read."""
    if not isinstance(given, dict):
        raise FactError("(facts)", _("an object with the facts"), given)
    for key in given:
        if key not in schema:
            hint = did_you_mean(str(key), schema)
            raise FactError(str(key), _("a declared fact") + (f" ({hint})" if hint else ""), given[key])
    return {name: _convert(given.get(name, _ABSENT), typ, name, defaults) for name, typ in schema.items()}


_ABSENT = object()


def _convert(value: Any, typ: t.Type, path: str, defaults: dict[str, dict[str, Any]]) -> Any:
    if value is _ABSENT:
        if isinstance(typ, t.Record):  # a required record: its fields say what is missing
            return _record({}, t.strip(typ), path, defaults)  # type: ignore[arg-type]
        return Missing(path)
    if value is None:
        if isinstance(typ, t.Optional):
            return None
        raise FactError(path, _("a {type} (not null)").format(type=typ), value)
    typ = t.strip(typ)
    if isinstance(value, str) and not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)  # an NFD "område" is the policy's NFC område
    if isinstance(typ, t.Num):
        return _number(value, typ, path)
    if typ == t.BOOL:
        if isinstance(value, bool):
            return value
        raise FactError(path, _("true or false"), value)
    if typ == t.TEXT:
        if isinstance(value, str):
            return value
        raise FactError(path, _("a text"), value)
    if isinstance(typ, t.Enum):
        if isinstance(value, str) and value in typ.members:
            return value
        hint = did_you_mean(value, typ.members) if isinstance(value, str) else None
        choices = ", ".join(f'"{m}"' for m in typ.members)
        raise FactError(path, _("one of {choices}").format(choices=choices) + (f" ({hint})" if hint else ""), value)
    if typ == t.DATE:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str) and _DATE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise FactError(path, _("a date (YYYY-MM-DD)"), value)
    if isinstance(typ, t.ListOf):
        if not isinstance(value, list | tuple):
            raise FactError(path, _("a list ({type})").format(type=typ), value)
        if len(value) > MAX_LIST:
            raise FactError(path, _("a list of at most {n} items").format(n=i18n.number(MAX_LIST)), value)
        return tuple(_convert(v, typ.elem, f"{path}[{i}]", defaults) for i, v in enumerate(value))
    if isinstance(typ, t.MapOf):
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise FactError(path, _("an object ({type})").format(type=typ), value)
        return {k: _convert(v, typ.value, f"{path}.{k}", defaults) for k, v in value.items()}
    if isinstance(typ, t.Record):
        if not isinstance(value, dict):
            raise FactError(path, _("an object ({type})").format(type=typ), value)
        return _record(value, typ, path, defaults)
    raise FactError(path, str(typ), value)


def _record(value: dict[str, Any], typ: t.Record, path: str, defaults: dict[str, dict[str, Any]]) -> FactRecord:
    names = dict(typ.fields)
    for key in value:
        if key not in names:
            hint = did_you_mean(str(key), names)
            raise FactError(
                f"{path}.{key}", _("a field of {type}").format(type=typ) + (f" ({hint})" if hint else ""), value[key]
            )
    own_defaults = defaults.get(typ.name or "", {})

    def absent(name: str) -> Any:
        if name in own_defaults:
            return own_defaults[name]
        return _convert(_ABSENT, names[name], f"{path}.{name}", defaults)

    record = FactRecord(path, value, tuple(names), absent)
    for name, given in value.items():
        record.put(name, _convert(given, names[name], f"{path}.{name}", defaults))
    return record


def _number(value: Any, typ: t.Num, path: str) -> int | Fraction:
    if (
        type(value) is int  # the common case, quickly; anything else takes the checks below
        and -MAX_ABS_NUMBER <= value <= MAX_ABS_NUMBER
        and (typ.low is None or value >= typ.low)
        and (typ.high is None or value <= typ.high)
    ):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | Fraction | str):
        raise FactError(path, _("a number ({type})").format(type=typ), value)
    if isinstance(value, str) and (typ.integer or not _DECIMAL.match(value)):
        # whole numbers are JSON numbers; a decimal string keeps every digit of an amount
        raise FactError(path, _("a number ({type})").format(type=typ), value)
    try:
        if isinstance(value, float):
            # repr gives the shortest text that reads back the same: what the sender wrote;
            # a float has few digits, so it may have any number of decimals
            decimal = Decimal(repr(value))
        elif isinstance(value, str):
            decimal = Decimal(value.strip())
        elif isinstance(value, Decimal):
            decimal = value
        else:
            decimal = None
        if decimal is not None:
            # bound the exponent before making a Fraction: 1e999999999 would take forever
            finite = decimal.is_finite()  # NaN and infinity have no exponent to compare
            too_fine = finite and not isinstance(value, float) and decimal.as_tuple().exponent < -MAX_DECIMALS  # type: ignore[operator]
            if not finite or decimal.adjusted() > 15 or too_fine:
                raise FactError(
                    path,
                    _("a number of at most {n} with at most {places} decimals").format(
                        n=i18n.number(MAX_ABS_NUMBER), places=MAX_DECIMALS
                    ),
                    value,
                )
            number = Fraction(decimal)
        elif isinstance(value, int) and value.bit_length() > 60:
            raise FactError(path, _("a number of at most {n}").format(n=i18n.number(MAX_ABS_NUMBER)), value)
        else:
            number = Fraction(value)
    except (InvalidOperation, ValueError, OverflowError):
        raise FactError(path, _("a number ({type})").format(type=typ), value) from None
    if abs(number) > MAX_ABS_NUMBER:
        raise FactError(path, _("a number of at most {n}").format(n=i18n.number(MAX_ABS_NUMBER)), value)
    if typ.integer:
        if number.denominator != 1:
            raise FactError(path, _("a whole number"), value)
        whole = int(number)
        if typ.low is not None and whole < typ.low:
            raise FactError(path, _("a whole number ≥ {low}").format(low=typ.low), value)
        if typ.high is not None and whole > typ.high:
            raise FactError(path, _("a whole number ≤ {high}").format(high=typ.high), value)
        return whole
    return number if number.denominator != 1 else int(number)


MAX_FACTS_BYTES = 10 * 2**20  # a household's facts are kilobytes; a whole waiting list fits too
MAX_DEPTH = 64  # records in lists in records: no policy's facts come near


class _Object(dict[str, Any]):
    """A JSON object as read, remembering keys it was given more than once."""

    twice: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.twice = tuple(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return obj


def _integer(text: str) -> int | Decimal:
    # Python refuses to read an int of over 4,300 digits; a Decimal reads it, and the fact's
    # check then refuses it with its path
    return int(text) if len(text) <= 40 else Decimal(text)


def read_json(data: bytes) -> Any:
    """Facts from JSON bytes, for the command line and services: bounded in size and depth, UTF-8,
    no key twice, no lone surrogate; decimals kept exact. Errors name the fact's path."""
    if len(data) > MAX_FACTS_BYTES:
        raise FactError.saying("(facts)", _("facts of at most {n} MiB").format(n=MAX_FACTS_BYTES // 2**20), _("more"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FactError.saying(
            "(facts)", _("UTF-8 text"), _("a byte that is not UTF-8 at offset {n}").format(n=e.start)
        ) from None
    try:
        facts = json.loads(text, parse_float=Decimal, parse_int=_integer, object_pairs_hook=_object)
    except RecursionError:
        raise FactError.saying(
            "(facts)", _("facts nested at most {n} levels deep").format(n=MAX_DEPTH), _("deeper ones")
        ) from None
    except json.JSONDecodeError as e:
        raise FactError.saying(
            "(facts)",
            "JSON",
            _("{problem} at line {line}, column {column}").format(problem=e.msg, line=e.lineno, column=e.colno),
        ) from None
    _sound(facts, "", 0)
    return facts


def _sound(value: Any, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise FactError.saying(
            path or "(facts)", _("facts nested at most {n} levels deep").format(n=MAX_DEPTH), _("deeper ones")
        )
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise FactError(path or "(facts)", _("a text in valid Unicode (a lone surrogate is not)"), value)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _sound(item, f"{path}[{i}]", depth + 1)
    elif isinstance(value, dict):
        for key in getattr(value, "twice", ()):
            raise FactError(f"{path}.{key}" if path else key, _("each key once (it is given twice)"), value[key])
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            _sound(key, where, depth + 1)
            _sound(item, where, depth + 1)


_SURROGATE = re.compile("[\ud800-\udfff]")
