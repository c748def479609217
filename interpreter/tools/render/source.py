"""What the renderer reads from a .almen file besides its declarations: headings, anchors, titles,
comments."""

from __future__ import annotations

from typing import Any

from almen.dsl import nodes as n
from almen.dsl.identity import Key, key_of, removal_key
from almen.dsl.parser import comments


def words(d: Any) -> tuple[str, str]:
    """A declaration's keyword and name, as its heading shows them."""
    if isinstance(d, n.Policy):
        return "politik", d.name
    if isinstance(d, n.Removal):
        return "fjern", f"{d.target_kind} {d.name}"
    return d.kind, d.name


def element(d: Any) -> Key:
    """Where a declaration is anchored: its identity; a removal, which is no element of its own,
    under the identity of what it removes."""
    if isinstance(d, n.Removal):
        return Key("fjern", str(removal_key(d)))
    return key_of(d)


def title(d: Any) -> str | None:
    meta = getattr(d, "meta", None)
    if meta is not None:
        return meta.title
    if isinstance(d, n.Policy):
        return d.title
    return None


def file_span(m: n.Module) -> n.Span:
    return n.Span(m.path, 1, 1, 1, 1, 0, 0)


def _comment_lines(m: n.Module) -> list[tuple[int, str, bool]]:
    """(line, text, whole line?) of every comment in the file."""
    return [(c.line, c.text.strip(), c.whole) for c in comments(m.source)]


def intro(m: n.Module) -> list[str]:
    """The file's opening comment lines, before the first declaration and before any section line."""
    first = min((d.span.line for d in m.decls), default=10**9)
    out: list[str] = []
    previous = 0
    for line, text, whole in _comment_lines(m):
        if line >= first or not whole or text.startswith("---") or (out and line != previous + 1):
            break
        out.append(text)
        previous = line
    return [x for x in out if x]


def sections(m: n.Module) -> dict[int, list[str]]:
    """Section comments (`# ---- Title`) attached to the declaration that follows them."""
    found: dict[int, list[str]] = {}
    decls = sorted(m.decls, key=lambda d: d.span.line)
    for line, text, whole in _comment_lines(m):
        if not whole or not text.startswith("---"):
            continue
        heading = text.strip("- ").strip()
        following = next((d for d in decls if d.span.line > line), None)
        if heading and following is not None:
            found.setdefault(id(following), []).append(heading)
    return found
