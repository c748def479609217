"""The generated-code tier: each decision of a checked Model as straight-line Python source.

The generated functions are two-valued: they assume every fact they read was given and is
usual. Whenever that is not so — a fact is absent (a KeyError on the facts), a value is intet
where a number is wanted, a division by zero, no rule or two rules apply, a construct this tier
does not compile (wheels, goals) — they raise, and `Policy.decide` answers with the three-valued
evaluator instead, so answers, `needs`, explanations and errors are the evaluator's own.

What the generated code may evaluate is never less than what the evaluator evaluates on the
same facts (every operand, every table input, every rule a decision has), so it cannot answer
where the evaluator would ask for a fact. The meaning of the pieces comes from the one
definition: operators are emitted from `semantics.COMPARISONS`, arithmetic goes through
`semantics.normal` and `percent_scale`, builtins call `BUILTINS[...].run`, table cells are
emitted from `semantics.constant` and the comparison table, dates move with `calendar.shift`.
Numbers are exact throughout, and no float reaches a comparison or an answer: whole numbers are
ints, decimal facts and constants are `Decimal`s (a comparison of two Decimals is exact and
much cheaper than one of Fractions), quotients are Fractions. Arithmetic on Decimals runs in
`EXACT`, a context that raises rather than rounds; the answer is given back as ints and
Fractions, exactly as the evaluator's.
"""

from __future__ import annotations

import datetime as dt
import decimal
import keyword
import operator
import unicodedata
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.builtins import BUILTINS
from almen.dsl.check import Model
from almen.dsl.semantics import COMPARISONS, constant, number_value, percent_scale
from almen.interpreter.errors import Slow, Unsupported
from almen.interpreter.generated import (
    _runtime,
    as_decimal,
    plain_type,
    whole_or_not_number,
)
from almen.interpreter.values import Duration

# The Python spelling of each comparison function of the semantics table.
_PY_OPERATOR: dict[Callable[[Any, Any], Any], str] = {
    operator.eq: "==",
    operator.ne: "!=",
    operator.lt: "<",
    operator.le: "<=",
    operator.gt: ">",
    operator.ge: ">=",
}


# what makes a definition worth remembering per arguments: it calls or loops
_WORK = (n.Call, n.Quantifier, n.Count, n.Sort, n.Each, n.Mapping)


class Unit:
    """One generated function: its source and what it uses."""

    def __init__(self, name: str, source: str, uses: set[str], consts: set[str], arith: bool):
        self.name, self.source, self.uses, self.consts = name, source, uses, consts
        self.arith = arith  # computes with Decimals: run it in the EXACT context


class Generator:
    """Emits the units of one policy; `source(decision)` is the readable module for one decision."""

    def __init__(self, model: Model):
        self.model = model
        self.month_rule = model.policy.month_rule if model.policy else None
        self.idents: dict[tuple[str, str], str] = {}
        self.taken: set[str] = set()
        self.consts: dict[str, Any] = {}  # name → value
        self.const_text: dict[str, str] = {}  # name → how it is written
        self.const_names: dict[Any, str] = {}
        self.units: dict[str, Unit] = {}
        self.unsupported: dict[str, str] = {}
        self._uses: set[str] = set()
        self._consts: set[str] = set()
        self._arith = False
        self.refs, self.calls = _references(model)
        self.children: dict[str | None, list[n.Rule]] = {}  # of the decision being written
        self.subst: dict[str, str] = {}  # parameters of a definition written in place: their arguments
        for name in model.params:
            self._unit(("p", name), self.parameter, name)
        for name, d in model.definitions.items():
            self._unit(("f" if d.params else "d", name), self.definition, d)
        for name, table in model.tables.items():
            self._unit(("d", name), self.table, table)
        for name, dec in model.decisions.items():
            self._unit(("d", name), self.decision, dec)
            self._unit(("decide", name), self.entry, name)

    # ---------------------------------------------------------------- names
    def ident(self, prefix: str, name: str) -> str:
        key = (prefix, name)
        if key not in self.idents:
            text = f"{prefix}_{name}"
            ok = text.isidentifier() and not keyword.iskeyword(text) and unicodedata.normalize("NFKC", text) == text
            if not ok or text in self.taken:
                text = f"{prefix}_{len(self.taken)}"
            self.taken.add(text)
            self.idents[key] = text
        return self.idents[key]

    def const(self, value: Any, shown: str | None = None) -> str:
        """A constant in the source: small ones written in place, others hoisted to a module name."""
        if value is None or isinstance(value, bool | int | str):
            return repr(value)
        if type(value) is Fraction:
            value = as_decimal(value)
        key = (type(value), value)
        if key not in self.const_names:
            name = f"C{len(self.const_names)}"
            self.const_names[key] = name
            self.consts[name] = value
            self.const_text[name] = _written(value) + (f"  # {shown}" if shown else "")
        name = self.const_names[key]
        self._consts.add(name)
        return name

    def _unit(self, key: tuple[str, str], make: Callable[[Any], str], what: Any) -> None:
        name = self.ident(*key)
        self._uses, self._consts, self._arith = set(), set(), False
        try:
            source = make(what)
        except Unsupported as why:
            self.unsupported[name] = str(why)
            self._uses = set()
            source = f"def {name}(*args):\n    # not compiled: {why}\n    raise Slow({str(why)!r})\n"
        self.units[name] = Unit(name, source, self._uses, self._consts, self._arith)

    def use(self, prefix: str, name: str) -> str:
        ident = self.ident(prefix, name)
        self._uses.add(ident)
        return ident

    # ---------------------------------------------------------------- units
    def entry(self, name: str) -> str:
        return f"def {self.ident('decide', name)}(F, D):\n    return {self.use('d', name)}(F, D, {{}})\n"

    def parameter(self, name: str) -> str:
        decl = self.model.params[name]
        lines = [f"def {self.ident('p', name)}(D):", f"    {_doc('parameter', name, decl.meta)}"]
        # the last value whose start has come, as Program.parameter picks it
        for value in reversed(decl.values):
            v = self.expr(value.value)
            lines += [f"    if D >= {self.const(value.start)}:", f"        return {v}"]
        lines.append("    raise Slow('no value on this date')")
        return "\n".join(lines) + "\n"

    def memo_calls(self, d: n.Definition) -> bool:
        """Remember a definition's results per arguments: it is called in more than one place and
        loops or calls what is not written in place (definitions form no cycles: the checker says so)."""
        if self.calls.get(d.name, 0) < 2:
            return False

        def works(x: Any) -> bool:
            if isinstance(x, _LOOPS):
                return True
            if isinstance(x, n.Call):
                callee = self.model.definitions.get(x.name)
                ref = self.model.ref_of(x)
                return callee is None or ref is None or ref.kind != "definition" or not self.inlinable(callee)
            return False

        return any(works(x) for x in d.body.walk())

    def inlinable(self, d: n.Definition) -> bool:
        """Small, not remembered, and binding no names of its own: it can be written where it is called."""
        nodes = list(d.body.walk())
        return len(nodes) <= 40 and not self.memo_calls(d) and not any(isinstance(x, _LOOPS) for x in nodes)

    def fixed_parameter(self, name: str) -> str | None:
        """A parameter with one value over the whole validity of the policy, written in place:
        `decide` refuses a date outside the validity before any generated code runs."""
        header = self.model.policy
        if header is None or header.valid_from is None or header.valid_to is None:
            return None
        values = self.model.params[name].values
        current = [v for v in values if v.start <= header.valid_from]
        later = [v for v in values if header.valid_from < v.start <= header.valid_to]
        if not current or later:
            return None
        return self.expr(current[-1].value)  # the last value whose start has come, as Program.parameter picks it

    def definition(self, d: n.Definition) -> str:
        body = self.expr(d.body)
        if d.params:
            names = [self.ident("v", p.name) for p in d.params]
            head = f"def {self.ident('f', d.name)}(F, D, M, {', '.join(names)}):"
            doc = _doc("definition", d.name, d.meta)
            if not self.memo_calls(d):
                return f"{head}\n    {doc}\n    return {body}\n"
            # computed once per distinct arguments in one decision, as Program.call_definition does;
            # records and lists by identity, kept alive in the memo so that no identity is reused
            parts = [f"id({v})" if self.by_identity(p.type) else v for v, p in zip(names, d.params, strict=True)]
            key = f"({d.name!r}, {', '.join(parts)})"
            lines = [head, f"    {doc}", f"    key = {key}", "    if key in M:", "        return M[key][0]"]
            lines += [f"    value = {body}", f"    M[key] = (value, {', '.join(names)})", "    return value"]
            return "\n".join(lines) + "\n"
        return self.memoized(self.ident("d", d.name), d.name, _doc("definition", d.name, d.meta), [], body)

    def by_identity(self, ref: Any) -> bool:
        """Records and lists are memo keys by identity; numbers, texts, dates by value."""
        if isinstance(ref, n.TOptional):
            return self.by_identity(ref.inner)
        return isinstance(ref, n.TList | n.TMap) or (isinstance(ref, n.TName) and ref.name in self.model.records)

    def memoized(self, ident: str, name: str, doc: str, lines: list[str], result: str) -> str:
        if self.refs.get(name, 0) < 2:  # read at most once per decision: nothing to remember
            return "\n".join([f"def {ident}(F, D, M):", f"    {doc}", *lines, f"    return {result}"]) + "\n"
        head = [f"def {ident}(F, D, M):", f"    {doc}", f"    if {name!r} in M:", f"        return M[{name!r}]"]
        tail = [f"    value = M[{name!r}] = {result}", "    return value"]
        return "\n".join(head + lines + tail) + "\n"

    def decision(self, dec: n.Decision) -> str:
        ident, doc = self.ident("d", dec.name), _doc("beslutning", dec.name, dec.meta)
        if dec.body is not None:
            return self.memoized(ident, dec.name, doc, [], self.expr(dec.body))
        rules = self.model.rules.get(dec.name, [])
        children: dict[str | None, list[n.Rule]] = {}
        for rule in rules:
            children.setdefault(rule.exception_to, []).append(rule)
        self.children = children
        # a rule with exceptions is a function of its own; one without is written in place
        helpers = [self.rule(dec, rule, children) for rule in rules if children.get(rule.label)]
        lines = [
            *self.one_of(dec, children.get(None, []), "    "),
            "    if found is None:",
            "        raise Slow('no rule applies')",
        ]
        return "\n".join(helpers) + "\n" + self.memoized(ident, dec.name, doc, lines, "found[0]")

    def one_of(self, dec: n.Decision, rules: list[n.Rule], indent: str) -> list[str]:
        """Every candidate evaluated, as the evaluator does; two that apply are a conflict."""
        lines = [f"{indent}found = None"]
        for k, r in enumerate(rules):
            conflict = [f"{indent}    if found is not None:", f"{indent}        raise Slow('conflicting rules')"]
            kind = "undtagelse" if r.exception_to else "regel"
            lines.append(f"{indent}# {kind} {r.name}" + (f" ({_cites(r.meta)})" if r.meta.citations else ""))
            if self.children.get(r.label):
                lines.append(f"{indent}r = {self.rule_ident(dec, r)}(F, D, M)")
                lines.append(f"{indent}if r is not None:")
                lines += (conflict if k else []) + [f"{indent}    found = r"]
                continue
            cond = f"if {self.expr(r.condition)}:" if r.condition is not None else "if True:"
            lines.append(f"{indent}{cond}")
            lines += (conflict if k else []) + [f"{indent}    found = ({self.expr(r.consequence)},)"]
        return lines

    def rule_ident(self, dec: n.Decision, rule: n.Rule) -> str:
        return self.ident("r", f"{dec.name}_{rule.label}")

    def rule(self, dec: n.Decision, rule: n.Rule, children: dict[str | None, list[n.Rule]]) -> str:
        kind = "undtagelse" if rule.exception_to else "regel"
        lines = [f"def {self.rule_ident(dec, rule)}(F, D, M):", f"    {_doc(kind, rule.name, rule.meta)}"]
        if rule.condition is not None:
            lines += [f"    if not ({self.expr(rule.condition)}):", "        return None"]
        exceptions = children.get(rule.label, [])
        if exceptions:
            lines += [*self.one_of(dec, exceptions, "    "), "    if found is not None:", "        return found"]
        lines.append(f"    return ({self.expr(rule.consequence)},)")
        return "\n".join(lines) + "\n"

    def table(self, table: n.Table) -> str:
        inputs = [self.expr(e) for e in table.inputs]
        names = [f"i{k}" for k in range(len(inputs))]
        lines = [f"    {', '.join(names)} = {', '.join(inputs)}"]
        # with every input known, the evaluator takes the first row whose cells all hold
        for row in table.rows:
            cells = [self.cell(c, v) for c, v in zip(row.cells, names, strict=True)]
            tests = [x for x in cells if x is not None]
            lines.append(f"    # {_oneline(self.model, row)}")
            lines.append(f"    if {' and '.join(tests) or 'True'}:")
            lines.append(f"        return {self.expr(row.output)}")
        lines.append("    raise Slow('no row applies')")
        ident = self.ident("d", table.name)
        body = "\n".join(lines) + "\n"
        doc = _doc(table.kind, table.name, table.meta)
        if self.refs.get(table.name, 0) < 2:
            return f"def {ident}(F, D, M):\n    {doc}\n" + body
        inner = f"def {ident}_rows(F, D, M):\n" + body + "\n\n"
        return inner + self.memoized(
            ident, table.name, _doc(table.kind, table.name, table.meta), [], f"{ident}_rows(F, D, M)"
        )

    def cell(self, c: n.Cell, v: str) -> str | None:
        """A cell as a test, written from its constants and the semantics' comparison table
        (`semantics.cell_test` is the same test as a closure; tests/test_codegen.py holds them equal)."""
        if isinstance(c, n.CellAny):
            return None
        if isinstance(c, n.CellValues):
            options = [self.const(constant(x)) for x in c.values]
            if len(options) == 1:
                return f"{v} == {options[0]}"
            return f"{v} in ({', '.join(options)})"
        if isinstance(c, n.CellCompare):
            return f"{v} {_PY_OPERATOR[COMPARISONS[c.op]]} {self.const(constant(c.value))}"
        low, high = self.const(constant(c.low)), self.const(constant(c.high))
        return f"{low} <= {v} {'<=' if c.closed else '<'} {high}"

    # ---------------------------------------------------------------- expressions
    def expr(self, e: Any) -> str:
        method: Callable[[Any], str] | None = getattr(self, f"e_{type(e).__name__}", None)
        if method is None:
            raise Unsupported(f"no fast form for {type(e).__name__}")
        return method(e)

    def e_Literal(self, e: n.Literal) -> str:
        if e.kind == n.LiteralKind.DURATION:
            return self.const(Duration(int(e.value), e.unit or "dage"))
        if e.kind in (n.LiteralKind.NUMBER, n.LiteralKind.PERCENT, n.LiteralKind.MONEY):
            value = number_value(e)
            return self.const(value, _oneline(self.model, e))
        return self.const(e.value)

    def e_Name(self, e: n.Name) -> str:
        ref = self.model.ref_of(e)
        if ref is None:
            raise Unsupported(f"unresolved name {e.name}")
        kind, name = ref.kind, ref.name
        if kind == "local":
            return self.subst.get(name) or self.ident("v", name)
        if kind == "fact":
            return f"F[{name!r}]"
        if kind == "parameter":
            fixed = self.fixed_parameter(name)
            return fixed if fixed is not None else f"{self.use('p', name)}(D)"
        if kind in ("definition", "decision", "table"):
            return f"{self.use('d', name)}(F, D, M)"
        if kind == "member":
            return repr(name)
        if kind == "wheel":
            raise Unsupported("letting wheels")
        return "D"  # beslutningsdato

    def e_Field(self, e: n.Field) -> str:
        return f"{self.expr(e.obj)}[{e.name!r}]"

    def e_Call(self, e: n.Call) -> str:
        ref = self.model.ref_of(e)
        args = ", ".join(self.expr(a) for a in e.args)
        if ref is not None and ref.kind == "definition":
            d = self.model.definitions[e.name]
            if self.inlinable(d) and all(_simple(a) for a in e.args):
                texts = [self.expr(a) for a in e.args]
                saved, self.subst = self.subst, {p.name: x for p, x in zip(d.params, texts, strict=True)}
                try:
                    return f"({self.expr(d.body)})"  # a small definition written in place
                finally:
                    self.subst = saved
            return f"{self.use('f', e.name)}(F, D, M, {args})"
        builtin = BUILTINS[e.name]
        if builtin.needs_env:
            raise Unsupported(f"the builtin {e.name} reads the evaluation")
        result = t.strip(self.model.type_of(e))
        # a builtin that gives a number that need not be whole may have computed it (sum)
        self._arith = self._arith or not whole_or_not_number(result) or isinstance(result, t.Unknown)
        name = self.ident("b", e.name)
        self.consts[name] = builtin.run
        self.const_text[name] = f"BUILTINS[{e.name!r}].run"
        self._consts.add(name)
        return f"{name}({args})"

    def e_Unary(self, e: n.Unary) -> str:
        operand = self.expr(e.operand)
        if e.op == "ikke":
            return f"(not {operand})"
        typ = t.strip(self.model.type_of(e.operand))
        self._arith = self._arith or not (isinstance(typ, t.Num) and typ.integer)
        return f"(-{operand})"

    def e_Binary(self, e: n.Binary) -> str:
        left, right = self.expr(e.left), self.expr(e.right)
        lt, rt = t.strip(self.model.type_of(e.left)), t.strip(self.model.type_of(e.right))
        if lt == t.DATE and rt == t.DURATION:
            return f"date_shift({left}, {right}, {1 if e.op == '+' else -1})"
        if lt == t.DATE and rt == t.DATE:
            return f"({left} - {right}).days"
        if isinstance(lt, t.ListOf):
            return f"({left} + {right})"  # lists are tuples at run time
        if e.op == "/":
            return f"normal(Fraction({left}) / Fraction({right}))"  # ZeroDivisionError: the evaluator explains
        scale = percent_scale(e.op, lt, rt)
        text = f"{left} {e.op} {right}"
        if scale is not None:
            text += f" * {self.const(scale)}"
        whole = isinstance(lt, t.Num) and isinstance(rt, t.Num) and lt.integer and rt.integer and scale is None
        if whole:
            return f"({text})"
        self._arith = True
        return f"normal({text})"

    def e_Compare(self, e: n.Compare) -> str:
        left, right = self.expr(e.left), self.expr(e.right)
        null = _is_null(e.left) or _is_null(e.right)
        if e.op in ("=", "!=") and null:
            return f"({left} {'is' if e.op == '=' else 'is not'} {right})"
        if not (plain_type(self.model.type_of(e.left)) and plain_type(self.model.type_of(e.right))):
            return f"slow({left}, {right})"  # records compare by their fields: the evaluator's FactRecord
        return f"({left} {_PY_OPERATOR[COMPARISONS[e.op]]} {right})"

    def e_BoolOp(self, e: n.BoolOp) -> str:
        op = "or" if e.op == "eller" else "and"
        return f"({self.truth(e.left)} {op} {self.truth(e.right)})"

    def truth(self, e: Any) -> str:
        """An operand as true or false; a value typed sandhed is a bool at run time already."""
        text = self.expr(e)
        return text if t.strip(self.model.type_of(e)) == t.BOOL else f"bool({text})"

    def e_Member(self, e: n.Member) -> str:
        elem, coll = self.expr(e.elem), self.expr(e.coll)
        if not plain_type(self.model.type_of(e.elem)):
            return f"slow({elem}, {coll})"
        return f"({elem} {'not in' if e.negated else 'in'} {coll})"

    def e_Between(self, e: n.Between) -> str:
        value, low, high = self.expr(e.value), self.expr(e.low), self.expr(e.high)
        if isinstance(e.low, n.Literal) and isinstance(e.high, n.Literal):
            return f"({low} <= {value} <= {high})"  # constant bounds: nothing is left unevaluated
        return f"between({value}, {low}, {high})"

    def e_If(self, e: n.If) -> str:
        return f"({self.expr(e.then)} if {self.expr(e.cond)} else {self.expr(e.else_)})"

    def _loop(self, var: str, coll: Any, where: Any) -> str:
        text = f"for {self.ident('v', var)} in {self.expr(coll)}"
        if where is not None:
            text += f" if {self.expr(where)}"
        return text

    def e_Quantifier(self, e: n.Quantifier) -> str:
        gen = f"{self.truth(e.body)} {self._loop(e.var, e.coll, e.where)}"
        if e.kind == n.QuantifierKind.ALLE:
            return f"all({gen})"
        if e.kind == n.QuantifierKind.INGEN:
            return f"(not any({gen}))"
        return f"any({gen})"

    def e_Count(self, e: n.Count) -> str:
        if e.where is None:
            return f"len({self.expr(e.coll)})"
        if isinstance(e.coll, n.ListLit) and isinstance(e.where, n.Name) and e.where.name == e.var:
            truths = [self.truth(x) for x in e.coll.items]  # antal k i [a, b, …] hvor k
            return f"sum(({', '.join(truths)}{',' if len(truths) == 1 else ''}))"
        return f"sum(1 {self._loop(e.var, e.coll, e.where)})"

    def e_Sort(self, e: n.Sort) -> str:
        keys = e.key.items if isinstance(e.key, n.ListLit) else (e.key,)
        key = ", ".join(self.expr(k) for k in keys)
        var = self.ident("v", e.var)
        return f"tuple(sorted({self.expr(e.coll)}, key=lambda {var}: ({key},)))"

    def e_Each(self, e: n.Each) -> str:
        return f"tuple({self.expr(e.body)} {self._loop(e.var, e.coll, e.where)})"

    def e_Mapping(self, e: n.Mapping) -> str:
        return f"{{{self.expr(e.key)}: {self.expr(e.value)} {self._loop(e.var, e.coll, None)}}}"

    def e_ListLit(self, e: n.ListLit) -> str:
        items = [self.expr(x) for x in e.items]
        return f"({', '.join(items)}{',' if len(items) == 1 else ''})"

    def e_RecordLit(self, e: n.RecordLit) -> str:
        return "{" + ", ".join(f"{k!r}: {self.expr(v)}" for k, v in e.items) + "}"

    # ---------------------------------------------------------------- output
    def closure(self, names: list[str]) -> list[Unit]:
        """The units `names` need, each after what it uses (definitions may come in any order)."""
        out: list[Unit] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            unit = self.units[name]
            for used in sorted(unit.uses):
                visit(used)
            out.append(unit)

        for name in names:
            visit(name)
        return out

    def source(self, decisions: list[str], header: str = "") -> str:
        units = self.closure([self.ident("decide", d) for d in decisions])
        consts = sorted({c for u in units for c in u.consts}, key=_const_order)
        lines = [header] if header else []
        if consts:
            lines += [f"{c} = {self.const_text[c]}" for c in consts] + [""]
        return "\n".join(lines) + "\n" + "\n\n".join(u.source for u in units)

    def module(self) -> dict[str, Any]:
        """Every unit compiled into one namespace: the functions `decide_<name>(facts, date)`."""
        namespace = _runtime(self.month_rule)
        namespace["Slow"] = Slow
        namespace.update(self.consts)
        code = "\n\n".join(u.source for u in self.units.values())
        exec(compile(code, "<almen generated>", "exec"), namespace)
        return namespace


class Compiled:
    """A policy's decisions as generated Python functions, built once per Policy."""

    def __init__(self, model: Model):
        self.generator = Generator(model)
        namespace = self.generator.module()
        self.functions: dict[str, Callable[[Any, dt.date], Any]] = {
            name: namespace[self.generator.ident("decide", name)] for name in model.decisions
        }
        self.arith = {
            name: any(u.arith for u in self.generator.closure([self.generator.ident("decide", name)]))
            for name in model.decisions
        }

    def source(self, decision: str | None = None) -> str:
        names = [decision] if decision is not None else sorted(self.functions)
        header = (
            "# Generated by almen from the checked policy: the two-valued fast path.\n"
            "# F: the validated facts; D: the decision date; M: values computed in this decision.\n"
            "# Anything unusual raises, and the three-valued evaluator answers instead."
        )
        return self.generator.source(names, header)


def _references(model: Model) -> tuple[dict[str, int], dict[str, int]]:
    """How often each named value may be read in one decision (a read inside a loop or inside a
    definition with parameters counts as many), and in how many places each definition with
    parameters is called (in a loop it is called with other arguments each time)."""
    counts: dict[str, int] = {}
    calls: dict[str, int] = {}

    def walk(node: Any, weight: int) -> None:
        if isinstance(node, n.Call):
            calls[node.name] = calls.get(node.name, 0) + 1
        if isinstance(node, n.Name):
            ref = model.ref_of(node)
            if ref is not None and ref.kind in ("definition", "decision", "table"):
                counts[ref.name] = counts.get(ref.name, 0) + weight
            return
        inner = 2 if isinstance(node, _LOOPS) else weight
        for child in node.children():
            walk(child, inner if child is not getattr(node, "coll", None) else weight)

    for d in model.definitions.values():
        walk(d.body, 2 if d.params else 1)
    for dec in model.decisions.values():
        if dec.body is not None:
            walk(dec.body, 1)
        for rule in model.rules.get(dec.name, []):
            walk(rule, 1)
    for table in model.tables.values():
        walk(table, 1)
    for wheel in model.wheels.values():
        walk(wheel, 2)
    for goal in model.goals.values():
        walk(goal, 2)
    return counts, calls


_LOOPS = (n.Quantifier, n.Count, n.Sort, n.Each, n.Mapping)


def _simple(e: Any) -> bool:
    """An argument that may be written more than once: a local name, or fields of one."""
    while isinstance(e, n.Field):
        e = e.obj
    return (
        isinstance(e, n.Name)
        and e.annotation is not None
        and e.annotation.ref is not None
        and e.annotation.ref.kind == "local"
    )


def _is_null(e: Any) -> bool:
    return isinstance(e, n.Literal) and e.kind == n.LiteralKind.NULL


def _written(value: Any) -> str:
    if isinstance(value, decimal.Decimal):
        return f"Decimal({str(value)!r})"
    if isinstance(value, Fraction):
        return f"Fraction({value.numerator}, {value.denominator})"
    if isinstance(value, dt.date):
        return f"date({value.year}, {value.month}, {value.day})"
    if isinstance(value, Duration):
        return f"Duration({value.amount}, {value.unit!r})"
    return repr(value)


def _const_order(name: str) -> int:
    return int(name[1:]) if name[1:].isdigit() else -1


def _cites(meta: n.Meta) -> str:
    # on one line: the text goes into comments of the generated source
    return " ".join("; ".join(c.source for c in meta.citations).split())


def _doc(kind: str, name: str, meta: n.Meta) -> str:
    cites = _cites(meta)
    text = f"{kind} {name}" + (f" ({cites})" if cites else "")
    return repr(text)


def _oneline(model: Model, node: Any) -> str:
    source = model.sources.get(node.span.path, "")
    return " ".join(source[node.span.start : node.span.end].split())
