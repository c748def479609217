from __future__ import annotations

from pathlib import Path

import pytest

from almen.interpreter import load_policy

ROOT = Path(__file__).resolve().parent.parent
KBH = ROOT / "policies" / "koebenhavn" / "2024-2027"


@pytest.fixture(scope="session")
def kbh():
    return load_policy(KBH)
