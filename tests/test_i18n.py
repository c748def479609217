"""One language per output: Danish by default, English on request; the catalog is complete and
shipped compiled; machine formats do not change with the language."""

from __future__ import annotations

import gettext
import io
import json
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from almen.dsl import i18n
from almen.interpreter import cli

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "dsl" / "locale" / "da" / "LC_MESSAGES" / "almen.po"
KBH = str(ROOT / "policies" / "koebenhavn" / "2024-2027")
KOEGE = str(ROOT / "policies" / "koege" / "2025")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def _catalog():
    with PO.open("rb") as f:
        return read_po(f)


def _messages() -> set[str | tuple[str, ...]]:
    found: set[str | tuple[str, ...]] = set()
    for folder in ("dsl", "interpreter"):
        for _file, _line, message, _comments, _context in extract_from_dir(ROOT / folder, keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_every_message_in_the_code_has_a_danish_translation() -> None:
    catalog = _catalog()
    translated = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id and m.string}
    assert _messages() - translated == set()


def test_no_message_hides_inside_an_f_string() -> None:
    # the extractor cannot see _() inside an f-string's braces, so such a message is never translated
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("dsl", "interpreter")
        for path in (ROOT / folder).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\{_\(", line)
    ]
    assert offenders == []


def test_translations_keep_every_placeholder() -> None:
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}

    for m in _catalog():
        if not m.id:
            continue
        ids = (m.id,) if isinstance(m.id, str) else m.id
        strings = (m.string,) if isinstance(m.string, str) else m.string
        wanted = set().union(*(fields(i) for i in ids))
        assert all(fields(s) <= wanted for s in strings) and fields(strings[-1]) == fields(ids[-1]), m.id


def test_the_shipped_catalog_is_compiled_from_the_po_file() -> None:
    buffer = io.BytesIO()
    write_mo(buffer, _catalog(), use_fuzzy=False)
    buffer.seek(0)
    fresh = gettext.GNUTranslations(buffer)
    with PO.with_suffix(".mo").open("rb") as f:
        shipped = gettext.GNUTranslations(f)
    assert shipped._catalog == fresh._catalog, "run: python -m almen.dsl.i18n"  # type: ignore[attr-defined]


def test_numbers_for_people() -> None:
    from fractions import Fraction

    with i18n.use("da"):
        assert (i18n.number(23750), i18n.number(Fraction(45, 2)), i18n.number(Fraction(1, 3))) == ("23.750", "22,5", "1/3")
        assert i18n.percent(Fraction(2000, 3), places=1) == "666,7 %"
    with i18n.use("en"):
        assert (i18n.number(23750), i18n.number(Fraction(45, 2))) == ("23,750", "22.5")


# ---------------------------------------------------------------- every command, both languages

FACTS = ROOT / "examples" / "koebenhavn" / "trappe.json"
SCENARIOS = str(ROOT / "tests" / "golden" / "koege")


def _runs(tmp_path: Path) -> list[list[str]]:
    partial = tmp_path / "partial.json"
    partial.write_text('{"afdeling": {"udpegning": "ingen"}}', encoding="utf-8")
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"afdeling": {"trin": "to"}, "afdelling": {}}', encoding="utf-8")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "p.almen").write_text("beslutning x = 1 +\n", encoding="utf-8")
    bad_wheel = tmp_path / "typer"
    bad_wheel.mkdir()
    (bad_wheel / "p.almen").write_text('fakta a: heltal\nbeslutning x = a + "t"\n  kilde "§ 1"\n', encoding="utf-8")
    decide = [KBH, "trappe", "--date", "2024-03-01", "--facts"]
    return [
        ["check", KBH],
        ["check", str(broken)],
        ["check", str(tmp_path / "ingen")],
        ["decide", *decide, str(FACTS)],
        ["decide", *decide, str(partial)],
        ["decide", *decide, str(partial), "--level", "failed"],
        ["explain", *decide, str(FACTS)],
        ["explain", *decide, str(partial)],
        ["decide", *decide, str(wrong)],
        ["decide", *decide, str(tmp_path / "mangler.json")],
        ["decide", KBH, "trapp", "--date", "2024-03-01", "--facts", str(FACTS)],
        ["decide", KBH, "trappe", "--date", "2031-03-01", "--facts", str(FACTS)],
        ["decide", KBH, "trappe", "--date", "1. marts", "--facts", str(FACTS)],
        ["fmt", "--check", KBH],
        ["test", SCENARIOS],
        ["simulate", KBH, "--stock", str(ROOT / "examples" / "koebenhavn" / "bestand.json"), "--from", "2026-01-01",
         "--to", "2026-03-31"],
        ["simulate", KOEGE, "--stock", str(ROOT / "examples" / "koebenhavn" / "bestand.json"), "--from", "2026-01-01",
         "--to", "2026-03-31"],
    ]


# Words of the other language found in the outputs before they were translated.
ENGLISH = [
    "undetermined", "not applicable", "needs:", "because", "policy ", "error:", "hint:", "expected", "got the",
    "files", "decisions", "rules", "passed", "failed", "rule coverage", "no policy", "has no decision",
    "did you mean", "no facts file", "outside", "a date", "already formatted", "interpretation", "in all",
]
DANISH = [
    "uafgjort", "gælder ikke", "mangler:", "fordi", "politik ", "fejl:", "tip:", "forventede", "fik ", "filer",
    "beslutninger", "regler", "bestået", "fejlet", "regeldækning", "ingen politik", "har ingen beslutning",
    "mente du", "ingen faktafil", "uden for", "en dato", "allerede formateret", "fortolkning:", "i alt",
    "forventede ledige", "beslutning trappe", "regel trappe", "betingelse", " = sand", " = falsk",
]


def _ui(text: str) -> str:
    """The output without the policy's own words (quoted source lines, titles and notes in Danish,
    rule names), which stay in the agreement's language."""
    text = re.sub(r"^\s+\d+ \|.*$", "", text, flags=re.MULTILINE)  # quoted source lines
    text = re.sub(r"(interpretation|fortolkning|note|bemærk): .*$", r"\1:", text, flags=re.MULTILINE)
    return re.sub(r"\[§[^\]]*\]|\([^()]*§[^()]*\)", "", text)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_command_speaks_one_language(lang: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    foreign = ENGLISH if lang == "da" else DANISH
    seen = []
    for argv in _runs(tmp_path):
        capsys.readouterr()
        cli.main(["--lang", lang, *argv])
        captured = capsys.readouterr()
        text = _ui(captured.out + captured.err)
        seen += [(argv[0], argv[1:3], word) for word in foreign if word in text]
    assert seen == []


def test_danish_is_the_default(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.delenv("ALMEN_LANG")
    capsys.readouterr()
    cli.main(["check", KBH])
    assert re.match(r"ok: \d+ filer, \d+ beslutninger, ", capsys.readouterr().out)
    monkeypatch.setenv("ALMEN_LANG", "en")
    cli.main(["check", KBH])
    assert re.match(r"ok: \d+ files, \d+ decisions, ", capsys.readouterr().out)


def test_json_is_the_same_in_both_languages(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for lang in ("da", "en"):
        capsys.readouterr()
        cli.main(["--lang", lang, "decide", KBH, "trappe", "--date", "2024-03-01", "--facts", str(FACTS),
                  "--format", "json", "--level", "reason"])
        answer = json.loads(capsys.readouterr().out)
        outputs.append({k: v for k, v in answer.items() if k != "reason"})
    assert outputs[0] == outputs[1]
    assert outputs[0]["status"] == "determined" and outputs[0]["value"] == {"trappe": "afdelingstrappe", "trin": 2}


def test_no_function_rebinds_the_translation_function() -> None:
    import ast

    found = []
    for folder in ("dsl", "interpreter"):
        for path in (ROOT / folder).rglob("*.py"):
            for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                    names = [x for x in ast.walk(fn) if isinstance(x, ast.Name) and x.id == "_"]
                    if any(isinstance(x.ctx, ast.Store) for x in names) and any(
                        isinstance(x.ctx, ast.Load) for x in names
                    ):
                        found.append(f"{path.relative_to(ROOT)}:{fn.name}")
    assert found == []  # `_` is the message function: a throw-away variable must have another name
