"""The decision log: one JSON line per answer, written whole or not at all.

A record is `api.decision_record` with the facts' plain sha256 replaced by a keyed hash
(`facts_hmac`, HMAC-SHA256): facts about a household have too few possibilities for a plain hash
to hide them. With a fixed key (`--log-key-file` or ALMEN_SERVE_LOG_KEY) equal fact sets give
equal hashes across restarts; without one the key is random per process. The facts themselves
are logged only when asked (`--log-facts`) and never for a request that asked to redact.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from almen.interpreter.api import Answer, decision_record


class DecisionLog:
    def __init__(self, path: Path, key: bytes | None, include_facts: bool):
        self.key = key or secrets.token_bytes(32)
        self.include_facts = include_facts
        self.lock = threading.Lock()
        # O_APPEND: every write lands at the end, so records of two processes never interleave
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def record(self, answer: Answer, facts: Any, redact: bool) -> dict[str, Any]:
        keep = self.include_facts and not redact
        record = decision_record(answer, facts, keep)
        del record["facts_sha256"]
        canonical = json.dumps(facts, sort_keys=True, ensure_ascii=False, default=str).encode()
        record["facts_hmac"] = hmac.new(self.key, canonical, hashlib.sha256).hexdigest()
        return record

    def write(self, answer: Answer, facts: Any, redact: bool) -> None:
        line = (json.dumps(self.record(answer, facts, redact), ensure_ascii=False, default=str) + "\n").encode()
        with self.lock:
            written = os.write(self.fd, line)  # one write per record
            while written < len(line):  # a short write (a full disk) is finished, not left half
                written += os.write(self.fd, line[written:])

    def close(self) -> None:
        os.close(self.fd)
