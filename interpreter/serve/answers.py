"""Decide, explain, needs and decide many: the request's envelope in, the Python API's answer out.

A request is `{"facts": {...}, "date": "YYYY-MM-DD", "level": "reason"|"failed"|"full",
"redact": false}`. The body of a decision is `Answer.to_dict(level, redact)`, the very dictionary
the Python API gives, so a client sees what `Policy.decide` says. Numbers are read as exact
decimals (`parse_float=Decimal`), as the CLI reads them.

Evaluations run in a small thread pool, each under the time limit: past it the client gets 503
(the evaluation itself cannot be interrupted; it finishes in its thread and is dropped).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import attrs
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from almen.interpreter.api import Answer, Policy
from almen.interpreter.errors import EvaluationError, FactError
from almen.interpreter.explanation import LEVELS
from almen.interpreter.serve.guard import too_large
from almen.interpreter.serve.logs import DecisionLog
from almen.interpreter.serve.metrics import Metrics
from almen.interpreter.serve.problems import (
    Problem,
    evaluation_problem,
    fact_problem,
    json_response,
    request_problem,
    unknown,
)
from almen.interpreter.serve.registry import Registry
from almen.interpreter.serve.settings import Settings

ENVELOPE = ("facts", "date", "level", "redact")
NDJSON = ("application/x-ndjson", "application/jsonl", "application/json-lines", "application/jsonlines")


@attrs.frozen
class Ask:
    facts: Any
    date: str
    level: str
    redact: bool


def parse_json(data: bytes) -> Any:
    try:
        return json.loads(data, parse_float=Decimal)
    except UnicodeDecodeError:
        raise Problem("invalid_json", "brødteksten er ikke UTF-8") from None
    except json.JSONDecodeError as e:
        raise Problem(
            "invalid_json", f"brødteksten er ikke gyldig JSON: {e.msg} (linje {e.lineno}, kolonne {e.colno})"
        ) from None
    except RecursionError:
        raise Problem("invalid_json", "brødteksten er for dybt indlejret") from None


def envelope(data: Any, default_level: str, where: str = "") -> Ask:
    if not isinstance(data, dict):
        raise request_problem(where or "(request)", 'an object {"facts": …, "date": …}', data)
    for key in data:
        if key not in ENVELOPE:
            raise request_problem(where + str(key), "one of the keys " + ", ".join(ENVELOPE), data[key])
    if "facts" not in data:
        raise request_problem(where + "facts", "an object with the facts", None)
    date = data.get("date")
    if not isinstance(date, str):
        raise request_problem(where + "date", "a date (YYYY-MM-DD)", date)
    level = data.get("level", default_level)
    if level not in LEVELS:
        raise request_problem(where + "level", "one of " + ", ".join(LEVELS), level)
    redact = data.get("redact", False)
    if not isinstance(redact, bool):
        raise request_problem(where + "redact", "true or false", redact)
    return Ask(data["facts"], date, level, redact)


class Answers:
    def __init__(self, settings: Settings, registry: Registry, metrics: Metrics, log: DecisionLog | None):
        self.settings = settings
        self.registry = registry
        self.metrics = metrics
        self.log = log
        self.pool = ThreadPoolExecutor(settings.workers, thread_name_prefix="almen-decide")

    # ---------------------------------------------------------------- lookup

    def policy(self, request: Request) -> Policy:
        pid, version = request.path_params["policy"], request.path_params["version"]
        source = self.registry.get(pid, version)
        if source is None:
            versions = [v for (i, v) in self.registry.index if i == pid]
            if not versions:
                raise self.no_policy(pid)
            raise unknown("unknown_version", f"politikken {pid} har ingen version '{version}'", version, versions)
        return source.policy

    def no_policy(self, pid: str) -> Problem:
        return unknown("unknown_policy", f"ingen politik '{pid}'", pid, [i for i, _ in self.registry.index])

    def decision(self, request: Request) -> tuple[Policy, str]:
        policy = self.policy(request)
        name = request.path_params["decision"]
        if name not in policy.model.decisions:
            message = f"politikken {policy.id} {policy.version} har ingen beslutning '{name}'"
            raise unknown("unknown_decision", message, name, policy.decisions)
        return policy, name

    async def body(self, request: Request, limit: int) -> bytes:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    # ---------------------------------------------------------------- evaluation

    async def evaluate(self, policy: Policy, decision: str, ask: Ask, explain: bool = True) -> Answer:
        started = time.perf_counter()
        job = self.pool.submit(policy.decide, decision, ask.facts, ask.date, explain)
        try:
            answer = await asyncio.wait_for(asyncio.wrap_future(job), self.settings.timeout)
        except TimeoutError:
            raise Problem(
                "timeout", f"beslutningen tog mere end {self.settings.timeout:g} s", limit=self.settings.timeout
            ) from None
        except FactError as e:
            raise fact_problem(e) from None
        except EvaluationError as e:
            raise evaluation_problem(e) from None
        labels = (policy.id, policy.version, decision)
        self.metrics.decision_latency.labels(*labels).observe(time.perf_counter() - started)
        self.metrics.decisions.labels(*labels, answer.status).inc()
        if self.log is not None:
            self.log.write(answer, ask.facts, ask.redact)
        return answer

    async def one(self, request: Request, default_level: str) -> tuple[Policy, str, Ask]:
        policy, decision = self.decision(request)
        ask = envelope(parse_json(await self.body(request, self.settings.max_body)), default_level)
        return policy, decision, ask

    # ---------------------------------------------------------------- endpoints

    async def decide(self, request: Request) -> Response:
        policy, decision, ask = await self.one(request, "reason")
        answer = await self.evaluate(policy, decision, ask)
        return json_response(answer.to_dict(ask.level, ask.redact), headers=stamp_headers(answer))

    async def explain(self, request: Request) -> Response:
        policy, decision, ask = await self.one(request, "full")
        answer = await self.evaluate(policy, decision, ask)
        body = {**_head(answer), "level": ask.level, "text": answer.explain(ask.level, ask.redact)}
        return json_response({**body, "policy": answer.policy}, headers=stamp_headers(answer))

    async def needs(self, request: Request) -> Response:
        policy, decision, ask = await self.one(request, "reason")
        answer = await self.evaluate(policy, decision, ask, explain=False)
        body = {**_head(answer), "needs": list(answer.needs), "policy": answer.policy}
        return json_response(body, headers=stamp_headers(answer))

    async def many(self, request: Request) -> Response:
        policy, decision = self.decision(request)
        kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if kind in NDJSON:
            items = self.lines(request)
        else:
            data = parse_json(await self.body(request, self.settings.max_batch_body))
            if not isinstance(data, list):
                raise request_problem("(request)", "a list of requests, or JSON lines", data)
            if len(data) > self.settings.max_batch:
                raise Problem(
                    "too_large",
                    f"for mange fakta-sæt: højst {self.settings.max_batch} i én forespørgsel",
                    limit=self.settings.max_batch,
                )
            items = _aiter(data)
        headers = {"X-Almen-Policy-Sha256": policy.sha256}
        return LineStream(self.stream(policy, decision, items), headers)

    async def lines(self, request: Request) -> AsyncIterator[Any]:
        """The JSON lines of a streamed body, each parsed as it arrives."""
        buffer, size, count = b"", 0, 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.settings.max_batch_body:
                yield too_large(self.settings.max_batch_body)
                return
            buffer += chunk
            *whole, buffer = buffer.split(b"\n")
            for line in whole:
                if line.strip():
                    count += 1
                    yield self.line(line, count)
        if buffer.strip():
            yield self.line(buffer, count + 1)

    def line(self, line: bytes, count: int) -> Any:
        if count > self.settings.max_batch:
            return Problem(
                "too_large", f"for mange fakta-sæt: højst {self.settings.max_batch}", limit=self.settings.max_batch
            )
        try:
            return parse_json(line)
        except Problem as p:
            return p

    async def stream(self, policy: Policy, decision: str, items: AsyncIterator[Any]) -> AsyncIterator[bytes]:
        index = 0
        async for item in items:
            try:
                if isinstance(item, Problem):
                    raise item
                ask = envelope(item, "reason", f"[{index}].")
                answer = await self.evaluate(policy, decision, ask)
                out: dict[str, Any] = answer.to_dict(ask.level, ask.redact)
            except Exception as e:  # an answer is sent already: the error goes on its line
                p = e if isinstance(e, Problem) else internal(e)
                self.metrics.errors.labels(p.code).inc()
                out = {"index": index, **p.body()}
                if p.code == "too_large":
                    yield _line(out)
                    return
            yield _line(out)
            index += 1


class LineStream(Response):
    """JSON lines sent as they are made. Unlike Starlette's StreamingResponse it does not listen
    for a disconnect while sending: that would take the request body that is still being read
    (a JSON-lines body is answered line by line as it arrives)."""

    def __init__(self, lines: AsyncIterator[bytes], headers: dict[str, str]):
        self.status_code = 200
        self.media_type = NDJSON[0]
        self.background = None
        self.init_headers(headers)  # no body given: no Content-Length, the answer is chunked
        self.lines = lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async for line in self.lines:
            await send({"type": "http.response.body", "body": line, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def internal(e: Exception) -> Problem:
    logging.getLogger("almen.serve").error("intern fejl i en afgørelse af mange", exc_info=e)
    return Problem("internal", "intern fejl i tjenesten; den er skrevet i serverens log")


def _head(answer: Answer) -> dict[str, Any]:
    return {"decision": answer.decision, "date": answer.date.isoformat(), "status": answer.status}


def stamp_headers(answer: Answer) -> dict[str, str]:
    return {"X-Almen-Policy-Sha256": answer.policy["sha256"]}


def _line(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, default=str) + "\n").encode()


async def _aiter(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item
