from __future__ import annotations

import os
from pathlib import Path

# The tests read messages in English, the language the messages are written in; the Danish of
# every output (the default for people) is tested where it is asked for (`--lang da`, i18n.use).
os.environ["ALMEN_LANG"] = "en"

import pytest

from almen.interpreter import load_policy

ROOT = Path(__file__).resolve().parent.parent
KBH = ROOT / "policies" / "koebenhavn" / "2024-2027"


@pytest.fixture
def danish():
    """For a test of what a person reads by default: the explanation in Danish."""
    from almen.dsl import i18n

    with i18n.use("da"):
        yield


@pytest.fixture(scope="session")
def kbh():
    return load_policy(KBH)
