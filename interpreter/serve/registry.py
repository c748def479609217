"""The loaded policies, by id and version, and their reload when a policy's files change.

A reload builds the new `Policy` beside the old one and then swaps one dictionary: a request
that already holds the old policy finishes with it, the next one gets the new. A policy whose
edit does not load (a syntax or type error) keeps serving its last good version, and the
registry says why (`error`)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path

import attrs

from almen import dsl
from almen.dsl.diagnostics import AlmenError, PolicyError
from almen.interpreter.api import Policy

NO_VERSION = "-"  # the path segment of a policy whose header names no version


@attrs.define
class Source:
    path: Path
    policy: Policy
    signature: tuple[tuple[str, int, int], ...]
    loaded_at: str
    error: str | None = None

    def live(self) -> dict[str, object]:
        p = self.policy
        d: dict[str, object] = {"id": p.id, "version": p.version, "sha256": p.sha256, "loaded_at": self.loaded_at}
        d["reload_error"] = self.error
        return d


def segment(version: str) -> str:
    return version or NO_VERSION


def signature(path: Path, policy: Policy | None) -> tuple[tuple[str, int, int], ...]:
    """What changes when a file of the policy does (its predecessor's files included): cheap to take."""
    files = {str(f) for f in dsl.policy_files(path)}
    if policy is not None:
        files |= {m.path for m in policy.model.modules}
    found = []
    for f in sorted(files):
        try:
            st = os.stat(f)
            found.append((f, st.st_mtime_ns, st.st_size))
        except OSError:
            found.append((f, -1, -1))
    return tuple(found)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Registry:
    def __init__(self, paths: Iterable[Path]):
        self.sources = [self._load(Path(p)) for p in paths]
        self.index = self._index(self.sources)

    @staticmethod
    def _load(path: Path) -> Source:
        files = dsl.policy_files(path)
        if not files or not all(f.exists() for f in files):
            raise AlmenError(f"ingen politik i {path}")
        policy = Policy(path)
        return Source(path, policy, signature(path, policy), _now())

    @staticmethod
    def _index(sources: list[Source]) -> dict[tuple[str, str], Source]:
        index: dict[tuple[str, str], Source] = {}
        for s in sources:
            key = (s.policy.id, segment(s.policy.version))
            if key in index:
                raise AlmenError(
                    f"politikken {key[0]} version {key[1]} er indlæst to gange: {index[key].path} og {s.path}"
                )
            index[key] = s
        return index

    def get(self, policy_id: str, version: str) -> Source | None:
        return self.index.get((policy_id, version))

    def policies(self) -> list[Policy]:
        return [s.policy for s in self.index.values()]

    def changed(self) -> list[Source]:
        """The sources whose files changed since they were loaded."""
        return [s for s in self.sources if signature(s.path, s.policy) != s.signature]

    def reload(self, source: Source) -> Source | None:
        """Load `source` again; the new source when a new sha256 went live. Runs in a worker thread."""
        sig = signature(source.path, source.policy)
        try:
            policy = Policy(source.path)
        except PolicyError as e:
            source.signature, source.error = sig, e.render()
            return None
        except (AlmenError, OSError, UnicodeDecodeError) as e:
            source.signature, source.error = sig, str(e)
            return None
        fresh = Source(source.path, policy, signature(source.path, policy), _now())
        if policy.sha256 == source.policy.sha256:
            source.signature, source.error = fresh.signature, None
            return None
        sources = [fresh if s is source else s for s in self.sources]
        try:
            index = self._index(sources)
        except AlmenError as e:
            source.signature, source.error = sig, str(e)
            return None
        self.sources, self.index = sources, index  # one assignment each: readers see old or new
        return fresh
