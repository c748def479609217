"""Calendar months under a declared rule, Danish working days, and both through the language."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from almen import dsl
from almen.dsl import PolicyError
from almen.dsl.check import MONTH_RULES
from almen.interpreter import EvaluationError, load_policy
from almen.interpreter import calendar as cal
from almen.interpreter.api import Policy

D = dt.date


# ---------------------------------------------------------------- months


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 3, 31), 1, D(2024, 4, 30)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 12, 31), 2, D(2025, 2, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 1, 15), 1, D(2024, 2, 15)),
        (D(2024, 11, 30), 3, D(2025, 2, 28)),
        (D(2024, 1, 31), 0, D(2024, 1, 31)),
    ],
)
def test_add_months_last_day_rule(day: dt.date, months: int, expected: dt.date) -> None:
    assert cal.add_months(day, months, "sidste_dag") == expected


@pytest.mark.parametrize("rule", ["fejl", None])
def test_add_months_without_rounding_raises_month_error(rule: str | None) -> None:
    with pytest.raises(cal.MonthError) as info:
        cal.add_months(D(2024, 1, 31), 1, rule)
    assert str(info.value) == (
        "2024-01-31 + 1 måneder has no day 31 in 2024-02; "
        "the policy must declare 'månedsregel sidste_dag' to round to the last day of the month"
    )


def test_add_months_strict_rule_is_fine_when_the_day_exists() -> None:
    assert cal.add_months(D(2024, 1, 28), 1, "fejl") == D(2024, 2, 28)
    assert cal.add_months(D(2024, 1, 31), 2, "fejl") == D(2024, 3, 31)


def test_month_rules_are_the_two_documented() -> None:
    assert MONTH_RULES == ("sidste_dag", "fejl")


# ---------------------------------------------------------------- working days


@pytest.mark.parametrize(
    "day",
    [
        D(2024, 3, 28),  # skærtorsdag
        D(2024, 3, 29),  # langfredag
        D(2024, 3, 31),  # påskedag (a Sunday)
        D(2024, 4, 1),  # 2. påskedag
        D(2023, 5, 5),  # store bededag, still a holiday in 2023
        D(2024, 5, 9),  # Kristi himmelfartsdag
        D(2024, 5, 20),  # 2. pinsedag
        D(2024, 12, 25),  # juledag
        D(2024, 12, 26),  # 2. juledag
        D(2024, 1, 1),  # nytårsdag
        D(2024, 3, 30),  # a Saturday
        D(2024, 3, 24),  # a Sunday
    ],
)
def test_holidays_and_weekends_are_not_working_days(day: dt.date) -> None:
    assert cal.is_working_day(day) is False


@pytest.mark.parametrize(
    "day",
    [
        D(2024, 3, 27),  # the Wednesday before Easter
        D(2024, 4, 2),  # the Tuesday after Easter
        D(2024, 4, 26),  # would have been store bededag; abolished from 2024
        D(2024, 5, 10),  # the Friday after Ascension
        D(2024, 12, 27),
    ],
)
def test_ordinary_weekdays_are_working_days(day: dt.date) -> None:
    assert cal.is_working_day(day) is True


def test_add_working_days_skips_easter() -> None:
    assert cal.add_working_days(D(2024, 3, 27), 1) == D(2024, 4, 2)
    assert cal.add_working_days(D(2024, 3, 27), 2) == D(2024, 4, 3)
    assert cal.add_working_days(D(2024, 3, 27), 5) == D(2024, 4, 8)


def test_add_working_days_backwards_and_zero() -> None:
    assert cal.add_working_days(D(2024, 4, 2), -1) == D(2024, 3, 27)
    assert cal.add_working_days(D(2024, 3, 27), 0) == D(2024, 3, 27)
    assert cal.add_working_days(D(2024, 3, 30), 0) == D(2024, 3, 30)  # the day itself never counts


def test_add_working_days_over_christmas_and_new_year() -> None:
    assert cal.add_working_days(D(2024, 12, 20), 5) == D(2024, 12, 31)
    assert cal.add_working_days(D(2024, 12, 20), 6) == D(2025, 1, 2)


def test_store_bededag_differs_between_2023_and_2024() -> None:
    assert cal.add_working_days(D(2023, 5, 4), 1) == D(2023, 5, 8)
    assert cal.add_working_days(D(2024, 4, 25), 1) == D(2024, 4, 26)


def test_working_days_between_counts_after_start_up_to_end() -> None:
    assert cal.working_days_between(D(2024, 3, 27), D(2024, 4, 2)) == 1
    assert cal.working_days_between(D(2024, 3, 27), D(2024, 4, 10)) == 7
    assert cal.working_days_between(D(2024, 12, 20), D(2025, 1, 3)) == 7


def test_working_days_between_is_antisymmetric_and_zero_on_the_same_day() -> None:
    assert cal.working_days_between(D(2024, 4, 2), D(2024, 3, 27)) == -1
    assert cal.working_days_between(D(2024, 3, 27), D(2024, 3, 27)) == 0


def test_add_and_between_agree() -> None:
    start = D(2024, 3, 20)
    for count in range(0, 30):
        assert cal.working_days_between(start, cal.add_working_days(start, count)) == count


# ---------------------------------------------------------------- through the language

BODY = """
fakta d: dato
beslutning frist: dato = d + 5 hverdage
  kilde "§ 3"
beslutning måned_senere: dato = d + 1 måned
  kilde "§ 3"
beslutning år_senere: dato = d + 1 år
  kilde "§ 3"
beslutning dage_før: dato = d - 10 dage
  kilde "§ 3"
beslutning hverdage: heltal = hverdage_mellem(d, d + 14 dage)
  kilde "§ 3"
beslutning hverdag: sandhed = er_hverdag(d)
  kilde "§ 3"
beslutning dage_til_nytår: heltal = 2024-12-31 - d
  kilde "§ 3"
beslutning i_morgen: dato = beslutningsdato + 1 dag
  kilde "§ 3"
"""


def month_policy(tmp_path: Path, rule: str | None) -> Policy:
    d = tmp_path / f"politik_{rule}"
    d.mkdir()
    header = 'politik p {\n  version "1"\n  gyldig fra 2024-01-01 til 2027-12-31\n'
    header += (f"  månedsregel {rule}\n" if rule else "") + "}\n"
    (d / "00_aftale.almen").write_text(header, encoding="utf-8")
    (d / "01.almen").write_text(textwrap.dedent(BODY).lstrip("\n"), encoding="utf-8")
    return load_policy(d)


@pytest.fixture
def sidste_dag(tmp_path: Path) -> Policy:
    return month_policy(tmp_path, "sidste_dag")


def value(p: Policy, name: str, day: str) -> object:
    a = p.decide(name, {"d": day}, "2024-06-01")
    assert a.status == "determined"
    return a.value


@pytest.mark.parametrize(
    ("name", "day", "expected"),
    [
        ("frist", "2024-03-27", "2024-04-08"),
        ("frist", "2024-01-31", "2024-02-07"),
        ("måned_senere", "2024-01-31", "2024-02-29"),
        ("måned_senere", "2024-03-27", "2024-04-27"),
        ("år_senere", "2024-02-29", "2025-02-28"),
        ("dage_før", "2024-03-05", "2024-02-24"),
        ("hverdage", "2024-03-27", 7),
        ("hverdag", "2024-03-29", False),
        ("hverdag", "2024-04-26", True),
        ("dage_til_nytår", "2024-12-01", 30),
    ],
)
def test_date_arithmetic_in_the_language(sidste_dag: Policy, name: str, day: str, expected: object) -> None:
    assert value(sidste_dag, name, day) == expected


def test_decision_date_is_a_value(sidste_dag: Policy) -> None:
    assert sidste_dag.decide("i_morgen", {}, "2024-02-29").value == "2024-03-01"


def test_date_arithmetic_on_a_missing_date_is_undetermined(sidste_dag: Policy) -> None:
    a = sidste_dag.decide("frist", {}, "2024-06-01")
    assert (a.status, a.needs) == ("undetermined", ("d",))


@pytest.mark.parametrize("rule", ["fejl", None])
def test_month_without_the_day_is_an_error_at_the_expression(tmp_path: Path, rule: str | None) -> None:
    p = month_policy(tmp_path, rule)
    with pytest.raises(EvaluationError) as info:
        p.decide("måned_senere", {"d": "2024-01-31"}, "2024-06-01")
    e = info.value
    assert (Path(e.path).name, e.line, e.column) == ("01.almen", 4, 33)
    assert e.message.startswith("2024-01-31 + 1 måneder has no day 31 in 2024-02")
    assert e.diagnostics[0].hint == "declare 'månedsregel sidste_dag' in the header"
    text = str(e)
    assert "     4 | beslutning måned_senere: dato = d + 1 måned" in text
    assert "       |" + " " * 33 + "^^^^^^^^^^^" in text


def test_strict_month_rule_allows_days_that_exist(tmp_path: Path) -> None:
    p = month_policy(tmp_path, "fejl")
    assert value(p, "måned_senere", "2024-03-27") == "2024-04-27"


def test_a_year_from_leap_day_under_the_strict_rule_is_an_error(tmp_path: Path) -> None:
    p = month_policy(tmp_path, "fejl")
    with pytest.raises(EvaluationError) as info:
        p.decide("år_senere", {"d": "2024-02-29"}, "2024-06-01")
    assert (info.value.line, info.value.column) == (6, 30)
    assert info.value.message.startswith("2024-02-29 + 12 måneder has no day 29 in 2025-02")


def test_unknown_month_rule_is_a_check_error(tmp_path: Path) -> None:
    (tmp_path / "p.almen").write_text(
        "politik p {\n  gyldig fra 2024-01-01 til 2027-12-31\n  månedsregel sidste_dg\n}\n", encoding="utf-8"
    )
    with pytest.raises(PolicyError) as info:
        dsl.load(tmp_path)
    assert (info.value.line, info.value.column) == (3, 3)
    assert "sidste_dg" in info.value.message
