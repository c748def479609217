"""A policy as a readable Markdown document: an index page and one page per .almen file.

Every declaration is shown in file order (the agreement's order) with its heading, citations,
quoted phrases, interpretation notes (marked as such), its rule in readable form, decision
tables as Markdown tables, letting wheels as pictures (SVG) with exact shares and the slots as
a table, schedules as timelines, and a link to the line of the .almen file it comes from.

The output is deterministic: the same policy files give the same bytes. Numbers are the
formatter's exact text; nothing passes through a float.

Modules: `site` (pages, links, the notes register), `pages` (the index, file and source pages),
`declarations`, `tables` and `wheels` (one kind of element each), `markup` and `source`
(Markdown text, and what is read from a file besides its declarations).
"""

from __future__ import annotations

from pathlib import Path

from almen import dsl
from almen.dsl.check import Model
from almen.interpreter.tools.render.pages import Document
from almen.interpreter.tools.render.site import Site

__all__ = ["render_model", "render_policy"]


def render_policy(path: str | Path, out_dir: str | Path, *, source_pages: bool = False) -> list[Path]:
    """Write the policy at `path` as Markdown into `out_dir`; return the files written, in order.

    Links to the source point at the .almen files themselves (relative to `out_dir`, with a
    GitHub-style `#L41` line anchor). With `source_pages=True` (for a static site, where the
    .almen files are not published) each file is also written as a page `kilde/<navn>.md` with
    numbered lines, and the links point there instead.
    """
    model = dsl.load(path)
    return render_model(model, Path(path), Path(out_dir), source_pages=source_pages)


def render_model(model: Model, path: Path, out_dir: Path, *, source_pages: bool = False) -> list[Path]:
    doc = Document(Site(model, path, out_dir, source_pages))
    written = []
    for name, text in doc.pages():
        target = out_dir / name
        _write(target, text)
        written.append(target)
    return written


def _write(target: Path, text: str) -> None:
    """Write only when the text changed, so a watching server does not rebuild for nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    if not target.is_file() or target.read_bytes() != data:
        target.write_bytes(data)
