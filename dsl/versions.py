"""A new version as amendments on top of its predecessor (`ændrer "../2024-2027"`).

Elements are matched by their stable identity (`identity.key_of`: kind and name): an amending
file's element replaces the
predecessor's element of the same name, `fjern` removes one, anything else is added. A
parameter's dated values merge: the amendment's values replace those of the same start date
and add new ones, as OpenFisca reforms do. Both forms load into the same syntax trees.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from almen.dsl import nodes as n
from almen.dsl.diagnostics import Diagnostic, PolicyError, source_line
from almen.dsl.i18n import _
from almen.dsl.identity import HEADER, key_of, removal_key

MAX_DEPTH = 20  # a chain of amendments longer than this is a loop or a mistake
_EXAMPLE = {"ændrer": "../2024-2027", "afløser": "2019-2023"}  # relative to the policy's folder, the collection


def collection(policy_path: Path) -> Path:
    """The folder a policy's versions live in (policies/<kommune>): the parent of the policy's
    folder, symlinks resolved. A policy reads nothing outside it: its own files, the version it
    amends (`ændrer "../2024-2027"`) and the one it names as superseded must all lie inside."""
    folder = policy_path if policy_path.is_dir() else policy_path.parent
    return folder.resolve().parent


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, every symlink followed, lies in `root`; nothing is read or opened."""
    return path.resolve().is_relative_to(root)


def base_path(policy_path: Path, header: n.Policy, root: Path, source: str) -> Path:
    """The folder (or file) of the version `header` amends, refused before it is looked at if it
    lies outside the collection: the error neither quotes it nor tells whether it exists."""
    assert header.amends is not None
    folder = policy_path if policy_path.is_dir() else policy_path.parent
    _confine(header, root, source, "ændrer", folder / header.amends)
    return (folder / header.amends).resolve()


def check_supersedes(header: n.Policy, root: Path, source: str) -> None:
    """`afløser` names a version of the same collection (it is not read, but it must not point out)."""
    if header.supersedes is not None:
        _confine(header, root, source, "afløser", root / header.supersedes)


def _confine(header: n.Policy, root: Path, source: str, keyword: str, target: Path) -> None:
    if inside(target, root):
        return
    span = _keyword_span(header, source, keyword)
    raise PolicyError(
        [
            Diagnostic(
                span,
                _(
                    "'{0}' must name a version in this policy's collection (the folder that holds its "
                    "versions); this path leads outside it"
                ).format(keyword),
                _('name a sibling version, e.g. {0} "{1}"').format(keyword, _EXAMPLE[keyword]),
                source_line(source, span.line),
            )
        ]
    )


def _keyword_span(header: n.Policy, source: str, keyword: str) -> n.Span:
    """The header line that says `keyword "…"`, where the header is all the tree remembers."""
    found = re.compile(rf'^[ \t\u00a0]*({keyword})\s*"', re.MULTILINE).search(
        source, header.span.start, header.span.end
    )
    if found is None:
        return header.span
    line = header.span.line + source.count("\n", header.span.start, found.start(1))
    column = found.start(1) - (source.rfind("\n", 0, found.start(1)) + 1) + 1
    return n.Span(header.span.path, line, column, line, column + len(keyword), found.start(1), found.end(1))


def amend(base: list[n.Module], amendment: list[n.Module]) -> list[n.Module]:
    """The predecessor's modules with the amendment applied, followed by the amendment's own."""
    decls = [d for m in amendment for d in m.decls]
    removals = [d for d in decls if isinstance(d, n.Removal)]
    replacing = {key_of(d) for d in decls if not isinstance(d, n.Removal | n.Policy)}
    base_decls = {key_of(d): d for m in base for d in m.decls if not isinstance(d, n.Removal)}
    problems = [
        Diagnostic(
            r.span,
            _("there is no {0} '{1}' in the version this one amends").format(r.target_kind, r.name),
            None,
            _line(amendment, r.span),
        )
        for r in removals
        if removal_key(r) not in base_decls
    ]
    if problems:
        raise PolicyError(problems)
    gone = replacing | {removal_key(r) for r in removals} | {HEADER}
    base_header = base_decls.get(HEADER)
    result = [
        attrs.evolve(m, decls=tuple(d for d in m.decls if key_of(d) not in gone and not isinstance(d, n.Removal)))
        for m in base
    ]
    for m in amendment:
        merged = []
        for d in m.decls:
            old = base_decls.get(key_of(d))
            if isinstance(d, n.ParamDecl) and isinstance(old, n.ParamDecl):
                d = _merge_values(old, d)
            elif isinstance(d, n.Policy) and isinstance(base_header, n.Policy):
                d = _inherit(base_header, d)
            merged.append(d)
        result.append(attrs.evolve(m, decls=tuple(merged)))
    return result


def _merge_values(old: n.ParamDecl, new: n.ParamDecl) -> n.ParamDecl:
    by_date = {v.start: v for v in old.values}
    by_date.update({v.start: v for v in new.values})
    meta = new.meta if new.meta.citations else old.meta
    return attrs.evolve(new, meta=meta, values=tuple(by_date[d] for d in sorted(by_date)))


def _inherit(old: n.Policy, new: n.Policy) -> n.Policy:
    fields = ("title", "municipality", "parties", "document", "month_rule")
    return attrs.evolve(new, **{f: getattr(new, f) or getattr(old, f) for f in fields})


def _line(modules: list[n.Module], span: n.Span) -> str | None:
    for m in modules:
        if m.path == span.path:
            return source_line(m.source, span.line)
    return None
