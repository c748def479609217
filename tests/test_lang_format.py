"""format_source: idempotent, never changes the tree, keeps comments; checked on the real
policies, on messy hand-written input and on random expressions (hypothesis)."""

from __future__ import annotations

import datetime as dt
import textwrap
import unicodedata
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from almen.dsl import PolicyError, parse
from almen.dsl import nodes as n
from almen.dsl.formatter import KEYWORDS, format_source

ROOT = Path(__file__).resolve().parent.parent
POLICY_FILES = sorted((ROOT / "policies").rglob("*.almen"))


def assert_format_is_sound(source: str) -> str:
    formatted = format_source(source)
    assert format_source(formatted) == formatted, "formatting twice changed the text"
    assert parse(formatted).decls == parse(source).decls, "formatting changed the tree"
    return formatted


# ---------------------------------------------------------------- the real policies


def test_there_are_policy_files() -> None:
    assert POLICY_FILES


@pytest.mark.parametrize("path", POLICY_FILES, ids=[str(p.relative_to(ROOT)) for p in POLICY_FILES])
def test_policy_file_formats_soundly(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    try:
        parse(source, str(path))
    except PolicyError as e:  # the file is being edited elsewhere; it is not the formatter's fault
        pytest.skip(f"does not parse right now: {e.message}")
    formatted = assert_format_is_sound(source)
    comments = [line.strip() for line in source.splitlines() if line.strip().startswith("#")]
    for comment in comments:
        assert comment in formatted


# ---------------------------------------------------------------- messy input

MESSY = """\
# header comment
politik   p{version "1"   gyldig fra 2024-01-01 til 2027-12-31   # trailing
}
# before the enum

valg   U{a,b,"c d"}
fakta x : procent   # after a fact
beslutning d:sandhed=x>40 %og ikke(x<10 %)eller x mellem 1 % og 2 %
  kilde "§ 1"
definition lang = hvis x > 1 % så 1 ellers hvis x > 2 % så 2 ellers hvis x > 3 % så 3 ellers hvis x > 4 % så 4 ellers 5
  kilde "§ 2" # on a citation
definition l = [1,2,3] + [4]
  kilde "§ 2"
definition tal = -(1 - 2) - -3 * (4 / 5) + (1 + 2) * 3
  kilde "§ 2"
definition    lang_og = x > 1 % og x > 2 % og x > 3 % og x > 4 % og x > 5 % og x > 6 % og x > 7 % og x > 8 % og x > 9 %
  kilde "§ 2"
regel   d.a   kilde "§ 1"  hvis x>1 %   så   sand
post R { a : heltal fra 1 til 4 = 2
  b: liste af tekst
    fortolkning "en   note   med  mellemrum" }
tabel t "Titel" { kilde "Figur 5" hit unik input x
  række < 20 % => 1
  række 20 % ..< 30 % => 2 fortolkning "række"
  række >= 30 % => 3 }
hjul h { kilde "Bilag 4" typer U periode "1" fra 2024-01-01 til 2027-12-31 {
  1: på skift(a,b->a) 2: hvis x > 1 % så a med ["A1"] ellers b } }
# the end
"""


def test_messy_input_formats_soundly() -> None:
    assert_format_is_sound(MESSY)


def test_messy_input_is_laid_out_canonically() -> None:
    formatted = format_source(MESSY)
    assert 'valg U { "a", "b", "c d" }' in formatted
    assert 'beslutning d: sandhed = x > 40 % og ikke x < 10 % eller x mellem 1 % og 2 %\n  kilde "§ 1"' in formatted
    assert "definition l = [1, 2, 3] + [4]" in formatted
    assert "definition tal = -(1 - 2) - -3 * (4 / 5) + (1 + 2) * 3" in formatted
    assert 'regel d.a\n  kilde "§ 1"\n  hvis x > 1 %\n  så sand' in formatted
    assert "    1: på skift(a, b -> a)\n" in formatted
    assert '    2: hvis x > 1 % så a med ["A1"] ellers b\n' in formatted
    assert '  række 20 % ..< 30 % => 2\n    fortolkning "række"' in formatted
    assert '  a: heltal fra 1 til 4 = 2\n  b: liste af tekst\n    fortolkning "en note med mellemrum"\n' in formatted


def test_comments_survive_formatting() -> None:
    formatted = format_source(MESSY)
    for comment in (
        "# header comment",
        "# trailing",
        "# before the enum",
        "# after a fact",
        "# on a citation",
        "# the end",
    ):
        assert comment in formatted


def test_long_lines_are_broken_but_mean_the_same() -> None:
    formatted = format_source(MESSY)
    assert all(len(line) <= 100 for line in formatted.splitlines())
    assert "definition lang =\n  hvis x > 1 % så 1\n  ellers hvis" in formatted


def test_decimal_numbers_stay_decimal() -> None:
    source = 'definition x = 2.0 + 2.50 + 1_000\n  kilde "§ 1"\n'
    formatted = assert_format_is_sound(source)
    assert formatted == 'definition x = 2.0 + 2.5 + 1000\n  kilde "§ 1"\n'


def test_members_that_are_keywords_stay_quoted() -> None:
    formatted = assert_format_is_sound('valg Pension { "ingen", "efterløn" }\n')
    assert formatted == 'valg Pension { "ingen", "efterløn" }\n'


def test_ne_is_written_with_the_unicode_sign() -> None:
    formatted = assert_format_is_sound('definition x = a != b og c ≤ d og e >= f\n  kilde "§ 1"\n')
    assert formatted == 'definition x = a ≠ b og c <= d og e >= f\n  kilde "§ 1"\n'


def test_formatting_a_formatted_example_is_the_identity() -> None:
    source = textwrap.dedent(
        """\
        politik p {
          version "1"
          gyldig fra 2024-01-01 til 2027-12-31
          månedsregel sidste_dag
        }

        # kommentar
        fakta x: procent

        parameter g: procent {
          kilde "Bilag 15"
          fra 2024-01-01: 40 %
        }
        """
    )
    assert format_source(source) == source


# ---------------------------------------------------------------- random expressions

NAMES = ["a", "b", "xs", "ledighed", "øvrige", "p_1", "Æble"]
assert not set(NAMES) & KEYWORDS

decimals = st.builds(lambda k, d: Fraction(k, 10**d), st.integers(0, 10**7), st.integers(0, 3))
# NFC: the parser normalises sources, so a text in another normal form reads back as its NFC form
text = st.text(
    st.characters(blacklist_characters='"#\n\r', blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=8
).map(lambda x: unicodedata.normalize("NFC", x))
literals = st.one_of(
    st.builds(lambda v: n.Literal("int", v), st.integers(0, 10**9)),
    st.builds(lambda v: n.Literal("number", v), decimals),
    st.builds(lambda v: n.Literal("percent", v), decimals),
    st.builds(lambda v: n.Literal("money", v), decimals),
    st.builds(lambda v: n.Literal("string", v), text),
    st.builds(lambda v: n.Literal("bool", v), st.booleans()),
    st.builds(lambda v: n.Literal("date", v), st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31))),
    st.just(n.Literal("null", None)),
    st.builds(
        lambda v, u: n.Literal("duration", v, u),
        st.integers(0, 400),
        st.sampled_from(["dage", "hverdage", "måneder", "år"]),
    ),
)
names = st.builds(n.Name, st.sampled_from(NAMES))
var = st.sampled_from(NAMES)


def compound(kids: st.SearchStrategy) -> st.SearchStrategy:
    small = st.lists(kids, max_size=3).map(tuple)
    return st.one_of(
        st.builds(n.Field, st.one_of(names, st.builds(n.Call, var, small)), var),
        st.builds(n.Call, var, small),
        st.builds(n.Unary, st.sampled_from(["-", "ikke"]), kids),
        st.builds(n.Binary, st.sampled_from(["+", "-", "*", "/"]), kids, kids),
        st.builds(n.Compare, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), kids, kids),
        st.builds(n.BoolOp, st.sampled_from(["og", "eller"]), kids, kids),
        st.builds(n.Member, kids, kids, st.booleans()),
        st.builds(n.Between, kids, kids, kids),
        st.builds(n.If, kids, kids, kids),
        st.builds(n.ListLit, small),
        st.builds(n.RecordLit, st.lists(st.tuples(var, kids), max_size=3).map(tuple)),
        st.builds(n.Quantifier, st.sampled_from(["alle", "nogen", "ingen"]), var, kids, st.none() | kids, kids),
        st.builds(n.Count, var, kids, st.none() | kids),
        st.builds(n.Sort, var, kids, kids),
    )


expressions = st.recursive(st.one_of(literals, names), compound, max_leaves=30)


def naive(e: object) -> str:
    """Text for an expression with every compound part in parentheses: easy to get right."""
    if isinstance(e, n.Literal):
        if e.kind == "string":
            return f'"{e.value}"'
        if e.kind == "bool":
            return "sand" if e.value else "falsk"
        if e.kind == "null":
            return "intet"
        if e.kind == "date":
            return e.value.isoformat()
        if e.kind == "duration":
            return f"{e.value} {e.unit}"
        if e.kind == "int":
            return str(e.value)
        digits = f"{float(e.value):.3f}"  # at most three decimals by construction
        assert Fraction(digits) == e.value
        return digits + {"number": "", "percent": " %", "money": " kr"}[e.kind]
    if isinstance(e, n.Name):
        return e.name
    if isinstance(e, n.Field):
        return f"{naive(e.obj)}.{e.name}"
    if isinstance(e, n.Call):
        return f"{e.name}(" + ", ".join(naive(a) for a in e.args) + ")"
    if isinstance(e, n.Unary):
        return f"({e.op} {naive(e.operand)})"
    if isinstance(e, n.Binary | n.Compare):
        return f"({naive(e.left)} {e.op} {naive(e.right)})"
    if isinstance(e, n.BoolOp):
        return f"({naive(e.left)} {e.op} {naive(e.right)})"
    if isinstance(e, n.Member):
        return f"({naive(e.elem)} {'ikke i' if e.negated else 'i'} {naive(e.coll)})"
    if isinstance(e, n.Between):
        return f"({naive(e.value)} mellem {naive(e.low)} og {naive(e.high)})"
    if isinstance(e, n.If):
        return f"(hvis {naive(e.cond)} så {naive(e.then)} ellers {naive(e.else_)})"
    if isinstance(e, n.ListLit):
        return "[" + ", ".join(naive(x) for x in e.items) + "]"
    if isinstance(e, n.RecordLit):
        return "{" + ", ".join(f"{k}: {naive(v)}" for k, v in e.items) + "}"
    if isinstance(e, n.Quantifier):
        where = f" hvor {naive(e.where)}" if e.where is not None else ""
        return f"({e.kind} {e.var} i {naive(e.coll)}{where}: {naive(e.body)})"
    if isinstance(e, n.Count):
        where = f" hvor {naive(e.where)}" if e.where is not None else ""
        return f"(antal {e.var} i {naive(e.coll)}{where})"
    if isinstance(e, n.Sort):
        return f"(sorter {e.var} i {naive(e.coll)} efter {naive(e.key)})"
    raise AssertionError(e)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_random_expression_keeps_its_tree_through_formatting(expr: object) -> None:
    source = f'definition x = {naive(expr)}\n  kilde "§ 1"\n'
    (parsed,) = parse(source).decls
    assert parsed.body == expr  # the naive text means what was generated
    formatted = format_source(source)
    (again,) = parse(formatted).decls
    assert again == parsed
    assert format_source(formatted) == formatted


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions, st.sampled_from(["beslutning", "regel"]))
def test_random_expression_in_rules_and_decisions(expr: object, kind: str) -> None:
    if kind == "beslutning":
        source = f'beslutning d = {naive(expr)}\n  kilde "§ 1"\n'
    else:
        source = f'regel d.a\n  kilde "§ 1"\n  hvis {naive(expr)}\n  så {naive(expr)}\n'
    formatted = assert_format_is_sound(source)
    assert parse(formatted).decls == parse(source).decls


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from([" ", "  ", "\n", "\n\n", "\t", " # note\n"]), min_size=8, max_size=8),
)
def test_random_spacing_and_comments_do_not_matter(gaps: list[str]) -> None:
    words = ["definition", "x", "=", "hvis", "a", "så", "1", "ellers", "2"]
    source = "".join(w + g for w, g in zip(words[:-1], gaps, strict=True)) + words[-1] + '\n  kilde "§ 1"\n'
    formatted = assert_format_is_sound(source)
    assert formatted.splitlines()[-2:] == ["definition x = hvis a så 1 ellers 2", '  kilde "§ 1"']
    assert formatted.count("# note") == source.count("# note")
