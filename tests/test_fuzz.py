"""Fuzz tests: whatever a policy file or a set of facts holds, almen answers or says what is wrong.

The contract under test:

1. Policy sources. ``dsl.parse(source, path)`` and ``dsl.check([module, …])`` succeed or raise
   ``dsl.PolicyError`` whose ``.path`` is one of the files given, whose ``.line``/``.column`` lie
   inside that file (1 ≤ line ≤ lines + 1, 1 ≤ column), and whose text shows no Python internals
   (a traceback, ``__ANON``, ``$END``, ``Token(``). Never another exception, a RecursionError or a
   hang. Inputs: token-level mutations of the real policy files, checked together with the rest
   of their directory; truncations; random text over the language's tokens; random declarations;
   deep nesting (10 000 parentheses, a 50 000-term sum, sweeps of other constructs); long chains
   of definitions; sources over 1 MB.
2. Facts. ``load_policy(KBH).decide(name, facts, date)`` returns an Answer (determined or
   undetermined, whose ``to_dict()`` and ``explain()`` work) or raises ``FactError`` naming the
   fact path (or "date") and the expected type. ``EvaluationError`` (a PolicyError pointing into
   the policy) is allowed too; every distinct one seen is collected, set ALMEN_FUZZ_REPORT=<file>
   to have them written out. Facts: the golden scenarios' facts mutated; type-correct facts from
   the policy's fact types; random JSON; odd dates.
3. Beyond the letter of the contract: a policy the checker accepts compiles, and a random policy
   the checker accepts evaluates under contract 2.
4. ``tests/fuzz_corpus/``: every input that ever failed, replayed against the same contract
   (formats at ``corpus_cases`` below).

Known bugs. A crash found here is not fixed here: its input goes into the corpus and its id into
KNOWN_BUGS. That one entry (a) marks the corpus replays of that bug ``xfail(strict=True)`` (and
only that crash satisfies the xfail: failing in another way is a WrongFailure) and (b) lets the
property tests pass over the same crash, matched by exception type and the function it comes
from, so that they keep testing everything else. When a bug is fixed, delete its entry: its
replays must then pass, and the property tests no longer tolerate it.

Every example runs under ``guarded()``: a hard DEADLINE (SIGALRM, then a check of the clock) and
the recursion headroom of a fresh process, so results do not depend on pytest's stack depth.

Runs are reproducible (derandomize=True). For hunting, not for CI: ALMEN_FUZZ_SCALE=10 multiplies
every example count, ALMEN_FUZZ_RANDOM=1 draws fresh random examples, and ALMEN_FUZZ_SAVE=<dir>
writes each failing input there in corpus form.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import fnmatch
import functools
import json
import math
import os
import re
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as _hypothesis_event
from hypothesis import note as _hypothesis_note
from hypothesis import strategies as st

from almen import dsl, interpreter
from almen.dsl import types as t
from almen.interpreter.program import Program

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(dsl.__file__).resolve().parent.parent  # the installed almen: dsl/ and interpreter/ inside it
POLICY_DIR = ROOT / "policies" / "koebenhavn" / "2024-2027"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden" / "koebenhavn"
CORPUS = Path(__file__).resolve().parent / "fuzz_corpus"
GRAMMAR = ROOT / "dsl" / "almen.lark"

DEADLINE = 2.0  # seconds one example may take before it counts as a hang
STACK_HEADROOM = 1000  # frames available to the code under test, as in a fresh `almen` process

# ---------------------------------------------------------------------------- settings

settings.register_profile(
    "almen-fuzz",
    derandomize=os.environ.get("ALMEN_FUZZ_RANDOM") != "1",
    database=None,
    deadline=None,  # the hard per-example DEADLINE below stops hangs; Hypothesis' own only measures
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
_PROFILE = settings.get_profile("almen-fuzz")
_SCALE = float(os.environ.get("ALMEN_FUZZ_SCALE", "1"))


def event(value: str) -> None:
    """hypothesis.event inside a @given test; nothing elsewhere (plain tests, corpus replays)."""
    with contextlib.suppress(Exception):
        _hypothesis_event(value)


def note(value: str) -> None:
    with contextlib.suppress(Exception):
        _hypothesis_note(value)


def fuzz(examples: int) -> settings:
    return settings(_PROFILE, max_examples=max(1, int(examples * _SCALE)))


# ---------------------------------------------------------------------------- known bugs


@dataclass(frozen=True)
class Bug:
    """A crash not fixed yet, recognised by its exception and where it comes from.

    innermost: pattern ("file:function") for the innermost dsl/ or interpreter/ frame;
    within: pattern that some dsl/ or interpreter/ frame must match.
    """

    reason: str
    exceptions: tuple[type[BaseException], ...]
    innermost: str | None = None
    within: str | None = None


class Hang(BaseException):
    """An example ran past DEADLINE. A BaseException, so that no `except Exception` swallows it."""


KNOWN_BUGS: dict[str, Bug] = {
}

_tolerated: dict[str, int] = {}


def project_frames(exc: BaseException) -> list[str]:
    """'dsl/parser.py:goal'-style names of the dsl/ and interpreter/ frames of a traceback, outermost first."""
    frames = []
    for fs in traceback.extract_tb(exc.__traceback__):
        try:
            rel = Path(fs.filename).resolve().relative_to(PACKAGE).as_posix()
        except ValueError:
            continue
        if rel.startswith(("dsl/", "interpreter/")):
            frames.append(f"{rel}:{fs.name}")
    return frames


def unwrap(exc: BaseException) -> BaseException:
    """Lark wraps what a transformer raises; the original is the crash."""
    while isinstance(exc, lark.exceptions.VisitError):
        exc = exc.orig_exc
    return exc


def matches(bug: Bug, exc: BaseException, anywhere_for_hangs: bool = False) -> bool:
    exc = unwrap(exc)
    if not isinstance(exc, bug.exceptions):
        return False
    if anywhere_for_hangs and isinstance(exc, Hang):
        return True  # where a hang happens to be interrupted varies from run to run
    frames = project_frames(exc)
    if bug.innermost is not None and not (frames and fnmatch.fnmatch(frames[-1], bug.innermost)):
        return False
    return bug.within is None or any(fnmatch.fnmatch(f, bug.within) for f in frames)


def known_bug(exc: BaseException) -> str | None:
    return next((bug_id for bug_id, bug in KNOWN_BUGS.items() if matches(bug, exc)), None)


def crash_report(exc: BaseException) -> str:
    original = unwrap(exc)
    lines = traceback.format_exception(original)
    return "".join(lines[-12:])


# ---------------------------------------------------------------------------- running one input


def _depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    return depth


@contextlib.contextmanager
def guarded(seconds: float = DEADLINE) -> Iterator[None]:
    """A hard deadline (SIGALRM raises Hang) and the stack headroom of a fresh process.

    The headroom makes recursion limits the same under pytest and Hypothesis as on the
    command line, so a RecursionError found here is found there, and vice versa.
    """
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_depth() + STACK_HEADROOM)
    use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    old_handler = None
    if use_alarm:

        def on_alarm(signum: int, frame: Any) -> None:
            raise Hang(f"no answer within {seconds} s")

        old_handler = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
        sys.setrecursionlimit(old_limit)
    # The alarm's Hang can be lost (raised inside a garbage-collector callback, say): check the clock too.
    if time.monotonic() - start > seconds:
        raise Hang(f"took {time.monotonic() - start:.1f} s, more than {seconds} s")


class ContractViolation(AssertionError):
    pass


_current: dict[str, Any] = {}  # the input being tried, for saving it when it fails
_program_source: dict[int, str] = {}  # id(random policy) → its source, for saving
_replaying: list[str | None] = []  # while a corpus file is replayed: the known bug it was saved for, if any


class WrongFailure(AssertionError):
    """A corpus file saved for one known bug failed in another way: no xfail may hide that."""


def remember(kind: str, **payload: Any) -> None:
    _current.clear()
    _current.update(kind=kind, **payload)


def save_failure(bug: str) -> None:
    """With ALMEN_FUZZ_SAVE=<dir>, write the failing input there in corpus form (for triage by hand)."""
    target = os.environ.get("ALMEN_FUZZ_SAVE")
    if not target or not _current or _replaying:
        return
    import hashlib

    kind = _current["kind"]
    if kind in ("facts", "program"):
        keys = ("source", "decision", "date", "facts") if kind == "program" else ("decision", "date", "facts")
        case = {k: _jsonable(_current[k]) for k in keys}
        data = json.dumps(case, ensure_ascii=False, indent=1).encode("utf-8")
        name = f"{kind}s/{bug}__{{}}.json" if kind == "program" else f"facts/{bug}__{{}}.json"
    elif kind == "policy":
        data = _current["source"].encode("utf-8", errors="surrogateescape")
        name = f"policy/{Path(_current['path']).stem}__{bug}__{{}}.almen"
    else:
        data = _current["source"].encode("utf-8", errors="surrogateescape")
        name = f"sources/{bug}__{{}}.almen"
    out = Path(target) / name.format(hashlib.sha1(data).hexdigest()[:8])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)


def fail(message: str, exc: BaseException | None = None) -> None:
    if _replaying:
        expected = _replaying[-1]
        if exc is not None:
            message += "\n" + crash_report(exc)
        if expected is not None and not (exc is not None and matches(KNOWN_BUGS[expected], exc, True)):
            raise WrongFailure(f"saved for known bug {expected!r}, but: {message}") from None
        raise ContractViolation(message) from None
    if exc is not None:
        bug = known_bug(exc)
        where = (project_frames(unwrap(exc)) or ["?"])[-1].replace("/", ".")
        save_failure(bug or f"new-{type(unwrap(exc)).__name__}-{where}")
        if bug is not None:
            _tolerated[bug] = _tolerated.get(bug, 0) + 1
            event(f"known bug: {bug}")
            return
        message += "\n" + crash_report(exc)
    # `from None`: the crash is in the message; its own traceback may hold frames interrupted by
    # SIGALRM, which have no line number and make pytest's report of even an xfail crash.
    raise ContractViolation(message) from None


# ---------------------------------------------------------------------------- contract 1: sources

FORBIDDEN_IN_MESSAGES = ("Traceback", "__ANON", "$END", "Token(")


def check_policy_error(e: dsl.PolicyError, sources: dict[str, str]) -> None:
    """The location of a PolicyError is inside one of the files, and its text is for people."""
    assert e.path in sources, f"error path {e.path!r} is none of the files {sorted(sources)}: {e}"
    n_lines = len(sources[e.path].splitlines())
    assert 1 <= e.line <= n_lines + 1, f"line {e.line} outside 1..{n_lines + 1}: {e}"
    assert e.column >= 1, f"column {e.column} < 1: {e}"
    text = str(e)
    for bad in FORBIDDEN_IN_MESSAGES:
        if any(bad in source for source in sources.values()):
            continue  # the policy's own text, quoted back
        assert bad not in text, f"{bad!r} in the message: {text}"
    assert e.diagnostics, "a PolicyError without diagnostics"


def parse_and_check(sources: dict[str, str], parsed: dict[str, dsl.Module] | None = None) -> dsl.Model | None:
    """Parse each source (or take it from `parsed`) and check them together, under the contract.

    Returns the model when the policy is accepted, None when a PolicyError was raised (and
    found well-formed). A contract violation raises, unless it is a known bug.
    """
    parsed = parsed or {}
    try:
        with guarded():
            modules = [parsed[p] if p in parsed else dsl.parse(s, p) for p, s in sources.items()]
            return dsl.check(modules)
    except dsl.PolicyError as e:
        check_policy_error(e, sources)
        event(f"PolicyError: {_shape(e.message)}")
        return None
    except (Exception, Hang) as e:
        fail(f"dsl.parse/dsl.check raised {type(unwrap(e)).__name__}", e)
        return None


def compiles(model: dsl.Model, sources: dict[str, str]) -> None:
    """Beyond the letter of the contract: a policy the checker accepts must compile."""
    try:
        with guarded():
            Program(model)
    except dsl.PolicyError as e:
        check_policy_error(e, sources)
    except (Exception, Hang) as e:
        fail(f"Program() raised {type(unwrap(e)).__name__} on a checked policy", e)


def _shape(message: str) -> str:
    """A message with its particulars removed, to count kinds of errors."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", message)[:60]


# ---------------------------------------------------------------------------- the real policy


@functools.cache
def policy_sources() -> dict[str, str]:
    return {str(f): f.read_text(encoding="utf-8") for f in dsl.policy_files(POLICY_DIR)}


@functools.cache
def policy_modules() -> dict[str, dsl.Module]:
    return {p: dsl.parse(s, p) for p, s in policy_sources().items()}


@functools.cache
def grammar_keywords() -> tuple[str, ...]:
    """Every quoted literal of the grammar: keywords, units, operators, punctuation."""
    return tuple(sorted(set(re.findall(r'"([^"\\]+)"', GRAMMAR.read_text(encoding="utf-8")))))


@functools.cache
def kbh() -> interpreter.Policy:
    return interpreter.load_policy(POLICY_DIR)


# ---------------------------------------------------------------------------- tokens and mutations

TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>"[^"\n]*"?)
      | (?P<date>\d{4}-\d{2}-\d{2})
      | (?P<number>\d[\d_]*(?:\.\d+)?)
      | (?P<name>\w+)
      | (?P<punct>\.\.<|\.\.|=>|->|!=|<=|>=|\S)""",
    re.VERBOSE,
)
SPACE = re.compile(r"\s*")


def tokenize(source: str) -> tuple[str, list[tuple[str, str]]]:
    """Leading whitespace, and (token, whitespace after it) pairs; joining them gives the source back."""
    tokens: list[tuple[str, str]] = []
    prefix = SPACE.match(source).group(0)  # type: ignore[union-attr]
    pos = len(prefix)
    while pos < len(source):
        m = TOKEN.match(source, pos)
        assert m is not None
        space = SPACE.match(source, m.end()).group(0)  # type: ignore[union-attr]
        tokens.append((m.group(0), space))
        pos = m.end() + len(space)
    return prefix, tokens


def _kind(token: str) -> str:
    m = TOKEN.fullmatch(token)
    return m.lastgroup or "?" if m else "?"


def untokenize(prefix: str, tokens: list[tuple[str, str]]) -> str:
    return prefix + "".join(tok + space for tok, space in tokens)


def test_tokenize_round_trips() -> None:
    for source in policy_sources().values():
        assert untokenize(*tokenize(source)) == source


NUMBERS = ["0", "1", "9", "10", "2", "-1", "0.5", "22904.30", "1_000", "4", "100", "99999999999999999999", "1.", ".5"]
STRINGS = ['"x"', '""', '"§ 6.2.1"', '"Bilag 14"', '"æøå ÆØÅ"', '"venteliste"', '"', '"ingen"', '"\\"']
DATES = ["2024-01-01", "2027-12-31", "2026-01-01", "0001-01-01", "9999-12-31", "2024-02-30", "2024-13-01", "0000-00-00"]
PUNCT = list("{}()[],.:=<>+-*/|%#?!\"'") + ["..", "..<", "=>", "->", "≠", "≤", "≥", "!=", "<=", ">=", "§"]
ODD_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("æøåÆØÅ\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u00a0\u2028\u2029\ufeff\t\r\n ")),
        st.characters(exclude_categories=["Cs"]),
    ),
    min_size=1,
    max_size=6,
)


def random_token() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(grammar_keywords()),
        st.sampled_from(NUMBERS),
        st.sampled_from(STRINGS),
        st.sampled_from(DATES),
        st.sampled_from(PUNCT),
        st.from_regex(r"[a-zæøå_][a-zæøå_0-9]{0,8}", fullmatch=True),
    )


@st.composite
def mutation(draw: st.DrawFn, tokens: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    """One token-level change, described, and the tokens after it."""
    tokens = list(tokens)
    if not tokens:
        return "insert into empty", [(draw(random_token()), " ")]
    code = [k for k, (tok, _) in enumerate(tokens) if not tok.startswith("#")]
    i = draw(st.sampled_from(code)) if code and draw(st.integers(0, 9)) else draw(st.integers(0, len(tokens) - 1))
    op = draw(
        st.sampled_from(["delete", "duplicate", "swap", "replace-same-file", "replace-same-kind", "replace-same-kind",
                         "replace-random", "insert-odd", "insert"])
    )  # fmt: skip
    tok, space = tokens[i]
    if op == "replace-same-kind":
        # the same kind of token keeps the file parseable more often, so the checker gets to see it
        kind = _kind(tok)
        same = sorted({t for t, _ in tokens if _kind(t) == kind and t != tok})
        if same:
            other = draw(st.sampled_from(same))
            tokens[i] = (other, space)
            return f"replace {tok!r} (#{i}) with {other!r}", tokens
        op = "replace-random"
    if op == "delete":
        del tokens[i]
        return f"delete {tok!r} (#{i})", tokens
    if op == "duplicate":
        tokens.insert(i, (tok, " "))
        return f"duplicate {tok!r} (#{i})", tokens
    if op == "swap" and i + 1 < len(tokens):
        (a, sa), (b, sb) = tokens[i], tokens[i + 1]
        tokens[i], tokens[i + 1] = (b, sa), (a, sb)
        return f"swap {a!r} and {b!r} (#{i})", tokens
    if op == "replace-same-file":
        other = tokens[draw(st.integers(0, len(tokens) - 1))][0]
        tokens[i] = (other, space)
        return f"replace {tok!r} (#{i}) with {other!r}", tokens
    if op == "insert-odd":
        text = draw(ODD_TEXT)
        glue = draw(st.sampled_from(["", " "]))
        tokens[i] = (tok + glue + text, space)
        return f"append {text!r} to {tok!r} (#{i})", tokens
    new = draw(random_token())
    if op == "insert":
        tokens.insert(i, (new, " "))
        return f"insert {new!r} before {tok!r} (#{i})", tokens
    tokens[i] = (new, space)
    return f"replace {tok!r} (#{i}) with {new!r}", tokens


@st.composite
def mutated_policy_file(draw: st.DrawFn) -> tuple[str, str]:
    """A policy file of the København directory after one to three mutations (or a truncation)."""
    path = draw(st.sampled_from(sorted(policy_sources())))
    source = policy_sources()[path]
    prefix, tokens = tokenize(source)
    steps = draw(st.integers(1, 3))
    for _ in range(steps):
        what, tokens = draw(mutation(tokens))
        note(what)
    text = untokenize(prefix, tokens)
    if draw(st.integers(0, 9)) == 0:
        cut = draw(st.integers(0, len(text)))
        note(f"truncate at {cut}")
        text = text[:cut]
    return path, text


# ---------------------------------------------------------------------------- contract 1 (a): mutations


@fuzz(800)
@given(mutated_policy_file())
def test_mutated_policy_file_in_its_directory(case: tuple[str, str]) -> None:
    path, text = case
    sources = dict(policy_sources())
    sources[path] = text
    remember("policy", path=path, source=text)
    unchanged = {p: m for p, m in policy_modules().items() if p != path}
    model = parse_and_check(sources, unchanged)
    if model is not None:
        event("mutated policy accepted")
        compiles(model, sources)


@fuzz(60)
@given(st.sampled_from(sorted(policy_sources())), st.data())
def test_truncated_policy_file(path: str, data: st.DataObject) -> None:
    source = policy_sources()[path]
    cut = data.draw(st.integers(0, len(source)), label="cut")
    sources = {path: source[:cut]}
    remember("source", source=source[:cut])
    parse_and_check(sources)


def test_each_policy_file_alone() -> None:
    """Every real file checked on its own: names from other files are unknown, never a crash."""
    for path, source in policy_sources().items():
        remember("source", source=source)
        parse_and_check({path: source})


def test_the_real_policy_is_accepted() -> None:
    assert parse_and_check(dict(policy_sources())) is not None


# ---------------------------------------------------------------------------- contract 1 (b): token soup


@fuzz(300)
@given(
    st.lists(
        st.tuples(random_token(), st.sampled_from([" ", " ", " ", "\n", "", "\n  "])),
        max_size=60,
    )
)
def test_random_token_text(pieces: list[tuple[str, str]]) -> None:
    source = "".join(tok + sep for tok, sep in pieces)
    remember("source", source=source)
    parse_and_check({"soup.almen": source})


@fuzz(150)
@given(st.lists(st.tuples(random_token(), st.sampled_from([" ", "\n"])), max_size=40))
def test_random_tokens_after_a_header(pieces: list[tuple[str, str]]) -> None:
    """Past a valid header, so the parser gets further in."""
    source = 'politik p {\n  version "1"\n}\n' + "".join(tok + sep for tok, sep in pieces)
    remember("source", source=source)
    parse_and_check({"soup.almen": source})


# ---------------------------------------------------------------------------- contract 1 (b'): random declarations
# Token soup rarely gets past the parser; these declarations do, and exercise the checker.

HEADER = 'politik p {\n  version "1"\n  gyldig fra 2024-01-01 til 2027-12-31\n  månedsregel sidste_dag\n}\n'
PRELUDE = HEADER + (
    "valg Farve { rød, grøn, blå }\n"
    "post R {\n  n: heltal fra 0 til 10\n  x: tal\n  p: procent\n  k: kr\n  d: dato\n  b: sandhed\n"
    "  s: tekst\n  f: Farve\n  l: liste af heltal\n  o: dato? = intet\n}\n"
    "fakta r: R\nfakta rs: liste af R\n"
)
CITE = ' kilde "§ 1"'


LEAVES = [
    "1", "0", "2.5", "10 %", "100 kr", "3 dage", "2 måneder", "1 år", "5 hverdage", "2024-01-01",
    "9999-12-31", "0001-01-01", '"a"', '"rød"', "sand", "falsk", "intet", "r.n", "r.x", "r.p", "r.k",
    "r.d", "r.b", "r.s", "r.f", "r.l", "r.o", "rs", "beslutningsdato", "rød", "a", "b", "c", "[]", "[1, 2]",
    "{a: 1}", "x", "r", "y.n", "længde(rs)", "tom(r.l)", "sum(r.l)", "min(1, 2)", "max(r.n, 3)",
    "årstal(r.d)", "er_hverdag(r.d)", "hverdage_mellem(r.d, beslutningsdato)", "uden_intet([r.o])",
    "dag_i_måneden(beslutningsdato)", "målopfyldelse()", "t", "f(1)", "f(r.n)", "andele(h)", "plads(h, r.n)",
]  # fmt: skip
FORMS = [
    "%s + %s", "%s - %s", "%s * %s", "%s / %s", "%s = %s", "%s ≠ %s", "%s < %s", "%s >= %s", "%s og %s",
    "%s eller %s", "%s i %s", "%s ikke i %s", "(%s)", "ikke %s", "-%s", "hvis %s så %s ellers %s",
    "%s mellem %s og %s", "[%s, %s]", "(alle y i rs: %s)", "(nogen y i rs hvor %s: %s)", "(ingen y i rs: %s)",
    "(antal y i rs hvor %s)", "(hver y i rs: %s)", "(sorter y i rs efter %s)", "(opslag y i rs: %s => %s)",
    "%s.n", "%s.a", "{a: %s, b: 1}", "min(%s, %s)", "længde(%s)", "%s + 1 måned",
]  # fmt: skip


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> str:
    """A random expression (well-typed or not) over the PRELUDE's names, at most `depth` levels deep."""
    if depth <= 0 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(LEAVES))
    form = draw(st.sampled_from(FORMS))
    return form % tuple(draw(expressions(depth - 1)) for _ in range(form.count("%s")))


TYPES = [
    "tal", "heltal", "heltal fra 0 til 3", "procent", "kr", "brøk", "dato", "sandhed", "tekst", "Farve", "R",
    "liste af tal", "tal?", "dato?", "opslag af tal", "varighed", "Ukendt",
]  # fmt: skip
CELLS = [
    "-", "1", "2", "< 5", ">= 2", "1..3", "0..<2", "2024-01-01", "0001-01-01", "9999-12-31", '"a"', "rød",
    "rød | grøn", "1 | 2", "sand", "falsk", "10 %", "100 kr", "2024-01-01..2025-01-01", "1/3", "-1", "intet",
]  # fmt: skip


@st.composite
def declaration(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["definition", "decision", "rules", "table", "schedule", "parameter", "goal",
                                  "wheel", "record", "enum", "function"]))  # fmt: skip
    name = draw(st.sampled_from(["a", "b", "c", "t", "x", "f", "r", "rød"]))
    typ = draw(st.sampled_from(TYPES))
    e = draw(expressions())
    if kind == "definition":
        annotated = draw(st.booleans())
        return f"definition {name}{': ' + typ if annotated else ''} = {e}{CITE}"
    if kind == "function":
        return f"definition f(v: {typ}) = {e}{CITE}"
    if kind == "decision":
        return f"beslutning {name}: {typ} = {e}{CITE}"
    if kind == "rules":
        conds = draw(st.lists(expressions(2), min_size=1, max_size=3))
        rules = "\n".join(
            f"regel {name}.r{i}{' undtagelse til r0' if i and draw(st.booleans()) else ''}{CITE} hvis {c} så {e}"
            for i, c in enumerate(conds)
        )
        return f"beslutning {name}: {typ}{CITE}\n{rules}"
    if kind in ("table", "schedule"):
        n_inputs = draw(st.integers(1, 3))
        inputs = ", ".join(draw(st.lists(expressions(1), min_size=n_inputs, max_size=n_inputs)))
        rows = "\n".join(
            "  række " + ", ".join(draw(st.lists(st.sampled_from(CELLS), min_size=n_inputs, max_size=n_inputs)))
            + f" => {draw(expressions(1))}"
            for _ in range(draw(st.integers(1, 4)))
        )
        if kind == "schedule":
            rows = "\n".join(
                f"  række {draw(st.sampled_from(CELLS))} => {draw(expressions(1))}"
                for _ in range(draw(st.integers(1, 3)))
            )
            return f"skema {name} {{\n {CITE}\n  efter {draw(expressions(1))}\n{rows}\n}}"
        hit = draw(st.sampled_from(["unik", "første", "alle"]))
        return f"tabel {name} {{\n {CITE}\n  hit {hit}\n  input {inputs}\n{rows}\n}}"
    if kind == "parameter":
        values = "\n".join(f"  fra {d}: {draw(expressions(1))}" for d in draw(st.lists(st.sampled_from(DATES[:5]),
                                                                                          min_size=1, max_size=3)))
        return f"parameter {name}: {typ} {{\n {CITE}\n{values}\n}}"
    if kind == "goal":
        items = [f"måling {e}"] + draw(  # a goal without 'måling' is known bug goal-without-measure
            st.lists(st.sampled_from(["retning skal falde", "retning skal nå 5", "retning må ikke stige",
                                      "basislinje 3 pr 2024-01-01", 'tjener "x"', f"retning skal nå {e}"]),
                     max_size=3))  # fmt: skip
        return f"mål {name} {{\n {CITE}\n  " + "\n  ".join(items) + "\n}"
    if kind == "wheel":
        slots = draw(st.lists(st.sampled_from(["rød", "grøn", "blå", "gul", "rød -> grøn", "på skift (rød, blå)",
                                               "hvis r.b så rød ellers grøn", "rød med [\"a\"]"]),
                              min_size=1, max_size=4))  # fmt: skip
        numbers = draw(st.sampled_from(["seq", "gap"]))
        body = "\n".join(f"    {i + 1 if numbers == 'seq' else 2 * i + 1}: {s}" for i, s in enumerate(slots))
        start, end = draw(st.sampled_from([("2024-01-01", "2027-12-31"), ("2026-01-01", "2024-01-01")]))
        return f'hjul h {{\n {CITE}\n  typer Farve\n  periode "p" fra {start} til {end} {{\n{body}\n  }}\n}}'
    if kind == "record":
        return f"post {name.upper()} {{ a: {typ} b: {draw(st.sampled_from(TYPES))} }}"
    return f"valg {name.upper()} {{ a, b, {name} }}"


@fuzz(600)
@given(st.lists(declaration(), min_size=1, max_size=5))
def test_random_declarations(decls: list[str]) -> None:
    source = PRELUDE + "\n".join(decls) + "\n"
    remember("source", source=source)
    sources = {"decl.almen": source}
    model = parse_and_check(sources)
    if model is not None:
        event("random declarations accepted")
        compiles(model, sources)


@fuzz(400)
@given(st.lists(declaration(), max_size=2), expressions(), st.data())
def test_accepted_random_policies_evaluate(decls: list[str], body: str, data: st.DataObject) -> None:
    """Beyond the contract: what the checker accepts, the interpreter evaluates (contract 2 on random policies)."""
    source = PRELUDE + "\n".join(decls) + f"\nbeslutning svar = {body}{CITE}\n"
    remember("source", source=source)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "decl.almen"
        path.write_text(source, encoding="utf-8")
        sources = {str(path): source}
        model = parse_and_check(sources)
        if model is None:
            return
        compiles(model, sources)
        try:
            with guarded():
                policy = interpreter.load_policy(tmp)
        except (Exception, Hang) as e:
            fail(f"load_policy raised {type(unwrap(e)).__name__} on a checked policy", e)
            return
    event("random policy accepted")
    _program_source[id(policy)] = source
    for name in policy.decisions:
        facts = data.draw(st.fixed_dictionaries({}, optional={k: value_of(v) for k, v in policy.schema.items()}))
        date = data.draw(DATES_IN)
        event(f"evaluated: {decide(name, facts, date, policy=policy)}")


# ---------------------------------------------------------------------------- contract 1 (c): deep nesting

DEF = "definition x = {}" + CITE + "\n"


def nested(kind: str, n: int) -> str:
    if kind == "parens":
        return "(" * n + "1" + ")" * n
    if kind == "plus":
        return " + ".join(["1"] * n)
    if kind == "og":
        return " og ".join(["sand"] * n)
    if kind == "ikke":
        return "ikke " * n + "sand"
    if kind == "neg":
        return "-" * n + "1"
    if kind == "list":
        return "[" * n + "1" + "]" * n
    if kind == "record":
        return "{a: " * n + "1" + "}" * n
    if kind == "hvis":
        return "hvis sand så " * n + "1" + " ellers 2" * n
    if kind == "call":
        return "min(" * n + "1" + ")" * n
    if kind == "field":
        return "{a: " * n + "1" + "}" * n + ".a" * n
    raise AssertionError(kind)


def deep_source(kind: str, n: int) -> str:
    return HEADER + DEF.format(nested(kind, n))


@pytest.mark.parametrize(("kind", "n"), [("parens", 10_000), ("plus", 50_000)])
def test_deep_nesting_from_the_brief(kind: str, n: int) -> None:
    _parse_and_check_slow({"deep.almen": deep_source(kind, n)})


def _parse_and_check_slow(sources: dict[str, str], seconds: float = 20.0) -> None:
    remember("source", source=next(iter(sources.values())))
    try:
        with guarded(seconds=seconds):
            model = dsl.check([dsl.parse(s, p) for p, s in sources.items()])
    except dsl.PolicyError as e:
        check_policy_error(e, sources)
        return
    except (Exception, Hang) as e:
        fail(f"dsl.parse/dsl.check raised {type(unwrap(e)).__name__}", e)
        return
    compiles(model, sources)


NESTING_KINDS = ["parens", "plus", "og", "ikke", "neg", "list", "record", "hvis", "call", "field"]
NESTING_DEPTHS = [10, 100, 150, 200, 250, 300, 350, 400, 450, 500, 600, 800, 1000, 2000, 5000]


@pytest.mark.parametrize("kind", NESTING_KINDS)
def test_nesting_depth_sweep(kind: str) -> None:
    """Every depth up to 5000: a PolicyError ('nested too deeply') or success, never RecursionError."""
    for n in NESTING_DEPTHS:
        _parse_and_check_slow({"deep.almen": deep_source(kind, n)}, seconds=10)


@pytest.mark.parametrize("n", [10, 100, 400, 1000])
@pytest.mark.parametrize("order", ["forward", "backward"])
def test_long_chains_of_definitions(n: int, order: str) -> None:
    """definition a0 = a1, a1 = a2, …: no nesting in any one expression, only a long dependency chain."""
    lines = [f"definition a{i} = a{i + 1}{CITE}" for i in range(n)] + [f"definition a{n} = 1{CITE}"]
    if order == "backward":
        lines.reverse()
    _parse_and_check_slow({"chain.almen": HEADER + "\n".join(lines) + "\n"})


# ---------------------------------------------------------------------------- contract 1 (d): size

MAX_BYTES = 1_000_000


@pytest.mark.parametrize(
    "body",
    [
        "#" + "x" * MAX_BYTES,  # one huge comment
        "# " + "æ" * (MAX_BYTES // 2),  # fewer characters than bytes
        'definition x = "' + "y" * MAX_BYTES + '"' + CITE,
        (DEF.format("1") * (MAX_BYTES // len(DEF.format("1")) + 1)),  # many valid lines
    ],
    ids=["comment", "multibyte", "string", "lines"],
)
def test_sources_over_one_megabyte_are_refused(body: str) -> None:
    source = HEADER + body
    assert len(source.encode("utf-8")) > MAX_BYTES
    with guarded(seconds=10), pytest.raises(dsl.PolicyError) as info:
        dsl.parse(source, "big.almen")
    check_policy_error(info.value, {"big.almen": source})  # each of these parses when it is not refused


def test_a_file_over_one_megabyte_is_refused_by_load(tmp_path: Path) -> None:
    big = tmp_path / "big.almen"
    big.write_text(HEADER + "#" + "x" * MAX_BYTES, encoding="utf-8")
    with guarded(seconds=10), pytest.raises(dsl.PolicyError) as info:
        dsl.load(tmp_path)
    assert info.value.path == str(big)


# ---------------------------------------------------------------------------- contract 2: facts


@functools.cache
def scenarios() -> tuple[tuple[str, dict[str, Any]], ...]:
    out = []
    for f in sorted(GOLDEN_DIR.glob("*.json")):
        data = json.loads(f.read_text(encoding="utf-8"), parse_float=Decimal)
        for s in data["scenarios"]:
            out.append((f"{f.stem}: {s.get('name', '?')}", s))
    return tuple(out)


_runtime_errors: dict[tuple[str, str], dict[str, Any]] = {}


def _fact_words(typ: t.Type) -> tuple[str, ...]:
    """Words the 'expected …' of a FactError about a value of this type must contain (one of)."""
    typ = t.strip(typ)
    if isinstance(typ, t.Num):
        return ("number",)
    if typ == t.BOOL:
        return ("true or false",)
    if typ == t.TEXT:
        return ("a text",)
    if typ == t.DATE:
        return ("date",)
    if isinstance(typ, t.Enum):
        return ("one of",)
    if isinstance(typ, t.ListOf):
        return ("list",)
    if isinstance(typ, t.Record):
        return ("object",)
    return ("",)


def _path_parts(path: str) -> list[str | int] | None:
    parts: list[str | int] = []
    for m in re.finditer(r"([^.\[\]]+)|\[(\d+)\]", path):
        parts.append(int(m.group(2)) if m.group(2) is not None else m.group(1))
    return parts


def _type_at(schema: dict[str, t.Type], parts: list[str | int]) -> t.Type | None:
    """The declared type at a fact path, or None where the path leaves the schema."""
    if not parts or not isinstance(parts[0], str) or parts[0] not in schema:
        return None
    typ: t.Type = schema[parts[0]]
    for part in parts[1:]:
        typ = t.strip(typ)
        if isinstance(part, int) and isinstance(typ, t.ListOf):
            typ = typ.elem
        elif isinstance(part, str) and isinstance(typ, t.Record) and typ.field(part) is not None:
            typ = typ.field(part)  # type: ignore[assignment]
        else:
            return None
    return typ


def check_fact_error(e: interpreter.FactError, facts: Any, schema: dict[str, t.Type]) -> None:
    assert e.expected, f"a FactError that expects nothing: {e}"
    assert e.path in str(e) and e.expected in str(e), f"the message names neither path nor type: {e}"
    for bad in FORBIDDEN_IN_MESSAGES:
        if bad in str(e) and bad in _text_of(facts):
            continue  # the facts' own text, named back (a key "$END" is a path like any other)
        assert bad not in str(e), str(e)
    if e.path == "date" and not (isinstance(facts, dict) and "date" in facts):
        assert "date" in e.expected, str(e)
        return
    if e.path == "(facts)":
        assert not isinstance(facts, dict), f"'(facts)' blamed for a dict: {e}"
        return
    assert isinstance(facts, dict), f"facts are a {type(facts).__name__} but the error names {e.path!r}"
    if e.expected.startswith("a declared fact"):
        assert e.path in {str(k) for k in facts}, f"{e.path!r} is not a key of the facts: {e}"
        assert e.path not in schema, f"{e.path!r} is declared, but called undeclared: {e}"
        return
    parts = _path_parts(e.path) or []
    root = parts[0] if parts else None
    assert root in facts or root in schema, f"error path {e.path!r} names no fact: {e}"
    if e.expected.startswith(("a declared fact", "a field of")):
        return  # an undeclared key: the path names it, whatever its type
    typ = _type_at(schema, parts)
    if typ is None:
        # a key with '.' or '[' in it cannot be followed; the root is enough
        return
    if e.expected.endswith("(not null)"):
        assert str(typ) in e.expected, f"null for {typ}, but the message says {e.expected!r}"
        return
    words = _fact_words(typ)
    assert any(w in e.expected for w in words), f"{e.path} is a {typ}; the message says {e.expected!r}"


def _text_of(facts: Any) -> str:
    try:
        return repr(facts)
    except RecursionError:
        return ""


def check_answer(answer: Any, name: str, schema: dict[str, t.Type]) -> None:
    assert isinstance(answer, interpreter.Answer), f"decide returned a {type(answer).__name__}"
    assert answer.decision == name
    assert answer.status in ("determined", "undetermined"), answer.status
    if answer.status == "undetermined":
        assert answer.needs, "undetermined, but needs nothing"
        for need in answer.needs:
            assert (_path_parts(need) or ["?"])[0] in schema, f"needs {need!r}, which is no fact"
    json.dumps(answer.to_dict(), ensure_ascii=False)
    answer.explain("full")


def decide(
    name: str,
    facts: Any,
    date: Any,
    valid_facts: bool = False,
    policy: interpreter.Policy | None = None,
    seconds: float = DEADLINE,
) -> str:
    """One decision under contract 2; returns what happened, for events.

    policy: another policy than København's (its runtime errors are not collected then).
    """
    kbh_policy = policy is None
    policy = policy or kbh()
    if kbh_policy:
        remember("facts", decision=name, facts=facts, date=date)
    else:
        remember("program", source=_program_source.get(id(policy), ""), decision=name, facts=facts, date=date)
    try:
        with guarded(seconds):
            answer = policy.decide(name, facts, date)
            check_answer(answer, name, policy.schema)
    except interpreter.FactError as e:
        check_fact_error(e, facts, policy.schema)
        return "FactError"
    except interpreter.EvaluationError as e:
        check_policy_error(e, policy.model.sources)
        if not kbh_policy:
            return type(e).__name__
        key = (type(e).__name__, e.message)
        seen = _runtime_errors.setdefault(
            key,
            {"class": type(e).__name__, "message": e.message, "at": f"{e.path}:{e.line}:{e.column}",
             "decision": name, "count": 0, "with_valid_facts": 0, "example": None},
        )  # fmt: skip
        seen["count"] += 1
        if valid_facts:
            seen["with_valid_facts"] += 1
            if seen["example"] is None:
                seen["example"] = {"decision": name, "date": str(date), "facts": _jsonable(facts)}
        return f"{type(e).__name__}"
    except (ContractViolation, WrongFailure):
        raise
    except AssertionError as e:
        fail(f"contract assertion: {e}")
    except (Exception, Hang) as e:
        fail(f"decide({name!r}) raised {type(unwrap(e)).__name__}", e)
        return "known bug"
    return answer.status


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        plain = float(value) if value.is_finite() else None
        if plain is not None and math.isfinite(plain) and Decimal(repr(plain)) == value:
            return plain  # read back as this Decimal (corpus files are read with parse_float=Decimal)
        return {"$decimal": str(value)}
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**100:
        return {"$int_hex": hex(value)}  # hex: no digit limit, unlike str()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module", autouse=True)
def _report_runtime_errors() -> Iterator[None]:
    yield
    target = os.environ.get("ALMEN_FUZZ_REPORT")
    if target:
        Path(target).write_text(
            json.dumps(
                {"runtime_errors": sorted(_runtime_errors.values(), key=lambda d: -d["count"]),
                 "tolerated_known_bugs": _tolerated},
                ensure_ascii=False, indent=1, default=str,
            ),
            encoding="utf-8",
        )  # fmt: skip


# ---- values

ODD_VALUES = [
    None, True, False, 0, -1, 1, 2, 7, 10**15, 10**15 + 1, 10**30, -(10**30), 1.5, -0.0, 1e300,
    float("nan"), float("inf"), -float("inf"), Decimal("1.005"), Decimal("-0"), Decimal("NaN"),
    Decimal("Infinity"), Decimal("1E+3"), Decimal("22904.30"),
    "", "abc", "12", "12.5", "1,5", "1e3", "1e400", "-7", " 3 ", "NaN", "Infinity", "-Infinity", "nan",
    "0x10", "1_000", "½", "٣", "true", "null",
    "2024-02-30", "24-01-01", "2024-1-1", "20240101", "2024-01-01T00:00", "2024-W01-1", "0001-01-01",
    "9999-12-31", "2023-12-31", "2028-01-01", "ingen", "A", "B", "familie", "ungdom", "gift",
    "ÆØÅ æøå", "\x00", "é" * 50, "venteliste", "afdelingstrappe", "1/3",
]  # fmt: skip
WEIRD_SCALARS = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.integers(-(10**16), 10**16),
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    st.floats(),
    st.text(max_size=8),
    st.dates().map(dt.date.isoformat),
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4))


@functools.cache
def json_like(max_leaves: int = 10) -> st.SearchStrategy[Any]:
    return st.recursive(WEIRD_SCALARS, _containers, max_leaves=max_leaves)


def deeply_nested_list(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _paths(value: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*here, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*here, i))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        value = value[p]
    return value


@st.composite
def mutated_facts(draw: st.DrawFn, facts: dict[str, Any]) -> dict[str, Any]:
    facts = copy.deepcopy(facts)
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(facts))
        path = draw(st.sampled_from(paths))
        target = _get(facts, path)
        op = draw(st.sampled_from(["drop", "null", "weird", "weird", "json", "extra-key", "schema-field",
                                   "wrap-list", "deep-list", "empty"]))  # fmt: skip
        if op == "extra-key" and isinstance(target, dict):
            key = draw(st.one_of(st.text(min_size=1, max_size=8), st.sampled_from(["ekstra", "ledighed ", "Alder"])))
            target[key] = draw(json_like(3))
            note(f"add key {key!r} at {path}")
            continue
        if op == "schema-field" and isinstance(target, dict):
            typ = _schema_type_of(path)
            if isinstance(typ, t.Record) and typ.fields:
                field, ftype = draw(st.sampled_from(list(typ.fields)))
                target[field] = draw(st.one_of(value_of(ftype, 2), WEIRD_SCALARS))
                note(f"set schema field {path + (field,)}")
                continue
        if not path:
            continue  # the root itself stays a dict; random roots are tested separately
        parent, last = _get(facts, path[:-1]), path[-1]
        if op == "drop" and isinstance(parent, dict):
            del parent[last]
        elif op == "null":
            parent[last] = None
        elif op == "wrap-list":
            parent[last] = [target]
        elif op == "deep-list":
            parent[last] = deeply_nested_list(draw(st.sampled_from([2, 10, 100, 500])))
        elif op == "empty":
            parent[last] = {} if draw(st.booleans()) else []
        elif op == "json":
            parent[last] = draw(json_like())
        else:
            parent[last] = draw(WEIRD_SCALARS)
        note(f"{op} at {path}")
    return facts


def _schema_type_of(path: tuple[Any, ...]) -> t.Type | None:
    parts = [p for p in path]
    return _type_at(kbh().schema, parts) if parts else None


def value_of(typ: t.Type, depth: int = 3, complete: bool = False) -> st.SearchStrategy[Any]:
    """A valid JSON value of a declared fact type (numbers as JSON would give them).

    complete: every field of a record is given (else each may be left out).
    """
    if isinstance(typ, t.Optional):
        return st.one_of(st.none(), value_of(typ.inner, depth, complete))
    if isinstance(typ, t.Num):
        if typ.integer:
            low = typ.low if typ.low is not None else -5
            high = typ.high if typ.high is not None else max(low, 0) + 60
            return st.integers(low, high)
        return st.one_of(
            st.integers(-5, 200),
            st.decimals(min_value=-100, max_value=10**6, places=2, allow_nan=False),
            st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda x: round(x, 1)),
        )
    if typ == t.BOOL:
        return st.booleans()
    if typ == t.TEXT:
        return st.text(max_size=8)
    if typ == t.DATE:  # mostly near the agreement; sometimes anywhere a date can be
        near = st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))
        return st.one_of(near, near, near, st.dates()).map(dt.date.isoformat)
    if isinstance(typ, t.Enum):
        return st.sampled_from(typ.members)
    if isinstance(typ, t.ListOf):
        return st.lists(value_of(typ.elem, depth - 1, complete), max_size=3 if depth > 0 else 0)
    if isinstance(typ, t.Record):
        fields = {name: value_of(ftype, depth - 1, complete) for name, ftype in typ.fields}
        return st.fixed_dictionaries(fields) if complete else st.fixed_dictionaries({}, optional=fields)
    return st.none()


@st.composite
def schema_facts(draw: st.DrawFn) -> dict[str, Any]:
    """Type-correct facts, complete or with some left out: no FactError may come of them."""
    schema = kbh().schema
    if draw(st.booleans()):
        return draw(st.fixed_dictionaries({name: value_of(typ, complete=True) for name, typ in schema.items()}))
    return draw(st.fixed_dictionaries({}, optional={name: value_of(typ) for name, typ in schema.items()}))


DATES_IN = st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31))
ODD_DATES = [
    "2024-02-29", "2027-12-31", "2024-01-01", "2023-12-31", "2028-01-01", "2024-02-30",
    "24-01-01", "2024-1-1", "", "i dag", "2024-01-01T00:00", "20240301", "2024-W10-5",
]  # fmt: skip
ANY_DATE = st.one_of(
    DATES_IN.map(dt.date.isoformat),
    DATES_IN,
    st.dates().map(dt.date.isoformat),
    st.sampled_from(ODD_DATES),
    st.sampled_from([None, 20240301, 2024.5, [2024, 3, 1], {"år": 2024}]),
    st.datetimes(),
)


@fuzz(500)
@given(st.sampled_from(range(len(scenarios()))), st.data())
def test_mutated_scenario_facts(index: int, data: st.DataObject) -> None:
    label, scenario = scenarios()[index]
    note(label)
    facts = data.draw(mutated_facts(scenario.get("facts", {})), label="facts")
    name = data.draw(st.one_of(st.just(scenario["decision"]), st.sampled_from(kbh().decisions)), label="decision")
    date = data.draw(st.one_of(st.just(scenario["date"]), ANY_DATE), label="date")
    event(decide(name, facts, date))


@fuzz(300)
@given(st.sampled_from(range(len(scenarios()))), st.data())
def test_scenario_facts_for_every_decision(index: int, data: st.DataObject) -> None:
    """The scenarios' own (valid) facts, asked of any decision on any day of the agreement."""
    _, scenario = scenarios()[index]
    name = data.draw(st.sampled_from(kbh().decisions), label="decision")
    date = data.draw(st.one_of(st.just(scenario["date"]), DATES_IN), label="date")
    event(decide(name, copy.deepcopy(scenario.get("facts", {})), date, valid_facts=True))


@fuzz(250)
@given(schema_facts(), st.data())
def test_random_type_correct_facts(facts: dict[str, Any], data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(kbh().decisions), label="decision")
    date = data.draw(DATES_IN, label="date")
    outcome = decide(name, facts, date, valid_facts=True)
    event(outcome)
    assert outcome != "FactError", "a FactError for type-correct facts"


@fuzz(200)
@given(json_like(20), st.data())
def test_random_json_facts(facts: Any, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(kbh().decisions), label="decision")
    date = data.draw(ANY_DATE, label="date")
    event(decide(name, facts, date))


@fuzz(200)
@given(st.sampled_from(range(len(scenarios()))), st.data())
def test_random_json_under_declared_facts(index: int, data: st.DataObject) -> None:
    _, scenario = scenarios()[index]
    facts = copy.deepcopy(scenario.get("facts", {}))
    for name in data.draw(st.lists(st.sampled_from(sorted(kbh().schema)), max_size=3, unique=True)):
        facts[name] = data.draw(json_like(8), label=name)
    decision = data.draw(st.sampled_from(kbh().decisions), label="decision")
    event(decide(decision, facts, scenario["date"]))


@fuzz(150)
@given(st.data())
def test_any_date(data: st.DataObject) -> None:
    _, scenario = data.draw(st.sampled_from(scenarios()))
    name = data.draw(st.sampled_from(kbh().decisions), label="decision")
    date = data.draw(ANY_DATE, label="date")
    event(decide(name, copy.deepcopy(scenario.get("facts", {})), date))


def test_extreme_dates_in_every_date_fact() -> None:
    """Each scenario with each of its date facts set to the first or last date there is (valid facts)."""
    schema = kbh().schema
    for _, scenario in scenarios():
        facts = scenario.get("facts", {})
        for path in _paths(facts):
            typ = _type_at(schema, list(path))
            if typ is None or t.strip(typ) != t.DATE:
                continue
            for extreme in ("0001-01-01", "9999-12-31"):
                changed = copy.deepcopy(facts)
                _get(changed, path[:-1])[path[-1]] = extreme
                decide(scenario["decision"], changed, scenario["date"], valid_facts=True)


def test_every_scenario_for_every_decision() -> None:
    """Exhaustive and small: every scenario's (valid) facts × every decision, on the scenario's date."""
    for _, scenario in scenarios():
        for name in kbh().decisions:
            decide(name, copy.deepcopy(scenario.get("facts", {})), scenario["date"], valid_facts=True)


# ---------------------------------------------------------------------------- contract 3: the corpus
# sources/<bug>[__n].almen          parsed and checked alone
# policy/<file>__<bug>[__n].almen   replaces policies/koebenhavn/2024-2027/<file>.almen, directory checked
# programs/<bug>[__n].json          {"source"[, "decision", "date", "facts"]}: a policy of its own, loaded
#                                   with load_policy, then maybe a decision
# facts/<bug>[__n].json             {"decision", "date", "facts"[, "seconds": its deadline, "note"]};
#                                   {"$pow10": k} stands for 10**k,
#                                   {"$int_hex": "0x…"} for an integer too long for JSON,
#                                   {"$decimal": "1E+400"} for a Decimal a JSON number cannot carry
#                                   {"$repeat": n, "of": x} for a list of n copies of x
# Files are read as UTF-8 with errors="surrogateescape", so invalid bytes reach parse() as lone surrogates.


def corpus_cases() -> list[Any]:
    cases = []
    for f in sorted(CORPUS.rglob("*")):
        if f.suffix not in (".almen", ".json") or not f.is_file():
            continue
        bug = corpus_bug(f)
        marks = []
        if bug in KNOWN_BUGS:
            marks.append(pytest.mark.xfail(strict=True, raises=ContractViolation, reason=KNOWN_BUGS[bug].reason))
        cases.append(pytest.param(f, id=f.relative_to(CORPUS).as_posix(), marks=marks))
    return cases


def _corpus_value(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$pow10"}:
            return 10 ** int(value["$pow10"])
        if set(value) == {"$int_hex"}:
            return int(value["$int_hex"], 16)
        if set(value) == {"$decimal"}:
            return Decimal(value["$decimal"])
        if set(value) == {"$repeat", "of"}:
            return [_corpus_value(copy.deepcopy(value["of"])) for _ in range(int(value["$repeat"]))]
        return {k: _corpus_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_corpus_value(v) for v in value]
    return value


def corpus_bug(f: Path) -> str:
    """The bug id in a corpus file's name (sources/<bug>[__n], policy/<file>__<bug>[__n], facts/<bug>[__n])."""
    parts = f.stem.split("__")
    return parts[1] if f.parent.name == "policy" else parts[0]


def replay(f: Path) -> None:
    """Run one corpus file under the contract.

    Any violation raises ContractViolation, known bug or not; but a file saved for a known bug
    that now fails in some other way raises WrongFailure, which its xfail does not expect.
    """
    bug = corpus_bug(f)
    _replaying.append(bug if bug in KNOWN_BUGS else None)
    try:
        kind = f.parent.name
        if kind == "facts":
            case = json.loads(f.read_text(encoding="utf-8"), parse_float=Decimal)
            seconds = case.get("seconds", DEADLINE)
            decide(case["decision"], _corpus_value(case["facts"]), case["date"], seconds=seconds)
            return
        if kind == "programs":
            case = json.loads(f.read_text(encoding="utf-8"), parse_float=Decimal)
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "program.almen").write_text(case["source"], encoding="utf-8")
                try:
                    with guarded():
                        policy = interpreter.load_policy(tmp)
                except dsl.PolicyError as e:
                    if case.get("refused"):  # once a crash, now a located check error: that is the fix
                        lines = case["source"].count("\n") + 1
                        assert e.path.endswith("program.almen") and 1 <= e.line <= lines and e.column >= 1, str(e)
                        return
                    fail(f"the program is refused, so it shows nothing: {e}")
                except (Exception, Hang) as e:
                    fail(f"load_policy raised {type(unwrap(e)).__name__} on a checked policy", e)
            if "decision" in case:
                decide(case["decision"], _corpus_value(case["facts"]), case["date"], policy=policy)
            return
        source = f.read_bytes().decode("utf-8", errors="surrogateescape")
        if kind == "policy":
            target = str(POLICY_DIR / (f.stem.split("__")[0] + ".almen"))
            assert target in policy_sources(), f"{f.name} names no file of {POLICY_DIR}"
            sources = dict(policy_sources())
            sources[target] = source
            unchanged = {p: m for p, m in policy_modules().items() if p != target}
            model = parse_and_check(sources, unchanged)
        else:
            sources = {str(f): source}
            model = parse_and_check(sources)
        if model is not None:
            compiles(model, sources)
    except (ContractViolation, WrongFailure):
        raise
    except AssertionError as e:
        fail(f"contract assertion: {e}")
    finally:
        _replaying.pop()


@pytest.mark.parametrize("corpus_file", corpus_cases())
def test_corpus(corpus_file: Path) -> None:
    replay(corpus_file)


def test_every_known_bug_has_a_corpus_file() -> None:
    ids = {corpus_bug(p.values[0]) for p in corpus_cases()}
    assert set(KNOWN_BUGS) <= ids, f"known bugs without a saved input: {sorted(set(KNOWN_BUGS) - ids)}"



# ---------------------------------------------------------------------------- grammar-based generation
#
# Policies generated from the grammar's own rules (dsl/almen.lark, as Lark compiles them), not
# mutated from the real policy: every construct the language has turns up, in combinations no
# policy writer would try. Each source may then be changed the ways issue 16 found wanting:
# as editors write files (a byte order mark, NFD, no-break spaces), with line separators other
# than \n in comments, with look-alike names and with digits of other scripts.


@functools.cache
def grammar_rules() -> tuple[dict[str, list[list[tuple[bool, str]]]], dict[str, int]]:
    """Each rule's expansions (terminal?, name), and the fewest expansions that finish a rule."""
    compiled = lark.Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", maybe_placeholders=False)
    rules: dict[str, list[list[tuple[bool, str]]]] = {}
    for rule in compiled.rules:
        rules.setdefault(rule.origin.name, []).append([(s.is_term, s.name) for s in rule.expansion])
    cost: dict[str, int] = {}
    changed = True
    while changed:  # the least number of steps to a string of terminals, to a fixed point
        changed = False
        for name, expansions in rules.items():
            for exp in expansions:
                if all(term or sym in cost for term, sym in exp):
                    c = 1 + sum(cost[sym] for term, sym in exp if not term)
                    if c < cost.get(name, 1 << 30):
                        cost[name], changed = c, True
    global _TERMINALS
    _TERMINALS = {t.name: t.pattern for t in compiled.terminals}
    return rules, cost


_TERMINALS: dict[str, Any] = {}
GEN_NAMES = ["x", "y", "a", "b", "n", "r", "rs", "f", "g", "t", "grænse", "grænsе", "а", "Farve", "R", "rød",
             "heltal", "kr", "tal", "procent", "dato", "sandhed", "tekst", "beslutningsdato", "længde", "min",
             "område", "unik", "første", "sidste_dag"]  # fmt: skip
GEN_NUMBERS = ["0", "1", "2", "10", "2.5", "18", "100", "1_000", "22904.30", "9" * 40, "৪0", "٤", "４"]
GEN_STRINGS = ['"a"', '"rød"', '""', '"§ 1"', '"../2024-2027"', '"../../../../etc/passwd"', '"/etc/passwd"',
               '"<script>x</script>"', '"Åse"', '"2019-2023"']  # fmt: skip
GEN_DATES = ["2024-01-01", "2027-12-31", "2024-02-29", "2024-02-30", "0001-01-01", "9999-12-31", "2024-0৪-01"]
GEN_TERMINALS = {"NAME": GEN_NAMES, "NUMBER": GEN_NUMBERS, "STRING": GEN_STRINGS, "DATE": GEN_DATES}
GEN_MAX_DEPTH = 9


@st.composite
def from_grammar(draw: st.DrawFn, symbol: str = "decl") -> str:
    """A text `symbol` derives, expansions chosen at random, the shortest past GEN_MAX_DEPTH."""
    rules, cost = grammar_rules()
    tokens: list[str] = []
    todo: list[tuple[bool, str, int]] = [(False, symbol, 0)]
    while todo:
        term, name, depth = todo.pop()
        if term:
            pool = GEN_TERMINALS.get(name)
            if pool is not None:
                tokens.append(draw(st.sampled_from(pool)))
            else:
                tokens.append(_TERMINALS[name].value)  # a keyword or punctuation
            continue
        expansions = rules[name]
        if depth >= GEN_MAX_DEPTH or len(tokens) > 400:
            exp = min(expansions, key=lambda e: sum(cost[s] for t, s in e if not t))
        else:
            exp = expansions[draw(st.integers(0, len(expansions) - 1))]
        todo.extend((t, s, depth + 1) for t, s in reversed(exp))
    separators = st.sampled_from([" ", " ", " ", "\n", "\n  ", "\n\u00a0\u00a0", " # c\n", " # a\x85b\u2028c\n"])
    return "".join(tok + draw(separators) for tok in tokens)


EDITOR_VARIANTS = ("as written", "bom", "nfd", "crlf", "form feeds", "look-alikes")


def editor_variant(source: str, variant: str) -> str:
    import unicodedata

    if variant == "bom":
        return "\ufeff" + source
    if variant == "nfd":
        return unicodedata.normalize("NFD", source)
    if variant == "crlf":
        return source.replace("\n", "\r\n")
    if variant == "form feeds":
        return source.replace("# c\n", "# c\f\x1c\u2029\n")
    if variant == "look-alikes":
        return source.replace(" a ", " а ").replace("(x", "(х")  # Cyrillic а and х
    return source


def check_quoted_lines(e: dsl.PolicyError, path: str, source: str) -> None:
    """The line a diagnostic quotes is the line its number counts (\n alone ends a line)."""
    import unicodedata

    lines = unicodedata.normalize("NFC", source.removeprefix("\ufeff")).split("\n")
    for d in e.diagnostics:
        for span, quoted in [(d.span, d.source_line), *((s, q) for s, _, q in d.related)]:
            if span.path == path and quoted is not None:
                assert 1 <= span.line <= len(lines), f"line {span.line} past the end: {e}"
                assert quoted == lines[span.line - 1].removesuffix("\r"), f"quoted {quoted!r}, line {span.line}: {e}"


@fuzz(300)
@given(st.lists(from_grammar(), min_size=1, max_size=4), st.sampled_from(EDITOR_VARIANTS), st.booleans(), st.data())
def test_grammar_generated_policies(decls: list[str], variant: str, header: bool, data: st.DataObject) -> None:
    """Contract 1 on policies generated from the grammar; what is accepted compiles and evaluates.
    Without the prelude's header, a generated one counts: its `ændrer` and `afløser` paths too."""
    prelude = PRELUDE if header else PRELUDE.removeprefix(HEADER)
    source = editor_variant(prelude + "".join(decls) + "\n", variant)
    remember("source", source=source)
    event(f"variant: {variant}")
    path = "gen.almen"
    try:
        with guarded():
            module = dsl.parse(source, path)
    except dsl.PolicyError as e:
        check_policy_error(e, {path: source})
        check_quoted_lines(e, path, source)
        event("grammar: parse error")
        return
    except (Exception, Hang) as e:
        fail(f"dsl.parse raised {type(unwrap(e)).__name__} on a generated policy", e)
        return
    model = parse_and_check({path: source}, {path: module})
    if model is None:
        event("grammar: parsed, refused by the checker")
        return
    event("grammar: accepted")
    compiles(model, {path: source})
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / path).write_text(source, encoding="utf-8")
        try:
            with guarded():
                policy = interpreter.load_policy(tmp)
        except dsl.PolicyError as e:  # a look-alike across files, or the like: still a well-formed error
            check_policy_error(e, {str(Path(tmp) / path): source})
            return
        except (Exception, Hang) as e:
            fail(f"load_policy raised {type(unwrap(e)).__name__} on a checked policy", e)
            return
    _program_source[id(policy)] = source
    for name in policy.decisions[:3]:
        facts = data.draw(st.fixed_dictionaries({}, optional={k: value_of(v) for k, v in policy.schema.items()}))
        event(f"generated, evaluated: {decide(name, facts, data.draw(DATES_IN), policy=policy)}")


@st.composite
def call_graph(draw: st.DrawFn) -> str:
    """Definitions calling earlier ones, 1-3 times each with other arguments: work that grows as
    fan-out to the depth; small ones finish, the rest must stop at the budget."""
    depth = draw(st.integers(1, 22))
    lines = ['definition f0(n: heltal): heltal = n\n  kilde "§ 1"\n']
    for k in range(1, depth + 1):
        fan = draw(st.integers(1, 3))
        calls = " + ".join(f"f{k - 1}({fan} * n + {i})" for i in range(fan))
        lines.append(f'definition f{k}(n: heltal): heltal = {calls}\n  kilde "§ 1"\n')
    lines.append(f'beslutning svar: heltal = f{depth}(1)\n  kilde "§ 2"\n')
    return PRELUDE + "".join(lines)


@fuzz(30)
@given(call_graph())
def test_generated_call_graphs_answer_or_stop_at_the_budget(source: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "calls.almen").write_text(source, encoding="utf-8")
        policy = interpreter.load_policy(tmp)
    _program_source[id(policy)] = source
    outcome = decide("svar", {}, "2024-06-01", policy=policy)
    event(f"call graph: {outcome}")


FOREIGN_DIGITS = "০১২৩৪৫৬৭৮৯٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९０１２３４５６７８９"


@fuzz(100)
@given(st.text(alphabet="0123456789." + FOREIGN_DIGITS, min_size=1, max_size=8).filter(lambda s: not s.isascii()))
def test_numeric_fact_strings_with_foreign_digits_are_fact_errors(text: str) -> None:
    facts = {"r": {"x": text}}
    outcome = decide("svar", facts, "2024-06-01", policy=_digits_policy())
    assert outcome == "FactError", outcome


@functools.cache
def _digits_policy() -> interpreter.Policy:
    tmp = tempfile.mkdtemp()
    (Path(tmp) / "d.almen").write_text(PRELUDE + 'beslutning svar: tal = r.x\n  kilde "§ 1"\n', encoding="utf-8")
    return interpreter.load_policy(tmp)
