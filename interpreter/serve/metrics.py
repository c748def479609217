"""Prometheus metrics of one service, in a registry of its own (two apps in a process do not mix)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "almen_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "almen_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["route"],
            buckets=_FAST,
            registry=r,
        )
        self.errors = Counter("almen_errors", "Error answers by code", ["code"], registry=r)
        self.decisions = Counter(
            "almen_decisions", "Decisions answered", ["policy", "version", "decision", "status"], registry=r
        )
        self.decision_latency = Histogram(
            "almen_decision_duration_seconds",
            "Time to evaluate one decision",
            ["policy", "version", "decision"],
            buckets=_FAST,
            registry=r,
        )
        self.reloads = Counter("almen_policy_reloads", "Policies reloaded with a new sha256", ["policy"], registry=r)
        self.live = Gauge(
            "almen_policy_info", "The live policies (value 1)", ["policy", "version", "sha256"], registry=r
        )

    def set_live(self, stamps: list[dict[str, str]]) -> None:
        self.live.clear()
        for s in stamps:
            self.live.labels(s["id"], s["version"], s["sha256"]).set(1)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
