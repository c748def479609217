"""The plain summary of a revision: pinned for the shipped versions, and exact for every single
edit of a wheel slot, a parameter value or a table row in a copy of the policy."""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from almen import dsl
from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.formatter import cells_text, expr_text
from almen.interpreter.tools.diff import diff
from almen.interpreter.tools.summary import summarise, text_lines
from almen.interpreter.tools.words import MONTHS

ROOT = Path(__file__).resolve().parent.parent
KBH = ROOT / "policies" / "koebenhavn"
PINNED = Path(__file__).resolve().parent / "summaries"


def summary_of(old: Path, new: Path) -> str:
    a, b = dsl.load(old), dsl.load(new)
    return "\n".join(text_lines(summarise(a, b, diff(a, b))))


@pytest.mark.parametrize(
    ("old", "new", "pinned"),
    [
        ("2024-2027", "udkast-forlængelse", "2024-2027_til_udkast.txt"),
        ("2019-2023", "2024-2027", "2019-2023_til_2024-2027.txt"),
    ],
)
def test_summaries_of_the_shipped_revisions_are_pinned(old: str, new: str, pinned: str) -> None:
    got = summary_of(KBH / old, KBH / new)
    path = PINNED / pinned
    if os.environ.get("ALMEN_UPDATE_SUMMARIES"):
        path.write_text(got + "\n", encoding="utf-8")
    assert got + "\n" == path.read_text(encoding="utf-8")


def test_the_draft_in_a_negotiators_terms() -> None:
    text = summary_of(KBH / "2024-2027", KBH / "udkast-forlængelse")
    # Figur 7 from 2026: plads 9 på skift venteliste/anvisning (1/18 each) becomes anvisning alone
    assert "andele: venteliste 3/18 → 2/18 (−1/18); kommunal anvisning 7/18 → 8/18 (+1/18)" in text
    assert "uændret: fleksibel 8/18" in text
    # § 19: one expiry moved, seven wheel periods and the header with it, said once
    assert text.count("Slutdatoen flyttes") == 1
    assert "Slutdatoen flyttes fra 31. december 2027 til 30. juni 2028 (8 steder)" in text
    assert "aftalens gyldighed: til 31. december 2027 → til 30. juni 2028" in text
    # § 5.2.4: the new income limit against the value it replaces from that day
    assert "fra 1. december 2024: 22.904,30 kr. (værdien fra 1. december 2022) → 23.750 kr. (+845,70 kr.)" in text
    # in the agreement's order: § 5.2.4 before § 6.2.2
    assert text.index("Parameter indkomstgrænse") < text.index("Udlejningshjul afdelingstrappe_trin_2")


def test_the_2024_agreement_against_2019() -> None:
    text = summary_of(KBH / "2019-2023", KBH / "2024-2027")
    # Figur 6: the renewal ninth (plads 7) goes to anvisning, 3/9 + 1/9
    assert (
        "plads 7: «byfornyelsesgenhusning → venteliste» → «kommunal anvisning → byfornyelsesgenhusning → venteliste»"
        in text
    )
    assert "andele: kommunal anvisning 3/9 → 4/9 (+1/9); byfornyelsesgenhusning 1/9 → 0/9 (−1/9)" in text
    assert "periode 2019-2023 → 2024-2027" in text


# ---------------------------------------------------------------- single edits in a copy


@pytest.fixture(scope="module")
def base() -> dsl.Model:
    return dsl.load(KBH / "2024-2027")


def _edited(tmp_path: Path, span: n.Span, text: str) -> dsl.Model:
    """A copy of 2024-2027 with the source between a span's offsets replaced."""
    copy = tmp_path / "kopi"
    shutil.copytree(KBH / "2024-2027", copy)
    target = copy / Path(span.path).name
    source = target.read_text(encoding="utf-8")
    target.write_text(source[: span.start] + text + source[span.end :], encoding="utf-8")
    return dsl.load(copy)


def _words(day: dt.date) -> str:
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def _slots() -> list[tuple[str, str, int]]:
    m = dsl.load(KBH / "2024-2027")
    return [(w.name, p.label, s.number) for w in m.wheels.values() for p in w.periods for s in p.slots]


def _counted(period: n.Period, replaced: int | None = None, member: str = "") -> tuple[dict[str, Fraction], Fraction]:
    """Shares counted slot by slot: each slot a ninth, a 'på skift' chain an 18th; a slot whose
    first letting depends on the department counted apart."""
    shares: dict[str, Fraction] = {}
    depends = Fraction(0)
    size = len(period.slots)
    for s in period.slots:
        if s.number == replaced:
            shares[member] = shares.get(member, Fraction(0)) + Fraction(1, size)
            continue
        chains = [s.value.first, s.value.second] if isinstance(s.value, n.Alternating) else [s.value]
        for chain in chains:
            first = chain.lettings[0]
            if isinstance(first, n.Letting):
                shares[first.member] = shares.get(first.member, Fraction(0)) + Fraction(1, size * len(chains))
            else:
                depends += Fraction(1, size * len(chains))
    return shares, depends


def _over(x: Fraction, den: int) -> str:
    return f"{x * den}/{den}" if (x * den).denominator == 1 else f"{x.numerator}/{x.denominator}"


@pytest.mark.parametrize(("wheel", "label", "number"), _slots())
def test_one_wheel_slot_edited(base: dsl.Model, tmp_path: Path, wheel: str, label: str, number: int) -> None:
    period = next(p for p in base.wheels[wheel].periods if p.label == label)
    slot = next(s for s in period.slots if s.number == number)
    plain = isinstance(slot.value, n.Chain) and len(slot.value.lettings) == 1
    first = slot.value.lettings[0] if isinstance(slot.value, n.Chain) else None
    member = (
        "kommunal_anvisning"
        if plain and isinstance(first, n.Letting) and first.member == "venteliste"
        else "venteliste"
    )
    new = _edited(tmp_path, slot.value.span, member)
    text = "\n".join(text_lines(summarise(base, new, diff(base, new))))
    assert f"periode {label} (fra {_words(period.start)} til {_words(period.end)}):" in text
    assert f"plads {number}: «" in text and f"» → «{member.replace('_', ' ')}»" in text

    alternating_before = any(isinstance(s.value, n.Alternating) for s in period.slots)
    alternating_after = any(isinstance(s.value, n.Alternating) for s in period.slots if s.number != number)
    den = math.lcm(18 if alternating_before else 9, 18 if alternating_after else 9)
    before, depends_before = _counted(period)
    after, depends_after = _counted(period, number, member)
    moved = []
    for m in base.enums["Udlejningstype"].members:
        a, b = before.get(m, Fraction(0)), after.get(m, Fraction(0))
        if a != b:
            sign = "+" if b > a else "−"
            moved.append(f"{m.replace('_', ' ')} {_over(a, den)} → {_over(b, den)} ({sign}{_over(abs(b - a), den)})")
    if moved:
        assert "andele: " + "; ".join(moved) in text
    else:
        assert "andele:" not in text
    if depends_before != depends_after:
        assert f"afhænger af afdelingen: {_over(depends_before, den)}" in text
        assert f"→ {_over(depends_after, den)}" in text


def _param_values() -> list[tuple[str, str]]:
    """Every value of a number parameter written as a literal (dates, durations and shares written
    as a quotient are checked by tests/test_kbh_parameters.py, one diff change each)."""
    m = dsl.load(KBH / "2024-2027")
    numeric = ("int", "number", "percent", "money")
    return [
        (p.name, str(v.start))
        for p in m.params.values()
        for v in p.values
        if isinstance(v.value, n.Literal) and v.value.kind in numeric
    ]


@pytest.mark.parametrize(("name", "start"), _param_values())
def test_one_parameter_value_edited(base: dsl.Model, tmp_path: Path, name: str, start: str) -> None:
    value = next(v for v in base.params[name].values if str(v.start) == start)
    lit = value.value
    assert isinstance(lit, n.Literal)
    unit = {"money": " kr", "percent": " %"}.get(lit.kind, "")
    whole, dot, decimals = expr_text(lit).split()[0].partition(".")  # 22904.30, 2.18, 40
    written = f"{int(whole) + 1}{dot}{decimals}"
    new = _edited(tmp_path, lit.span, written + unit)
    text = "\n".join(text_lines(summarise(base, new, diff(base, new))))

    def danish(number: int) -> str:
        grouped = f"{number:,}".replace(",", ".")
        return grouped + ("," + decimals.ljust(2, "0") if lit.kind == "money" else "," + decimals) * bool(decimals)

    suffix = {"money": " kr.", "percent": " %"}.get(lit.kind, "")
    delta = {"money": "+1 kr.", "percent": "+1 procentpoint"}.get(lit.kind, "+1")
    when = dt.date.fromisoformat(start)
    assert f"Parameter {name}" in text
    assert f"fra {_words(when)}: {danish(int(whole))}{suffix} → {danish(int(whole) + 1)}{suffix} ({delta})" in text


def _rows() -> list[tuple[str, int]]:
    m = dsl.load(KBH / "2024-2027")
    return [(t.name, i) for t in m.tables.values() for i in range(len(t.rows))]


def _other(output: n.Expr, typ: t.Type | None = None) -> tuple[str, str]:
    """A different output of the same type: the text written, and how the summary says it."""
    if not isinstance(output, n.Literal) and typ == t.MONEY:  # an amount computed from a parameter
        text = f"{expr_text(output)} + 1 kr"
        return text, text
    if isinstance(output, n.Literal) and output.kind == "date":
        day = output.value.replace(year=output.value.year + 1)
        return day.isoformat(), _words(day)
    if isinstance(output, n.Literal) and output.kind == "money":
        value = Fraction(output.value) + 100
        return f"{value} kr", f"{value} kr"
    if isinstance(output, n.Literal) and output.kind == "int":
        value = int(output.value) % 4 + 1  # within 1 .. 4, the steps of a stair
        return str(value), str(value)
    text = "2 / 9" if expr_text(output) != "2 / 9" else "1 / 9"
    return text, text


@pytest.mark.parametrize(("table", "index"), _rows())
def test_one_table_row_edited(base: dsl.Model, tmp_path: Path, table: str, index: int) -> None:
    row = base.tables[table].rows[index]
    written, said = _other(row.output, base.type_of(row.output))
    new = _edited(tmp_path, row.output.span, written)
    text = "\n".join(text_lines(summarise(base, new, diff(base, new))))
    before = expr_text(row.output)
    if isinstance(row.output, n.Literal) and row.output.kind == "date":
        before = _words(row.output.value)
    assert f"række {cells_text(row.cells)}: «{before}» → «{said}»" in text
