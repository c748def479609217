"""The JSON Schema of each decision's facts and `decide` accept exactly the same facts.

Facts are generated two ways. From the policy's fact declarations: valid values beside the
values a sender gets wrong (strings for numbers, bounds ±1, too many decimals, exponents,
non-ASCII digits, dates in other forms, unknown keys, null); for each, the schema's verdict and
the interpreter's must agree. And from the JSON Schema itself, as a letting system that only
reads the schema would build them: whatever the schema admits, `decide` accepts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from almen import FactError, load_policy
from almen.dsl import types as t
from almen.interpreter.facts import convert_facts
from almen.interpreter.tools.schema import fact_schema

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parent.parent
POLICIES = [ROOT / "policies" / "koebenhavn" / "2024-2027", ROOT / "policies" / "koege" / "2025"]
CASES = [(p, d) for p in POLICIES for d in sorted(load_policy(p).model.decisions)]
SETTINGS = settings(
    max_examples=15, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


def _policy(path: Path) -> Any:
    return load_policy(path)


def schema_accepts(schema: dict[str, Any], facts: Any) -> bool:
    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER).is_valid(facts)


def decide_accepts(policy: Any, facts: Any) -> bool:
    try:
        convert_facts(facts, policy.schema, policy.defaults)  # what Policy.decide checks first
    except FactError:
        return False
    return True


_ODD_TEXT = st.sampled_from(["", "2", " 3 ", "5.5e1", "৪5", "1/3", "20240301", "2024-02-30", "ja", "-0.0"])


def values(typ: t.Type, depth: int = 0) -> st.SearchStrategy[Any]:
    """Plausible and implausible JSON values for a fact of type `typ`."""
    odd = st.one_of(st.none(), st.booleans(), _ODD_TEXT, st.integers(-3, 3), st.just([]), st.just({}))
    if isinstance(typ, t.Optional):
        return st.one_of(st.none(), values(typ.inner, depth))
    if isinstance(typ, t.Num):
        edges = [b + d for b in (typ.low, typ.high) if b is not None for d in (-1, 0, 1)]
        numbers = st.one_of(
            st.integers(-(10**16), 10**16),
            st.sampled_from(edges or [0]),
            st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
            st.sampled_from(["1000000000000000", "1000000000000000.5", "0.000000000000000000001", " 22904.30 "]),
            st.floats(allow_nan=False, allow_infinity=False, width=32),
        )
        return st.one_of(numbers, odd)
    if isinstance(typ, t.Enum):
        return st.one_of(st.sampled_from(typ.members), odd)
    if typ == t.DATE:
        return st.one_of(st.dates().map(str), odd)
    if typ == t.BOOL or typ == t.TEXT:
        return st.one_of(st.booleans(), st.text(max_size=5), odd)
    if isinstance(typ, t.ListOf):
        return st.one_of(st.lists(values(typ.elem, depth + 1), max_size=2), odd)
    if isinstance(typ, t.MapOf):
        return st.one_of(st.dictionaries(st.text(max_size=3), values(typ.value, depth + 1), max_size=2), odd)
    if isinstance(typ, t.Record):
        if depth > 3:
            return st.just({})
        fields = {name: values(ftype, depth + 1) for name, ftype in typ.fields}
        keys = st.sampled_from([*fields, "ukendt_felt"]) if fields else st.just("ukendt_felt")
        return st.one_of(
            st.fixed_dictionaries({}, optional=fields),
            keys.flatmap(lambda k: st.just({k: 1})),
            odd,
        )
    return odd


@pytest.mark.parametrize(("path", "decision"), CASES, ids=[f"{p.parent.name}:{d}" for p, d in CASES])
def test_schema_and_decide_agree_on_declared_facts(path: Path, decision: str) -> None:
    policy = _policy(path)
    schema = fact_schema(policy, decision)
    facts = st.fixed_dictionaries({}, optional={name: values(typ) for name, typ in policy.schema.items()})

    @SETTINGS
    @given(st.one_of(facts, facts.map(lambda f: {**f, "ukendt": 1})))
    def check(given_facts: Any) -> None:
        assert schema_accepts(schema, given_facts) == decide_accepts(policy, given_facts), given_facts

    check()


def from_schema(node: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Instances of a JSON Schema, for the keywords `almen schema` writes (a keyword it starts
    to write that this does not know fails the test rather than being ignored)."""
    known = {"$schema", "$id", "$defs", "$ref", "title", "description", "default", "x-almen-reads"}
    known |= {"type", "enum", "anyOf", "properties", "additionalProperties", "items", "maxItems"}
    known |= {"minimum", "maximum", "pattern", "format"}
    assert set(node) <= known, set(node) - known
    if "$ref" in node:
        target = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[unquote(part)]
        return st.deferred(lambda: from_schema(target, root))
    if "anyOf" in node:
        return st.one_of([from_schema(x, root) for x in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
    return st.one_of([_instances(kind, node, root) for kind in kinds])


def _instances(kind: str, node: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Any]:
    low, high = node.get("minimum"), node.get("maximum")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        edges = [x for x in (low, high) if x is not None]
        return st.one_of(st.integers(low, high), *([st.sampled_from(edges)] if edges else []))
    if kind == "number":
        return st.one_of(st.integers(low, high), st.floats(low, high, allow_nan=False, allow_infinity=False))
    if kind == "string":
        if node.get("format") == "date":
            return st.dates().map(str)
        if "pattern" in node:
            return st.from_regex(node["pattern"])
        return st.text(max_size=8)
    if kind == "array":
        return st.lists(from_schema(node["items"], root), max_size=min(node.get("maxItems", 2), 2))
    if kind == "object":
        assert node.get("additionalProperties") is False  # the facts are closed: a typo is an error
        fields = {k: from_schema(v, root) for k, v in node.get("properties", {}).items()}
        return st.fixed_dictionaries({}, optional=fields)
    raise AssertionError(kind)


@pytest.mark.parametrize(("path", "decision"), CASES, ids=[f"{p.parent.name}:{d}" for p, d in CASES])
def test_whatever_the_schema_admits_decide_accepts(path: Path, decision: str) -> None:
    policy = _policy(path)
    schema = fact_schema(policy, decision)

    @SETTINGS
    @given(from_schema(schema, schema))
    def check(given_facts: Any) -> None:
        assert schema_accepts(schema, given_facts), given_facts  # the generator reads the schema right
        assert decide_accepts(policy, given_facts), given_facts

    check()

