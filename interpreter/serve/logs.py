"""The service's decision log: one JSON line per answer, written whole or not at all.

The records and the appending are the command line's (`almen.interpreter.log`): the facts only
as a keyed hash (`facts_hmac`, HMAC-SHA256), since facts about a household have too few
possibilities for a plain hash to hide them. With a fixed key (`--log-key-file` or
ALMEN_SERVE_LOG_KEY) equal fact sets give equal hashes across restarts; without one the key is
random per process. The facts themselves are logged only when asked (`--log-facts`) and never
for a request that asked to redact, whose answer is redacted in the log as well.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any

from almen.interpreter import log
from almen.interpreter.api import Answer


class DecisionLog:
    def __init__(self, path: Path, key: bytes | None, include_facts: bool):
        self.path = path
        self.key = key or secrets.token_bytes(32)
        self.include_facts = include_facts
        self.lock = threading.Lock()

    def record(self, answer: Answer, facts: Any, redact: bool) -> dict[str, Any]:
        return log.record(answer, facts, self.key, self.include_facts and not redact, redact)

    def write(self, answer: Answer, facts: Any, redact: bool) -> None:
        entry = self.record(answer, facts, redact)
        with self.lock:
            log.append(self.path, entry)

    def close(self) -> None:
        pass  # each record opens, locks, writes and closes the file
