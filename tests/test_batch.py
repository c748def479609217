"""Batch evaluation in SQL agrees with the per-call API, row by row, on real engines: DuckDB
in-process, a throw-away PostgreSQL server, Spark in local mode. The households are generated
(tests/households.py) with the agreement's boundary values and facts left out."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from almen import load_policy
from almen.interpreter.batch import BatchFallback, compile_query
from almen.interpreter.batch.run import _from_facts, _max_items, answers_of
from almen.interpreter.errors import EvaluationError, FactError
from tests.households import FIXED, departments, households

POLICY = Path(__file__).parent.parent / "policies" / "koebenhavn" / "2024-2027"
GOLDEN = Path(__file__).parent / "golden" / "koebenhavn" / "fortrinsret.json"
DATE = "2024-06-01"
MANY = 10_000
ENGINE_CASES = ["afdelingstrappe trin 2", "områdetrappe trin 2"]  # run on every engine, 10,000 rows


@cache
def policy() -> Any:
    return load_policy(POLICY)


@cache
def reference(department: str, n: int) -> list[tuple[Any, ...]]:
    """What `Policy.decide` answers for each generated household in this department."""
    fixed = FIXED[department]
    return [per_call({**h, **fixed}) for h in households(n)]


def per_call(facts: dict[str, Any], decision: str = "fortrinsret") -> tuple[Any, ...]:
    return per_call_on(policy(), decision, facts, DATE)


def rows_of(answers: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(a["status"], a["value"], tuple(a["needs"]), a["error"]) for a in answers]


def assert_same(got: list[tuple[Any, ...]], want: list[tuple[Any, ...]]) -> None:
    assert len(got) == len(want)
    wrong = [(i, g, w) for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w]
    assert not wrong, f"{len(wrong)} rows differ, first: {wrong[:3]}"
    statuses = {w[0] for w in want}
    assert {"determined", "undetermined"} <= statuses  # the households exercise both


# ---------------------------------------------------------------- DuckDB, through decide_many


@pytest.mark.parametrize("department", [d for d in FIXED if d != "afdelingstrappe trin 1, B"])
def test_duckdb_agrees_with_the_per_call_api(department: str) -> None:
    n = MANY if department in ENGINE_CASES else 2_000
    fixed = FIXED[department]
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchFallback)  # every row answered in SQL
        result = policy().decide_many("fortrinsret", households(n), fixed=fixed, date=DATE)
    assert result.query is not None
    assert not any(result.table.column("fallback").to_pylist())
    assert_same(rows_of(result.answers()), reference(department, n))


@cache
def trappe_reference() -> list[tuple[Any, ...]]:
    return [per_call(d, "trappe") for d in departments(MANY)]


def test_trappe_over_a_table_of_departments() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchFallback)  # rules and the table of Figur 5, in SQL
        result = policy().decide_many("trappe", departments(MANY), date=DATE)
    assert_same(rows_of(result.answers()), trappe_reference())
    values = {json.dumps(a["value"], sort_keys=True) for a in result.answers() if a["status"] == "determined"}
    assert len(values) >= 5  # both stairs, several steps


def test_golden_scenarios_in_sql() -> None:
    for s in json.loads(GOLDEN.read_text())["scenarios"]:
        fixed = {"afdeling": s["facts"]["afdeling"]}
        rest = {k: v for k, v in s["facts"].items() if k != "afdeling"}
        got = policy().decide_many(s["decision"], [rest], fixed=fixed, date=s["date"]).answers()[0]
        assert got["status"] == s["expect"]["status"], s["name"]
        if got["status"] == "determined":
            assert got["value"] == s["expect"]["value"], s["name"]
        assert rows_of([got]) == [per_call(s["facts"], s["decision"])], s["name"]


def test_every_golden_scenario_of_a_decision_sql_answers() -> None:
    """All golden scenarios, every facts a column (no fixed facts): where the decision compiles,
    SQL answers as the per-call API; a date outside the policy is refused with its message."""
    compiled = set()
    for path in sorted(Path(__file__).parent.glob("golden/*/*.json")):
        doc = json.loads(path.read_text())
        pol = load_policy((path.parent / doc["policy"]).resolve())
        for s in doc["scenarios"]:
            want = per_call_on(pol, s["decision"], s["facts"], s["date"])
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", BatchFallback)
                    result = pol.decide_many(s["decision"], [s["facts"]], date=s["date"])
            except FactError as e:
                assert want == ("error", None, (), str(e)), s["name"]
                continue
            assert rows_of(result.answers()) == [want], (path.name, s["name"])
            if result.query is not None:
                compiled.add(s["decision"])
    # anvisning_tilladt falls back since § 6.1.6 and Bilag 5 compute date windows (date arithmetic)
    assert {"trappe", "tilskud", "udfasning", "anvisningsret"} <= compiled


def per_call_on(pol: Any, decision: str, facts: dict[str, Any], date: str) -> tuple[Any, ...]:
    try:
        a = pol.decide(decision, facts, date, explain=False)
    except EvaluationError as e:
        return ("error", None, (), e.diagnostics[0].message)
    except FactError as e:
        return ("error", None, (), str(e))
    return (str(a.status), a.value, tuple(a.needs), None)


def test_from_a_flat_parquet_file_with_the_needs_named(tmp_path: Path) -> None:
    department = "afdelingstrappe trin 2"
    flat, names, _ = _from_facts(households(MANY), _household_schema(), policy(), {})
    query = compile_query(policy(), "fortrinsret", dt.date(2024, 6, 1), FIXED[department])
    pq.write_table(flat.table(query.inputs), tmp_path / "h.parquet")
    result = policy().decide_many(
        "fortrinsret", tmp_path / "h.parquet", fixed=FIXED[department], date=DATE
    )
    assert_same(rows_of(result.answers()), reference(department, MANY))
    needs = {n for row in result.table.column("needs").to_pylist() for n in row}
    assert "husstand.ansøger.arbejdstimer_pr_uge" in needs  # a fact left out is asked for, not taken as false


def test_a_construct_sql_does_not_express_falls_back_and_says_so() -> None:
    department = "afdelingstrappe trin 1, B"  # criterion B: a date plus a year, not in SQL here
    fixed = FIXED[department]
    with pytest.warns(BatchFallback, match="Python tier"):
        result = policy().decide_many("fortrinsret", households(500), fixed=fixed, date=DATE)
    assert result.query is None and result.reason is not None
    assert all(result.table.column("fallback").to_pylist())
    assert_same(rows_of(result.answers()), reference(department, 500))


def test_longer_lists_than_compiled_for_fall_back_per_row() -> None:
    fixed = FIXED["områdetrappe trin 2"]
    query = compile_query(policy(), "fortrinsret", dt.date(2024, 6, 1), fixed, max_items=1, keep=["__row"])
    hs = households(300)
    flat, _, _ = _from_facts(hs, _household_schema(), policy(), {})
    import duckdb

    con = duckdb.connect()
    con.register("households", flat.table(query.inputs))
    raw = con.sql(query.sql("duckdb")).to_arrow_table()
    longer = [_longer_than_one(h["husstand"]) if "husstand" in h else False for h in hs]
    assert raw.column("fallback").to_pylist() == longer
    assert any(longer) and raw.filter(raw.column("fallback")).column("status").null_count == sum(longer)


def _longer_than_one(h: dict[str, Any]) -> bool:
    """A list the query reads has a second item: its own, or one of the first person's of `øvrige`."""
    others = h.get("øvrige", [])
    persons = [h.get("ansøger"), h.get("partner"), *others[:1]]
    return len(others) > 1 or any(len((p or {}).get("domme", [])) > 1 for p in persons)


def test_a_wrong_fact_is_an_error_row_with_the_per_call_message() -> None:
    fixed = FIXED["afdelingstrappe trin 2"]
    good, bad = households(2)
    bad = {"husstand": {**bad["husstand"], "ansøger": {"alder": 131}}}
    got = rows_of(policy().decide_many("fortrinsret", [good, bad], fixed=fixed, date=DATE).answers())
    assert got == [per_call({**good, **fixed}), per_call({**bad, **fixed})]
    assert got[1][0] == "error" and "husstand.ansøger.alder" in got[1][3]


def test_a_missing_fact_is_undetermined_never_false() -> None:
    fixed = FIXED["afdelingstrappe trin 2"]
    h = {"husstand": {"ansøger": {"alder": 40, "fleksjob": False, "under_uddannelse": False, "pension": "ingen"}}}
    (got,) = policy().decide_many("fortrinsret", [h], fixed=fixed, date=DATE).answers()
    assert got["status"] == "undetermined" and got["value"] is None
    assert {"husstand.ansøger.arbejdstimer_pr_uge", "husstand.partner"} <= set(got["needs"])
    assert rows_of([got]) == [per_call({**h, **fixed})]


# ---------------------------------------------------------------- PostgreSQL and Spark: the emitted SQL


def _household_schema() -> dict[str, Any]:
    return {k: v for k, v in policy().schema.items() if k != "afdeling"}


def _engine_input(department: str) -> tuple[Any, pa.Table]:
    """The query and its input table: fortrinsret for one department, or trappe for departments."""
    if department == "trappe":
        flat, names, _ = _from_facts(departments(MANY), dict(policy().schema), policy(), {})
        query = compile_query(policy(), "trappe", dt.date(2024, 6, 1), None, _max_items(names), keep=["__row"])
        return query, flat.table(query.inputs)
    flat, names, _ = _from_facts(households(MANY), _household_schema(), policy(), {})
    fixed = FIXED[department]
    query = compile_query(policy(), "fortrinsret", dt.date(2024, 6, 1), fixed, _max_items(names), keep=["__row"])
    return query, flat.table(query.inputs)


def _want(department: str) -> list[tuple[Any, ...]]:
    return trappe_reference() if department == "trappe" else reference(department, MANY)


@pytest.fixture(scope="module")
def postgres() -> Any:
    psycopg = pytest.importorskip("psycopg")
    from tests.pgcluster import cluster

    with cluster() as dsn, psycopg.connect(dsn, autocommit=True) as con:
        yield con


@pytest.mark.parametrize("department", [*ENGINE_CASES, "trappe"])
def test_postgresql_agrees_with_the_per_call_api(postgres: Any, department: str) -> None:
    query, table = _engine_input(department)
    columns = {"__row": "BIGINT", **{c: t.replace("VARCHAR", "TEXT") for c, t in query.inputs.items()}}
    postgres.execute("DROP TABLE IF EXISTS households")
    postgres.execute("CREATE TABLE households (" + ", ".join(f'"{c}" {t}' for c, t in columns.items()) + ")")
    names = ", ".join(f'"{c}"' for c in columns)
    with postgres.cursor() as cur, cur.copy(f"COPY households ({names}) FROM STDIN") as copy:
        for row in table.select(list(columns)).to_pylist():
            copy.write_row(list(row.values()))
    cur = postgres.execute(query.sql("postgres"))
    result = [dict(zip([d.name for d in cur.description], r, strict=True)) for r in cur.fetchall()]
    result.sort(key=lambda r: r["__row"])
    assert_same(rows_of(answers_of(query, result)), _want(department))


@pytest.fixture(scope="module")
def spark() -> Any:
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("almen-batch-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.ansi.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


_SPARK_TYPES = {"BIGINT": "BIGINT", "DECIMAL(38, 10)": "DECIMAL(38,10)", "BOOLEAN": "BOOLEAN", "VARCHAR": "STRING"}


@pytest.mark.parametrize("department", [*ENGINE_CASES[1:], "trappe"])
def test_spark_agrees_with_the_per_call_api(spark: Any, department: str) -> None:
    query, table = _engine_input(department)
    columns = {"__row": "BIGINT", **query.inputs}
    schema = ", ".join(f"`{c}` {_SPARK_TYPES.get(t, t)}" for c, t in columns.items())
    rows = [tuple(r.values()) for r in table.select(list(columns)).to_pylist()]
    spark.createDataFrame(rows, schema).createOrReplaceTempView("households")
    result = [r.asDict() for r in spark.sql(query.sql("spark")).collect()]
    result.sort(key=lambda r: r["__row"])
    assert_same(rows_of(answers_of(query, result)), _want(department))


def test_the_same_query_for_every_dialect() -> None:
    query = compile_query(policy(), "fortrinsret", dt.date(2024, 6, 1), FIXED["områdetrappe trin 2"])
    duck, pg, sparky = (query.sql(d) for d in ("duckdb", "postgres", "spark"))
    assert (
        '"husstand.ansøger.alder"' in duck and '"husstand.ansøger.alder"' in pg and "`husstand.ansøger.alder`" in sparky
    )
    assert "DECIMAL(38, 10)" in duck and "BIGINT" in pg


# ---------------------------------------------------------------- more households, and the command line


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), department=st.sampled_from(sorted(FIXED)))
def test_any_seed_agrees_on_duckdb(seed: int, department: str) -> None:
    hs = households(40, seed)
    fixed = FIXED[department]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BatchFallback)
        got = rows_of(policy().decide_many("fortrinsret", hs, fixed=fixed, date=DATE).answers())
    assert got == [per_call({**h, **fixed}) for h in hs]


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from almen.interpreter.cli import main

    fixed = tmp_path / "afdeling.json"
    fixed.write_text(json.dumps(FIXED["områdetrappe trin 2"]))
    assert main(["compile", str(POLICY), "fortrinsret", "--emit", "sql", "--dialect", "spark",
                 "--date", DATE, "--fixed", str(fixed)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert printed.startswith("-- almen: fortrinsret on 2024-06-01") and "`husstand.ansøger.alder`" in printed
    rows = tmp_path / "h.jsonl"
    hs = households(200)
    rows.write_text("".join(json.dumps(h, default=str) + "\n" for h in hs))
    out = tmp_path / "answers.jsonl"
    assert main(["decide-many", str(POLICY), "fortrinsret", "--rows", str(rows), "--out", str(out),
                 "--date", DATE, "--fixed", str(fixed)]) == 0  # fmt: skip
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    want = reference("områdetrappe trin 2", 200)
    assert [(x["status"], x["value"], tuple(x["needs"]), x["error"]) for x in lines] == want
    assert main(["compile", str(POLICY), "hjul", "--emit", "sql", "--date", DATE]) == 2  # a wheel: no SQL form, said so
    assert "no SQL form" in capsys.readouterr().err


@pytest.mark.parametrize("form", ["arrow", "polars", "pandas", "csv"])
def test_every_form_of_a_table(form: str, tmp_path: Path) -> None:
    fixed = FIXED["afdelingstrappe trin 2"]
    flat, _, _ = _from_facts(households(MANY)[:500], _household_schema(), policy(), {})
    table = flat.table(compile_query(policy(), "fortrinsret", dt.date(2024, 6, 1), fixed).inputs)
    rows: Any = table
    if form == "polars":
        rows = pytest.importorskip("polars").from_arrow(table)
    elif form == "pandas":
        rows = table.to_pandas()
    elif form == "csv":
        import pyarrow.csv as pcsv

        pcsv.write_csv(table, tmp_path / "h.csv")  # an empty field is a fact not given
        rows = tmp_path / "h.csv"
    got = rows_of(policy().decide_many("fortrinsret", rows, fixed=fixed, date=DATE).answers())
    assert got == reference("afdelingstrappe trin 2", MANY)[:500]
