"""One stable identity for every element of a policy: (kind, name).

Amendments replace and remove elements by it, the diff matches the two versions by it, and
the rendered document anchors every element under it. Layout, order and files never change
an element's identity; renaming does.
"""

from __future__ import annotations

from typing import Any

import attrs

from almen.dsl import nodes as n


@attrs.frozen(order=True)
class Key:
    kind: str  # the declaration keyword: politik, valg, post, fakta, parameter, … regel, undtagelse
    name: str  # dotted for rules and slot exceptions: trappe.områdetrappe_trin_1

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


# The header has one identity whatever its name: a new version renames the policy.
HEADER = Key("politik", "")

# Kinds one name may be declared as; `tabel` and `skema` are one namespace.
_KIND_ALIASES = {"skema": "tabel"}


def key(kind: str, name: str) -> Key:
    """The identity of the element of that kind and name, as a reference to it spells them."""
    return Key(_KIND_ALIASES.get(kind, kind), name)


def key_of(decl: Any) -> Key:
    """The identity of a declaration."""
    if isinstance(decl, n.Policy):
        return HEADER
    return key(decl.kind, decl.name)


def removal_key(removal: n.Removal) -> Key:
    """The element a `fjern` takes away."""
    return key(removal.target_kind, removal.name)
