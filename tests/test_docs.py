"""The documentation runs: a doc that drifts from the code fails here.

For every docs/*.md, its fenced code blocks are taken in order:

- ```python: executed from the repository root; must not raise (the blocks assert what they show).
- ```console: lines starting with `$ ` are commands, the lines after one are its expected output.
  Every shown line must appear in the actual output (stdout and stderr), in order; a line that is
  only `…` stands for lines left out, and `…` inside a line for any text.
- ```sh: every line is a command, without output.
- A command starting with `almen ` runs through `almen.interpreter.cli.main` (split with shlex) and must
  exit 0, or the code a trailing comment gives (`almen check udkast  # exit 1`). `cp` lines run
  too (a copy in the working directory); other commands (installs, mkdocs) are not run.
- ```diff with a `--- path` header: applied to that file (each `-` line is replaced by the
  matching `+` line), as the reader is told to edit it.
- ```json title="name": written to that file, as the reader is told to save it.
- ```almen: must parse with dsl.parse, unless its first line is the comment `# udsnit` (a fragment).

Commands run in a scratch directory per document, in which `policies`, `examples`, `tests` and
`docs` point at the repository's, so a tutorial's copies and edits never touch the repository.

A last test builds the site with `mkdocs build --strict` when mkdocs (and its Material theme) is
installed; `pip install mkdocs mkdocs-material` (the `docs` extra) to run it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from almen import dsl
from almen.interpreter.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOC_FILES = sorted(DOCS.glob("*.md"))

FENCE = re.compile(
    r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)(?P=fence) *$", re.M | re.S
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@attrs.frozen
class Block:
    doc: str
    line: int
    lang: str
    info: str
    body: str

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"

    def attribute(self, name: str) -> str | None:
        m = re.search(rf'{name}="([^"]*)"', self.info)
        return m.group(1) if m else None


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for m in FENCE.finditer(text):
        info = m.group("info").strip()
        lang = info.split()[0].strip("{.") if info else ""
        body = "\n".join(line[len(m.group("indent")) :] for line in m.group("body").split("\n"))
        found.append(Block(path.name, text.count("\n", 0, m.start()) + 1, lang, info, body))
    return found


def test_docs_exist() -> None:
    names = {p.name for p in DOC_FILES}
    assert {"index.md", "tutorial.md", "reference.md", "embedding.md", "negotiators.md"} <= names
    for p in DOC_FILES:
        assert blocks(p), f"{p.name} has no code blocks"


# ---------------------------------------------------------------- almen blocks


ALMEN = [(b.where, b) for p in DOC_FILES for b in blocks(p) if b.lang == "almen"]


@pytest.mark.parametrize(("where", "block"), ALMEN, ids=[w for w, _ in ALMEN])
def test_almen_blocks_parse(where: str, block: Block) -> None:
    if block.body.lstrip().startswith("# udsnit"):
        pytest.skip("a fragment")
    dsl.parse(block.body, f"docs/{where}")


# ---------------------------------------------------------------- python blocks


PYTHON = [(p.name, p) for p in DOC_FILES if any(b.lang == "python" for b in blocks(p))]


@pytest.mark.parametrize(("name", "path"), PYTHON, ids=[n for n, _ in PYTHON])
def test_python_blocks_run(name: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The blocks of one page run in order in one namespace, as a reader would paste them."""
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    for block in blocks(path):
        if block.lang != "python":
            continue
        try:
            exec(compile(block.body, f"docs/{block.where}", "exec"), namespace)
        except Exception as e:
            raise AssertionError(f"the python block at docs/{block.where} raised {e!r}") from e


# ---------------------------------------------------------------- shell sessions


def _exit_code(command: str) -> tuple[str, int]:
    m = re.search(r"#\s*exit\s+(\d+)\s*$", command)
    expected = int(m.group(1)) if m else 0
    return command, expected


def _run_almen(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse's usage errors
            code = e.code if isinstance(e.code, int) else 2
    return int(code or 0), ANSI.sub("", out.getvalue() + err.getvalue())


def _matches(expected: str, actual: str) -> bool:
    parts = [p.strip() for p in expected.strip().split("…")]
    position = 0
    for part in parts:
        found = actual.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _check_output(where: str, command: str, expected: list[str], actual: str) -> None:
    lines = actual.splitlines()
    i = 0
    for want in expected:
        if not want.strip() or want.strip() == "…":
            continue
        while i < len(lines) and not _matches(want, lines[i]):
            i += 1
        if i == len(lines):
            raise AssertionError(
                f"docs/{where}: `{command}` did not print (in this order):\n  {want.strip()}\nits output was:\n{actual}"
            )
        i += 1


def _run(where: str, command: str, expected: list[str], workdir: Path) -> None:
    command, code = _exit_code(command)
    argv = shlex.split(command, comments=True)
    if not argv:
        return
    if argv[0] == "cp":
        sources, target = [a for a in argv[1:-1] if not a.startswith("-")], workdir / argv[-1]
        for source in sources:
            if (workdir / source).is_dir():
                shutil.copytree(workdir / source, target, symlinks=False)
            else:
                shutil.copy(workdir / source, target)
        return
    if argv[0] != "almen":
        return  # installs and other tools are not run here
    actual_code, output = _run_almen(argv[1:])
    assert actual_code == code, f"docs/{where}: `{command}` exited {actual_code}, not {code}:\n{output}"
    _check_output(where, command, expected, output)


def _apply_diff(block: Block, workdir: Path) -> None:
    lines = block.body.split("\n")
    target = next((line[4:].strip() for line in lines if line.startswith("--- ")), None)
    assert target, f"docs/{block.where}: a diff block needs a '--- path' line"
    path = workdir / target
    text = path.read_text(encoding="utf-8")
    removed = [line[1:] for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")]
    assert len(removed) == len(added), f"docs/{block.where}: pair every '-' line with a '+' line"
    for old, new in zip(removed, added, strict=True):
        assert text.count(old + "\n") == 1, f"docs/{block.where}: '{old.strip()}' is not once in {target}"
        text = text.replace(old + "\n", new + "\n")
    path.write_text(text, encoding="utf-8")


SESSIONS = [(p.name, p) for p in DOC_FILES]


@pytest.mark.parametrize(("name", "path"), SESSIONS, ids=[n for n, _ in SESSIONS])
def test_commands_run_as_shown(name: str, path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for entry in ("policies", "examples", "tests", "docs"):
        os.symlink(ROOT / entry, tmp_path / entry)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("ALMEN_LANG")  # the docs show what a person sees: the default language, Danish
    ran = 0
    for block in blocks(path):
        if block.lang == "json" and block.attribute("title"):
            (tmp_path / str(block.attribute("title"))).write_text(block.body, encoding="utf-8")
        elif block.lang == "diff":
            _apply_diff(block, tmp_path)
        elif block.lang == "console":
            command: str | None = None
            expected: list[str] = []
            for line in [*block.body.split("\n"), "$ "]:
                if line.startswith("$ ") or line == "$":
                    if command is not None:
                        _run(block.where, command, expected, tmp_path)
                        ran += 1
                    command, expected = line[2:].strip(), []
                else:
                    expected.append(line)
        elif block.lang == "sh":
            for line in block.body.split("\n"):
                if line.strip() and not line.lstrip().startswith("#"):
                    _run(block.where, line.strip(), [], tmp_path)
                    ran += 1
    del ran  # a page may show no command


# ---------------------------------------------------------------- the site


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="mkdocs and mkdocs-material are not installed (pip install mkdocs mkdocs-material)",
)
def test_site_builds_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    site = tmp_path / "site"
    for page in ("index.html", "tutorial/index.html", "reference/index.html", "politikker/index.html"):
        assert (site / page).is_file(), page
    rendered = site / "politikker" / "koebenhavn" / "2024-2027" / "06_hjul" / "index.html"
    html = rendered.read_text(encoding="utf-8")
    assert "afdelingstrappe_trin_1" in html and "plads 9" in html
