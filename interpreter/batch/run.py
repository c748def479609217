"""`decide_many`: a decision for every household of a table, in SQL on DuckDB in-process.

Rows come as a pyarrow table, a polars or pandas frame, a Parquet or CSV file (flat: one column
per fact path, see columns.py), or as facts the per-call API takes: a list of dicts or a
JSON-lines file, each checked as `Policy.decide` checks it (a wrong fact is an `error` row with
the same message). Rows SQL cannot answer — all of them when the decision has a construct this
tier does not translate — are answered by `Policy.decide`; the `fallback` column says which.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from almen.dsl import types as t
from almen.interpreter.batch.columns import flatten, unflatten
from almen.interpreter.batch.query import SOURCE, Query, compile_query
from almen.interpreter.batch.terms import SQL, Unsupported
from almen.interpreter.errors import EvaluationError, FactError
from almen.interpreter.facts import convert_facts, read_json
from almen.interpreter.values import to_json

ARROW = {
    "BIGINT": pa.int64(),
    "DECIMAL(38, 10)": pa.decimal128(38, 10),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "VARCHAR": pa.string(),
}
_INDEX = re.compile(r"\[(\d+)\]")


class BatchFallback(UserWarning):
    """A decision (or some rows) answered by the Python tier, not in SQL."""


@attrs.frozen
class BatchResult:
    """The answers as columns (`table`), with the query that computed them."""

    decision: str
    table: pa.Table
    outputs: tuple[Any, ...]
    query: Query | None
    reason: str | None = None  # why SQL did not answer the decision at all

    def __len__(self) -> int:
        return self.table.num_rows

    def answers(self) -> list[dict[str, Any]]:
        """Each row as the per-call API says it: status, value (its exact JSON form), needs, error."""
        data = self.table.to_pydict()
        out = []
        skeleton = self.query.skeleton if self.query is not None else None
        for i in range(self.table.num_rows):
            status = data["status"][i]
            value: Any = None
            if status == "determined" and self.query is None:
                value = json.loads(data["value"][i])
            elif status == "determined" and skeleton is None:
                value = to_json(_exact(data["value"][i]), self.outputs[0].typ)
            elif status == "determined":
                value = copy.deepcopy(skeleton)
                for o in self.outputs:
                    _set(value, o.path, to_json(_exact(data[o.name][i]), o.typ))
            out.append(
                {"status": status, "value": value, "needs": tuple(data["needs"][i] or ()), "error": data["error"][i]}
            )
        return out


def decide_many(
    policy: Any,
    decision: str,
    rows: Any,
    fixed: dict[str, Any] | None = None,
    date: str | dt.date | None = None,
    keep: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    from almen.interpreter.api import _date

    day = _date(date if date is not None else dt.date.today())
    with contextlib.suppress(EvaluationError):  # the per-call checks of the name and the date, their messages
        policy.decide(decision, {}, day, explain=False)
    schema = {k: v for k, v in policy.schema.items() if k not in (fixed or {})}
    source, columns, errors = _source(rows, schema, policy, fixed or {})
    if isinstance(source, _Flat) and keep:
        raise FactError("keep", "columns of a table (Parquet, CSV, a frame); facts have no other columns", list(keep))
    try:
        query = compile_query(policy, decision, day, fixed, _max_items(columns), keep)
    except Unsupported as why:
        warnings.warn(f"'{decision}' is answered by the Python tier: {why}", BatchFallback, stacklevel=2)
        table = _python_tier(policy, decision, day, fixed or {}, source, columns, keep, None)
        return BatchResult(decision, table, _outputs_of(policy, decision, table), None, str(why))
    import duckdb

    con = duckdb.connect()
    try:
        relation = _relation(con, source, columns, query)
        raw = con.sql(query.sql("duckdb", pretty=False, source=relation)).to_arrow_table()
    finally:
        con.close()
    if progress is not None:
        progress(raw.num_rows)
    table = _finish(raw, query)
    table = _fill_fallback(policy, decision, day, fixed or {}, table, query, source, columns)
    table = _fill_errors(table, errors)
    return BatchResult(decision, table, query.outputs, query)


# ---------------------------------------------------------------- reading the rows


def _source(
    rows: Any, schema: dict[str, t.Type], policy: Any, fixed: dict[str, Any]
) -> tuple[Any, list[str], dict[int, str]]:
    """The rows as something DuckDB reads: an arrow table, or a file reader; its column names;
    the rows whose facts are wrong (by position, with the message)."""
    if isinstance(rows, str | Path):
        path = Path(rows)
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return ("parquet", str(path)), pq.read_schema(path).names, {}
        if suffix == ".csv":
            return _source(_read_csv(path), schema, policy, fixed)
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
        return _source([read_json(line) for line in lines], schema, policy, fixed)
    if isinstance(rows, pa.Table):
        return rows, rows.column_names, {}
    if hasattr(rows, "to_arrow"):  # polars
        return _source(rows.to_arrow(), schema, policy, fixed)
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # pandas
        return _source(pa.Table.from_pandas(rows, preserve_index=False), schema, policy, fixed)
    if isinstance(rows, Iterable):
        return _from_facts(list(rows), schema, policy, fixed)
    raise FactError("(rows)", "a table, a frame, a Parquet/CSV/JSON-lines file or a list of facts", rows)


def _read_csv(path: Path) -> pa.Table:
    import pyarrow.csv as pcsv

    return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(strings_can_be_null=True))  # empty: not given


def _from_facts(
    rows: list[Any], schema: dict[str, t.Type], policy: Any, fixed: dict[str, Any]
) -> tuple[Any, list[str], dict[int, str]]:
    errors: dict[int, str] = {}
    flat: list[dict[str, Any]] = []
    for i, facts in enumerate(rows):
        try:
            convert_facts({**facts, **fixed}, policy.schema, policy.defaults)  # checked as per call
        except FactError as e:
            errors[i] = str(e)
            flat.append({})
            continue
        flat.append(flatten(facts, schema))
    names = sorted({k for row in flat for k in row})
    return _Flat(flat), names, errors


class _Flat(list[dict[str, Any]]):
    """Flat rows made from facts, made a table once the query says which columns it reads."""

    def table(self, columns: dict[str, str]) -> pa.Table:
        arrays = [
            pa.array([_cell(row.get(name), ARROW[typ]) for row in self], type=ARROW[typ])
            for name, typ in columns.items()
        ]
        arrays.append(pa.array(range(len(self)), type=pa.int64()))
        return pa.Table.from_arrays(arrays, names=[*columns, "__row"])


def _cell(value: Any, arrow: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_decimal(arrow):
        if isinstance(value, float):
            return Decimal(repr(value))
        if isinstance(value, Fraction):
            return Decimal(value.numerator) / Decimal(value.denominator)
        return Decimal(str(value).strip()) if isinstance(value, str) else Decimal(value)
    if pa.types.is_date(arrow) and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _max_items(columns: Sequence[str]) -> dict[str, int]:
    """The longest list of each kind the table has columns for: `husstand.øvrige[3].alder` → 4."""
    out: dict[str, int] = {}
    for name in columns:
        for m in _INDEX.finditer(name):
            pattern = _INDEX.sub("[]", name[: m.start()])
            out[pattern] = max(out.get(pattern, 0), int(m.group(1)) + 1)
    return out


def _relation(con: Any, source: Any, columns: list[str], query: Query) -> SQL:
    """The FROM of the query: the rows, with a NULL column for each fact the table does not have."""
    if isinstance(source, tuple):
        reader: SQL = exp.func("read_parquet", exp.Literal.string(source[1]))
    elif isinstance(source, _Flat):
        con.register("almen_rows", source.table(query.inputs))
        reader = exp.to_table("almen_rows")
        columns = list(query.inputs)
    else:
        con.register("almen_rows", source)
        reader = exp.to_table("almen_rows")
    have = set(columns)
    extra = [
        exp.alias_(exp.cast(exp.Null(), typ), name, quoted=True, copy=False)
        for name, typ in query.inputs.items()
        if name not in have
    ]
    inner = exp.Select(expressions=[exp.Star(), *extra]).from_(reader, copy=False)
    return exp.alias_(exp.Subquery(this=inner), SOURCE, table=True, copy=False)


# ---------------------------------------------------------------- after SQL


def _finish(raw: pa.Table, query: Query) -> pa.Table:
    needs = raw.column("needs")
    listed = pc.split_pattern(pc.fill_null(needs, ""), pattern=", ")
    listed = pc.if_else(pc.is_null(needs), pa.scalar([], pa.list_(pa.string())), listed)  # needs nothing
    return raw.set_column(raw.column_names.index("needs"), "needs", listed)


def _fill_fallback(
    policy: Any,
    decision: str,
    day: dt.date,
    fixed: dict[str, Any],
    table: pa.Table,
    query: Query,
    source: Any,
    columns: list[str],
) -> pa.Table:
    flags = table.column("fallback").to_pylist()
    todo = [i for i, f in enumerate(flags) if f]
    if not todo:
        return table
    warnings.warn(
        f"{len(todo)} rows of '{decision}' answered by the Python tier (lists longer than the query's)",
        BatchFallback,
        stacklevel=3,
    )
    rows = _rows_at(source, todo)
    answers = {i: _answer(policy, decision, day, fixed, row) for i, row in zip(todo, rows, strict=True)}
    return _patch(table, answers, query.outputs)


def _python_tier(
    policy: Any,
    decision: str,
    day: dt.date,
    fixed: dict[str, Any],
    source: Any,
    columns: list[str],
    keep: Sequence[str],
    query: Query | None,
) -> pa.Table:
    rows = _rows_at(source, None)
    answers = [_answer(policy, decision, day, fixed, row) for row in rows]
    data: dict[str, list[Any]] = {k: [row.get(k) for row in rows] for k in keep}
    data["value"] = [
        json.dumps(a["value"], ensure_ascii=False) if a["status"] == "determined" else None for a in answers
    ]
    data["status"] = [a["status"] for a in answers]
    data["needs"] = [list(a["needs"]) for a in answers]
    data["error"] = [a["error"] for a in answers]
    data["fallback"] = [True] * len(answers)
    return pa.table(data)


def _outputs_of(policy: Any, decision: str, table: pa.Table) -> tuple[Any, ...]:
    from almen.interpreter.batch.query import Output

    return (Output("value", ("value",), t.TEXT),)


def _rows_at(source: Any, positions: list[int] | None) -> list[dict[str, Any]]:
    if isinstance(source, tuple):
        import pyarrow.parquet as pq

        source = pq.read_table(source[1])
    if isinstance(source, _Flat):
        return list(source) if positions is None else [source[i] for i in positions]
    if positions is not None:
        source = source.take(positions)
    return source.to_pylist()


def _answer(policy: Any, decision: str, day: dt.date, fixed: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    schema = {k: v for k, v in policy.schema.items() if k not in fixed}
    facts = {**unflatten(row, schema), **fixed}
    try:
        a = policy.decide(decision, facts, day, explain=False)
    except EvaluationError as e:
        return {"status": "error", "value": None, "raw": None, "needs": (), "error": e.diagnostics[0].message}
    except FactError as e:
        return {"status": "error", "value": None, "raw": None, "needs": (), "error": str(e)}
    return {"status": str(a.status), "value": a.value, "raw": a.raw, "needs": a.needs, "error": None}


def _patch(table: pa.Table, answers: dict[int, dict[str, Any]], outputs: Sequence[Any]) -> pa.Table:
    data = table.to_pydict()
    for i, a in answers.items():
        data["status"][i] = a["status"]
        data["needs"][i] = list(a["needs"])
        data["error"][i] = a["error"]
        for o in outputs:
            value = _get(a["raw"], o.path) if a["status"] == "determined" else None
            data[o.name][i] = _column_value(value, table.schema.field(o.name).type)
    arrays = {
        name: pa.array(
            values, type=None if pa.types.is_null(table.schema.field(name).type) else table.schema.field(name).type
        )
        for name, values in data.items()
    }
    return pa.table(arrays)


def _fill_errors(table: pa.Table, errors: dict[int, str]) -> pa.Table:
    if not errors:
        return table
    answers = {i: {"status": "error", "needs": (), "error": msg, "raw": None} for i, msg in errors.items()}
    return _patch(table, answers, [])


def _column_value(value: Any, arrow: pa.DataType) -> Any:
    if isinstance(value, Fraction | int) and not isinstance(value, bool) and pa.types.is_decimal(arrow):
        f = Fraction(value)
        return Decimal(f.numerator) / Decimal(f.denominator)
    return value


def _get(value: Any, path: tuple[str, ...]) -> Any:
    if path == ("value",) and not isinstance(value, dict):
        return value
    for key in path:
        value = value.value(key) if hasattr(value, "value") and not isinstance(value, dict) else value[key]
    return value


def _set(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def _exact(value: Any) -> Any:
    if isinstance(value, Decimal):
        f = Fraction(value)
        return int(f) if f.denominator == 1 else f
    return value


def answers_of(query: Query, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answers from the query's result rows as another engine returns them (PostgreSQL, Spark)."""
    table = _finish(pa.Table.from_pylist(rows), query)
    return BatchResult(query.decision, table, query.outputs, query).answers()
