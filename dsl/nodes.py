"""The syntax tree: attrs classes on one base, `Node`, each carrying the span it was parsed from.

Nodes are frozen and compare by content, never by span or annotation (`eq=False`), so two
policies that differ only in layout or comments have equal trees — the diff relies on it.

One traversal serves every reader (`almen.dsl.tree`: `Node`, `Visitor`). What the checker
learns about an expression — its type, what a name refers to — travels with the node in
`annotation` (set once, by the checker, on the model's own copy of the tree).
"""

from __future__ import annotations

import enum
from typing import Any, Union

import attrs

from almen.dsl.tree import Node, Visitor, copy_tree

__all__ = ["Node", "Visitor", "copy_tree"]  # the traversal, re-exported beside the node classes


@attrs.frozen
class Span:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int  # character offsets into the source, for quoting the exact text
    end: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


NOWHERE = Span("<intern>", 0, 0, 0, 0, 0, 0)


def _span() -> Any:
    return attrs.field(default=NOWHERE, eq=False, repr=False)


class LiteralKind(enum.StrEnum):
    INT = "int"
    NUMBER = "number"
    PERCENT = "percent"
    MONEY = "money"
    STRING = "string"
    DATE = "date"
    BOOL = "bool"
    NULL = "null"
    DURATION = "duration"


class QuantifierKind(enum.StrEnum):
    """The three quantifiers over a list."""

    ALLE = "alle"
    NOGEN = "nogen"
    INGEN = "ingen"


class Direction(enum.StrEnum):
    """Where a goal's key figure should go."""

    FALDE = "skal falde"
    STIGE = "skal stige"
    IKKE_STIGE = "må ikke stige"
    IKKE_FALDE = "må ikke falde"
    NÅ = "skal nå"
    FØLGES = "følges"


# ---------------------------------------------------------------- expressions


@attrs.frozen
class Literal(Node):
    kind: LiteralKind = attrs.field(converter=LiteralKind)
    value: Any
    unit: str | None = None  # duration unit: dage, hverdage, måneder, år
    span: Span = _span()


@attrs.frozen
class Name(Node):
    name: str
    span: Span = _span()


@attrs.frozen
class Field(Node):
    obj: Expr
    name: str
    span: Span = _span()


@attrs.frozen
class Call(Node):
    name: str
    args: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class Unary(Node):
    op: str  # "-" or "ikke"
    operand: Expr
    span: Span = _span()


@attrs.frozen
class Binary(Node):
    op: str  # + - * /
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class Compare(Node):
    op: str  # = ≠ < <= > >=
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class BoolOp(Node):
    op: str  # og, eller
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class Member(Node):
    elem: Expr
    coll: Expr
    negated: bool = False
    span: Span = _span()


@attrs.frozen
class Between(Node):
    value: Expr
    low: Expr
    high: Expr
    span: Span = _span()


@attrs.frozen
class If(Node):
    cond: Expr
    then: Expr
    else_: Expr
    span: Span = _span()


@attrs.frozen
class Quantifier(Node):
    kind: QuantifierKind = attrs.field(converter=QuantifierKind)
    var: str
    coll: Expr
    where: Expr | None
    body: Expr
    span: Span = _span()


@attrs.frozen
class Count(Node):
    var: str
    coll: Expr
    where: Expr | None
    span: Span = _span()


@attrs.frozen
class Sort(Node):
    var: str
    coll: Expr
    key: Expr
    span: Span = _span()


@attrs.frozen
class Each(Node):
    """`hver x i xs [hvor …]: f(x)`: a new list, one item per (kept) element."""

    var: str
    coll: Expr
    where: Expr | None
    body: Expr
    span: Span = _span()


@attrs.frozen
class Mapping(Node):
    """`opslag x i xs: nøgle => værdi`: a lookup from text keys to values (a JSON object)."""

    var: str
    coll: Expr
    key: Expr
    value: Expr
    span: Span = _span()


@attrs.frozen
class ListLit(Node):
    items: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class RecordLit(Node):
    items: tuple[tuple[str, Expr], ...]
    span: Span = _span()


Expr = Union[
    Literal, Name, Field, Call, Unary, Binary, Compare, BoolOp, Member, Between, If,
    Quantifier, Count, Sort, Each, Mapping, ListLit, RecordLit,
]  # fmt: skip

# ---------------------------------------------------------------- types


@attrs.frozen
class TName(Node):
    name: str
    span: Span = _span()


@attrs.frozen
class TList(Node):
    elem: TypeRef
    span: Span = _span()


@attrs.frozen
class TMap(Node):
    value: TypeRef
    span: Span = _span()


@attrs.frozen
class TOptional(Node):
    inner: TypeRef
    span: Span = _span()


@attrs.frozen
class TInt(Node):
    low: int | None = None
    high: int | None = None
    span: Span = _span()


TypeRef = Union[TName, TList, TMap, TOptional, TInt]

# ---------------------------------------------------------------- citations and notes


@attrs.frozen
class Citation(Node):
    source: str
    quote: str | None = None
    span: Span = _span()

    @property
    def text(self) -> str:
        """How a citation is shown everywhere: `§ 8.4 «over 35.000 kr.»`."""
        return self.source + (f" «{self.quote}»" if self.quote else "")


@attrs.frozen
class Meta(Node):
    """What every declaration may carry: a title, citations, interpretation notes."""

    title: str | None = None
    citations: tuple[Citation, ...] = ()
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------- declarations


@attrs.frozen
class Policy(Node):
    name: str
    title: str | None = None
    municipality: str | None = None
    parties: tuple[str, ...] = ()
    version: str | None = None
    valid_from: Any = None
    valid_to: Any = None
    supersedes: str | None = None
    amends: str | None = None
    document: str | None = None
    month_rule: str | None = None
    notes: tuple[str, ...] = ()
    span: Span = _span()
    month_rule_span: Span = _span()
    kind = "politik"


@attrs.frozen
class EnumDecl(Node):
    name: str
    members: tuple[str, ...]
    span: Span = _span()
    kind = "valg"


@attrs.frozen
class FieldDecl(Node):
    name: str
    type: TypeRef
    default: Expr | None = None
    notes: tuple[str, ...] = ()
    span: Span = _span()


@attrs.frozen
class RecordDecl(Node):
    name: str
    fields: tuple[FieldDecl, ...]
    span: Span = _span()
    kind = "post"


@attrs.frozen
class FactDecl(Node):
    name: str
    type: TypeRef
    notes: tuple[str, ...] = ()
    span: Span = _span()
    kind = "fakta"


@attrs.frozen
class ParamValue(Node):
    start: Any  # datetime.date
    value: Expr
    citation: Citation | None = None
    notes: tuple[str, ...] = ()
    span: Span = _span()


@attrs.frozen
class ParamDecl(Node):
    name: str
    type: TypeRef
    meta: Meta
    values: tuple[ParamValue, ...]
    span: Span = _span()
    kind = "parameter"


@attrs.frozen
class ParamSpec(Node):
    name: str
    type: TypeRef
    span: Span = _span()


@attrs.frozen
class Definition(Node):
    name: str
    params: tuple[ParamSpec, ...]
    type: TypeRef | None
    body: Expr
    meta: Meta
    span: Span = _span()
    kind = "definition"


@attrs.frozen
class Decision(Node):
    name: str
    type: TypeRef | None
    body: Expr | None  # None: the value is given by rules
    meta: Meta
    span: Span = _span()
    kind = "beslutning"


@attrs.frozen
class Rule(Node):
    target: str
    label: str
    exception_to: str | None
    meta: Meta
    condition: Expr | None
    consequence: Expr
    span: Span = _span()
    kind = "regel"

    @property
    def name(self) -> str:
        return f"{self.target}.{self.label}"


# ---- decision tables and schedules


@attrs.frozen
class CellAny(Node):
    span: Span = _span()


@attrs.frozen
class CellCompare(Node):
    op: str
    value: Expr
    span: Span = _span()


@attrs.frozen
class CellRange(Node):
    low: Expr
    high: Expr
    closed: bool  # `a .. b` is closed, `a ..< b` excludes b
    span: Span = _span()


@attrs.frozen
class CellValues(Node):
    values: tuple[Expr, ...]
    span: Span = _span()


Cell = Union[CellAny, CellCompare, CellRange, CellValues]


@attrs.frozen
class Row(Node):
    cells: tuple[Cell, ...]
    output: Expr
    notes: tuple[str, ...] = ()
    span: Span = _span()


@attrs.frozen
class Table(Node):
    name: str
    meta: Meta
    hit: str  # unik, første
    inputs: tuple[Expr, ...]
    rows: tuple[Row, ...]
    schedule: bool = False  # a `skema`: one input, rendered as a timeline
    span: Span = _span()

    @property
    def kind(self) -> str:
        return "skema" if self.schedule else "tabel"


# ---- letting wheels


@attrs.frozen
class Letting(Node):
    member: str
    payload: Expr | None = None
    span: Span = _span()


@attrs.frozen
class LettingIf(Node):
    cond: Expr
    then: LettingChoice
    else_: LettingChoice
    span: Span = _span()


LettingChoice = Union[Letting, LettingIf]


@attrs.frozen
class Chain(Node):
    """A letting type and what the vacancy falls back to if it is not used that way."""

    lettings: tuple[LettingChoice, ...]
    span: Span = _span()


@attrs.frozen
class Alternating(Node):
    """'på skift': the slot alternates between two chains on successive turns."""

    first: Chain
    second: Chain
    span: Span = _span()


SlotValue = Union[Chain, Alternating]


@attrs.frozen
class Slot(Node):
    number: int
    value: SlotValue
    notes: tuple[str, ...] = ()
    span: Span = _span()


@attrs.frozen
class Period(Node):
    label: str
    start: Any
    end: Any
    slots: tuple[Slot, ...]
    span: Span = _span()


@attrs.frozen
class Wheel(Node):
    name: str
    meta: Meta
    letting_type: str
    periods: tuple[Period, ...]
    span: Span = _span()
    kind = "hjul"


@attrs.frozen
class SlotException(Node):
    label: str
    wheel: str
    period: str | None
    slot: int
    meta: Meta
    condition: Expr
    value: SlotValue
    span: Span = _span()
    kind = "undtagelse"

    @property
    def name(self) -> str:
        return f"{self.wheel}.{self.label}"


# ---- goals


@attrs.frozen
class Baseline(Node):
    value: Expr
    date: Any
    citation: Citation | None = None
    span: Span = _span()


@attrs.frozen
class Goal(Node):
    name: str
    meta: Meta
    measure: Expr | None  # None only in a goal the checker rejects
    direction: str  # skal falde, skal stige, må ikke stige, må ikke falde, skal nå, følges
    target: Expr | None
    baseline: Baseline | None
    serves: tuple[str, ...]
    span: Span = _span()
    kind = "mål"


# ---- amendments


@attrs.frozen
class Removal(Node):
    """`fjern regel trappe.x`: an amending version takes an element away."""

    target_kind: str
    name: str
    citation: Citation
    span: Span = _span()
    kind = "fjern"


Decl = Union[
    Policy, EnumDecl, RecordDecl, FactDecl, ParamDecl, Definition, Decision, Rule,
    SlotException, Table, Wheel, Goal, Removal,
]  # fmt: skip


@attrs.frozen
class Module(Node):
    path: str
    source: str = attrs.field(eq=False, repr=False)
    decls: tuple[Decl, ...]
