"""The per-user cache folder, for the parser's grammar and the checked models: a pickle there is
loaded only while no one but this user could have written it.

`$XDG_CACHE_HOME/almen`, else `~/.cache/almen`, made with mode 0700; ALMEN_CACHE=0 turns every
cache off. A folder or file that belongs to someone else, or that group or others may write,
is not used (the work is done again instead)."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def folder(create: bool = True) -> Path | None:
    if os.environ.get("ALMEN_CACHE", "1") == "0" or not hasattr(os, "getuid"):
        return None  # off, or no owners to check (Windows)
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    here = root / "almen"
    if create and not here.exists():
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            here.mkdir(mode=0o700)
        except OSError:
            return None
    return here if trusted(here, directory=True) else None


def trusted(path: Path, directory: bool = False) -> bool:
    """The path is a real (not linked) folder or file of this user's that no one else may write."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    kind = stat.S_ISDIR if directory else stat.S_ISREG
    return kind(info.st_mode) and owned(info)


def owned(info: os.stat_result) -> bool:
    """Of this user's, and writable by no one else (for a file already opened: its fstat)."""
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
