"""Run the service with uvicorn: say where it listens, stop gracefully on SIGTERM or Ctrl-C."""

from __future__ import annotations

import ipaddress
from types import FrameType
from typing import Any

import uvicorn

from almen.interpreter.serve.app import create_app, say
from almen.interpreter.serve.registry import Registry
from almen.interpreter.serve.settings import Settings


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Server(uvicorn.Server):
    """uvicorn's server, which tells the service at the first signal: /ready answers 503 from then."""

    def __init__(self, config: uvicorn.Config, service: Any):
        super().__init__(config)
        self.service = service

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.service.stopping = True
        super().handle_exit(sig, frame)


def serve(settings: Settings) -> int:
    registry = Registry(settings.policies)  # a policy that does not load stops here, before binding
    app = create_app(settings, registry)
    for p in registry.policies():
        say(f"politik {p.id} {p.version} sha256 {p.sha256[:12]}… ({len(p.decisions)} beslutninger)")
    where = f"http://{settings.host}:{settings.port}"
    if loopback(settings.host):
        say(f"lytter på {where} — kun fra denne maskine (--host 0.0.0.0 for alle netværk)")
    else:
        say(f"lytter på {where} — tilgængelig fra netværket")
        if not settings.auth:
            say("advarsel: ingen adgangskontrol; giv tokens med --tokens-file eller ALMEN_SERVE_TOKENS")
    say("adgang kræver bearer-token" if settings.auth else "ingen adgangskontrol (ingen tokens givet)")
    say(f"dokumentation: {where}/docs · OpenAPI: {where}/openapi.json")
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        timeout_graceful_shutdown=int(settings.grace) if settings.grace else None,
        log_level="warning",
        access_log=False,
        server_header=False,
        lifespan="on",
    )
    server = _Server(config, app.state.service)
    try:
        # On SIGTERM or Ctrl-C uvicorn stops accepting, lets the requests under way finish (at
        # most --grace seconds), and then ends the process by that same signal, as a service
        # manager expects. The lifespan's end says "stoppet" first.
        server.run()
    except KeyboardInterrupt:
        return 130
    return 0 if server.started else 2
