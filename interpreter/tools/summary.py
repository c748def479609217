"""A revision in plain Danish, as a negotiator reads it: one entry per affected element, in the
order of the agreement's sections, each change stated before → after in the agreement's terms.

The summary is built from the diff's changes (`almen.interpreter.tools.diff`) and the two
checked models: a wheel's changed slots are said in words and each letting type's share per
period is given before → after with its difference (the shares are `wheel_view.period_shares`,
whose weight of a slot is the interpreter's own); a parameter's dated values are given with
the value they replace; a table's rows by their cells. Related edits are grouped: the same end
date moved in the header and in several wheel periods is one change, its consequences listed
under it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import attrs

from almen.dsl import nodes as n
from almen.dsl.check import Model
from almen.interpreter.tools.diff import Change, leaf_text
from almen.interpreter.tools.wheel_svg import period_svg
from almen.interpreter.tools.wheel_view import denominator, letting_label, period_shares, slot_text
from almen.interpreter.tools.words import dates_in, literal_delta, share_words, signed_share, value_words


@attrs.frozen
class Figure:
    """A wheel period to draw before and after (either side None where it does not exist)."""

    wheel: str
    old_period: str | None
    new_period: str | None


@attrs.frozen
class Entry:
    heading: str
    lines: tuple[str, ...]
    old_citation: str | None = None
    new_citation: str | None = None
    decisions: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    order: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self)
        del d["order"]
        return d


KIND_WORDS = {
    "hjul": "Udlejningshjul",
    "parameter": "Parameter",
    "tabel": "Beslutningstabel",
    "skema": "Skema",
    "regel": "Regel",
    "undtagelse": "Undtagelse",
    "beslutning": "Beslutning",
    "definition": "Definition",
    "fakta": "Fakta",
    "post": "Post",
    "valg": "Valgmuligheder",
    "mål": "Mål",
}


def summarise(old: Model, new: Model, changes: list[Change]) -> list[Entry]:
    """The summary of a revision: the grouped date moves first, then every element in section order."""
    by_element: dict[tuple[str, str], list[Change]] = {}
    for c in changes:
        by_element.setdefault((c.kind, c.name), []).append(c)
    moves, taken = _date_moves(old, new, changes)
    entries = list(moves)
    for (kind, name), group in by_element.items():
        rest = [c for c in group if id(c) not in taken]
        if not rest:
            continue
        if kind == "politik":
            entries.append(_header(rest))
        elif kind == "hjul":
            entries.append(_wheel(old, new, name, rest))
        elif kind == "parameter":
            entries.append(_parameter(old, new, name, rest))
        elif kind in ("tabel", "skema"):
            entries.append(_table(old, new, name, rest))
        else:
            entries.append(_element(old, new, kind, name, rest))
    return sorted(entries, key=lambda e: e.order)


# ---------------------------------------------------------------- ordering


_SECTION = re.compile(r"§\s*(\d+(?:\.\d+)*)")
_ANNEX = re.compile(r"Bilag\s+(\d+)")


def section_order(citation: str | None) -> tuple[int, ...]:
    """The place of a citation in the agreement: § 6.2.2 → (1, 6, 2, 2); an annex after every
    section; no citation last."""
    if not citation:
        return (9,)
    m = _SECTION.search(citation)
    if m:
        return (1, *(int(x) for x in m[1].split(".")))
    m = _ANNEX.search(citation)
    if m:
        return (2, int(m[1]))
    return (8,)


def _citations(group: list[Change]) -> tuple[str | None, str | None]:
    return group[0].old_citation, group[0].new_citation


def _decisions(group: Iterable[Change]) -> tuple[str, ...]:
    return tuple(sorted({d for c in group for d in c.decisions}))


def _entry(heading: str, lines: list[str], group: list[Change], **more: Any) -> Entry:
    old_cite, new_cite = _citations(group)
    order = more.pop("order", None) or section_order(new_cite or old_cite)
    return Entry(heading, tuple(lines), old_cite, new_cite, _decisions(group), order=order, **more)


# ---------------------------------------------------------------- one end date moved


_PERIOD_DATES = re.compile(r"^(?:(?P<label>.+): )?(?P<start>\d{4}-\d{2}-\d{2}) – (?P<end>\d{4}-\d{2}-\d{2})$")


def _date_moves(old: Model, new: Model, changes: list[Change]) -> tuple[list[Entry], set[int]]:
    """Changes that move the same end date (the header's validity, wheel periods' ends), grouped:
    one entry per move that happens in more than one place."""
    moves: dict[tuple[str, str], list[tuple[Change, str]]] = {}
    for c in changes:
        if c.change != "changed" or c.old is None or c.new is None:
            continue
        if c.kind == "politik" and c.part == "gyldig til":
            moves.setdefault((c.old, c.new), []).append((c, "aftalens gyldighed"))
            continue
        a, b = _PERIOD_DATES.match(c.old), _PERIOD_DATES.match(c.new)
        if c.kind != "hjul" or a is None or b is None or a["label"] or a["start"] != b["start"]:
            continue
        wheel = new.wheels.get(c.name)
        title = f" ({wheel.meta.title})" if wheel is not None and wheel.meta.title else ""
        where = f"hjul {c.name}{title}, {c.part} (fra {dates_in(a['start'])})"
        moves.setdefault((a["end"], b["end"]), []).append((c, where))
    entries, taken = [], set()
    for (before, after), found in moves.items():
        if len(found) < 2:
            continue
        taken |= {id(c) for c, _ in found}
        lines = [f"{where}: til {dates_in(before)} → til {dates_in(after)}" for _, where in found]
        lines.append("Andelene i de forlængede perioder er uændrede; de gælder blot længere.")
        heading = f"Slutdatoen flyttes fra {dates_in(before)} til {dates_in(after)} ({len(found)} steder)"
        group = [c for c, _ in found]
        entries.append(Entry(heading, tuple(lines), decisions=_decisions(group), order=(0, 1)))
    return entries, taken


# ---------------------------------------------------------------- the parts every element has


def _notes_lines(c: Change, where: str = "") -> list[str]:
    """Interpretation notes added and removed, each once (the diff joins an element's notes)."""
    before = [x for x in (c.old or "").split(" | ") if x]
    after = [x for x in (c.new or "").split(" | ") if x]
    prefix = f"{where}: " if where else ""
    lines = [f"{prefix}ny fortolkning: «{x}»" for x in after if x not in before]
    lines += [f"{prefix}fortolkningen udgår: «{x}»" for x in before if x not in after]
    return lines


def _generic(c: Change, label: str | None = None) -> list[str]:
    """One part of an element before → after; notes and citations said as what they are."""
    part = label if label is not None else c.part
    tail = part.rsplit(", ", 1)[-1]
    head = part.rsplit(", ", 1)[0] if ", " in part else ""
    if tail == "fortolkning":
        return _notes_lines(c, head)
    if part == "kilde":
        return []  # the entry's citations are shown before and after, labelled
    word = part or "elementet"
    if c.change == "added":
        return [f"{word}: nu {_words(c.new)} (ny)"]
    if c.change == "removed":
        return [f"{word}: før {_words(c.old)}, udgår"]
    return [f"{word}: {_words(c.old)} → {_words(c.new)}"]


def _words(text: str | None) -> str:
    return f"«{dates_in(text)}»" if text else "–"


# ---------------------------------------------------------------- the agreement's header


def _header(group: list[Change]) -> Entry:
    lines: list[str] = []
    for c in group:
        lines += _generic(c)
    return _entry("Aftalens hoved", lines, group, order=(0, 0))


# ---------------------------------------------------------------- wheels


def _period_pairs(old: n.Wheel | None, new: n.Wheel | None, group: list[Change]) -> list[tuple[str | None, str | None]]:
    """The periods the changes touch, as (old label, new label): the diff's own pairing, read
    from its part labels ('periode 2019-2023 → 2024-2027')."""
    old_labels = {p.label for p in old.periods} if old is not None else set()
    new_labels = {p.label for p in new.periods} if new is not None else set()
    pairs: list[tuple[str | None, str | None]] = []
    for c in group:
        head = c.part.split(", ")[0]
        if not head.startswith("periode "):
            if c.part == "" and c.change in ("added", "removed"):  # the whole wheel
                labels = new_labels if c.change == "added" else old_labels
                for label in sorted(labels):
                    pair: tuple[str | None, str | None] = (None, label) if c.change == "added" else (label, None)
                    if pair not in pairs:
                        pairs.append(pair)
            continue
        label = head.removeprefix("periode ")
        lo, _, ln = label.partition(" → ")
        pair = (lo, ln) if ln else (lo if lo in old_labels else None, lo if lo in new_labels else None)
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def _period(w: n.Wheel | None, label: str | None) -> n.Period | None:
    if w is None or label is None:
        return None
    return next((p for p in w.periods if p.label == label), None)


def _members(model: Model, w: n.Wheel | None) -> tuple[str, ...]:
    if w is None or w.letting_type not in model.enums:
        return ()
    return tuple(model.enums[w.letting_type].members)


def share_lines(po: n.Period | None, pn: n.Period | None, members: Iterable[str]) -> list[str]:
    """Each letting type's share before → after with its difference, over one denominator."""
    members = list(members)
    den = math.lcm(*(denominator(p) for p in (po, pn) if p is not None))
    fo, co = period_shares(po, members) if po is not None else ({}, [])
    fn, cn = period_shares(pn, members) if pn is not None else ({}, [])
    changed, same = [], []
    for m in members:
        a, b = fo.get(m, Fraction(0)), fn.get(m, Fraction(0))
        name = letting_label(m)
        if a != b:
            changed.append(f"{name} {share_words(a, den)} → {share_words(b, den)} ({signed_share(b - a, den)})")
        elif a:
            same.append(f"{name} {share_words(a, den)}")
    out = []
    if changed:
        out.append("andele: " + "; ".join(changed))
    if same and changed:
        out.append("uændret: " + "; ".join(same))
    ca, cb = sum((w for *_, w in co), Fraction(0)), sum((w for *_, w in cn), Fraction(0))
    if ca != cb or _conditional_slots(co) != _conditional_slots(cn):
        out.append(
            f"afhænger af afdelingen: {share_words(ca, den)}{_conditional_slots(co)} → "
            f"{share_words(cb, den)}{_conditional_slots(cn)} ({signed_share(cb - ca, den)})"
        )
    return out


def _conditional_slots(cond: list[tuple[int, list[str], Fraction]]) -> str:
    slots = sorted({s for s, _, _ in cond})
    return f" (plads {', '.join(map(str, slots))})" if slots else ""


def _period_title(po: n.Period | None, pn: n.Period | None) -> str:
    p = pn or po
    assert p is not None
    if po is not None and pn is not None and po.label != pn.label:
        label = f"periode {po.label} → {pn.label}"
    else:
        label = f"periode {p.label}"
    return f"{label} (fra {dates_in(str(p.start))} til {dates_in(str(p.end))})"


def _wheel(old: Model, new: Model, name: str, group: list[Change]) -> Entry:
    wo, wn = old.wheels.get(name), new.wheels.get(name)
    members = _members(new, wn) or _members(old, wo)
    lines: list[str] = []
    figures = []
    for c in group:  # the wheel's own parts: citation, notes, title, letting type
        if not c.part.startswith("periode ") and c.part:
            lines += _generic(c)
    if wo is None or wn is None:
        lines.append("nyt hjul" if wo is None else "hjulet udgår")
    for lo, ln in _period_pairs(wo, wn, group):
        po, pn = _period(wo, lo), _period(wn, ln)
        if po is None and pn is None:
            continue
        title = _period_title(po, pn)
        said: list[str] = []
        if po is None or pn is None:
            said.append("ny periode" if po is None else "perioden udgår")
        elif (po.start, po.end) != (pn.start, pn.end) and _dates_changed(group, lo, ln):
            said.append(
                f"perioden: {dates_in(str(po.start))} – {dates_in(str(po.end))} → "
                f"{dates_in(str(pn.start))} – {dates_in(str(pn.end))}"
            )
        slots_o = {s.number: s for s in po.slots} if po is not None else {}
        slots_n = {s.number: s for s in pn.slots} if pn is not None else {}
        moved = False
        for number in sorted(slots_o.keys() | slots_n.keys()):
            so, sn = slots_o.get(number), slots_n.get(number)
            to = slot_text(so.value) if so is not None else None
            tn = slot_text(sn.value) if sn is not None else None
            if to != tn:
                moved = True
                both = so is not None and sn is not None
                said.append(f"plads {number}: " + (f"{_words(to)} → {_words(tn)}" if both else _words(to or tn)))
        for c in group:
            head, _, rest = c.part.partition(", ")
            if head.startswith("periode ") and rest.endswith("fortolkning") and _same_period(head, lo, ln):
                said += _notes_lines(c, rest.removesuffix(", fortolkning").removesuffix("fortolkning"))
        if moved or po is None or pn is None:
            said += share_lines(po, pn, members)
            figures.append(Figure(name, lo if po is not None else None, ln if pn is not None else None))
        if said:
            lines.append(title + ":")
            lines += ["  " + x for x in said]
    w = wn or wo
    assert w is not None
    heading = f"{KIND_WORDS['hjul']} {name}" + (f" — {w.meta.title}" if w.meta.title else "")
    return _entry(heading, lines, group, figures=tuple(figures))


def _dates_changed(group: list[Change], lo: str | None, ln: str | None) -> bool:
    """Whether the period's own dates are among the changes left (not grouped as a moved date)."""
    label = f"{lo} → {ln}" if lo and ln and lo != ln else str(ln or lo)
    return any(c.part == f"periode {label}" for c in group)


def _same_period(head: str, lo: str | None, ln: str | None) -> bool:
    label = head.removeprefix("periode ")
    return label in (lo, ln, f"{lo} → {ln}")


# ---------------------------------------------------------------- parameters


def _in_force(p: n.ParamDecl | None, day: Any) -> n.ParamValue | None:
    """The value of a parameter that applies on a day: the latest starting on or before it."""
    if p is None:
        return None
    found = [v for v in p.values if v.start <= day]
    return max(found, key=lambda v: v.start) if found else None


def _parameter(old: Model, new: Model, name: str, group: list[Change]) -> Entry:
    po, pn = old.params.get(name), new.params.get(name)
    lines: list[str] = []
    for c in group:
        head, _, rest = c.part.partition(", ")
        if not head.startswith("fra "):
            if c.part:
                lines += _generic(c)
            else:
                p = pn or po
                assert p is not None
                lines.append("ny parameter:" if po is None else "parameteren udgår; den havde:")
                lines += [f"  fra {dates_in(str(v.start))}: {value_words(v.value)}" for v in p.values]
            continue
        values = (pn.values if pn else ()) + (po.values if po else ())
        start = next(v.start for v in values if f"fra {v.start}" == head)
        when = f"fra {dates_in(str(start))}"
        if rest:
            lines += _generic(c, f"{when}, {rest}")
            continue
        before, after = _in_force(po, start), _in_force(pn, start)
        lines.append(_value_line(when, before, after, start))
    heading = f"{KIND_WORDS['parameter']} {name}"
    return _entry(heading, lines, group)


def _value_line(when: str, before: n.ParamValue | None, after: n.ParamValue | None, start: Any) -> str:
    a = value_words(before.value) if before is not None else "ingen værdi"
    b = value_words(after.value) if after is not None else "ingen værdi"
    if before is not None and before.start != start:
        a += f" (værdien fra {dates_in(str(before.start))})"
    if after is not None and after.start != start:
        b += f" (værdien fra {dates_in(str(after.start))})"
    delta = literal_delta(before.value, after.value) if before is not None and after is not None else None
    return f"{when}: {a} → {b}" + (f" ({delta})" if delta else "")


# ---------------------------------------------------------------- tables


def _table(old: Model, new: Model, name: str, group: list[Change]) -> Entry:
    to, tn = old.tables.get(name), new.tables.get(name)
    lines: list[str] = []
    for c in group:
        head, _, rest = c.part.partition(", ")
        if head.startswith("række ") and not rest:
            cells = head.removeprefix("række ")
            if c.change == "added":
                lines.append(f"ny række {cells}: {_words(c.new)}")
            elif c.change == "removed":
                lines.append(f"rækken {cells} udgår (gav {_words(c.old)})")
            else:
                lines.append(f"række {cells}: {_words(c.old)} → {_words(c.new)}")
        else:
            lines += _generic(c) if c.part else [_table_whole(to, tn)]
    t = tn or to
    title = f" — {t.meta.title}" if t is not None and t.meta.title else ""
    return _entry(f"{KIND_WORDS.get(group[0].kind, 'Tabel')} {name}{title}", lines, group)


def _table_whole(to: n.Table | None, tn: n.Table | None) -> str:
    t = tn or to
    assert t is not None
    rows = f"{len(t.rows)} række{'r' if len(t.rows) != 1 else ''}"
    return f"ny tabel med {rows}" if to is None else f"tabellen udgår (den havde {rows})"


# ---------------------------------------------------------------- everything else


def _element(old: Model, new: Model, kind: str, name: str, group: list[Change]) -> Entry:
    node = _node(new, kind, name) or _node(old, kind, name)
    lines: list[str] = []
    for c in group:
        if c.part:
            lines += _generic(c)
        else:
            what = _whole(node, c.new if c.change == "added" else c.old)
            lines.append(f"ny: {what}" if c.change == "added" else f"udgår (var {what})")
    meta = getattr(node, "meta", None)
    title = f" — {meta.title}" if meta is not None and meta.title else ""
    return _entry(f"{KIND_WORDS.get(kind, kind.capitalize())} {name}{title}", lines, group)


def _node(model: Model, kind: str, name: str) -> Any:
    return next((node for key, node in model.members() if key.kind == kind and key.name == name), None)


def _whole(node: Any, summary: str | None) -> str:
    """A whole element added or removed, in words: a record by its fields, a fact by its type."""
    if isinstance(node, n.RecordDecl):
        return "post med felterne " + ", ".join(f.name for f in node.fields)
    if isinstance(node, n.FactDecl):
        return f"fakta af typen {leaf_text(node.type)}"
    return _words(summary)


# ---------------------------------------------------------------- as text


def text_lines(entries: list[Entry]) -> list[str]:
    """The summary as plain text: a heading per entry, its lines, the citations labelled før/nu."""
    out: list[str] = []
    for e in entries:
        out.append(e.heading)
        out += [f"  {x}" for x in e.lines]
        out += citation_lines(e, "  ")
        if e.decisions:
            out.append(f"  kan ændre svar fra: {', '.join(e.decisions)}")
        out.append("")
    return out


def citation_lines(e: Entry, indent: str = "") -> list[str]:
    if e.old_citation == e.new_citation:
        return [f"{indent}kilde: {e.new_citation}"] if e.new_citation else []
    lines = []
    if e.old_citation:
        lines.append(f"{indent}kilde før: {e.old_citation}")
    if e.new_citation:
        lines.append(f"{indent}kilde nu: {e.new_citation}")
    return lines


def pictures(old: Model, new: Model, entries: list[Entry]) -> dict[Figure, tuple[str | None, str | None]]:
    """Every figure of the summary drawn: the wheel period in the old version and in the new."""
    out: dict[Figure, tuple[str | None, str | None]] = {}
    for e in entries:
        for f in e.figures:
            drawn: list[str | None] = []
            for word, model, label in (("før", old, f.old_period), ("nu", new, f.new_period)):
                w = model.wheels.get(f.wheel)
                p = _period(w, label)
                if w is None or p is None:
                    drawn.append(None)
                    continue
                title = f"Udlejningshjul {w.meta.title or w.name}, periode {p.label} ({word})"
                drawn.append(period_svg(p, _members(model, w), title, f"{word}-{f.wheel}-{p.label}"))
            out[f] = (drawn[0], drawn[1])
    return out
