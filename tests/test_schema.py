"""The JSON Schema of a decision's facts agrees with what the interpreter accepts."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from almen.interpreter import FactError, UnknownDecision
from almen.interpreter.facts import convert_facts
from almen.interpreter.tools.schema import DIALECT, decisions_schema, fact_schema

jsonschema = pytest.importorskip("jsonschema")

GOLDEN = Path(__file__).parent / "golden" / "koebenhavn"
DECISIONS = ("trappe", "fortrinsret", "andele", "tomgangsleje")
SCENARIOS = [
    (f.stem, i, s)
    for f in sorted(GOLDEN.glob("*.json"))
    for i, s in enumerate(json.loads(f.read_text(encoding="utf-8"))["scenarios"])
]


@pytest.fixture(scope="module")
def schemas(kbh: Any) -> dict[str, dict[str, Any]]:
    return decisions_schema(kbh)


def validator(schema: dict[str, Any]) -> Any:
    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_accepts(schema: dict[str, Any], facts: Any) -> bool:
    return not list(validator(schema).iter_errors(facts))


def interpreter_accepts(policy: Any, decision: str, facts: Any) -> bool:
    """What Policy.decide does with the facts: every declared fact is checked."""
    try:
        convert_facts(facts, policy.schema, policy.defaults)
    except FactError:
        return False
    return True


# ---------------------------------------------------------------- shape


def test_trappe_lists_exactly_afdeling(kbh: Any) -> None:
    schema = fact_schema(kbh, "trappe")
    assert schema["$schema"] == DIALECT
    assert schema["x-almen-reads"] == ["afdeling"]
    assert list(schema["properties"])[0] == "afdeling"
    assert set(schema["properties"]) == set(kbh.model.facts)  # one facts object serves every decision
    assert schema["additionalProperties"] is False
    assert schema["type"] == "object"
    assert "required" not in schema
    for text in (schema["$id"], schema["title"]):
        assert kbh.id in text and kbh.version in text and "trappe" in text


def test_every_decision_has_a_valid_schema(kbh: Any, schemas: dict[str, dict[str, Any]]) -> None:
    assert set(schemas) == set(kbh.model.decisions)
    ids = set()
    for name, schema in schemas.items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["x-almen-reads"] == kbh.model.facts_read(name)
        assert set(schema["properties"]) == set(kbh.model.facts)
        json.dumps(schema)  # plain JSON, nothing Python-only
        ids.add(schema["$id"])
    assert len(ids) == len(schemas)


def test_records_are_closed_and_carry_notes_and_defaults(schemas: dict[str, dict[str, Any]]) -> None:
    defs = schemas["fortrinsret"]["$defs"]
    afdeling, husstand, person = defs["Afdeling"], defs["Husstand"], defs["Person"]
    for record in (afdeling, husstand, person):
        assert record["type"] == "object"
        assert record["additionalProperties"] is False
        assert "required" not in record
    assert "Bilag 15, Figur 1" in afdeling["properties"]["indkomst"]["description"]
    assert afdeling["properties"]["særlig_sikring"]["default"] is False
    assert "§ 6.2.1" in afdeling["properties"]["særlig_sikring"]["description"]
    assert husstand["properties"]["tidligere_samlevet_år"]["default"] == 0
    assert husstand["properties"]["samlivsophør"]["default"] is None
    assert "default" not in afdeling["properties"]["udpegning"]
    trin = afdeling["properties"]["trin"]
    assert (trin["type"], trin["minimum"], trin["maximum"]) == ("integer", 1, 4)
    assert set(afdeling["properties"]["udpegning"]["enum"]) >= {"ingen", "udsat boligområde"}
    assert husstand["properties"]["øvrige"]["type"] == "array"
    money = person["properties"]["bruttoindkomst_pr_måned"]
    assert money["type"] == ["number", "string"]
    assert "exact" in money["description"].lower()


def test_unknown_decision(kbh: Any) -> None:
    with pytest.raises(UnknownDecision, match="trappe"):
        fact_schema(kbh, "trappen")


# ---------------------------------------------------------------- the golden facts are valid


@pytest.mark.parametrize(
    ("file", "index", "scenario"),
    SCENARIOS,
    ids=[f"{f}:{s['name']}" for f, _, s in SCENARIOS],
)
def test_golden_facts_are_valid(
    kbh: Any, schemas: dict[str, dict[str, Any]], file: str, index: int, scenario: dict[str, Any]
) -> None:
    decision = scenario["decision"]
    errors = [e.message for e in validator(schemas[decision]).iter_errors(scenario["facts"])]
    assert not errors
    assert interpreter_accepts(kbh, decision, scenario["facts"])


def test_golden_covers_the_named_decisions() -> None:
    covered = {s["decision"] for _, _, s in SCENARIOS}
    assert set(DECISIONS) <= covered


# ---------------------------------------------------------------- wrong facts are rejected, as by the interpreter


def _first_facts(decision: str) -> dict[str, Any]:
    return next(copy.deepcopy(s["facts"]) for _, _, s in SCENARIOS if s["decision"] == decision and s["facts"])


def _set(facts: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    facts = copy.deepcopy(facts)
    *parents, last = path.split(".")
    target = facts
    for key in parents:
        target = target.setdefault(key, {})
    target[last] = value
    return facts


PERSON = {"alder": 30, "pension": "ingen", "bruttoindkomst_pr_måned": "22904.30"}

WRONG: list[tuple[str, str, dict[str, Any]]] = [
    # wrong types
    ("trappe", "procent as a boolean", {"afdeling": {"udpegning": "ingen", "ledighed": True}}),
    ("trappe", "procent as words", {"afdeling": {"udpegning": "ingen", "ledighed": "fyrre"}}),
    ("trappe", "record as a list", {"afdeling": []}),
    ("trappe", "null for a required record", {"afdeling": None}),
    ("andele", "integer with decimals", {"afdeling": {"trin": 2.5}}),
    ("andele", "integer above its bound", {"afdeling": {"trin": 5}}),
    ("andele", "integer below its bound", {"afdeling": {"trin": 0}}),
    ("andele", "boolean as text", {"afdeling": {"fritaget_ekstra_anvisning": "ja"}}),
    ("andele", "list as a single value", {"afdeling": {"fleksible_kriterier": "A"}}),
    ("fortrinsret", "age as text", {"husstand": {"ansøger": {**PERSON, "alder": "tredive"}}}),
    ("fortrinsret", "age above its bound", {"husstand": {"ansøger": {**PERSON, "alder": 131}}}),
    ("fortrinsret", "money as NaN", {"husstand": {"ansøger": {**PERSON, "bruttoindkomst_pr_måned": "NaN"}}}),
    ("fortrinsret", "list element of the wrong type", {"husstand": {"øvrige": [{"alder": "to"}]}}),
    ("tomgangsleje", "date in words", {"returnering": {"modtaget": "1. marts 2024"}}),
    ("tomgangsleje", "date as a number", {"returnering": {"modtaget": 20240301}}),
    ("tomgangsleje", "null for a date that is not optional", {"returnering": {"returneret": None}}),
    # what the schema's patterns cannot bound is refused on both sides
    ("trappe", "integer as a string", {"afdeling": {"trin": "2"}}),
    ("trappe", "decimal string with an exponent", {"afdeling": {"indkomst": "5.5e1"}}),
    ("trappe", "decimal string of more than 10^15", {"afdeling": {"indkomst": "1000000000000000.5"}}),
    ("trappe", "decimal string with non-ASCII digits", {"afdeling": {"indkomst": "৪5"}}),
    ("tomgangsleje", "date without dashes", {"returnering": {"modtaget": "20240301"}}),
    # unknown keys
    ("trappe", "unknown fact", {"afdelinger": {"udpegning": "ingen"}}),
    ("trappe", "unknown field", {"afdeling": {"udpegnig": "ingen"}}),
    ("fortrinsret", "unknown field of a nested record", {"husstand": {"ansøger": {**PERSON, "navn": "Ib"}}}),
    ("andele", "unknown fact", {"afdeling": {"trin": 2}, "ukendt": 1}),
    ("tomgangsleje", "unknown field", {"returnering": {"modtaget": "2024-03-01", "dato": "2024-03-02"}}),
    # wrong choices
    ("trappe", "udpegning not a member", {"afdeling": {"udpegning": "udsat"}}),
    ("andele", "trappe not a member", {"afdeling": {"trappe": "trappe"}}),
    ("andele", "list element not a member", {"afdeling": {"fleksible_kriterier": ["C"]}}),
    ("fortrinsret", "optional choice not a member", {"husstand": {"partnerskab": "forlovet"}}),
    ("fortrinsret", "pension not a member", {"husstand": {"ansøger": {**PERSON, "pension": "førtidspension"}}}),
]


@pytest.mark.parametrize(("decision", "what", "facts"), WRONG, ids=[f"{d}:{w}" for d, w, _ in WRONG])
def test_wrong_facts_are_rejected(
    kbh: Any, schemas: dict[str, dict[str, Any]], decision: str, what: str, facts: dict[str, Any]
) -> None:
    assert not schema_accepts(schemas[decision], facts), what
    assert not interpreter_accepts(kbh, decision, facts), f"the interpreter takes {what}: fix the test"


@pytest.mark.parametrize("decision", DECISIONS)
def test_mutated_golden_facts_are_rejected(kbh: Any, schemas: dict[str, dict[str, Any]], decision: str) -> None:
    facts = _first_facts(decision)
    schema = schemas[decision]
    assert schema_accepts(schema, facts)
    top = next(iter(facts))
    for wrong in (
        {**facts, "ukendt_fakta": 1},  # unknown key
        {**facts, top: 42},  # wrong type: every fact these decisions read is a record
        _set(facts, f"{top}.ukendt_felt", 1),  # unknown field
    ):
        assert not schema_accepts(schema, wrong)
        assert not interpreter_accepts(kbh, decision, wrong)


RIGHT: list[tuple[str, str, dict[str, Any]]] = [
    ("trappe", "nothing at all", {}),
    ("trappe", "an empty record", {"afdeling": {}}),
    ("trappe", "decimal strings", {"afdeling": {"ledighed": "40.0", "dømte": " 2.18 ", "indkomst": "55"}}),
    ("trappe", "a whole number for a procent", {"afdeling": {"ledighed": 40}}),
    ("fortrinsret", "null for an optional record", {"husstand": {"partner": None, "partnerskab": None}}),
    ("fortrinsret", "a partner", {"husstand": {"ansøger": PERSON, "partner": PERSON, "partnerskab": "gift"}}),
    ("fortrinsret", "money with øre", {"husstand": {"ansøger": {**PERSON, "bruttoindkomst_pr_måned": 22904.3}}}),
    ("fortrinsret", "null for an optional date", {"husstand": {"samlivsophør": None}}),
    ("fortrinsret", "a date for an optional date", {"husstand": {"samlivsophør": "2023-05-01"}}),
    ("andele", "a whole float for an integer", {"afdeling": {"trin": 2.0}}),
    ("andele", "an empty list", {"afdeling": {"fleksible_kriterier": []}}),
]


@pytest.mark.parametrize(("decision", "what", "facts"), RIGHT, ids=[f"{d}:{w}" for d, w, _ in RIGHT])
def test_right_facts_are_accepted(
    kbh: Any, schemas: dict[str, dict[str, Any]], decision: str, what: str, facts: dict[str, Any]
) -> None:
    assert schema_accepts(schemas[decision], facts), what
    assert interpreter_accepts(kbh, decision, facts), what
