"""Answers that change: every example fact set (the golden scenarios given to `diff
--examples`) answered under both versions, and those whose answers differ.

Each version answers on the scenario's date, or — where the date is outside its validity — on
its nearest day of validity, as the impact simulation applies a version past its end: the
question is what the same household gets under the old rules and under the new. An answer is
compared as the API gives it (its exact JSON value, or undetermined with what it needs); facts
a version cannot read are said as such, so a difference is never hidden as an error. Scenarios
of decisions only one version has are counted, not listed.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from almen.dsl.diagnostics import AlmenError
from almen.interpreter.api import Policy
from almen.interpreter.tools.classify import known_facts
from almen.interpreter.tools.golden import scenario_files


@attrs.frozen
class Changed:
    file: str
    name: str
    decision: str
    date: str  # the scenario's
    old: str
    new: str
    old_date: str  # the day each version answered on
    new_date: str

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class Answers:
    asked: int  # fact sets answered under both versions
    changed: list[Changed]
    one_sided: int = 0  # scenarios of a decision only one version has

    def to_dict(self) -> dict[str, Any]:
        return {"asked": self.asked, "one_sided": self.one_sided, "changed": [c.to_dict() for c in self.changed]}


def scenarios(paths: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """Every scenario in the files or folders, with the name of its file."""
    found = []
    for f in scenario_files([Path(p) for p in paths]):
        data = json.loads(f.read_text(encoding="utf-8"), parse_float=Decimal)
        found += [(f.name, s) for s in data.get("scenarios", []) if isinstance(s, dict)]
    return found


def day_for(policy: Policy, date: str) -> str:
    """The scenario's date, or the version's nearest day of validity (ISO dates sort as text)."""
    low, high = policy.valid
    if low is not None and date < str(low):
        return str(low)
    if high is not None and date > str(high):
        return str(high)
    return date


def answer_text(policy: Policy, decision: str, facts: Any, day: str) -> str:
    """One version's answer in words: its value as JSON, undetermined with what it needs, or
    why it gives none."""
    try:
        a = policy.decide(decision, known_facts(policy, facts), day, explain=False)
    except AlmenError as e:
        return f"fejl: {e}"
    if a.status != "determined":
        return "uafgjort (mangler " + ", ".join(a.needs) + ")"
    return json.dumps(a.value, ensure_ascii=False, sort_keys=True, default=str)


def compare(old: Policy, new: Policy, examples: list[tuple[str, dict[str, Any]]]) -> Answers:
    changed = []
    asked = one_sided = 0
    for file, s in examples:
        decision, date, facts = s.get("decision"), str(s.get("date", "")), s.get("facts", {})
        if not isinstance(decision, str):
            continue
        if (decision in old.model.decisions) != (decision in new.model.decisions):
            one_sided += 1
            continue
        if decision not in new.model.decisions:
            continue
        asked += 1
        da, db = day_for(old, date), day_for(new, date)
        a, b = answer_text(old, decision, facts, da), answer_text(new, decision, facts, db)
        if a != b:
            changed.append(Changed(file, str(s.get("name", "")), decision, date, a, b, da, db))
    return Answers(asked, changed, one_sided)
