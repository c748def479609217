"""The rendered policy document (interpreter.render): pages, wheels, tables, notes, links, bytes."""

from __future__ import annotations

import re
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest

from almen import dsl
from almen.dsl import nodes as n
from almen.interpreter.env import Env
from almen.interpreter.tools.render import render_policy

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "policies" / "koebenhavn" / "2024-2027"
SNAPSHOT = Path(tempfile.mkdtemp(prefix="almen-render-")) / "koebenhavn" / "2024-2027"
shutil.copytree(SOURCE, SNAPSHOT)  # one copy for the whole module: the files cannot change under a test
KBH = SNAPSHOT


@pytest.fixture(scope="module")
def model() -> dsl.Model:
    return dsl.load(KBH)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("kbh")
    written = render_policy(KBH, out)
    return {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in written}


def teardown_module() -> None:
    shutil.rmtree(SNAPSHOT.parent.parent, ignore_errors=True)


def plain(markdown: str) -> str:
    """Markdown text as it reads: escapes undone, soft hyphens and word breaks gone."""
    text = re.sub(r"\\(.)", r"\1", markdown)
    return text.replace("&lt;", "<").replace("&shy;", "").replace("<wbr>", "").replace("&nbsp;", " ")


def section(page: str, anchor: str) -> str:
    """The text of one element: from its anchor to the next heading of an element or section."""
    start = page.index(f'<a id="{anchor}"></a>')
    following = re.search(r"^#{2,3} ", page[start:].split("\n", 1)[1], re.MULTILINE)
    body = page[start:].split("\n", 1)[1]
    return body[: following.start()] if following else body


def test_a_page_per_file_and_an_index(rendered: dict[str, str]) -> None:
    files = sorted(p.stem for p in KBH.glob("*.almen"))
    pages = sorted(name.removesuffix(".md") for name in rendered if name not in ("index.md", "fortolkninger.md"))
    assert pages == files
    index = rendered["index.md"]
    assert index.startswith("# Rammeaftale om udlejning og anvisning 2024–2027\n")
    for row in ("| Kommune | Københavns Kommune |", "| Version | 2024-2027 |", "| Afløser | 2019-2023 |"):
        assert row in index
    assert "fra 2024-01-01 til og med 2027-12-31" in index
    for stem in files:
        assert f"]({stem}.md)" in index  # the table of contents links every page


def test_every_wheel_has_nine_slots_per_period(model: dsl.Model, rendered: dict[str, str]) -> None:
    assert model.wheels
    for name, wheel in model.wheels.items():
        page = rendered[Path(wheel.span.path).stem + ".md"]
        text = section(page, f"hjul-{name}")
        header = "| " + " | ".join(f"plads {i}" for i in range(1, 10)) + " |"
        assert text.count(header) == len(wheel.periods), name
        for period in wheel.periods:
            after = text[text.index(f"Periode **{period.label}**, {period.start} – {period.end}:") :]
            lines = after.split("\n")
            row = lines[lines.index(header) + 2]
            cells = row.strip("|").split(" | ")
            assert len(cells) == 9, (name, period.label, row)
            for slot, shown in zip(sorted(period.slots, key=lambda s: s.number), cells, strict=True):
                first = slot.value.first if isinstance(slot.value, n.Alternating) else slot.value
                if isinstance(slot.value, n.Alternating):
                    assert "på skift" in shown and " / " in plain(shown).replace("<br>", " ")
                if isinstance(first.lettings[0], n.Letting):
                    assert first.lettings[0].member.replace("_", " ") in plain(shown)
                if len(first.lettings) > 1:
                    assert "→" in shown  # the fallback chain


def test_shares_are_exact_and_agree_with_the_interpreter(model: dsl.Model, rendered: dict[str, str]) -> None:
    from almen.interpreter import load_policy

    policy = load_policy(KBH)
    page = rendered["06_hjul.md"]
    text = section(page, "hjul-afdelingstrappe_trin_4")
    assert "| 2024-2027 | 0/9 | 15/18 (7/9 + 1/18) | 3/18 (1/9 + 1/18) | 0/9 |" in text  # Figur 9
    checked = 0
    for name, wheel in model.wheels.items():
        if model.slot_exceptions.get(name) or any(
            not isinstance(c.lettings[0], n.Letting)
            for p in wheel.periods
            for s in p.slots
            for c in ([s.value.first, s.value.second] if isinstance(s.value, n.Alternating) else [s.value])
        ):
            continue  # shares that depend on facts: the picture says so instead of a number
        compiled = policy.program.wheels[name]
        wtext = section(rendered[Path(wheel.span.path).stem + ".md"], f"hjul-{name}")
        for period in wheel.periods:
            env = Env(policy.program, {}, period.start, None)
            shares = compiled.shares(env)
            row = next(line for line in wtext.split("\n") if line.startswith(f"| {period.label} | "))
            shown = [c.split(" (")[0] for c in row.strip("| ").split(" | ")[1:]]
            assert [Fraction(s) for s in shown] == list(shares.values()), (name, period.label)
            checked += 1
    assert checked >= 3


def test_every_table_is_a_markdown_table(model: dsl.Model, rendered: dict[str, str]) -> None:
    assert model.tables
    for name, table in model.tables.items():
        page = rendered[Path(table.span.path).stem + ".md"]
        text = section(page, f"tabel-{name}")  # a schedule is anchored by its identity, as a table
        lines = text.split("\n")
        head = next(i for i, line in enumerate(lines) if line.startswith("| række |"))
        assert lines[head + 1].startswith("|---:|")
        rows = [line for line in lines[head + 2 :] if line.startswith("| ")]
        assert len(rows[: len(table.rows)]) == len(table.rows)
        for i, row in enumerate(rows[: len(table.rows)], start=1):
            assert row.startswith(f"| {i} | ")
            assert len(re.split(r"(?<!\\)\|", row.strip())) - 2 == len(table.inputs) + 2
        if not table.schedule:
            assert f"**{table.hit}**" in text  # the hit policy is stated


def test_date_tables_have_a_timeline(rendered: dict[str, str]) -> None:
    text = section(rendered["09_udfasning.md"], "tabel-udfasningsstart")
    timeline = text[text.index("**Tidslinje:**") :]
    dates = re.findall(r"^- \*\*(\d{4}-\d{2}-\d{2})\*\*", timeline, re.MULTILINE)
    assert dates == sorted(dates) and len(dates) == 6


def _all_notes(model: dsl.Model) -> list[str]:
    notes: list[str] = []
    for module in model.modules:
        for d in module.decls:
            notes += getattr(d, "notes", ())
            meta = getattr(d, "meta", None)
            if meta is not None:
                notes += meta.notes
            for f in getattr(d, "fields", ()):
                notes += f.notes
            for v in getattr(d, "values", ()):
                notes += v.notes
            for r in getattr(d, "rows", ()):
                notes += r.notes
            for p in getattr(d, "periods", ()):
                for s in p.slots:
                    notes += s.notes
    return notes


def test_every_interpretation_note_is_shown_as_one(model: dsl.Model, rendered: dict[str, str]) -> None:
    notes = _all_notes(model)
    assert len(notes) > 40
    everything = plain("\n".join(rendered.values()))
    for note in notes:
        assert note in everything, note
        line = next(x for x in everything.split("\n") if note in x)
        assert line.startswith("> **Fortolkning"), line  # marked as an interpretation
    register = plain(rendered["fortolkninger.md"])
    for note in notes:
        assert note in register


def test_every_element_links_its_file_and_line(model: dsl.Model, rendered: dict[str, str]) -> None:
    count = 0
    for module in model.modules:
        name = Path(module.path).name
        page = rendered[Path(module.path).stem + ".md"]
        for d in module.decls:
            line = d.span.line
            target = re.escape(f"{name}#L{line})")
            assert re.search(rf"\[{re.escape(name)}:{line}\]\([^)]*{target}", page), (name, line)
            count += 1
    assert count > 100
    # the links are relative and lead to the file
    index = rendered["index.md"]
    link = re.search(r"\[00_aftale\.almen:\d+\]\(([^)#]+)#L\d+\)", index)
    assert link is not None and not link.group(1).startswith("/")


def test_links_resolve_to_the_files(tmp_path: Path) -> None:
    out = tmp_path / "ud"
    written = render_policy(KBH, out)
    for page in written:
        for href in re.findall(r"\]\(([^)#]+\.almen)#L\d+\)", page.read_text(encoding="utf-8")):
            assert (page.parent / href).resolve().is_file(), href


def test_danish_characters_as_is(rendered: dict[str, str]) -> None:
    text = "\n".join(rendered.values())
    for word in ("Københavns Kommune", "områdetrappe", "særlig_sikring", "udlejningshjul", "Udlejningstype"):
        assert word in text
    assert "&#" not in rendered["index.md"]


def test_output_is_deterministic(tmp_path: Path) -> None:
    first = render_policy(KBH, tmp_path / "a", source_pages=True)
    second = render_policy(KBH, tmp_path / "b", source_pages=True)
    assert [p.relative_to(tmp_path / "a") for p in first] == [p.relative_to(tmp_path / "b") for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    again = render_policy(KBH, tmp_path / "a", source_pages=True)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in first]


def test_source_pages_number_every_line(tmp_path: Path) -> None:
    written = render_policy(KBH, tmp_path, source_pages=True)
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    for f in KBH.glob("*.almen"):
        page = (tmp_path / "kilde" / f"{f.stem}.md").read_text(encoding="utf-8")
        assert f"kilde/{f.stem}.md" in names
        lines = f.read_text(encoding="utf-8").count("\n")
        assert f'id="L-{lines}"' in page
    hjul = (tmp_path / "06_hjul.md").read_text(encoding="utf-8")
    assert re.search(r"\[06_hjul\.almen:\d+\]\(kilde/06_hjul\.md#L-\d+\)", hjul)


def test_an_amending_version(tmp_path: Path) -> None:
    shutil.copytree(KBH, tmp_path / "2024-2027")  # an amendment names a version of its own collection
    draft = tmp_path / "udkast"
    draft.mkdir()
    (draft / "00_aftale.almen").write_text(
        'politik koebenhavn {\n  version "udkast"\n  gyldig fra 2024-01-01 til 2027-12-31\n'
        '  ændrer "../2024-2027"\n}\n',
        encoding="utf-8",
    )
    (draft / "09_udfasning.almen").write_text(
        '# Udkast: udfasningen flyttes.\n\nfjern beslutning udfasning kilde "§ 9"\n\n'
        'fjern tabel udfasningsstart kilde "§ 9"\n\n'
        'fjern beslutning udfasning_ved_fraflytning kilde "§ 9"\n\nfjern definition udfasning_begyndt kilde "§ 9"\n',
        encoding="utf-8",
    )
    written = render_policy(draft, tmp_path / "ud")
    names = [p.name for p in written]
    assert "00_aftale.md" in names and "09_udfasning.md" in names
    assert any(name.endswith("-06_hjul.md") for name in names)  # the predecessor's pages, marked
    page = (tmp_path / "ud" / "09_udfasning.md").read_text(encoding="utf-8")
    assert "Denne version fjerner beslutning" in page
    index = (tmp_path / "ud" / "index.md").read_text(encoding="utf-8")
    assert "| Ændrer |" in index
