"""Middleware in front of every route: bearer-token authentication, the body size limit as the
request declares it, and the request metrics. A plain ASGI middleware, so that streamed answers
pass through it unbuffered."""

from __future__ import annotations

import hmac
import time
from typing import Any

from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from almen.interpreter.serve.metrics import Metrics
from almen.interpreter.serve.problems import Problem
from almen.interpreter.serve.settings import Settings

OPEN = frozenset({"/health", "/ready"})  # probes answer without a token


def token_ok(header: str | None, tokens: tuple[str, ...]) -> bool:
    """Constant time in the token: every configured token is compared, with compare_digest."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    ok = False
    for token in tokens:
        ok |= hmac.compare_digest(given.strip().encode(), token.encode())
    return ok


class Guard:
    def __init__(self, app: ASGIApp, routes: list[Any], metrics: Metrics, settings: Settings):
        self.app = app
        self.routes = [r for r in routes if isinstance(r, Route)]
        self.metrics = metrics
        self.tokens = settings.tokens
        self.settings = settings

    def route_of(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match != Match.NONE:
                return route.path
        return "other"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = self.route_of(scope)
        started = time.perf_counter()
        status = [500]

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            problem = self.refuse(scope)
            if problem is not None:
                self.metrics.errors.labels(problem.code).inc()
                headers = {"WWW-Authenticate": 'Bearer realm="almen"'} if problem.code == "unauthorized" else None
                await problem.response(headers)(scope, receive, counted)
            else:
                await self.app(scope, receive, counted)
        finally:
            self.metrics.requests.labels(scope["method"], route, str(status[0])).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)

    def refuse(self, scope: Scope) -> Problem | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self.tokens and scope["path"] not in OPEN and not token_ok(headers.get("authorization"), self.tokens):
            return Problem("unauthorized", "adgang kræver et gyldigt bearer-token (Authorization: Bearer …)")
        length = headers.get("content-length", "")
        limit = self.settings.max_batch_body if scope["path"].endswith("/many") else self.settings.max_body
        if length.isdigit() and int(length) > limit:
            return too_large(limit)
        return None


def too_large(limit: int) -> Problem:
    return Problem("too_large", f"forespørgslen er for stor: højst {limit} bytes", limit=limit)
