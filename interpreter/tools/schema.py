"""JSON Schema (draft 2020-12) of the facts a decision reads, from the policy's static types.

The schema says what interpreter/facts.py accepts, for one decision:

* the top-level keys are every fact the policy declares, as `decide` accepts them, so one facts
  object serves every decision; those the decision may read (`Model.facts_read`) come first and
  are listed in `x-almen-reads`, the others say they are not read. Other keys are rejected.
  No key is required: a missing fact makes the answer undetermined, not an error, and
  a record field with a default may be left out (the default is given as `default`).
* numbers are exact: a JSON number or a decimal string. Integers carry their declared bounds.
* dates are "YYYY-MM-DD" strings; choices (`valg`) are their member strings; records are objects
  without extra keys; `T?` also allows null; lists are arrays; lookups are objects.

Named records are put in `$defs` and referred to with `$ref`, so that a record used in several
places (a household's persons) is described once.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from almen.dsl import types as t
from almen.interpreter.errors import UnknownDecision
from almen.interpreter.facts import DATE_PATTERN, DECIMAL_PATTERN, MAX_ABS_NUMBER, MAX_LIST
from almen.interpreter.values import to_json

if TYPE_CHECKING:
    from almen.interpreter.api import Policy

__all__ = ["DECIMAL_PATTERN", "DIALECT", "NUMBERS", "decisions_schema", "fact_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"


NOT_READ = "Not read by this decision; accepted so that one facts object serves every decision."

NUMBERS = (
    'Numbers are exact. Give a JSON number, or a decimal string ("22904.30") to keep every digit; a '
    "JSON number is read as the shortest decimal that gives it back (0.1 is one tenth, not a binary "
    'fraction), and nothing is rounded on the way in. Fractions such as "1/3" are not accepted.'
)

_NUMBER_KIND = {
    None: "A number (tal)",
    "%": "Percent points (procent): 25 means 25 %",
    "kr": "Kroner (kr), øre as decimals",
    "brøk": "An exact share (brøk) as a decimal: 0.25 is a quarter",
}


def fact_schema(policy: Policy, decision: str) -> dict[str, Any]:
    """The JSON Schema of the facts object for `decision` of `policy`."""
    model = policy.model
    if decision not in model.decisions:
        raise UnknownDecision(policy.id, decision, list(model.decisions))
    builder = _Builder(policy)
    properties: dict[str, Any] = {}
    reads = model.facts_read(decision)
    for name in [*reads, *sorted(set(model.facts) - set(reads))]:
        notes: tuple[str, ...] = model.facts[name].notes
        if name not in reads:
            notes = (*notes, NOT_READ)
        properties[name] = builder.with_notes(builder.schema(model.fact_types[name]), notes)

    meta = model.decisions[decision].meta
    version = f" version {policy.version}" if policy.version else ""
    description = [
        f"The facts the decision '{decision}' of policy '{policy.id}'{version} may read.",
        "Every fact and every record field may be left out: when the answer depends on a missing "
        "value it is 'undetermined' and names the facts it needs; a field with a `default` takes "
        "that value. Keys that are not listed are rejected.",
        NUMBERS,
    ]
    if meta.title:
        description.insert(0, meta.title)
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": _urn(policy.id, policy.version, "facts", decision),
        "title": f"Facts for '{decision}' ({policy.id}{version})",
        "description": "\n".join(description),
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "x-almen-reads": reads,
    }
    if builder.defs:
        schema["$defs"] = dict(sorted(builder.defs.items()))
    return schema


def decisions_schema(policy: Policy) -> dict[str, dict[str, Any]]:
    """decision name → the JSON Schema of its facts, for every decision of the policy."""
    return {name: fact_schema(policy, name) for name in sorted(policy.model.decisions)}


def _urn(*parts: str) -> str:
    return "urn:almen:" + ":".join(quote(p or "-", safe="") for p in parts)


class _Builder:
    def __init__(self, policy: Policy):
        self.policy = policy
        self.defs: dict[str, Any] = {}

    @staticmethod
    def with_notes(schema: dict[str, Any], notes: tuple[str, ...] | list[str]) -> dict[str, Any]:
        """`schema` with the interpretation notes put before its own description."""
        if not notes:
            return schema
        text = "\n".join([*notes, schema["description"]] if "description" in schema else notes)
        return {**schema, "description": text}

    def schema(self, typ: t.Type) -> dict[str, Any]:
        if isinstance(typ, t.Optional):
            return _nullable(self.schema(typ.inner))
        if isinstance(typ, t.Num):
            return _number(typ)
        if isinstance(typ, t.Enum):
            return {"title": typ.name, "type": "string", "enum": list(typ.members)}
        if isinstance(typ, t.Record):
            if typ.name is None:
                return self.record(typ)
            if typ.name not in self.defs:
                self.defs[typ.name] = {}  # reserved first: a record may (indirectly) contain itself
                self.defs[typ.name] = self.record(typ)
            return {"$ref": "#/$defs/" + quote(typ.name, safe="")}
        if isinstance(typ, t.ListOf):
            return {"type": "array", "items": self.schema(typ.elem), "maxItems": MAX_LIST}
        if isinstance(typ, t.MapOf):
            return {
                "type": "object",
                "additionalProperties": self.schema(typ.value),
                "description": f"A lookup ({typ}): text keys to values.",
            }
        if typ == t.BOOL:
            return {"type": "boolean"}
        if typ == t.TEXT:
            return {"type": "string"}
        if typ == t.DATE:
            return {"type": "string", "format": "date", "pattern": DATE_PATTERN, "description": "A date, YYYY-MM-DD."}
        if typ == t.NULL:
            return {"type": "null"}
        if isinstance(typ, t.Unknown):
            return {}
        return {"not": {}, "description": f"A {typ} cannot be given as a fact."}

    def record(self, typ: t.Record) -> dict[str, Any]:
        decl = self.policy.model.record_decls.get(typ.name or "")
        fields = {f.name: f for f in decl.fields} if decl is not None else {}
        defaults = self.policy.defaults.get(typ.name or "", {})
        properties: dict[str, Any] = {}
        for name, ftype in typ.fields:
            field = fields.get(name)
            prop = self.with_notes(self.schema(ftype), field.notes if field is not None else ())
            if name in defaults:
                prop = {**prop, "default": _default_json(defaults[name], ftype)}
            properties[name] = prop
        schema: dict[str, Any] = {"type": "object"}
        if typ.name:
            schema["title"] = typ.name
        schema["properties"] = properties
        schema["additionalProperties"] = False
        return schema


def _number(typ: t.Num) -> dict[str, Any]:
    if typ.integer:
        low = typ.low if typ.low is not None else -MAX_ABS_NUMBER
        high = typ.high if typ.high is not None else MAX_ABS_NUMBER
        bounds = ""
        if typ.low is not None and typ.high is not None:
            bounds = f" from {typ.low} to {typ.high}"
        elif typ.low is not None:
            bounds = f" of at least {typ.low}"
        elif typ.high is not None:
            bounds = f" of at most {typ.high}"
        return {
            "type": "integer",
            "minimum": low,
            "maximum": high,
            "description": f"A whole number (heltal){bounds}.",
        }
    return {
        "type": ["number", "string"],
        "pattern": DECIMAL_PATTERN,
        "minimum": -MAX_ABS_NUMBER,
        "maximum": MAX_ABS_NUMBER,
        "description": f"{_NUMBER_KIND.get(typ.unit, 'A number')}; exact: a JSON number or a decimal string.",
    }


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, or null."""
    kind = schema.get("type")
    if "$ref" in schema or "not" in schema or kind is None:
        return {"anyOf": [schema, {"type": "null"}]} if schema else schema
    kinds = kind if isinstance(kind, list) else [kind]
    result = {**schema, "type": [*kinds, "null"] if "null" not in kinds else kinds}
    if "enum" in schema and None not in schema["enum"]:
        result["enum"] = [*schema["enum"], None]
    return result


def _default_json(value: Any, typ: t.Type) -> Any:
    """A record field's default in the form a sender would write it."""
    plain = t.strip(typ)
    if isinstance(plain, t.Num) and not plain.integer and not isinstance(value, bool) and value is not None:
        number = Fraction(value)
        if number.denominator == 1:
            return int(number)
    return to_json(value, typ)
