"""The stricter checker (issue 14, item 4): a wheel has all nine slots; a misspelt keyword in a
parse error gets a suggestion (also for English and ASCII spellings); an unclosed block is
reported at its opening brace. Each with its message and its location."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_lang_checker import WHEEL, check_error, where

from almen import dsl
from almen.dsl import PolicyError, parse

KBH = Path(__file__).resolve().parent.parent / "policies" / "koebenhavn" / "2024-2027"
HEADER = 'politik p {\n  version "1"\n}\n\nbeslutning b: heltal\n  kilde "§ 1"\n\n'  # seven lines


def parse_error(source: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        parse(source, "f.almen")
    return info.value


# ---------------------------------------------------------------- wheels: nine slots


def test_the_agreement_with_slot_9_deleted_is_an_error_at_the_period(tmp_path: Path) -> None:
    """The issue's case: slot 9 of områdetrappe_trin_1 (06_hjul.almen, line 27) deleted."""
    policy = tmp_path / "2024-2027"
    shutil.copytree(KBH, policy)
    wheels = policy / "06_hjul.almen"
    lines = wheels.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[26].strip() == "9: fleksibel med områdetrappens_kriterier"
    wheels.write_text("".join(lines[:26] + lines[27:]), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        dsl.load(policy)
    [d] = info.value.diagnostics
    assert (Path(d.span.path).name, d.span.line, d.span.column) == ("06_hjul.almen", 17, 3)
    assert d.message == "period '2024-2027' of wheel 'områdetrappe_trin_1' lacks slot 9"
    assert d.hint == "a letting wheel has 9 slots, numbered 1 to 9; add: 9: <type>"


def test_a_wheel_of_three_slots_lacks_slots_4_to_9(tmp_path: Path) -> None:
    three = WHEEL.replace("".join(f"    {i}: venteliste\n" for i in range(4, 10)), "")
    e = check_error(tmp_path, three)
    assert where(e) == ("01.almen", 5, 3)
    assert e.message == "period '1' of wheel 'h' lacks slots 4 to 9"


def test_a_tenth_slot_is_an_error_at_that_slot(tmp_path: Path) -> None:
    e = check_error(tmp_path, WHEEL.replace("    9: venteliste\n", "    9: venteliste\n    10: kommunal\n"))
    assert where(e) == ("01.almen", 15, 5)
    assert e.message == "period '1' of wheel 'h' has 10 slots; a letting wheel has 9"
    assert e.diagnostics[0].hint == "remove the slots after 9"


def test_a_gap_names_the_missing_slot(tmp_path: Path) -> None:
    e = check_error(tmp_path, WHEEL.replace("    5: venteliste\n", ""))
    assert where(e) == ("01.almen", 5, 3)
    assert e.message == "the slots of period '1' of wheel 'h' must be numbered 1 to 9, once each"
    assert e.diagnostics[0].hint == "found 1, 2, 3, 4, 6, 7, 8, 9; missing 5"


def test_the_shipped_policies_have_every_slot() -> None:
    for policy in sorted((KBH.parent.parent).glob("*/*/")):
        model = dsl.load(policy)
        for wheel in model.wheels.values():
            assert all(sorted(s.number for s in p.slots) == list(range(1, 10)) for p in wheel.periods), wheel.name


# ---------------------------------------------------------------- misspelt keywords


@pytest.mark.parametrize(
    ("body", "line", "column", "hint"),
    [
        ('regel b.r\n  kilde "§ 1"\n  if 1 = 2\n  så 3\n', 10, 3, "did you mean 'hvis'?"),
        ('regel b.r\n  kilde "§ 1"\n  hvis 1 = 2\n  saa 3\n', 11, 3, "did you mean 'så'?"),
        ('regel b.r\n  kilde "§ 1"\n  hvis 1 = 2 then 3\n', 10, 14, "did you mean 'så'?"),
        ('regl b.r\n  kilde "§ 1"\n  så 3\n', 8, 1, "did you mean 'regel'?"),
        ('regel b.r\n  kidle "§ 1"\n  så 3\n', 9, 3, "did you mean 'kilde'?"),
        ('regel b.r\n  kilde "§ 1"\n  hvis 1 == 2\n  så 3\n', 10, 11, "did you mean '='?"),
        ('parameter g: procent {\n  kilde "§ 2"\n  fra 2024-01-01: 40 procent\n}\n', 10, 22, "did you mean '%'?"),
        ('maal m {\n  kilde "§ 3"\n  måling 1\n  retning følges\n}\n', 8, 1, "did you mean 'mål'?"),
    ],
    ids=["if", "saa", "then", "regl", "kidle", "==", "procent", "maal"],
)
def test_a_misspelt_keyword_gets_a_suggestion(body: str, line: int, column: int, hint: str) -> None:
    e = parse_error(HEADER + body)
    assert (e.line, e.column) == (line, column)
    assert e.message.startswith("unexpected ")
    assert e.diagnostics[0].hint == hint


def test_a_keyword_that_would_not_fit_is_not_suggested() -> None:
    """'hvsi' is close to 'hvis', but no declaration starts with 'hvis'."""
    e = parse_error(HEADER + "hvsi 1 = 2\n")
    assert (e.line, e.column) == (8, 1)
    assert e.diagnostics[0].hint is None


# ---------------------------------------------------------------- unclosed blocks


def test_an_unclosed_block_points_at_its_opening_brace() -> None:
    e = parse_error('politik p {\n  version "1"\n\nbeslutning b: heltal\n  kilde "§ 1"\n')
    assert (e.line, e.column) == (1, 11)
    assert e.message == "this '{' is never closed"
    assert e.diagnostics[0].hint == """close it with '}' before "beslutning" on line 4"""
    ((span, note, text),) = e.diagnostics[0].related
    assert (span.line, span.column, note, text) == (4, 1, "the next declaration starts here", "beslutning b: heltal")


def test_the_innermost_unclosed_block_is_the_one_reported() -> None:
    source = HEADER + 'parameter g: procent {\n  kilde "§ 2"\n  fra 2024-01-01: 40 %\n\nfakta f: heltal\n'
    e = parse_error(source)
    assert (e.line, e.column) == (8, 22)
    assert e.message == "this '{' is never closed"
    assert "line 12" in (e.diagnostics[0].hint or "")


def test_a_brace_inside_a_string_or_comment_does_not_count() -> None:
    e = parse_error('politik p { # {\n  titel "{"\n\nfakta f: heltal\n')
    assert (e.line, e.column) == (1, 11)


def test_a_misspelt_keyword_read_as_a_name_is_found_before_the_error() -> None:
    """`hvs` may be a name, so the parse fails at the next token; the word before is tried too."""
    e = parse_error(HEADER + 'definition d = hvs 1 = 2 så 1 ellers 2\n  kilde "§ 1"\n')
    assert (e.line, e.column) == (8, 20)
    assert e.diagnostics[0].hint == "did you mean 'hvis' instead of 'hvs'?"
