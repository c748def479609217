"""One policy folder as the editor sees it: every `.almen` file of the folder, the unsaved text
of the open ones in place of what is on disk, parsed, applied to the version it amends and
checked — the same stages as `almen check`, so the editor shows the errors the command would.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import attrs

from almen import dsl
from almen.dsl import nodes as n
from almen.dsl import versions
from almen.dsl.check import Model, check
from almen.dsl.diagnostics import Diagnostic, PolicyError
from almen.dsl.i18n import _


@attrs.frozen
class Analysis:
    """What is known about a folder after one round of parse and check."""

    folder: Path
    paths: tuple[str, ...]  # the folder's own files, whether or not they have errors
    modules: tuple[n.Module, ...]  # the model's trees, or those that parsed when the check failed
    model: Model | None  # None while the folder has errors
    diagnostics: tuple[Diagnostic, ...]

    def module(self, path: str) -> n.Module | None:
        return next((m for m in self.modules if m.path == path), None)


def files_of(folder: Path, texts: Mapping[str, str]) -> list[str]:
    """The folder's policy files: those on disk and those only open in the editor, in name order."""
    on_disk = {str(p) for p in dsl.policy_files(folder) if p.is_file()} if folder.is_dir() else set()
    unsaved = {p for p in texts if Path(p).parent == folder and p.endswith(".almen")}
    return sorted(on_disk | unsaved, key=lambda p: Path(p).name)


def analyse(folder: Path, texts: Mapping[str, str]) -> Analysis:
    """Parse and check the policy in `folder`; `texts` (path → text) overrides the disk."""
    paths = files_of(folder, texts)
    parsed: list[n.Module] = []
    problems: list[Diagnostic] = []
    for path in paths:
        try:
            parsed.append(dsl.parse(_text(path, texts), path))
        except PolicyError as e:
            problems += e.diagnostics
        except (OSError, UnicodeDecodeError) as e:
            problems.append(Diagnostic(n.Span(path, 1, 1, 1, 2, 0, 0), _("cannot read the file: {0}").format(e)))
    if problems:
        return Analysis(folder, tuple(paths), tuple(parsed), None, tuple(problems))
    try:
        modules = _amended(folder, parsed)
    except PolicyError as e:
        return Analysis(folder, tuple(paths), tuple(parsed), None, e.diagnostics)
    try:
        model = check(modules)
    except PolicyError as e:
        return Analysis(folder, tuple(paths), tuple(modules), None, e.diagnostics)
    return Analysis(folder, tuple(paths), model.modules, model, ())


def _text(path: str, texts: Mapping[str, str]) -> str:
    if path in texts:
        return texts[path]
    return Path(path).read_text(encoding="utf-8")


def _amended(folder: Path, modules: list[n.Module]) -> list[n.Module]:
    """The folder's modules on top of the version it amends (read from disk), if it amends one."""
    return dsl.on_predecessor(folder, modules, versions.collection(folder))
