"""Records, parameters, definitions, decisions, rules and goals as Markdown, with expressions in
readable form (cases for `hvis … så … ellers`, fields for a record, parts of a long condition)."""

from __future__ import annotations

from typing import Any

from almen.dsl import nodes as n
from almen.dsl.formatter import expr_text, type_text
from almen.interpreter.tools.render.markup import cell, citation_inline, code, md
from almen.interpreter.tools.render.site import Site

LONG = 80  # an expression longer than this is shown as a list of its parts


class Declarations:
    def __init__(self, site: Site):
        self.site = site

    def record(self, d: n.RecordDecl, page: str, anc: str) -> list[str]:
        defaults = any(f.default is not None for f in d.fields)
        lines = []
        if defaults:
            lines += ["Felter uden standardværdi skal oplyses, når et svar afhænger af dem.", ""]
            lines += ["| felt | type | standardværdi |", "|---|---|---|"]
        else:
            lines += ["| felt | type |", "|---|---|"]
        for f in d.fields:
            row = f"| {code(f.name)} | {cell(self.site.type_link(f.type, page))} |"
            if defaults:
                row += f" {cell(code(expr_text(f.default)) if f.default is not None else '—')} |"
            lines.append(row)
        lines.append("")
        for f in d.fields:
            for note in f.notes:
                lines += self.site.note(note, page, anc, f"post {d.name}, felt {f.name}", f"Fortolkning af `{f.name}`")
        return lines

    def parameter(self, d: n.ParamDecl, page: str, anc: str) -> list[str]:
        lines = [
            f"Type: {code(type_text(d.type))}. Værdien, der gælder på beslutningsdatoen, er den seneste med en "
            "startdato på eller før den.",
            "",
            "| gælder fra | værdi | kilde |",
            "|---|---|---|",
        ]
        for v in d.values:
            source = citation_inline(v.citation) if v.citation else ""
            lines.append(f"| {v.start} | {code(expr_text(v.value))} | {cell(source)} |")
        lines.append("")
        for v in d.values:
            for note in v.notes:
                label = f"parameter {d.name} fra {v.start}"
                lines += self.site.note(note, page, anc, label, f"Fortolkning (fra {v.start})")
        return lines

    def definition(self, d: n.Definition, page: str, anc: str) -> list[str]:
        params = ", ".join(f"{p.name}: {type_text(p.type)}" for p in d.params)
        head = d.name + (f"({params})" if d.params else "")
        typ = self.site.type_link(d.type, page, self.site.inferred(d.name))
        lines = [f"{code(head)} (type {typ}) er:", ""]
        return lines + value_lines(d.body) + [""]

    def decision(self, d: n.Decision, page: str, anc: str) -> list[str]:
        typ = self.site.type_link(d.type, page, self.site.inferred(d.name))
        if d.body is not None:
            return [f"Svaret (type {typ}) er:", "", *value_lines(d.body), ""]
        lines = [f"Svarets type: {typ}.", ""]
        rules = self.site.model.rules.get(d.name, [])
        if rules:
            lines += ["Svaret gives af reglerne (en undtagelse går forud for den regel, den er undtagelse til):", ""]
            by_parent: dict[str | None, list[n.Rule]] = {}
            for r in rules:
                by_parent.setdefault(r.exception_to, []).append(r)

            def walk(parent: str | None, depth: int) -> None:
                for r in by_parent.get(parent, []):
                    extra = f" — {md(r.meta.title)}" if r.meta.title else ""
                    word = "undtagelse" if r.exception_to else "regel"
                    lines.append("    " * depth + f"- {word} {self.site.link('regel', r.name, page)}{extra}")
                    walk(r.label, depth + 1)

            walk(None, 0)
            lines.append("")
        return lines

    def rule(self, r: n.Rule, page: str, anc: str) -> list[str]:
        lines = [f"Regel for beslutningen {self.site.link('beslutning', r.target, page)}.", ""]
        if r.exception_to:
            parent = f"{r.target}.{r.exception_to}"
            lines += [
                f"Undtagelse til {self.site.link('regel', parent, page)}: den gælder kun, hvor den regel gælder, og "
                "går da forud for den.",
                "",
            ]
        if r.condition is not None:
            lines += condition_lines("Hvis", r.condition)
            lines += _labelled("så", r.consequence)
        else:
            lines += _labelled("Altid", r.consequence)
        return lines

    def goal(self, g: n.Goal, page: str, anc: str) -> list[str]:
        direction = g.direction + (f" {expr_text(g.target)}" if g.target is not None else "")
        measure = expr_text(g.measure) if g.measure is not None else ""
        lines = [f"**Måling:** {code(measure)}  ", f"**Retning:** {md(direction)}  "]
        if g.baseline is not None:
            b = g.baseline
            base = f"{code(expr_text(b.value))} pr. {b.date}"
            if b.citation is not None:
                base += f" ({citation_inline(b.citation)})"
            lines.append(f"**Basislinje:** {base}  ")
        if g.serves:
            lines.append(f"**Tjener:** {md('; '.join(g.serves))}  ")
        lines[-1] = lines[-1].rstrip()
        return [*lines, ""]


# ---------------------------------------------------------------- expressions in readable form


def value_lines(e: Any, depth: int = 0) -> list[str]:
    """A value as Markdown lines: cases for `hvis … så … ellers`, fields for a record, else code."""
    pad = "    " * depth
    if isinstance(e, n.If) and len(expr_text(e)) > LONG:
        lines = []
        first = True
        while isinstance(e, n.If):
            word = "hvis" if first else "ellers hvis"
            lines += _case(f"{word} {code(expr_text(e.cond))}", e.then, depth)
            e, first = e.else_, False
        lines += _case("ellers", e, depth)
        return lines
    if isinstance(e, n.RecordLit) and len(expr_text(e)) > LONG:
        lines = []
        for name, value in e.items:
            lines += _case(f"{md(name)}", value, depth, sep=":")
        return lines
    if isinstance(e, n.BoolOp) and len(expr_text(e)) > LONG:
        parts = _flatten(e, e.op)
        lines = [f"{pad}- {code(expr_text(parts[0]))}"]
        lines += [f"{pad}- {e.op} {code(expr_text(p))}" for p in parts[1:]]
        return lines
    return [f"{pad}{code(expr_text(e))}"] if depth == 0 else [f"{pad}- {code(expr_text(e))}"]


def _case(head: str, value: Any, depth: int, sep: str = " →") -> list[str]:
    pad = "    " * depth
    text = expr_text(value)
    complex_ = isinstance(value, n.If | n.RecordLit | n.BoolOp) and len(text) > LONG
    if not complex_:
        return [f"{pad}- {head}{sep} {code(text)}"]
    return [f"{pad}- {head}{sep}", "", *value_lines(value, depth + 1), ""]


def condition_lines(word: str, e: Any) -> list[str]:
    parts = _flatten(e, e.op) if isinstance(e, n.BoolOp) else [e]
    if len(parts) > 1 and len(expr_text(e)) > LONG:
        joiner = "og" if e.op == "og" else "eller"
        lead = "alle disse gælder" if joiner == "og" else "mindst én af disse gælder"
        lines = [f"**{word}** {lead}:", ""]
        lines += [f"- {code(expr_text(parts[0]))}"] + [f"- {joiner} {code(expr_text(p))}" for p in parts[1:]]
        return [*lines, ""]
    return [f"**{word}** {code(expr_text(e))}", ""]


def _labelled(word: str, e: Any) -> list[str]:
    body = value_lines(e)
    if len(body) == 1 and not body[0].startswith("-"):
        return [f"**{word}** {body[0]}", ""]
    return [f"**{word}:**", "", *body, ""]


def _flatten(e: Any, op: str) -> list[Any]:
    if isinstance(e, n.BoolOp) and e.op == op:
        return _flatten(e.left, op) + _flatten(e.right, op)
    return [e]
