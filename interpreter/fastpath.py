"""The fast path of `Policy.decide(explain=False)`: validated facts in, generated code run.

`Facts` is a household's facts validated once against the policy's fact types, immutable, and
reusable across decisions and vacancies: `policy.facts(dict)`. Building it checks every given
fact exactly as `convert_facts` does (the same FactError, naming the same path), because it
*is* `convert_facts` that checks them; next to that it keeps the facts in the plain form the
generated code reads (`FastRecord`s of the fields given, defaults filled in).

The plain form comes from a validator built from the fact types: it accepts only what is
plainly valid (whole numbers in range, true/false, declared texts, …) and hands anything else
to the canonical conversion in `facts.py` value by value, so it never accepts what the
canonical path refuses and never converts a value differently. When it gives up (`Slow`),
the evaluator's path decides, errors included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from almen.dsl import types as t
from almen.interpreter.codegen import Compiled
from almen.interpreter.errors import FactError, Slow
from almen.interpreter.facts import MAX_ABS_NUMBER, MAX_LIST, _convert, _number, convert_facts
from almen.interpreter.generated import EXACT, FastRecord, as_decimal, contains_fact_record, exact, numbers_inside
from almen.interpreter.values import number_json, plain_json

if TYPE_CHECKING:
    from almen.interpreter.api import Policy

Check = Callable[[Any], Any]


class Facts:
    """One household's facts, validated for one policy; immutable. Pass it to `decide` instead
    of the dict, as often as needed."""

    __slots__ = ("converted", "given", "plain", "sha256")

    converted: dict[str, Any]  # the evaluator's form (convert_facts)
    plain: dict[str, Any] | None  # the generated code's form; None: always the evaluator
    sha256: str  # the policy's files they were validated against
    given: Any  # as given: what redaction hides and a decision log hashes

    def __init__(self, policy: Policy, given: Any):
        plain = policy.fast.validate(given)
        object.__setattr__(self, "converted", convert_facts(given, policy.schema, policy.defaults))
        object.__setattr__(self, "plain", plain)
        object.__setattr__(self, "sha256", policy.sha256)
        object.__setattr__(self, "given", given)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Facts are immutable: build new ones with policy.facts(…)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Facts are immutable")

    def __repr__(self) -> str:
        return f"<Facts for policy {self.sha256[:12]}: {', '.join(sorted(self.converted))}>"


class FastPath:
    """A policy's generated decisions and its fact validator, built once per Policy."""

    def __init__(self, policy: Policy):
        self.compiled = Compiled(policy.model)
        self.validator = _Validator(policy.schema, policy.defaults)
        types = policy.model.value_types
        # per decision: the generated function, whether it computes with Decimals, whether its
        # answer may hold them, and the JSON form of its answer
        self.entries = {
            name: (
                self.compiled.functions[name],
                self.compiled.arith[name],
                numbers_inside(types.get(name, t.UNKNOWN)),
                json_of(types.get(name, t.UNKNOWN)),
            )
            for name in policy.model.decisions
        }

    def validate(self, given: Any) -> dict[str, Any] | None:
        """The facts in plain form, or None when anything about them is not plainly valid."""
        try:
            return self.validator.top(given)
        except (Slow, FactError, KeyError, TypeError, ValueError, ArithmeticError):
            return None

    def answer(self, name: str, facts: Any, day: dt.date) -> tuple[Any, Any] | None:
        """(run-time value, JSON value), or None: the three-valued evaluator answers."""
        plain = facts.plain if type(facts) is Facts else self.validate(facts)
        if plain is None:
            return None
        run, arith, to_exact, shape = self.entries[name]
        try:
            if arith:
                with localcontext(EXACT):
                    raw = run(plain, day)
            else:
                raw = run(plain, day)
            if to_exact:
                raw = exact(raw)
            return raw, shape(raw)
        except Exception:
            return None


class _Validator:
    """Plain-form checks built from the fact types, one closure per type."""

    def __init__(self, schema: dict[str, t.Type], defaults: dict[str, dict[str, Any]]):
        self.defaults = defaults
        self.records: dict[str, Check] = {}
        self.facts = {name: self.check(typ) for name, typ in schema.items()}

    def top(self, given: Any) -> dict[str, Any]:
        if type(given) is not dict:
            raise Slow
        facts = self.facts
        return {key: facts[key](value) for key, value in given.items()}  # an undeclared key: KeyError

    def check(self, typ: t.Type) -> Check:
        if isinstance(typ, t.Optional):
            inner = self.check(typ.inner)
            return lambda v: None if v is None else inner(v)
        bare = t.strip(typ)
        if isinstance(bare, t.Num):
            return _number_check(bare)
        if bare == t.BOOL:
            return lambda v: v if type(v) is bool else _slow()
        if bare == t.TEXT:
            return lambda v: v if type(v) is str else _slow()
        if isinstance(bare, t.Enum):
            members = frozenset(bare.members)
            return lambda v: v if type(v) is str and v in members else _slow()
        if isinstance(bare, t.ListOf):
            elem = self.check(bare.elem)

            def items(v: Any) -> tuple[Any, ...]:
                if (type(v) is not list and type(v) is not tuple) or len(v) > MAX_LIST:
                    raise Slow
                return tuple(elem(x) for x in v)

            return items
        if isinstance(bare, t.MapOf):
            value = self.check(bare.value)

            def mapping(v: Any) -> dict[str, Any]:
                if type(v) is not dict:
                    raise Slow
                return {k if type(k) is str else _slow(): value(x) for k, x in v.items()}

            return mapping
        if isinstance(bare, t.Record):
            return self.record(bare)
        return lambda v: _convert(v, typ, "", self.defaults)  # dates and the rest: the canonical conversion

    def record(self, typ: t.Record) -> Check:
        """A record's check as straight-line Python: plain values kept as given (tested in place),
        the others through their type's check; an undeclared field: Slow."""
        key = typ.name or repr(typ)
        if key in self.records:
            return lambda v: self.records[key](v)  # a record type inside itself: resolved when called
        self.records[key] = _slow
        names = [name for name, _ in typ.fields]
        fields = {name: self.check(ftyp) for name, ftyp in typ.fields}
        defaults = tuple(self.defaults.get(typ.name or "", {}).items())

        def sparse(v: Any) -> FastRecord:
            """Few of the fields given: only those are looked at."""
            out = FastRecord({name: fields[name](x) for name, x in v.items()})  # undeclared: KeyError
            for name, default in defaults:
                if name not in out:
                    out[name] = default
            return out

        namespace: dict[str, Any] = {"FastRecord": FastRecord, "Slow": Slow, "KEYS": frozenset(names)}
        namespace["sparse"] = sparse
        lines = [
            "def record(v):",
            "    if type(v) is not dict or not v.keys() <= KEYS:",
            "        raise Slow",
            f"    if len(v) * 2 < {len(names)}:",
            "        return sparse(v)",
            "    out = FastRecord(v)",
        ]
        for i, (name, ftyp) in enumerate(typ.fields):
            namespace[f"c{i}"] = fields[name]
            test = _in_place(ftyp, f"E{i}", namespace)
            lines.append(f"    x = out.get({name!r}, out)")  # `out` itself: the field is not given
            lines.append(f"    if x is not out and not ({test}):" if test else "    if x is not out:")
            lines.append(f"        out[{name!r}] = c{i}(x)")
        for i, (name, default) in enumerate(defaults):
            namespace[f"d{i}"] = default
            lines += [f"    if {name!r} not in out:", f"        out[{name!r}] = d{i}"]
        lines.append("    return out")
        exec(compile("\n".join(lines) + "\n", f"<almen facts {key}>", "exec"), namespace)
        record: Check = namespace["record"]
        self.records[key] = record
        return record


def _in_place(typ: t.Type, enum: str, namespace: dict[str, Any]) -> str | None:
    """A test on `x` that holds when the given value is plainly valid and its own run-time value."""
    if isinstance(typ, t.Optional):
        inner = _in_place(typ.inner, enum, namespace)
        return f"x is None or ({inner})" if inner else None
    bare = t.strip(typ)
    if isinstance(bare, t.Num):
        low = -MAX_ABS_NUMBER if bare.low is None else max(bare.low, -MAX_ABS_NUMBER)
        high = MAX_ABS_NUMBER if bare.high is None else min(bare.high, MAX_ABS_NUMBER)
        return f"type(x) is int and {low} <= x <= {high}"  # facts.py's own quick case
    if bare == t.BOOL:
        return "type(x) is bool"
    if bare == t.TEXT:
        return "type(x) is str"
    if isinstance(bare, t.Enum):
        namespace[enum] = frozenset(bare.members)
        return f"type(x) is str and x in {enum}"
    return None


def _number_check(typ: t.Num) -> Check:
    low = -MAX_ABS_NUMBER if typ.low is None else max(typ.low, -MAX_ABS_NUMBER)
    high = MAX_ABS_NUMBER if typ.high is None else min(typ.high, MAX_ABS_NUMBER)

    def number(v: Any) -> Any:
        kind = type(v)
        if kind is int and low <= v <= high:  # the canonical path's own quick case
            return v
        if kind is float and -1e14 < v < 1e14:
            # what facts.py makes of a float, sooner: the exact value of its shortest text (repr)
            if v.is_integer():
                whole = int(v)
                if low <= whole <= high:
                    return whole
            elif not typ.integer:
                text = repr(v)
                if "e" not in text:
                    return Decimal(text)  # the value facts.py gives, Fraction(Decimal(repr(v))), as a Decimal
        value = _number(v, typ, "")  # anything else exactly as facts.py converts it (or refuses it)
        return as_decimal(value) if type(value) is Fraction else value

    return number


def _slow(*_: Any) -> Any:
    raise Slow


Shape = Callable[[Any], Any]


def json_of(typ: t.Type) -> Shape:
    """The JSON form of a decision's value, specialised to its type: what `values.to_json` gives,
    with numbers through the same `number_json`, other leaves through `plain_json`. A fact record
    in the answer raises Slow: its JSON form lists every field, given or not, as the evaluator's does."""
    bare = t.strip(typ)
    if isinstance(bare, t.Num):
        integer = bare.integer

        def number(v: Any) -> Any:
            if v is None or (integer and type(v) is int):
                return v
            return number_json(v, bare)

        return number
    if isinstance(bare, t.Record):
        fields = {name: json_of(ftyp) for name, ftyp in bare.fields}
        if all(_as_is(ftyp) for _, ftyp in bare.fields):

            def simple(v: Any) -> Any:
                if v is None:
                    return None
                if type(v) is not dict:  # a FastRecord: the facts' own record
                    raise Slow
                for x in v.values():
                    if type(x) not in _SELF:
                        return {k: fields[k](x) if k in fields else leaf(x) for k, x in v.items()}
                return dict(v)  # texts, truths, whole numbers: their own JSON form

            return simple

        def record(v: Any) -> Any:
            if v is None:
                return None
            if type(v) is not dict:  # a FastRecord: the facts' own record
                raise Slow
            return {k: fields[k](x) if k in fields else leaf(x) for k, x in v.items()}

        return record
    if isinstance(bare, t.ListOf):
        elem = json_of(bare.elem)
        return lambda v: None if v is None else [elem(x) for x in v]
    if isinstance(bare, t.MapOf):
        value = json_of(bare.value)
        as_is = _as_is(bare.value)

        def mapping(v: Any) -> Any:
            if v is None:
                return None
            if as_is and all(type(x) in _SELF for x in v.values()):
                return dict(v)
            return {k: value(x) for k, x in v.items()}

        return mapping
    return leaf


_SELF = frozenset((str, bool, int, type(None)))


def _as_is(typ: t.Type) -> bool:
    """A value of this type that is a text, a truth, a whole number or intet is its own JSON form."""
    bare = t.strip(typ)
    return (isinstance(bare, t.Num) and bare.integer) or isinstance(bare, t.Enum) or bare in (t.BOOL, t.TEXT)


def leaf(v: Any) -> Any:
    if type(v) in _SELF:
        return v
    if contains_fact_record(v):
        raise Slow
    return plain_json(v)
