"""Decision tables and schedules as Markdown tables, and tables that give dates as timelines."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.formatter import cells_text, expr_text
from almen.dsl.semantics import constant
from almen.interpreter.tools.render.markup import cell, code, md, pretty_op
from almen.interpreter.tools.render.site import Site


class Tables:
    def __init__(self, site: Site):
        self.site = site

    def table(self, tb: n.Table, page: str, anc: str) -> list[str]:
        lines: list[str] = []
        out_type = self.site.model.value_types.get(tb.name)
        is_date = out_type is not None and t.strip(out_type) == t.DATE
        if tb.schedule:
            lines += [
                f"Skema efter {code(expr_text(tb.inputs[0]))}: præcis én række gælder for hver værdi. "
                "`almen check` afviser skemaet, hvis en værdi ikke er dækket, eller hvis to rækker overlapper.",
                "",
            ]
        elif tb.hit == "unik":
            lines += [
                "Hit-politik **unik**: præcis én række gælder. `almen check` afviser tabellen, hvis en "
                "kombination af input ikke er dækket, eller hvis to rækker overlapper.",
                "",
            ]
        else:
            lines += [
                "Hit-politik **første**: den første række, der passer, gælder. `almen check` afviser tabellen, "
                "hvis en kombination af input ikke er dækket.",
                "",
            ]
        heads = [md(expr_text(e)) for e in tb.inputs]
        result = "værdi" if tb.schedule else "udfald"
        lines.append("| række | " + " | ".join(cell(h) for h in heads) + f" | {result} |")
        lines.append("|---:|" + "---|" * len(heads) + "---|")
        for i, row in enumerate(tb.rows, start=1):
            cells = [cell(_cell_text(c)) for c in row.cells]
            lines.append(f"| {i} | " + " | ".join(cells) + f" | {cell(_constant_text(row.output))} |")
        lines.append("")
        for i, row in enumerate(tb.rows, start=1):
            for note in row.notes:
                label = f"{tb.kind} {tb.name}, række {i}"
                lines += self.site.note(note, page, anc, label, f"Fortolkning (række {i})")
        if is_date:
            lines += timeline(tb)
        return lines


def timeline(tb: n.Table) -> list[str]:
    """The rows of a table that gives dates, in date order."""
    rows = sorted(enumerate(tb.rows, start=1), key=lambda pair: (_sort_date(pair[1].output), pair[0]))
    lines = ["**Tidslinje:**", ""]
    for i, row in rows:
        when = [
            f"{md(expr_text(e))} {_condition_text(c)}"
            for e, c in zip(tb.inputs, row.cells, strict=False)
            if not isinstance(c, n.CellAny)
        ]
        condition = " og ".join(when) if when else "ellers"
        lines.append(f"- **{md(_constant_text(row.output))}** — {condition} (række {i})")
    return [*lines, ""]


def _cell_text(c: n.Cell) -> str:
    if isinstance(c, n.CellAny):
        return "(enhver)"
    if isinstance(c, n.CellValues):
        return " eller ".join(_constant_text(v) for v in c.values)
    if isinstance(c, n.CellCompare):
        return f"{pretty_op(c.op)} {_constant_text(c.value)}"
    if isinstance(c, n.CellRange):
        upper = "til og med" if c.closed else "til under"
        return f"{_constant_text(c.low)} {upper} {_constant_text(c.high)}"
    return md(cells_text((c,)))


def _condition_text(c: n.Cell) -> str:
    if isinstance(c, n.CellValues):
        return "= " + " eller ".join(_constant_text(v) for v in c.values)
    if isinstance(c, n.CellRange):
        upper = "til og med" if c.closed else "til under"
        return f"fra {_constant_text(c.low)} {upper} {_constant_text(c.high)}"
    return _cell_text(c)


def _constant_text(e: Any) -> str:
    if isinstance(e, n.Literal) and e.kind == "string":
        return md(e.value)
    if isinstance(e, n.Binary) and e.op == "/" and isinstance(constant(e), Fraction):
        return md(f"{expr_text(e.left)}/{expr_text(e.right)}")
    return md(expr_text(e))


def _sort_date(e: Any) -> dt.date:
    value = constant(e)
    return value if isinstance(value, dt.date) else dt.date.max
