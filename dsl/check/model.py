"""The checked model: a policy's declarations by stable name, its named values' types and
dependencies. Each expression node carries its own `Annotation` (type, and what a name or a
call refers to), set by the checker on the model's own copy of the tree.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

import attrs

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.identity import Key, key_of


class RefKind(enum.StrEnum):
    """What a name in an expression refers to."""

    LOCAL = "local"
    FACT = "fact"
    PARAMETER = "parameter"
    DEFINITION = "definition"
    DECISION = "decision"
    TABLE = "table"
    WHEEL = "wheel"
    MEMBER = "member"
    BUILTIN = "builtin"


@attrs.frozen
class Ref:
    kind: RefKind
    name: str
    type: t.Type


@attrs.frozen
class Annotation:
    """What the checker found out about one expression node."""

    type: t.Type
    ref: Ref | None = None


@attrs.define
class Model:
    """A checked policy: its declarations by stable name, and the type of every expression."""

    modules: tuple[n.Module, ...]
    policy: n.Policy | None = None
    enums: dict[str, t.Enum] = attrs.Factory(dict)
    records: dict[str, t.Record] = attrs.Factory(dict)
    record_decls: dict[str, n.RecordDecl] = attrs.Factory(dict)
    facts: dict[str, n.FactDecl] = attrs.Factory(dict)
    fact_types: dict[str, t.Type] = attrs.Factory(dict)
    params: dict[str, n.ParamDecl] = attrs.Factory(dict)
    definitions: dict[str, n.Definition] = attrs.Factory(dict)
    decisions: dict[str, n.Decision] = attrs.Factory(dict)
    rules: dict[str, list[n.Rule]] = attrs.Factory(dict)
    tables: dict[str, n.Table] = attrs.Factory(dict)
    wheels: dict[str, n.Wheel] = attrs.Factory(dict)
    slot_exceptions: dict[str, list[n.SlotException]] = attrs.Factory(dict)
    goals: dict[str, n.Goal] = attrs.Factory(dict)
    removals: list[n.Removal] = attrs.Factory(list)
    value_types: dict[str, t.Type] = attrs.Factory(dict)  # named value → its type
    deps: dict[str, set[str]] = attrs.Factory(dict)  # named value → named values it reads
    fact_deps: dict[str, set[str]] = attrs.Factory(dict)  # named value → facts it reads directly

    def closure(self, name: str) -> set[str]:
        """Every named value `name` may read, itself included."""
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo += self.deps.get(current, ())
        return seen

    def facts_read(self, name: str) -> list[str]:
        """The facts a decision may read (the input schema of that decision)."""
        return sorted({f for v in self.closure(name) for f in self.fact_deps.get(v, ())})

    @property
    def sources(self) -> dict[str, str]:
        return {m.path: m.source for m in self.modules}

    def type_of(self, expr: Any) -> t.Type:
        ann = expr.annotation
        return ann.type if ann is not None else t.UNKNOWN

    def ref_of(self, node: Any) -> Ref | None:
        ann = node.annotation
        return ann.ref if ann is not None else None

    def declarations(self) -> Iterator[n.Node]:
        """Every declaration of the policy, in file order."""
        for module in self.modules:
            yield from module.decls

    def members(self) -> Iterator[tuple[Key, Any]]:
        """Every element with a stable identity, in file order: (key, node)."""
        for decl in self.declarations():
            if not isinstance(decl, n.Removal):
                yield key_of(decl), decl
