"""Batch evaluation: a decision compiled to SQL (sqlglot) and run over a table of households.

`compile_query` gives the query for a decision, a date and the fixed facts, for DuckDB,
PostgreSQL or Spark SQL; `decide_many` runs it on DuckDB in-process. See docs/batch.md.
The names are imported when first used: sqlglot, DuckDB and pyarrow are the `batch` extra,
and `almen` itself starts without them.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "DIALECTS": "query",
    "Query": "query",
    "compile_query": "query",
    "BatchFallback": "run",
    "BatchResult": "run",
    "decide_many": "run",
    "Unsupported": "terms",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(name)
    return getattr(import_module(f"almen.interpreter.batch.{_WHERE[name]}"), name)
