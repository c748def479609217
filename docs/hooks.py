"""MkDocs hook: render every policy under policies/ into docs/politikker/ before the build.

Each directory that holds .almen files (policies/<kommune>/<version>/) is rendered with
`almen.interpreter.tools.render.render_policy` into docs/politikker/<kommune>/<version>/, with a page of
numbered source lines per file so that every element can link its file and line. The pages
are added to the navigation under the entry "Politikker". Files are rewritten only when their
text changes, and pages of policies that no longer exist are removed, so `mkdocs serve` does
not rebuild in a loop. The generated pages are not committed (docs/politikker/.gitignore).

When `almen docs POLICY --out DIR` exists, this hook does the same as running it per policy.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the mkdocs script does not run from the repository

from almen import dsl  # noqa: E402
from almen.interpreter.tools.render import render_policy  # noqa: E402

OUT = "politikker"
NAV_ENTRY = "Politikker"


def policy_dirs(root: Path = ROOT) -> list[Path]:
    """Every directory under policies/ that holds .almen files, in name order."""
    base = root / "policies"
    return sorted({p.parent for p in base.rglob("*.almen")}) if base.is_dir() else []


def render_all(docs_dir: Path, root: Path = ROOT) -> list[Any]:
    """Render every policy into docs_dir/politikker; return the navigation for them."""
    out = docs_dir / OUT
    wanted: dict[Path, bytes] = {}
    nav: list[Any] = [f"{OUT}/index.md"]
    overview = [
        "# Politikker",
        "",
        "Hver politik er gengivet fra sine .almen-filer, når dokumentationen bygges: et forsideark med aftalens "
        "hoved og indhold, én side pr. fil i aftalens rækkefølge, alle fortolkninger samlet, og kildeteksten "
        "med linjenumre.",
        "",
        "| kommune | version | aftale | gyldig |",
        "|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for policy in policy_dirs(root):
            rel = policy.relative_to(root / "policies")
            header = dsl.load(policy).policy
            stage = Path(tmp) / rel
            written = render_policy(policy, stage, source_pages=True)
            pages = [f"{OUT}/{rel.as_posix()}/{p.relative_to(stage).as_posix()}" for p in written]
            for page, p in zip(pages, written, strict=True):
                wanted[docs_dir / page] = p.read_bytes()
            municipality = (header.municipality if header else None) or rel.parts[0]
            version = (header.version if header else None) or rel.name
            title = (header.title if header else None) or str(rel)
            valid = f"{header.valid_from} – {header.valid_to}" if header and header.valid_from else ""
            overview.append(f"| {municipality} | {version} | [{title}]({rel.as_posix()}/index.md) | {valid} |")
            sources = [p for p in pages if "/kilde/" in p]
            main = [p for p in pages if "/kilde/" not in p]
            named = [{_h1(wanted[docs_dir / p]).removeprefix("Kildetekst: "): p} for p in sources]
            nav.append({f"{municipality} {version}": [*main, {"Kildetekst": named}]})
    if len(overview) == 6:
        overview.append("| – | – | ingen politikker under policies/ | |")
    wanted[out / "index.md"] = ("\n".join(overview) + "\n").encode("utf-8")
    for path, data in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
    for stale in sorted(out.rglob("*.md"), reverse=True):
        if stale not in wanted:
            stale.unlink()
    for folder in sorted((p for p in out.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return nav


def _h1(page: bytes) -> str:
    first = page.decode("utf-8").split("\n", 1)[0]
    return first.removeprefix("# ").replace("\\", "")


def _register_lexer() -> None:
    """Highlight ```almen blocks even when almen is not installed with its Pygments entry point."""
    from pygments import lexers
    from pygments.util import ClassNotFound

    try:
        lexers.get_lexer_by_name("almen")
    except ClassNotFound:
        from almen.dsl.highlight import AlmenLexer

        lexers.LEXERS["AlmenLexer"] = ("almen.dsl.highlight", "almen", ("almen",), ("*.almen",), ("text/x-almen",))
        lexers._lexer_cache[AlmenLexer.name] = AlmenLexer


def diff_pages(docs_dir: Path) -> list[str]:
    """The diff pages another step writes into docs/diffs/ (`almen diff … --format markdown`)."""
    folder = docs_dir / "diffs"
    return [f"diffs/{p.name}" for p in sorted(folder.glob("*.md"))] if folder.is_dir() else []


def on_config(config: Any) -> Any:
    _register_lexer()
    docs_dir = Path(config["docs_dir"])
    generated = render_all(docs_dir)
    diffs = diff_pages(docs_dir)
    nav = config.get("nav")
    if nav:
        for i, item in enumerate(nav):
            if isinstance(item, dict) and NAV_ENTRY in item:
                nav[i] = {NAV_ENTRY: generated}
                if diffs:
                    nav.insert(i + 1, {"Diffs": [{_title(docs_dir / d, d): d} for d in diffs]})
                break
    return config


def _title(path: Path, default: str) -> str:
    """A page's first level-1 heading (a diff page starts with a note, then its heading)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((line[2:].strip() for line in lines if line.startswith("# ")), default)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill the `<!-- diffs -->` marker with links to the diff pages that exist."""
    if "<!-- diffs -->" not in markdown:
        return markdown
    docs_dir = Path(config["docs_dir"])
    depth = "../" * page.file.src_uri.count("/")
    items = [f"- [{_title(docs_dir / rel, rel)}]({depth}{rel})" for rel in diff_pages(docs_dir)]
    listing = "\n".join(items) if items else "*No diff pages have been generated yet.*"
    return markdown.replace("<!-- diffs -->", listing)
