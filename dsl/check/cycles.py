"""The last pass: no named value depends on itself (depth-first, without recursion)."""

from __future__ import annotations

from almen.dsl import nodes as n
from almen.dsl.check.context import Context
from almen.dsl.i18n import _


def check_cycles(cx: Context) -> None:
    deps = cx.model.deps
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    reported: set[frozenset[str]] = set()
    for root in sorted(deps):
        if root in state:
            continue
        path: list[str] = [root]
        todo: list[list[str]] = [sorted(deps.get(root, ()))]
        state[root] = 1
        while todo:
            if not todo[-1]:
                state[path.pop()] = 2
                todo.pop()
                continue
            dep = todo[-1].pop(0)
            if state.get(dep) == 1:
                cycle = [*path[path.index(dep) :], dep]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    node = cx.declared.get(dep)
                    cx.error(
                        node.span if node is not None else n.NOWHERE,
                        _("'{0}' depends on itself: {1}").format(dep, " → ".join(cycle)),
                        _("rules may not refer to each other in a circle"),
                    )
            elif dep not in state:
                state[dep] = 1
                path.append(dep)
                todo.append(sorted(deps.get(dep, ())))
