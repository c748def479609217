"""Syntax highlighting of almen policy files with Pygments.

The keywords are read from the grammar (dsl/almen.lark) when this module is imported, so a
keyword added to the grammar is highlighted without touching this file. Each keyword gets a
token type by the part of the grammar it belongs to:

    Keyword.Declaration  words that open a declaration (politik, valg, post, fakta, beslutning, …)
    Keyword.Pseudo       citations and notes (kilde, citat, fortolkning); their text is String.Doc
    Keyword.Constant     sand, falsk, intet
    Keyword.Type         units (kr, dage, %, …), type words (heltal, liste, af, …), builtin types
    Keyword              everything else (hvis, så, ellers, og, eller, i, fra, til, …)

Register it with Pygments as an entry point:

    [project.entry-points."pygments.lexers"]
    almen = "almen.dsl.highlight:AlmenLexer"
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups
from pygments.token import (
    Comment,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

from almen.dsl.parser import lark_parser
from almen.dsl.types import BUILTIN_TYPES

__all__ = ["AlmenLexer", "keyword_categories", "keywords", "units"]

_WORD = re.compile(r"\w+")

# Grammar rules whose first word opens a declaration: the alternatives of `decl`.
_DECLARATION_RULES = "decl"
_KIND_RULE = "kind"  # what `fjern` may remove: also declaration words
_CITATION_RULES = ("citation", "note")
_CONSTANT_ALIASES = ("true", "false", "null")
_TYPE_RULES = ("base_type", "unit")


@functools.cache
def _grammar() -> tuple[dict[str, str], dict[str, list[tuple[str, tuple[str, ...], str | None]]]]:
    """(keyword terminal name → its text, rule name → [(origin, expansion, alias)])."""
    parser = lark_parser()
    literal = {t.name: str(t.pattern.value) for t in parser.terminals if t.pattern.type == "str"}
    rules: dict[str, list[tuple[str, tuple[str, ...], str | None]]] = {}
    for rule in parser.rules:
        origin = rule.origin.name
        name = origin if isinstance(origin, str) else origin.decode()
        expansion = tuple(str(s.name) for s in rule.expansion)
        rules.setdefault(name, []).append((name, expansion, str(rule.alias) if rule.alias else None))
    return literal, rules


@functools.cache
def keywords() -> tuple[str, ...]:
    """Every word the grammar spells out as a quoted literal, longest first."""
    literal, _ = _grammar()
    words = {text for text in literal.values() if _WORD.fullmatch(text)}
    return tuple(sorted(words, key=lambda w: (-len(w), w)))


@functools.cache
def units() -> tuple[str, ...]:
    """The units a number may carry (`25 %`, `22904.30 kr`, `5 hverdage`), longest first."""
    literal, rules = _grammar()
    found = {literal[e[0]] for _, e, _ in rules.get("unit", ()) if len(e) == 1 and e[0] in literal}
    return tuple(sorted(found, key=lambda w: (-len(w), w)))


@functools.cache
def keyword_categories() -> dict[str, str]:
    """keyword → one of declaration, citation, constant, type, keyword."""
    literal, rules = _grammar()

    def words_of(expansions: list[tuple[str, tuple[str, ...], str | None]], first_only: bool) -> set[str]:
        found = set()
        for _, expansion, _ in expansions:
            symbols = expansion[:1] if first_only else expansion
            found |= {literal[s] for s in symbols if s in literal and _WORD.fullmatch(literal[s])}
        return found

    declaration: set[str] = set()
    for _, expansion, _ in rules.get(_DECLARATION_RULES, ()):
        for sub in expansion:
            declaration |= words_of(rules.get(sub, []), first_only=True)
    declaration |= words_of(rules.get(_KIND_RULE, []), first_only=False)
    citation: set[str] = set()
    for name in _CITATION_RULES:
        citation |= words_of(rules.get(name, []), first_only=False)
    constant = words_of(
        [r for r in rules.get("atom", []) if r[2] in _CONSTANT_ALIASES],
        first_only=False,
    )
    typ: set[str] = set()
    for name in _TYPE_RULES:
        typ |= words_of(rules.get(name, []), first_only=False)

    categories = {}
    for word in keywords():
        if word in citation:
            categories[word] = "citation"
        elif word in declaration:
            categories[word] = "declaration"
        elif word in constant:
            categories[word] = "constant"
        elif word in typ:
            categories[word] = "type"
        else:
            categories[word] = "keyword"
    return categories


_TOKEN_OF: dict[str, Any] = {
    "declaration": Keyword.Declaration,
    "citation": Keyword.Pseudo,
    "constant": Keyword.Constant,
    "type": Keyword.Type,
    "keyword": Keyword,
}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


def _word(words: Iterable[str]) -> str:
    """A regex for any of `words` as a whole word (æøå count as letters)."""
    return rf"(?<!\w)(?:{_alternation(words)})(?!\w)"


def _builtin_functions() -> tuple[str, ...]:
    from almen.dsl.builtins import BUILTINS  # only needed here

    return tuple(BUILTINS)


def _tokens() -> dict[str, list[Any]]:
    cats = keyword_categories()
    by_cat: dict[str, list[str]] = {}
    for word, cat in cats.items():
        by_cat.setdefault(cat, []).append(word)
    declaration = by_cat.get("declaration", [])
    kinds = [w for w in declaration if w != "fjern"] or declaration
    # A declared name may itself be a declaration word (`beslutning hjul`), but not another keyword
    # (`undtagelse til X`, where `til` follows `undtagelse`).
    others = [w for w in cats if cats[w] != "declaration"]
    name = rf"(?!(?:{_alternation(others)})(?!\w))(?!\d)\w+" if others else r"(?!\d)\w+"
    number = r"\d[\d_]*(?:\.\d+)?"
    unit_words = [u for u in units() if _WORD.fullmatch(u)]
    unit_symbols = [u for u in units() if not _WORD.fullmatch(u)]
    unit = "|".join(
        [f"(?:{_alternation(unit_words)})(?!\\w)"] * bool(unit_words)
        + [_alternation(unit_symbols)] * bool(unit_symbols)
    )
    builtin_types = tuple(BUILTIN_TYPES)

    root: list[Any] = [
        (r"[ \t\r\f\n]+", Whitespace),
        (r"#[^\n]*", Comment.Single),
        # citations and notes: the quoted text is the document's or the interpreter's own words
        (
            rf'({_word(by_cat.get("citation", []))})(\s*)("[^"\n]*")',
            bygroups(Keyword.Pseudo, Whitespace, String.Doc),
        ),
        (r'"[^"\n]*"', String.Double),
        (r"\d{4}-\d{2}-\d{2}(?!\w)", Literal.Date),
    ]
    if unit:
        root.append(
            (
                rf"({number})([ \t]*)({unit})",
                bygroups(Number, Whitespace, Keyword.Type),
            )
        )
    root += [
        (r"\d[\d_]*\.\d+", Number.Float),
        (r"\d[\d_]*", Number.Integer),
    ]
    if "fjern" in declaration:
        root.append(
            (
                rf"(fjern)(\s+)({_word(kinds)})(\s+)({name})",
                bygroups(Keyword.Declaration, Whitespace, Keyword.Declaration, Whitespace, Name.Function),
            )
        )
    if "regel" in declaration:
        root.append(
            (
                rf"(regel)(\s+)({name})(\s*)(\.)(\s*)({name})",
                bygroups(
                    Keyword.Declaration, Whitespace, Name.Function, Whitespace, Punctuation, Whitespace, Name.Label
                ),
            )
        )
    type_declarations = [w for w in ("valg", "post") if w in declaration]
    if type_declarations:
        root.append(
            (rf"({_word(type_declarations)})(\s+)({name})", bygroups(Keyword.Declaration, Whitespace, Name.Class))
        )
    if "politik" in declaration:
        root.append((rf"(politik)(\s+)({name})", bygroups(Keyword.Declaration, Whitespace, Name.Namespace)))
    other_declarations = [w for w in declaration if w not in ("valg", "post", "politik", "fjern", "regel")]
    if other_declarations:
        root.append(
            (rf"({_word(other_declarations)})(\s+)({name})", bygroups(Keyword.Declaration, Whitespace, Name.Function))
        )
    root += [
        (rf"({_word(_builtin_functions())})(?=\s*\()", Name.Builtin),
        (r"(\.)((?!\d)\w+)", bygroups(Punctuation, Name.Attribute)),
        (_word(builtin_types), Keyword.Type),
    ]
    for cat in ("declaration", "citation", "constant", "type", "keyword"):
        if by_cat.get(cat):
            root.append((_word(by_cat[cat]), _TOKEN_OF[cat]))
    if unit_symbols:
        root.append((_alternation(unit_symbols), Keyword.Type))
    root += [
        (r"\.\.<|\.\.|=>|->|<=|>=|!=|[≠≤≥=<>+\-*/|?]", Operator),
        (r"[{}()\[\],:.]", Punctuation),
        (r"(?!\d)\w+", Name),
    ]
    return {"root": root}


# ---------------------------------------------------------------- TextMate (editors/almen.tmLanguage.json)

_OPERATOR_WORD_RULES = ("or_expr", "and_expr", "not_expr", "comparison")
_CONTROL_RULES = ("expr", "quant", "quantor", "condition", "letting")


def _rule_words(*names: str) -> set[str]:
    literal, rules = _grammar()
    return {
        literal[s]
        for name in names
        for _, expansion, _ in rules.get(name, [])
        for s in expansion
        if s in literal and _WORD.fullmatch(literal[s])
    }


def textmate_scopes() -> dict[str, str]:
    """keyword → its TextMate scope (storage.type for declarations, keyword.control, …)."""
    operator_words = _rule_words(*_OPERATOR_WORD_RULES)
    control = _rule_words(*_CONTROL_RULES)
    scopes = {}
    for word, cat in keyword_categories().items():
        if cat == "declaration":
            scopes[word] = "storage.type.declaration.almen"
        elif cat == "citation":
            scopes[word] = "keyword.other.citation.almen"
        elif cat == "constant":
            scopes[word] = "constant.language.almen"
        elif word in units():
            scopes[word] = "keyword.other.unit.almen"
        elif cat == "type":
            scopes[word] = "keyword.other.type.almen"
        elif word in operator_words:
            scopes[word] = "keyword.operator.word.almen"
        elif word in control:
            scopes[word] = "keyword.control.almen"
        else:
            scopes[word] = "keyword.other.almen"
    return scopes


def textmate_grammar() -> dict[str, Any]:
    """The TextMate grammar of almen; `python -m almen.dsl.highlight` prints it as JSON.

    Every pattern is a single-line `match`, written in the common subset of Oniguruma (what
    TextMate and VS Code run) and Python `re`, so that tests can run it with `re`.
    """
    scopes = textmate_scopes()
    by_scope: dict[str, list[str]] = {}
    for word, scope in scopes.items():
        by_scope.setdefault(scope, []).append(word)
    declaration = by_scope.get("storage.type.declaration.almen", [])
    kinds = [w for w in declaration if w != "fjern"]
    others = [w for w in scopes if w not in declaration]
    name = rf"(?!(?:{_alternation(others)})(?!\w))(?!\d)\w+" if others else r"(?!\d)\w+"
    unit_words = [u for u in units() if _WORD.fullmatch(u)]
    unit_symbols = [u for u in units() if not _WORD.fullmatch(u)]
    unit = "|".join(
        [f"(?:{_alternation(unit_words)})(?!\\w)"] * bool(unit_words)
        + [_alternation(unit_symbols)] * bool(unit_symbols)
    )
    decl = "storage.type.declaration.almen"
    patterns: list[dict[str, Any]] = [
        {"name": "comment.line.number-sign.almen", "match": "#.*$"},
        {
            "match": rf'({_word(by_scope.get("keyword.other.citation.almen", []))})(?:\s*("[^"]*"))?',
            "captures": {
                "1": {"name": "keyword.other.citation.almen"},
                "2": {"name": "string.quoted.double.citation.almen"},
            },
        },
        {"name": "string.quoted.double.almen", "match": '"[^"]*"'},
        {"name": "constant.other.date.almen", "match": r"(?<!\w)\d{4}-\d{2}-\d{2}(?!\w)"},
    ]
    if unit:
        patterns.append(
            {
                "match": rf"(?<!\w)(\d[\d_]*(?:\.\d+)?)[ \t]*({unit})",
                "captures": {"1": {"name": "constant.numeric.almen"}, "2": {"name": "keyword.other.unit.almen"}},
            }
        )
    patterns.append({"name": "constant.numeric.almen", "match": r"(?<!\w)\d[\d_]*(?:\.\d+)?"})
    if "fjern" in declaration and kinds:
        patterns.append(
            {
                "match": rf"(?<!\w)(fjern)\s+({_alternation(kinds)})(?!\w)(?:\s+({name}))?",
                "captures": {"1": {"name": decl}, "2": {"name": decl}, "3": {"name": "entity.name.function.almen"}},
            }
        )
    if "regel" in declaration:
        patterns.append(
            {
                "match": rf"(?<!\w)(regel)\s+({name})\s*(\.)\s*({name})",
                "captures": {
                    "1": {"name": decl},
                    "2": {"name": "entity.name.function.almen"},
                    "3": {"name": "punctuation.accessor.almen"},
                    "4": {"name": "entity.name.section.almen"},
                },
            }
        )
    for words, entity in (
        ([w for w in ("valg", "post") if w in declaration], "entity.name.type.almen"),
        ([w for w in ("politik",) if w in declaration], "entity.name.namespace.almen"),
        (
            [w for w in declaration if w not in ("valg", "post", "politik", "fjern", "regel")],
            "entity.name.function.almen",
        ),
    ):
        if words:
            patterns.append(
                {
                    "match": rf"(?<!\w)({_alternation(words)})\s+({name})",
                    "captures": {"1": {"name": decl}, "2": {"name": entity}},
                }
            )
    patterns += [
        {"name": "support.function.builtin.almen", "match": rf"{_word(_builtin_functions())}(?=\s*\()"},
        {
            "match": r"(?<!\.)(\.)((?!\d)\w+)",
            "captures": {"1": {"name": "punctuation.accessor.almen"}, "2": {"name": "variable.other.member.almen"}},
        },
    ]
    for scope in sorted(by_scope, key=lambda s: (s != decl, s)):
        words = [w for w in by_scope[scope] if _WORD.fullmatch(w)]
        patterns.append({"name": scope, "match": _word(words)})
    builtin_types = [w for w in BUILTIN_TYPES if w not in scopes]
    if builtin_types:
        patterns.append({"name": "support.type.builtin.almen", "match": _word(builtin_types)})
    if unit_symbols:
        patterns.append({"name": "keyword.other.unit.almen", "match": _alternation(unit_symbols)})
    patterns += [
        {"name": "keyword.operator.almen", "match": r"\.\.<|\.\.|=>|->|<=|>=|!=|[≠≤≥=<>+\-*/|?]"},
        {"name": "punctuation.separator.almen", "match": r"[,:]"},
        {"name": "punctuation.section.almen", "match": r"[{}()\[\]]"},
        {"name": "variable.other.almen", "match": r"(?!\d)\w+"},
    ]
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "almen",
        "scopeName": "source.almen",
        "fileTypes": ["almen"],
        "comment": "Generated from dsl/almen.lark by `python -m almen.dsl.highlight`; regenerate, do not edit by hand.",
        "patterns": patterns,
    }


class AlmenLexer(RegexLexer):
    """Pygments lexer for almen, the Danish-keyword language of letting policies."""

    name = "almen"
    aliases: ClassVar[list[str]] = ["almen"]
    filenames: ClassVar[list[str]] = ["*.almen"]
    mimetypes: ClassVar[list[str]] = ["text/x-almen"]
    tokens: ClassVar[dict[str, list[Any]]] = _tokens()


if __name__ == "__main__":
    import json
    import sys

    json.dump(textmate_grammar(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
