"""The household table as SQL sees it: one column per fact path, flat.

- A value of a record is in the column named by its path: `husstand.ansøger.alder`.
- NULL is a fact not given: reading it makes the answer undetermined, never false. Where the
  policy declares a default, NULL is that default (as leaving the field out is, per call).
- An optional fact (`dato?`, `Person?`) has beside it a truth column `<path>?`: TRUE when a value
  is given, FALSE when it is given as `intet`, NULL when it is not given.
- A list has a column `<path>#` with its length (NULL: not given) and its items in the columns
  `<path>[0]`, `<path>[1]`, … up to the longest list the query was compiled for; a row with a
  longer list is answered by the Python tier (the `fallback` column says so).

`flatten` turns facts as the per-call API takes them (nested dicts) into such rows, and
`unflatten` turns a row back, for the rows the Python tier answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlglot import exp

from almen.dsl import types as t
from almen.interpreter.batch.terms import MAX_BITS, SQL, Unsupported, sql_type

PRESENT = "?"
LENGTH = "#"


class Columns:
    """The columns one query reads and the fact paths it may report as needed, one bit each."""

    def __init__(self, max_items: dict[str, int] | int):
        self.max_items = max_items
        self.used: dict[str, str] = {}  # column → SQL type
        self.bits: dict[str, int] = {}
        self.fallback: list[SQL] = []  # conditions under which SQL cannot answer a row
        # values computed once and read by name, so a definition used twice is not spelled twice:
        # (layer, column name, expression); a layer reads only the columns of the layers before it
        self.bindings: list[tuple[int, str, SQL]] = []
        self.layer_of: dict[str, int] = {}

    def bind(self, e: SQL, hint: str) -> SQL:
        """`e` as a column of its own, computed in the first layer that has what it reads."""
        if isinstance(e, exp.Column | exp.Literal | exp.Boolean | exp.Null):
            return e
        reads = [self.layer_of.get(c.name, 0) for c in e.find_all(exp.Column)]
        layer = max(reads, default=0) + 1
        name = f"__{len(self.bindings)}_{hint}"
        self.bindings.append((layer, name, e))
        self.layer_of[name] = layer
        return exp.column(name, table="f", quoted=True)

    def column(self, name: str, typ: str) -> SQL:
        self.used.setdefault(name, typ)
        return exp.column(name, table="f", quoted=True)

    def bit(self, path: str) -> SQL:
        if path not in self.bits:
            if len(self.bits) >= MAX_BITS:
                raise Unsupported(f"more than {MAX_BITS} facts that may be needed")
            self.bits[path] = len(self.bits)
        return exp.Literal.number(1 << self.bits[path])

    def items(self, path: str) -> int:
        if isinstance(self.max_items, int):
            return self.max_items
        return self.max_items.get(_pattern(path), 0)


def _pattern(path: str) -> str:
    """A list's path with its indices left out: `husstand.øvrige[2].domme` → `husstand.øvrige[].domme`."""
    out, depth = [], 0
    for ch in path:
        if ch == "[":
            depth += 1
            out.append("[")
        elif ch == "]":
            depth -= 1
            out.append("]")
        elif depth == 0:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------- facts ⇄ flat rows


def flatten(facts: dict[str, Any], schema: dict[str, t.Type]) -> dict[str, Any]:
    """One household's facts (as `Policy.decide` takes them) → one flat row."""
    row: dict[str, Any] = {}
    for name, typ in schema.items():
        if name in facts:
            _put(row, name, facts[name], typ)
    return row


def _put(row: dict[str, Any], path: str, value: Any, typ: t.Type) -> None:
    if isinstance(typ, t.Optional):
        row[path + PRESENT] = value is not None
        if value is None:
            return
    typ = t.strip(typ)
    if isinstance(typ, t.Record) and isinstance(value, dict):
        ftypes = dict(typ.fields)
        for k, v in value.items():
            _put(row, f"{path}.{k}", v, ftypes.get(k, t.UNKNOWN))
    elif isinstance(typ, t.ListOf) and isinstance(value, list | tuple):
        row[path + LENGTH] = len(value)
        for i, v in enumerate(value):
            _put(row, f"{path}[{i}]", v, typ.elem)
    else:
        row[path] = value


def unflatten(row: dict[str, Any], schema: dict[str, t.Type]) -> dict[str, Any]:
    """A flat row → facts as `Policy.decide` takes them (NULL columns are facts not given)."""
    facts: dict[str, Any] = {}
    for name, typ in schema.items():
        found, value = _get(row, name, typ)
        if found:
            facts[name] = value
    return facts


def _get(row: dict[str, Any], path: str, typ: t.Type) -> tuple[bool, Any]:
    if isinstance(typ, t.Optional):
        present = row.get(path + PRESENT)
        if present is False:
            return True, None
        if present is None:
            return False, None
    typ = t.strip(typ)
    if isinstance(typ, t.Record):
        out = {}
        for k, ft in typ.fields:
            found, v = _get(row, f"{path}.{k}", ft)
            if found:
                out[k] = v
        return (bool(out) or _any_under(row, path)), out
    if isinstance(typ, t.ListOf):
        length = row.get(path + LENGTH)
        if length is None:
            return False, None
        items = []
        for i in range(int(length)):
            found, v = _get(row, f"{path}[{i}]", typ.elem)
            items.append(v if found else ({} if isinstance(t.strip(typ.elem), t.Record) else None))
        return True, items
    value = row.get(path)
    return value is not None, value


def _any_under(row: dict[str, Any], path: str) -> bool:
    return any(k.startswith(path + ".") and v is not None for k, v in row.items())


def leaf_columns(schema: dict[str, t.Type], max_items: int) -> Iterator[tuple[str, t.Type]]:
    """Every column of the flat table for these facts, with lists of up to `max_items` items."""
    for name, typ in schema.items():
        yield from _leaves(name, typ, max_items)


def _leaves(path: str, typ: t.Type, k: int) -> Iterable[tuple[str, t.Type]]:
    if isinstance(typ, t.Optional):
        yield path + PRESENT, t.BOOL
    typ = t.strip(typ)
    if isinstance(typ, t.Record):
        for name, ft in typ.fields:
            yield from _leaves(f"{path}.{name}", ft, k)
    elif isinstance(typ, t.ListOf):
        yield path + LENGTH, t.INT
        for i in range(k):
            yield from _leaves(f"{path}[{i}]", typ.elem, k)
    else:
        sql_type(typ)  # a fact SQL cannot hold is refused here, with its type
        yield path, typ
