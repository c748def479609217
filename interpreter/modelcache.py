"""A per-user cache of checked models, so that an unchanged policy is not parsed and checked again.

An entry is keyed by sha256 over almen's own language source (dsl/: the grammar, the parser,
the checker — whatever could make the model different) and over the policy's files, names and
bytes. A policy that amends another also reads its predecessor's files: their hashes are kept
in the entry and compared with the files on disk before the entry is used.

An entry is a pickle, and unpickling runs code, so it is only read from a place no one else can
write: the directory ($XDG_CACHE_HOME/almen, else ~/.cache/almen) is created 0700, and the
directory and the file must both be owned by the current user and not writable by group or
others (checked with lstat/fstat on what is actually opened, symbolic links refused). Anything
wrong — a foreign owner, loose permissions, a damaged file — and the cache is passed by, the
policy loaded from source; nothing is ever loaded from where it could have been planted.
ALMEN_CACHE=0 turns the cache off.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import stat
import sys
from pathlib import Path

import attrs

from almen import dsl
from almen.dsl import Model, cache

FORMAT = b"almen-model-cache 1"
_DSL = Path(dsl.__file__).resolve().parent
# attrs's version by its installed file (its __version__ would import importlib.metadata: 40 ms)
_ATTRS = os.stat(attrs.__file__)
_RUNTIME = f"{sys.version} {attrs.__file__} {_ATTRS.st_size} {_ATTRS.st_mtime_ns}".encode()


def load(path: str | Path) -> Model:
    """The checked model of the policy at `path`: from the cache when it is safe and current."""
    folder = cache_dir()
    if folder is None:
        return dsl.load(path)
    key = entry_key(Path(path))
    if key is None:
        return dsl.load(path)
    entry = folder / f"{key}.pickle"
    model = _read(entry)
    if model is not None:
        return model
    model = dsl.load(path)
    _write(folder, entry, model)
    return model


def cache_dir(create: bool = True) -> Path | None:
    """The per-user cache folder if it is safe to use (`almen.dsl.cache`), else None."""
    return cache.folder(create)


def entry_key(path: Path) -> str | None:
    # another Python or attrs may pickle the same model differently: part of the key too
    h = hashlib.sha256(FORMAT + b"\0" + _almen_digest().encode() + b"\0" + _RUNTIME + b"\0")
    # the path as given and as resolved: the model's spans name the files as they were given
    h.update(str(path).encode() + b"\0" + str(path.resolve()).encode() + b"\0")
    try:
        for f in dsl.policy_files(path):
            h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    except OSError:
        return None  # dsl.load reports the problem in its own words
    return h.hexdigest()


@functools.cache
def _almen_digest() -> str:
    """sha256 over the language's source files: another almen, another model."""
    h = hashlib.sha256()
    for f in sorted(_DSL.rglob("*")):
        if f.suffix in (".py", ".lark") and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(_DSL)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _read(entry: Path) -> Model | None:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(entry, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not (stat.S_ISREG(info.st_mode) and cache.owned(info)):
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read()
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        sources, model = pickle.loads(data)  # only from a file no one else can have written
    except Exception:  # a damaged or older entry: load from source, and it is written anew
        return None
    if not isinstance(model, Model) or not _unchanged(sources):
        return None
    return model


def _unchanged(sources: list[tuple[str, str]]) -> bool:
    """Every file the model was built from (a predecessor's too) still has the bytes it had."""
    try:
        return all(hashlib.sha256(Path(p).read_bytes()).hexdigest() == digest for p, digest in sources)
    except OSError:
        return False


def _write(folder: Path, entry: Path, model: Model) -> None:
    try:
        sources = [(m.path, hashlib.sha256(Path(m.path).read_bytes()).hexdigest()) for m in model.modules]
        data = pickle.dumps((sources, model), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a model that does not pickle is simply not cached
        return
    import tempfile  # only when writing: it imports much that a cache hit never needs

    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")  # 0600
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, entry)
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)
