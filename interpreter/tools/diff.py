"""Semantic diff of two versions of a policy, generic over the syntax tree's fields.

Elements are matched by their stable identity (`almen.dsl.identity`). Each element is
flattened into labelled parts — every field of every declaration, down to the expressions,
types, cells and slot values, which are compared as the formatter writes them — and the two
versions' parts are compared label by label. Collections with an identity of their own are
matched by it (a parameter's values by start date, a wheel's periods by label and its slots
by number, a table's rows by their cells, a record's fields by name), so layout, comments and
the order of rules, fields or files never show as differences, and no field is forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from almen.dsl import nodes as n
from almen.dsl.check import Model
from almen.dsl.formatter import cells_text, expr_text, slot_text, type_text
from almen.dsl.identity import Key, key_of


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
    """Every difference between two checked versions, element by element and part by part."""
    changes: list[Change] = []
    old_members, new_members = dict(old.members()), dict(new.members())
    for key in sorted(old_members.keys() | new_members.keys()):
        a, b = old_members.get(key), new_members.get(key)
        name = _name(key, a, b)
        if a is None or b is None:
            node = a if a is not None else b
            summary = summary_text(node)
            changes.append(
                Change(
                    key.kind,
                    name,
                    "",
                    "added" if a is None else "removed",
                    summary if a is not None else None,
                    summary if b is not None else None,
                    _cite(a),
                    _cite(b),
                )
            )
            continue
        pa, pb = parts(a), parts(b)
        if isinstance(a, n.Wheel):
            pa, pb = _pair_periods(a, b, pa, pb)
        for part in sorted(pa.keys() | pb.keys(), key=_part_order(pa, pb)):
            before, after = pa.get(part), pb.get(part)
            if before != after:
                change = "added" if before is None else "removed" if after is None else "changed"
                changes.append(Change(key.kind, name, part, change, before, after, _cite(a), _cite(b)))
    return [attrs.evolve(c, decisions=_affected(c, old, new)) for c in changes]


# ---------------------------------------------------------------- flattening an element

# Fields shown as a person reads them: their Danish label, "" for the part's own value.
LABELS = {
    "title": "titel",
    "citations": "kilde",
    "citation": "kilde",
    "notes": "fortolkning",
    "municipality": "kommune",
    "parties": "parter",
    "version": "version",
    "valid_from": "gyldig fra",
    "valid_to": "gyldig til",
    "supersedes": "afløser",
    "amends": "ændrer",
    "document": "dokument",
    "month_rule": "månedsregel",
    "name": "navn",
    "type": "type",
    "default": "standardværdi",
    "params": "parametre",
    "body": "værdi",
    "exception_to": "undtagelse til",
    "condition": "betingelse",
    "consequence": "så",
    "hit": "hit",
    "inputs": "input",
    "schedule": "skema",
    "letting_type": "typer",
    "measure": "måling",
    "direction": "retning",
    "target": "målværdi",
    "baseline": "basislinje",
    "serves": "tjener",
    "date": "dato",
    "period": "periode",
    "slot": "plads",
    "start": "fra",
    "end": "til",
    "quote": "citat",
}

# Fields that are the element's identity (never a change of it) or only syntax.
_IDENTITY = {
    n.Policy: {"name"},
    n.EnumDecl: {"name"},
    n.RecordDecl: {"name"},
    n.FactDecl: {"name"},
    n.ParamDecl: {"name"},
    n.Definition: {"name"},
    n.Decision: {"name"},
    n.Rule: {"target", "label"},
    n.SlotException: {"label", "wheel"},
    n.Table: {"name"},
    n.Wheel: {"name"},
    n.Goal: {"name"},
    n.FieldDecl: {"name"},
    n.ParamValue: {"start"},
    n.Period: {"label"},
    n.Slot: {"number"},
    n.Row: {"cells"},
}

# The field that is a part's own value: `fra 2024-12-01` is the value from that date.
_MAIN = {n.ParamValue: "value", n.Slot: "value", n.Row: "output", n.FieldDecl: "type", n.Baseline: "value"}

# Collections whose items have an identity: (label of an item, its key).
_KEYED: dict[tuple[type, str], Callable[[Any], str]] = {
    (n.ParamDecl, "values"): lambda v: f"fra {v.start}",
    (n.Wheel, "periods"): lambda p: f"periode {p.label}",
    (n.Period, "slots"): lambda s: f"plads {s.number}",
    (n.Table, "rows"): lambda r: f"række {cells_text(r.cells)}",
    (n.RecordDecl, "fields"): lambda f: f"felt {f.name}",
    (n.EnumDecl, "members"): lambda m: f"værdi {m}",
}


def parts(node: Any) -> dict[str, str]:
    """An element as {part label: text}: every field, down to the texts the formatter writes."""
    out: dict[str, str] = {}
    _flatten(node, "", out)
    return out


# Fields read together as the part's own value: a period is its dates.
_TOGETHER: dict[type, tuple[set[str], Callable[[Any], str]]] = {
    n.Period: ({"start", "end"}, lambda p: f"{p.start} – {p.end}"),
}


def _flatten(node: Any, prefix: str, out: dict[str, str]) -> None:
    cls = type(node)
    skip = _IDENTITY.get(cls, set())
    main = _MAIN.get(cls)
    if cls in _TOGETHER:
        together, show = _TOGETHER[cls]
        skip = skip | together
        out[prefix] = show(node)
    for field, value in node.iter_fields():
        if field in skip:
            continue
        if isinstance(value, n.Meta):
            _flatten(value, prefix, out)
            continue
        label = "" if field == main else LABELS.get(field, field)
        where = _join(prefix, label)
        keyed = _KEYED.get((cls, field))
        if keyed is not None:
            for item in value:
                sub = _join(prefix, keyed(item))
                if isinstance(item, n.Node):
                    _flatten(item, sub, out)
                else:
                    out[sub] = str(item)
        elif _structured(value):
            _flatten(value, where, out)
        else:
            text = leaf_text(value)
            if text is not None:
                out[where] = text


def _structured(value: Any) -> bool:
    """A node compared field by field, not as one text."""
    return isinstance(value, n.ParamValue | n.Period | n.Slot | n.Row | n.FieldDecl | n.Baseline)


def leaf_text(value: Any) -> str | None:
    """One part's text, as the formatter writes it; None for an absent value."""
    if value is None or value == ():
        return None
    if isinstance(value, tuple):
        texts = [leaf_text(v) or "" for v in value]
        return (" | " if all(isinstance(v, str) for v in value) else "; ").join(texts)
    if isinstance(value, n.Citation):
        return value.text
    if isinstance(value, n.Chain | n.Alternating):
        return slot_text(value)
    if isinstance(value, n.TName | n.TList | n.TMap | n.TOptional | n.TInt):
        return type_text(value)
    if isinstance(value, n.ParamSpec):
        return f"{value.name}: {type_text(value.type)}"
    if isinstance(value, n.Node):
        return expr_text(value)
    if isinstance(value, bool):
        return "sand" if value else "falsk"
    return str(value)


def _join(prefix: str, label: str) -> str:
    return f"{prefix}, {label}" if prefix and label else prefix or label


def _part_order(pa: dict[str, str], pb: dict[str, str]) -> Callable[[str], tuple[int, str]]:
    """Parts in the order the element is written (the newer version's order first)."""
    order = {p: i for i, p in enumerate([*pb, *(p for p in pa if p not in pb)])}
    return lambda p: (order[p], p)


def _pair_periods(
    a: n.Wheel, b: n.Wheel, pa: dict[str, str], pb: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Periods match by label; when both versions have the same number of unmatched periods
    (a new agreement renames '2019-2023' to '2024-2027'), they match in date order instead."""
    la, lb = {p.label for p in a.periods}, {p.label for p in b.periods}
    rest_a = sorted((p for p in a.periods if p.label not in lb), key=lambda p: p.start)
    rest_b = sorted((p for p in b.periods if p.label not in la), key=lambda p: p.start)
    if not rest_a or len(rest_a) != len(rest_b):
        return pa, pb
    pairs = list(zip(rest_a, rest_b, strict=True))
    rename_a = {f"periode {x.label}": (f"periode {x.label} → {y.label}", x.label) for x, y in pairs}
    rename_b = {f"periode {y.label}": (f"periode {x.label} → {y.label}", y.label) for x, y in pairs}
    return _renamed(pa, rename_a), _renamed(pb, rename_b)


def _renamed(ps: dict[str, str], renames: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Parts of renamed periods under the pair's label; the dates say which label they had."""
    out = {}
    for part, text in ps.items():
        head, sep, rest = part.partition(", ")
        if head in renames:
            label, own = renames[head]
            out[label + sep + rest] = text if sep else f"{own}: {text}"
        else:
            out[part] = text
    return out


# ---------------------------------------------------------------- around the parts


def _name(key: Key, a: Any, b: Any) -> str:
    if isinstance(a or b, n.Policy):
        return (b or a).name
    return key.name


def _affected(c: Change, old: Model, new: Model) -> tuple[str, ...]:
    """The decisions whose answers the change can reach."""
    if c.kind == "politik":
        return ()
    name = c.name.split(".")[0] if c.kind in ("regel", "undtagelse") else c.name
    hit = set()
    for model in (old, new):
        for decision in model.decisions:
            reads = model.closure(decision)
            if name in reads or (c.kind in ("fakta", "post") and _reads_type(model, decision, c)):
                hit.add(decision)
    return tuple(sorted(hit))


def _reads_type(model: Model, decision: str, c: Change) -> bool:
    if c.kind == "fakta":
        return c.name in model.facts_read(decision)
    record = model.record_decls.get(c.name)
    if record is None:
        return False
    facts = model.facts_read(decision)
    return any(c.name in {x.name for x in model.facts[f].type.find_all(n.TName)} for f in facts if f in model.facts)


def _cite(node: Any) -> str | None:
    meta = getattr(node, "meta", None)
    if meta is None or not meta.citations:
        return None
    return "; ".join(c.text for c in meta.citations)


def summary_text(node: Any) -> str:
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
    return str(getattr(node, "name", "") or key_of(node))
