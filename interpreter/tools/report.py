"""A diff as a negotiator reads it: text, JSON, Markdown, or one self-contained HTML page.

Every report reads in the same order, in Danish: the summary (per element, before → after,
with the wheels drawn before and after), the impact on a housing stock, the search for
households the versions treat differently (shrunk counterexamples, said in words), and last
the full list of structural changes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import json
import re
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import attrs

from almen.interpreter.tools.answers import Answers, Changed
from almen.interpreter.tools.classify import Classification
from almen.interpreter.tools.diff import Change
from almen.interpreter.tools.shrink import Counterexample
from almen.interpreter.tools.simulate import Impact
from almen.interpreter.tools.summary import Entry, Figure, citation_lines, text_lines
from almen.interpreter.tools.words import date_words, dates_in, number_words

Valid = tuple[dt.date | None, dt.date | None]


@attrs.frozen
class DiffReport:
    changes: list[Change]
    old: dict[str, str]
    new: dict[str, str]
    impact: tuple[Impact, Impact] | None = None
    verdicts: list[Classification] = attrs.Factory(list)
    summary: list[Entry] = attrs.Factory(list)
    pictures: dict[Figure, tuple[str | None, str | None]] = attrs.Factory(dict)  # SVG before, after
    examples: list[Counterexample] = attrs.Factory(list)
    valid: tuple[Valid, Valid] = ((None, None), (None, None))  # the old and new version's validity
    answers: Answers | None = None  # the example fact sets under both versions


VERBS = {"added": "tilføjet", "removed": "fjernet", "changed": "ændret"}

VERDICTS = {
    "equivalent on the searched space": "samme svar på alle de afprøvede husstande",
    "more permissive": "mere lempelig: den nye version giver ja til flere",
    "less permissive": "strengere: den nye version giver ja til færre",
    "incomparable": "hverken strengere eller mere lempelig: hver version giver ja, hvor den anden siger nej",
}


def approx(value: Fraction) -> str:
    """A count rounded to one decimal for reading; the JSON keeps the exact value."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


def amount(value: Fraction) -> str:
    """A count rounded to one decimal, written the Danish way (52,3)."""
    return number_words(Fraction(Decimal(approx(value))), 1)


def signed(value: Fraction) -> str:
    text = amount(value)
    return text if text.startswith("-") else "+" + text


def _title(old: dict[str, str], new: dict[str, str]) -> str:
    return f"{old['id']} {old['version']} → {new['id']} {new['version']}"


def _version(stamp: dict[str, str]) -> str:
    return stamp["version"]


# ---------------------------------------------------------------- the search, in Danish


def searched(v: Classification) -> str:
    """What the search tried, in Danish (the classifier words it for the JSON, in English)."""
    per_day = re.findall(r"(\d+) on (\d{4}-\d{2}-\d{2})", v.searched)
    around = re.search(r"around (\d+) example", v.searched)
    days = ", ".join(f"{number_words(Fraction(int(k)))} pr. {dates_in(d)}" for k, d in per_day)
    text = f"{number_words(Fraction(v.tried))} sæt fakta med et afgjort svar efter begge versioner"
    if days:
        text += f" ({days})"
    if around:
        text += f", omkring {around[1]} eksempler fra de gyldne scenarier"
    return (
        text + "; hvert felt, reglerne læser, er varieret ét ad gangen over de tal, begge versioner skriver "
        "(±1 eller ±0,01), valgmulighederne og sand/falsk"
    )


def _value_words(value: Any) -> str:
    if value is True:
        return "ja"
    if value is False:
        return "nej"
    if value is None:
        return "intet"
    if isinstance(value, list):
        return "ingen" if not value else ", ".join(_value_words(x) for x in value)
    if isinstance(value, dict):
        return "(intet oplyst)"
    text = str(value)
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return number_words(Fraction(text), 2 if "." in text else None)
    return dates_in(text)


def household(facts: Any) -> str:
    """Shrunk facts in words, nested as the facts are: 'husstand: ansøger (alder 21, …), partner intet'."""
    if not isinstance(facts, dict):
        return _value_words(facts)
    parts = []
    for key, value in facts.items():
        name = key.replace("_", " ")
        if isinstance(value, dict) and value:
            parts.append(f"{name} ({household(value)})")
        else:
            parts.append(f"{name} {_value_words(value)}")
    return ", ".join(parts)


def example_sentence(c: Counterexample, r: DiffReport) -> str:
    facts = "; ".join(f"{k.replace('_', ' ')}: {household(v)}" for k, v in c.facts.items()) or "ingen oplysninger"
    yes, no = (_version(r.old), _version(r.new)) if c.old_answer else (_version(r.new), _version(r.old))
    when = f"beslutningsdato {date_words(c.day)}"
    for stamp, (low, high) in ((r.old, r.valid[0]), (r.new, r.valid[1])):
        nearest = low if low is not None and c.day < low else high if high is not None and c.day > high else None
        if nearest is not None:
            when += f"; {_version(stamp)} efter sine regler pr. {date_words(nearest)}"
    return f"Med {facts} er svaret på «{c.decision}» ja efter {yes}, men nej efter {no} ({when})."


def _examples_of(r: DiffReport, v: Classification) -> list[Counterexample]:
    return [c for c in r.examples if c.decision == v.decision]


def _example_json(c: Counterexample, indent: int | None = 1) -> str:
    return json.dumps(c.facts, ensure_ascii=False, indent=indent, default=str)


# ---------------------------------------------------------------- answers that change


def answer_words(text: str) -> str:
    """An answer's JSON in words: {"fleksibel": "4/9", …} → fleksibel 4/9, …"""
    try:
        return _words_of(json.loads(text))
    except ValueError:
        return text


def _words_of(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_words_of(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_words_of(v) for v in value) + "]"
    if isinstance(value, str) and re.fullmatch(r"[a-zæøå]+(_[a-zæøå]+)+", value):
        return value.replace("_", " ")  # a choice: kommunal_anvisning
    return _value_words(value)


def _answer_side(text: str, day: str, date: str) -> str:
    words = answer_words(text)
    return words if day == date else f"{words} (efter reglerne pr. {dates_in(day)})"


def answers_intro(a: Answers) -> str:
    text = (
        f"{a.asked} eksempler (de gyldne scenarier) er besvaret efter begge versioner; "
        f"{len(a.changed)} får et andet svar."
    )
    if a.one_sided:
        text += f" {a.one_sided} gælder en beslutning, som kun den ene version har."
    return text + " En dato uden for en versions gyldighed besvares efter dens regler på nærmeste dag."


def _answer_row(c: Changed) -> tuple[str, str, str, str, str]:
    return (
        c.decision,
        f"{c.name} ({c.file})",
        dates_in(c.date),
        _answer_side(c.old, c.old_date, c.date),
        _answer_side(c.new, c.new_date, c.date),
    )


# ---------------------------------------------------------------- the impact


def _impact_rows(a: Impact, b: Impact) -> list[tuple[str, str, Fraction, Fraction]]:
    rows = []
    years = sorted(a.per_year.keys() | b.per_year.keys())
    for year in [*years, None]:
        ca = a.total if year is None else a.per_year.get(year, {})
        cb = b.total if year is None else b.per_year.get(year, {})
        for letting in sorted(ca.keys() | cb.keys()):
            label = "i alt" if year is None else _year_label(year, b)
            rows.append((label, letting.replace("_", " "), ca.get(letting, Fraction(0)), cb.get(letting, Fraction(0))))
    return rows


def _year_label(year: int, impact: Impact) -> str:
    """A year, with the part of it counted when the period covers only part of it."""
    first = max(impact.start, dt.date(year, 1, 1))
    last = min(impact.end, dt.date(year, 12, 31))
    if (first, last) == (dt.date(year, 1, 1), dt.date(year, 12, 31)):
        return str(year)
    return f"{year} ({first.day}/{first.month}–{last.day}/{last.month})"


def impact_notes(r: DiffReport) -> list[str]:
    """In Danish: the period simulated, and where a version is applied past its validity."""
    if r.impact is None:
        return []
    b = r.impact[1]
    notes = [
        f"Forventede ledige boliger fra {date_words(b.start)} til {date_words(b.end)}, afrundet til én decimal; "
        "JSON-udgaven har de eksakte brøker."
    ]
    for stamp, (low, high) in ((r.old, r.valid[0]), (r.new, r.valid[1])):
        if low is not None and high is not None and (b.start < low or b.end > high):
            notes.append(
                f"{_version(stamp)} gælder {date_words(low)} – {date_words(high)}; uden for det er dens regler "
                "brugt, som de står på dens første eller sidste dag."
            )
    return notes


# ---------------------------------------------------------------- text


def text(r: DiffReport) -> str:
    n = len(r.changes)
    lines = [f"diff {_title(r.old, r.new)}: {n} ændring{'er' if n != 1 else ''}", ""]
    if r.summary:
        lines += ["SAMMENFATNING", ""] + text_lines(r.summary)
    if r.impact is not None:
        lines += ["VIRKNING PÅ BOLIGMASSEN", *impact_notes(r)]
        for label, letting, x, y in _impact_rows(*r.impact):
            lines.append(f"  {label:>14}  {letting:<22} {amount(x):>10} → {amount(y):>10}  ({signed(y - x):>8})")
        lines.append("")
    if r.answers is not None:
        lines += ["SVAR, DER ÆNDRES", answers_intro(r.answers)]
        for decision, name, date, before, after in map(_answer_row, r.answers.changed):
            lines += [f"  {decision} · {name}, {date}:", f"    før: {before}", f"    nu:  {after}"]
        lines.append("")
    if r.verdicts:
        lines += ["HUSSTANDE, DER FÅR ET ANDET SVAR", ""]
    for v in r.verdicts:
        lines.append(f"{v.decision}: {VERDICTS.get(v.verdict, v.verdict)}.")
        lines.append(f"  Søgt: {searched(v)}.")
        for ex in _examples_of(r, v):
            lines.append(f"  {example_sentence(ex, r)}")
            lines.append(f"  (fakta: {_example_json(ex, None)})")
        lines.append("")
    if r.changes:
        lines += [f"ALLE ÆNDRINGER ({n})"]
    for c in r.changes:
        where = f" · {c.part}" if c.part else ""
        lines.append(f"\n{VERBS[c.change]}: {c.kind} {c.name}{where}")
        if c.old is not None:
            lines.append(f"  før:  {c.old}")
        if c.new is not None:
            lines.append(f"  nu:   {c.new}")
        lines += _change_citations(c, "  ")
        if c.decisions:
            lines.append(f"  kan ændre svar fra: {', '.join(c.decisions)}")
    return "\n".join(lines).rstrip()


def _change_citations(c: Change, indent: str) -> list[str]:
    if c.old_citation == c.new_citation:
        return [f"{indent}kilde: {c.new_citation}"] if c.new_citation else []
    out = [f"{indent}kilde før: {c.old_citation}"] if c.old_citation else []
    return out + ([f"{indent}kilde nu: {c.new_citation}"] if c.new_citation else [])


# ---------------------------------------------------------------- JSON


def as_json(r: DiffReport) -> str:
    data: dict[str, Any] = {
        "old": r.old,
        "new": r.new,
        "equivalent": not r.changes,
        "summary": [e.to_dict() for e in r.summary],
        "changes": [c.to_dict() for c in r.changes],
        "classification": [v.to_dict() for v in r.verdicts],
        "counterexamples": [c.to_dict() for c in r.examples],
        "answers": r.answers.to_dict() if r.answers is not None else None,
    }
    if r.impact is not None:
        a, b = r.impact
        data["impact"] = {"old": a.to_dict(), "new": b.to_dict(), "delta": _delta(a, b), "notes": impact_notes(r)}
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def _delta(a: Impact, b: Impact) -> dict[str, Any]:
    from almen.dsl.types import show_number

    def minus(x: dict[str, Fraction], y: dict[str, Fraction]) -> dict[str, str]:
        return {k: show_number(y.get(k, Fraction(0)) - x.get(k, Fraction(0))) for k in sorted(x.keys() | y.keys())}

    years = sorted(a.per_year.keys() | b.per_year.keys())
    return {
        "total": minus(a.total, b.total),
        "per_year": {str(y): minus(a.per_year.get(y, {}), b.per_year.get(y, {})) for y in years},
    }


# ---------------------------------------------------------------- Markdown


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_").replace("<", "&lt;")


def markdown(r: DiffReport) -> str:
    out = [f"# Ændringer {_md(_title(r.old, r.new))}", "", f"{len(r.changes)} ændringer.", ""]
    if r.summary:
        out += ["## Sammenfatning", ""]
    for e in r.summary:
        out += [f"### {_md(e.heading)}", ""]
        for line in e.lines:
            depth = (len(line) - len(line.lstrip(" "))) // 2
            out.append("    " * depth + f"- {_md(line.strip())}")
        out.append("")
        for f in e.figures:
            out += [_figures_html(r, f), ""]
        out += [f"*{_md(x)}*  " for x in citation_lines(e)]
        if e.decisions:
            out.append(f"Kan ændre svar fra: {_md(', '.join(e.decisions))}.")
        out.append("")
    if r.impact is not None:
        out += ["## Virkning på boligmassen", "", *(_md(x) for x in impact_notes(r)), ""]
        out += ["| år | udlejningstype | før | nu | forskel |", "|---|---|---:|---:|---:|"]
        for label, letting, x, y in _impact_rows(*r.impact):
            out.append(f"| {label} | {_md(letting)} | {amount(x)} | {amount(y)} | {signed(y - x)} |")
        out.append("")
    if r.answers is not None:
        out += ["## Svar, der ændres", "", _md(answers_intro(r.answers)), ""]
        if r.answers.changed:
            out += ["| beslutning | scenarie | dato | før | nu |", "|---|---|---|---|---|"]
            out += ["| " + " | ".join(_md(x) for x in _answer_row(c)) + " |" for c in r.answers.changed]
            out.append("")
    if r.verdicts:
        out += ["## Husstande, der får et andet svar", ""]
    for v in r.verdicts:
        out += [f"**{_md(v.decision)}**: {_md(VERDICTS.get(v.verdict, v.verdict))}. Søgt: {_md(searched(v))}.", ""]
        for ex in _examples_of(r, v):
            out += [_md(example_sentence(ex, r)), ""]
            out += ["<details><summary>Fakta som JSON</summary>", "", "```json", _example_json(ex), "```", "</details>"]
            out.append("")
    if r.changes:
        out += [f"## Alle ændringer ({len(r.changes)})", ""]
        out += ["| ændring | element | del | før | nu | kilde |", "|---|---|---|---|---|---|"]
        for c in r.changes:
            cite = "; ".join(_change_citations(c, ""))
            cells = [VERBS[c.change], c.part, c.old or "", c.new or "", cite]
            element = f"{_md(c.kind)} `{c.name}`"  # a name as it is written in the policy
            out.append(f"| {_md(cells[0])} | {element} | " + " | ".join(_md(x) for x in cells[1:]) + " |")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- HTML


_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;max-width:76rem;margin:1.5rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:2px solid #ddd}h3{font-size:1.05rem}
table{border-collapse:collapse;width:100%;margin:1rem 0;table-layout:fixed}
th,td{border:1px solid #ccc;padding:.35rem .5rem;vertical-align:top;text-align:left;overflow-wrap:anywhere}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
.added{background:#eaf7ea}.removed{background:#fbeaea}.changed{background:#fff8e1}
ins{background:#c8f0c8;text-decoration:none}del{background:#f6c6c6}
.entry{border-left:4px solid #0072B2;padding:.2rem 1rem;margin:1rem 0;break-inside:avoid-page}
.entry ul{margin:.3rem 0;padding-left:1.2rem}.cite{color:#555;font-size:.88em}
.figures{display:flex;flex-wrap:wrap;gap:1rem}.figures figure{margin:0;flex:1 1 30rem;max-width:100%}
.figures figcaption{font-weight:bold}svg.almen-hjulbillede{max-width:100%;height:auto}
.example{background:#f5f7fb;padding:.5rem 1rem;border-radius:4px}
details pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85em}
@media print{
 body{max-width:none;margin:0;font-size:10pt}
 h2{break-after:avoid}.entry,figure,tr{break-inside:avoid}
 details>*{display:block}details summary{display:none}
 .added,.removed,.changed,ins,del{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 a{color:inherit;text-decoration:none}
}
"""


def changed_words(before: str, after: str) -> tuple[str, str]:
    """Both texts escaped, with the words that differ marked (<del> in the old, <ins> in the new)."""
    a, b = re.findall(r"\s*\S+\s*", before), re.findall(r"\s*\S+\s*", after)
    old, new = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        x, y = html.escape("".join(a[i1:i2])), html.escape("".join(b[j1:j2]))
        if op == "equal":
            old.append(x)
            new.append(y)
            continue
        if x:
            old.append(f"<del>{x}</del>")
        if y:
            new.append(f"<ins>{y}</ins>")
    return "".join(old), "".join(new)


def _figures_html(r: DiffReport, f: Figure) -> str:
    """A wheel period before and after, side by side (one line: it may stand in Markdown too)."""
    before, after = r.pictures.get(f, (None, None))
    cells = []
    for word, svg, label in (("før", before, f.old_period), ("nu", after, f.new_period)):
        if svg is None:
            continue
        caption = html.escape(f"{word}: {f.wheel}, periode {label}")
        cells.append(f"<figure><figcaption>{caption}</figcaption>{svg}</figure>")
    return f'<div class="figures">{"".join(cells)}</div>' if cells else ""


def page(r: DiffReport) -> str:
    esc = html.escape
    body = [
        f"<h1>{esc(_title(r.old, r.new))}</h1>",
        f"<p>{len(r.changes)} ændringer. Elementer sammenlignes ved deres navne; layout, kommentarer og "
        "rækkefølge tæller ikke. Sammenfatningen står i aftalens rækkefølge; alle ændringer står til sidst.</p>",
        *_summary_html(r),
        *_impact_html(r),
        *_answers_html(r),
        *_verdicts_html(r),
        *_changes_html(r),
    ]
    return (
        '<!doctype html><html lang="da"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(_title(r.old, r.new))}</title><style>{_CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )


def _summary_html(r: DiffReport) -> list[str]:
    esc = html.escape
    body = ["<h2>Sammenfatning</h2>"] if r.summary else []
    for e in r.summary:
        body.append(f'<section class="entry"><h3>{esc(e.heading)}</h3>{_lines_html(e.lines)}')
        body += [_figures_html(r, f) for f in e.figures]
        cites = "<br>".join(esc(x) for x in citation_lines(e))
        if cites:
            body.append(f'<p class="cite">{cites}</p>')
        if e.decisions:
            body.append(f'<p class="cite">Kan ændre svar fra: {esc(", ".join(e.decisions))}</p>')
        body.append("</section>")
    return body


def _impact_html(r: DiffReport) -> list[str]:
    if r.impact is None:
        return []
    esc = html.escape
    cells = "".join(
        f"<tr><td>{esc(label)}</td><td>{esc(letting)}</td><td class=num>{amount(x)}</td>"
        f"<td class=num>{amount(y)}</td><td class=num>{signed(y - x)}</td></tr>"
        for label, letting, x, y in _impact_rows(*r.impact)
    )
    return [
        "<h2>Virkning på boligmassen</h2>" + "".join(f"<p>{esc(x)}</p>" for x in impact_notes(r)),
        "<table><tr><th>år</th><th>udlejningstype</th><th>før</th><th>nu</th><th>forskel</th></tr>",
        cells + "</table>",
    ]


def _answers_html(r: DiffReport) -> list[str]:
    if r.answers is None:
        return []
    esc = html.escape
    body = [f"<h2>Svar, der ændres</h2><p>{esc(answers_intro(r.answers))}</p>"]
    if r.answers.changed:
        rows = "".join(
            "<tr>" + "".join(f"<td>{esc(x)}</td>" for x in _answer_row(c)) + "</tr>" for c in r.answers.changed
        )
        body.append(
            '<table><colgroup><col style="width:12%"><col style="width:28%"><col style="width:12%">'
            '<col style="width:24%"><col style="width:24%"></colgroup><tr><th>beslutning</th><th>scenarie</th>'
            f"<th>dato</th><th>før</th><th>nu</th></tr>{rows}</table>"
        )
    return body


def _verdicts_html(r: DiffReport) -> list[str]:
    esc = html.escape
    body = ["<h2>Husstande, der får et andet svar</h2>"] if r.verdicts else []
    for v in r.verdicts:
        body.append(f"<h3>{esc(v.decision)}: {esc(VERDICTS.get(v.verdict, v.verdict))}</h3>")
        body.append(f"<p>Søgt: {esc(searched(v))}.</p>")
        for ex in _examples_of(r, v):
            body.append(f'<div class="example"><p>{esc(example_sentence(ex, r))}</p>')
            facts = esc(_example_json(ex))
            body.append(f"<details><summary>Fakta som JSON</summary><pre>{facts}</pre></details></div>")
    return body


def _changes_html(r: DiffReport) -> list[str]:
    if not r.changes:
        return []
    esc = html.escape
    rows = []
    for c in r.changes:
        old, new = changed_words(c.old or "", c.new or "")
        cite = "<br>".join(esc(x) for x in _change_citations(c, ""))
        rows.append(
            f'<tr class="{c.change}"><td>{VERBS[c.change]}: {esc(c.kind)} <b>{esc(c.name)}</b>'
            f"<br>{esc(c.part)}</td><td>{old}</td><td>{new}</td><td class=cite>{cite}</td></tr>"
        )
    return [
        f"<h2>Alle ændringer ({len(r.changes)})</h2>",
        '<table><colgroup><col style="width:18%"><col style="width:31%"><col style="width:31%">'
        '<col style="width:20%"></colgroup><tr><th>ændring</th><th>før</th><th>nu</th><th>kilde</th></tr>'
        + "".join(rows)
        + "</table>",
    ]


_BEFORE_AFTER = re.compile(r"^(?P<head>[^«]*?: )«(?P<old>.*)» → «(?P<new>.*)»$")


def _line_html(line: str) -> str:
    """A summary line, escaped; in a «before» → «after» line the words that changed are marked."""
    m = _BEFORE_AFTER.match(line)
    if m is None or "» → «" in m["old"]:
        return html.escape(line)
    old, new = changed_words(m["old"], m["new"])
    return f"{html.escape(m['head'])}«{old}» → «{new}»"


def _lines_html(lines: tuple[str, ...]) -> str:
    """An entry's lines as nested lists: a line ending in ':' heads the indented lines after it."""
    out, depth = ["<ul>"], 0
    for line in lines:
        level = (len(line) - len(line.lstrip(" "))) // 2
        while depth < level:
            out.append("<ul>")
            depth += 1
        while depth > level:
            out.append("</ul>")
            depth -= 1
        out.append(f"<li>{_line_html(line.strip())}</li>")
    out += ["</ul>"] * (depth + 1)
    return "".join(out)


RENDERERS = {"text": text, "json": as_json, "markdown": markdown, "html": page}
