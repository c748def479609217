"""Semantic diff of two versions of a policy: elements matched by stable name, compared part by
part (parameters value by value, wheels slot by slot, tables row by row, rules condition by
condition). Layout, comments and the order of rules or files never show as differences.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from almen.dsl import nodes as n
from almen.dsl.checker import Model
from almen.dsl.formatter import cells_text, citation_text, expr_text, slot_text, type_text


@attrs.frozen
class Change:
    kind: str  # the element's kind: parameter, hjul, tabel, regel, …
    name: str  # its stable name
    part: str  # which part changed: "fra 2024-12-01", "periode 2026-2027, plads 9", "betingelse", …
    change: str  # added, removed, changed
    old: str | None = None
    new: str | None = None
    old_citation: str | None = None
    new_citation: str | None = None
    decisions: tuple[str, ...] = ()  # decisions whose answers can change

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def diff(old: Model, new: Model) -> list[Change]:
    changes: list[Change] = []
    old_members = {(k, name): node for k, name, node in old.members()}
    new_members = {(k, name): node for k, name, node in new.members()}
    for key in sorted(old_members.keys() | new_members.keys()):
        a, b = old_members.get(key), new_members.get(key)
        kind, name = key
        if a is None or b is None:
            node = a if a is not None else b
            changes.append(
                Change(
                    kind,
                    name,
                    "",
                    "added" if a is None else "removed",
                    _whole(node) if a is not None else None,
                    _whole(node) if b is not None else None,
                    _cite(a),
                    _cite(b),
                )
            )
            continue
        for part, before, after in _parts(kind, a, b):
            if before != after:
                change = "added" if before is None else "removed" if after is None else "changed"
                changes.append(Change(kind, name, part, change, before, after, _cite(a), _cite(b)))
    return [attrs.evolve(c, decisions=_affected(c, old, new)) for c in changes]


def _affected(c: Change, old: Model, new: Model) -> tuple[str, ...]:
    name = c.name.split(".")[0] if c.kind in ("regel", "undtagelse") else c.name
    if c.kind == "politik":
        return ()
    hit = set()
    for model in (old, new):
        for decision in model.decisions:
            if name in model.closure(decision) or (c.kind == "fakta" and name in model.facts_read(decision)):
                hit.add(decision)
    return tuple(sorted(hit))


def _cite(node: Any) -> str | None:
    meta = getattr(node, "meta", None)
    if meta is None or not meta.citations:
        return None
    return "; ".join(citation_text(c) for c in meta.citations)


def _text(x: Any) -> str | None:
    return None if x is None else expr_text(x)


def _whole(node: Any) -> str:
    """A one-line summary of a whole element, for additions and removals."""
    if isinstance(node, n.ParamDecl):
        return "; ".join(f"fra {v.start}: {expr_text(v.value)}" for v in node.values)
    if isinstance(node, n.Definition | n.Decision) and node.body is not None:
        return expr_text(node.body)
    if isinstance(node, n.Rule):
        cond = f"hvis {expr_text(node.condition)} " if node.condition is not None else ""
        return f"{cond}så {expr_text(node.consequence)}"
    if isinstance(node, n.SlotException):
        return f"plads {node.slot}: hvis {expr_text(node.condition)} så {slot_text(node.value)}"
    if isinstance(node, n.Wheel):
        return "; ".join(f"periode {p.label} ({p.start} – {p.end})" for p in node.periods)
    if isinstance(node, n.Table):
        return f"{len(node.rows)} rækker"
    if isinstance(node, n.Goal):
        return f"{expr_text(node.measure)} {node.direction}"
    return getattr(node, "name", "") or node.__class__.__name__


def _meta_parts(a: Any, b: Any) -> Iterator[tuple[str, str | None, str | None]]:
    ma, mb = getattr(a, "meta", None), getattr(b, "meta", None)
    if ma is None or mb is None:
        return
    yield "titel", ma.title, mb.title
    yield "kilde", _cite(a), _cite(b)
    yield "fortolkning", " | ".join(ma.notes) or None, " | ".join(mb.notes) or None


def _parts(kind: str, a: Any, b: Any) -> Iterator[tuple[str, str | None, str | None]]:
    if isinstance(a, n.Policy):
        for field in ("title", "version", "valid_from", "valid_to", "supersedes", "amends", "month_rule"):
            va, vb = getattr(a, field), getattr(b, field)
            yield field, None if va is None else str(va), None if vb is None else str(vb)
        return
    if kind == "valg":
        for m in sorted(set(a.members) | set(b.members)):
            yield f"værdi {m}", m if m in a.members else None, m if m in b.members else None
        return
    if kind == "post":
        fa, fb = dict(a.fields), dict(b.fields)
        for f in sorted(fa.keys() | fb.keys()):
            yield f"felt {f}", str(fa[f]) if f in fa else None, str(fb[f]) if f in fb else None
        return
    if isinstance(a, n.FactDecl):
        yield "type", type_text(a.type), type_text(b.type)
        return
    yield from _meta_parts(a, b)
    if isinstance(a, n.ParamDecl):
        va = {v.start: v for v in a.values}
        vb = {v.start: v for v in b.values}
        for day in sorted(va.keys() | vb.keys()):
            x, y = va.get(day), vb.get(day)
            yield f"fra {day}", _text(x.value) if x else None, _text(y.value) if y else None
            yield f"fra {day}, fortolkning", _notes(x), _notes(y)
    elif isinstance(a, n.Definition):
        yield "parametre", _params(a), _params(b)
        yield "værdi", _text(a.body), _text(b.body)
    elif isinstance(a, n.Decision):
        yield "type", _type_of(a), _type_of(b)
        yield "værdi", _text(a.body), _text(b.body)
    elif isinstance(a, n.Rule):
        yield "undtagelse til", a.exception_to, b.exception_to
        yield "betingelse", _text(a.condition), _text(b.condition)
        yield "så", _text(a.consequence), _text(b.consequence)
    elif isinstance(a, n.SlotException):
        yield "plads", str(a.slot), str(b.slot)
        yield "betingelse", _text(a.condition), _text(b.condition)
        yield "så", slot_text(a.value), slot_text(b.value)
    elif isinstance(a, n.Table):
        yield "hit", a.hit, b.hit
        yield "input", ", ".join(map(expr_text, a.inputs)), ", ".join(map(expr_text, b.inputs))
        ra = {cells_text(r.cells): r for r in a.rows}
        rb = {cells_text(r.cells): r for r in b.rows}
        for cells in sorted(ra.keys() | rb.keys()):
            x, y = ra.get(cells), rb.get(cells)
            yield f"række {cells}", _text(x.output) if x else None, _text(y.output) if y else None
    elif isinstance(a, n.Wheel):
        yield "typer", a.letting_type, b.letting_type
        for label, x, y in _paired_periods(a.periods, b.periods):
            if x is None or y is None:
                yield f"periode {label}", _period(x), _period(y)
                continue
            renamed = x.label != y.label
            yield (
                f"periode {label}",
                (f"{x.label}: " if renamed else "") + f"{x.start} – {x.end}",
                (f"{y.label}: " if renamed else "") + f"{y.start} – {y.end}",
            )
            sa = {s.number: s for s in x.slots}
            sb = {s.number: s for s in y.slots}
            for number in sorted(sa.keys() | sb.keys()):
                s1, s2 = sa.get(number), sb.get(number)
                yield (
                    f"periode {label}, plads {number}",
                    slot_text(s1.value) if s1 else None,
                    slot_text(s2.value) if s2 else None,
                )
                yield f"periode {label}, plads {number}, fortolkning", _notes(s1), _notes(s2)
    elif isinstance(a, n.Goal):
        yield "måling", _text(a.measure), _text(b.measure)
        yield "retning", a.direction, b.direction
        yield "målværdi", _text(a.target), _text(b.target)
        yield "basislinje", _baseline(a), _baseline(b)


def _type_of(d: n.Decision) -> str | None:
    return None if d.type is None else type_text(d.type)


def _notes(node: Any) -> str | None:
    notes = getattr(node, "notes", ()) if node is not None else ()
    return " | ".join(notes) or None


def _paired_periods(
    a: tuple[n.Period, ...], b: tuple[n.Period, ...]
) -> list[tuple[str, n.Period | None, n.Period | None]]:
    """Periods match by label; when both versions have the same number of unmatched periods
    (a new agreement renames '2019-2023' to '2024-2027'), they match in date order instead."""
    la, lb = {p.label: p for p in a}, {p.label: p for p in b}
    pairs: list[tuple[str, n.Period | None, n.Period | None]] = [
        (label, la[label], lb[label]) for label in sorted(la.keys() & lb.keys())
    ]
    rest_a = sorted((p for p in a if p.label not in lb), key=lambda p: p.start)
    rest_b = sorted((p for p in b if p.label not in la), key=lambda p: p.start)
    if len(rest_a) == len(rest_b):
        pairs += [(f"{x.label} → {y.label}", x, y) for x, y in zip(rest_a, rest_b, strict=True)]
    else:
        pairs += [(p.label, p, None) for p in rest_a] + [(p.label, None, p) for p in rest_b]
    return pairs


def _params(d: n.Definition) -> str | None:
    return ", ".join(f"{p.name}: {type_text(p.type)}" for p in d.params) or None


def _period(p: n.Period | None) -> str | None:
    if p is None:
        return None
    return f"{p.start} – {p.end}: " + "; ".join(f"{s.number}: {slot_text(s.value)}" for s in p.slots)


def _baseline(g: n.Goal) -> str | None:
    return None if g.baseline is None else f"{expr_text(g.baseline.value)} pr {g.baseline.date}"
