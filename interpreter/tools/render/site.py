"""The pages of a rendered policy and the links between them: which page each file and
element is on, links to elements and to source lines, and the register of interpretation notes."""

from __future__ import annotations

import os
import re
from pathlib import Path

from almen.dsl import identity
from almen.dsl import nodes as n
from almen.dsl.check import Model
from almen.dsl.formatter import type_text
from almen.dsl.identity import Key
from almen.interpreter.tools.render.markup import anchor, code, md, short_type
from almen.interpreter.tools.render.source import element


class Site:
    def __init__(self, model: Model, path: Path, out_dir: Path, source_pages: bool):
        self.model = model
        self.root = (path if path.is_dir() else path.parent).resolve()
        self.out_dir = out_dir
        self.source_pages = source_pages
        # an amending version's own files first, then what it inherits, each in file order
        kept = [m for m in model.modules if m.decls or self.own(m)]
        self.modules = [m for m in kept if self.own(m)] + [m for m in kept if not self.own(m)]
        self.page_of: dict[str, str] = {}  # module path → page name (without .md)
        used: set[str] = {"index", "fortolkninger", "kilde"}
        for m in self.modules:
            name = self._page_name(m, used)
            used.add(name)
            self.page_of[m.path] = name
        self.where: dict[Key, tuple[str, str]] = {}  # element → (page, anchor)
        for m in self.modules:
            for d in m.decls:
                self.where.setdefault(element(d), (self.page_of[m.path], anchor(element(d))))
        self.notes: list[tuple[str, str, str, str]] = []  # (page, anchor, label, note) for the register

    def own(self, m: n.Module) -> bool:
        return Path(m.path).resolve().parent == self.root

    def _page_name(self, m: n.Module, used: set[str]) -> str:
        p = Path(m.path).resolve()
        base = p.stem if self.own(m) else f"{p.parent.name}-{p.stem}"
        name, i = base, 2
        while name in used:
            name, i = f"{base}-{i}", i + 1
        return name

    def file_label(self, m: n.Module) -> str:
        p = Path(m.path)
        return p.name if self.own(m) else f"{p.parent.name}/{p.name}"

    def source_link(self, span: n.Span, from_page: str = "") -> str:
        """`[06_hjul.almen:41](…)`: the file and line an element is written on."""
        p = Path(span.path).resolve()
        module = next((m for m in self.modules if Path(m.path).resolve() == p), None)
        label = f"{p.name if module is None else self.file_label(module)}:{span.line}"
        if self.source_pages and module is not None:
            depth = "../" * from_page.count("/")
            href = f"{depth}kilde/{self.page_of[module.path]}.md#L-{span.line}"
        else:
            base = (self.out_dir / from_page).parent.resolve() if from_page else self.out_dir.resolve()
            href = Path(os.path.relpath(p, base)).as_posix() + f"#L{span.line}"
        return f"[{md(label)}]({href})"

    def link(self, kind: str, name: str, page: str, text: str | None = None) -> str:
        """A link to the element of that kind and name (its page and anchor), or its name alone."""
        target = self.where.get(identity.key(kind, name))
        label = text if text is not None else md(name)
        if target is None:
            return label
        where, anc = target
        href = f"#{anc}" if where == page else f"{where}.md#{anc}"
        return f"[{label}]({href})"

    def type_link(self, ref: n.TypeRef | None, page: str, inferred: str = "?") -> str:
        """A type as text, with the records and choices it names linked to their declarations."""
        text = type_text(ref) if ref is not None else short_type(inferred)
        parts = re.split(r"(\w+)", text)
        linked = {p for p in parts if ("post", p) in self.where or ("valg", p) in self.where}
        if not linked:
            return code(text)
        out = []
        for part in parts:
            if part in linked:
                kind = "post" if ("post", part) in self.where else "valg"
                out.append(self.link(kind, part, page, code(part)))
            else:
                out.append(md(part))
        return "".join(out)

    def inferred(self, name: str) -> str:
        return str(self.model.value_types.get(name, "?"))

    def note(self, text: str, page: str, anc: str, label: str, what: str = "Fortolkning") -> list[str]:
        """An interpretation note as a marked quote; it is also listed in the register page."""
        self.notes.append((page, anc, label, text))
        return [f"> **{what}:** {md(text)}", ""]
