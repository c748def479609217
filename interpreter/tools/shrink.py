"""Counterexamples that name only the facts that matter.

The permissiveness search (`classify`) returns the first fact set it finds on which the two
versions answer a yes/no decision differently; it carries a value for every field of every
fact. Shrinking removes facts and fields one at a time, keeping a removal whenever the two
versions still answer differently (both determined). What is left is 1-minimal: removing any
one shown fact either makes the answers agree (the fact decides) or leaves an answer
undetermined (the fact is needed to answer at all). Fields with a default in the policy fall
back to it when removed, so 'ordinary values' are the policy's own.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from typing import Any

import attrs

from almen.interpreter.api import Policy
from almen.interpreter.tools.classify import Classification, _answer

Path = tuple[str, ...]


@attrs.frozen
class Counterexample:
    decision: str
    facts: dict[str, Any]  # shrunk
    day: dt.date
    old_answer: bool  # the yes/no of the old version on these facts
    new_answer: bool
    deciding: tuple[Path, ...]  # shown facts whose removal makes the answers agree
    needed: tuple[Path, ...]  # shown facts without which an answer is undetermined

    def to_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self)
        d["day"] = self.day.isoformat()
        d["deciding"] = [".".join(p) for p in self.deciding]
        d["needed"] = [".".join(p) for p in self.needed]
        return d


def answers(old: Policy, new: Policy, decision: str, facts: dict[str, Any], day: dt.date) -> tuple[Any, Any]:
    """Both versions' yes/no on the facts (None where undetermined), as the search reads them."""
    return _answer(old, decision, facts, day), _answer(new, decision, facts, day)


def differ(pair: tuple[Any, Any]) -> bool:
    a, b = pair
    return a is not None and b is not None and a != b


def leaves(facts: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every removable part of a fact set: each top-level fact, then each field of a record
    (depth first); lists and plain values are removed whole."""
    if isinstance(facts, dict):
        for key in facts:
            yield (*prefix, key)
            yield from leaves(facts[key], (*prefix, key))


def without(facts: dict[str, Any], path: Path) -> dict[str, Any]:
    out = copy.deepcopy(facts)
    here = out
    for key in path[:-1]:
        here = here[key]
    del here[path[-1]]
    return out


def shown(facts: Any, prefix: Path = ()) -> list[tuple[Path, Any]]:
    """The facts a reader sees: each plain value (or list) with its path."""
    if isinstance(facts, dict) and facts:
        return [item for key, value in facts.items() for item in shown(value, (*prefix, key))]
    return [(prefix, facts)] if prefix else []


def shrink(old: Policy, new: Policy, decision: str, facts: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """Remove facts and fields while the versions still answer differently, to a fixed point."""
    current = facts
    changed = True
    while changed:
        changed = False
        for path in list(leaves(current)):
            try:
                candidate = without(current, path)
            except KeyError:  # a field of a fact removed earlier in this pass
                continue
            if differ(answers(old, new, decision, candidate, day)):
                current, changed = candidate, True
    return current


def days(old: Policy, new: Policy) -> list[dt.date]:
    """The days the search looks on: the new version's start and each day a rule may change."""
    start, end = new.valid
    first = start or dt.date.today()
    found = {first}
    for policy in (old, new):
        found |= {v.start for p in policy.model.params.values() for v in p.values}
        found |= {p.start for w in policy.model.wheels.values() for p in w.periods}
    return sorted(d for d in found if first <= d and (end is None or d <= end))


def counterexamples(old: Policy, new: Policy, verdict: Classification) -> list[Counterexample]:
    """The search's counterexamples, shrunk, each with the day it holds on and what each shown
    fact does."""
    out = []
    for facts in (verdict.more_permissive, verdict.less_permissive):
        if facts is None:
            continue
        day = next((d for d in days(old, new) if differ(answers(old, new, verdict.decision, facts, d))), None)
        if day is None:
            continue
        small = shrink(old, new, verdict.decision, facts, day)
        a, b = answers(old, new, verdict.decision, small, day)
        deciding: list[Path] = []
        needed: list[Path] = []
        for path, _ in shown(small):
            pair = answers(old, new, verdict.decision, without(small, path), day)
            (needed if None in pair else deciding).append(path)
        out.append(Counterexample(verdict.decision, small, day, bool(a), bool(b), tuple(deciding), tuple(needed)))
    return out
