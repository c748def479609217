"""`almen serve`: the real server in a subprocess on a free localhost port, called over HTTP.

Every answer is compared with the Python API's (`Policy.decide(...).to_dict(level, redact)`) on
the golden scenarios; the OpenAPI document is validated and its request schemas are checked to
accept exactly the requests `decide` accepts."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
jsonschema = pytest.importorskip("jsonschema")

from almen.interpreter import load_policy  # noqa: E402
from almen.interpreter.tools.schema import fact_schema  # noqa: E402

# The service speaks Danish by default (its servers are started so); the API it is compared with too.
pytestmark = pytest.mark.usefixtures("danish")

ROOT = Path(__file__).resolve().parent.parent
KBH = ROOT / "policies" / "koebenhavn" / "2024-2027"
KOEGE = ROOT / "policies" / "koege" / "2025"
GOLDEN = ROOT / "tests" / "golden"
TRAPPE = json.loads((ROOT / "examples" / "koebenhavn" / "trappe.json").read_text(encoding="utf-8"))
BASE = "/v1/policies/koebenhavn/2024-2027/decisions"


def scenarios() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for f in sorted(GOLDEN.rglob("*.json")):
        data = json.loads(f.read_text(encoding="utf-8"), parse_float=Decimal)
        policy = (f.parent / data["policy"]).resolve()
        found += [(str(policy), s) for s in data["scenarios"]]
    return found


SCENARIOS = scenarios()


def plain(value: Any) -> Any:
    """The JSON the server sends, read back: what a client sees."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def request_body(s: dict[str, Any], **extra: Any) -> bytes:
    """A scenario's request, numbers written exactly as in the scenario file."""
    return json.dumps({"facts": s.get("facts", {}), "date": s["date"], **extra}, default=str).encode()


# A policy of its own, with a gap: no rule of 'tilskud' applies to a child (an evaluation error).
GAP = {
    "00_aftale.almen": 'politik hul {\n  version "1"\n  gyldig fra 2024-01-01 til 2027-12-31\n}\n',
    "01_tilskud.almen": """fakta alder: heltal
beslutning tilskud: kr
  kilde "§ 1"
regel tilskud.voksen
  kilde "§ 1"
  hvis alder >= 18
  så 1000 kr
""",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, tmp: Path, policies: list[Path], *args: str, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.err = tmp / f"server-{self.port}.err"
        cmd = [sys.executable, "-m", "almen.interpreter.cli", "serve", *map(str, policies), "--port", str(self.port)]
        with open(self.err, "wb") as err:
            self.proc = subprocess.Popen(
                [*cmd, *args],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env={**os.environ, "ALMEN_LANG": "da", **(env or {})},  # a service speaks Danish by default
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server stopped: {self.stderr}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            self.stop()
            raise AssertionError(f"the server did not start: {self.stderr}")
        self.client = httpx.Client(base_url=self.url, timeout=30)

    @property
    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve")


@pytest.fixture(scope="module")
def server(tmp: Path) -> Iterator[Server]:
    gap = tmp / "hul"
    gap.mkdir()
    for name, text in GAP.items():
        (gap / name).write_text(text, encoding="utf-8")
    s = Server(tmp, [KBH, KOEGE, gap], "--log", str(tmp / "decisions.jsonl"), "--reload-interval", "0")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def guarded(tmp: Path) -> Iterator[Server]:
    """Authentication on (a token from a file, one from the environment), a batch limit of two
    and a time limit of 20 ms."""
    tokens = tmp / "tokens"
    tokens.write_text("# the letting system\nfil-token-123\n", encoding="utf-8")
    s = Server(
        tmp,
        [KBH],
        *("--tokens-file", str(tokens), "--max-batch", "2", "--timeout", "0.02", "--reload-interval", "0"),
        env={"ALMEN_SERVE_TOKENS": "env-token-456, env-token-789"},
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def kbh_policy() -> Any:
    return load_policy(KBH)


@pytest.fixture(scope="module")
def openapi(server: Server) -> dict[str, Any]:
    response = server.client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


@functools.cache
def policy_at(path: str) -> Any:
    return load_policy(path)


def python_answer(policy_path: str, s: dict[str, Any], level: str = "reason", redact: bool = False) -> Any:
    policy = policy_at(policy_path)
    return plain(policy.decide(s["decision"], s.get("facts", {}), s["date"]).to_dict(level, redact))


def decide_url(policy_path: str, decision: str, action: str = "") -> str:
    policy = policy_at(policy_path)
    return f"/v1/policies/{policy.id}/{policy.version}/decisions/{decision}" + (f"/{action}" if action else "")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return dict(error)


# ---------------------------------------------------------------- operations


def test_health_ready_and_binding(server: Server) -> None:
    assert server.client.get("/health").json() == {"status": "ok"}
    assert server.client.get("/ready").json() == {"status": "ready", "policies": 3}
    assert f"lytter på http://127.0.0.1:{server.port} — kun fra denne maskine" in server.stderr
    assert "ingen adgangskontrol" in server.stderr


def test_listings(server: Server, kbh_policy: Any) -> None:
    listed = server.client.get("/v1/policies").json()
    assert [(p["id"], p["version"]) for p in listed] == [("koebenhavn", "2024-2027"), ("koege", "2025"), ("hul", "1")]
    assert listed[0]["sha256"] == kbh_policy.sha256
    assert listed[0]["valid_from"] == "2024-01-01" and listed[0]["valid_to"] == "2027-12-31"
    assert listed[0]["decisions"] == kbh_policy.decisions
    versions = server.client.get("/v1/policies/koebenhavn").json()
    assert versions["id"] == "koebenhavn" and [v["version"] for v in versions["versions"]] == ["2024-2027"]
    version = server.client.get("/v1/policies/koebenhavn/2024-2027").json()
    trappe = next(d for d in version["decisions"] if d["name"] == "trappe")
    assert trappe["facts_read"] == ["afdeling"]
    assert trappe["links"]["decide"] == BASE + "/trappe"
    decisions = server.client.get("/v1/policies/koebenhavn/2024-2027/decisions").json()
    assert [d["name"] for d in decisions] == kbh_policy.decisions
    # a decision named with Danish letters is reached by its percent-encoded path
    rk = next(d for d in decisions if d["name"] == "rækkefølge")
    assert rk["links"]["decide"] == BASE + "/r%C3%A6kkef%C3%B8lge"
    assert server.client.get(rk["links"]["schema"]).status_code == 200


def test_schema_is_the_tools_schema(server: Server, kbh_policy: Any) -> None:
    response = server.client.get(BASE + "/fortrinsret/schema")
    assert response.json() == plain(fact_schema(kbh_policy, "fortrinsret"))
    assert response.headers["x-almen-policy-sha256"] == kbh_policy.sha256


def test_live_names_the_sha256(server: Server, kbh_policy: Any) -> None:
    live = server.client.get("/v1/live").json()
    assert live[0]["id"] == "koebenhavn" and live[0]["sha256"] == kbh_policy.sha256
    assert live[0]["reload_error"] is None


def test_metrics(server: Server) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    server.client.post(BASE + "/trappe", json={"facts": TRAPPE, "date": "2024-03-01"})
    server.client.post(BASE + "/trappe", json={"facts": {"afdeling": {"ledighed": "x"}}, "date": "2024-03-01"})
    text = server.client.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    decided = [
        s.value
        for s in families["almen_decisions"].samples
        if s.name == "almen_decisions_total" and s.labels["decision"] == "trappe" and s.labels["status"] == "determined"
    ]
    assert decided and decided[0] >= 1
    route = "/v1/policies/{policy}/{version}/decisions/{decision}"
    requests = [s for s in families["almen_http_requests"].samples if s.labels.get("route") == route]
    assert {s.labels["status"] for s in requests} >= {"200", "422"}
    assert any(s.labels["code"] == "fact_error" for s in families["almen_errors"].samples)
    assert any(
        s.name == "almen_decision_duration_seconds_count" for s in families["almen_decision_duration_seconds"].samples
    )
    info = [s for s in families["almen_policy_info"].samples]
    assert {s.labels["policy"] for s in info} == {"koebenhavn", "koege", "hul"}


# ---------------------------------------------------------------- answers identical to the Python API


@pytest.mark.parametrize(("policy", "scenario"), SCENARIOS, ids=[s["name"] for _, s in SCENARIOS])
def test_decide_answers_as_the_python_api(server: Server, policy: str, scenario: dict[str, Any]) -> None:
    url = decide_url(policy, scenario["decision"])
    response = server.client.post(url, content=request_body(scenario))
    if scenario["expect"].get("status") == "error":
        error = assert_error(response, 422, "fact_error")
        assert error["path"] == "date" and scenario["expect"]["error_contains"] in error["expected"]
        return
    assert response.status_code == 200, response.text
    assert response.json() == python_answer(policy, scenario)
    assert response.headers["x-almen-policy-sha256"] == policy_at(policy).sha256


def test_levels_and_redaction(server: Server, kbh_policy: Any) -> None:
    s = next(s for _, s in SCENARIOS if s["decision"] == "fortrinsret" and s["expect"].get("status") == "determined")
    for level in ("reason", "failed", "full"):
        for redact in (False, True):
            body = request_body(s, level=level, redact=redact)
            got = server.client.post(BASE + "/fortrinsret", content=body).json()
            assert got == python_answer(str(KBH), s, level, redact)
    full = server.client.post(BASE + "/fortrinsret", content=request_body(s, level="full", redact=True)).json()
    assert "[skjult]" in json.dumps(full, ensure_ascii=False)


def test_explain(server: Server, kbh_policy: Any) -> None:
    response = server.client.post(BASE + "/trappe/explain", json={"facts": TRAPPE, "date": "2024-03-01"})
    answer = kbh_policy.decide("trappe", TRAPPE, "2024-03-01")
    got = response.json()
    assert got["text"] == answer.explain("full") and got["level"] == "full"
    assert got["policy"] == answer.policy and got["status"] == "determined"
    failed = server.client.post(
        BASE + "/trappe/explain", json={"facts": TRAPPE, "date": "2024-03-01", "level": "failed"}
    )
    assert failed.json()["text"] == answer.explain("failed")


def test_needs(server: Server, kbh_policy: Any) -> None:
    facts = {"afdeling": {"udpegning": "ingen", "ledighed": 41.2}}
    got = server.client.post(BASE + "/trappe/needs", json={"facts": facts, "date": "2024-03-01"}).json()
    answer = kbh_policy.decide("trappe", facts, "2024-03-01", explain=False)
    assert got["status"] == "undetermined"
    assert got["needs"] == list(answer.needs) and got["needs"]
    assert got["policy"]["sha256"] == kbh_policy.sha256


def test_decide_many_list_and_json_lines(server: Server, kbh_policy: Any) -> None:
    trappe = [s for _, s in SCENARIOS if s["decision"] == "trappe" and s["expect"].get("status") != "error"][:5]
    bodies = [json.loads(request_body(s)) for s in trappe]
    bodies.insert(2, {"facts": {"afdeling": {"trin": "to"}}, "date": "2024-03-01"})
    expected = [python_answer(str(KBH), s) for s in trappe]
    response = server.client.post(BASE + "/trappe/many", json=bodies)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(x) for x in response.text.splitlines()]
    assert lines[2]["index"] == 2 and lines[2]["error"]["code"] == "fact_error"
    assert lines[2]["error"]["path"] == "afdeling.trin"
    assert [x for i, x in enumerate(lines) if i != 2] == expected

    def chunks() -> Iterator[bytes]:  # streamed: no Content-Length, one line at a time
        for body in bodies:
            yield (json.dumps(body) + "\n").encode()

    with server.client.stream(
        "POST", BASE + "/trappe/many", content=chunks(), headers={"content-type": "application/x-ndjson"}
    ) as streamed:
        assert streamed.status_code == 200
        got = [json.loads(line) for line in streamed.iter_lines() if line]
    assert got == lines
    broken = server.client.post(
        BASE + "/trappe/many",
        content=b'{"facts": {}, "date": "2024-03-01"}\n{oops\n',
        headers={"content-type": "application/x-ndjson"},
    )
    items = [json.loads(x) for x in broken.text.splitlines()]
    assert (
        items[0]["status"] == "undetermined" and items[1]["error"]["code"] == "invalid_json" and items[1]["index"] == 1
    )


# ---------------------------------------------------------------- errors


def test_400_malformed_requests(server: Server) -> None:
    assert_error(server.client.post(BASE + "/trappe", content=b"{not json"), 400, "invalid_json")
    assert_error(server.client.post(BASE + "/trappe", content=b"\xff\xfe"), 400, "invalid_json")
    e = assert_error(server.client.post(BASE + "/trappe", json={"facts": TRAPPE}), 400, "invalid_request")
    assert e["path"] == "date" and "YYYY-MM-DD" in e["expected"]
    e = assert_error(
        server.client.post(BASE + "/trappe", json={"facts": {}, "date": "2024-03-01", "sted": 1}),
        400,
        "invalid_request",
    )
    assert e["path"] == "sted"
    e = assert_error(
        server.client.post(BASE + "/trappe", json={"facts": {}, "date": "2024-03-01", "level": "alt"}),
        400,
        "invalid_request",
    )
    assert e["path"] == "level"
    assert_error(server.client.post(BASE + "/trappe", json=[1, 2]), 400, "invalid_request")
    assert_error(server.client.post(BASE + "/trappe/many", json={"facts": {}}), 400, "invalid_request")


def test_404_405(server: Server) -> None:
    e = assert_error(
        server.client.post("/v1/policies/kobenhavn/2024-2027/decisions/trappe", json={}), 404, "unknown_policy"
    )
    assert "koebenhavn" in e["message"]
    e = assert_error(server.client.get("/v1/policies/koebenhavn/2030"), 404, "unknown_version")
    assert e["known"] == ["2024-2027"]
    e = assert_error(server.client.post(BASE + "/trappen", json={}), 404, "unknown_decision")
    assert "mente du 'trappe'" in e["message"]
    assert_error(server.client.get(BASE + "/trappen/schema"), 404, "unknown_decision")
    assert_error(server.client.get("/v1/policies/nope"), 404, "unknown_policy")
    assert_error(server.client.get("/nowhere"), 404, "not_found")
    assert_error(server.client.get(BASE + "/trappe"), 405, "method_not_allowed")


def test_413_too_large(server: Server, guarded: Server) -> None:
    big = b'{"facts": {}, "date": "2024-03-01", "x": "' + b"a" * (1 << 20) + b'"}'
    e = assert_error(server.client.post(BASE + "/trappe", content=big), 413, "too_large")
    assert e["limit"] == 1 << 20
    auth = {"authorization": "Bearer fil-token-123"}

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit is counted as the body arrives
        for _ in range(11):
            yield b" " * 100_000

    assert_error(guarded.client.post(BASE + "/trappe", content=chunked(), headers=auth), 413, "too_large")
    three = [{"facts": {}, "date": "2024-03-01"}] * 3
    e = assert_error(guarded.client.post(BASE + "/trappe/many", json=three, headers=auth), 413, "too_large")
    assert e["limit"] == 2
    lines = "".join(json.dumps(x) + "\n" for x in three).encode()
    streamed = guarded.client.post(
        BASE + "/trappe/many", content=lines, headers={**auth, "content-type": "application/x-ndjson"}
    )
    items = [json.loads(x) for x in streamed.text.splitlines()]  # answered until the limit, then told
    # the first two are answered (or refused by the 20 ms limit of this server), the third is over the limit
    assert all(x.get("status") == "undetermined" or x["error"]["code"] == "timeout" for x in items[:2])
    assert items[2]["index"] == 2 and items[2]["error"]["code"] == "too_large" and len(items) == 3


def test_422_facts_and_date(server: Server) -> None:
    e = assert_error(
        server.client.post(BASE + "/trappe", json={"facts": {"afdeling": {"ledighed": "mange"}}, "date": "2024-03-01"}),
        422,
        "fact_error",
    )
    assert e["path"] == "afdeling.ledighed" and "procent" in e["expected"] and "mange" in e["received"]
    assert e["message"].startswith("faktum 'afdeling.ledighed': forventede")
    e = assert_error(
        server.client.post(BASE + "/trappe", json={"facts": {"afdelingen": {}}, "date": "2024-03-01"}),
        422,
        "fact_error",
    )
    assert e["path"] == "afdelingen" and "afdeling" in e["expected"]
    e = assert_error(server.client.post(BASE + "/trappe", json={"facts": {}, "date": "2024-02-30"}), 422, "fact_error")
    assert e["path"] == "date"


def test_422_evaluation_error_points_at_the_policy(server: Server) -> None:
    url = "/v1/policies/hul/1/decisions/tilskud"
    assert server.client.post(url, json={"facts": {"alder": 30}, "date": "2024-05-01"}).json()["value"] == "1000.00"
    e = assert_error(
        server.client.post(url, json={"facts": {"alder": 10}, "date": "2024-05-01"}), 422, "evaluation_error"
    )
    assert e["message"] == "politikken kan ikke svare på disse fakta: ingen regel for 'tilskud' gælder for disse fakta"
    (d,) = e["diagnostics"]
    assert (Path(d["file"]).name, d["line"], d["column"]) == ("01_tilskud.almen", 2, 1)


def test_503_evaluation_time_limit(guarded: Server, kbh_policy: Any) -> None:
    person = {"alder": 30, "arbejdstimer_pr_uge": 37, "bruttoindkomst_pr_måned": "21000.50"}
    facts = {"husstand": {"ansøger": person, "øvrige": [person] * 10_000}}  # about 0.1 s of work
    auth = {"authorization": "Bearer fil-token-123"}
    response = guarded.client.post(BASE + "/fortrinsret", json={"facts": facts, "date": "2024-03-01"}, headers=auth)
    e = assert_error(response, 503, "timeout")
    assert "tog mere end 0.02 s" in e["message"] and e["limit"] == 0.02
    assert kbh_policy.decide("fortrinsret", facts, "2024-03-01").status == "undetermined"  # an answer, in time


# ---------------------------------------------------------------- access


def test_auth(guarded: Server) -> None:
    c = guarded.client
    e = assert_error(c.get("/v1/policies"), 401, "unauthorized")
    assert "bearer" in e["message"].lower()
    assert c.get("/v1/policies").headers["www-authenticate"].startswith("Bearer")
    assert_error(c.get("/v1/policies", headers={"authorization": "Bearer fil-token-12"}), 401, "unauthorized")
    assert_error(c.get("/v1/policies", headers={"authorization": "Basic fil-token-123"}), 401, "unauthorized")
    assert_error(c.post(BASE + "/trappe", json={}), 401, "unauthorized")
    assert c.get("/v1/policies", headers={"authorization": "Bearer fil-token-123"}).status_code == 200
    assert c.get("/v1/policies", headers={"authorization": "Bearer env-token-789"}).status_code == 200
    assert c.get("/health").status_code == 200 and c.get("/ready").status_code == 200  # probes stay open
    assert "adgang kræver bearer-token" in guarded.stderr
    doc = c.get("/openapi.json", headers={"authorization": "Bearer fil-token-123"}).json()
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


# ---------------------------------------------------------------- decision log


def log_lines(path: Path) -> list[dict[str, Any]]:
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    return [json.loads(line) for line in raw.decode().splitlines()]


def test_decision_log_hashes_facts(server: Server, tmp: Path, kbh_policy: Any) -> None:
    facts = {"afdeling": {**TRAPPE["afdeling"], "ledighed": 43.7}}
    server.client.post(BASE + "/trappe", json={"facts": facts, "date": "2024-03-01"})
    server.client.post(BASE + "/trappe", json={"facts": facts, "date": "2024-03-01"})
    records = log_lines(tmp / "decisions.jsonl")
    mine = [r for r in records if r["decision"] == "trappe"][-2:]
    for r in mine:
        assert set(r) >= {"id", "time", "policy", "decision", "date", "facts_hmac", "status", "value"}
        assert "facts" not in r and "facts_sha256" not in r
        assert r["policy"] == kbh_policy.stamp()
    assert mine[0]["facts_hmac"] == mine[1]["facts_hmac"] and mine[0]["id"] != mine[1]["id"]
    assert "43.7" not in (tmp / "decisions.jsonl").read_text(encoding="utf-8")


def test_decision_log_facts_when_asked_not_when_redacted(tmp: Path) -> None:
    s = Server(tmp, [KBH], "--log", str(tmp / "clear.jsonl"), "--log-facts", "--reload-interval", "0")
    try:
        s.client.post(BASE + "/trappe", json={"facts": TRAPPE, "date": "2024-03-01"})
        s.client.post(BASE + "/trappe", json={"facts": TRAPPE, "date": "2024-03-01", "redact": True})
    finally:
        assert s.stop() == -signal.SIGTERM  # after a graceful stop, uvicorn ends by the signal it got
    clear, redacted = log_lines(tmp / "clear.jsonl")
    assert clear["facts"]["afdeling"]["ledighed"] == "41.2"
    assert "facts" not in redacted and redacted["facts_hmac"] == clear["facts_hmac"]


# ---------------------------------------------------------------- OpenAPI


def test_openapi_document_validates(openapi: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(openapi)
    for decision in ("trappe", "fortrinsret", "r%C3%A6kkef%C3%B8lge"):
        for action in ("", "/explain", "/needs", "/many"):
            assert "post" in openapi["paths"][f"{BASE}/{decision}{action}"]
    names = openapi["components"]["schemas"]
    assert "koebenhavn.2024-2027.raekkefoelge.answer" in names and "koebenhavn.2024-2027.facts.Husstand" in names
    trappe = openapi["paths"][BASE + "/trappe"]["post"]
    ref = trappe["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("koebenhavn.2024-2027.trappe.request")
    facts = openapi["components"]["schemas"]["koebenhavn.2024-2027.trappe.facts"]
    assert facts["x-almen-reads"] == ["afdeling"] and facts["additionalProperties"] is False


_validators: dict[str, Any] = {}


def schema_of(openapi: dict[str, Any], name: str) -> Any:
    if name in _validators:
        return _validators[name]
    schema = {"$ref": "#/components/schemas/" + name, "components": openapi["components"]}
    cls = jsonschema.Draft202012Validator
    _validators[name] = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return _validators[name]


def component(policy_path: str, decision: str, part: str) -> str:
    from almen.interpreter.serve.openapi import ascii_name

    p = policy_at(policy_path)
    return ascii_name(p.id, p.version or "-", decision, part)


MUTATIONS = ("as is", "unknown fact", "wrong type", "no date", "date out of range")


def mutate(s: dict[str, Any], how: str) -> dict[str, Any]:
    body = json.loads(request_body(s), parse_float=Decimal)
    if how == "unknown fact":
        body["facts"]["ukendt_faktum"] = 1
    elif how == "wrong type":
        body["facts"] = {k: "?" if not isinstance(v, str) else 17 for k, v in body["facts"].items()} or {"x": 1}
    elif how == "no date":
        del body["date"]
    elif how == "date out of range":
        body["date"] = "1999-01-01"
    return body


@pytest.mark.parametrize("how", MUTATIONS)
def test_request_schemas_accept_exactly_what_decide_accepts(server: Server, openapi: dict[str, Any], how: str) -> None:
    disagreements = []
    for policy, s in SCENARIOS:
        body = mutate(s, how)
        valid = not list(schema_of(openapi, component(policy, s["decision"], "request")).iter_errors(plain(body)))
        response = server.client.post(decide_url(policy, s["decision"]), content=json.dumps(body, default=str))
        if valid != (response.status_code == 200):
            disagreements.append((s["name"], valid, response.status_code, response.text[:200]))
        if response.status_code == 200:
            answer = schema_of(openapi, component(policy, s["decision"], "answer"))
            errors = [e.message for e in answer.iter_errors(response.json())]
            assert not errors, (s["name"], errors[:3])
    assert not disagreements
    if how == "as is":  # the golden files have both: answers, and dates outside a policy's validity
        assert any(s["expect"].get("status") == "error" for _, s in SCENARIOS)


def test_docs_are_served_locally(server: Server) -> None:
    page = server.client.get("/docs")
    assert page.status_code == 200 and '<rapi-doc spec-url="/openapi.json"' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from a CDN
    assert "default-src 'self'" in page.headers["content-security-policy"]
    script = server.client.get("/docs/assets/rapidoc-min.js")
    assert script.status_code == 200 and "rapi-doc" in script.text


# ---------------------------------------------------------------- reload and shutdown


def test_reload_after_an_edit_without_dropping_requests(tmp: Path) -> None:
    copy = tmp / "kbh-copy"
    shutil.copytree(KBH, copy)
    s = Server(tmp, [copy], "--reload-interval", "0.2")
    body = {"facts": {"tilskudsår": 5}, "date": "2025-01-01"}
    statuses: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=s.url, timeout=30) as c:
            while not stop.is_set():
                statuses.append(c.post(BASE + "/tilskud", json=body).status_code)

    try:
        before = s.client.post(BASE + "/tilskud", json=body).json()
        assert before["value"] == "12500.00"
        worker = threading.Thread(target=hammer)
        worker.start()
        source = copy / "08_anvisning.almen"
        source.write_text(
            source.read_text(encoding="utf-8").replace("række 5 => tilskud_pr_år * 5 / 6", "række 5 => 12600 kr"), encoding="utf-8"
        )
        new_sha = load_policy(copy).sha256
        assert new_sha != before["policy"]["sha256"]
        deadline = time.monotonic() + 30
        while s.client.get("/v1/live").json()[0]["sha256"] != new_sha:
            assert time.monotonic() < deadline, "no reload"
            time.sleep(0.1)
        after = s.client.post(BASE + "/tilskud", json=body).json()
        assert after["value"] == "12600.00" and after["policy"]["sha256"] == new_sha
        assert after == plain(load_policy(copy).decide("tilskud", {"tilskudsår": 5}, "2025-01-01").to_dict("reason"))
        # an edit that does not check keeps the last good version live, and says why
        source.write_text(source.read_text(encoding="utf-8") + "\nbeslutning ødelagt: kr = \n", encoding="utf-8")
        deadline = time.monotonic() + 30
        while s.client.get("/v1/live").json()[0]["reload_error"] is None:
            assert time.monotonic() < deadline, "the broken edit was not noticed"
            time.sleep(0.1)
        assert s.client.get("/v1/live").json()[0]["sha256"] == new_sha
        assert s.client.post(BASE + "/tilskud", json=body).json()["value"] == "12600.00"
        stop.set()
        worker.join()
    finally:
        stop.set()
        s.stop()
    assert statuses and set(statuses) == {200}
    assert "genindlæste" in s.stderr and "mislykkedes" in s.stderr


def test_graceful_shutdown_finishes_a_request_under_way(tmp: Path) -> None:
    s = Server(tmp, [KBH], "--reload-interval", "0")
    sent = threading.Event()

    def slow() -> Iterator[bytes]:
        yield (json.dumps({"facts": TRAPPE, "date": "2024-03-01"}) + "\n").encode()
        sent.set()
        time.sleep(1.0)  # the server is told to stop while this request is still arriving
        yield (json.dumps({"facts": TRAPPE, "date": "2024-03-02"}) + "\n").encode()

    result: list[Any] = []

    def call() -> None:
        with httpx.Client(base_url=s.url, timeout=30) as c:
            r = c.post(BASE + "/trappe/many", content=slow(), headers={"content-type": "application/x-ndjson"})
            result.append(r)

    worker = threading.Thread(target=call)
    worker.start()
    assert sent.wait(10)
    time.sleep(0.2)
    s.proc.send_signal(signal.SIGTERM)
    worker.join(30)
    assert s.proc.wait(30) == -signal.SIGTERM
    assert result and result[0].status_code == 200
    lines = [json.loads(x) for x in result[0].text.splitlines()]
    assert [x["date"] for x in lines] == ["2024-03-01", "2024-03-02"]
    assert "stoppet" in s.stderr
    with pytest.raises(httpx.TransportError):
        httpx.get(s.url + "/health", timeout=2)


def test_a_policy_that_does_not_load_stops_the_command(tmp: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "almen.interpreter.cli", "serve", str(tmp / "nowhere"), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "ingen politik" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("low", "high"), [("2024-01-01", "2027-12-31"), ("2025-09-01", "2029-12-31"), ("2019-06-15", "2020-02-29")]
)
def test_the_date_patterns_are_the_validity_period(low: str, high: str) -> None:
    import datetime as dt
    import re

    from almen.interpreter.serve.openapi import date_schema

    first, last = dt.date.fromisoformat(low), dt.date.fromisoformat(high)
    patterns = [re.compile(p["pattern"]) for p in date_schema(first, last)["allOf"]]
    day, wrong = first - dt.timedelta(days=800), []
    while day <= last + dt.timedelta(days=800):
        if all(p.match(day.isoformat()) for p in patterns) != (first <= day <= last):
            wrong.append(day)
        day += dt.timedelta(days=1)
    assert not wrong


def test_what_counts_as_this_machine_only() -> None:
    from almen.interpreter.serve.run import loopback

    assert all(loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "localhost"))
    assert not any(loopback(h) for h in ("0.0.0.0", "::", "192.168.1.10", "almen.example"))


def test_tokens_from_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from almen.dsl.diagnostics import AlmenError
    from almen.interpreter.serve.settings import TOKENS_ENV, read_tokens

    f = tmp_path / "tokens"
    f.write_text("# comment\n  abc-123  \n\nxyz\n", encoding="utf-8")
    monkeypatch.setenv(TOKENS_ENV, "e1, e2")
    assert read_tokens(str(f)) == ("abc-123", "xyz", "e1", "e2")
    monkeypatch.delenv(TOKENS_ENV)
    assert read_tokens(None) == ()
    f.write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(AlmenError, match="ingen tokens"):
        read_tokens(str(f))
    monkeypatch.setenv(TOKENS_ENV, "bøf")
    with pytest.raises(AlmenError, match="ASCII"):
        read_tokens(None)


def test_ready_is_503_once_stopping_begins() -> None:
    import asyncio

    from almen.interpreter.serve import Settings, create_app

    app = create_app(Settings(policies=(KOEGE,), reload_interval=0))

    async def ready() -> list[Any]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://almen") as c:
            before = await c.get("/ready")
            app.state.service.stopping = True  # what the first SIGTERM sets (run._Server.handle_exit)
            return [before, await c.get("/ready"), await c.get("/health")]

    before, during, health = asyncio.run(ready())
    assert before.json() == {"status": "ready", "policies": 1}
    assert assert_error(during, 503, "not_ready")["message"] == "tjenesten lukker ned"
    assert health.status_code == 200
