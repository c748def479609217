"""Parse errors: readable messages, exact locations, no Lark internals, limits on size and depth."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from almen import dsl
from almen.dsl import PolicyError, parse
from almen.dsl import nodes as n
from almen.dsl.parser import MAX_SOURCE_BYTES

HEADER = 'politik p {\n  version "1"\n  gyldig fra 2024-01-01 til 2027-12-31\n}\n'

LARK_INTERNALS = ("__ANON", "$END", "Token(", "RBRACE", "LBRACE", "LPAR", "RPAR", "COMMA", "COLON", "_NL")


def parse_error(source: str, path: str = "f.almen") -> PolicyError:
    with pytest.raises(PolicyError) as info:
        parse(source, path)
    return info.value


def assert_no_internals(message: str) -> None:
    for word in LARK_INTERNALS:
        assert word not in message, message


# ---------------------------------------------------------------- missing 'så'

MISSING_SAA_RULE = textwrap.dedent(
    """\
    regel d.a
      kilde "§ 1"
      hvis x
      {a: 1}
    """
)


def test_missing_saa_in_rule_points_at_the_consequence() -> None:
    e = parse_error(MISSING_SAA_RULE)
    assert (e.path, e.line, e.column) == ("f.almen", 4, 3)
    assert e.message.startswith('unexpected "{"; expected ')
    assert_no_internals(e.message)


def test_missing_saa_renders_path_line_col_source_and_caret() -> None:
    lines = str(parse_error(MISSING_SAA_RULE)).splitlines()
    assert lines[0].startswith('f.almen:4:3: error: unexpected "{"')
    assert lines[1] == "     4 |   {a: 1}"
    assert lines[2] == "       |   ^"


def test_missing_saa_in_slot_exception_names_saa() -> None:
    source = 'undtagelse u til hjul h plads 2\n  kilde "§ 1"\n  hvis a\n  kommunal\n'
    e = parse_error(source)
    assert (e.line, e.column) == (4, 3)
    assert e.message == 'unexpected "kommunal"; expected "så"'


@pytest.mark.parametrize(
    "source",
    [MISSING_SAA_RULE, "definition x = hvis a 1 ellers 2\n", 'regel d.a\n  kilde "§ 1"\n  hvis x > 1\n  1000 kr\n'],
    ids=["rule-record", "if-expression", "rule-amount"],
)
def test_missing_saa_message_mentions_saa(source: str) -> None:
    assert '"så"' in parse_error(source).message


# ---------------------------------------------------------------- characters


def test_unknown_character_location_and_message() -> None:
    e = parse_error("definition x = 1 @ 2\n")
    assert (e.path, e.line, e.column) == ("f.almen", 1, 18)
    assert e.message.startswith("unexpected character '@'")
    assert_no_internals(e.message)


def test_column_counts_characters_not_bytes() -> None:
    e = parse_error("definition æøå = 1 @ 2\n")
    assert (e.line, e.column) == (1, 20)
    assert str(e).splitlines()[2] == "       |" + " " * 20 + "^"


def test_line_counts_comments_and_blank_lines() -> None:
    e = parse_error("\n# en kommentar\n\n  definition x = (1 + 2\n")
    assert (e.line, e.column) == (4, 24)
    assert e.message == 'unexpected end of file; expected ")"'


def test_unterminated_string_is_an_unexpected_quote() -> None:
    e = parse_error('definition x = "abc\n')
    assert (e.line, e.column) == (1, 16)
    assert e.message == "unexpected character '\"'; expected an expression"


def test_invalid_calendar_date_is_located() -> None:
    e = parse_error("politik p {\n  gyldig fra 2024-02-30 til 2025-01-01\n}\n")
    assert (e.line, e.column) == (2, 14)
    assert e.message == "2024-02-30 is not a calendar date"


# ---------------------------------------------------------------- end of file


def test_unterminated_header_braces_point_at_the_brace_and_the_end_of_the_last_text() -> None:
    e = parse_error('politik p {\n  titel "x"\n\n\n')
    assert (e.line, e.column) == (1, 11)
    assert e.message == "this '{' is never closed"
    assert e.diagnostics[0].hint == "close it with '}' before the end of the file"
    ((span, note, _),) = e.diagnostics[0].related
    assert (span.line, span.column, note) == (2, 12, "the file ends here")
    assert_no_internals(e.message)


def test_unterminated_enum_braces_point_at_the_brace() -> None:
    e = parse_error("valg U { a, b\n\n")
    assert (e.line, e.column) == (1, 8)
    assert e.message == "this '{' is never closed"
    ((span, _, _),) = e.diagnostics[0].related
    assert (span.line, span.column) == (1, 14)


# ---------------------------------------------------------------- Danish decimal comma

DECIMAL_COMMA = "beslutning b: kr = 22.904,30 kr\n"


def test_danish_decimal_comma_is_an_error_at_the_comma() -> None:
    e = parse_error(DECIMAL_COMMA)
    assert (e.line, e.column) == (1, 26)
    assert e.message.startswith('unexpected ","')
    assert_no_internals(e.message)


@pytest.mark.parametrize(
    "source",
    [DECIMAL_COMMA, 'parameter x: kr {\n  kilde "§ 1"\n  fra 2024-01-01: 22.904,30 kr\n}\n'],
    ids=["decision", "parameter"],
)
def test_danish_decimal_comma_hints_at_decimal_point(source: str) -> None:
    e = parse_error(source)
    assert e.diagnostics[0].hint is not None
    assert "decimal point" in e.diagnostics[0].hint


# ---------------------------------------------------------------- no Lark internals anywhere

SAMPLE = textwrap.dedent(
    """\
    politik p {
      version "1"
      gyldig fra 2024-01-01 til 2027-12-31
    }
    valg U { venteliste, fleksibel }
    post A {
      ledighed: procent
      nr: heltal fra 1 til 9
      flag: sandhed = falsk
    }
    fakta a: A
    parameter g: procent {
      kilde "Bilag 15"
      fra 2024-01-01: 40 %
    }
    definition høj = a.ledighed > g og ikke a.flag
      kilde "§ 5"
    beslutning d: tekst
      kilde "§ 6"
    regel d.x
      kilde "§ 6"
      hvis høj
      så "x"
    tabel t {
      kilde "Figur 5"
      hit unik
      input a.ledighed
      række < 20 % => 1
      række >= 20 % => 2
    }
    hjul h {
      kilde "Bilag 4"
      typer U
      periode "1" fra 2024-01-01 til 2027-12-31 {
        1: på skift(venteliste, fleksibel -> venteliste)
        2: hvis a.flag så fleksibel med ["A1"] ellers venteliste
      }
    }
    """
)


def test_sample_parses() -> None:
    assert len(parse(SAMPLE).decls) == 10


def test_no_prefix_of_a_policy_leaks_lark_internals() -> None:
    seen = 0
    for cut in range(1, len(SAMPLE)):
        for source in (SAMPLE[:cut], SAMPLE[:cut] + " § " + SAMPLE[cut:]):
            try:
                parse(source, "f.almen")
            except PolicyError as e:
                seen += 1
                assert_no_internals(str(e))
                assert e.line >= 1 and e.column >= 1
                assert str(e).startswith(f"f.almen:{e.line}:{e.column}: error: ")
    assert seen > len(SAMPLE)  # most cuts are errors; every one was checked


# ---------------------------------------------------------------- size limit


def test_file_over_the_size_limit_is_refused() -> None:
    source = "#" + "x" * MAX_SOURCE_BYTES + "\n"
    e = parse_error(source, "stor.almen")
    assert (e.path, e.line, e.column) == ("stor.almen", 1, 1)
    assert e.message == "file is larger than 1,000,000 bytes"


def test_size_limit_counts_utf8_bytes_not_characters() -> None:
    source = "#" + "æ" * (MAX_SOURCE_BYTES // 2) + "\n"  # ~500 000 characters, ~1 000 002 bytes
    assert len(source) < MAX_SOURCE_BYTES
    assert parse_error(source).message == "file is larger than 1,000,000 bytes"


def test_file_exactly_at_the_size_limit_parses() -> None:
    source = "#" + "x" * (MAX_SOURCE_BYTES - 2) + "\n"
    assert len(source.encode("utf-8")) == MAX_SOURCE_BYTES
    assert parse(source).decls == ()


# ---------------------------------------------------------------- nesting depth


def test_five_thousand_plain_parentheses_parse_to_the_inner_value() -> None:
    module = parse("definition x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    assert module.decls[0].body == n.Literal("int", 1)


@pytest.mark.parametrize(
    "body",
    ["(1 + " * 5000 + "1" + ")" * 5000, "[" * 5000 + "1" + "]" * 5000, "-" * 5000 + "1", "ikke " * 5000 + "sand"],
    ids=["sums", "lists", "negations", "ikke"],
)
def test_five_thousand_levels_of_nesting_are_a_policy_error(body: str) -> None:
    e = parse_error("definition x = " + body + "\n", "dyb.almen")
    assert (e.path, e.line) == ("dyb.almen", 1)
    assert e.message == "this is nested more than 100 levels deep"
    assert e.diagnostics[0].hint == "split the expression into named definitions"


def test_five_thousand_unclosed_parentheses_report_end_of_file() -> None:
    e = parse_error("definition x = " + "(" * 5000 + "1\n")
    assert (e.line, e.column) == (1, 5017)
    assert e.message == 'unexpected end of file; expected ")"'


def test_deepest_nesting_the_parser_accepts_also_loads(tmp_path: Path) -> None:
    def source(depth: int) -> str:
        return HEADER + f'beslutning x: tal = {"(1 + " * depth}1{")" * depth}\n  kilde "§ 1"\n'

    deepest = 0
    for depth in range(50, 1500, 10):
        try:
            parse(source(depth))
        except PolicyError:
            break
        deepest = depth
    assert deepest > 0
    (tmp_path / "p.almen").write_text(source(deepest), encoding="utf-8")
    try:
        dsl.load(tmp_path)
    except PolicyError:
        pass  # refusing it is fine; crashing is not
    except RecursionError:
        pytest.fail(f"RecursionError loading a policy nested {deepest} deep, which parses")


def test_parse_error_message_uses_friendly_terminal_names() -> None:
    e = parse_error("fakta x heltal\n")
    assert (e.line, e.column) == (1, 9)
    assert e.message == 'unexpected "heltal"; expected ":"'
    e = parse_error("politik p {\n  gyldig fra 2024 til 2025-01-01\n}\n")
    assert e.message.endswith("expected a date (YYYY-MM-DD)")
