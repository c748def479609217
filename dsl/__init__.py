"""The almen policy language: parse (source → nodes), check (nodes → Model), diagnostics."""

from __future__ import annotations

from pathlib import Path

from almen.dsl import names, versions
from almen.dsl.check import Model, check
from almen.dsl.diagnostics import AlmenError, Diagnostic, PolicyError, source_line
from almen.dsl.nodes import Module, Policy, Span
from almen.dsl.parser import parse

__all__ = ["AlmenError", "Diagnostic", "Model", "Module", "PolicyError", "check", "load", "parse", "policy_files"]


def policy_files(path: str | Path) -> list[Path]:
    """The .almen files of a policy: a directory's, in name order, or the one file given."""
    p = Path(path)
    if p.is_dir():
        return sorted(p.glob("*.almen"))
    return [p]


def load(path: str | Path) -> Model:
    """Parse and check every file of a policy, applying it to its predecessor if it amends one.
    Nothing outside the policy's collection (`versions.collection`) is read."""
    p = Path(path)
    modules = load_modules(p, versions.collection(p))
    _check_names(modules)
    return check(modules)


def _check_names(modules: list[Module]) -> None:
    """Look-alike names across files (within one file the parser has refused them already)."""
    if all(names.plain(m.source) for m in modules):
        return
    sources = {m.path: m.source for m in modules}
    places = [
        (name, node.span)
        for m in modules
        for node in m.walk()
        if isinstance(name := getattr(node, "name", None), str) and hasattr(node, "span")
    ]
    found = names.problems(places, lambda span: source_line(sources.get(span.path, ""), span.line))
    if found:
        raise PolicyError(found)


def load_modules(path: Path, root: Path, depth: int = 0) -> list[Module]:
    files = policy_files(path)
    for f in files:
        if not versions.inside(f, root):
            # said before anything is opened: whether the file beyond exists stays unsaid
            raise PolicyError(
                [
                    Diagnostic(
                        _nowhere(str(f)),
                        "this file is a link that leads outside the policy's collection",
                        "copy the file into the policy's folder",
                    )
                ]
            )
    if not files or not all(f.is_file() for f in files):
        raise PolicyError([Diagnostic(_nowhere(str(path)), f"no .almen files at {path}")])
    modules = []
    for f in files:
        try:
            source = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise PolicyError([Diagnostic(_nowhere(str(f)), f"cannot read the file: {e}")]) from None
        modules.append(parse(source, str(f)))
    header = next((d for m in modules for d in m.decls if isinstance(d, Policy)), None)
    if header is None:
        return modules
    source = next(m.source for m in modules if m.path == header.span.path)
    versions.check_supersedes(header, root, source)
    if header.amends is None:
        return modules
    if depth >= versions.MAX_DEPTH:
        raise PolicyError([Diagnostic(header.span, "amendments go round in a circle (or more than 20 deep)")])
    base = versions.base_path(path, header, root, source)
    if not base.exists():
        raise PolicyError([Diagnostic(header.span, f"the version this one amends is not at {base}")])
    return versions.amend(load_modules(base, root, depth + 1), modules)


def _nowhere(path: str) -> Span:
    return Span(path, 1, 1, 1, 2, 0, 0)
