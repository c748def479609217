"""The one traversal of the syntax tree: the base class `Node` of every node, and `Visitor`.

`Node.iter_fields()` (the content, in declaration order), `Node.children()`, `Node.walk()`
(pre-order, iterative: policies may nest 100 levels), `find`/`find_all`, `transform`,
`copy_tree`, and `Visitor` (dispatch on the class name, `visit_Literal`). What the checker
learns about an expression travels with the node in `annotation`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import attrs

N = TypeVar("N", bound="Node")


@attrs.frozen
class Node:
    """The base of every syntax-tree class: its fields, its children, one traversal."""

    # What the checker found out about this node (types.Annotation); not content.
    annotation: Any = attrs.field(default=None, eq=False, repr=False, init=False, kw_only=True)

    def iter_fields(self) -> Iterator[tuple[str, Any]]:
        """The node's content as (name, value), in declaration order: no span, no annotation."""
        for a in attrs.fields(type(self)):
            if a.eq:
                yield a.name, getattr(self, a.name)

    def children(self) -> Iterator[Node]:
        """The nodes directly inside this one, in order (through tuples, such as a record's items)."""
        for _, value in self.iter_fields():
            yield from _nodes_in(value)

    def walk(self) -> Iterator[Node]:
        """This node and every node inside it, pre-order, without recursion."""
        todo: list[Node] = [self]
        while todo:
            node = todo.pop()
            yield node
            todo.extend(reversed(list(node.children())))

    def find_all(self, cls: type[N]) -> Iterator[N]:
        return (x for x in self.walk() if isinstance(x, cls))

    def find(self, cls: type[N]) -> N | None:
        return next(self.find_all(cls), None)

    def transform(self, fn: Callable[[Node], Node]) -> Node:
        """A new tree, children first: `fn` gets each node with its children already transformed."""
        changes = {}
        for name, value in self.iter_fields():
            new = _transform_value(value, fn)
            if new is not value:
                changes[name] = new
        node = attrs.evolve(self, **changes) if changes else self
        return fn(node)

    def annotate(self, annotation: Any) -> None:
        """Set by the checker, once per checked tree: the type and reference of this node."""
        object.__setattr__(self, "annotation", annotation)


def _nodes_in(value: Any) -> Iterator[Node]:
    if isinstance(value, Node):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _nodes_in(item)


def _transform_value(value: Any, fn: Callable[[Node], Node]) -> Any:
    if isinstance(value, Node):
        return value.transform(fn)
    if isinstance(value, tuple):
        items = tuple(_transform_value(v, fn) for v in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def copy_tree(node: N) -> N:
    """A structural copy: the same content, fresh nodes (so annotations never leak between checks)."""
    return node.transform(lambda x: attrs.evolve(x))  # type: ignore[return-value]


class Visitor:
    """Dispatch on the node's class: `visit_Literal(node, *args)`; `generic_visit` otherwise."""

    def visit(self, node: Node, *args: Any) -> Any:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            return self.generic_visit(node, *args)
        return method(node, *args)

    def generic_visit(self, node: Node, *args: Any) -> Any:
        raise TypeError(f"{type(self).__name__} cannot visit a {type(node).__name__}")
