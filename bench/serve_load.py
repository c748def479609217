"""A bounded load test of `almen serve`, on this machine only.

Starts `almen serve` on a free 127.0.0.1 port, lets N clients (threads, one keep-alive connection
each) post the determined golden scenarios of trappe and fortrinsret for a fixed time, and checks
every answer against the Python API's (`Policy.decide(...).to_dict("reason")`, as JSON).
Reports throughput and latency (p50, p99, max). Exit 1 on any error or any different answer.

    python bench/serve_load.py                    # 8 clients, 10 s
    python bench/serve_load.py --clients 4 --duration 5 --json result.json

Bounded: at most --max-requests requests in all, the duration in seconds, loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent

from almen.interpreter import load_policy  # noqa: E402

POLICY = ROOT / "policies" / "koebenhavn" / "2024-2027"
FILES = ("trappe.json", "fortrinsret.json")


def cases() -> list[tuple[str, bytes, Any]]:
    """(url, request body, expected answer as a client reads it) for every determined scenario."""
    policy = load_policy(POLICY)
    found = []
    for name in FILES:
        data = json.loads((ROOT / "tests" / "golden" / "koebenhavn" / name).read_text("utf-8"), parse_float=Decimal)
        for s in data["scenarios"]:
            if s["expect"].get("status", "determined") != "determined":
                continue
            body = json.dumps({"facts": s["facts"], "date": s["date"]}, default=str).encode()
            answer = policy.decide(s["decision"], s["facts"], s["date"]).to_dict("reason")
            url = f"/v1/policies/{policy.id}/{policy.version}/decisions/{s['decision']}"
            found.append((url, body, json.loads(json.dumps(answer, ensure_ascii=False))))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "almen.interpreter.cli", "serve", str(POLICY), "--port", str(port)]
    proc = subprocess.Popen([*cmd, "--reload-interval", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start within 60 s")


def run(clients: int, duration: float, max_requests: int) -> dict[str, Any]:
    work = cases()
    port = free_port()
    proc = start(port)
    base = f"http://127.0.0.1:{port}"
    latencies: list[list[float]] = [[] for _ in range(clients)]
    problems: list[str] = []
    budget = threading.Semaphore(max_requests)
    stop_at = [0.0]
    barrier = threading.Barrier(clients + 1)

    def client(k: int) -> None:
        mine = latencies[k]
        with httpx.Client(base_url=base, timeout=30) as c:
            for url, body, _ in work:  # warm-up, not counted
                c.post(url, content=body)
            barrier.wait()
            i = k
            while time.perf_counter() < stop_at[0] and budget.acquire(blocking=False):
                url, body, expected = work[i % len(work)]
                i += clients
                t0 = time.perf_counter()
                try:
                    r = c.post(url, content=body)
                except httpx.HTTPError as e:
                    problems.append(f"{url}: {e!r}")
                    continue
                mine.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    problems.append(f"{url}: HTTP {r.status_code} {r.text[:200]}")
                elif r.json() != expected:
                    problems.append(f"{url}: a different answer than the Python API")

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    try:
        for t in threads:
            t.start()
        barrier.wait()
        began = time.perf_counter()
        stop_at[0] = began + duration
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    every = sorted(x for xs in latencies for x in xs)
    q = statistics.quantiles(every, n=100, method="inclusive") if len(every) > 1 else every * 99
    return {
        "clients": clients,
        "duration_s": round(elapsed, 2),
        "requests": len(every),
        "errors": len(problems),
        "first_errors": problems[:5],
        "throughput_per_s": round(len(every) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "max_ms": round(every[-1] * 1000, 2) if every else None,
        "scenarios": len(work),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load (default 10)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="a bound on the requests in all")
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON too")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 64 and 0 < args.duration <= 120):
        parser.error("1–64 clients and at most 120 s")
    r = run(args.clients, args.duration, args.max_requests)
    print(
        f"almen serve, {r['clients']} clients, {r['duration_s']} s, {r['scenarios']} golden scenarios cycled "
        f"({r['machine']}):\n"
        f"  {r['requests']} requests, {r['errors']} errors, {r['throughput_per_s']} requests/s\n"
        f"  latency p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms\n"
        f"  every answer {'identical to' if not r['errors'] else 'NOT all identical to'} the Python API's"
    )
    for problem in r["first_errors"]:
        print("  error:", problem)
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2), encoding="utf-8")
    return 1 if r["errors"] or not r["requests"] else 0


if __name__ == "__main__":
    sys.exit(main())
