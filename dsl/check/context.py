"""What the checker's passes share: the model being built, the reporter, the namespaces, and
which named value is being checked (so every name read becomes a dependency of it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.check.model import Model
from almen.dsl.diagnostics import Reporter

if TYPE_CHECKING:
    from almen.dsl.check.expressions import Typer
    from almen.dsl.check.tables import Tables
    from almen.dsl.check.values import Values
    from almen.dsl.check.wheels import Wheels


class Context:
    def __init__(self, modules: tuple[n.Module, ...]):
        self.model = Model(modules)
        self.report = Reporter(self.model.sources)
        self.declared: dict[str, Any] = {}  # global name → declaring node, for duplicates
        self.fact_names: dict[str, Any] = {}  # facts have a namespace of their own
        self.member_of: dict[str, t.Enum] = {}  # enumeration member → its enumeration
        self.owner = ""  # the named value whose body is being checked, for dependencies
        # the passes, set by check(): each may ask the others (a name's type checks its body)
        self.typer: Typer
        self.values: Values
        self.tables: Tables
        self.wheels: Wheels

    def error(self, span: n.Span, message: str, hint: str | None = None, related: Any = ()) -> None:
        self.report.error(span, message, hint, related)

    def depend(self, name: str) -> None:
        self.model.deps.setdefault(self.owner, set()).add(name)

    def read_fact(self, name: str) -> None:
        self.model.fact_deps.setdefault(self.owner, set()).add(name)

    def source(self, e: Any) -> str:
        text = self.model.sources.get(e.span.path, "")
        return text[e.span.start : e.span.end] if e.span.end > e.span.start else "?"
