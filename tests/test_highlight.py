"""Syntax highlighting: the Pygments lexer (dsl/highlight.py) and the TextMate grammar
(editors/almen.tmLanguage.json) know every keyword of the grammar, checked against where the
parser itself sees keywords in real policy text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pygments.token import Comment, Error, Keyword, Literal, Name, Number, Operator, String

from almen.dsl.highlight import AlmenLexer, keywords, textmate_grammar
from almen.dsl.parser import lark_parser

ROOT = Path(__file__).resolve().parent.parent
POLICIES = sorted((ROOT / "policies").rglob("*.almen"))
TEXTMATE = ROOT / "editors" / "almen.tmLanguage.json"

# The grammar's keywords: every quoted literal of dsl/almen.lark that is a word.
KEYWORDS = keywords()
KEYWORD_TERMINALS = {
    t.name for t in lark_parser().terminals if t.pattern.type == "str" and re.fullmatch(r"\w+", t.pattern.value)
}

# Valid policy text using the keywords no policy under policies/ uses (goals, amendments, …).
SNIPPETS = {
    "header": 'politik ny { version "2" ændrer "2024-2027" }\n',
    "goals": (
        'mål færre_tomme "Færre tomme boliger" {\n'
        "  måling antal_tomme\n"
        "  retning skal falde\n"
        '  basislinje 12 pr 2024-01-01 kilde "§ 1"\n'
        '  tjener "pejlemærke 1"\n'
        "}\n"
        "mål a { måling x retning skal stige }\n"
        "mål b { måling x retning må ikke stige }\n"
        "mål c { måling x retning må ikke falde }\n"
        "mål d { måling x retning skal nå 5 % }\n"
    ),
    "amendments": 'fjern regel trappe.udsat kilde "§ 2"\nfjern mål færre_tomme kilde "§ 3"\n',
    "units": "definition frister = [1 dag, 2 hverdag, 3 måned, 4 måneder, 5 dage, 6 hverdage, 7 år, 8 kr, 9 %]\n",
}

CORPUS: dict[str, str] = {
    **{str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in POLICIES},
    **{f"<snippet {k}>": v for k, v in SNIPPETS.items()},
}


def parser_keywords(source: str) -> Iterator[tuple[int, int, int, str]]:
    """(offset, line, column, text) of every keyword token, as the parser's own lexer sees it:
    a keyword in a place where the grammar wants a name (`beslutning hjul`) is a name there."""
    for token in lark_parser().parse_interactive(source).iter_parse():
        if token.type in KEYWORD_TERMINALS:
            assert token.start_pos is not None and token.line is not None and token.column is not None
            yield token.start_pos, token.line, token.column, str(token)


OCCURRENCES: dict[str, list[tuple[str, int, int, int]]] = {kw: [] for kw in KEYWORDS}
for _name, _source in CORPUS.items():
    for _offset, _line, _column, _text in parser_keywords(_source):
        OCCURRENCES[_text].append((_name, _offset, _line, _column))


def pygments_tokens(source: str) -> list[tuple[int, Any, str]]:
    return list(AlmenLexer().get_tokens_unprocessed(source))


# ---------------------------------------------------------------- the Pygments lexer


def test_keywords_come_from_the_grammar() -> None:
    grammar = (ROOT / "dsl" / "almen.lark").read_text(encoding="utf-8")
    quoted = {w for w in re.findall(r'"([^"\s]+)"', grammar) if re.fullmatch(r"\w+", w)}
    assert set(KEYWORDS) == quoted
    assert {"politik", "beslutning", "hvis", "så", "ellers", "kilde", "fortolkning", "hverdage"} <= set(KEYWORDS)


def test_lexer_metadata() -> None:
    assert AlmenLexer.name == "almen"
    assert AlmenLexer.aliases == ["almen"]
    assert AlmenLexer.filenames == ["*.almen"]


@pytest.mark.parametrize("keyword", KEYWORDS)
def test_every_keyword_is_a_keyword_token(keyword: str) -> None:
    sources, places = CORPUS, OCCURRENCES[keyword]
    if not places:  # a keyword added to the grammar that neither a policy nor a snippet uses yet
        sources = {"<synthetic>": f"{keyword}\n"}
        places = [("<synthetic>", 0, 1, 1)]
    by_source: dict[str, dict[int, tuple[Any, str]]] = {}
    for name, offset, line, column in places:
        if name not in by_source:
            by_source[name] = {i: (tok, text) for i, tok, text in pygments_tokens(sources[name])}
        token, text = by_source[name].get(offset, (None, ""))
        assert text == keyword and token in Keyword, f"{name}:{line}:{column}: {keyword!r} lexed as {token} {text!r}"


@pytest.mark.parametrize("name", list(CORPUS))
def test_no_error_tokens_and_nothing_lost(name: str) -> None:
    source = CORPUS[name]
    tokens = pygments_tokens(source)
    errors = [(i, text) for i, tok, text in tokens if tok in Error]
    assert not errors
    assert "".join(text for _, _, text in tokens) == source


def test_policies_are_found() -> None:
    assert POLICIES, "no policy files under policies/"


def test_snippets_are_valid_policy_text() -> None:
    for source in SNIPPETS.values():
        lark_parser().parse(source)


def _kinds(source: str) -> list[tuple[Any, str]]:
    return [(tok, text) for _, tok, text in pygments_tokens(source) if text.strip()]


def test_literals_units_and_operators() -> None:
    tokens = _kinds('# en kommentar\nx = "tekst" 2024-03-01 25 % 22904.30 kr 5 hverdage 7')
    assert tokens[0] == (Comment.Single, "# en kommentar")
    assert (String.Double, '"tekst"') in tokens
    assert (Literal.Date, "2024-03-01") in tokens
    for number, unit in (("25", "%"), ("22904.30", "kr"), ("5", "hverdage")):
        i = tokens.index(next(t for t in tokens if t[1] == number))
        assert tokens[i][0] in Number and tokens[i + 1] == (Keyword.Type, unit)
    assert tokens[-1] == (Number.Integer, "7")
    for op in ("=", "≠", "!=", "<=", "≤", ">=", "≥", "<", ">", "->", "=>", "..<", "..", "+", "-", "*", "/"):
        assert _kinds(f"a {op} b")[1] == (Operator, op), op
    assert _kinds("række 1..3 => x")[2] == (Operator, "..")
    assert _kinds("række 1..<3 => x")[2] == (Operator, "..<")


def test_names_and_declarations() -> None:
    tokens = _kinds("beslutning rækkefølge: liste af Ansøger = sorter a i ansøgere efter a.anciennitet")
    assert tokens[0] == (Keyword.Declaration, "beslutning")
    assert tokens[1][0] in Name and tokens[1][1] == "rækkefølge"
    assert (Name.Attribute, "anciennitet") in tokens
    assert tokens[-3] == (Name, "a")
    # a declaration word used as a declared name is a name, another keyword after it is not
    assert _kinds("beslutning hjul: x")[1][0] in Name
    tokens = _kinds("regel a.b undtagelse til c")
    assert tokens[3] == (Name.Label, "b")
    assert tokens[4] == (Keyword.Declaration, "undtagelse") and tokens[5] == (Keyword, "til")
    tokens = _kinds('fjern regel trappe.udsat kilde "§ 2"')
    assert tokens[:2] == [(Keyword.Declaration, "fjern"), (Keyword.Declaration, "regel")]


def test_citations_are_distinguishable() -> None:
    tokens = _kinds('beslutning x = 1\n  kilde "§ 6.2" citat "ordret"\n  fortolkning "læsning"\n  titel "T"')
    assert (Keyword.Pseudo, "kilde") in tokens
    assert (Keyword.Pseudo, "citat") in tokens
    assert (Keyword.Pseudo, "fortolkning") in tokens
    assert (String.Doc, '"§ 6.2"') in tokens and (String.Doc, '"læsning"') in tokens
    assert (String.Double, '"T"') in tokens
    assert Keyword.Pseudo is not Keyword.Declaration and Keyword.Pseudo in Keyword


# ---------------------------------------------------------------- the TextMate grammar

KEYWORD_SCOPES = ("keyword.", "storage.type", "constant.language")


@pytest.fixture(scope="module")
def textmate() -> dict[str, Any]:
    return json.loads(TEXTMATE.read_text(encoding="utf-8"))


def _python_regex(pattern: str) -> re.Pattern[str]:
    """An Oniguruma pattern as a Python one. The grammar keeps to their common subset; the few
    Oniguruma-only escapes are translated, and anything else Python rejects fails the test."""
    translated = pattern.replace(r"\h", "[0-9A-Fa-f]").replace(r"\A", "^").replace(r"\z", "$")
    return re.compile(translated)


def _compiled(textmate: dict[str, Any]) -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    return [(_python_regex(p["match"]), p) for p in textmate["patterns"]]


def _is_keyword_scope(scope: str | None) -> bool:
    return bool(scope) and str(scope).startswith(KEYWORD_SCOPES)


def test_textmate_json_is_valid(textmate: dict[str, Any]) -> None:
    assert textmate["scopeName"] == "source.almen"
    assert textmate["fileTypes"] == ["almen"]
    assert textmate["patterns"]
    for pattern in textmate["patterns"]:
        assert set(pattern) <= {"name", "match", "captures", "comment"}, pattern
        _python_regex(pattern["match"])
    scopes = json.dumps(textmate)
    for category in (
        "comment.line.number-sign",
        "string.quoted.double",
        "constant.numeric",
        "constant.other.date",
        "keyword.control",
        "keyword.other",
        "storage.type",
        "keyword.operator",
    ):
        assert f'"{category}.' in scopes, category


def test_textmate_is_up_to_date(textmate: dict[str, Any]) -> None:
    """The file is generated from the grammar: `python -m almen.dsl.highlight > editors/almen.tmLanguage.json`."""
    assert textmate == json.loads(json.dumps(textmate_grammar()))


@pytest.mark.parametrize("keyword", KEYWORDS)
def test_textmate_matches_every_keyword(textmate: dict[str, Any], keyword: str) -> None:
    hits = []
    for regex, pattern in _compiled(textmate):
        m = regex.fullmatch(keyword)
        if m is None:
            continue
        if _is_keyword_scope(pattern.get("name")):
            hits.append(pattern["name"])
        for group, capture in pattern.get("captures", {}).items():
            if m.group(int(group)) == keyword and _is_keyword_scope(capture["name"]):
                hits.append(capture["name"])
    assert hits, f"no keyword pattern matches {keyword!r}"


def _textmate_scan(line: str, compiled: list[tuple[re.Pattern[str], dict[str, Any]]]) -> set[tuple[int, int, str]]:
    """What TextMate does with single-line `match` rules: at each position the earliest match
    wins, the first rule on a tie; returns the (start, end, scope) spans it gives names to."""
    spans, pos = set(), 0
    while pos < len(line):
        best: tuple[re.Match[str], dict[str, Any]] | None = None
        for regex, pattern in compiled:
            m = regex.search(line, pos)
            if m is not None and (best is None or m.start() < best[0].start()):
                best = (m, pattern)
        if best is None:
            break
        m, pattern = best
        if "name" in pattern:
            spans.add((m.start(), m.end(), pattern["name"]))
        for group, capture in pattern.get("captures", {}).items():
            if m.group(int(group)) is not None:
                spans.add((m.start(int(group)), m.end(int(group)), capture["name"]))
        pos = max(m.end(), pos + 1)
    return spans


@pytest.mark.parametrize("name", list(CORPUS))
def test_textmate_scopes_keywords_in_policy_text(textmate: dict[str, Any], name: str) -> None:
    compiled = _compiled(textmate)
    lines = CORPUS[name].split("\n")
    scanned: dict[int, set[tuple[int, int, str]]] = {}
    for _, line, column, text in parser_keywords(CORPUS[name]):
        if line not in scanned:
            scanned[line] = _textmate_scan(lines[line - 1], compiled)
        start = column - 1
        scopes = {s for a, b, s in scanned[line] if (a, b) == (start, start + len(text))}
        assert any(_is_keyword_scope(s) for s in scopes), f"{name}:{line}:{column}: {text!r} scoped {scopes}"


def test_textmate_literals(textmate: dict[str, Any]) -> None:
    compiled = _compiled(textmate)
    line = 'x = "tekst" 2024-03-01 25 % 22904.30 kr 7 # kommentar'
    spans = {(line[a:b], s.rsplit(".", 1)[0]) for a, b, s in _textmate_scan(line, compiled)}
    assert ('"tekst"', "string.quoted.double") in spans
    assert ("2024-03-01", "constant.other.date") in spans
    assert ("22904.30", "constant.numeric") in spans
    assert ("kr", "keyword.other.unit") in spans
    assert ("%", "keyword.other.unit") in spans
    assert ("7", "constant.numeric") in spans
    assert ("# kommentar", "comment.line.number-sign") in spans
    assert ("=", "keyword.operator") in spans
