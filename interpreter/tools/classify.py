"""Does a new version of a yes/no decision grant more, less, or the same? Search a bounded space.

The space is built from the decision's fact types: a base value for every field, then every
field varied alone over candidates taken from the policies themselves (each number the two
versions write, one step either side, enum members, true/false, empty and one-item lists).
Every department variant is combined with every household variant, so the search is
exhaustive over that grid and says how many fact sets it tried.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import attrs

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.formatter import expr_text, slot_text
from almen.dsl.semantics import LITERAL_TYPES
from almen.interpreter.api import Policy
from almen.interpreter.errors import FactError
from almen.interpreter.explanation import Status

MAX_PER_FACT = 400  # variants of one top-level fact
MAX_TOTAL = 5_000  # fact sets tried in all: a bound on time (about a millisecond each)


@attrs.frozen
class Classification:
    decision: str
    verdict: str  # equivalent, more permissive, less permissive, incomparable
    searched: str
    more_permissive: dict[str, Any] | None = None  # facts granted by the new version only
    less_permissive: dict[str, Any] | None = None  # facts granted by the old version only
    tried: int = 0

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def verdict_of(answer: Any, typ: t.Type, decision: str) -> bool | None:
    """The yes/no of an answer: the value itself, or its field named like the decision."""
    if isinstance(typ, t.Simple) and typ == t.BOOL:
        return bool(answer)
    if isinstance(typ, t.Record) and typ.field(decision) == t.BOOL:
        return bool(answer[decision])
    return None


def classifiable(policy: Policy, decision: str) -> bool:
    typ = policy.model.value_types.get(decision, t.UNKNOWN)
    return (isinstance(typ, t.Simple) and typ == t.BOOL) or (
        isinstance(typ, t.Record) and typ.field(decision) == t.BOOL
    )


def classify_over_time(
    old: Policy, new: Policy, decision: str, seeds: list[dict[str, Any]] | None = None
) -> Classification:
    """Classify on every day the versions may answer differently (the new version's start, the
    values of parameters and the periods of wheels that changed), sharing the search budget."""
    start, end = new.valid
    first = start or dt.date.today()
    days = {first}
    # the days a changed parameter value or wheel period starts: where the versions can differ
    for policy, other in ((old, new), (new, old)):
        for name, param in policy.model.params.items():
            if _values(param) != _values(other.model.params.get(name)):
                days |= {v.start for v in param.values}
        for name, wheel in policy.model.wheels.items():
            if _periods(wheel) != _periods(other.model.wheels.get(name)):
                days |= {p.start for p in wheel.periods}
    chosen = sorted(d for d in days if first <= d and (end is None or d <= end))
    results = [classify(old, new, decision, day, seeds, MAX_TOTAL // len(chosen)) for day in chosen]
    grant_new = next((r.more_permissive for r in results if r.more_permissive is not None), None)
    grant_old = next((r.less_permissive for r in results if r.less_permissive is not None), None)
    per_day = ", ".join(f"{r.tried} on {day}" for r, day in zip(results, chosen, strict=True))
    around = f"around {len(seeds)} example fact sets, " if seeds else ""
    searched = (
        f"fact sets with a determined answer under both versions: {per_day}; {around}each fact's fields varied "
        "one at a time over the numbers both versions write (±1 or ±0.01), enum values and true/false"
    )
    total = sum(r.tried for r in results)
    return Classification(decision, _verdict(grant_new, grant_old), searched, grant_new, grant_old, total)


def _values(param: n.ParamDecl | None) -> list[tuple[dt.date, str]] | None:
    return None if param is None else [(v.start, expr_text(v.value)) for v in param.values]


def _periods(wheel: n.Wheel | None) -> list[tuple[dt.date, dt.date, list[str]]] | None:
    if wheel is None:
        return None
    return [(p.start, p.end, [slot_text(slot.value) for slot in p.slots]) for p in wheel.periods]


def _verdict(grant_new: Any, grant_old: Any) -> str:
    return {
        (False, False): "equivalent on the searched space",
        (True, False): "more permissive",
        (False, True): "less permissive",
        (True, True): "incomparable",
    }[(grant_new is not None, grant_old is not None)]


def classify(
    old: Policy,
    new: Policy,
    decision: str,
    day: dt.date,
    seeds: list[dict[str, Any]] | None = None,
    budget: int = MAX_TOTAL,
) -> Classification:
    """Search the grid (around each seed's facts, when examples are given) for diverging answers."""
    numbers = _numbers(old) | _numbers(new)
    used = _fields_used(old, decision) | _fields_used(new, decision)
    facts = sorted(set(old.model.facts_read(decision)) | set(new.model.facts_read(decision)))
    schema = {**old.schema, **new.schema}
    defaults = {**old.defaults, **new.defaults}
    grant_new = grant_old = None
    tried = 0
    seen: set[str] = set()
    grids = []
    for seed in seeds or [{}]:
        lists = [
            list(itertools.islice(_variants(schema[f], numbers, day, used, seed.get(f, _NONE), defaults), MAX_PER_FACT))
            for f in facts
        ]
        # one fact varied at a time first (every fact gets its turn within the budget), then pairs
        grids.append(itertools.chain(_one_at_a_time(lists), itertools.product(*lists)))
    # round robin over the seeds' grids, so a bounded search visits every example's neighbourhood
    for combo in (c for group in itertools.zip_longest(*grids) for c in group if c is not None):
        if tried >= budget or (grant_new is not None and grant_old is not None):
            break  # the budget is spent, or both directions are found: nothing more to learn
        given = dict(zip(facts, combo, strict=True))
        fingerprint = json.dumps(given, sort_keys=True, default=str)
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        a, b = _answer(old, decision, given, day), _answer(new, decision, given, day)
        if a is None or b is None:
            continue
        tried += 1
        if b and not a and grant_new is None:
            grant_new = given
        if a and not b and grant_old is None:
            grant_old = given
    around = f"around {len(seeds)} example fact sets, " if seeds else ""
    stopped = " (stopped early: both directions found)" if grant_new and grant_old else ""
    searched = (
        f"{tried} fact sets{stopped} with a determined answer under both versions, {around}each fact's fields varied "
        f"one at a time over the numbers both versions write (±1 or ±0.01), enum values, true/false, on {day}"
    )
    return Classification(decision, _verdict(grant_new, grant_old), searched, grant_new, grant_old, tried)


_NONE = object()


def _answer(policy: Policy, decision: str, facts: dict[str, Any], day: dt.date) -> bool | None:
    low, high = policy.valid
    if low is not None and high is not None:
        day = min(max(day, low), high)
    given = known_facts(policy, facts)
    try:
        answer = policy.decide(decision, given, day, explain=False)
    except FactError:
        return None
    if answer.status != Status.DETERMINED:
        return None
    return verdict_of(answer.raw, policy.model.value_types.get(decision, t.UNKNOWN), decision)


def known_facts(policy: Policy, facts: dict[str, Any]) -> dict[str, Any]:
    """The facts as this version declares them: facts and fields only another version has left out."""
    return {k: _prune(v, policy.schema[k]) for k, v in facts.items() if k in policy.schema}


def _prune(value: Any, typ: t.Type) -> Any:
    """The facts as this version knows them: fields only the other version declares left out."""
    typ = t.strip(typ)
    if isinstance(typ, t.Record) and isinstance(value, dict):
        fields = dict(typ.fields)
        return {k: _prune(v, fields[k]) for k, v in value.items() if k in fields}
    if isinstance(typ, t.ListOf) and isinstance(value, list):
        return [_prune(v, typ.elem) for v in value]
    return value


def _numbers(policy: Policy) -> set[tuple[str | None, Fraction]]:
    """Every number the policy writes, with its unit: the thresholds worth testing around."""
    found: set[tuple[str | None, Fraction]] = set()
    for module in policy.model.modules:
        for literal in module.find_all(n.Literal):
            typ = LITERAL_TYPES[literal.kind]
            if isinstance(typ, t.Num):
                found.add((typ.unit, Fraction(literal.value)))
    return found


def _fields_used(policy: Policy, decision: str) -> set[str]:
    """Names of the record fields the decision's rules may read: only those are worth varying."""
    m = policy.model
    nodes: list[n.Node] = []
    for name in m.closure(decision):
        for table in (m.definitions, m.decisions, m.tables, m.wheels, m.params):
            if name in table:
                nodes.append(table[name])
        nodes += [*m.rules.get(name, []), *m.slot_exceptions.get(name, [])]
    return {x.name for node in nodes for x in node.find_all(n.Field)}


def _candidates(typ: t.Type, numbers: set[tuple[str | None, Fraction]], day: dt.date) -> list[Any]:
    typ = t.strip(typ)
    if isinstance(typ, t.Enum):
        return list(typ.members)
    if typ == t.BOOL:
        return [False, True]
    if typ == t.DATE:
        return [day.isoformat(), (day - dt.timedelta(days=365)).isoformat(), (day - dt.timedelta(days=800)).isoformat()]
    if isinstance(typ, t.Num):
        step = Fraction(1) if typ.integer or typ.unit is None else Fraction(1, 100)
        values = {Fraction(0)}
        for unit, value in numbers:
            if unit == typ.unit or (unit is None and typ.unit is None):
                values |= {value - step, value, value + step}
        if typ.integer:
            values = {v for v in values if v.denominator == 1}
        if typ.low is not None:
            values = {v for v in values if v >= typ.low}
        if typ.high is not None:
            values = {v for v in values if v <= typ.high}
        return [int(v) if v.denominator == 1 else t.show_number(v) for v in sorted(values)]
    if isinstance(typ, t.ListOf):
        elem = t.strip(typ.elem)
        if isinstance(elem, t.Num) and elem.integer:
            return [[], [day.year], [day.year - 2], [day.year - 3]]  # years, as conviction lists are
        if isinstance(elem, t.Enum):
            return [[], *([m] for m in elem.members), list(elem.members)]
        return [[]]
    return []


def _one_at_a_time(lists: list[list[Any]]) -> Iterator[tuple[Any, ...]]:
    """The base (each list's first value), then the base with one position changed, in turns."""
    if not all(lists):
        return
    base = tuple(values[0] for values in lists)
    yield base
    turns = [_tagged(i, iter(values), True) for i, values in enumerate(lists)]
    for change in itertools.chain.from_iterable(itertools.zip_longest(*turns)):
        if change is not None:
            i, value = change
            yield base[:i] + (value,) + base[i + 1 :]


def _tagged(name: Any, values: Iterator[Any], skip_base: bool) -> Iterator[tuple[Any, Any]]:
    return ((name, value) for value in itertools.islice(values, 1 if skip_base else 0, None))


def _variants(
    typ: t.Type,
    numbers: set[tuple[str | None, Fraction]],
    day: dt.date,
    used: set[str],
    seed: Any = _NONE,
    defaults: dict[str, dict[str, Any]] | None = None,
) -> Iterator[Any]:
    """A base value (the seed's, where given), then the base with each part the rules read varied
    alone. A record field with a declared default is left out of the base, so it takes it."""
    defaults = defaults or {}
    optional = isinstance(typ, t.Optional)
    typ = t.strip(typ)
    if not isinstance(typ, t.Record) or seed is None:
        if seed is not _NONE:
            yield seed
        if optional:
            yield None
        values = _candidates(typ, numbers, day) if not isinstance(typ, t.Record) else []
        if isinstance(typ, t.Num) and values:
            values.insert(0, values.pop(len(values) // 2))  # a middling base, not the extreme
        yield from values
        if isinstance(typ, t.Record):
            yield from _variants(typ, numbers, day, used, _NONE, defaults)
        return
    given = seed if isinstance(seed, dict) else {}
    if optional and seed is _NONE:
        yield None
    own = defaults.get(typ.name or "", {})
    base = {
        name: next(_variants(ftype, numbers, day, used, given.get(name, _NONE), defaults), None)
        for name, ftype in typ.fields
        if name in given or name not in own
    }
    yield base
    # Each field's variants in turn, one of each per round: within the cap on variants, every
    # field the rules read is varied, not only the first few
    rounds = [
        _tagged(name, _variants(ftype, numbers, day, used, given.get(name, _NONE), defaults), name in base)
        for name, ftype in typ.fields
        if name in used
    ]
    for pair in itertools.chain.from_iterable(itertools.zip_longest(*rounds)):
        if pair is not None:
            yield {**base, pair[0]: pair[1]}
