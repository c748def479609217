"""Decision logs: one JSON line per decision, appended whole.

A record says what was decided, under which policy, on which facts — the facts only as a keyed
hash (HMAC-SHA-256), so that a log reader cannot recover an age or an income by trying them all,
or in full where the caller asks. Each record is one `write` of a newline-terminated line to a
file opened for appending, under an exclusive lock, so records of concurrent writers neither
interleave nor split; a torn last line
(a crash or a full disk mid-write) is closed with a newline before the next record, so the next
record stands on its own line and a reader skips the torn one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import stat
import uuid
from pathlib import Path
from typing import Any

from almen.dsl.diagnostics import AlmenError
from almen.interpreter.api import Answer
from almen.interpreter.explanation import Status

KEY_ENV = "ALMEN_LOG_KEY"


def record(
    answer: Answer, facts: Any, key: bytes | None, include_facts: bool = False, redact: bool = False
) -> dict[str, Any]:
    """One line of a decision log. Without a key, the facts are not in it at all; redacted, the
    answer shows no value a person gave (an applicant's id in a ranking)."""
    canonical = json.dumps(facts, sort_keys=True, ensure_ascii=False, default=str).encode()
    line: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "policy": dict(answer.policy),
        "decision": answer.decision,
        "date": answer.date.isoformat(),
        "status": answer.status,
        "value": answer.redactor().json(answer.value) if redact else answer.value,
    }
    if key is not None:
        line["facts_hmac"] = hmac.new(key, canonical, hashlib.sha256).hexdigest()
    if answer.status == Status.UNDETERMINED:
        line["needs"] = list(answer.needs)
    if include_facts:
        line["facts"] = json.loads(canonical)
    return line


def append(path: str | Path, entry: dict[str, Any], fsync: bool = False) -> None:
    data = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # the tail is read and written by one writer at a time
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # close the torn line; this record starts a line of its own
        os.write(fd, data)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def key_for(log: str | Path) -> bytes:
    """The log's key: $ALMEN_LOG_KEY where set, else `<log>.key` beside it (made on first use,
    32 random bytes, readable by the owner only; refused if others may read or change it)."""
    given = os.environ.get(KEY_ENV)
    if given:
        return given.encode("utf-8")
    path = Path(f"{log}.key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        info = path.stat()
        if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
            raise AlmenError(f"the log key {path} must belong to you and be readable by you only (chmod 600)") from None
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path.read_bytes().strip()
