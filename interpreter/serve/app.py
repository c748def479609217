"""The routes of the decision service and its lifespan (the reload watcher, the pools)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from almen.interpreter.api import Policy
from almen.interpreter.serve import docs_page
from almen.interpreter.serve.answers import Answers
from almen.interpreter.serve.guard import Guard
from almen.interpreter.serve.logs import DecisionLog
from almen.interpreter.serve.metrics import CONTENT_TYPE_LATEST, Metrics
from almen.interpreter.serve.openapi import decision_path, document
from almen.interpreter.serve.problems import Problem, json_response
from almen.interpreter.serve.registry import Registry
from almen.interpreter.serve.settings import Settings
from almen.interpreter.tools.schema import fact_schema

log = logging.getLogger("almen.serve")


def say(message: str) -> None:
    """A line for the operator, on standard error (where uvicorn writes too)."""
    print(f"almen serve: {message}", file=sys.stderr, flush=True)


def _summary(policy: Policy) -> dict[str, Any]:
    low, high = policy.valid
    return {
        "id": policy.id,
        "version": policy.version,
        "sha256": policy.sha256,
        "valid_from": low.isoformat() if low else None,
        "valid_to": high.isoformat() if high else None,
        "decisions": policy.decisions,
    }


def _decision(policy: Policy, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "title": policy.model.decisions[name].meta.title,
        "facts_read": policy.model.facts_read(name),
        "links": {
            "decide": decision_path(policy, name),
            "explain": decision_path(policy, name, "explain"),
            "needs": decision_path(policy, name, "needs"),
            "many": decision_path(policy, name, "many"),
            "schema": decision_path(policy, name, "schema"),
        },
    }


class Service:
    def __init__(self, settings: Settings, registry: Registry):
        self.settings = settings
        self.registry = registry
        self.metrics = Metrics()
        self.metrics.set_live([p.stamp() for p in registry.policies()])
        self.log = DecisionLog(settings.log, settings.log_key, settings.log_facts) if settings.log else None
        self.answers = Answers(settings, registry, self.metrics, self.log)
        self.stopping = False
        self._openapi: tuple[tuple[str, ...], dict[str, Any]] | None = None

    # ---------------------------------------------------------------- operations

    async def health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    async def ready(self, request: Request) -> Response:
        if self.stopping:
            raise Problem("not_ready", "tjenesten lukker ned")
        return json_response({"status": "ready", "policies": len(self.registry.index)})

    async def metrics_text(self, request: Request) -> Response:
        return Response(self.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    async def live(self, request: Request) -> Response:
        return json_response([s.live() for s in self.registry.index.values()])

    async def openapi(self, request: Request) -> Response:
        key = tuple(p.sha256 for p in self.registry.policies())
        if self._openapi is None or self._openapi[0] != key:
            self._openapi = (key, document(self.registry.policies(), self.settings.auth))
        return json_response(self._openapi[1])

    # ---------------------------------------------------------------- listings

    async def policies(self, request: Request) -> Response:
        return json_response([_summary(p) for p in self.registry.policies()])

    async def versions(self, request: Request) -> Response:
        pid = request.path_params["policy"]
        found = [p for p in self.registry.policies() if p.id == pid]
        if not found:
            raise self.answers.no_policy(pid)
        versions = [{k: v for k, v in _summary(p).items() if k != "id"} for p in found]
        return json_response({"id": pid, "versions": versions})

    async def version(self, request: Request) -> Response:
        policy = self.answers.policy(request)
        summary = _summary(policy)
        summary["decisions"] = [_decision(policy, d) for d in policy.decisions]
        return json_response(summary)

    async def decisions(self, request: Request) -> Response:
        policy = self.answers.policy(request)
        return json_response([_decision(policy, d) for d in policy.decisions])

    async def schema(self, request: Request) -> Response:
        policy, decision = self.answers.decision(request)
        return json_response(fact_schema(policy, decision), headers={"X-Almen-Policy-Sha256": policy.sha256})

    # ---------------------------------------------------------------- reload

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(self.settings.reload_interval)
            for source in self.registry.changed():
                fresh = await asyncio.to_thread(self.registry.reload, source)
                if fresh is not None:
                    self.metrics.reloads.labels(fresh.policy.id).inc()
                    self.metrics.set_live([p.stamp() for p in self.registry.policies()])
                    say(f"genindlæste {source.path}: sha256 {source.policy.sha256[:12]}… → {fresh.policy.sha256[:12]}…")
                elif source.error:
                    say(f"genindlæsning af {source.path} mislykkedes; den forrige version er stadig i drift:")
                    say(source.error)

    def close(self) -> None:
        self.answers.pool.shutdown(wait=False, cancel_futures=True)
        if self.log is not None:
            self.log.close()


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    request.app.state.service.metrics.errors.labels(exc.code).inc()
    return exc.response()


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        problem = Problem("method_not_allowed", f"metoden {request.method} findes ikke for {request.url.path}")
    else:
        problem = Problem("not_found", f"intet på {request.url.path}")
    return await _problem(request, problem)


async def _internal(request: Request, exc: Exception) -> Response:
    log.error("intern fejl ved %s %s", request.method, request.url.path, exc_info=exc)
    return await _problem(request, Problem("internal", "intern fejl i tjenesten; den er skrevet i serverens log"))


def create_app(settings: Settings, registry: Registry | None = None) -> Starlette:
    registry = registry if registry is not None else Registry(settings.policies)
    service = Service(settings, registry)
    a = service.answers
    decision = "/v1/policies/{policy}/{version}/decisions/{decision}"
    routes: list[Any] = [
        Route("/health", service.health, methods=["GET"]),
        Route("/ready", service.ready, methods=["GET"]),
        Route("/metrics", service.metrics_text, methods=["GET"]),
        Route("/openapi.json", service.openapi, methods=["GET"]),
        Route("/docs", docs_page.page, methods=["GET"]),
        Route("/v1/live", service.live, methods=["GET"]),
        Route("/v1/policies", service.policies, methods=["GET"]),
        Route("/v1/policies/{policy}", service.versions, methods=["GET"]),
        Route("/v1/policies/{policy}/{version}", service.version, methods=["GET"]),
        Route("/v1/policies/{policy}/{version}/decisions", service.decisions, methods=["GET"]),
        Route(decision + "/schema", service.schema, methods=["GET"]),
        Route(decision, a.decide, methods=["POST"]),
        Route(decision + "/explain", a.explain, methods=["POST"]),
        Route(decision + "/needs", a.needs, methods=["POST"]),
        Route(decision + "/many", a.many, methods=["POST"]),
    ]
    static = docs_page.static_files()
    if static is not None:
        routes.append(Mount("/docs/assets", static))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        watcher = asyncio.create_task(service.watch()) if settings.reload_interval > 0 else None
        try:
            yield
        finally:
            service.stopping = True
            if watcher is not None:
                watcher.cancel()
            service.close()
            say("stoppet; forespørgsler under vejs er besvaret")

    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, routes=routes, metrics=service.metrics, settings=settings)],
        exception_handlers={Problem: _problem, HTTPException: _http, Exception: _internal},
        lifespan=lifespan,
    )
    app.state.service = service
    return app
