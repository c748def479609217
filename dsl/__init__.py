"""The almen policy language: parse (source → nodes), check (nodes → Model), diagnostics."""

from __future__ import annotations

from pathlib import Path

from almen.dsl import names, versions
from almen.dsl.check import Model, check
from almen.dsl.diagnostics import AlmenError, Diagnostic, PolicyError, source_line
from almen.dsl.i18n import _
from almen.dsl.nodes import Module, Policy, Span


def parse(source: str, path: str = "<tekst>") -> Module:
    """Parse one policy file (see `almen.dsl.parser.parse`). Lark is imported on first use, so
    a policy loaded from the model cache starts without it."""
    from almen.dsl.parser import parse as parse_source

    return parse_source(source, path)


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
                        _("this file is a link that leads outside the policy's collection"),
                        _("copy the file into the policy's folder"),
                    )
                ]
            )
    if not files or not all(f.is_file() for f in files):
        raise PolicyError([Diagnostic(_nowhere(str(path)), _("no .almen files at {0}").format(path))])
    modules = []
    for f in files:
        try:
            source = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise PolicyError([Diagnostic(_nowhere(str(f)), _("cannot read the file: {0}").format(e))]) from None
        modules.append(parse(source, str(f)))
    return on_predecessor(path, modules, root, depth)


def on_predecessor(path: Path, modules: list[Module], root: Path, depth: int = 0) -> list[Module]:
    """A version's modules applied to the version it amends, if it amends one (which is read
    from the same collection); the editor calls this with the files it has open."""
    header = next((d for m in modules for d in m.decls if isinstance(d, Policy)), None)
    if header is None:
        return modules
    source = next(m.source for m in modules if m.path == header.span.path)
    versions.check_supersedes(header, root, source)
    if header.amends is None:
        return modules
    if depth >= versions.MAX_DEPTH:
        raise PolicyError([Diagnostic(header.span, _("amendments go round in a circle (or more than 20 deep)"))])
    base = versions.base_path(path, header, root, source)
    if not base.exists():
        raise PolicyError([Diagnostic(header.span, _("the version this one amends is not at {0}").format(base))])
    return versions.amend(load_modules(base, root, depth + 1), modules)


def _nowhere(path: str) -> Span:
    return Span(path, 1, 1, 1, 2, 0, 0)
