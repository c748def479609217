"""Batch evaluation: `fortrinsret` for 100,000 generated households, in SQL.

    .venv/bin/python bench/batch.py [--rows 100000] [--no-postgres] [--no-spark]

Prints households per second on DuckDB (the query alone, over an Arrow table in memory; and end
to end from a Parquet file through `Policy.decide_many`, compiling, reading and the columns of
the answer included), on PostgreSQL (a throw-away cluster; the query alone) and on Spark (local
mode; the query alone, on a cached frame), with the targets of issue 11 for DuckDB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from almen import load_policy  # noqa: E402
from almen.interpreter.batch import compile_query  # noqa: E402
from almen.interpreter.batch.run import _from_facts, _max_items  # noqa: E402
from tests.households import FIXED, households  # noqa: E402

DEPARTMENT = "afdelingstrappe trin 2"
DATE = dt.date(2024, 6, 1)


def best(fn: object, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def line(what: str, n: int, seconds: float, target: float | None = None) -> None:
    rate = n / seconds
    verdict = "" if target is None else (f"  target ≥ {target:,.0f}/s: " + ("met" if rate >= target else "MISSED"))
    print(f"{what:<44} {rate:>14,.0f} households/s  ({seconds * 1000:,.1f} ms){verdict}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-spark", action="store_true")
    args = ap.parse_args()
    n = args.rows
    policy = load_policy(ROOT / "policies" / "koebenhavn" / "2024-2027")
    fixed = FIXED[DEPARTMENT]
    schema = {k: v for k, v in policy.schema.items() if k != "afdeling"}
    flat, names, _ = _from_facts(households(n), schema, policy, {})
    query = compile_query(policy, "fortrinsret", DATE, fixed, _max_items(names), keep=["__row"])
    table = flat.table(query.inputs)
    print(f"fortrinsret, {DEPARTMENT}, {n:,} households; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    import duckdb

    con = duckdb.connect()
    con.register("households", table)
    sql = query.sql("duckdb", pretty=False)
    line("DuckDB, query alone (Arrow in memory)", n, best(lambda: con.sql(sql).to_arrow_table()), 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        import pyarrow.parquet as pq

        path = Path(tmp) / "households.parquet"
        pq.write_table(table, path)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            run = lambda: policy.decide_many("fortrinsret", path, fixed=fixed, date=DATE)  # noqa: E731
            line("DuckDB, end to end from Parquet (decide_many)", n, best(run), 300_000)

    if not args.no_postgres:
        postgres(query, table, n)
    if not args.no_spark:
        spark(query, table, n)


def postgres(query: object, table: object, n: int) -> None:
    import psycopg

    from tests.pgcluster import cluster

    with cluster() as dsn, psycopg.connect(dsn, autocommit=True) as con:
        columns = {"__row": "BIGINT", **{c: t.replace("VARCHAR", "TEXT") for c, t in query.inputs.items()}}  # type: ignore[attr-defined]
        con.execute("CREATE TABLE households (" + ", ".join(f'"{c}" {t}' for c, t in columns.items()) + ")")
        with con.cursor() as cur, cur.copy("COPY households FROM STDIN") as copy:
            for row in table.select(list(columns)).to_pylist():  # type: ignore[attr-defined]
                copy.write_row(list(row.values()))
        con.execute("VACUUM ANALYZE households")
        sql = query.sql("postgres")  # type: ignore[attr-defined]
        line("PostgreSQL, query alone (fetched)", n, best(lambda: con.execute(sql).fetchall()))


def spark(query: object, table: object, n: int) -> None:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        types = {"DECIMAL(38, 10)": "DECIMAL(38,10)", "VARCHAR": "STRING"}
        columns = {"__row": "BIGINT", **query.inputs}  # type: ignore[attr-defined]
        schema = ", ".join(f"`{c}` {types.get(t, t)}" for c, t in columns.items())
        rows = [tuple(r.values()) for r in table.select(list(columns)).to_pylist()]  # type: ignore[attr-defined]
        frame = session.createDataFrame(rows, schema).cache()
        frame.count()
        frame.createOrReplaceTempView("households")
        sql = query.sql("spark")  # type: ignore[attr-defined]
        result = session.sql(sql)
        line("Spark local[2], query alone (counted)", n, best(lambda: result.write.format("noop").mode("overwrite").save()))
    finally:
        session.stop()


if __name__ == "__main__":
    main()
