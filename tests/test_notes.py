"""Every interpretation note of the Copenhagen policy shows in the explanation of some answer
that depends on it (issue: notes are never resolved silently)."""

from __future__ import annotations

import json
from pathlib import Path

import attrs

from almen.dsl import nodes as n
from almen.interpreter.tools import golden

GOLDEN = Path(__file__).parent / "golden" / "koebenhavn"


def _notes(x: object) -> set[str]:
    found: set[str] = set()
    if isinstance(x, tuple | list):
        for item in x:
            found |= _notes(item)
    elif attrs.has(type(x)):
        for field in attrs.fields(type(x)):
            value = getattr(x, field.name)
            if field.name == "notes":
                found |= set(value)
            elif field.name != "span":
                found |= _notes(value)
    return found


def test_every_interpretation_note_is_explained(kbh) -> None:
    every = set()
    for module in kbh.model.modules:
        every |= _notes(module.decls)
    assert len(every) > 40  # the policy resolves many ambiguities in the open
    shown: set[str] = set()
    for file in sorted(GOLDEN.glob("*.json")):
        for s in json.loads(file.read_text(encoding="utf-8"), parse_float=golden.Decimal)["scenarios"]:
            try:
                answer = kbh.decide(s["decision"], s["facts"], s["date"])
            except Exception:  # noqa: BLE001 — error scenarios have no explanation
                continue
            shown |= {note for node in answer.explanation.walk() for note in node.notes}
    missing = sorted(every - shown)
    assert not missing, "notes no answer explains:\n" + "\n".join(missing)


def test_header_notes_are_not_policy_elements(kbh) -> None:
    assert isinstance(kbh.model.policy, n.Policy)
    assert kbh.model.policy.notes
