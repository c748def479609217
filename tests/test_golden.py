"""Every golden scenario file under tests/golden runs as a test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from almen.interpreter.tools import golden

GOLDEN = Path(__file__).parent / "golden"
CASES = [
    (f, i, s["name"])
    for f in sorted(GOLDEN.rglob("*.json"))
    for i, s in enumerate(json.loads(f.read_text(encoding="utf-8"))["scenarios"])
]


@pytest.mark.parametrize(("file", "index", "name"), CASES, ids=[f"{c[0].stem}:{c[2]}" for c in CASES])
def test_scenario(file: Path, index: int, name: str) -> None:
    data = json.loads(file.read_text(encoding="utf-8"), parse_float=golden.Decimal)
    policy = golden.policy_at(file.parent / data["policy"])
    outcome = golden._run_one(policy, file, data["scenarios"][index], set())
    assert outcome.ok, outcome.problem
