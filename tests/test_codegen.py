"""The generated-code tier answers exactly as the three-valued evaluator does.

Differential: for every decision of the Copenhagen 2024-2027 and Køge policies, on the golden
scenarios' facts and on facts generated from the fact declarations (boundary values, missing
facts, wrong types), `decide(explain=False)` through the generated tier — with dict facts and
with a `Facts` object — and the evaluator alone give the same value, status, needs, error kind
and message. The fast path must also really answer: on complete facts it is not allowed to
hand every case to the evaluator.
"""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from almen import FactError, load_policy
from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.semantics import cell_test
from almen.interpreter.cli import main
from almen.interpreter.codegen import Generator
from almen.interpreter.generated import _runtime

ROOT = Path(__file__).resolve().parent.parent
POLICIES = {
    "koebenhavn": ROOT / "policies" / "koebenhavn" / "2024-2027",
    "koege": ROOT / "policies" / "koege" / "2025",
}
FAST = {k: load_policy(p) for k, p in POLICIES.items()}
SLOW = {k: load_policy(p) for k, p in POLICIES.items()}
for _p in SLOW.values():
    _p.fast.answer = lambda *args: None  # type: ignore[method-assign]  # the evaluator alone
CASES = [(k, d) for k, p in FAST.items() for d in sorted(p.model.decisions)]
SETTINGS = settings(
    max_examples=40, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


def outcome(policy: Any, name: str, facts: Any, date: Any) -> tuple[Any, ...]:
    try:
        a = policy.decide(name, facts, date, explain=False)
    except Exception as e:  # every error kind is compared, not only the expected ones
        return ("error", type(e).__name__, str(e))
    return ("answer", a.status, json.dumps(a.value, sort_keys=True), a.needs, a.explanation, shape(a.raw))


def shape(raw: Any) -> Any:
    """The run-time value with its exact types (int, Fraction, date …), for comparing the tiers."""
    if isinstance(raw, dict):
        return {k: shape(v) for k, v in raw.items()}
    if isinstance(raw, tuple | list):
        return [shape(v) for v in raw]
    if raw is None or isinstance(raw, bool | int | str | Fraction | dt.date):
        return (type(raw).__name__, raw)
    return type(raw).__name__


def outcomes(key: str, name: str, facts: Any, date: Any) -> tuple[tuple[Any, ...], ...]:
    fast, slow = FAST[key], SLOW[key]
    reference = outcome(slow, name, facts, date)
    with_dict = outcome(fast, name, facts, date)
    try:
        with_object = outcome(fast, name, fast.facts(facts), date)
    except FactError as e:
        with_object = ("error", type(e).__name__, str(e))
    return reference, with_dict, with_object


def golden() -> list[tuple[str, str, dict[str, Any], str]]:
    out = []
    for key in POLICIES:
        for f in sorted((ROOT / "tests" / "golden" / key).glob("*.json")):
            for s in json.loads(f.read_text(encoding="utf-8"))["scenarios"]:
                out.append((key, s["decision"], s["facts"], s["date"]))
    return out


GOLDEN = golden()


def test_golden_scenarios_agree_and_the_fast_tier_answers_most_determined_ones():
    answered = determined = 0
    for key, name, facts, date in GOLDEN:
        reference, with_dict, with_object = outcomes(key, name, facts, date)
        assert with_dict == reference, (name, facts)
        assert with_object == reference, (name, facts)
        if reference[:2] == ("answer", "determined") and FAST[key].valid[0] <= dt.date.fromisoformat(date):
            determined += 1
            answered += FAST[key].fast.answer(name, facts, dt.date.fromisoformat(date)) is not None
    # wheels and goals are not compiled, and some determined answers have facts missing; since
    # the Copenhagen fidelity work (date windows, computed exemptions) about half are answered
    # by the generated code, the rest by the evaluator (measured 141 of 277)
    assert determined > 100
    assert answered >= 0.5 * determined, (answered, determined)


def test_trappe_and_fortrinsret_run_generated_on_complete_facts():
    for name in ("trappe", "fortrinsret"):
        cases = [(f, d) for k, n_, f, d in GOLDEN if k == "koebenhavn" and n_ == name]
        fast = [FAST["koebenhavn"].fast.answer(name, f, dt.date.fromisoformat(d)) for f, d in cases]
        assert sum(x is not None for x in fast) >= len(cases) // 4  # fortrinsret: 13 of 47 measured


# ---------------------------------------------------------------- generated facts

_NUMBERS = [0, 1, 2, 15, 18, 19, 20, 24, 25, 29, 30, 35, 40, 55, 57, 59, 60, 64, 65, 130]
_DECIMALS = ["2.07", "2.18", "24.9", "57.8", "22904.30", "22904.29", "0.5", 24.5, 2.18]
_DATES = ["2023-06-01", "2023-06-02", "2024-05-31", "2024-06-01", "2024-06-02", "2025-01-01"]
_ODD: list[Any] = [None, "x", True, 1.5, [], {}, "2024-02-30", -1, 10**16]


def good(typ: t.Type, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(typ, t.Optional):
        return st.one_of(st.none(), good(typ.inner, depth))
    if isinstance(typ, t.Num):
        edges = [b + d for b in (typ.low, typ.high) if b is not None for d in (-1, 0, 1)]
        pool = [
            x for x in _NUMBERS + edges if (typ.low is None or x >= typ.low) and (typ.high is None or x <= typ.high)
        ]
        ints = st.sampled_from(sorted(set(pool)))
        return ints if typ.integer else st.one_of(ints, st.sampled_from(_DECIMALS))
    if isinstance(typ, t.Enum):
        return st.sampled_from(typ.members)
    if typ == t.DATE:
        return st.sampled_from(_DATES)
    if typ == t.BOOL:
        return st.booleans()
    if typ == t.TEXT:
        return st.sampled_from(["a", "b", "c"])
    if isinstance(typ, t.ListOf):
        return st.lists(good(typ.elem, depth + 1), max_size=3 if depth < 2 else 1)
    if isinstance(typ, t.MapOf):
        return st.dictionaries(st.sampled_from(["a", "b"]), good(typ.value, depth + 1), max_size=2)
    if isinstance(typ, t.Record):
        return record(typ, depth)
    return st.none()


def value(typ: t.Type, depth: int) -> st.SearchStrategy[Any]:
    """Mostly valid values; now and then a wrong one (a FactError, or the evaluator's path)."""
    return st.one_of(good(typ, depth), st.sampled_from(_ODD)) if depth < 4 else good(typ, depth)


@st.composite
def record(draw: Any, typ: t.Record, depth: int) -> dict[str, Any]:
    return {name: draw(good(ftyp, depth + 1)) for name, ftyp in typ.fields}


def _slots(facts: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every place in the facts where a value sits: (container, key or index)."""
    items = facts.items() if isinstance(facts, dict) else enumerate(facts) if isinstance(facts, list) else ()
    for k, v in items:
        out.append((facts, k))
        _slots(v, out)
    return out


@st.composite
def facts_for(draw: Any, key: str, decision: str, slips: bool = True) -> dict[str, Any]:
    """Complete facts for what the decision reads, then up to three slips: a fact or field
    missing, a wrong value, a key not declared, a fact the decision does not read."""
    policy = FAST[key]
    out = {name: draw(good(policy.schema[name], 0)) for name in policy.model.facts_read(decision)}
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3])) if slips else 0):
        slots = _slots(out, [])
        kind = draw(st.sampled_from(["missing", "odd", "undeclared", "other fact"]))
        if kind == "other fact":
            other = draw(st.sampled_from(sorted(policy.schema)))
            out[other] = draw(value(policy.schema[other], 2))
        elif not slots:
            continue
        else:
            container, k = draw(st.sampled_from(slots))
            if kind == "missing" and isinstance(container, dict):
                del container[k]
            elif kind == "odd":
                container[k] = draw(st.sampled_from(_ODD))
            elif isinstance(container, dict):
                container["ikke_et_felt"] = 1
    return out


@pytest.mark.parametrize(("key", "decision"), CASES)
def test_generated_facts_agree(key: str, decision: str):
    low, high = FAST[key].valid
    dates = [low, low + dt.timedelta(days=150), high] if low and high else [dt.date(2025, 1, 1)]

    @SETTINGS
    @given(facts=facts_for(key, decision), date=st.sampled_from(dates))
    def check(facts: dict[str, Any], date: dt.date) -> None:
        reference, with_dict, with_object = outcomes(key, decision, facts, date)
        assert with_dict == reference
        assert with_object == reference

    check()


@pytest.mark.parametrize("decision", ["trappe", "fortrinsret", "rækkefølge", "tilskud", "udfasning"])
def test_generated_tier_answers_complete_facts(decision: str):
    policy, answered = FAST["koebenhavn"], []

    @SETTINGS
    @given(facts=facts_for("koebenhavn", decision, slips=False))
    def check(facts: dict[str, Any]) -> None:
        answered.append(policy.fast.answer(decision, facts, dt.date(2024, 6, 1)) is not None)

    check()
    assert sum(answered) >= 0.5 * len(answered), (sum(answered), len(answered))  # fortrinsret: 24 of 40


# ---------------------------------------------------------------- pieces


def test_table_cells_are_the_semantics_cell_tests():
    probes = [-1, 0, Fraction(1, 3), 19, 20, Fraction(249, 10), 25, 26, 100, "højt", "lavt", "mellem", True, False]
    probes += [dt.date(2024, 1, 1), dt.date(2030, 1, 1)]
    seen = 0
    for policy in FAST.values():
        gen = Generator(policy.model)
        namespace = _runtime(None) | gen.consts
        for table in policy.model.tables.values():
            for row in table.rows:
                for cell in row.cells:
                    test, text = cell_test(cell), gen.cell(cell, "x")
                    if test is None:
                        assert text is None and isinstance(cell, n.CellAny)
                        continue
                    seen += 1
                    for probe in probes:
                        try:
                            want: Any = test(probe)
                        except TypeError:
                            want = TypeError
                        try:
                            got: Any = bool(eval(text, namespace, {"x": probe}))
                        except TypeError:
                            got = TypeError
                        assert got == want, (table.name, text, probe)
    assert seen > 20


def test_no_float_reaches_an_answer():
    policy = FAST["koebenhavn"]
    facts = {"afdeling": {"udpegning": "ingen", "ledighed": 41.5, "dømte": 2.18, "uddannelse": "61", "indkomst": 54}}
    facts["afdeling"]["anviste_andel"] = 24.9
    plain = policy.fast.validate(facts)
    assert plain is not None
    assert plain["afdeling"]["ledighed"] == Fraction(83, 2)
    assert plain["afdeling"]["dømte"] == Fraction(109, 50)  # the float's shortest text, exactly
    a = policy.decide("trappe", facts, "2024-06-01", explain=False)
    assert a.value == {"trappe": "afdelingstrappe", "trin": 3}  # 2 criteria → højt; 24.9 % → 20-25 row


def test_missing_fact_is_undetermined_with_the_evaluators_needs():
    policy = FAST["koebenhavn"]
    facts = {"afdeling": {"udpegning": "ingen", "ledighed": 41, "dømte": 3, "uddannelse": 61}}
    a = policy.decide("trappe", facts, "2024-06-01", explain=False)
    assert a.status == "undetermined"
    assert a.needs == ("afdeling.anviste_andel", "afdeling.indkomst")


def test_conflict_and_no_rule_are_the_evaluators_errors():
    policy = FAST["koebenhavn"]
    facts = {"afdeling": {"udpegning": "ingen"}}
    assert outcome(policy, "trappe", facts, "2024-06-01") == outcome(SLOW["koebenhavn"], "trappe", facts, "2024-06-01")


def test_facts_object_is_immutable_and_checks_every_fact():
    policy = FAST["koebenhavn"]
    f = policy.facts({"afdeling": {"udpegning": "ingen", "trin": 2}})
    with pytest.raises(AttributeError):
        f.plain = {}  # type: ignore[misc]
    with pytest.raises(FactError) as e:
        policy.facts({"afdeling": {"trin": 2}, "husstand": {"ansøger": {"alder": 131}}})
    assert str(e.value) == "fact 'husstand.ansøger.alder': expected a whole number ≤ 130, got the number 131"
    other = load_policy(POLICIES["koege"])
    with pytest.raises(FactError):
        other.decide("anvisningsret", policy.facts({}), "2025-09-01", explain=False)


def test_compile_prints_readable_source(capsys: Any):
    assert main(["compile", str(POLICIES["koebenhavn"]), "trappe", "--emit", "python"]) == 0
    source = capsys.readouterr().out
    assert "def decide_trappe(F, D):" in source
    assert '# række "højt", >= 25 % => 4' in source
    assert "fortrinsret" not in source  # only what trappe reads
    compile(source, "trappe.py", "exec")
    assert main(["compile", str(POLICIES["koebenhavn"]), "ingen_sådan"]) == 2


def _canonical(value: Any) -> Any:
    """convert_facts' values with records as dicts of the fields they hold (given or defaulted)."""
    from almen.interpreter.values import FactRecord, Missing

    if isinstance(value, FactRecord):
        fields = {k: value.value(k) for k in value.names}
        return {k: _canonical(v) for k, v in fields.items() if not isinstance(v, Missing)}
    if isinstance(value, tuple):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("key", "decision"), [("koebenhavn", "fortrinsret"), ("koebenhavn", "trappe")])
def test_plain_validation_accepts_only_what_convert_facts_accepts_with_the_same_values(key: str, decision: str):
    from almen.interpreter.generated import exact
    from almen.interpreter.facts import convert_facts

    policy = FAST[key]

    @SETTINGS
    @given(facts=facts_for(key, decision))
    def check(facts: dict[str, Any]) -> None:
        plain = policy.fast.validate(facts)
        if plain is None:
            return
        converted = convert_facts(facts, policy.schema, policy.defaults)  # must not raise
        for name, value in plain.items():
            assert exact(_canonical_plain(value)) == _canonical(converted[name])

    check()


def _canonical_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical_plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_canonical_plain(v) for v in value)
    return value
