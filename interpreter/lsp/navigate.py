"""Positions in a policy and what they name: the element under the cursor, where it is declared,
where it is used, and what a person should read about it (its citation, the quoted agreement
text, the interpretation notes).

Every place that names an element is an `Occurrence`: the character offsets of the name and its
`Target` — the element's stable identity (`identity.Key`), or a local variable and the node that
binds it. A name in an expression is resolved by the checker (`model.ref_of`) when the folder
checks; while it has errors, by the same lookup order over the trees that parsed, so that
navigation keeps working while a person types.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.builtins import BUILTINS
from almen.dsl.check.model import Model, RefKind
from almen.dsl.formatter import expr_text, type_text
from almen.dsl.identity import Key, key, key_of

# What a name refers to, as the kind word of the declaration it names (identity.key).
_DECLARED_BY = {
    RefKind.FACT: "fakta",
    RefKind.PARAMETER: "parameter",
    RefKind.DEFINITION: "definition",
    RefKind.DECISION: "beslutning",
    RefKind.TABLE: "tabel",
    RefKind.WHEEL: "hjul",
}
# The checker's lookup order for a bare name (check/expressions.py, visit_Name) after the locals.
_LOOKUP = ("fakta", "parameter", "definition", "beslutning", "tabel", "hjul")
MEMBER = "valgmulighed"  # the kind of a Key naming an enumeration member (members have no declaration)
BUILTIN = "indbygget"  # the kind of a Key naming a builtin function or value
FIELD = "felt"  # the kind of a Key naming a record's field: Key("felt", "Placering.trin")
_BINDERS = (n.Quantifier, n.Count, n.Sort, n.Each, n.Mapping)
_TOKEN = re.compile(r'"[^"\n]*"|#[^\n]*|(?!\d)\w+')


@attrs.frozen(eq=False)
class Local:
    """A variable bound inside an expression (`alle x i …`) or a definition's parameter."""

    name: str
    binder: n.Node  # compared by identity: two quantifiers over `x` are different variables

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Local) and other.name == self.name and other.binder is self.binder

    def __hash__(self) -> int:
        return hash((self.name, id(self.binder)))


Target = Key | Local


@attrs.frozen
class Occurrence:
    path: str
    start: int  # character offsets into the file's text
    end: int
    target: Target
    declaration: bool  # the place the element is declared, not a use of it
    node: Any  # the node the name belongs to


class Index:
    """The elements of a policy (the folder's files and the version they amend) and every place
    that names one."""

    def __init__(self, modules: tuple[n.Module, ...], model: Model | None):
        self.modules = modules
        self.model = model
        self.sources = {m.path: m.source for m in modules}
        self.decls: dict[Key, Any] = {}
        self.members: dict[str, n.EnumDecl] = {}
        self.fields: dict[Key, n.FieldDecl] = {}
        for module in modules:
            for decl in module.decls:
                if isinstance(decl, n.Removal):
                    continue
                self.decls.setdefault(key_of(decl), decl)
                if isinstance(decl, n.EnumDecl):
                    for member in decl.members:
                        self.members.setdefault(member, decl)
                if isinstance(decl, n.RecordDecl):
                    for f in decl.fields:
                        self.fields.setdefault(Key(FIELD, f"{decl.name}.{f.name}"), f)
        found = [o for module in modules for o in _occurrences(self, module)]
        self.occurrences = sorted(found, key=lambda o: (o.path, o.start))

    # ---- questions a position asks
    def at(self, path: str, offset: int) -> Occurrence | None:
        """The name under the cursor (or just after it, as an editor's cursor sits at a word's end)."""
        found = [o for o in self.occurrences if o.path == path and o.start <= offset <= o.end]
        return min(found, key=lambda o: o.end - o.start, default=None)

    def definition(self, target: Target) -> Occurrence | None:
        return next((o for o in self.occurrences if o.declaration and o.target == target), None)

    def references(self, target: Target, include_declaration: bool) -> list[Occurrence]:
        return [o for o in self.occurrences if o.target == target and (include_declaration or not o.declaration)]

    # ---- resolving a name the way the checker does
    def resolve(self, name: str, binders: tuple[Any, ...]) -> Target | None:
        for binder in reversed(binders):
            if name in _bound_by(binder):
                return Local(name, binder)
        for kind in _LOOKUP:
            if key(kind, name) in self.decls:
                return key(kind, name)
        if name in self.members:
            return Key(MEMBER, name)
        if name in BUILTINS or name == "beslutningsdato":
            return Key(BUILTIN, name)
        return None

    def target_of_name(self, node: Any, binders: tuple[Any, ...]) -> Target | None:
        ref = self.model.ref_of(node) if self.model is not None else None
        if ref is None or ref.kind == RefKind.LOCAL:
            return self.resolve(node.name, binders)
        if ref.kind == RefKind.MEMBER:
            return Key(MEMBER, ref.name)
        if ref.kind == RefKind.BUILTIN:
            return Key(BUILTIN, ref.name)
        return key(_DECLARED_BY[ref.kind], ref.name)

    # ---- what a person reads about a target
    def hover(self, occurrence: Occurrence) -> str:
        """Markdown in Danish: what the element is, its citations and quoted text, its notes."""
        target = occurrence.target
        if isinstance(target, Local):
            return f"**lokal variabel** `{target.name}`" + self._type_line(occurrence.node)
        if target.kind == BUILTIN:
            builtin = BUILTINS.get(target.name)
            text = builtin.description if builtin else "beslutningsdatoen: den dag, beslutningen træffes for"
            return f"**indbygget** `{target.name}`\n\n{text}"
        if target.kind == MEMBER:
            enum = self.members[target.name]
            return f"**værdi** `{target.name}` af valg `{enum.name}`"
        if target.kind == FIELD:
            f = self.fields[target]
            return "\n\n".join([f"**felt {target.name}**", f"Type: `{type_text(f.type)}`", *map(_note, f.notes)])
        decl = self.decls.get(target)
        if decl is None:
            return f"`{target}` er ikke erklæret"
        typed = isinstance(getattr(decl, "type", None), n.Node)  # its declared type is shown already
        return "\n\n".join(describe(decl)) + ("" if typed else self._type_line(occurrence.node))

    def field_of(self, node: n.Field) -> Key | None:
        """The record field `x.felt` reads, known from the checked type of `x`."""
        if self.model is None:
            return None
        record = self.model.type_of(node.obj)
        if not isinstance(record, t.Record) or record.name is None:
            return None
        found = Key(FIELD, f"{record.name}.{node.name}")
        return found if found in self.fields else None

    def _type_line(self, node: Any) -> str:
        if self.model is None or not isinstance(node, n.Name | n.Call):
            return ""
        ref = self.model.ref_of(node)
        return f"\n\nType: `{ref.type}`" if ref is not None else ""


def describe(decl: Any) -> list[str]:
    """The paragraphs of a declaration's hover: heading, title, type, citations, values, notes."""
    head = f"**{key_of(decl)}**" if not isinstance(decl, n.Policy) else f"**politik {decl.name}**"
    parts = [head]
    meta = getattr(decl, "meta", None)
    title = getattr(decl, "title", None) or (meta.title if meta else None)
    if title:
        parts.append(f"*{title}*")
    typ = getattr(decl, "type", None)
    if isinstance(typ, n.TName | n.TList | n.TMap | n.TOptional | n.TInt):
        parts.append(f"Type: `{type_text(typ)}`")
    citations = list(meta.citations) if meta else []
    if isinstance(decl, n.Removal):
        citations.append(decl.citation)
    parts += [_citation(c) for c in citations]
    for value in getattr(decl, "values", ()):  # a parameter's values over time
        line = f"Fra {value.start}: `{expr_text(value.value)}`"
        if value.citation is not None:
            line += "  \n" + _citation(value.citation)
        parts.append(line)
        parts += [_note(x) for x in value.notes]
    notes = meta.notes if meta else getattr(decl, "notes", ())
    parts += [_note(x) for x in notes]
    return parts


def _citation(c: n.Citation) -> str:
    text = f"Kilde: {c.source}"
    return text + (f"  \n> «{c.quote}»" if c.quote else "")


def _note(text: str) -> str:
    return f"Fortolkning: _{text}_"


# ---------------------------------------------------------------- the occurrences of one file


def _occurrences(index: Index, module: n.Module) -> Iterator[Occurrence]:
    source = module.source
    for decl in module.decls:
        yield from _declared(index, module.path, source, decl)
        stack: list[tuple[Any, tuple[Any, ...]]] = [(decl, (decl,) if isinstance(decl, n.Definition) else ())]
        while stack:
            node, binders = stack.pop()
            yield from _used(index, module.path, source, node, binders)
            inner = (*binders, node) if isinstance(node, _BINDERS) else binders
            outside = getattr(node, "coll", None)  # a binder's collection is read outside the binding
            stack += [(child, binders if child is outside else inner) for child in node.children()]


def _declared(index: Index, path: str, source: str, decl: Any) -> Iterator[Occurrence]:
    """The name of the declaration itself, and the names in its head that refer to others."""
    words = _words(source, decl.span)
    if isinstance(decl, n.Removal):
        target = key(decl.target_kind, decl.name)
        if decl.target_kind == "regel" and "." in decl.name:
            yield from _find(words, path, decl.name.split(".")[-1], target, False, decl)
        else:
            yield from _find(words, path, decl.name, target, False, decl)
        return
    if isinstance(decl, n.Rule | n.SlotException):
        owner = key("beslutning", decl.target) if isinstance(decl, n.Rule) else key("hjul", decl.wheel)
        label, owner_at = (words[2:3], words[1:2]) if isinstance(decl, n.Rule) else (words[1:2], words[2:])
        yield from _find(label, path, decl.label, key_of(decl), True, decl)
        yield from _find(owner_at, path, owner.name, owner, False, decl)
        if isinstance(decl, n.Rule) and decl.exception_to:
            other = key("regel", f"{decl.target}.{decl.exception_to}")
            yield from _find(words[3:], path, decl.exception_to, other, False, decl)
        return
    yield from _find(words[1:], path, decl.name, key_of(decl), True, decl)
    if isinstance(decl, n.EnumDecl):
        for member in decl.members:
            yield from _find(words[2:], path, member, Key(MEMBER, member), True, decl, quoted=True)
    if isinstance(decl, n.RecordDecl):
        for f in decl.fields:
            field = Key(FIELD, f"{decl.name}.{f.name}")
            yield Occurrence(path, f.span.start, f.span.start + len(f.name), field, True, f)
    if isinstance(decl, n.Wheel):
        yield from _find(words[2:], path, decl.letting_type, key("valg", decl.letting_type), False, decl)
    if isinstance(decl, n.Definition):
        for param in decl.params:
            yield from _find([(param.span.start, param.name)], path, param.name, Local(param.name, decl), True, param)


def _used(index: Index, path: str, source: str, node: Any, binders: tuple[Any, ...]) -> Iterator[Occurrence]:
    """A use of a name inside a declaration's body."""
    if isinstance(node, n.Name | n.Call):
        target = index.target_of_name(node, binders)
        if target is not None:
            yield Occurrence(path, node.span.start, node.span.start + len(node.name), target, False, node)
    elif isinstance(node, n.Field):
        field = index.field_of(node)
        if field is not None:
            yield Occurrence(path, node.span.end - len(node.name), node.span.end, field, False, node)
    elif isinstance(node, n.TName):
        for kind in ("post", "valg"):
            if key(kind, node.name) in index.decls:
                yield Occurrence(path, node.span.start, node.span.end, key(kind, node.name), False, node)
    elif isinstance(node, n.Letting):
        yield Occurrence(
            path, node.span.start, node.span.start + len(node.member), Key(MEMBER, node.member), False, node
        )
    elif isinstance(node, _BINDERS):
        words = _words(source, node.span)
        yield from _find(words[1:2], path, node.var, Local(node.var, node), True, node)


def _words(source: str, span: n.Span) -> list[tuple[int, str]]:
    """The words and quoted texts of a node's source, with their offsets (comments left out)."""
    text = source[span.start : span.end]
    return [(span.start + m.start(), m.group()) for m in _TOKEN.finditer(text) if not m.group().startswith("#")]


def _find(
    words: list[tuple[int, str]],
    path: str,
    name: str,
    target: Target,
    declaration: bool,
    node: Any,
    quoted: bool = False,
) -> Iterator[Occurrence]:
    """The first word spelling `name` (or, for an enumeration member, the quoted text of it)."""
    for start, word in words:
        if word == name:
            yield Occurrence(path, start, start + len(word), target, declaration, node)
            return
        if quoted and word == f'"{name}"':
            yield Occurrence(path, start + 1, start + 1 + len(name), target, declaration, node)
            return


def _bound_by(binder: Any) -> set[str]:
    if isinstance(binder, n.Definition):
        return {p.name for p in binder.params}
    return {binder.var}
