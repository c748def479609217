"""A checked Model → closures. Evaluation calls closures; it never walks the syntax tree again.

Missing facts raise Unknown; `og`/`eller` and quantifiers follow Kleene's three-valued logic,
so an answer that is decided without a fact never asks for it. An explanation is recorded
only when the Env carries a Trace.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.checker import Model, compare, constant
from almen.interpreter import calendar
from almen.interpreter.errors import EvaluationError, NoRuleApplies, conflict
from almen.interpreter.explanation import Node, Trace
from almen.interpreter.values import Duration, FactRecord, Missing, Unknown, WheelRef
from almen.interpreter.wheels import CException, CLetting, CompiledWheel, CPeriod, CSlot

Thunk = Callable[["Env"], Any]


class Env:
    """What one evaluation sees: the facts, the decision date, memos, locals, maybe a trace."""

    __slots__ = ("date", "facts", "locals", "memo", "nodes", "pinned", "program", "trace")

    def __init__(self, program: Program, facts: dict[str, Any], date: dt.date, trace: Trace | None):
        self.program = program
        self.facts = facts
        self.date = date
        self.memo: dict[Any, Any] = {}  # named values by name, calls by (name, *arguments)
        self.nodes: dict[Any, Node] = {}
        self.trace = trace
        self.locals: dict[str, Any] = {}
        self.pinned: list[Any] = []


def _both(fa: Thunk, fb: Thunk, env: Env) -> tuple[Any, Any]:
    """Evaluate two operands; if either is unknown, report what both still need."""
    try:
        a = fa(env)
    except Unknown as ua:
        try:
            fb(env)
        except Unknown as ub:
            raise Unknown(ua.needs | ub.needs) from None
        raise
    return a, fb(env)


def _all(thunks: list[Thunk], env: Env) -> list[Any]:
    values, needs = [], frozenset[str]()
    for f in thunks:
        try:
            values.append(f(env))
        except Unknown as u:
            needs |= u.needs
    if needs:
        raise Unknown(needs)
    return values


class Program:
    """Every named value of a policy, compiled."""

    def __init__(self, model: Model):
        self.model = model
        self.month_rule = model.policy.month_rule if model.policy else None
        self.values: dict[str, Thunk] = {}
        self.functions: dict[str, tuple[tuple[str, ...], Thunk]] = {}
        self.wheels: dict[str, CompiledWheel] = {}
        self.sources = model.sources
        for name, d in model.definitions.items():
            if d.params:
                self.functions[name] = (tuple(p.name for p in d.params), self.expr(d.body))
            else:
                self.values[name] = self.named("definition", name, d.meta, d.span, self.expr(d.body))
        for name, dec in model.decisions.items():
            body = self.expr(dec.body) if dec.body is not None else self.rules(dec, model.rules.get(name, []))
            self.values[name] = self.named("beslutning", name, dec.meta, dec.span, body)
        for name, table in model.tables.items():
            self.values[name] = self.named(table.kind, name, table.meta, table.span, self.table(table))
        for name, wheel in model.wheels.items():
            self.wheels[name] = self.wheel(wheel)
        # a parameter's dated values are constants: computed once, not on every read
        self.param_values = {id(v): self.literal_value(v.value) for p in model.params.values() for v in p.values}

    def text(self, node: Any) -> str:
        source = self.sources.get(node.span.path, "")
        return " ".join(source[node.span.start : node.span.end].split())

    # ---------------------------------------------------------------- named values
    def named(self, kind: str, name: str, meta: n.Meta, span: n.Span, evaluate: Thunk) -> Thunk:
        def run(env: Env) -> Any:
            memo = env.memo
            if name in memo:
                value = memo[name]
                if env.trace is not None and name in env.nodes:
                    first = env.nodes[name]  # explained where first used; here only a reference
                    env.trace.attach(
                        Node(kind, name, meta.citations, (), span, "se ovenfor", first.outcome, first.status)
                    )
                if type(value) is Unknown:
                    raise value
                return value
            if env.trace is None:
                try:
                    value = evaluate(env)
                except Unknown as u:
                    memo[name] = u
                    raise
                memo[name] = value
                return value
            node = env.trace.open(
                Node(kind, name, meta.citations, meta.notes, span, type=self.model.value_types.get(name))
            )
            env.nodes[name] = node
            try:
                value = evaluate(env)
            except Unknown as u:
                node.status = "undetermined"
                memo[name] = u
                raise
            finally:
                env.trace.close()
            node.outcome = value
            memo[name] = value
            return value

        return run

    # ---------------------------------------------------------------- default logic
    def rules(self, decision: n.Decision, rules: list[n.Rule]) -> Thunk:
        children: dict[str | None, list[n.Rule]] = {}
        for rule in rules:
            children.setdefault(rule.exception_to, []).append(rule)
        conds = {r.label: self.expr(r.condition) if r.condition is not None else None for r in rules}
        result_type = self.model.value_types.get(decision.name)
        values = {r.label: self.expr(r.consequence) for r in rules}

        def tree(rule: n.Rule, env: Env) -> tuple[n.Rule, Any] | None:
            """The value a rule gives, after its exceptions had their say; None if it does not apply.

            An exception lives inside the rule it excepts: it is only looked at where that
            rule's condition holds, so it never asks for facts outside the rule's scope.
            """
            node = None
            if env.trace is not None:
                kind = "undtagelse" if rule.exception_to else "regel"
                node = env.trace.open(
                    Node(kind, rule.name, rule.meta.citations, rule.meta.notes, rule.span, type=result_type)
                )
            try:
                cond = conds[rule.label]
                if cond is not None and not self.condition(cond, rule, env):
                    if node is not None:
                        node.status = "not applicable"
                    return None
                winner = one_of(children.get(rule.label, ()), env)
                if winner is not None:
                    if node is not None:
                        node.status = "overridden"
                    return winner
                value = values[rule.label](env)
            except Unknown:
                if node is not None:
                    node.status = "undetermined"
                raise
            finally:
                if node is not None and env.trace is not None:
                    env.trace.close()
            if node is not None:
                node.outcome = value
            return rule, value

        def one_of(candidates: Any, env: Env) -> tuple[n.Rule, Any] | None:
            """The one rule among `candidates` that applies, or None; two that apply conflict."""
            found, needs = [], frozenset[str]()
            for rule in candidates:
                try:
                    result = tree(rule, env)
                except Unknown as u:
                    needs |= u.needs
                    continue
                if result is not None:
                    found.append(result)
            if len(found) > 1:
                raise conflict(f"'{decision.name}'", [r for r, _ in found])
            if needs:
                raise Unknown(needs)
            return found[0] if found else None

        roots = children.get(None, [])

        def evaluate(env: Env) -> Any:
            winner = one_of(roots, env)
            if winner is None:
                raise NoRuleApplies(
                    decision.span,
                    f"no rule of '{decision.name}' applies to these facts",
                    "add a rule for this case",
                    [(r.span, f"'{r.name}' does not apply") for r in roots],
                )
            return winner[1]

        return evaluate

    def condition(self, cond: Thunk, rule: Any, env: Env) -> bool:
        if env.trace is None:
            return bool(cond(env))
        node = env.trace.open(
            Node("betingelse", rule.name, rule.meta.citations, (), rule.span, self.text(rule.condition))
        )
        try:
            value = bool(cond(env))
        except Unknown:
            node.status = "undetermined"
            raise
        finally:
            env.trace.close()
        node.outcome = value
        return value

    # ---------------------------------------------------------------- decision tables
    def table(self, table: n.Table) -> Thunk:
        inputs = [self.expr(e) for e in table.inputs]
        rows = [(row, [_cell(c, self.model.refs) for c in row.cells], self.expr(row.output)) for row in table.rows]

        def evaluate(env: Env) -> Any:
            values: list[Any] = []
            needs = frozenset[str]()
            for f in inputs:
                try:
                    values.append(f(env))
                except Unknown as u:
                    values.append(u)
                    needs |= u.needs
            sure: list[tuple[n.Row, Thunk]] = []
            maybe: list[tuple[n.Row, Thunk]] = []
            for row, cells, output in rows:
                status: bool | None = True
                for test, value in zip(cells, values, strict=True):
                    if test is None:
                        continue
                    if type(value) is Unknown:
                        status = None
                    elif not test(value):
                        status = False
                        break
                if status is True:
                    sure.append((row, output))
                    if table.hit == "første" and not maybe:
                        break
                elif status is None:
                    maybe.append((row, output))
            if sure and (not maybe or table.hit == "unik"):
                row, output = sure[0]
            elif maybe and len({r.output for r, _ in maybe + sure}) == 1:
                row, output = (sure or maybe)[0]  # every row that could apply gives the same
            elif maybe:
                raise Unknown(needs)
            else:
                raise NoRuleApplies(table.span, f"no row of table '{table.name}' applies to these facts")
            if env.trace is not None:
                env.trace.attach(
                    Node("række", table.name, table.meta.citations, row.notes, row.span, self.text(row), True)
                )
            return output(env)

        return evaluate

    # ---------------------------------------------------------------- letting wheels
    def wheel(self, wheel: n.Wheel) -> CompiledWheel:
        members = self.model.enums[wheel.letting_type].members
        excs = self.model.slot_exceptions.get(wheel.name, [])
        periods = []
        for period in wheel.periods:
            slots = tuple(self.slot(s.number, s.value, s) for s in sorted(period.slots, key=lambda s: s.number))
            exceptions: dict[int, tuple[CException, ...]] = {}
            for exc in excs:
                if exc.period in (None, period.label):
                    c = CException(exc, self.expr(exc.condition), self.slot(exc.slot, exc.value, exc))
                    exceptions[exc.slot] = exceptions.get(exc.slot, ()) + (c,)
            periods.append(CPeriod(period, slots, exceptions))
        return CompiledWheel(wheel, members, tuple(sorted(periods, key=lambda p: p.node.start)))

    def slot(self, number: int, value: n.SlotValue, node: Any) -> CSlot:
        if isinstance(value, n.Alternating):
            return CSlot(number, self.chain(value.first), self.chain(value.second), node)
        return CSlot(number, self.chain(value), None, node)

    def chain(self, chain: n.Chain) -> tuple[CLetting, ...]:
        return tuple(self.letting(x) for x in chain.lettings)

    def letting(self, x: n.LettingChoice) -> CLetting:
        if isinstance(x, n.LettingIf):
            return CLetting(None, None, self.expr(x.cond), self.letting(x.then), self.letting(x.else_))
        return CLetting(x.member, self.expr(x.payload) if x.payload is not None else None)

    def place(self, wheel: CompiledWheel, vacancy: int, env: Env) -> dict[str, Any]:
        node = None
        if env.trace is not None:
            node = env.trace.open(Node("plads", wheel.node.name, wheel.node.meta.citations, (), wheel.node.span))
        try:
            place = wheel.place(vacancy, env)
        finally:
            if env.trace is not None:
                env.trace.close()
        (member, payload), fallback = place.chain[0], [m for m, _ in place.chain[1:]]
        if node is not None:
            period = next(p for p in wheel.periods if p.node.label == place.period)
            slot = period.slots[place.slot - 1].node
            node.text = f"periode {place.period}, plads {place.slot}, tur {place.turn + 1}"
            node.notes = wheel.node.meta.notes + tuple(getattr(slot, "notes", ()))
            node.outcome = member
        return {
            "plads": place.slot,
            "periode": place.period,
            "type": member,
            "fallback": tuple(fallback),
            "kriterier": tuple(payload),
        }

    def shares(self, wheel: CompiledWheel, env: Env) -> dict[str, Fraction]:
        if env.trace is None:
            return wheel.shares(env)
        node = env.trace.open(
            Node("hjul", wheel.node.name, wheel.node.meta.citations, wheel.node.meta.notes, wheel.node.span)
        )
        try:
            shares = wheel.shares(env)
        finally:
            env.trace.close()
        period = wheel.period(env)
        node.text = f"periode {period.node.label}"
        node.notes += tuple(note for slot in period.node.slots for note in slot.notes)
        node.outcome = shares
        return shares

    # ---------------------------------------------------------------- parameters
    def parameter(self, name: str, env: Env) -> Any:
        decl = self.model.params[name]
        current = None
        for value in decl.values:
            if value.start <= env.date:
                current = value
        if current is None:
            raise EvaluationError(
                decl.span,
                f"parameter '{name}' has no value on {env.date} (its first value is from {decl.values[0].start})",
            )
        result = self.param_values[id(current)]
        if env.trace is not None:
            cites = (current.citation,) if current.citation else decl.meta.citations
            env.trace.attach(
                Node(
                    "parameter",
                    name,
                    cites,
                    decl.meta.notes + current.notes,
                    current.span,
                    f"fra {current.start}",
                    result,
                )
            )
        return result

    def literal_value(self, e: Any) -> Any:
        constant: Any = self.expr(e)
        return constant(None)  # parameter values and defaults are constants: they never read the env

    # ---------------------------------------------------------------- expressions
    def expr(self, e: Any) -> Thunk:
        compile_ = getattr(self, "_" + type(e).__name__)
        thunk: Thunk = compile_(e)
        return thunk

    def _Literal(self, e: n.Literal) -> Thunk:
        value: Any = e.value
        if e.kind == "duration":
            value = Duration(int(e.value), e.unit or "dage")
        elif e.kind in ("number", "percent", "money"):
            value = Fraction(e.value)
            value = int(value) if value.denominator == 1 else value
        return lambda env: value

    def _Name(self, e: n.Name) -> Thunk:
        ref = self.model.refs[id(e)]
        name = ref.name
        if ref.kind == "local":
            return lambda env: env.locals[name]
        if ref.kind == "fact":

            def fact(env: Env) -> Any:
                value = env.facts[name]
                if type(value) is Missing:
                    raise Unknown(frozenset((value.path,)))
                if env.trace is not None and type(value) is not FactRecord and type(value) is not tuple:
                    env.trace.read(name, value)
                return value

            return fact
        if ref.kind == "parameter":
            return lambda env: self.parameter(name, env)
        if ref.kind in ("definition", "decision", "table"):
            values = self.values
            return lambda env: values[name](env)
        if ref.kind == "wheel":
            wheel = WheelRef(name)
            return lambda env: wheel
        if ref.kind == "member":
            return lambda env: name
        return lambda env: env.date  # beslutningsdato

    def _Field(self, e: n.Field) -> Thunk:
        obj, name = self.expr(e.obj), e.name
        notes = self.field_notes(e)

        def get(env: Env) -> Any:
            o = obj(env)
            if type(o) is FactRecord:
                value = o.value(name)
                if type(value) is Missing:
                    raise Unknown(frozenset((value.path,)))
                if env.trace is not None and type(value) is not FactRecord:
                    env.trace.read(f"{o.path}.{name}", value, notes)
                return value
            return o[name]

        return get

    def field_notes(self, e: n.Field) -> tuple[str, ...]:
        """Interpretation notes on the fact field read here: how the fact is to be understood."""
        record = t.strip(self.model.type_of(e.obj))
        decl = self.model.record_decls.get(record.name or "") if isinstance(record, t.Record) else None
        field = next((f for f in decl.fields if f.name == e.name), None) if decl else None
        return field.notes if field else ()

    def _Call(self, e: n.Call) -> Thunk:
        ref = self.model.refs[id(e)]
        args = [self.expr(a) for a in e.args]
        if ref.kind == "definition":
            return self.call_definition(e.name, args)
        return getattr(self, "builtin_" + e.name)(e, args)

    def call_definition(self, name: str, args: list[Thunk]) -> Thunk:
        """A definition with parameters: evaluated once per distinct arguments in one decision."""
        decl = self.model.definitions[name]
        params = tuple(p.name for p in decl.params)
        functions = self.functions  # filled in after every body is compiled: a call may come first

        def call(env: Env) -> Any:
            body = functions[name][1]
            values = _all(args, env)
            key = (name, *(_identity(v) for v in values))
            memo = env.memo
            if key in memo:
                result = memo[key]
                if env.trace is not None and key in env.nodes:
                    first = env.nodes[key]
                    env.trace.attach(
                        Node(
                            "definition",
                            name,
                            decl.meta.citations,
                            (),
                            decl.span,
                            "se ovenfor",
                            first.outcome,
                            first.status,
                        )
                    )
                if type(result) is Unknown:
                    raise result
                return result
            env.pinned.append(values)  # keeps identity keys unique: no argument is freed and its id reused
            saved = env.locals
            env.locals = dict(zip(params, values, strict=True))
            node = None
            if env.trace is not None:
                node = env.trace.open(Node("definition", name, decl.meta.citations, decl.meta.notes, decl.span))
                env.nodes[key] = node
            try:
                result = body(env)
            except Unknown as u:
                memo[key] = u
                if node is not None:
                    node.status = "undetermined"
                raise
            finally:
                env.locals = saved
                if node is not None and env.trace is not None:
                    env.trace.close()
            memo[key] = result
            if node is not None:
                node.outcome = result
            return result

        return call

    # ---- builtins
    def builtin_andele(self, e: n.Call, args: list[Thunk]) -> Thunk:
        return lambda env: self.shares(self.wheels[args[0](env).name], env)

    def builtin_plads(self, e: n.Call, args: list[Thunk]) -> Thunk:
        def place(env: Env) -> Any:
            wheel, vacancy = _both(args[0], args[1], env)
            return self.place(self.wheels[wheel.name], vacancy, env)

        return place

    def builtin_målopfyldelse(self, e: n.Call, args: list[Thunk]) -> Thunk:
        goals = [
            (g, self.expr(g.measure), self.optional(g.target), self.optional(g.baseline and g.baseline.value))
            for g in self.model.goals.values()
            if g.measure is not None  # the checker refuses a goal without one
        ]

        def report(env: Env) -> tuple[dict[str, Any], ...]:
            return tuple(self.goal(g, m, tgt, base, env) for g, m, tgt, base in goals)

        return report

    def optional(self, e: Any) -> Thunk | None:
        return self.expr(e) if e is not None else None

    def goal(self, g: n.Goal, measure: Thunk, target: Thunk | None, baseline: Thunk | None, env: Env) -> dict[str, Any]:
        """One key figure: its value against its baseline or target, or what is missing to tell."""
        unit = t.strip(self.model.type_of(g.measure))
        shown: dict[str, Any] = {}
        needs = frozenset[str]()
        node = env.trace.open(Node("mål", g.name, g.meta.citations, g.meta.notes, g.span)) if env.trace else None
        failure = None
        try:
            for key, thunk in (("værdi", measure), ("målværdi", target), ("basislinje", baseline)):
                if thunk is None:
                    continue
                try:
                    shown[key] = thunk(env)
                except Unknown as u:
                    needs |= u.needs
        except EvaluationError as err:  # one broken figure does not hide the others
            failure = f"{err.path}:{err.line}: {err.message}"
        finally:
            if env.trace is not None:
                env.trace.close()
        status = "fejl" if failure else "uafklaret" if needs else _goal_status(g.direction, shown)
        if node is not None:
            node.outcome, node.text = status, f"retning {g.direction}"
            node.inputs.update(
                (key, _figure(shown[key], unit)) for key in ("værdi", "basislinje", "målværdi") if key in shown
            )
            node.status = "determined"
        return {
            "mål": g.name,
            "titel": g.meta.title,
            "tjener": tuple(g.serves),
            "retning": g.direction,
            **{key: _figure(shown.get(key), unit) for key in ("værdi", "basislinje")},
            "basislinje_pr": g.baseline.date.isoformat() if g.baseline is not None else None,
            "målværdi": _figure(shown.get("målværdi"), unit),
            "status": status,
            "mangler": tuple(sorted(needs)),
            "fejl": failure,
            "kilde": "; ".join(c.source for c in g.meta.citations),
        }

    def builtin_længde(self, e: n.Call, args: list[Thunk]) -> Thunk:
        return lambda env: len(args[0](env))

    def builtin_tom(self, e: n.Call, args: list[Thunk]) -> Thunk:
        return lambda env: len(args[0](env)) == 0

    def builtin_uden_intet(self, e: n.Call, args: list[Thunk]) -> Thunk:
        return lambda env: tuple(x for x in args[0](env) if x is not None)

    def builtin_sum(self, e: n.Call, args: list[Thunk]) -> Thunk:
        return lambda env: sum(args[0](env), 0)

    def builtin_min(self, e: n.Call, args: list[Thunk]) -> Thunk:
        return lambda env: min(_all(args, env))

    def builtin_max(self, e: n.Call, args: list[Thunk]) -> Thunk:
        return lambda env: max(_all(args, env))

    def builtin_årstal(self, e: n.Call, args: list[Thunk]) -> Thunk:
        return lambda env: args[0](env).year

    def builtin_dag_i_måneden(self, e: n.Call, args: list[Thunk]) -> Thunk:
        return lambda env: args[0](env).day

    def builtin_er_hverdag(self, e: n.Call, args: list[Thunk]) -> Thunk:
        return lambda env: calendar.is_working_day(args[0](env))

    def builtin_hverdage_mellem(self, e: n.Call, args: list[Thunk]) -> Thunk:
        def between(env: Env) -> int:
            a, b = _both(args[0], args[1], env)
            return calendar.working_days_between(a, b)

        return between

    # ---- operators
    def _Unary(self, e: n.Unary) -> Thunk:
        operand = self.expr(e.operand)
        if e.op == "ikke":
            return lambda env: not operand(env)
        return lambda env: -operand(env)

    def _Binary(self, e: n.Binary) -> Thunk:
        left, right = self.expr(e.left), self.expr(e.right)
        lt, rt = t.strip(self.model.type_of(e.left)), t.strip(self.model.type_of(e.right))
        op, span, month_rule = e.op, e.span, self.month_rule
        if lt == t.DATE and rt == t.DURATION:

            def shift(env: Env) -> dt.date:
                day, duration = _both(left, right, env)
                if day is None:
                    raise EvaluationError(span, "cannot compute with intet", "check for intet first")
                amount = duration.amount if op == "+" else -duration.amount
                try:
                    return _shift(day, amount, duration.unit, month_rule)
                except calendar.MonthError as err:
                    raise EvaluationError(span, str(err), "declare 'månedsregel sidste_dag' in the header") from None
                except (OverflowError, ValueError):
                    raise EvaluationError(span, f"{day} + {amount} {duration.unit} is outside the calendar") from None

            return shift
        if lt == t.DATE and rt == t.DATE:
            return lambda env: _days(*_both(left, right, env))
        if isinstance(lt, t.ListOf):

            def concat(env: Env) -> tuple[Any, ...]:
                a, b = _both(left, right, env)
                return tuple(a) + tuple(b)

            return concat
        # a percentage of an amount is an amount: 55 % of 41 644 kr is 22 904.20 kr; 2 × 25 % stays 50 %
        scale = Fraction(1, 100) if op == "*" and {_unit(lt), _unit(rt)} == {"%", "kr"} else None

        def arith(env: Env) -> Any:
            a, b = _both(left, right, env)
            if a is None or b is None:
                raise EvaluationError(span, "cannot compute with intet", "check for intet first")
            if op == "+":
                return _norm(a + b)
            if op == "-":
                return _norm(a - b)
            if op == "*":
                return _norm(a * b * scale if scale else a * b)
            if b == 0:
                raise EvaluationError(span, "division by zero", "guard the division with hvis … så … ellers …")
            return _norm(Fraction(a) / Fraction(b))

        return arith

    def _Compare(self, e: n.Compare) -> Thunk:
        left, right, op, span = self.expr(e.left), self.expr(e.right), e.op, e.span
        test = _OPERATORS[op]
        ordering = op not in ("=", "!=")

        def cmp(env: Env) -> bool:
            a, b = _both(left, right, env)
            if ordering and (a is None or b is None):
                raise EvaluationError(span, "cannot order intet", "check for intet before comparing")
            return bool(test(a, b))

        return cmp

    def _BoolOp(self, e: n.BoolOp) -> Thunk:
        left, right = self.expr(e.left), self.expr(e.right)
        stop = e.op == "eller"  # the value that decides alone: true for 'eller', false for 'og'

        def kleene(env: Env) -> bool:
            try:
                a = left(env)
            except Unknown as ua:
                try:
                    b = right(env)
                except Unknown as ub:
                    raise Unknown(ua.needs | ub.needs) from None
                if bool(b) is stop:
                    return stop
                raise
            if bool(a) is stop:
                return stop
            return bool(right(env))

        return kleene

    def _Member(self, e: n.Member) -> Thunk:
        elem, coll, negated = self.expr(e.elem), self.expr(e.coll), e.negated

        def member(env: Env) -> bool:
            a, b = _both(elem, coll, env)
            return (a in b) is not negated

        return member

    def _Between(self, e: n.Between) -> Thunk:
        parts = [self.expr(e.value), self.expr(e.low), self.expr(e.high)]

        def between(env: Env) -> bool:
            value, low, high = _all(parts, env)
            return bool(low <= value <= high)

        return between

    def _If(self, e: n.If) -> Thunk:
        cond, then, else_ = self.expr(e.cond), self.expr(e.then), self.expr(e.else_)
        return lambda env: then(env) if cond(env) else else_(env)

    def _Quantifier(self, e: n.Quantifier) -> Thunk:
        coll, var = self.expr(e.coll), e.var
        where = self.expr(e.where) if e.where is not None else None
        body = self.expr(e.body)
        every = e.kind == "alle"
        negate = e.kind == "ingen"

        def quantify(env: Env) -> bool:
            items = coll(env)
            saved = env.locals
            env.locals = dict(saved)
            needs = frozenset[str]()
            try:
                for item in items:
                    env.locals[var] = item
                    try:
                        counts = where(env) if where is not None else True
                    except Unknown as u:
                        counts = u
                    if counts is False:
                        continue
                    try:
                        holds = bool(body(env))
                    except Unknown as u:
                        needs |= u.needs | (counts.needs if type(counts) is Unknown else frozenset())
                        continue
                    if type(counts) is Unknown:
                        # the item may not count at all: decisive only if it would not change the result
                        if holds is every:
                            continue
                        needs |= counts.needs
                        continue
                    if holds is not every:
                        return (not every) is not negate
            finally:
                env.locals = saved
            if needs:
                raise Unknown(needs)
            return every is not negate

        return quantify

    def _Count(self, e: n.Count) -> Thunk:
        coll, var = self.expr(e.coll), e.var
        where = self.expr(e.where) if e.where is not None else None
        if where is None:
            return lambda env: len(coll(env))
        return lambda env: sum(bool(x) for x in _over(env, coll(env), var, where))

    def _Sort(self, e: n.Sort) -> Thunk:
        coll, var = self.expr(e.coll), e.var
        keys = [self.expr(k) for k in (e.key.items if isinstance(e.key, n.ListLit) else (e.key,))]

        def keyed(env: Env) -> tuple[tuple[Any, ...], Any]:
            return tuple(_all(keys, env)), env.locals[var]

        def sort(env: Env) -> tuple[Any, ...]:
            pairs = _over(env, coll(env), var, keyed)
            pairs.sort(key=lambda pair: pair[0])  # stable: equal keys keep the facts' order
            return tuple(item for _, item in pairs)

        return sort

    def _Each(self, e: n.Each) -> Thunk:
        coll, var, body = self.expr(e.coll), e.var, self.expr(e.body)
        where = self.expr(e.where) if e.where is not None else None

        def kept(env: Env) -> Any:
            return body(env) if where is None or where(env) else _SKIP

        return lambda env: tuple(x for x in _over(env, coll(env), var, kept) if x is not _SKIP)

    def _Mapping(self, e: n.Mapping) -> Thunk:
        coll, var, key, value = self.expr(e.coll), e.var, self.expr(e.key), self.expr(e.value)
        return lambda env: dict(_over(env, coll(env), var, lambda env: _both(key, value, env)))

    def _ListLit(self, e: n.ListLit) -> Thunk:
        items = [self.expr(x) for x in e.items]
        return lambda env: tuple(_all(items, env))

    def _RecordLit(self, e: n.RecordLit) -> Thunk:
        keys = [k for k, _ in e.items]
        values = [self.expr(v) for _, v in e.items]
        return lambda env: dict(zip(keys, _all(values, env), strict=True))


_SKIP = object()


def _over(env: Env, items: Any, var: str, fn: Thunk) -> list[Any]:
    """`fn` for each item bound to `var`; what any item still needs is collected, not stopped at."""
    saved = env.locals
    env.locals = dict(saved)
    out, needs = [], frozenset[str]()
    try:
        for item in items:
            env.locals[var] = item
            try:
                out.append(fn(env))
            except Unknown as u:
                needs |= u.needs
    finally:
        env.locals = saved
    if needs:
        raise Unknown(needs)
    return out


def _goal_status(direction: str, shown: dict[str, Any]) -> str:
    value = shown["værdi"]
    if direction == "følges":
        return "følges"  # a figure the agreement only asks to follow: no verdict
    reference = shown.get("målværdi", shown.get("basislinje"))
    if reference is None:
        return "uafklaret"
    if direction == "skal nå":
        start = shown.get("basislinje")
        rising = start is None or reference >= start
        ok = value >= reference if rising else value <= reference
    else:
        ok = {
            "skal falde": value < reference,
            "skal stige": value > reference,
            "må ikke stige": value <= reference,
            "må ikke falde": value >= reference,
        }[direction]
    return "på sporet" if ok else "ikke på sporet"


def _figure(value: Any, unit: t.Type) -> str | None:
    if value is None:
        return None
    from almen.interpreter.values import number_json

    shown = number_json(value, unit) if isinstance(unit, t.Num) else value
    return str(shown)


_OPERATORS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_PLAIN = frozenset((str, int, bool, Fraction, dt.date, type(None)))


def _identity(value: Any) -> Any:
    """A memo key for an argument: plain values by value, records and lists by identity (they
    live as long as the evaluation, and their contents never change)."""
    if type(value) in _PLAIN:
        return value
    return ("id", id(value))


def _unit(typ: t.Type) -> str | None:
    return typ.unit if isinstance(typ, t.Num) else None


def _norm(x: Any) -> Any:
    if type(x) is Fraction and x.denominator == 1:
        return int(x)
    return x


def _days(a: dt.date, b: dt.date) -> int:
    return (a - b).days


def _shift(day: dt.date, amount: int, unit: str, month_rule: str | None) -> dt.date:
    if unit == "dage":
        return day + dt.timedelta(days=amount)
    if unit == "hverdage":
        return calendar.add_working_days(day, amount)
    if unit == "måneder":
        return calendar.add_months(day, amount, month_rule)
    return calendar.add_months(day, 12 * amount, month_rule)


def _cell(c: n.Cell, refs: dict[int, Any]) -> Callable[[Any], bool] | None:
    """A table cell as a test on the input's value (None: any value)."""
    if isinstance(c, n.CellAny):
        return None
    if isinstance(c, n.CellValues):
        options = [constant(v, refs) for v in c.values]
        return lambda value: value in options
    if isinstance(c, n.CellCompare):
        bound, op = constant(c.value), c.op
        return lambda value: compare(op, value, bound)
    low, high, closed = constant(c.low), constant(c.high), c.closed
    if closed:
        return lambda value: bool(low <= value <= high)
    return lambda value: bool(low <= value < high)
