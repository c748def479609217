"""The per-user cache of checked models: used when current and safe, passed by otherwise."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from almen.interpreter import modelcache
from almen.interpreter.api import load_policy

ROOT = Path(__file__).resolve().parent.parent
KOEGE = ROOT / "policies" / "koege" / "2025"

pytestmark = pytest.mark.skipif(not hasattr(os, "getuid"), reason="owners and modes are POSIX")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ALMEN_CACHE", raising=False)
    return tmp_path / "xdg" / "almen"


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    target = tmp_path / "koege"
    shutil.copytree(KOEGE, target)
    return target


class Loads:
    """Counts the models built from source (parse and check) rather than read from the cache."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.count = 0
        real = modelcache.dsl.load

        def counted(path: Any) -> Any:
            self.count += 1
            return real(path)

        monkeypatch.setattr(modelcache.dsl, "load", counted)


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.pickle"))


def test_hit_after_a_miss_gives_the_same_model(cache: Path, policy: Path, monkeypatch: pytest.MonkeyPatch):
    loads = Loads(monkeypatch)
    first = modelcache.load(policy)
    assert loads.count == 1
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    [entry] = entries(cache)
    assert stat.S_IMODE(os.stat(entry).st_mode) == 0o600
    second = modelcache.load(policy)
    assert loads.count == 1  # from the cache
    assert second is not first
    assert sorted(second.decisions) == sorted(first.decisions) == ["anvisningsret", "nøgletal"]
    answer = load_policy(policy).decide("anvisningsret", {}, "2025-09-01")
    assert answer.value == "1/4"


def test_an_edited_policy_is_a_miss(cache: Path, policy: Path, monkeypatch: pytest.MonkeyPatch):
    loads = Loads(monkeypatch)
    modelcache.load(policy)
    f = sorted(policy.glob("*.almen"))[0]
    f.write_text(f.read_text(encoding="utf-8") + "\n# en kommentar\n", encoding="utf-8")
    modelcache.load(policy)
    assert loads.count == 2
    assert len(entries(cache)) == 2
    modelcache.load(policy)
    assert loads.count == 2


def test_another_almen_is_a_miss(cache: Path, policy: Path, monkeypatch: pytest.MonkeyPatch):
    loads = Loads(monkeypatch)
    modelcache.load(policy)
    monkeypatch.setattr(modelcache, "_almen_digest", lambda: "another version of the language")
    modelcache.load(policy)
    assert loads.count == 2


def test_group_writable_directory_is_refused(cache: Path, policy: Path, monkeypatch: pytest.MonkeyPatch):
    modelcache.load(policy)
    os.chmod(cache, 0o770)
    loads = Loads(monkeypatch)
    assert modelcache.cache_dir() is None
    modelcache.load(policy)
    assert loads.count == 1  # not read from there
    os.chmod(cache, 0o702)  # world-writable only
    assert modelcache.cache_dir() is None


def test_group_writable_entry_is_refused(cache: Path, policy: Path, monkeypatch: pytest.MonkeyPatch):
    modelcache.load(policy)
    [entry] = entries(cache)
    os.chmod(entry, 0o620)
    loads = Loads(monkeypatch)
    modelcache.load(policy)
    assert loads.count == 1
    # it is written anew, safely, in its place
    assert stat.S_IMODE(os.stat(entry).st_mode) == 0o600


def test_entry_owned_by_someone_else_is_refused(cache: Path, policy: Path, monkeypatch: pytest.MonkeyPatch):
    modelcache.load(policy)
    monkeypatch.setattr(modelcache.os, "getuid", lambda: os.stat(cache).st_uid + 1)  # as another user sees it
    loads = Loads(monkeypatch)
    assert modelcache.cache_dir() is None
    modelcache.load(policy)
    assert loads.count == 1


def test_symlinked_entry_is_refused(cache: Path, policy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    modelcache.load(policy)
    [entry] = entries(cache)
    planted = tmp_path / "planted.pickle"
    entry.rename(planted)
    entry.symlink_to(planted)
    loads = Loads(monkeypatch)
    modelcache.load(policy)
    assert loads.count == 1


def test_damaged_entry_loads_from_source(cache: Path, policy: Path, monkeypatch: pytest.MonkeyPatch):
    modelcache.load(policy)
    [entry] = entries(cache)
    entry.write_bytes(b"not a pickle")
    loads = Loads(monkeypatch)
    assert sorted(modelcache.load(policy).decisions) == ["anvisningsret", "nøgletal"]
    assert loads.count == 1


def test_cache_off(cache: Path, policy: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ALMEN_CACHE", "0")
    modelcache.load(policy)
    assert not cache.exists()


def test_check_on_a_cached_model_does_not_import_lark(cache: Path, policy: Path):
    env = dict(os.environ)
    code = (
        "import sys\n"
        "from almen.interpreter.cli import main\n"
        f"assert main(['check', {str(policy)!r}]) == 0\n"
        "print('lark' in sys.modules)\n"
    )
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[1].stderr
    assert runs[0].stdout.splitlines()[-1] == "True"  # parsed from source the first time
    assert runs[1].stdout.splitlines()[-1] == "False"  # the model from the cache: no parser
