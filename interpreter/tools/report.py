"""A diff as a negotiator reads it: text, JSON, Markdown, or one self-contained HTML page."""

from __future__ import annotations

import html
import json
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import attrs

from almen.interpreter.tools.classify import Classification
from almen.interpreter.tools.diff import Change
from almen.interpreter.tools.simulate import Impact


@attrs.frozen
class DiffReport:
    changes: list[Change]
    old: dict[str, str]
    new: dict[str, str]
    impact: tuple[Impact, Impact] | None = None
    verdicts: list[Classification] = attrs.Factory(list)


VERBS = {"added": "tilføjet", "removed": "fjernet", "changed": "ændret"}


def approx(value: Fraction) -> str:
    """A count rounded to one decimal for reading; the JSON keeps the exact value."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


def signed(value: Fraction) -> str:
    text = approx(value)
    return text if text.startswith("-") else "+" + text


def _examples(v: Classification) -> list[tuple[str, dict[str, Any]]]:
    """The counterexamples found: fact sets only one of the versions says yes to."""
    pairs = [("Kun ny version giver ja", v.more_permissive), ("Kun gammel version giver ja", v.less_permissive)]
    return [(label, facts) for label, facts in pairs if facts is not None]


def _title(old: dict[str, str], new: dict[str, str]) -> str:
    return f"{old['id']} {old['version']} → {new['id']} {new['version']}"


def _impact_rows(a: Impact, b: Impact) -> list[tuple[str, str, Fraction, Fraction]]:
    rows = []
    years = sorted(a.per_year.keys() | b.per_year.keys())
    for year in [*years, None]:
        ca = a.total if year is None else a.per_year.get(year, {})
        cb = b.total if year is None else b.per_year.get(year, {})
        for letting in sorted(ca.keys() | cb.keys()):
            label = "i alt" if year is None else str(year)
            rows.append((label, letting, ca.get(letting, Fraction(0)), cb.get(letting, Fraction(0))))
    return rows


def text(r: DiffReport) -> str:
    changes, old, new, impact, verdicts = r.changes, r.old, r.new, r.impact, r.verdicts
    lines = [f"diff {_title(old, new)}: {len(changes)} ændring{'er' if len(changes) != 1 else ''}"]
    for c in changes:
        where = f" · {c.part}" if c.part else ""
        lines.append(f"\n{VERBS[c.change]}: {c.kind} {c.name}{where}")
        if c.old is not None:
            lines.append(f"  før:  {c.old}")
        if c.new is not None:
            lines.append(f"  nu:   {c.new}")
        cites = {x for x in (c.old_citation, c.new_citation) if x}
        for cite in sorted(cites):
            lines.append(f"  kilde: {cite}")
        if c.decisions:
            lines.append(f"  kan ændre svar fra: {', '.join(c.decisions)}")
    for v in verdicts:
        lines.append(f"\n{v.decision}: {v.verdict} — søgt: {v.searched}")
        for label, facts in _examples(v):
            lines.append(f"  {label.lower()}: {json.dumps(facts, ensure_ascii=False, default=str)}")
    if impact is not None:
        lines.append("\nvirkning på boligmassen (forventede ledige boliger, afrundet; JSON har de eksakte tal):")
        for label, letting, x, y in _impact_rows(*impact):
            lines.append(f"  {label:>6}  {letting:<20} {approx(x):>10} → {approx(y):>10}  ({signed(y - x):>8})")
    return "\n".join(lines)


def as_json(r: DiffReport) -> str:
    changes, old, new, impact, verdicts = r.changes, r.old, r.new, r.impact, r.verdicts
    data: dict[str, Any] = {
        "old": old,
        "new": new,
        "equivalent": not changes,
        "changes": [c.to_dict() for c in changes],
        "classification": [v.to_dict() for v in verdicts],
    }
    if impact is not None:
        a, b = impact
        data["impact"] = {"old": a.to_dict(), "new": b.to_dict(), "delta": _delta(a, b)}
    return json.dumps(data, ensure_ascii=False, indent=2)


def _delta(a: Impact, b: Impact) -> dict[str, Any]:
    from almen.dsl.types import show_number

    def minus(x: dict[str, Fraction], y: dict[str, Fraction]) -> dict[str, str]:
        return {k: show_number(y.get(k, Fraction(0)) - x.get(k, Fraction(0))) for k in sorted(x.keys() | y.keys())}

    years = sorted(a.per_year.keys() | b.per_year.keys())
    return {
        "total": minus(a.total, b.total),
        "per_year": {str(y): minus(a.per_year.get(y, {}), b.per_year.get(y, {})) for y in years},
    }


def markdown(r: DiffReport) -> str:
    changes, old, new, impact, verdicts = r.changes, r.old, r.new, r.impact, r.verdicts
    out = [f"# Diff {_title(old, new)}", "", f"{len(changes)} ændringer.", ""]
    if changes:
        out += ["| ændring | element | del | før | nu | kilde | kan ændre |", "|---|---|---|---|---|---|---|"]
        for c in changes:
            cite = c.new_citation or c.old_citation or ""
            cells = [
                VERBS[c.change],
                f"{c.kind} `{c.name}`",
                c.part,
                c.old or "",
                c.new or "",
                cite,
                ", ".join(c.decisions),
            ]
            out.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    for v in verdicts:
        out += ["", f"**{v.decision}**: {v.verdict}. Søgt: {v.searched}."]
        for label, facts in _examples(v):
            out += ["", f"{label}:", "", "```json", json.dumps(facts, ensure_ascii=False, indent=1, default=str), "```"]
    if impact is not None:
        out += [
            "",
            "## Virkning på boligmassen",
            "",
            "| år | udlejningstype | før | nu | forskel |",
            "|---|---|---|---|---|",
        ]
        for label, letting, x, y in _impact_rows(*impact):
            out.append(f"| {label} | {letting} | {approx(x)} | {approx(y)} | {signed(y - x)} |")
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.5rem}table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #ccc;padding:.35rem .5rem;vertical-align:top;text-align:left}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
.added{background:#eaf7ea}.removed{background:#fbeaea}.changed{background:#fff8e1}
code{font-size:.9em}.cite{color:#555;font-size:.85em}
"""


def page(r: DiffReport) -> str:
    changes, old, new, impact, verdicts = r.changes, r.old, r.new, r.impact, r.verdicts
    esc = html.escape
    rows = []
    for c in changes:
        cite = "<br>".join(esc(x) for x in sorted({x for x in (c.old_citation, c.new_citation) if x}))
        rows.append(
            f'<tr class="{c.change}"><td>{VERBS[c.change]}</td><td>{esc(c.kind)} <code>{esc(c.name)}</code>'
            f"<br>{esc(c.part)}</td><td><code>{esc(c.old or '')}</code></td><td><code>{esc(c.new or '')}</code></td>"
            f'<td class="cite">{cite}</td><td>{esc(", ".join(c.decisions))}</td></tr>'
        )
    body = [
        f"<h1>{esc(_title(old, new))}</h1>",
        f"<p>{len(changes)} ændringer. Elementer sammenlignes ved deres navne; layout, kommentarer og "
        "rækkefølge tæller ikke.</p>",
    ]
    if rows:
        body.append(
            "<table><tr><th>ændring</th><th>element</th><th>før</th><th>nu</th><th>kilde</th>"
            "<th>kan ændre svar fra</th></tr>" + "".join(rows) + "</table>"
        )
    for v in verdicts:
        body.append(f"<h2>{esc(v.decision)}: {esc(v.verdict)}</h2><p>Søgt: {esc(v.searched)}</p>")
        for label, facts in _examples(v):
            shown = esc(json.dumps(facts, ensure_ascii=False, indent=1, default=str))
            body.append(f"<details><summary>{label}</summary><pre>{shown}</pre></details>")
    if impact is not None:
        body.append("<h2>Virkning på boligmassen</h2><p>Forventede ledige boliger, afrundet til én decimal.</p>")
        cells = "".join(
            f"<tr><td>{esc(label)}</td><td>{esc(letting)}</td><td class=num>{approx(x)}</td>"
            f"<td class=num>{approx(y)}</td><td class=num>{signed(y - x)}</td></tr>"
            for label, letting, x, y in _impact_rows(*impact)
        )
        body.append("<table><tr><th>år</th><th>udlejningstype</th><th>før</th><th>nu</th><th>forskel</th></tr>")
        body.append(cells + "</table>")
    return (
        '<!doctype html><html lang="da"><head><meta charset="utf-8">'
        f"<title>{esc(_title(old, new))}</title><style>{_CSS}</style></head><body>" + "".join(body) + "</body></html>\n"
    )


RENDERERS = {"text": text, "json": as_json, "markdown": markdown, "html": page}
