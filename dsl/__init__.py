"""The almen policy language: parse (source → nodes), check (nodes → Model), diagnostics."""

from __future__ import annotations

from pathlib import Path

from dsl.checker import Model, check
from dsl.diagnostics import AlmenError, Diagnostic, PolicyError
from dsl.nodes import Module
from dsl.parser import parse

__all__ = ["AlmenError", "Diagnostic", "Model", "Module", "PolicyError", "check", "load", "parse", "policy_files"]


def policy_files(path: str | Path) -> list[Path]:
    """The .almen files of a policy: a directory's, in name order, or the one file given."""
    p = Path(path)
    if p.is_dir():
        return sorted(p.glob("*.almen"))
    return [p]


def load(path: str | Path) -> Model:
    """Parse and check every file of a policy."""
    files = policy_files(path)
    if not files:
        raise PolicyError([Diagnostic(_nowhere(str(path)), f"no .almen files in {path}")])
    modules = []
    for f in files:
        try:
            source = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise PolicyError([Diagnostic(_nowhere(str(f)), f"cannot read the file: {e}")]) from None
        modules.append(parse(source, str(f)))
    return check(modules)


def _nowhere(path: str):  # type: ignore[no-untyped-def]
    from dsl.nodes import Span

    return Span(path, 1, 1, 1, 2, 0, 0)
