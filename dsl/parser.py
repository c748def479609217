"""Source text → syntax tree (dsl.nodes), with parse errors people can read."""

from __future__ import annotations

import contextlib
import difflib
import functools
import hashlib
import os
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

import attrs
import lark

from almen.dsl import cache, names
from almen.dsl import nodes as n
from almen.dsl.build import ToNodes
from almen.dsl.diagnostics import Diagnostic, PolicyError, source_line
from almen.dsl.i18n import N_, _, number

GRAMMAR = Path(__file__).with_name("almen.lark")
MAX_SOURCE_BYTES = 1_000_000  # a policy file is prose-sized; anything larger is a mistake
MAX_NESTING = 100  # levels of nested expressions; later stages recurse, so the bound keeps them safe

# What a person calls the terminals the grammar names.
FRIENDLY = {
    "NAME": N_("a name"),
    "NUMBER": N_("a number"),
    "STRING": N_('a quoted text ("…")'),
    "DATE": N_("a date (YYYY-MM-DD)"),
    "$END": N_("the end of the file"),
}

# English and ASCII spellings a person may type for a keyword or unit (data for the suggestions of
# a parse error; each is tried by parsing again, so one is only offered where it fits).
SPELLINGS = {
    "if": "hvis", "then": "så", "else": "ellers", "and": "og", "or": "eller", "not": "ikke",
    "true": "sand", "false": "falsk", "null": "intet", "none": "intet", "in": "i", "where": "hvor",
    "between": "mellem", "all": "alle", "any": "nogen", "count": "antal", "rule": "regel",
    "decision": "beslutning", "fact": "fakta", "source": "kilde", "quote": "citat", "note": "fortolkning",
    "procent": "%", "percent": "%", "pct": "%", "kroner": "kr", "dkk": "kr", "days": "dage", "months": "måneder",
    "years": "år", "==": "=", "<>": "≠",
}  # fmt: skip
_ASCII = (("aa", "å"), ("ae", "æ"), ("oe", "ø"))  # how æ, ø and å are written without them
# Each suggestion is tried by parsing the file again; past this size that is too slow to offer.
MAX_SUGGESTION_SOURCE = 200_000


@functools.cache
def lark_parser() -> lark.Lark:
    grammar = GRAMMAR.read_text(encoding="utf-8")
    options: dict[str, Any] = {
        "parser": "lalr",
        "strict": True,
        "propagate_positions": True,
        "maybe_placeholders": True,
    }
    # Building the parser takes about 0.15 s, loading it 0.02 s: worth a cache, but Lark's own
    # (cache=True) is a pickle at a predictable path in the shared temporary directory, which
    # whoever creates it first would have the next user run. Ours lives in the user's own cache
    # folder and is used only while no one else could have written it.
    cache = _cache_file(grammar)
    if cache is not None:
        with contextlib.suppress(OSError, lark.exceptions.LarkError, EOFError, ValueError, TypeError):
            return lark.Lark(grammar, cache=str(cache), **options)
    return lark.Lark(grammar, **options)


def _cache_file(grammar: str) -> Path | None:
    """`<cache>/grammar-<hash>.pickle` (`dsl/cache.py`), if the folder is the user's own and the
    file, if there, too; else None (the parser is built)."""
    here = cache.folder()
    if here is None:
        return None
    key = hashlib.sha256(f"{lark.__version__}\0{sys.version_info[:2]}\0{grammar}".encode()).hexdigest()[:32]
    path = here / f"grammar-{key}.pickle"
    if os.path.lexists(path) and not cache.trusted(path):
        return None
    return path  # Lark writes it when missing, in a folder only the user may write


def parse(source: str, path: str = "<tekst>") -> n.Module:
    """Parse one policy file. Raises PolicyError with the location of the first problem.

    Trees are immutable, so a file parsed once in a process is not parsed again (a predecessor
    loaded under several amendments, golden runs, the docs build).

    What editors write is read as meant: a UTF-8 byte order mark is dropped and the text is
    NFC-normalised (an `å` typed as `a` and a combining ring is the same name as `å`)."""
    source = source.removeprefix("\ufeff")
    if not unicodedata.is_normalized("NFC", source):
        source = unicodedata.normalize("NFC", source)
    return _parse_cached(source, path)


@functools.lru_cache(maxsize=256)
def _parse_cached(source: str, path: str) -> n.Module:
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        raise _error(path, source, 1, 1, _("file is larger than {0} bytes").format(number(MAX_SOURCE_BYTES)), None)
    try:
        tree = lark_parser().parse(source)
        _check_depth(tree, path, source)
        if not names.plain(source):
            _check_names(tree, path, source)
        return n.Module(path, source, tuple(ToNodes(path).transform(tree).children))
    except lark.exceptions.UnexpectedCharacters as e:
        pos = e.pos_in_stream or 0
        char = source[pos] if pos < len(source) else ""
        if unicodedata.category(char or "x") == "Nd":  # ৪, ٤, ４: the grammar reads 0-9 only
            digit = f"'{char}' ({unicodedata.name(char, 'a digit')})"
            message = _("{0} is a digit of another script; numbers are written with the digits 0-9").format(digit)
            raise _error(path, source, e.line, e.column, message, None) from None
        raise _parse_error(path, source, e) from None
    except lark.exceptions.UnexpectedInput as e:
        raise _parse_error(path, source, e) from None
    except lark.exceptions.VisitError as e:
        if isinstance(e.orig_exc, PolicyError):
            raise e.orig_exc from None
        if isinstance(e.orig_exc, RecursionError):
            raise _error(path, source, 1, 1, _("the file is nested too deeply to read"), None) from None
        raise
    except RecursionError:
        raise _error(path, source, 1, 1, _("the file is nested too deeply to read"), None) from None


def _check_depth(tree: lark.Tree[Any], path: str, source: str) -> None:
    """Refuse nesting deeper than MAX_NESTING, found without recursion."""
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            meta = node.meta
            raise _error(
                path,
                source,
                getattr(meta, "line", 1),
                getattr(meta, "column", 1),
                _("this is nested more than {0} levels deep").format(MAX_NESTING),
                _("split the expression into named definitions"),
            )
        stack += [(child, depth + 1) for child in node.children if isinstance(child, lark.Tree)]


def _check_names(tree: lark.Tree[Any], path: str, source: str) -> None:
    """Mixed-script names and look-alike twins (`dsl.names`), each at the name as written."""
    tokens = sorted(tree.scan_values(lambda v: isinstance(v, lark.Token) and v.type == "NAME"), key=_offset)
    spans = [
        (str(tk), n.Span(path, tk.line or 1, tk.column or 1, tk.line or 1, (tk.column or 1) + len(tk), 0, 0))
        for tk in tokens
    ]
    found = names.problems(spans, lambda span: source_line(source, span.line))
    if found:
        raise PolicyError(found)


def _offset(token: lark.Token) -> int:
    return token.start_pos or 0


def _error(path: str, source: str, line: int, column: int, message: str, hint: str | None) -> PolicyError:
    span = n.Span(path, line, column, line, column + 1, 0, 0)
    return PolicyError([Diagnostic(span, message, hint, source_line(source, line))])


def _describe(terminal: str) -> str:
    if terminal in FRIENDLY:
        return _(FRIENDLY[terminal])
    for t in lark_parser().terminals:
        if t.name == terminal and t.pattern.type == "str":
            return f'"{t.pattern.value}"'
    return terminal.lower()


def _expected(names: set[str]) -> str:
    if {"NAME", "NUMBER", "STRING"} <= names:
        return _("an expression")
    # keywords first (a missing `så` is the likely mistake), punctuation after
    words = sorted({_describe(t) for t in names}, key=lambda w: (not w.strip('"').isalpha(), w))
    if len(words) > 10:
        words = [*words[:10], "…"]
    return ", ".join(words[:-1]) + _(" or ") + words[-1] if len(words) > 1 else words[0]


_THOUSANDS = N_("numbers are written with a decimal point and no thousands separator: 22904.30 kr")


def _parse_error(path: str, source: str, e: lark.exceptions.UnexpectedInput) -> PolicyError:
    line, column = max(e.line, 1), max(e.column, 1)
    hint = None
    if isinstance(e, lark.exceptions.UnexpectedCharacters):
        pos = e.pos_in_stream or 0
        char = source[pos] if pos < len(source) else "?"
        message = _("unexpected character {0!r}").format(char)
        if char == "," and pos > 0 and source[pos - 1].isdigit():
            hint = _(_THOUSANDS)
        elif e.allowed:
            message += "; " + _("expected {0}").format(_expected(set(e.allowed)))
    elif isinstance(e, lark.exceptions.UnexpectedToken):
        token = e.token
        seen = _("end of file") if token.type == "$END" else f'"{token}"'
        message = _("unexpected {0}; expected {1}").format(seen, _expected(_acceptable(e)))
        pos = token.start_pos or 0
        if str(token) == "," and 0 < pos < len(source) - 1 and source[pos - 1].isdigit() and source[pos + 1].isdigit():
            hint = _(_THOUSANDS)
        if token.type == "$END":
            line, column = _last_position(source)
        if "NUMBER" in e.expected and "RBRACE" in e.expected and len(e.expected) == 2:
            message = _("unexpected {0}; expected a slot number or '}}'").format(seen)
        before = source[: token.start_pos or 0].split()
        if before and before[-1] in ("alle", "nogen", "ingen", "antal", "hver", "opslag", "sorter"):
            hint = _("inside og/eller/ikke, put parentheses around it: ({0} {1} i …: …)").format(before[-1], token)
        unclosed = _unclosed(path, source, token, _acceptable(e))
        if unclosed is not None:
            return unclosed
        hint = hint or _suggestion(source, token)
    else:
        message = _("unexpected end of file")
        line, column = _last_position(source)
    return _error(path, source, line, column, message, hint)


def _suggestion(source: str, token: lark.Token) -> str | None:
    """'did you mean …?' for a misspelt keyword: an English or ASCII spelling, or a close keyword,
    offered only if the file parses further with it in place. The word before the unexpected
    token is tried too: a misspelt keyword where a name may stand is read as a name (`hvs x`)."""
    if token.type == "$END" or token.start_pos is None or len(source) > MAX_SUGGESTION_SOURCE:
        return None
    start, end, seen = token.start_pos, token.end_pos or token.start_pos + len(token), str(token)
    if seen == "=" and source[:start].endswith("="):
        start, seen = start - 1, "=="
    word = _replacement(source, start, end, seen, start)
    if word is not None:
        return _("did you mean '{name}'?").format(name=word)
    before = re.search(r"(?<![\w.])((?!\d)\w+)\s+$", source[:start])
    if before is not None:
        word = _replacement(source, before.start(1), before.end(1), before.group(1), start)
        if word is not None:
            return _("did you mean '{0}' instead of '{1}'?").format(word, before.group(1))
    return None


def _replacement(source: str, start: int, end: int, seen: str, beyond: int) -> str | None:
    """The keyword to put for source[start:end] (`seen`) so that the parse gets past `beyond`."""
    from almen.dsl.highlight import keywords  # the grammar's keywords (that module imports this one)

    ascii_ = seen.lower()
    for plain, letter in _ASCII:
        ascii_ = ascii_.replace(plain, letter)
    candidates = [SPELLINGS.get(seen.lower()), ascii_ if ascii_ in keywords() else None]
    candidates += difflib.get_close_matches(seen, keywords(), n=3, cutoff=0.6)
    for word in dict.fromkeys(c for c in candidates if c and c != seen):
        shift = len(word) - len(seen) if beyond >= end else 0
        if _parses_further(source[:start] + word + source[end:], beyond + shift):
            return word
    return None


def _parses_further(source: str, at: int) -> bool:
    """Whether the text parses, or fails only after the offset `at` (what was put there fits)."""
    try:
        lark_parser().parse(source)
    except lark.exceptions.UnexpectedInput as e:
        pos = e.token.start_pos if isinstance(e, lark.exceptions.UnexpectedToken) else e.pos_in_stream
        return pos is None or pos > at
    except (lark.exceptions.LarkError, RecursionError):
        return False
    return True


_BRACE = re.compile(r'"[^"\n]*"|#[^\n]*|[{}]')


def _unclosed(path: str, source: str, token: lark.Token, acceptable: set[str]) -> PolicyError | None:
    """A block left open: the next declaration (or the end of the file) comes where its '}' was
    due, so the error is put where the block was opened."""
    if "RBRACE" not in acceptable or token.type not in lark_parser().parse_interactive("").accepts():
        return None
    pos = len(source) if token.type == "$END" else token.start_pos or 0
    opened: list[int] = []
    for m in _BRACE.finditer(source, 0, pos):
        if m.group() == "{":
            opened.append(m.start())
        elif m.group() == "}" and opened:
            opened.pop()
    if not opened:
        return None
    at = opened[-1]
    line = source.count("\n", 0, at) + 1
    column = at - (source.rfind("\n", 0, at) + 1) + 1
    span = n.Span(path, line, column, line, column + 1, at, at + 1)
    if token.type == "$END":
        end_line, end_column = _last_position(source)
        where, note = _("the end of the file"), _("the file ends here")
    else:
        end_line, end_column = token.line or 1, token.column or 1
        where, note = _('"{0}" on line {1}').format(token, end_line), _("the next declaration starts here")
    there = n.Span(path, end_line, end_column, end_line, end_column + 1, pos, pos)
    related = ((there, note, source_line(source, end_line)),)
    hint = _("close it with '}}' before {0}").format(where)
    message = _("this '{0}' is never closed").format("{")
    return PolicyError([Diagnostic(span, message, hint, source_line(source, line), related)])


def _acceptable(e: lark.exceptions.UnexpectedToken) -> set[str]:
    """What could really come next: the parser is asked, so tokens that only follow after a
    reduction (`så` after a condition) are named, and impossible ones are not."""
    try:
        accepted = set(e.interactive_parser.accepts()) if e.interactive_parser is not None else set()
    except (lark.exceptions.LarkError, RecursionError):
        accepted = set()
    return accepted or set(e.expected)


def _last_position(source: str) -> tuple[int, int]:
    lines = source.rstrip().split("\n")  # lines as Lark counts them: \f, \x85 and U+2028 end none
    return len(lines), len(lines[-1]) + 1


# A `#` outside a string starts a comment; the grammar ignores comments, the formatter keeps them
# and the renderer reads sections and introductions from them.
_COMMENT = re.compile(r'^((?:[^"#]|"[^"\n]*")*)#(.*)$')


@attrs.frozen
class Comment:
    line: int
    text: str  # after the `#`, as written
    whole: bool  # the comment is the whole line, not the tail of a declaration's line


def comments(source: str) -> list[Comment]:
    """Every comment of a policy file, in order."""
    found = []
    for line_number, line in enumerate(source.split("\n"), start=1):  # numbered as Lark numbers lines
        m = _COMMENT.match(line.removesuffix("\r"))
        if m:
            found.append(Comment(line_number, m.group(2), not m.group(1).strip()))
    return found
