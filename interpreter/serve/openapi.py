"""The OpenAPI 3.1 document, generated from the live policies.

Every decision of every policy gets its own paths (decide, explain, needs, many) with its own
request schema (the decision's fact schema from `tools/schema.py`, the date within the policy's
validity) and response schema (the answer with the decision's value type in its JSON form).
Components are named `<policy>.<version>.<decision>.<part>` in ASCII (æ ø å spelled ae oe aa),
as OpenAPI requires; record types become components of their own.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote

from almen.dsl import types as t
from almen.interpreter.api import Policy
from almen.interpreter.explanation import LEVELS
from almen.interpreter.facts import DATE_PATTERN
from almen.interpreter.serve.problems import STATUS
from almen.interpreter.serve.registry import segment
from almen.interpreter.tools.schema import fact_schema

REF = "#/components/schemas/"
MONEY_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"
SHARE_PATTERN = r"^-?[0-9]+(/[0-9]+)?$"
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+|/[0-9]+)?$"
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def ascii_name(*parts: str) -> str:
    return ".".join(re.sub(r"[^A-Za-z0-9_-]", "_", p.translate(_DANISH)) or "_" for p in parts)


def decision_path(policy: Policy, decision: str, action: str = "") -> str:
    segments = ["v1", "policies", policy.id, segment(policy.version), "decisions", decision]
    return "/" + "/".join(quote(s, safe="") for s in segments) + (f"/{action}" if action else "")


def date_schema(low: dt.date | None, high: dt.date | None) -> dict[str, Any]:
    """A decision date; within the validity period when the policy has one. Dates in this shape
    sort as their text does, so 'on or after' and 'on or before' are each a pattern."""
    schema: dict[str, Any] = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
    if low is None or high is None:
        schema["description"] = "The decision date, YYYY-MM-DD."
        return schema
    schema["description"] = f"The decision date, YYYY-MM-DD, within the policy's validity {low} – {high}."
    schema["allOf"] = [{"pattern": _beyond(low.isoformat(), True)}, {"pattern": _beyond(high.isoformat(), False)}]
    return schema


def _beyond(text: str, later: bool) -> str:
    """A pattern for the texts of the same shape that are `text` or sort after it (before it)."""
    alternatives = [re.escape(text)]
    for i, c in enumerate(text):
        if c.isdigit() and c != ("9" if later else "0"):
            d = int(c)
            alternatives.append(re.escape(text[:i]) + (f"[{d + 1}-9]" if later else f"[0-{d - 1}]"))
    return "^(" + "|".join(alternatives) + ")"


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


class _Document:
    def __init__(self, auth: bool):
        self.schemas: dict[str, Any] = dict(_COMMON)
        self.paths: dict[str, Any] = {}
        self.auth = auth

    def facts(self, policy: Policy, decision: str) -> str:
        """The fact schema as a component; its records as components shared by the policy's decisions."""
        version = segment(policy.version)
        schema = fact_schema(policy, decision)
        defs = schema.pop("$defs", {})
        names = {quote(k, safe=""): ascii_name(policy.id, version, "facts", k) for k in defs}

        def relink(node: Any) -> Any:
            if isinstance(node, dict):
                out = {k: relink(v) for k, v in node.items()}
                ref = out.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    out["$ref"] = REF + names[ref.removeprefix("#/$defs/")]
                return out
            if isinstance(node, list):
                return [relink(v) for v in node]
            return node

        for key, body in defs.items():
            self.schemas.setdefault(names[quote(key, safe="")], relink(body))
        schema.pop("$schema", None)
        schema.pop("$id", None)  # an $id would make the components' references relative to it
        name = ascii_name(policy.id, version, decision, "facts")
        self.schemas[name] = relink(schema)
        return name

    def value(self, policy: Policy, typ: t.Type) -> dict[str, Any]:
        """The JSON form `values.to_json` gives a value of this static type."""
        if isinstance(typ, t.Optional):
            return _nullable(self.value(policy, typ.inner))
        if isinstance(typ, t.Num):
            if typ.integer:
                return {"type": "integer"}
            pattern = {"kr": MONEY_PATTERN, "brøk": SHARE_PATTERN}.get(typ.unit or "", NUMBER_PATTERN)
            return {"type": "string", "pattern": pattern, "description": f"An exact {typ} as text."}
        if isinstance(typ, t.Enum):
            return {"type": "string", "enum": list(typ.members)}
        if isinstance(typ, t.Record):
            record = {
                "type": "object",
                "properties": {k: self.value(policy, v) for k, v in typ.fields},
                "additionalProperties": False,
            }
            if typ.name is None:
                return record
            name = ascii_name(policy.id, segment(policy.version), "values", typ.name)
            if name not in self.schemas:
                self.schemas[name] = {}  # reserved first: a record may contain itself
                self.schemas[name] = {"title": typ.name, **record}
            return {"$ref": REF + name}
        if isinstance(typ, t.ListOf):
            return {"type": "array", "items": self.value(policy, typ.elem)}
        if isinstance(typ, t.MapOf):
            return {"type": "object", "additionalProperties": self.value(policy, typ.value)}
        simple = {t.BOOL: {"type": "boolean"}, t.TEXT: {"type": "string"}, t.NULL: {"type": "null"}}
        if typ in simple:
            return simple[typ]
        if typ == t.DATE:
            return {"type": "string", "format": "date"}
        if typ == t.DURATION or isinstance(typ, t.WheelType):
            return {"type": "string"}
        return {}

    def decision(self, policy: Policy, decision: str) -> None:
        prefix = ascii_name(policy.id, segment(policy.version), decision)
        facts = self.facts(policy, decision)
        low, high = policy.valid
        request = {
            "type": "object",
            "required": ["facts", "date"],
            "additionalProperties": False,
            "properties": {
                "facts": {"$ref": REF + facts},
                "date": date_schema(low, high),
                "level": {"type": "string", "enum": list(LEVELS), "default": "reason"},
                "redact": {"type": "boolean", "default": False},
            },
        }
        self.schemas[prefix + ".request"] = request
        stamp = {
            "type": "object",
            "required": ["id", "version", "sha256"],
            "additionalProperties": False,
            "properties": {
                "id": {"const": policy.id},
                "version": {"const": policy.version},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            },
        }
        head = {
            "decision": {"const": decision},
            "date": {"type": "string", "format": "date"},
            "status": {"type": "string", "enum": ["determined", "undetermined"]},
        }
        needs = {"type": "array", "items": {"type": "string"}, "description": "Fact paths still missing."}
        value = _nullable(self.value(policy, policy.model.value_types.get(decision, t.UNKNOWN)))
        answer = {
            "type": "object",
            "required": ["decision", "date", "status", "value", "policy"],
            "additionalProperties": False,
            "properties": {
                **head,
                "value": value,
                "needs": needs,
                "reason": {"type": "string"},
                "explanation": {"$ref": REF + "ExplanationNode"},
                "policy": stamp,
            },
        }
        self.schemas[prefix + ".answer"] = answer
        self.schemas[prefix + ".explained"] = {
            "type": "object",
            "required": ["decision", "date", "status", "level", "text", "policy"],
            "additionalProperties": False,
            "properties": {
                **head,
                "level": {"type": "string", "enum": list(LEVELS)},
                "text": {"type": "string"},
                "policy": stamp,
            },
        }
        self.schemas[prefix + ".needs"] = {
            "type": "object",
            "required": ["decision", "date", "status", "needs", "policy"],
            "additionalProperties": False,
            "properties": {**head, "needs": needs, "policy": stamp},
        }
        meta = policy.model.decisions[decision].meta
        title = meta.title or decision
        tag = f"{policy.id} {policy.version}".strip()
        example: dict[str, Any] = {"facts": {}, "date": (low or dt.date(2024, 1, 1)).isoformat()}
        media = {
            "schema": {"$ref": REF + prefix + ".request"},
            "examples": {"tom": {"summary": "Ingen fakta: svaret siger, hvilke der mangler", "value": example}},
        }
        body = {"required": True, "content": {"application/json": media}}
        for action, summary, part in (
            ("", "Afgør", "answer"),
            ("explain", "Forklar", "explained"),
            ("needs", "Manglende fakta", "needs"),
        ):
            self.paths[decision_path(policy, decision, action)] = {
                "post": self.operation(
                    ascii_name(prefix, action or "decide"),
                    f"{summary}: {title}",
                    [tag],
                    body,
                    {"200": _json("The answer", {"$ref": REF + prefix + "." + part})},
                    errors=(400, 404, 413, 422, 503),
                )
            }
        many_body = {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"$ref": REF + prefix + ".request"}}},
                "application/x-ndjson": {
                    "schema": {"type": "string", "description": f"JSON lines, each a {prefix}.request object."}
                },
            },
        }
        line = {"oneOf": [{"$ref": REF + prefix + ".answer"}, {"$ref": REF + "ItemError"}]}
        self.paths[decision_path(policy, decision, "many")] = {
            "post": self.operation(
                ascii_name(prefix, "many"),
                f"Afgør mange: {title}",
                [tag],
                many_body,
                {
                    "200": {
                        "description": "JSON lines, one per fact set in order: the answer, or an error with its index.",
                        "content": {"application/x-ndjson": {"schema": line}},
                    }
                },
                errors=(400, 404, 413),
            )
        }

    def operation(
        self, op_id: str, summary: str, tags: list[str], body: Any, responses: dict[str, Any], errors: tuple[int, ...]
    ) -> dict[str, Any]:
        op: dict[str, Any] = {"operationId": op_id, "summary": summary, "tags": tags}
        if body is not None:
            op["requestBody"] = body
        for status in (401, *errors) if self.auth else errors:
            responses[str(status)] = _json(_REASON[status], {"$ref": REF + "Error"})
        op["responses"] = responses
        return op


_REASON = {
    400: "Malformed request",
    401: "Missing or wrong bearer token",
    404: "No such policy, version or decision",
    413: "Request too large",
    422: "The facts or date do not fit the policy",
    503: "Evaluation took too long, or the service is stopping",
}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_COMMON: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": sorted(STATUS)},
                    "message": {"type": "string", "description": "For people, in Danish."},
                    "path": {"type": "string", "description": "The fact's path ('date' for the date)."},
                    "expected": {"type": "string"},
                    "received": {"type": "string"},
                    "diagnostics": {"type": "array", "items": {"type": "object"}},
                    "known": {"type": "array", "items": {"type": "string"}},
                    "limit": {"type": "integer"},
                },
            }
        },
    },
    "ItemError": {
        "type": "object",
        "required": ["index", "error"],
        "properties": {"index": {"type": "integer", "minimum": 0}, "error": {"$ref": REF + "Error/properties/error"}},
    },
    "ExplanationNode": {
        "type": "object",
        "required": ["kind", "rule", "status"],
        "properties": {
            "kind": {"type": "string"},
            "rule": {"type": "string"},
            "citation": {"type": "string"},
            "source": {"type": "string"},
            "text": {"type": "string"},
            "status": {"type": "string"},
            "outcome": {},
            "interpretation": {"type": "array", "items": {"type": "string"}},
            "inputs": {"type": "object"},
            "children": {"type": "array", "items": {"$ref": REF + "ExplanationNode"}},
        },
    },
}


def _get(summary: str, schema: dict[str, Any], params: tuple[str, ...] = (), open_: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {"200": _json("OK", schema)}}
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params]
        op["responses"]["404"] = _json(_REASON[404], {"$ref": REF + "Error"})
    if open_:
        op["security"] = []
    return op


def document(policies: list[Policy], auth: bool) -> dict[str, Any]:
    doc = _Document(auth)
    for policy in policies:
        for decision in policy.decisions:
            doc.decision(policy, decision)
    live = {"type": "array", "items": {"$ref": REF + "Live"}}
    doc.schemas["Live"] = {
        "type": "object",
        "required": ["id", "version", "sha256", "loaded_at"],
        "properties": {
            "id": {"type": "string"},
            "version": {"type": "string"},
            "sha256": {"type": "string"},
            "loaded_at": {"type": "string", "format": "date-time"},
            "reload_error": {"type": ["string", "null"]},
        },
    }
    obj = {"type": "object"}
    pv = ("policy", "version")
    paths: dict[str, Any] = {
        "/health": {"get": _get("Levende", obj, open_=True)},
        "/ready": {"get": _get("Klar (503 under nedlukning)", obj, open_=True)},
        "/metrics": {
            "get": {
                "summary": "Prometheus-målinger",
                "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {}}}},
            }
        },
        "/v1/live": {"get": _get("Hvilken sha256 er i drift", live)},
        "/v1/policies": {"get": _get("Politikker og versioner", {"type": "array", "items": obj})},
        "/v1/policies/{policy}": {"get": _get("En politiks versioner", obj, ("policy",))},
        "/v1/policies/{policy}/{version}": {"get": _get("En version: beslutninger", obj, pv)},
        "/v1/policies/{policy}/{version}/decisions": {
            "get": _get("Beslutningerne", {"type": "array", "items": obj}, pv)
        },
        "/v1/policies/{policy}/{version}/decisions/{decision}/schema": {
            "get": _get("JSON Schema for beslutningens fakta", obj, (*pv, "decision"))
        },
        **doc.paths,
    }
    result: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "almen decision service",
            "version": "1",
            "description": "Decisions of the loaded letting policies, answered as almen's Python API answers them. "
            "Messages for people are in Danish; JSON keys are English and stable.",
        },
        "paths": paths,
        "components": {"schemas": doc.schemas},
    }
    if auth:
        result["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        result["security"] = [{"bearer": []}]
    return result
