"""Syntax trees of one policy → a checked Model: names resolved, types and units checked,
citations present, no cycles, decision tables complete and without overlaps, wheels whole.

Every problem becomes a diagnostic; all of them are raised together as one PolicyError.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import Any

import attrs

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.diagnostics import Reporter, did_you_mean

# A citation must point into a document: a section, figure, appendix, or a named law.
CITATION = re.compile(
    r"§\s*\d|\b(figur|bilag|afsnit|kapitel|side|tema|pejlemærke|nøgletal|indledning|strategi)\b|lov",
    re.IGNORECASE,
)

HIT_POLICIES = ("unik", "første")
MAX_CHAIN = 60  # named values using named values, this deep at most: evaluation recurses along it
MAX_TABLE_CASES = 200_000  # combinations the completeness check will try
MONTH_RULES = ("sidste_dag", "fejl")  # how a month is added to the 31st: round to the month's end, or refuse


@attrs.frozen
class Ref:
    kind: str  # local, fact, parameter, definition, decision, table, wheel, member, builtin
    name: str
    type: t.Type


@attrs.define
class Model:
    """A checked policy: its declarations by stable name, and the type of every expression."""

    modules: tuple[n.Module, ...]
    policy: n.Policy | None = None
    enums: dict[str, t.Enum] = attrs.Factory(dict)
    records: dict[str, t.Record] = attrs.Factory(dict)
    record_decls: dict[str, n.RecordDecl] = attrs.Factory(dict)
    facts: dict[str, n.FactDecl] = attrs.Factory(dict)
    fact_types: dict[str, t.Type] = attrs.Factory(dict)
    params: dict[str, n.ParamDecl] = attrs.Factory(dict)
    definitions: dict[str, n.Definition] = attrs.Factory(dict)
    decisions: dict[str, n.Decision] = attrs.Factory(dict)
    rules: dict[str, list[n.Rule]] = attrs.Factory(dict)
    tables: dict[str, n.Table] = attrs.Factory(dict)
    wheels: dict[str, n.Wheel] = attrs.Factory(dict)
    slot_exceptions: dict[str, list[n.SlotException]] = attrs.Factory(dict)
    goals: dict[str, n.Goal] = attrs.Factory(dict)
    removals: list[n.Removal] = attrs.Factory(list)
    types: dict[int, t.Type] = attrs.Factory(dict)  # id(expression node) → its type
    refs: dict[int, Ref] = attrs.Factory(dict)  # id(Name or Call node) → what it names
    value_types: dict[str, t.Type] = attrs.Factory(dict)  # named value → its type
    deps: dict[str, set[str]] = attrs.Factory(dict)  # named value → named values it reads
    fact_deps: dict[str, set[str]] = attrs.Factory(dict)  # named value → facts it reads directly

    def closure(self, name: str) -> set[str]:
        """Every named value `name` may read, itself included."""
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo += self.deps.get(current, ())
        return seen

    def facts_read(self, name: str) -> list[str]:
        """The facts a decision may read (the input schema of that decision)."""
        return sorted({f for v in self.closure(name) for f in self.fact_deps.get(v, ())})

    @property
    def sources(self) -> dict[str, str]:
        return {m.path: m.source for m in self.modules}

    def type_of(self, expr: Any) -> t.Type:
        return self.types.get(id(expr), t.UNKNOWN)

    def members(self) -> Iterator[tuple[str, str, Any]]:
        """Every element with a stable name: (kind, name, node)."""
        if self.policy:
            yield "politik", self.policy.name, self.policy
        for name, enum in self.enums.items():
            yield "valg", name, enum
        for name, rec in self.records.items():
            yield "post", name, rec
        for kind, table in (
            ("fakta", self.facts),
            ("parameter", self.params),
            ("definition", self.definitions),
            ("beslutning", self.decisions),
            ("tabel", self.tables),
            ("hjul", self.wheels),
            ("mål", self.goals),
        ):
            for name, node in table.items():
                yield kind, name, node
        for rules in self.rules.values():
            for rule in rules:
                yield "regel", rule.name, rule
        for excs in self.slot_exceptions.values():
            for exc in excs:
                yield "undtagelse", exc.name, exc


def check(modules: Iterable[n.Module]) -> Model:
    """Check a whole policy (all its files). Raises PolicyError listing every problem."""
    checker = _Checker(tuple(modules))
    checker.run()
    checker.report.raise_if_any()
    return checker.model


BUILTIN_FUNCTIONS = {
    "andele",
    "plads",
    "længde",
    "min",
    "max",
    "sum",
    "årstal",
    "dag_i_måneden",
    "hverdage_mellem",
    "er_hverdag",
    "uden_intet",
    "tom",
    "målopfyldelse",
}

# What `målopfyldelse()` gives for each goal: numbers as exact text in the measure's unit.
GOAL_REPORT = t.Record(
    None,
    (
        ("mål", t.TEXT),
        ("titel", t.Optional(t.TEXT)),
        ("tjener", t.ListOf(t.TEXT)),
        ("retning", t.TEXT),
        ("værdi", t.Optional(t.TEXT)),
        ("basislinje", t.Optional(t.TEXT)),
        ("basislinje_pr", t.Optional(t.TEXT)),
        ("målværdi", t.Optional(t.TEXT)),
        ("status", t.TEXT),
        ("mangler", t.ListOf(t.TEXT)),
        ("fejl", t.Optional(t.TEXT)),
        ("kilde", t.TEXT),
    ),
)


class _Checker:
    def __init__(self, modules: tuple[n.Module, ...]):
        self.model = Model(modules)
        self.report = Reporter(self.model.sources)
        self.declared: dict[str, Any] = {}  # global name → declaring node, for duplicates
        self.fact_names: dict[str, Any] = {}
        self.member_of: dict[str, t.Enum] = {}
        self.in_progress: set[str] = set()
        self.owner = ""  # the named value whose body is being checked, for dependencies

    # ---------------------------------------------------------------- pass 1: collect
    def run(self) -> None:
        for module in self.model.modules:
            for decl in module.decls:
                self.collect(decl)
        if self.model.policy is None and not self.model.removals:
            first = self.model.modules[0] if self.model.modules else None
            if first is not None:
                span = n.Span(first.path, 1, 1, 1, 2, 0, 0)
                self.report.error(span, "the policy has no header", 'add: politik navn { version "…" … }')
        header = self.model.policy
        if header is not None and header.month_rule is not None and header.month_rule not in MONTH_RULES:
            self.report.error(
                header.month_rule_span,
                f"unknown månedsregel '{header.month_rule}'",
                did_you_mean(header.month_rule, MONTH_RULES) or "use 'sidste_dag' or 'fejl'",
            )
        self.resolve_types()
        for name, decl in self.model.facts.items():
            self.model.fact_types[name] = self.type_ref(decl.type)
        self.check_values()
        self.check_cycles()

    def declare(self, name: str, node: Any, kind: str) -> bool:
        # Facts have a namespace of their own, so a decision may share its fact's name
        # (`nybyggeri`); in expressions the fact wins.
        space = self.fact_names if kind == "fakta" else self.declared
        previous = space.get(name)
        if previous is not None:
            self.report.error(
                node.span,
                f"'{name}' is declared twice",
                "give one of them another name",
                [(previous.span, f"'{name}' is first declared here")],
            )
            return False
        space[name] = node
        return True

    def collect(self, decl: Any) -> None:
        m = self.model
        if isinstance(decl, n.Policy):
            if m.policy is not None:
                self.report.error(decl.span, "the policy has two headers", None, [(m.policy.span, "the first header")])
            m.policy = decl
        elif isinstance(decl, n.EnumDecl):
            if self.declare(decl.name, decl, "valg"):
                m.enums[decl.name] = t.Enum(decl.name, decl.members)
                for member in decl.members:
                    self.member_of.setdefault(member, m.enums[decl.name])
        elif isinstance(decl, n.RecordDecl):
            if self.declare(decl.name, decl, "post"):
                m.records[decl.name] = t.Record(decl.name, ())
                m.record_decls[decl.name] = decl
        elif isinstance(decl, n.FactDecl):
            if self.declare(decl.name, decl, "fakta"):
                m.facts[decl.name] = decl
        elif isinstance(decl, n.ParamDecl):
            if self.declare(decl.name, decl, "parameter"):
                m.params[decl.name] = decl
        elif isinstance(decl, n.Definition):
            if self.declare(decl.name, decl, "definition"):
                m.definitions[decl.name] = decl
        elif isinstance(decl, n.Decision):
            if self.declare(decl.name, decl, "beslutning"):
                m.decisions[decl.name] = decl
        elif isinstance(decl, n.Rule):
            m.rules.setdefault(decl.target, []).append(decl)
        elif isinstance(decl, n.Table):
            if self.declare(decl.name, decl, decl.kind):
                m.tables[decl.name] = decl
        elif isinstance(decl, n.Wheel):
            if self.declare(decl.name, decl, "hjul"):
                m.wheels[decl.name] = decl
        elif isinstance(decl, n.SlotException):
            m.slot_exceptions.setdefault(decl.wheel, []).append(decl)
        elif isinstance(decl, n.Goal):
            if self.declare(decl.name, decl, "mål"):
                m.goals[decl.name] = decl
        elif isinstance(decl, n.Removal):
            m.removals.append(decl)

    # ---------------------------------------------------------------- types of facts
    def resolve_types(self) -> None:
        decls = self.model.record_decls
        for name, decl in decls.items():
            self.model.records[name] = t.Record(name, tuple((f.name, self.type_ref(f.type)) for f in decl.fields))
        # second round so records that use records see their fields
        for name, decl in decls.items():
            self.model.records[name] = t.Record(name, tuple((f.name, self.type_ref(f.type)) for f in decl.fields))
        for name, decl in decls.items():
            self.check_record_cycle(name, decl, [name])
            seen: dict[str, n.FieldDecl] = {}
            for f in decl.fields:
                if f.name in seen:
                    self.report.error(
                        f.span, f"field '{f.name}' is declared twice", None, [(seen[f.name].span, "first here")]
                    )
                seen[f.name] = f
                if f.default is not None:
                    self.owner = f"{name}.{f.name}"
                    self.expect(f.default, self.type_ref(f.type), {}, "the default")
                    self.require_constant(f.default, "a default")

    def check_record_cycle(self, name: str, decl: n.RecordDecl, path: list[str]) -> None:
        """Does record `name` reach itself through its fields? Each record is visited once."""
        decls = self.model.record_decls
        seen = {name}
        todo = [(decl, path)]
        while todo:
            current, trail = todo.pop()
            for f in current.fields:
                for used in _type_names(f.type):
                    if used == name:
                        self.report.error(
                            f.span,
                            f"record '{name}' contains itself: {' → '.join([*trail, used])}",
                            "facts must be finite; use a list of another record",
                        )
                        return
                    if used in decls and used not in seen:
                        seen.add(used)
                        todo.append((decls[used], [*trail, used]))

    def type_ref(self, ref: n.TypeRef) -> t.Type:
        if isinstance(ref, n.TOptional):
            return t.Optional(self.type_ref(ref.inner))
        if isinstance(ref, n.TList):
            return t.ListOf(self.type_ref(ref.elem))
        if isinstance(ref, n.TMap):
            return t.MapOf(self.type_ref(ref.value))
        if isinstance(ref, n.TInt):
            return t.Num(None, True, ref.low, ref.high)
        if ref.name in t.BUILTIN_TYPES:
            return t.BUILTIN_TYPES[ref.name]
        if ref.name in self.model.enums:
            return self.model.enums[ref.name]
        if ref.name in self.model.records:
            return self.model.records[ref.name]
        known = list(t.BUILTIN_TYPES) + ["heltal"] + list(self.model.enums) + list(self.model.records)
        self.report.error(ref.span, f"unknown type '{ref.name}'", did_you_mean(ref.name, known))
        return t.UNKNOWN

    # ---------------------------------------------------------------- named values
    def check_values(self) -> None:
        m = self.model
        for name, decl in m.params.items():
            self.require_citation(decl, decl.meta)
            self.owner = name
            typ = self.type_ref(decl.type)
            m.value_types[name] = typ
            starts = [v.start for v in decl.values]
            if starts != sorted(set(starts)):
                self.report.error(decl.span, f"the values of '{name}' must be in date order, one per date")
            for value in decl.values:
                self.expect(value.value, typ, {}, f"a value of '{name}'")
                self.require_constant(value.value, "a parameter's value")
        for name in m.definitions:
            self.value_type(name)
        for name in m.decisions:
            self.value_type(name)
        for name in m.tables:
            self.value_type(name)
        for name in m.wheels:
            self.value_type(name)
        for target, rules in m.rules.items():
            self.check_rules(target, rules)
        for excs in m.slot_exceptions.values():
            for exc in excs:
                self.check_slot_exception(exc)
        for goal in m.goals.values():
            self.check_goal(goal)
        for removal in m.removals:
            self.require_citation(removal, n.Meta(citations=(removal.citation,)))

    def value_type(self, name: str) -> t.Type:
        """The type of a named value, checking its body the first time it is asked for."""
        m = self.model
        if name in m.value_types:
            return m.value_types[name]
        if name in self.in_progress:
            return t.UNKNOWN  # a cycle; check_cycles reports it with the whole path
        if len(self.in_progress) >= MAX_CHAIN:
            node = self.declared.get(name)
            self.report.error(
                node.span if node is not None else n.NOWHERE,
                f"'{name}' ends a chain of more than {MAX_CHAIN} definitions that use each other",
                "a policy this deep cannot be evaluated safely; shorten the chain",
            )
            return t.UNKNOWN
        self.in_progress.add(name)
        saved, self.owner = self.owner, name
        try:
            typ = self._check_value(name)
        finally:
            self.owner = saved
            self.in_progress.discard(name)
        m.value_types[name] = typ
        return typ

    def _check_value(self, name: str) -> t.Type:
        m = self.model
        if name in m.definitions:
            d = m.definitions[name]
            self.require_citation(d, d.meta)
            scope = {p.name: self.type_ref(p.type) for p in d.params}
            if d.type is not None:
                typ = self.type_ref(d.type)
                self.expect(d.body, typ, scope, f"'{name}'")
                return typ
            return self.expr(d.body, scope)
        if name in m.decisions:
            dec = m.decisions[name]
            self.require_citation(dec, dec.meta)
            declared = self.type_ref(dec.type) if dec.type is not None else None
            if dec.body is None:
                if name not in m.rules:
                    self.report.error(
                        dec.span, f"decision '{name}' has no body and no rules", f"add: regel {name}.navn … så …"
                    )
                return declared or t.UNKNOWN
            if name in m.rules:
                first = m.rules[name][0]
                self.report.error(
                    first.span,
                    f"decision '{name}' has a body, so rules cannot also define it",
                    None,
                    [(dec.span, "the decision")],
                )
            if declared is not None:
                self.expect(dec.body, declared, {}, f"'{name}'")
                return declared
            return self.expr(dec.body, {})
        if name in m.tables:
            return self.check_table(m.tables[name])
        if name in m.wheels:
            return self.check_wheel(m.wheels[name])
        return t.UNKNOWN

    def require_constant(self, e: Any, what: str) -> None:
        """Parameter values and defaults are fixed text: they may not read facts or rules."""
        if not self.is_constant(e):
            self.report.error(
                e.span, f"{what} must be a constant", "write the number, amount, date, text or list itself"
            )

    def is_constant(self, e: Any) -> bool:
        if isinstance(e, n.Literal):
            return True
        if isinstance(e, n.Name):
            ref = self.model.refs.get(id(e))
            return ref is not None and ref.kind == "member"
        if isinstance(e, n.Unary):
            return self.is_constant(e.operand)
        if isinstance(e, n.Binary):
            return self.is_constant(e.left) and self.is_constant(e.right)
        if isinstance(e, n.ListLit):
            return all(self.is_constant(x) for x in e.items)
        if isinstance(e, n.RecordLit):
            return all(self.is_constant(v) for _, v in e.items)
        return False

    def require_citation(self, node: Any, meta: n.Meta) -> None:
        if not meta.citations:
            self.report.error(
                node.span,
                f"{node.kind} '{getattr(node, 'name', '')}' cites no source",
                'add a line: kilde "§ 6.2.1" (section, figure or appendix of the agreement)',
            )
        for c in meta.citations:
            if not CITATION.search(c.source):
                self.report.error(
                    c.span,
                    f"citation '{c.source}' names no section, figure or appendix",
                    'write e.g. kilde "§ 6.2.1", kilde "Figur 5" or kilde "Bilag 14"',
                )

    # ---------------------------------------------------------------- rules
    def check_rules(self, target: str, rules: list[n.Rule]) -> None:
        m = self.model
        dec = m.decisions.get(target)
        if dec is None:
            self.report.error(
                rules[0].span,
                f"rule for unknown decision '{target}'",
                did_you_mean(target, m.decisions) or f"declare it: beslutning {target}: Type",
            )
            return
        self.value_type(target)
        declared = self.type_ref(dec.type) if dec.type is not None else None
        labels: dict[str, n.Rule] = {}
        for rule in rules:
            if rule.label in labels:
                self.report.error(
                    rule.span,
                    f"rule '{rule.name}' is declared twice",
                    None,
                    [(labels[rule.label].span, "first declared here")],
                )
            labels[rule.label] = rule
        saved, self.owner = self.owner, target
        inferred: t.Type | None = None
        for rule in rules:
            self.require_citation(rule, rule.meta)
            if rule.exception_to is not None and rule.exception_to not in labels:
                self.report.error(
                    rule.span,
                    f"'{rule.name}' is an exception to '{rule.exception_to}', which is not a rule of '{target}'",
                    did_you_mean(rule.exception_to, labels),
                )
            if rule.condition is not None:
                self.expect(rule.condition, t.BOOL, {}, "a condition")
            if declared is not None:
                self.expect(rule.consequence, declared, {}, f"the value of '{target}'")
            else:
                typ = self.expr(rule.consequence, {})
                joined = t.join(inferred, typ) if inferred is not None else typ
                if joined is None:
                    self.report.error(rule.consequence.span, f"rules of '{target}' give values of different types")
                else:
                    inferred = joined
        self.owner = saved
        if declared is None and inferred is not None:
            m.value_types[target] = inferred
        # exceptions must form a forest: no rule is (indirectly) an exception to itself
        for rule in rules:
            seen = [rule.label]
            current = rule.exception_to
            while current is not None and current in labels:
                if current in seen:
                    self.report.error(
                        rule.span, f"exceptions of '{target}' go round in a circle: {' → '.join(seen + [current])}"
                    )
                    break
                seen.append(current)
                current = labels[current].exception_to

    # ---------------------------------------------------------------- decision tables
    def check_table(self, table: n.Table) -> t.Type:
        self.require_citation(table, table.meta)
        if table.hit not in HIT_POLICIES:
            self.report.error(
                table.span,
                f"unknown hit policy '{table.hit}'",
                "use 'unik' (exactly one row applies) or 'første' (the first row that applies)",
            )
        input_types = [self.expr(e, {}) for e in table.inputs]
        errors_before = len(self.report.diagnostics)
        out: t.Type | None = None
        for row in table.rows:
            if len(row.cells) != len(input_types):
                self.report.error(
                    row.span, f"the row has {len(row.cells)} cells but the table has {len(input_types)} inputs"
                )
                continue
            for cell, typ in zip(row.cells, input_types, strict=True):
                self.check_cell(cell, typ)
            typ = self.expr(row.output, {})
            joined = typ if out is None else t.join(out, typ)
            if joined is None:
                self.report.error(row.output.span, f"this row gives a {typ}, the rows above a {out}")
            else:
                out = joined
        if len(self.report.diagnostics) == errors_before:  # only a well-formed table can be analysed
            self.analyse_table(table, input_types)
        return out or t.UNKNOWN

    def check_cell(self, cell: n.Cell, typ: t.Type) -> None:
        exprs: list[Any] = []
        if isinstance(cell, n.CellCompare):
            exprs = [cell.value]
        elif isinstance(cell, n.CellRange):
            exprs = [cell.low, cell.high]
        elif isinstance(cell, n.CellValues):
            exprs = list(cell.values)
        for e in exprs:
            ctype = self.expr(e, {})
            self.check_literal_against(e, typ)
            if not t.comparable(ctype, typ):
                self.report.error(e.span, f"a {ctype} cannot be compared with this input, a {typ}")
            elif constant(e, self.model.refs) is None:
                self.report.error(e.span, "a table cell must be a constant", "write the number, date or text itself")
        ordered = isinstance(t.strip(typ), t.Num | t.Unknown) or t.strip(typ) == t.DATE
        if isinstance(cell, n.CellCompare | n.CellRange) and not ordered:
            self.report.error(cell.span, f"ranges need a number or a date, this input is a {typ}")

    def analyse_table(self, table: n.Table, input_types: list[t.Type]) -> None:
        """Completeness and overlaps, over the elementary regions each input's cells carve out."""
        rows = [r for r in table.rows if len(r.cells) == len(input_types)]
        if not rows:
            return
        domains = []
        for i, typ in enumerate(input_types):
            domain = _domain(typ, [r.cells[i] for r in rows])
            if domain is None:
                return  # an input we cannot enumerate: nothing to prove
            domains.append(domain)
        cases = 1
        for d in domains:
            cases *= len(d)
        if cases > MAX_TABLE_CASES:
            self.report.error(
                table.span,
                f"table '{table.name}' has {cases:,} input combinations, too many to check for gaps and overlaps",
                "narrow the inputs' bounds or split the table",
            )
            return
        reported_gap = False
        reported: set[tuple[int, int]] = set()
        for point in itertools.product(*domains):
            hits = [
                r for r in rows if all(_matches(c, p, self.model.refs) for c, p in zip(r.cells, point, strict=True))
            ]
            if not hits and not reported_gap:
                reported_gap = True
                where = ", ".join(
                    f"{_source(e, self.model.sources)} = {_show(p)}" for e, p in zip(table.inputs, point, strict=True)
                )
                self.report.error(
                    table.span, f"table '{table.name}' is incomplete: no row covers {where}", "add a row for it"
                )
            if table.hit == "unik" and len(hits) > 1:
                key = (id(hits[0]), id(hits[1]))
                if key not in reported:
                    reported.add(key)
                    self.report.error(
                        hits[1].span,
                        f"rows of table '{table.name}' overlap (hit policy 'unik')",
                        "make the cells disjoint, or declare 'hit første'",
                        [(hits[0].span, "overlaps this row")],
                    )

    # ---------------------------------------------------------------- letting wheels
    def check_wheel(self, wheel: n.Wheel) -> t.Type:
        self.require_citation(wheel, wheel.meta)
        enum = self.model.enums.get(wheel.letting_type)
        if enum is None:
            self.report.error(
                wheel.span,
                f"unknown letting type '{wheel.letting_type}'",
                did_you_mean(wheel.letting_type, self.model.enums) or "declare it with: valg Navn { … }",
            )
            return t.UNKNOWN
        labels: dict[str, n.Period] = {}
        size = None
        for period in sorted(wheel.periods, key=lambda p: p.start):
            if period.label in labels:
                self.report.error(period.span, f"period '{period.label}' is declared twice in wheel '{wheel.name}'")
            if period.end < period.start:
                self.report.error(period.span, f"period '{period.label}' ends before it starts")
            for other in labels.values():
                if period.start <= other.end and other.start <= period.end:
                    self.report.error(
                        period.span,
                        f"periods '{other.label}' and '{period.label}' of wheel '{wheel.name}' overlap",
                        None,
                        [(other.span, "the other period")],
                    )
            labels[period.label] = period
            numbers = [s.number for s in period.slots]
            if sorted(numbers) != list(range(1, len(numbers) + 1)):
                self.report.error(
                    period.span,
                    f"the slots of period '{period.label}' must be numbered 1 to {len(numbers)}, once each",
                    f"found {', '.join(map(str, numbers))}",
                )
            if size is not None and len(numbers) != size:
                self.report.error(period.span, f"period '{period.label}' has {len(numbers)} slots, not {size}")
            size = size or len(numbers)
            for slot in period.slots:
                self.check_slot_value(slot.value, enum, wheel)
        return t.WheelType(enum)

    def check_slot_value(self, value: n.SlotValue, enum: t.Enum, wheel: n.Wheel) -> None:
        chains = [value.first, value.second] if isinstance(value, n.Alternating) else [value]
        for chain in chains:
            for letting in chain.lettings:
                self.check_letting(letting, enum, wheel)

    def check_letting(self, letting: n.LettingChoice, enum: t.Enum, wheel: n.Wheel) -> None:
        if isinstance(letting, n.LettingIf):
            self.expect(letting.cond, t.BOOL, {}, "a condition")
            self.check_letting(letting.then, enum, wheel)
            self.check_letting(letting.else_, enum, wheel)
            return
        if letting.member not in enum.members:
            self.report.error(
                letting.span,
                f"'{letting.member}' is not a letting type of {enum.name}",
                did_you_mean(letting.member, enum.members) or f"the types are: {', '.join(enum.members)}",
            )
        if letting.payload is not None:
            self.expr(letting.payload, {})

    def check_slot_exception(self, exc: n.SlotException) -> None:
        self.require_citation(exc, exc.meta)
        wheel = self.model.wheels.get(exc.wheel)
        if wheel is None:
            self.report.error(exc.span, f"unknown wheel '{exc.wheel}'", did_you_mean(exc.wheel, self.model.wheels))
            return
        periods = [p for p in wheel.periods if exc.period is None or p.label == exc.period]
        if not periods:
            self.report.error(
                exc.span,
                f"wheel '{wheel.name}' has no period '{exc.period}'",
                did_you_mean(exc.period or "", [p.label for p in wheel.periods]),
            )
        for period in periods:
            if exc.slot not in [s.number for s in period.slots]:
                self.report.error(exc.span, f"wheel '{wheel.name}' has no slot {exc.slot} in '{period.label}'")
        saved, self.owner = self.owner, exc.wheel
        self.expect(exc.condition, t.BOOL, {}, "a condition")
        enum = self.model.enums.get(wheel.letting_type)
        if enum is not None:
            self.check_slot_value(exc.value, enum, wheel)
        self.owner = saved

    # ---------------------------------------------------------------- goals
    def check_goal(self, goal: n.Goal) -> None:
        self.require_citation(goal, goal.meta)
        self.owner = goal.name
        if goal.measure is None:
            self.report.error(goal.span, f"goal '{goal.name}' measures nothing", "add: måling <udtryk>")
            return
        typ = self.expr(goal.measure, {})
        if not isinstance(t.strip(typ), t.Num | t.Unknown):
            self.report.error(goal.measure.span, f"a key figure must be a number, this is a {typ}")
        if not goal.direction:
            self.report.error(
                goal.span,
                f"goal '{goal.name}' has no direction",
                "add: retning skal falde | skal stige | må ikke stige | må ikke falde | skal nå … | følges",
            )
        if goal.direction == "skal nå" and goal.target is None:
            self.report.error(goal.span, "'retning skal nå' needs a target value", "write: retning skal nå 25 %")
        for other in (goal.target, goal.baseline.value if goal.baseline else None):
            if other is not None:
                otyp = self.expr(other, {})
                if not t.comparable(typ, otyp):
                    self.report.error(other.span, f"a {otyp} cannot be compared with the key figure, a {typ}")

    # ---------------------------------------------------------------- cycles
    def check_cycles(self) -> None:
        """Depth-first search for a circle among the named values, without recursion."""
        deps = self.model.deps
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        reported: set[frozenset[str]] = set()
        for root in sorted(deps):
            if root in state:
                continue
            path: list[str] = [root]
            todo: list[list[str]] = [sorted(deps.get(root, ()))]
            state[root] = 1
            while todo:
                if not todo[-1]:
                    state[path.pop()] = 2
                    todo.pop()
                    continue
                dep = todo[-1].pop(0)
                if state.get(dep) == 1:
                    cycle = path[path.index(dep) :] + [dep]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        node = self.declared.get(dep)
                        self.report.error(
                            node.span if node is not None else n.NOWHERE,
                            f"'{dep}' depends on itself: {' → '.join(cycle)}",
                            "rules may not refer to each other in a circle",
                        )
                elif dep not in state:
                    state[dep] = 1
                    path.append(dep)
                    todo.append(sorted(deps.get(dep, ())))

    # ---------------------------------------------------------------- expressions
    def expect(self, expr: Any, typ: t.Type, scope: dict[str, t.Type], what: str) -> None:
        actual = self.expr(expr, scope)
        if not t.assignable(actual, typ):
            self.report.error(expr.span, f"{what} should be a {typ}, not a {actual}", _unit_hint(actual, typ))
        else:
            self.check_literal_against(expr, typ)

    def check_literal_against(self, expr: Any, typ: t.Type) -> None:
        """Text written where an enumeration is expected must be one of its values."""
        typ = t.strip(typ)
        if isinstance(expr, n.Literal) and expr.kind == "string" and isinstance(typ, t.Enum):
            if expr.value not in typ.members:
                self.report.error(
                    expr.span,
                    f'"{expr.value}" is not a value of {typ.name}',
                    did_you_mean(expr.value, typ.members) or f"the values are: {', '.join(typ.members)}",
                )
        elif isinstance(expr, n.ListLit) and isinstance(typ, t.ListOf):
            for item in expr.items:
                self.check_literal_against(item, typ.elem)
        elif isinstance(expr, n.If):
            self.check_literal_against(expr.then, typ)
            self.check_literal_against(expr.else_, typ)
        elif isinstance(expr, n.RecordLit) and isinstance(typ, t.Record):
            for key, value in expr.items:
                ftype = typ.field(key)
                if ftype is not None:
                    self.check_literal_against(value, ftype)

    def expr(self, e: Any, scope: dict[str, t.Type]) -> t.Type:
        typ = self._expr(e, scope)
        self.model.types[id(e)] = typ
        return typ

    def _expr(self, e: Any, scope: dict[str, t.Type]) -> t.Type:
        if isinstance(e, n.Literal):
            return _LITERAL_TYPES[e.kind]
        if isinstance(e, n.Name):
            return self.name(e, scope)
        if isinstance(e, n.Field):
            return self.field(e, scope)
        if isinstance(e, n.Call):
            return self.call(e, scope)
        if isinstance(e, n.Unary):
            inner = self.expr(e.operand, scope)
            if e.op == "ikke":
                self.need(e.operand, inner, t.BOOL)
                return t.BOOL
            if not isinstance(t.strip(inner), t.Num | t.Unknown):
                self.report.error(e.span, f"cannot negate a {inner}")
            return inner
        if isinstance(e, n.Binary):
            return self.binary(e, scope)
        if isinstance(e, n.Compare):
            left, right = self.expr(e.left, scope), self.expr(e.right, scope)
            self.check_literal_against(e.right, left)
            self.check_literal_against(e.left, right)
            if e.op in ("=", "!=") and t.NULL in (left, right):
                return t.BOOL
            if not t.comparable(left, right):
                self.report.error(e.span, f"cannot compare a {left} with a {right}", _unit_hint(right, left))
            elif e.op not in ("=", "!=") and not _ordered(left):
                self.report.error(e.span, f"a {left} has no order; only = and ≠ apply")
            return t.BOOL
        if isinstance(e, n.BoolOp):
            self.need(e.left, self.expr(e.left, scope), t.BOOL)
            self.need(e.right, self.expr(e.right, scope), t.BOOL)
            return t.BOOL
        if isinstance(e, n.Member):
            item, coll = self.expr(e.elem, scope), self.expr(e.coll, scope)
            if isinstance(coll, t.ListOf):
                self.check_literal_against(e.coll, t.ListOf(item))
                if not t.comparable(item, coll.elem):
                    self.report.error(e.span, f"a {item} is never in a {coll}")
            elif not isinstance(coll, t.Unknown):
                self.report.error(e.coll.span, f"'i' needs a list on its right, not a {coll}")
            return t.BOOL
        if isinstance(e, n.Between):
            value = self.expr(e.value, scope)
            for bound in (e.low, e.high):
                btype = self.expr(bound, scope)
                if not t.comparable(value, btype) or not _ordered(value):
                    self.report.error(bound.span, f"cannot compare a {value} with a {btype}")
            return t.BOOL
        if isinstance(e, n.If):
            self.need(e.cond, self.expr(e.cond, scope), t.BOOL)
            a, b = self.expr(e.then, scope), self.expr(e.else_, scope)
            joined = t.join(a, b)
            if joined is None:
                self.report.error(e.span, f"the two branches give a {a} and a {b}", "both must give the same type")
                return t.UNKNOWN
            self.check_literal_against(e.then, joined)
            self.check_literal_against(e.else_, joined)
            return joined
        if isinstance(e, n.Quantifier | n.Count | n.Sort | n.Each | n.Mapping):
            return self.comprehension(e, scope)
        if isinstance(e, n.ListLit):
            common: t.Type | None = None
            for x in e.items:
                it = self.expr(x, scope)
                joined = it if common is None else t.join(common, it)
                if joined is None:
                    self.report.error(x.span, f"a list cannot hold both a {common} and a {it}")
                else:
                    common = joined
            return t.ListOf(common or t.UNKNOWN)
        if isinstance(e, n.RecordLit):
            seen: set[str] = set()
            fields = []
            for key, given in e.items:
                if key in seen:
                    self.report.error(given.span, f"field '{key}' is given twice")
                seen.add(key)
                fields.append((key, self.expr(given, scope)))
            return t.Record(None, tuple(fields))
        raise AssertionError(f"unknown expression {e!r}")

    def need(self, e: Any, actual: t.Type, wanted: t.Type) -> None:
        if not t.assignable(actual, wanted):
            self.report.error(e.span, f"expected a {wanted} here, not a {actual}")

    def name(self, e: n.Name, scope: dict[str, t.Type]) -> t.Type:
        m = self.model
        ref: Ref | None = None
        if e.name in scope:
            ref = Ref("local", e.name, scope[e.name])
        elif e.name in m.facts:
            ref = Ref("fact", e.name, m.fact_types.get(e.name, t.UNKNOWN))
        elif e.name in m.params:
            ref = Ref("parameter", e.name, self.value_type(e.name))
        elif e.name in m.definitions:
            d = m.definitions[e.name]
            if d.params:
                self.report.error(e.span, f"'{e.name}' takes arguments", f"write {e.name}(…)")
            ref = Ref("definition", e.name, self.value_type(e.name))
        elif e.name in m.decisions:
            ref = Ref("decision", e.name, self.value_type(e.name))
        elif e.name in m.tables:
            ref = Ref("table", e.name, self.value_type(e.name))
        elif e.name in m.wheels:
            ref = Ref("wheel", e.name, self.value_type(e.name))
        elif e.name == "beslutningsdato":
            ref = Ref("builtin", e.name, t.DATE)
        elif e.name in self.member_of:
            ref = Ref("member", e.name, self.member_of[e.name])
        if ref is None:
            known = list(scope) + list(self.declared) + list(self.fact_names) + list(self.member_of)
            known.append("beslutningsdato")
            self.report.error(e.span, f"unknown name '{e.name}'", did_you_mean(e.name, known))
            return t.UNKNOWN
        if ref.kind in ("parameter", "definition", "decision", "table", "wheel"):
            self.model.deps.setdefault(self.owner, set()).add(e.name)
        elif ref.kind == "fact":
            self.model.fact_deps.setdefault(self.owner, set()).add(e.name)
        m.refs[id(e)] = ref
        return ref.type

    def field(self, e: n.Field, scope: dict[str, t.Type]) -> t.Type:
        obj = self.expr(e.obj, scope)
        if isinstance(obj, t.Unknown):
            return obj
        if isinstance(obj, t.Optional) and isinstance(obj.inner, t.Record):
            self.report.error(
                e.span,
                f"'{_source(e.obj, self.model.sources)}' may be intet (a {obj})",
                "compare it with intet first, or take it from uden_intet([…])",
            )
            return t.UNKNOWN
        if not isinstance(obj, t.Record):
            self.report.error(e.span, f"a {obj} has no fields")
            return t.UNKNOWN
        ftype = obj.field(e.name)
        if ftype is None:
            self.report.error(
                e.span,
                f"{obj} has no field '{e.name}'",
                did_you_mean(e.name, [k for k, _ in obj.fields])
                or f"its fields: {', '.join(k for k, _ in obj.fields)}",
            )
            return t.UNKNOWN
        return ftype

    def binary(self, e: n.Binary, scope: dict[str, t.Type]) -> t.Type:
        left, right = t.strip(self.expr(e.left, scope)), t.strip(self.expr(e.right, scope))
        if isinstance(left, t.Unknown) or isinstance(right, t.Unknown):
            return t.UNKNOWN
        if e.op in "+-":
            if left == t.DATE and right == t.DURATION:
                return t.DATE
            if e.op == "-" and left == t.DATE and right == t.DATE:
                return t.INT
            if e.op == "+" and isinstance(left, t.ListOf) and isinstance(right, t.ListOf):
                joined = t.join(left, right)
                if joined is not None:
                    return joined
            if isinstance(left, t.Num) and isinstance(right, t.Num) and t.comparable(left, right):
                unit = left.unit if left.unit == right.unit else "brøk"
                return t.Num(unit, left.integer and right.integer)
        elif isinstance(left, t.Num) and isinstance(right, t.Num):
            units = (left.unit, right.unit)
            if e.op == "*":
                # a plain number or share scales anything; a percentage of an amount is an amount
                rest = [u for u in units if u not in (None, "brøk")]
                if len(rest) <= 1 or set(rest) == {"%", "kr"}:
                    unit = "kr" if "kr" in rest else (rest[0] if rest else ("brøk" if "brøk" in units else None))
                    return t.Num(unit, left.integer and right.integer)
            else:  # division: exact, so integers give a share
                if right.unit is None or right.unit == "brøk":
                    unit = left.unit if left.unit not in (None,) else "brøk"
                    return t.Num(unit)
                if left.unit == right.unit:
                    return t.NUMBER
        self.report.error(e.span, f"cannot compute {left} {e.op} {right}", _unit_hint(right, left))
        return t.UNKNOWN

    def comprehension(
        self, e: n.Quantifier | n.Count | n.Sort | n.Each | n.Mapping, scope: dict[str, t.Type]
    ) -> t.Type:
        coll = t.strip(self.expr(e.coll, scope))
        if isinstance(coll, t.ListOf):
            elem = coll.elem
        else:
            if not isinstance(coll, t.Unknown):
                self.report.error(e.coll.span, f"expected a list to go through, not a {coll}")
            elem = t.UNKNOWN
        inner = {**scope, e.var: elem}
        if isinstance(e, n.Sort):
            keys = e.key.items if isinstance(e.key, n.ListLit) else (e.key,)
            for key in keys:
                ktype = self.expr(key, inner)
                if not _ordered(ktype) and t.strip(ktype) not in (t.TEXT, t.BOOL):
                    self.report.error(key.span, f"cannot sort by a {ktype}")
            return coll if isinstance(coll, t.ListOf) else t.UNKNOWN
        if isinstance(e, n.Mapping):
            ktype = t.strip(self.expr(e.key, inner))
            if ktype != t.TEXT and not isinstance(ktype, t.Enum | t.Unknown):
                self.report.error(e.key.span, f"a lookup's keys must be texts, not a {ktype}")
            return t.MapOf(self.expr(e.value, inner))
        if e.where is not None:
            self.need(e.where, self.expr(e.where, inner), t.BOOL)
        if isinstance(e, n.Count):
            return t.INT
        if isinstance(e, n.Each):
            return t.ListOf(self.expr(e.body, inner))
        self.need(e.body, self.expr(e.body, inner), t.BOOL)
        return t.BOOL

    def call(self, e: n.Call, scope: dict[str, t.Type]) -> t.Type:
        m = self.model
        args = [self.expr(a, scope) for a in e.args]
        if e.name in m.definitions:
            d = m.definitions[e.name]
            self.model.deps.setdefault(self.owner, set()).add(e.name)
            if len(args) != len(d.params):
                self.report.error(e.span, f"'{e.name}' takes {len(d.params)} arguments, not {len(args)}")
            for arg, param, atype in zip(e.args, d.params, args, strict=False):
                ptype = self.type_ref(param.type)
                if not t.assignable(atype, ptype):
                    self.report.error(arg.span, f"'{param.name}' of '{e.name}' is a {ptype}, not a {atype}")
            typ = self.value_type(e.name)
            m.refs[id(e)] = Ref("definition", e.name, typ)
            return typ
        if e.name not in BUILTIN_FUNCTIONS:
            known = list(BUILTIN_FUNCTIONS) + [k for k, d in m.definitions.items() if d.params]
            self.report.error(e.span, f"unknown function '{e.name}'", did_you_mean(e.name, known))
            return t.UNKNOWN
        typ = self.builtin(e, args)
        m.refs[id(e)] = Ref("builtin", e.name, typ)
        return typ

    def builtin(self, e: n.Call, args: list[t.Type]) -> t.Type:
        def arity(k: int) -> bool:
            if len(args) != k:
                self.report.error(e.span, f"'{e.name}' takes {k} argument{'s' if k > 1 else ''}, not {len(args)}")
                return False
            return True

        name = e.name
        if name in ("andele", "plads"):
            if not arity(1 if name == "andele" else 2):
                return t.UNKNOWN
            wheel = args[0]
            if not isinstance(wheel, t.WheelType):
                if not isinstance(wheel, t.Unknown):
                    self.report.error(e.args[0].span, f"'{name}' needs a letting wheel, not a {wheel}")
                return t.UNKNOWN
            if name == "andele":
                return t.Record(None, tuple((mem, t.SHARE) for mem in wheel.letting.members))
            self.need(e.args[1], args[1], t.INT)
            return t.Record(
                None,
                (
                    ("plads", t.INT),
                    ("periode", t.TEXT),
                    ("type", wheel.letting),
                    ("fallback", t.ListOf(wheel.letting)),
                    ("kriterier", t.ListOf(t.TEXT)),
                ),
            )
        if name in ("længde", "tom", "uden_intet", "sum"):
            if not arity(1):
                return t.UNKNOWN
            coll = t.strip(args[0])
            if not isinstance(coll, t.ListOf | t.Unknown):
                self.report.error(e.args[0].span, f"'{name}' needs a list, not a {coll}")
                return t.UNKNOWN
            if name == "længde":
                return t.INT
            if name == "tom":
                return t.BOOL
            elem = coll.elem if isinstance(coll, t.ListOf) else t.UNKNOWN
            if name == "uden_intet":
                return t.ListOf(t.strip(elem))
            if not isinstance(t.strip(elem), t.Num | t.Unknown):
                self.report.error(e.args[0].span, f"'sum' needs a list of numbers, not a {coll}")
            return t.strip(elem)
        if name in ("min", "max"):
            if not args:
                self.report.error(e.span, f"'{name}' needs at least one argument")
                return t.UNKNOWN
            out: t.Type | None = args[0]
            for arg, atype in zip(e.args[1:], args[1:], strict=True):
                out = t.join(out, atype) if out is not None else None
                if out is None or not _ordered(atype):
                    self.report.error(arg.span, f"'{name}' cannot compare a {args[0]} with a {atype}")
                    return t.UNKNOWN
            return out or t.UNKNOWN
        if name in ("årstal", "dag_i_måneden", "er_hverdag"):
            if arity(1):
                self.need(e.args[0], args[0], t.DATE)
            return t.BOOL if name == "er_hverdag" else t.INT
        if name == "målopfyldelse":
            arity(0)
            for goal in self.model.goals:
                self.model.deps.setdefault(self.owner, set()).add(goal)
            return t.ListOf(GOAL_REPORT)
        if name == "hverdage_mellem":
            if arity(2):
                self.need(e.args[0], args[0], t.DATE)
                self.need(e.args[1], args[1], t.DATE)
            return t.INT
        raise AssertionError(name)


_LITERAL_TYPES: dict[str, t.Type] = {
    "int": t.INT,
    "number": t.NUMBER,
    "percent": t.PERCENT,
    "money": t.MONEY,
    "string": t.TEXT,
    "date": t.DATE,
    "bool": t.BOOL,
    "null": t.NULL,
    "duration": t.DURATION,
}


def _ordered(typ: t.Type) -> bool:
    typ = t.strip(typ)
    return isinstance(typ, t.Num | t.Unknown) or typ == t.DATE


def _unit_hint(actual: t.Type, wanted: t.Type) -> str | None:
    a, w = t.strip(actual), t.strip(wanted)
    if isinstance(a, t.Num) and isinstance(w, t.Num) and a.unit != w.unit:
        unit = {None: "a plain number", "%": "a percentage (25 %)", "kr": "an amount (1500 kr)", "brøk": "a share"}
        return f"the units differ: write {unit[w.unit]}"
    return None


def _type_names(ref: n.TypeRef) -> Iterator[str]:
    if isinstance(ref, n.TName):
        yield ref.name
    elif isinstance(ref, n.TList):
        yield from _type_names(ref.elem)
    elif isinstance(ref, n.TMap):
        yield from _type_names(ref.value)
    elif isinstance(ref, n.TOptional):
        yield from _type_names(ref.inner)


def _source(e: Any, sources: dict[str, str]) -> str:
    text = sources.get(e.span.path, "")
    return text[e.span.start : e.span.end] if e.span.end > e.span.start else "?"


# ---------------------------------------------------------------- table analysis helpers


def constant(e: Any, refs: dict[int, Ref] | None = None) -> Any:
    """The value of a constant cell expression (a literal, a negated or divided number, an enum
    member written bare), or None."""
    if isinstance(e, n.Literal):
        return e.value if e.kind != "null" else None
    if isinstance(e, n.Name) and refs is not None:
        ref = refs.get(id(e))
        return e.name if ref is not None and ref.kind == "member" else None
    if isinstance(e, n.Unary) and e.op == "-":
        inner = constant(e.operand)
        return -inner if isinstance(inner, int | Fraction) else None
    if isinstance(e, n.Binary) and e.op == "/":
        a, b = constant(e.left), constant(e.right)
        if isinstance(a, int | Fraction) and isinstance(b, int | Fraction) and b != 0:
            return Fraction(a) / Fraction(b)
    return None


def _domain(typ: t.Type, cells: list[n.Cell]) -> list[Any] | None:
    """Sample points, one for each region of the input's domain the cells cannot tell apart."""
    typ = t.strip(typ)
    if isinstance(typ, t.Enum):
        return list(typ.members)
    if typ == t.BOOL:
        return [True, False]
    if not (isinstance(typ, t.Num) or typ == t.DATE):
        return None if any(not isinstance(c, n.CellAny) for c in cells) else ["-"]
    points: set[Any] = set()
    for c in cells:
        for e in _cell_exprs(c):
            value = constant(e)
            if value is None:
                return None
            points.add(value)
    if typ == t.DATE:
        import datetime as dt

        ordered = sorted(points)
        samples: list[Any] = []
        for p in ordered:
            samples.append(p)
            for step in (-1, 1):
                with contextlib.suppress(OverflowError):  # 0001-01-01 and 9999-12-31 have no day beyond
                    samples.append(p + dt.timedelta(days=step))
        return samples or ["-"]
    ordered_nums = sorted(Fraction(p) for p in points)
    samples = []
    if not ordered_nums:
        return ["-"]
    samples.append(ordered_nums[0] - 1)
    for a, b in itertools.pairwise(ordered_nums):
        samples += [a, (a + b) / 2]
    samples += [ordered_nums[-1], ordered_nums[-1] + 1]
    if isinstance(typ, t.Num) and typ.integer:
        low = typ.low if typ.low is not None else None
        high = typ.high if typ.high is not None else None
        # an integer for each region the boundaries cut, the declared bounds included
        ints: set[int] = {b for b in (low, high) if b is not None}
        for s in samples:
            for cand in (int(s // 1), int(-(-s // 1))):
                if (low is None or cand >= low) and (high is None or cand <= high):
                    ints.add(cand)
        return sorted(ints)
    return samples


def _cell_exprs(c: n.Cell) -> list[Any]:
    if isinstance(c, n.CellCompare):
        return [c.value]
    if isinstance(c, n.CellRange):
        return [c.low, c.high]
    if isinstance(c, n.CellValues):
        return list(c.values)
    return []


def _matches(c: n.Cell, point: Any, refs: dict[int, Ref]) -> bool:
    if isinstance(c, n.CellAny) or point == "-":
        return True
    if isinstance(c, n.CellValues):
        return any(constant(v, refs) == point for v in c.values)
    if isinstance(c, n.CellCompare):
        return compare(c.op, point, constant(c.value))
    if isinstance(c, n.CellRange):
        low, high = constant(c.low), constant(c.high)
        return bool(low <= point and (point <= high if c.closed else point < high))
    return False


def compare(op: str, a: Any, b: Any) -> bool:
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def _show(value: Any) -> str:
    if isinstance(value, Fraction):
        return t.show_number(value)
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
