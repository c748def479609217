"""Errors as JSON, never a traceback: `{"error": {"code", "message", …}}`.

`code` is a stable English key for programs; `message` is Danish, for people. A fact error adds
`path` (the fact's path, `date` for the decision date), `expected` and `received`; an evaluation
error adds `diagnostics` (file, line, column, message, hint).

| status | code | when |
|---|---|---|
| 400 | invalid_json, invalid_request | the body is not JSON, or not the request's shape |
| 401 | unauthorized | a bearer token is required and was missing or wrong |
| 404 | not_found, unknown_policy, unknown_version, unknown_decision | nothing there |
| 405 | method_not_allowed | the path exists, the method does not |
| 413 | too_large | the body is larger than the limit, or a batch has too many fact sets |
| 422 | fact_error, evaluation_error | the facts or date do not fit the policy, or it cannot answer them |
| 503 | timeout, not_ready | the evaluation took too long; the service is stopping |
| 500 | internal | a fault of the service (logged on the server, not shown) |
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from starlette.responses import Response

from almen.interpreter.errors import EvaluationError, FactError

STATUS = {
    "invalid_json": 400,
    "invalid_request": 400,
    "unauthorized": 401,
    "not_found": 404,
    "unknown_policy": 404,
    "unknown_version": 404,
    "unknown_decision": 404,
    "method_not_allowed": 405,
    "too_large": 413,
    "fact_error": 422,
    "evaluation_error": 422,
    "internal": 500,
    "timeout": 503,
    "not_ready": 503,
}


class Problem(Exception):
    """An error the service answers with; `extra` keys go beside `code` and `message`."""

    def __init__(self, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}

    def response(self, headers: dict[str, str] | None = None) -> Response:
        return json_response(self.body(), self.status, headers)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, default=str).encode()
    return Response(body, status, headers, media_type="application/json")


def fact_problem(e: FactError) -> Problem:
    return Problem(
        "fact_error",
        f"faktum '{e.path}': forventede {e.expected}, fik {e.received}",
        path=e.path,
        expected=e.expected,
        received=e.received,
    )


def evaluation_problem(e: EvaluationError) -> Problem:
    diagnostics = [
        {"file": d.span.path, "line": d.span.line, "column": d.span.column, "message": d.message, "hint": d.hint}
        for d in e.diagnostics
    ]
    first = e.diagnostics[0].message if e.diagnostics else ""
    return Problem("evaluation_error", f"politikken kan ikke svare på disse fakta: {first}", diagnostics=diagnostics)


def request_problem(path: str, expected: str, received: Any) -> Problem:
    """The request itself (not its facts) is malformed at `path`."""
    shown = FactError(path, expected, received).received  # the same wording of what came
    return Problem(
        "invalid_request",
        f"forespørgslen: '{path}': forventede {expected}, fik {shown}",
        path=path,
        expected=expected,
        received=shown,
    )


def unknown(code: str, message: str, name: str, known: list[str]) -> Problem:
    """`message` names what is missing; the nearest known name is suggested."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.6)
    message += f"; mente du '{close[0]}'?" if close else ""
    return Problem(code, message, known=sorted(known))
