"""The batch subcommands of `almen`: `compile … --emit sql` and `decide-many`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from almen.dsl.diagnostics import AlmenError
from almen.interpreter.errors import FactError

CHUNK = 100_000  # rows per query on long runs: the progress bar moves once per chunk


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("decide-many", help="a decision for every household of a table, in SQL on DuckDB")
    p.add_argument("policy")
    p.add_argument("decision")
    p.add_argument("--rows", required=True, help="Parquet or CSV (flat columns), or JSON lines (facts)")
    p.add_argument("--out", required=True, help="the answers: .parquet, .csv or .jsonl")
    p.add_argument("--date", default=None, help="the decision date (default: today)")
    p.add_argument("--fixed", help="a JSON file of facts the same for every row (e.g. the department)")
    p.add_argument("--keep", default="", help="columns of the rows to copy into the answers, comma-separated")


def _fixed(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    from almen.interpreter.facts import read_json

    value = read_json(Path(path).read_bytes())
    if not isinstance(value, dict):
        raise FactError("--fixed", "an object with the fixed facts", value)
    return value


def _require(*modules: str) -> None:
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise AlmenError(f"batch evaluation needs {', '.join(missing)}: pip install 'almen[batch]'")


def compile_command(args: argparse.Namespace, out: Console) -> int:
    _require("sqlglot")
    from almen.interpreter.api import Policy, _date
    from almen.interpreter.batch.query import compile_query
    from almen.interpreter.batch.terms import Unsupported

    policy = Policy(args.policy)
    if args.decision not in policy.model.decisions:
        policy.decide(args.decision, {}, dt.date.today())  # UnknownDecision, with a suggestion
    day = _date(args.date or dt.date.today())
    try:
        query = compile_query(policy, args.decision, day, _fixed(args.fixed), args.max_items)
    except Unsupported as why:
        raise AlmenError(
            f"'{args.decision}' has no SQL form here ({why}); decide-many answers it with the Python tier"
        ) from None
    columns = ", ".join(f"{c} {t}" for c, t in query.inputs.items())
    out.file.write(f"-- almen: {args.decision} on {day} from the table households ({columns})\n")
    out.file.write(query.sql(args.dialect) + ";\n")
    return 0


def decide_many_command(args: argparse.Namespace, out: Console) -> int:
    _require("sqlglot", "duckdb", "pyarrow")
    import pyarrow as pa

    from almen.interpreter.api import Policy

    policy = Policy(args.policy)
    keep = [k for k in args.keep.split(",") if k]
    fixed = _fixed(args.fixed)
    chunks = list(_chunks(Path(args.rows)))
    tables = []
    from rich.progress import Progress

    total = sum(len(c) for c in chunks)
    with Progress(console=Console(stderr=True), transient=True, disable=len(chunks) < 2) as bar:
        task = bar.add_task(f"{args.decision}", total=total)
        for chunk in chunks:
            result = policy.decide_many(args.decision, chunk, fixed=fixed, date=args.date, keep=keep)
            tables.append(result.table if Path(args.out).suffix != ".jsonl" else result)
            bar.advance(task, len(chunk))
    target = Path(args.out)
    if target.suffix == ".jsonl":
        with target.open("w", encoding="utf-8") as f:
            for result in tables:
                kept = result.table.select(keep).to_pylist() if keep else None
                for i, a in enumerate(result.answers()):
                    row = {**(kept[i] if kept else {}), **a, "needs": list(a["needs"])}
                    f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return 0
    table = pa.concat_tables(tables)
    if target.suffix == ".csv":
        import pyarrow.csv as pcsv

        table = table.set_column(
            table.column_names.index("needs"), "needs", pa.array(["; ".join(x) for x in table["needs"].to_pylist()])
        )
        pcsv.write_csv(table, target)
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, target)
    return 0


def _chunks(path: Path) -> Any:
    """The rows in chunks of CHUNK: arrow tables from Parquet or CSV, lists of facts from JSON lines."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".csv"):
        import pyarrow.parquet as pq

        from almen.interpreter.batch.run import _read_csv

        table = pq.read_table(path) if suffix == ".parquet" else _read_csv(path)
        for start in range(0, max(table.num_rows, 1), CHUNK):
            yield table.slice(start, CHUNK)
        return
    from almen.interpreter.facts import read_json

    lines = [read_json(line) for line in path.read_bytes().splitlines() if line.strip()]
    for start in range(0, max(len(lines), 1), CHUNK):
        yield lines[start : start + CHUNK]
