"""Lark's parse tree → the syntax tree of `dsl.nodes`: one method per grammar alias, literals read
exactly, notes and citations gathered into each declaration's Meta."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from lark import Token, Transformer, v_args

from almen.dsl import nodes as n
from almen.dsl.diagnostics import Diagnostic, PolicyError
from almen.dsl.i18n import _

MAX_DIGITS = 40  # no threshold, amount or count in an agreement is longer


def _number(token: Token, path: str) -> int | Fraction:
    text = str(token).replace("_", "")
    if len(text) > MAX_DIGITS:
        line, column = token.line or 1, token.column or 1
        span = n.Span(path, line, column, line, column + len(str(token)), 0, 0)
        raise PolicyError(
            [Diagnostic(span, _("a number of more than {0} digits").format(MAX_DIGITS), _("write a shorter number"))]
        )
    return Fraction(text) if "." in text else int(text)


def _date(token: Token, path: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(token))
    except ValueError:
        span = n.Span(path, token.line or 0, token.column or 0, token.line or 0, (token.column or 0) + 10, 0, 0)
        raise PolicyError([Diagnostic(span, _("{0} is not a calendar date").format(token))]) from None


def _string(token: Token) -> str:
    return str(token)[1:-1]


@v_args(meta=True)
class ToNodes(Transformer[Token, Any]):
    """Lark tree → attrs nodes. One method per grammar alias."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def _span(self, meta: Any) -> n.Span:
        if getattr(meta, "empty", True):
            return n.NOWHERE
        return n.Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos, meta.end_pos)

    def _tspan(self, token: Token) -> n.Span:
        return n.Span(
            self.path,
            token.line or 0,
            token.column or 0,
            token.end_line or 0,
            token.end_column or 0,
            token.start_pos or 0,
            token.end_pos or 0,
        )

    # ---- header
    def policy(self, meta: Any, children: list[Any]) -> n.Policy:
        fields: dict[str, Any] = {"notes": ()}
        for key, value in children[1:]:
            if key == "notes":
                fields["notes"] += (value,)
            elif key == "valid":
                fields["valid_from"], fields["valid_to"] = value
            elif key == "month_rule":
                fields["month_rule"], fields["month_rule_span"] = value
            else:
                fields[key] = value
        return n.Policy(str(children[0]), span=self._span(meta), **fields)

    def h_title(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "title", _string(c[0])

    def h_municipality(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "municipality", _string(c[0])

    def h_parties(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "parties", tuple(_string(t) for t in c)

    def h_version(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "version", _string(c[0])

    def h_valid(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "valid", (_date(c[0], self.path), _date(c[1], self.path))

    def h_supersedes(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "supersedes", _string(c[0])

    def h_amends(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "amends", _string(c[0])

    def h_document(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "document", _string(c[0])

    def h_month_rule(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "month_rule", (str(c[0]), self._span(meta))

    def header_item(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "notes", c[0]

    # ---- types, facts, parameters
    def enum(self, meta: Any, c: list[Any]) -> n.EnumDecl:
        members = tuple(_string(t) if t.type == "STRING" else str(t) for t in c[1:])
        return n.EnumDecl(str(c[0]), members, self._span(meta))

    def record(self, meta: Any, c: list[Any]) -> n.RecordDecl:
        return n.RecordDecl(str(c[0]), tuple(c[1:]), self._span(meta))

    def field(self, meta: Any, c: list[Any]) -> n.FieldDecl:
        default = c[2] if len(c) > 2 and not isinstance(c[2], str) else None
        notes = tuple(x for x in c[2:] if isinstance(x, str))
        return n.FieldDecl(str(c[0]), c[1], default, notes, self._span(meta))

    def default(self, meta: Any, c: list[Any]) -> Any:
        return c[0]

    def t_optional(self, meta: Any, c: list[Any]) -> n.TOptional:
        return n.TOptional(c[0], self._span(meta))

    def t_name(self, meta: Any, c: list[Any]) -> n.TName:
        return n.TName(str(c[0]), self._span(meta))

    def t_list(self, meta: Any, c: list[Any]) -> n.TList:
        return n.TList(c[0], self._span(meta))

    def t_map(self, meta: Any, c: list[Any]) -> n.TMap:
        return n.TMap(c[0], self._span(meta))

    def t_int(self, meta: Any, c: list[Any]) -> n.TInt:
        low, high = c[0] if c and c[0] is not None else (None, None)
        return n.TInt(low, high, self._span(meta))

    def bound(self, meta: Any, c: list[Any]) -> tuple[int | None, int | None]:
        return c[0], c[1]

    def signed_number(self, meta: Any, c: list[Any]) -> int:
        value = _number(c[-1], self.path)
        return int(-value if len(c) > 1 else value)

    def fact(self, meta: Any, c: list[Any]) -> n.FactDecl:
        return n.FactDecl(str(c[0]), c[1], tuple(c[2:]), self._span(meta))

    def param(self, meta: Any, c: list[Any]) -> n.ParamDecl:
        metas = [x for x in c[2:] if not isinstance(x, n.ParamValue)]
        values = tuple(x for x in c[2:] if isinstance(x, n.ParamValue))
        return n.ParamDecl(str(c[0]), c[1], _meta(metas), values, self._span(meta))

    def param_value(self, meta: Any, c: list[Any]) -> n.ParamValue:
        citation = next((x for x in c[2:] if isinstance(x, n.Citation)), None)
        notes = tuple(x for x in c[2:] if isinstance(x, str))
        return n.ParamValue(_date(c[0], self.path), c[1], citation, notes, self._span(meta))

    # ---- definitions, decisions, rules
    def definition(self, meta: Any, c: list[Any]) -> n.Definition:
        name, rest = str(c[0]), c[1:]
        params: tuple[n.ParamSpec, ...] = ()
        if rest and isinstance(rest[0], tuple):
            params, rest = rest[0], rest[1:]
        typ = None
        if _is_type(rest[0]):
            typ, rest = rest[0], rest[1:]
        return n.Definition(name, params, typ, rest[0], _meta(rest[1:]), self._span(meta))

    def params(self, meta: Any, c: list[Any]) -> tuple[n.ParamSpec, ...]:
        return tuple(c)

    def param_decl(self, meta: Any, c: list[Any]) -> n.ParamSpec:
        return n.ParamSpec(str(c[0]), c[1], self._span(meta))

    def decision_open(self, meta: Any, c: list[Any]) -> n.Decision:
        return n.Decision(str(c[0]), c[1], None, _meta(c[2:]), self._span(meta))

    def decision_body(self, meta: Any, c: list[Any]) -> n.Decision:
        return n.Decision(str(c[0]), c[1], c[2], _meta(c[3:]), self._span(meta))

    def rule(self, meta: Any, c: list[Any]) -> n.Rule:
        target, label, rest = str(c[0]), str(c[1]), c[2:]
        exception_to = None
        if rest and isinstance(rest[0], _Except):
            exception_to, rest = rest[0].label, rest[1:]
        condition = None
        if len(rest) >= 2 and isinstance(rest[-2], _Condition):
            condition = rest[-2].expr
            rest = rest[:-2] + rest[-1:]
        return n.Rule(target, label, exception_to, _meta(rest[:-1]), condition, rest[-1], self._span(meta))

    def exception_to(self, meta: Any, c: list[Any]) -> _Except:
        return _Except(str(c[0]))

    def condition(self, meta: Any, c: list[Any]) -> _Condition:
        return _Condition(c[0])

    def exception(self, meta: Any, c: list[Any]) -> n.SlotException:
        label, wheel, rest = str(c[0]), str(c[1]), c[2:]
        period = _string(rest[0]) if rest[0] is not None else None
        slot = int(_number(rest[1], self.path))
        return n.SlotException(label, wheel, period, slot, _meta(rest[2:-2]), rest[-2].expr, rest[-1], self._span(meta))

    # ---- tables
    def table(self, meta: Any, c: list[Any]) -> n.Table:
        name, title, rest = str(c[0]), c[1], c[2:]
        metas = [x for x in rest if _is_meta(x)]
        hit = next(x for x in rest if isinstance(x, _Hit)).name
        inputs = next(x for x in rest if isinstance(x, _Inputs)).exprs
        rows = tuple(x for x in rest if isinstance(x, n.Row))
        return n.Table(name, _meta(metas, title), hit, inputs, rows, False, self._span(meta))

    def schedule(self, meta: Any, c: list[Any]) -> n.Table:
        name, title, rest = str(c[0]), c[1], c[2:]
        metas = [x for x in rest if _is_meta(x)]
        rows = tuple(x for x in rest if isinstance(x, n.Row))
        key = next(x for x in rest if not _is_meta(x) and not isinstance(x, n.Row))
        return n.Table(name, _meta(metas, title), "unik", (key,), rows, True, self._span(meta))

    def hit(self, meta: Any, c: list[Any]) -> _Hit:
        return _Hit(str(c[0]))

    def inputs(self, meta: Any, c: list[Any]) -> _Inputs:
        return _Inputs(tuple(c))

    def row(self, meta: Any, c: list[Any]) -> n.Row:
        notes = tuple(x for x in c if isinstance(x, str))
        rest = [x for x in c if not isinstance(x, str)]
        return n.Row(tuple(rest[:-1]), rest[-1], notes, self._span(meta))

    def c_any(self, meta: Any, c: list[Any]) -> n.CellAny:
        return n.CellAny(self._span(meta))

    def c_compare(self, meta: Any, c: list[Any]) -> n.CellCompare:
        return n.CellCompare(_op(c[0]), c[1], self._span(meta))

    def c_closed(self, meta: Any, c: list[Any]) -> n.CellRange:
        return n.CellRange(c[0], c[1], True, self._span(meta))

    def c_half_open(self, meta: Any, c: list[Any]) -> n.CellRange:
        return n.CellRange(c[0], c[1], False, self._span(meta))

    def c_values(self, meta: Any, c: list[Any]) -> n.CellValues:
        return n.CellValues(tuple(c), self._span(meta))

    # ---- wheels
    def wheel(self, meta: Any, c: list[Any]) -> n.Wheel:
        name, title, rest = str(c[0]), c[1], c[2:]
        metas = [x for x in rest if _is_meta(x)]
        letting_type = next(str(x) for x in rest if isinstance(x, Token))
        periods = tuple(x for x in rest if isinstance(x, n.Period))
        return n.Wheel(name, _meta(metas, title), letting_type, periods, self._span(meta))

    def period(self, meta: Any, c: list[Any]) -> n.Period:
        return n.Period(_string(c[0]), _date(c[1], self.path), _date(c[2], self.path), tuple(c[3:]), self._span(meta))

    def slot(self, meta: Any, c: list[Any]) -> n.Slot:
        return n.Slot(int(_number(c[0], self.path)), c[1], tuple(c[2:]), self._span(meta))

    def alternating(self, meta: Any, c: list[Any]) -> n.Alternating:
        return n.Alternating(c[0], c[1], self._span(meta))

    def chain(self, meta: Any, c: list[Any]) -> n.Chain:
        return n.Chain(tuple(c), self._span(meta))

    def letting_simple(self, meta: Any, c: list[Any]) -> n.Letting:
        return n.Letting(str(c[0]), c[1], self._span(meta))

    def letting_if(self, meta: Any, c: list[Any]) -> n.LettingIf:
        return n.LettingIf(c[0], c[1], c[2], self._span(meta))

    # ---- goals and amendments
    def goal(self, meta: Any, c: list[Any]) -> n.Goal:
        name, title, rest = str(c[0]), c[1], c[2:]
        items = dict(x for x in rest if isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str))
        serves = tuple(x[1] for x in rest if isinstance(x, tuple) and x[0] == "serves")
        metas = [x for x in rest if _is_meta(x)]
        direction, target = items.get("direction", ("", None))
        return n.Goal(
            name,
            _meta(metas, title),
            items.get("measure"),
            direction,
            target,
            items.get("baseline"),
            serves,
            self._span(meta),
        )

    def g_measure(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "measure", c[0]

    def g_direction(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "direction", (c[0], c[1])

    def direction(self, meta: Any, c: list[Any]) -> str:
        return " ".join(str(t) for t in c)

    def g_baseline(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "baseline", n.Baseline(c[0], _date(c[1], self.path), c[2], self._span(meta))

    def g_serves(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "serves", _string(c[0])

    def remove(self, meta: Any, c: list[Any]) -> n.Removal:
        name = str(c[1]) if c[2] is None else f"{c[1]}.{c[2]}"
        return n.Removal(str(c[0]), name, c[3], self._span(meta))

    def kind(self, meta: Any, c: list[Any]) -> str:
        return str(c[0])

    # ---- citations and notes
    def citation(self, meta: Any, c: list[Any]) -> n.Citation:
        return n.Citation(_string(c[0]), _string(c[1]) if c[1] is not None else None, self._span(meta))

    def note(self, meta: Any, c: list[Any]) -> str:
        return " ".join(_string(c[0]).split())

    def m_title(self, meta: Any, c: list[Any]) -> _Title:
        return _Title(_string(c[0]))

    # ---- expressions
    def if_expr(self, meta: Any, c: list[Any]) -> n.If:
        return n.If(c[0], c[1], c[2], self._span(meta))

    def quantifier(self, meta: Any, c: list[Any]) -> n.Quantifier:
        return n.Quantifier(c[0], str(c[1]), c[2], c[3], c[4], self._span(meta))

    def quantor(self, meta: Any, c: list[Any]) -> str:
        return str(c[0])

    def count(self, meta: Any, c: list[Any]) -> n.Count:
        return n.Count(str(c[0]), c[1], c[2], self._span(meta))

    def sort(self, meta: Any, c: list[Any]) -> n.Sort:
        return n.Sort(str(c[0]), c[1], c[2], self._span(meta))

    def each(self, meta: Any, c: list[Any]) -> n.Each:
        return n.Each(str(c[0]), c[1], c[2], c[3], self._span(meta))

    def mapping(self, meta: Any, c: list[Any]) -> n.Mapping:
        return n.Mapping(str(c[0]), c[1], c[2], c[3], self._span(meta))

    def or_op(self, meta: Any, c: list[Any]) -> n.BoolOp:
        return n.BoolOp("eller", c[0], c[1], self._span(meta))

    def and_op(self, meta: Any, c: list[Any]) -> n.BoolOp:
        return n.BoolOp("og", c[0], c[1], self._span(meta))

    def not_op(self, meta: Any, c: list[Any]) -> n.Unary:
        return n.Unary("ikke", c[0], self._span(meta))

    def compare(self, meta: Any, c: list[Any]) -> n.Compare:
        return n.Compare(_op(c[1]), c[0], c[2], self._span(meta))

    def comp_op(self, meta: Any, c: list[Any]) -> str:
        return str(c[0])

    def member(self, meta: Any, c: list[Any]) -> n.Member:
        return n.Member(c[0], c[1], False, self._span(meta))

    def not_member(self, meta: Any, c: list[Any]) -> n.Member:
        return n.Member(c[0], c[1], True, self._span(meta))

    def between(self, meta: Any, c: list[Any]) -> n.Between:
        return n.Between(c[0], c[1], c[2], self._span(meta))

    def add(self, meta: Any, c: list[Any]) -> n.Binary:
        return n.Binary("+", c[0], c[1], self._span(meta))

    def sub(self, meta: Any, c: list[Any]) -> n.Binary:
        return n.Binary("-", c[0], c[1], self._span(meta))

    def mul(self, meta: Any, c: list[Any]) -> n.Binary:
        return n.Binary("*", c[0], c[1], self._span(meta))

    def div(self, meta: Any, c: list[Any]) -> n.Binary:
        return n.Binary("/", c[0], c[1], self._span(meta))

    def neg(self, meta: Any, c: list[Any]) -> n.Unary:
        return n.Unary("-", c[0], self._span(meta))

    def field_access(self, meta: Any, c: list[Any]) -> n.Field:
        return n.Field(c[0], str(c[1]), self._span(meta))

    def call(self, meta: Any, c: list[Any]) -> n.Call:
        args = tuple(x for x in c[1:] if x is not None)
        return n.Call(str(c[0]), args, self._span(meta))

    def number(self, meta: Any, c: list[Any]) -> n.Literal:
        value = _number(c[0], self.path)
        return n.Literal("int" if isinstance(value, int) else "number", value, None, self._span(meta))

    def quantity(self, meta: Any, c: list[Any]) -> n.Literal:
        value, unit = _number(c[0], self.path), c[1]
        if unit == "%":
            return n.Literal("percent", Fraction(value), None, self._span(meta))
        if unit == "kr":
            return n.Literal("money", Fraction(value), None, self._span(meta))
        return n.Literal("duration", value, _DURATION_UNITS[unit], self._span(meta))

    def unit(self, meta: Any, c: list[Any]) -> str:
        return str(c[0])

    def string(self, meta: Any, c: list[Any]) -> n.Literal:
        return n.Literal("string", _string(c[0]), None, self._span(meta))

    def date(self, meta: Any, c: list[Any]) -> n.Literal:
        return n.Literal("date", _date(c[0], self.path), None, self._span(meta))

    def true(self, meta: Any, c: list[Any]) -> n.Literal:
        return n.Literal("bool", True, None, self._span(meta))

    def false(self, meta: Any, c: list[Any]) -> n.Literal:
        return n.Literal("bool", False, None, self._span(meta))

    def null(self, meta: Any, c: list[Any]) -> n.Literal:
        return n.Literal("null", None, None, self._span(meta))

    def name(self, meta: Any, c: list[Any]) -> n.Name:
        return n.Name(str(c[0]), self._span(meta))

    def list_lit(self, meta: Any, c: list[Any]) -> n.ListLit:
        return n.ListLit(tuple(x for x in c if x is not None), self._span(meta))

    def record_lit(self, meta: Any, c: list[Any]) -> n.RecordLit:
        return n.RecordLit(tuple(x for x in c if x is not None), self._span(meta))

    def record_item(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return str(c[0]), c[1]


_DURATION_UNITS = {
    "dag": "dage",
    "dage": "dage",
    "hverdag": "hverdage",
    "hverdage": "hverdage",
    "måned": "måneder",
    "måneder": "måneder",
    "år": "år",
}


def _op(op: str) -> str:
    return {"≠": "!=", "≤": "<=", "≥": ">="}.get(op, op)


class _Except:
    def __init__(self, label: str):
        self.label = label


class _Condition:
    def __init__(self, expr: Any):
        self.expr = expr


class _Hit:
    def __init__(self, name: str):
        self.name = name


class _Inputs:
    def __init__(self, exprs: tuple[Any, ...]):
        self.exprs = exprs


class _Title:
    def __init__(self, text: str):
        self.text = text


def _is_meta(x: Any) -> bool:
    # notes are plain str; a Token is a str too but is never a note
    return isinstance(x, n.Citation | _Title) or (isinstance(x, str) and not isinstance(x, Token))


def _is_type(x: Any) -> bool:
    return isinstance(x, n.TName | n.TList | n.TMap | n.TOptional | n.TInt)


def _meta(items: list[Any], title: Any = None) -> n.Meta:
    titles = [x.text for x in items if isinstance(x, _Title)]
    if title is not None:
        titles.insert(0, _string(title))
    return n.Meta(
        titles[0] if titles else None,
        tuple(x for x in items if isinstance(x, n.Citation)),
        tuple(x for x in items if isinstance(x, str) and not isinstance(x, Token)),
    )
