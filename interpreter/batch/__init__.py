"""Batch evaluation: a decision compiled to SQL (sqlglot) and run over a table of households.

`compile_query` gives the query for a decision, a date and the fixed facts, for DuckDB,
PostgreSQL or Spark SQL; `decide_many` runs it on DuckDB in-process. See docs/batch.md.
"""

from almen.interpreter.batch.query import DIALECTS, Query, compile_query
from almen.interpreter.batch.run import BatchFallback, BatchResult, decide_many
from almen.interpreter.batch.terms import Unsupported

__all__ = ["DIALECTS", "BatchFallback", "BatchResult", "Query", "Unsupported", "compile_query", "decide_many"]
