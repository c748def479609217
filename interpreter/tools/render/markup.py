"""Markdown text for the rendered policy: escaping, code spans, anchors, labels and citations."""

from __future__ import annotations

import re

from almen.dsl import nodes as n
from almen.dsl.identity import Key


def md(text: str) -> str:
    """Plain text safe in Markdown: characters that would start markup are escaped."""
    text = text.replace("\\", "\\\\").replace("`", "\\`").replace("*", "\\*")
    text = text.replace("[", "\\[").replace("]", "\\]").replace("<", "&lt;").replace("{", "\\{")
    return re.sub(r"(?<!\w)_|_(?!\w)", r"\\_", text)


def cell(text: str) -> str:
    """Text for a table cell: a pipe would end the cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    text = " ".join(text.split())
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


def anchor(element: Key) -> str:
    """The HTML id of an element's heading, from its identity."""
    return f"{element.kind}-{element.name}".replace(" ", "-") if element.name else element.kind


def short_type(text: str) -> str:
    """An inferred type without the fields of an anonymous record, which can run to a paragraph."""
    return re.sub(r"\{.*\}", "post", text)


def pretty_op(text: str) -> str:
    return {">=": "≥", "<=": "≤", "!=": "≠"}.get(text, text)


_JOINT = re.compile(r"(?<=[aeiouyæøå]s)(?=[bcdfghjklmnpqrtvwxz])")


def narrow(text: str) -> str:
    """Text for a narrow column of a wheel picture: long words may break, with a hyphen, at a
    Danish compound joint (byfornyelses-genhusning), and identifiers after an underscore."""
    words = []
    for word in text.split(" "):
        if len(word) > 12 and "_" not in word:
            word = _JOINT.sub("&shy;", word)
        words.append(word.replace("_", "_<wbr>"))
    return " ".join(words)


def citation_block(c: n.Citation) -> str:
    text = f"**Kilde:** {md(c.source)}"
    if c.quote:
        text += f" — «{md(c.quote)}»"
    return text


def citation_inline(c: n.Citation) -> str:
    return md(c.source) + (f" «{md(c.quote)}»" if c.quote else "")
