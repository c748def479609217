"""Canonical layout of policy files. Formatting twice changes nothing, and never the tree:
the formatted text parses to a tree equal to the original's (spans aside)."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction
from typing import Any

from almen.dsl import nodes as n
from almen.dsl.parser import comments, lark_parser, parse
from almen.dsl.tree import Visitor
from almen.dsl.types import show_number

INDENT = "  "
WIDTH = 100

# Binding strength, weakest first; a child weaker than its context gets parentheses.
_LEVEL = {"if": 0, "eller": 1, "og": 2, "ikke": 3, "cmp": 4, "add": 5, "mul": 6, "neg": 7, "atom": 8}


def format_source(source: str, path: str = "<tekst>") -> str:
    module = parse(source, path)
    comments = _comments(source)
    out: list[str] = []
    pending = list(comments)
    for decl in module.decls:
        before = [c for line, c in pending if line < decl.span.end_line]
        pending = [(line, c) for line, c in pending if line >= decl.span.end_line]
        if out:
            out.append("")
        out += before
        if before and decl_gap(source, decl):
            out.append("")
        out.append(_decl(decl))
    if pending:
        if out:
            out.append("")
        out += [c for _, c in pending]
    return "\n".join(out).rstrip() + "\n"


def decl_gap(source: str, decl: Any) -> bool:
    """Keep a blank line between a comment block and the declaration if the author had one."""
    lines = source.splitlines()
    index = decl.span.line - 2
    return 0 <= index < len(lines) and lines[index].strip() == ""


def _comments(source: str) -> list[tuple[int, str]]:
    return [(c.line, ("#" + c.text).rstrip()) for c in comments(source)]


# ---------------------------------------------------------------- declarations


def _decl(d: Any) -> str:
    return str(_DECLARATIONS.visit(d))


def _q(text: str) -> str:
    return f'"{text}"'


def _meta(meta: n.Meta, indent: str = INDENT, title: bool = True) -> list[str]:
    lines = []
    if title and meta.title:
        lines.append(f"{indent}titel {_q(meta.title)}")
    lines += [indent + _citation(c) for c in meta.citations]
    lines += [f"{indent}fortolkning {_q(note)}" for note in meta.notes]
    return lines


def _citation(c: n.Citation) -> str:
    return f"kilde {_q(c.source)}" + (f" citat {_q(c.quote)}" if c.quote else "")


def _member(m: str) -> str:
    return m if re.fullmatch(r"(?!\d)\w+", m) and not _is_keyword(m) else _q(m)


def _is_keyword(word: str) -> bool:
    return word in KEYWORDS


def _assign(head: str, body: Any) -> str:
    text = _expr(body, 0, INDENT)
    if "\n" in text or len(head) + 3 + len(text) > WIDTH:
        return f"{head} =\n{INDENT}{text}"
    return f"{head} = {text}"


def _type(ref: n.TypeRef) -> str:
    return str(_DECLARATIONS.visit(ref))


def _cell(c: n.Cell) -> str:
    return str(_DECLARATIONS.visit(c))


def _letting(x: n.LettingChoice) -> str:
    return str(_DECLARATIONS.visit(x))


def _slot_value(v: n.SlotValue) -> str:
    return str(_DECLARATIONS.visit(v))


class _Declarations(Visitor):
    """The canonical text of one declaration."""

    def visit_Policy(self, p: n.Policy) -> str:
        lines = [f"politik {p.name} {{"]
        if p.title:
            lines.append(f"{INDENT}titel {_q(p.title)}")
        if p.municipality:
            lines.append(f"{INDENT}kommune {_q(p.municipality)}")
        if p.parties:
            lines.append(f"{INDENT}parter " + ", ".join(_q(x) for x in p.parties))
        if p.version:
            lines.append(f"{INDENT}version {_q(p.version)}")
        if p.valid_from:
            lines.append(f"{INDENT}gyldig fra {p.valid_from} til {p.valid_to}")
        if p.supersedes:
            lines.append(f"{INDENT}afløser {_q(p.supersedes)}")
        if p.amends:
            lines.append(f"{INDENT}ændrer {_q(p.amends)}")
        if p.document:
            lines.append(f"{INDENT}dokument {_q(p.document)}")
        if p.month_rule:
            lines.append(f"{INDENT}månedsregel {p.month_rule}")
        lines += [f"{INDENT}fortolkning {_q(note)}" for note in p.notes]
        return "\n".join(lines + ["}"])

    def visit_EnumDecl(self, e: n.EnumDecl) -> str:
        bare = all(_member(m) == m for m in e.members)  # quote all members or none, for an even look
        members = [m if bare else _q(m) for m in e.members]
        one = f"valg {e.name} {{ " + ", ".join(members) + " }"
        if len(one) <= WIDTH:
            return one
        return f"valg {e.name} {{\n" + ",\n".join(INDENT + m for m in members) + "\n}"

    def visit_RecordDecl(self, r: n.RecordDecl) -> str:
        lines = [f"post {r.name} {{"]
        for f in r.fields:
            line = f"{INDENT}{f.name}: {_type(f.type)}"
            if f.default is not None:
                line += " = " + _expr(f.default, 0)
            lines.append(line)
            lines += [f"{INDENT * 2}fortolkning {_q(note)}" for note in f.notes]
        return "\n".join(lines + ["}"])

    def visit_FactDecl(self, f: n.FactDecl) -> str:
        lines = [f"fakta {f.name}: {_type(f.type)}"]
        lines += [f"{INDENT}fortolkning {_q(note)}" for note in f.notes]
        return "\n".join(lines)

    def visit_ParamDecl(self, p: n.ParamDecl) -> str:
        lines = [f"parameter {p.name}: {_type(p.type)} {{"] + _meta(p.meta)
        for v in p.values:
            line = f"{INDENT}fra {v.start}: {_expr(v.value, 0)}"
            if v.citation:
                line += " " + _citation(v.citation)
            lines.append(line)
            lines += [f"{INDENT * 2}fortolkning {_q(note)}" for note in v.notes]
        return "\n".join(lines + ["}"])

    def visit_Definition(self, d: n.Definition) -> str:
        head = f"definition {d.name}"
        if d.params:
            head += "(" + ", ".join(f"{p.name}: {_type(p.type)}" for p in d.params) + ")"
        if d.type is not None:
            head += f": {_type(d.type)}"
        return "\n".join([_assign(head, d.body)] + _meta(d.meta))

    def visit_Decision(self, d: n.Decision) -> str:
        head = f"beslutning {d.name}" + (f": {_type(d.type)}" if d.type is not None else "")
        if d.body is not None:
            return "\n".join([_assign(head, d.body)] + _meta(d.meta))
        return "\n".join([head] + _meta(d.meta))

    def visit_Rule(self, r: n.Rule) -> str:
        head = f"regel {r.target}.{r.label}" + (f" undtagelse til {r.exception_to}" if r.exception_to else "")
        lines = [head] + _meta(r.meta)
        if r.condition is not None:
            lines.append(f"{INDENT}hvis {_expr(r.condition, 0, INDENT * 2)}")
        lines.append(f"{INDENT}så {_expr(r.consequence, 0, INDENT * 2)}")
        return "\n".join(lines)

    def visit_SlotException(self, x: n.SlotException) -> str:
        head = f"undtagelse {x.label} til hjul {x.wheel}"
        if x.period is not None:
            head += f" periode {_q(x.period)}"
        head += f" plads {x.slot}"
        lines = [head] + _meta(x.meta)
        lines.append(f"{INDENT}hvis {_expr(x.condition, 0, INDENT * 2)}")
        lines.append(f"{INDENT}så {_slot_value(x.value)}")
        return "\n".join(lines)

    def visit_Table(self, tb: n.Table) -> str:
        keyword = "skema" if tb.schedule else "tabel"
        head = f"{keyword} {tb.name}" + (f" {_q(tb.meta.title)}" if tb.meta.title else "") + " {"
        lines = [head] + _meta(tb.meta, title=False)
        if tb.schedule:
            lines.append(f"{INDENT}efter {_expr(tb.inputs[0], 0)}")
        else:
            lines.append(f"{INDENT}hit {tb.hit}")
            lines.append(f"{INDENT}input " + ", ".join(_expr(e, 0) for e in tb.inputs))
        for row in tb.rows:
            lines.append(f"{INDENT}række " + ", ".join(_cell(c) for c in row.cells) + f" => {_expr(row.output, 0)}")
            lines += [f"{INDENT * 2}fortolkning {_q(note)}" for note in row.notes]
        return "\n".join(lines + ["}"])

    def visit_Wheel(self, w: n.Wheel) -> str:
        head = f"hjul {w.name}" + (f" {_q(w.meta.title)}" if w.meta.title else "") + " {"
        lines = [head] + _meta(w.meta, title=False) + [f"{INDENT}typer {w.letting_type}"]
        for p in w.periods:
            lines.append(f"{INDENT}periode {_q(p.label)} fra {p.start} til {p.end} {{")
            for s in p.slots:
                lines.append(f"{INDENT * 2}{s.number}: {_slot_value(s.value)}")
                lines += [f"{INDENT * 3}fortolkning {_q(note)}" for note in s.notes]
            lines.append(f"{INDENT}}}")
        return "\n".join(lines + ["}"])

    def visit_Goal(self, g: n.Goal) -> str:
        head = f"mål {g.name}" + (f" {_q(g.meta.title)}" if g.meta.title else "") + " {"
        lines = [head] + _meta(g.meta, title=False)
        if g.measure is not None:
            lines.append(f"{INDENT}måling {_expr(g.measure, 0, INDENT * 2)}")
        lines.append(f"{INDENT}retning {g.direction}" + (f" {_expr(g.target, 0)}" if g.target is not None else ""))
        if g.baseline is not None:
            b = g.baseline
            line = f"{INDENT}basislinje {_expr(b.value, 0)} pr {b.date}"
            if b.citation is not None:
                line += " " + _citation(b.citation)
            lines.append(line)
        lines += [f"{INDENT}tjener {_q(s)}" for s in g.serves]
        return "\n".join(lines + ["}"])

    def visit_Removal(self, r: n.Removal) -> str:
        return f"fjern {r.target_kind} {r.name} {_citation(r.citation)}"

    # ---- parts of declarations: types, table cells, lettings

    def visit_TName(self, ref: n.TName) -> str:
        return ref.name

    def visit_TOptional(self, ref: n.TOptional) -> str:
        return _type(ref.inner) + "?"

    def visit_TList(self, ref: n.TList) -> str:
        return "liste af " + _type(ref.elem)

    def visit_TMap(self, ref: n.TMap) -> str:
        return "opslag af " + _type(ref.value)

    def visit_TInt(self, ref: n.TInt) -> str:
        text = "heltal"
        if ref.low is not None:
            text += f" fra {ref.low}" + (f" til {ref.high}" if ref.high is not None else "")
        return text

    def visit_CellAny(self, c: n.CellAny) -> str:
        return "-"

    def visit_CellCompare(self, c: n.CellCompare) -> str:
        return f"{_op(c.op)} {_expr(c.value, _LEVEL['add'])}"

    def visit_CellRange(self, c: n.CellRange) -> str:
        return f"{_expr(c.low, _LEVEL['add'])} {'..' if c.closed else '..<'} {_expr(c.high, _LEVEL['add'])}"

    def visit_CellValues(self, c: n.CellValues) -> str:
        return " | ".join(_expr(v, _LEVEL["add"]) for v in c.values)

    def visit_LettingIf(self, x: n.LettingIf) -> str:
        return f"hvis {_expr(x.cond, 0)} så {_letting(x.then)} ellers {_letting(x.else_)}"

    def visit_Letting(self, x: n.Letting) -> str:
        return x.member + (f" med {_expr(x.payload, _LEVEL['add'])}" if x.payload is not None else "")

    def visit_Chain(self, c: n.Chain) -> str:
        return " -> ".join(_letting(x) for x in c.lettings)

    def visit_Alternating(self, v: n.Alternating) -> str:
        return f"på skift({_slot_value(v.first)}, {_slot_value(v.second)})"


_DECLARATIONS = _Declarations()


# ---------------------------------------------------------------- expressions


def _op(op: str) -> str:
    return {"!=": "≠"}.get(op, op)


def _literal(e: n.Literal) -> str:
    if e.kind == "string":
        return _q(e.value)
    if e.kind == "bool":
        return "sand" if e.value else "falsk"
    if e.kind == "null":
        return "intet"
    if e.kind == "date":
        assert isinstance(e.value, dt.date)
        return e.value.isoformat()
    if e.kind == "duration":
        return f"{e.value} {e.unit}"
    number = _number(e.value, e.kind == "number")
    if e.kind == "percent":
        return f"{number} %"
    if e.kind == "money":
        if "." in number and len(number.split(".")[1]) == 1:
            number += "0"  # øre: 22904.30 kr, as amounts are written
        return f"{number} kr"
    return number


def _number(value: Any, decimal: bool) -> str:
    text = show_number(Fraction(value))
    if decimal and "." not in text:
        text += ".0"  # keep `2.0` a decimal: the parser tells int from number by the point
    return text


def _expr(e: Any, context: int, indent: str = INDENT) -> str:
    text, level = _e(e, indent)
    return f"({text})" if level < context else text


def _e(e: Any, indent: str) -> tuple[str, int]:
    text, level = _EXPRESSIONS.visit(e, indent)
    return text, level


class _Expressions(Visitor):
    """An expression's text and binding strength, for `_expr` to parenthesise."""

    def visit_Literal(self, e: n.Literal, indent: str) -> tuple[str, int]:
        return _literal(e), _LEVEL["atom"]

    def visit_Name(self, e: n.Name, indent: str) -> tuple[str, int]:
        return e.name, _LEVEL["atom"]

    def visit_Field(self, e: n.Field, indent: str) -> tuple[str, int]:
        return f"{_expr(e.obj, _LEVEL['atom'], indent)}.{e.name}", _LEVEL["atom"]

    def visit_Call(self, e: n.Call, indent: str) -> tuple[str, int]:
        return f"{e.name}(" + ", ".join(_expr(a, 0, indent) for a in e.args) + ")", _LEVEL["atom"]

    def visit_Unary(self, e: n.Unary, indent: str) -> tuple[str, int]:
        if e.op == "ikke":
            return f"ikke {_expr(e.operand, _LEVEL['ikke'], indent)}", _LEVEL["ikke"]
        return f"-{_expr(e.operand, _LEVEL['neg'], indent)}", _LEVEL["neg"]

    def visit_Binary(self, e: n.Binary, indent: str) -> tuple[str, int]:
        level = _LEVEL["add"] if e.op in "+-" else _LEVEL["mul"]
        return f"{_expr(e.left, level, indent)} {e.op} {_expr(e.right, level + 1, indent)}", level

    def visit_Compare(self, e: n.Compare, indent: str) -> tuple[str, int]:
        level = _LEVEL["cmp"]
        return f"{_expr(e.left, level + 1, indent)} {_op(e.op)} {_expr(e.right, level + 1, indent)}", level

    def visit_BoolOp(self, e: n.BoolOp, indent: str) -> tuple[str, int]:
        level = _LEVEL[e.op]
        left, right = _expr(e.left, level, indent), _expr(e.right, level + 1, indent)
        one = f"{left} {e.op} {right}"
        if len(one) + len(indent) > WIDTH and "\n" not in right:
            return f"{left}\n{indent}{e.op} {right}", level
        return one, level

    def visit_Member(self, e: n.Member, indent: str) -> tuple[str, int]:
        word = "ikke i" if e.negated else "i"
        level = _LEVEL["cmp"]
        return f"{_expr(e.elem, level + 1, indent)} {word} {_expr(e.coll, level + 1, indent)}", level

    def visit_Between(self, e: n.Between, indent: str) -> tuple[str, int]:
        level = _LEVEL["cmp"]
        parts = [_expr(x, level + 1, indent) for x in (e.value, e.low, e.high)]
        return f"{parts[0]} mellem {parts[1]} og {parts[2]}", level

    def visit_If(self, e: n.If, indent: str) -> tuple[str, int]:
        cond = _expr(e.cond, 0, indent)
        then = _expr(e.then, 0, indent)
        else_ = _expr(e.else_, 0, indent)
        one = f"hvis {cond} så {then} ellers {else_}"
        if len(one) + len(indent) <= WIDTH and "\n" not in one:
            return one, _LEVEL["if"]
        return f"hvis {cond} så {then}\n{indent}ellers {else_}", _LEVEL["if"]

    def visit_Quantifier(self, e: n.Quantifier, indent: str) -> tuple[str, int]:
        where = _where(e.where, indent)
        coll = _expr(e.coll, _LEVEL["eller"], indent)
        return f"{e.kind} {e.var} i {coll}{where}: {_expr(e.body, 0, indent)}", _LEVEL["if"]

    def visit_Count(self, e: n.Count, indent: str) -> tuple[str, int]:
        where = _where(e.where, indent)
        return f"antal {e.var} i {_expr(e.coll, _LEVEL['eller'], indent)}{where}", _LEVEL["if"]

    def visit_Sort(self, e: n.Sort, indent: str) -> tuple[str, int]:
        coll, key = _expr(e.coll, _LEVEL["eller"], indent), _expr(e.key, _LEVEL["eller"], indent)
        return f"sorter {e.var} i {coll} efter {key}", _LEVEL["if"]

    def visit_Each(self, e: n.Each, indent: str) -> tuple[str, int]:
        where = _where(e.where, indent)
        coll = _expr(e.coll, _LEVEL["eller"], indent)
        return f"hver {e.var} i {coll}{where}: {_expr(e.body, 0, indent)}", _LEVEL["if"]

    def visit_Mapping(self, e: n.Mapping, indent: str) -> tuple[str, int]:
        coll = _expr(e.coll, _LEVEL["eller"], indent)
        key = _expr(e.key, _LEVEL["eller"], indent)
        return f"opslag {e.var} i {coll}: {key} => {_expr(e.value, 0, indent)}", _LEVEL["if"]

    def visit_ListLit(self, e: n.ListLit, indent: str) -> tuple[str, int]:
        return _items("[", [_expr(x, 0, indent + INDENT) for x in e.items], "]", indent), _LEVEL["atom"]

    def visit_RecordLit(self, e: n.RecordLit, indent: str) -> tuple[str, int]:
        items = [f"{k}: {_expr(v, 0, indent + INDENT)}" for k, v in e.items]
        return _items("{", items, "}", indent), _LEVEL["atom"]


_EXPRESSIONS = _Expressions()


def _where(where: Any, indent: str) -> str:
    return f" hvor {_expr(where, _LEVEL['eller'], indent)}" if where is not None else ""


def _items(open_: str, items: list[str], close: str, indent: str) -> str:
    one = open_ + ", ".join(items) + close
    if len(one) + len(indent) <= WIDTH and "\n" not in one:
        return one
    inner = indent + INDENT
    return open_ + "\n" + ",\n".join(inner + x for x in items) + "\n" + indent + close


# Words the grammar reserves: an enum member spelled like one must be quoted.
KEYWORDS = frozenset(
    term.pattern.value
    for term in lark_parser().terminals
    if term.pattern.type == "str" and re.fullmatch(r"\w+", term.pattern.value)
)


# ---------------------------------------------------------------- canonical text of parts, for diff and docs


def expr_text(e: Any) -> str:
    return " ".join(_expr(e, 0).split())


def slot_text(v: n.SlotValue) -> str:
    return _slot_value(v)


def cells_text(cells: tuple[n.Cell, ...]) -> str:
    return ", ".join(_cell(c) for c in cells)


def type_text(ref: n.TypeRef) -> str:
    return _type(ref)


def citation_text(c: n.Citation) -> str:
    return c.text
