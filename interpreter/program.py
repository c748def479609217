"""A checked Model → a Program: every named value of a policy compiled to closures. Evaluation
calls closures; it never walks the syntax tree again. The Program holds the default logic of
rules and exceptions, decision tables, parameters by date and calls of definitions; the
expressions are compiled by `expressions.Expressions`, wheels by `wheels`, goals by `goals`.
An explanation is recorded only when the Env carries a Trace.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from almen.dsl import nodes as n
from almen.dsl.check import Model
from almen.dsl.i18n import _
from almen.dsl.semantics import cell_test
from almen.interpreter import goals, wheels
from almen.interpreter.env import Env, Thunk, every
from almen.interpreter.errors import EvaluationError, NoRuleApplies, Unknown, conflict
from almen.interpreter.explanation import Node, Status
from almen.interpreter.expressions import Expressions
from almen.interpreter.wheels import CompiledWheel


class Program:
    """Every named value of a policy, compiled."""

    def __init__(self, model: Model):
        self.model = model
        self.month_rule = model.policy.month_rule if model.policy else None
        self.values: dict[str, Thunk] = {}
        self.functions: dict[str, tuple[tuple[str, ...], Thunk]] = {}
        self.wheels: dict[str, CompiledWheel] = {}
        self.sources = model.sources
        self.expr = Expressions(self)
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
            self.wheels[name] = wheels.compile_wheel(model, wheel, self.expr)
        self.goals = goals.compile_goals(model, self.expr)
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
                        Node(kind, name, meta.citations, (), span, _("see above"), first.outcome, first.status)
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
                node.status = Status.UNDETERMINED
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
                        node.status = Status.NOT_APPLICABLE
                    return None
                winner = one_of(children.get(rule.label, ()), env)
                if winner is not None:
                    if node is not None:
                        node.status = Status.OVERRIDDEN
                    return winner
                value = values[rule.label](env)
            except Unknown:
                if node is not None:
                    node.status = Status.UNDETERMINED
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
                raise conflict(f"'{decision.name}'", [r for r, _found in found])
            if needs:
                raise Unknown(needs)
            return found[0] if found else None

        roots = children.get(None, [])

        def evaluate(env: Env) -> Any:
            winner = one_of(roots, env)
            if winner is None:
                raise NoRuleApplies(
                    decision.span,
                    _("no rule of '{0}' applies to these facts").format(decision.name),
                    _("add a rule for this case"),
                    [(r.span, _("'{0}' does not apply").format(r.name)) for r in roots],
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
            node.status = Status.UNDETERMINED
            raise
        finally:
            env.trace.close()
        node.outcome = value
        return value

    # ---------------------------------------------------------------- decision tables
    def table(self, table: n.Table) -> Thunk:
        inputs = [self.expr(e) for e in table.inputs]
        rows = [(row, [cell_test(c) for c in row.cells], self.expr(row.output)) for row in table.rows]

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
            elif maybe and len({r.output for r, _how in maybe + sure}) == 1:
                row, output = (sure or maybe)[0]  # every row that could apply gives the same
            elif maybe:
                raise Unknown(needs)
            else:
                raise NoRuleApplies(table.span, _("no row of table '{0}' applies to these facts").format(table.name))
            if env.trace is not None:
                env.trace.attach(
                    Node("række", table.name, table.meta.citations, row.notes, row.span, self.text(row), True)
                )
            return output(env)

        return evaluate

    # ---------------------------------------------------------------- letting wheels
    def parameter(self, name: str, env: Env) -> Any:
        decl = self.model.params[name]
        current = None
        for value in decl.values:
            if value.start <= env.date:
                current = value
        if current is None:
            raise EvaluationError(
                decl.span,
                _("parameter '{0}' has no value on {1} (its first value is from {2})").format(
                    name, env.date, decl.values[0].start
                ),
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
    def call_definition(self, name: str, args: list[Thunk]) -> Thunk:
        """A definition with parameters: evaluated once per distinct arguments in one decision."""
        decl = self.model.definitions[name]
        params = tuple(p.name for p in decl.params)
        functions = self.functions  # filled in after every body is compiled: a call may come first
        construct = f"definition '{name}'"

        def call(env: Env) -> Any:
            body = functions[name][1]
            values = every(args, env)
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
                            _("see above"),
                            first.outcome,
                            first.status,
                        )
                    )
                if type(result) is Unknown:
                    raise result
                return result
            env.spend(1, decl.span, construct)
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
                    node.status = Status.UNDETERMINED
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

    # ---- what the wheel and goal builtins evaluate (see almen.dsl.builtins)
    def shares_of(self, wheel: Any, env: Env) -> dict[str, Fraction]:
        return wheels.shares(self.wheels[wheel.name], env)

    def place_of(self, wheel: Any, vacancy: int, env: Env) -> dict[str, Any]:
        return wheels.place(self.wheels[wheel.name], vacancy, env)

    def goal_report(self, env: Env) -> tuple[dict[str, Any], ...]:
        return goals.report(self.model, self.goals, env)


_PLAIN = frozenset((str, int, bool, Fraction, dt.date, type(None)))


def _identity(value: Any) -> Any:
    """A memo key for an argument: plain values by value, records and lists by identity (they
    live as long as the evaluation, and their contents never change)."""
    if type(value) in _PLAIN:
        return value
    return ("id", id(value))
