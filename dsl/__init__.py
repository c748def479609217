"""The almen policy language: parse (source → nodes), check (nodes → Model), diagnostics."""

from __future__ import annotations

from pathlib import Path

from almen.dsl import versions
from almen.dsl.check import Model, check
from almen.dsl.diagnostics import AlmenError, Diagnostic, PolicyError
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
    """Parse and check every file of a policy, applying it to its predecessor if it amends one."""
    return check(load_modules(Path(path)))


def load_modules(path: Path, depth: int = 0) -> list[Module]:
    files = policy_files(path)
    if not files or not all(f.is_file() for f in files):
        raise PolicyError([Diagnostic(_nowhere(str(path)), _("no .almen files at {0}").format(path))])
    modules = []
    for f in files:
        try:
            source = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise PolicyError([Diagnostic(_nowhere(str(f)), _("cannot read the file: {0}").format(e))]) from None
        modules.append(parse(source, str(f)))
    header = next((d for m in modules for d in m.decls if isinstance(d, Policy)), None)
    if header is None or header.amends is None:
        return modules
    if depth >= versions.MAX_DEPTH:
        raise PolicyError([Diagnostic(header.span, _("amendments go round in a circle (or more than 20 deep)"))])
    base = versions.base_path(path, header)
    if not base.exists():
        raise PolicyError([Diagnostic(header.span, _("the version this one amends is not at {0}").format(base))])
    return versions.amend(load_modules(base, depth + 1), modules)


def _nowhere(path: str) -> Span:
    return Span(path, 1, 1, 1, 2, 0, 0)
