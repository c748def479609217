"""What the command line (or an embedding program) sets for the service."""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from almen.dsl.diagnostics import AlmenError

TOKENS_ENV = "ALMEN_SERVE_TOKENS"  # whitespace- or comma-separated bearer tokens
LOG_KEY_ENV = "ALMEN_SERVE_LOG_KEY"  # the key of the decision log's fact hashes


@attrs.frozen
class Settings:
    policies: tuple[Path, ...]
    host: str = "127.0.0.1"
    port: int = 8181
    tokens: tuple[str, ...] = ()  # empty: no authentication
    log: Path | None = None  # decision log (JSON lines)
    log_facts: bool = False  # facts in the log in clear (never for a request that asks to redact)
    log_key: bytes | None = None  # None: a random key per process
    max_body: int = 1 << 20  # bytes of a request body
    max_batch_body: int = 16 << 20  # bytes of a decide-many body
    max_batch: int = 10_000  # fact sets in one decide-many request
    timeout: float = 5.0  # seconds for one evaluation
    reload_interval: float = 2.0  # seconds between looks at the policy files; 0: no reload
    grace: float = 10.0  # seconds to finish requests under way at shutdown
    workers: int = 4  # evaluation threads

    @property
    def auth(self) -> bool:
        return bool(self.tokens)


def read_tokens(path: str | None) -> tuple[str, ...]:
    """Tokens from a file (one a line, # comments) and from the environment variable."""
    found: list[str] = []
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise AlmenError(f"kan ikke læse tokenfilen {path}: {e.strerror}") from None
        found += [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    found += os.environ.get(TOKENS_ENV, "").replace(",", " ").split()
    if path and not found:
        raise AlmenError(f"tokenfilen {path} indeholder ingen tokens")
    if not all(token.isascii() and token.isprintable() for token in found):
        raise AlmenError("et token må kun indeholde synlige ASCII-tegn (det sendes i en HTTP-header)")
    return tuple(found)


def read_log_key(path: str | None) -> bytes | None:
    if path:
        try:
            key = Path(path).read_bytes().strip()
        except OSError as e:
            raise AlmenError(f"kan ikke læse nøglefilen {path}: {e.strerror}") from None
        if len(key) < 16:
            raise AlmenError(f"nøglen i {path} er for kort: mindst 16 tegn")
        return key
    env = os.environ.get(LOG_KEY_ENV)
    return env.encode() if env else None
