"""Decision tables and schedules: cells of the input's type and constant, rows of one output
type, and — for a well-formed table — completeness and overlaps over the elementary regions
each input's cells carve out (what a cell matches is `semantics.cell_test`, as at run time)."""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import heapq
import itertools
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.check.context import Context
from almen.dsl.check.values import require_citation
from almen.dsl.i18n import _
from almen.dsl.semantics import cell_exprs, cell_test, constant, ordered

HIT_POLICIES = ("unik", "første")
MAX_TABLE_CASES = 200_000  # combinations the completeness check will try
ANY = object()  # the one sample of an input no cell tells apart
FAST_SINGLE_INPUT = True  # one ordered input: a sweep (`_sweep`); off, every row meets every sample


class Tables:
    def __init__(self, cx: Context):
        self.cx = cx

    def check(self, table: n.Table) -> t.Type:
        cx = self.cx
        require_citation(cx, table, table.meta)
        if table.hit not in HIT_POLICIES:
            cx.error(
                table.span,
                _("unknown hit policy '{0}'").format(table.hit),
                _("use 'unik' (exactly one row applies) or 'første' (the first row that applies)"),
            )
        input_types = [cx.typer.expr(e, {}) for e in table.inputs]
        errors_before = len(cx.report.diagnostics)
        out: t.Type | None = None
        for row in table.rows:
            if len(row.cells) != len(input_types):
                cx.error(
                    row.span,
                    _("the row has {0} cells but the table has {1} inputs").format(len(row.cells), len(input_types)),
                )
                continue
            for cell, typ in zip(row.cells, input_types, strict=True):
                self.cell(cell, typ)
            typ = cx.typer.expr(row.output, {})
            joined = typ if out is None else t.join(out, typ)
            if joined is None:
                cx.error(row.output.span, _("this row gives a {0}, the rows above a {1}").format(typ, out))
            else:
                out = joined
        if len(cx.report.diagnostics) == errors_before:  # only a well-formed table can be analysed
            self.analyse(table, input_types)
        return out or t.UNKNOWN

    def cell(self, cell: n.Cell, typ: t.Type) -> None:
        cx = self.cx
        for e in cell_exprs(cell):
            ctype = cx.typer.expr(e, {})
            cx.typer.literal_against(e, typ)
            if not t.comparable(ctype, typ):
                cx.error(e.span, _("a {0} cannot be compared with this input, a {1}").format(ctype, typ))
            elif constant(e) is None:
                cx.error(e.span, _("a table cell must be a constant"), _("write the number, date or text itself"))
        if isinstance(cell, n.CellCompare | n.CellRange) and not ordered(typ):
            cx.error(cell.span, _("ranges need a number or a date, this input is a {0}").format(typ))

    def analyse(self, table: n.Table, input_types: list[t.Type]) -> None:
        """Completeness and overlaps, over the elementary regions each input's cells carve out."""
        cx = self.cx
        rows = [r for r in table.rows if len(r.cells) == len(input_types)]
        if not rows:
            return
        domains = []
        for i, typ in enumerate(input_types):
            domain = _domain(typ, [r.cells[i] for r in rows])
            if domain is None:
                return  # an input we cannot enumerate: nothing to prove
            domains.append(domain)
        cases = 1
        for d in domains:
            cases *= len(d)
        if cases > MAX_TABLE_CASES:
            cx.error(
                table.span,
                _("table '{0}' has {1:,} input combinations, too many to check for gaps and overlaps").format(
                    table.name, cases
                ),
                _("narrow the inputs' bounds or split the table"),
            )
            return
        if FAST_SINGLE_INPUT and len(domains) == 1 and ordered(input_types[0]) and domains[0] != [ANY]:
            found = _sweep(rows, domains[0])  # near-linear in the rows; the same findings
        else:
            found = _exhaustive(rows, domains)
        reported_gap = False
        reported: set[tuple[int, int]] = set()
        for point, hits in found:
            if not hits and not reported_gap:
                reported_gap = True
                where = ", ".join(f"{cx.source(e)} = {_show(p)}" for e, p in zip(table.inputs, point, strict=True))
                cx.error(
                    table.span,
                    _("table '{0}' is incomplete: no row covers {1}").format(table.name, where),
                    _("add a row for it"),
                )
            if table.hit == "unik" and len(hits) > 1:
                key = (id(hits[0]), id(hits[1]))
                if key not in reported:
                    reported.add(key)
                    cx.error(
                        hits[1].span,
                        _("rows of table '{0}' overlap (hit policy 'unik')").format(table.name),
                        _("make the cells disjoint, or declare 'hit første'"),
                        [(hits[0].span, _("overlaps this row"))],
                    )


def _exhaustive(rows: list[n.Row], domains: list[list[Any]]) -> Iterator[tuple[tuple[Any, ...], list[n.Row]]]:
    """Each combination of sample points with the first two rows that cover it."""
    tests = [[cell_test(c) for c in r.cells] for r in rows]
    for point in itertools.product(*domains):
        hits = []
        for r, row_tests in zip(rows, tests, strict=True):
            if all(f is None or p is ANY or f(p) for f, p in zip(row_tests, point, strict=True)):
                hits.append(r)
                if len(hits) == 2:
                    break
        yield point, hits


def _sweep(rows: list[n.Row], samples: list[Any]) -> Iterator[tuple[tuple[Any, ...], list[n.Row]]]:
    """What `_exhaustive` finds for one ordered input, in O((rows + samples) log rows): each
    row's cell covers runs of the sorted samples (found by bisection), and a sweep along them
    keeps the rows covering the current sample in a heap, lowest row first."""
    starts: list[list[tuple[int, int]]] = [[] for _ in samples]
    for r, row in enumerate(rows):
        for lo, hi in sorted(set(_runs(row.cells[0], samples))):
            if lo < hi:
                starts[lo].append((r, hi))
    active: list[tuple[int, int]] = []  # (row, end of its run); runs that ended are dropped lazily
    for i, sample in enumerate(samples):
        for run in starts[i]:
            heapq.heappush(active, run)
        while active and active[0][1] <= i:
            heapq.heappop(active)
        if not active:
            yield (sample,), []
            continue
        first = heapq.heappop(active)
        while active and (active[0][1] <= i or active[0][0] == first[0]):
            heapq.heappop(active)
        hits = [rows[first[0]]] + ([rows[active[0][0]]] if active else [])
        heapq.heappush(active, first)
        yield (sample,), hits


def _runs(cell: n.Cell, samples: list[Any]) -> Iterator[tuple[int, int]]:
    """The index ranges [lo, hi) of the sorted samples `cell` matches (as `cell_test` decides)."""
    if isinstance(cell, n.CellAny):
        yield 0, len(samples)
    elif isinstance(cell, n.CellValues):
        for e in cell.values:
            v = constant(e)
            yield bisect.bisect_left(samples, v), bisect.bisect_right(samples, v)
    elif isinstance(cell, n.CellCompare):
        v = constant(cell.value)
        left, right, end = bisect.bisect_left(samples, v), bisect.bisect_right(samples, v), len(samples)
        yield from {
            "=": ((left, right),),
            "!=": ((0, left), (right, end)),
            "<": ((0, left),),
            "<=": ((0, right),),
            ">": ((right, end),),
            ">=": ((left, end),),
        }[cell.op]
    else:
        low, high = constant(cell.low), constant(cell.high)
        end = bisect.bisect_right(samples, high) if cell.closed else bisect.bisect_left(samples, high)
        yield bisect.bisect_left(samples, low), end


def _domain(typ: t.Type, cells: list[n.Cell]) -> list[Any] | None:
    """Sample points, one for each region of the input's domain the cells cannot tell apart."""
    typ = t.strip(typ)
    if isinstance(typ, t.Enum):
        return list(typ.members)
    if typ == t.BOOL:
        return [True, False]
    if not ordered(typ) or isinstance(typ, t.Unknown):
        return None if any(not isinstance(c, n.CellAny) for c in cells) else [ANY]
    points: set[Any] = set()
    for c in cells:
        for e in cell_exprs(c):
            value = constant(e)
            if value is None:
                return None
            points.add(value)
    if typ == t.DATE:
        samples: list[Any] = []
        for p in sorted(points):
            samples.append(p)
            for step in (-1, 1):
                with contextlib.suppress(OverflowError):  # 0001-01-01 and 9999-12-31 have no day beyond
                    samples.append(p + dt.timedelta(days=step))
        return sorted(set(samples)) or [ANY]  # in order, as the sweep needs and a person reads
    ordered_nums = sorted(Fraction(p) for p in points)
    if not ordered_nums:
        return [ANY]
    samples = [ordered_nums[0] - 1]
    for a, b in itertools.pairwise(ordered_nums):
        samples += [a, (a + b) / 2]
    samples += [ordered_nums[-1], ordered_nums[-1] + 1]
    if isinstance(typ, t.Num) and typ.integer:
        # an integer for each region the boundaries cut, the declared bounds included
        ints: set[int] = {b for b in (typ.low, typ.high) if b is not None}
        for s in samples:
            for cand in (int(s // 1), int(-(-s // 1))):
                if (typ.low is None or cand >= typ.low) and (typ.high is None or cand <= typ.high):
                    ints.add(cand)
        return sorted(ints)
    return samples


def _show(value: Any) -> str:
    if isinstance(value, Fraction):
        return t.show_number(value)
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
