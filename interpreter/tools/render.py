"""A policy as a readable Markdown document: an index page and one page per .almen file.

Every declaration is shown in file order (the agreement's order) with its heading, citations,
quoted phrases, interpretation notes (marked as such), its rule in readable form, decision
tables as Markdown tables, letting wheels as nine-slot pictures with exact shares, schedules as
timelines, and a link to the line of the .almen file it comes from.

The output is deterministic: the same policy files give the same bytes. Numbers are the
formatter's exact text; nothing passes through a float.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

from almen import dsl
from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.check import Model
from almen.dsl.formatter import cells_text, expr_text, type_text
from almen.dsl.semantics import constant

__all__ = ["render_model", "render_policy"]

KIND_WORDS = {
    "politik": "Aftalens hoved",
    "valg": "Valgmuligheder",
    "post": "Post",
    "fakta": "Fakta",
    "parameter": "Parameter",
    "definition": "Definition",
    "beslutning": "Beslutning",
    "regel": "Regel",
    "undtagelse": "Undtagelse",
    "tabel": "Beslutningstabel",
    "skema": "Skema",
    "hjul": "Udlejningshjul",
    "mål": "Mål",
    "fjern": "Fjernet",
}

MONTH_RULES = {
    "sidste_dag": "en kalendermåned lagt til en dag, som måneden ikke har (fx den 31.), giver månedens sidste dag",
    "fejl": "en kalendermåned lagt til en dag, som måneden ikke har (fx den 31.), er en fejl",
}

LONG = 80  # an expression longer than this is shown as a list of its parts


# ---------------------------------------------------------------- entry points


def render_policy(path: str | Path, out_dir: str | Path, *, source_pages: bool = False) -> list[Path]:
    """Write the policy at `path` as Markdown into `out_dir`; return the files written, in order.

    Links to the source point at the .almen files themselves (relative to `out_dir`, with a
    GitHub-style `#L41` line anchor). With `source_pages=True` (for a static site, where the
    .almen files are not published) each file is also written as a page `kilde/<navn>.md` with
    numbered lines, and the links point there instead.
    """
    model = dsl.load(path)
    return render_model(model, Path(path), Path(out_dir), source_pages=source_pages)


def render_model(model: Model, path: Path, out_dir: Path, *, source_pages: bool = False) -> list[Path]:
    doc = _Document(model, path, out_dir, source_pages)
    written = []
    for name, text in doc.pages():
        target = out_dir / name
        _write(target, text)
        written.append(target)
    return written


def _write(target: Path, text: str) -> None:
    """Write only when the text changed, so a watching server does not rebuild for nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    if not target.is_file() or target.read_bytes() != data:
        target.write_bytes(data)


# ---------------------------------------------------------------- Markdown helpers


def md(text: str) -> str:
    """Plain text safe in Markdown: characters that would start markup are escaped."""
    text = text.replace("\\", "\\\\").replace("`", "\\`").replace("*", "\\*")
    text = text.replace("[", "\\[").replace("]", "\\]").replace("<", "&lt;").replace("{", "\\{")
    return re.sub(r"(?<!\w)_|_(?!\w)", r"\\_", text)


def cell(text: str) -> str:
    """Text for a table cell: a pipe would end the cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    text = " ".join(text.split())
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


def anchor(kind: str, name: str) -> str:
    return f"{kind}-{name}".replace(" ", "-")


def _shown(value: Fraction, denominator: int) -> str:
    """A share over the wheel's own denominator, as the agreement writes it: 3/9, 7/18 (3/9 + 1/18)."""
    scaled = value * denominator
    if scaled.denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    count = scaled.numerator
    if denominator % 2 == 0 and denominator > 2:
        half = denominator // 2
        if count % 2 == 0:
            return f"{count // 2}/{half}"
        if count > 1:
            return f"{count}/{denominator} ({count // 2}/{half} + 1/{denominator})"
    return f"{count}/{denominator}"


def _short_type(text: str) -> str:
    """An inferred type without the fields of an anonymous record, which can run to a paragraph."""
    return re.sub(r"\{.*\}", "post", text)


def _pretty_op(text: str) -> str:
    return {">=": "≥", "<=": "≤", "!=": "≠"}.get(text, text)


def _label(member: str) -> str:
    """A letting type as people write it: kommunal_anvisning → kommunal anvisning."""
    return member.replace("_", " ")


_JOINT = re.compile(r"(?<=[aeiouyæøå]s)(?=[bcdfghjklmnpqrtvwxz])")


def _narrow(text: str) -> str:
    """Text for a narrow column of a wheel picture: long words may break, with a hyphen, at a
    Danish compound joint (byfornyelses-genhusning), and identifiers after an underscore."""
    words = []
    for word in text.split(" "):
        if len(word) > 12 and "_" not in word:
            word = _JOINT.sub("&shy;", word)
        words.append(word.replace("_", "_<wbr>"))
    return " ".join(words)


# ---------------------------------------------------------------- the document


class _Document:
    def __init__(self, model: Model, path: Path, out_dir: Path, source_pages: bool):
        self.model = model
        self.root = (path if path.is_dir() else path.parent).resolve()
        self.out_dir = out_dir
        self.source_pages = source_pages
        self.header = model.policy
        # an amending version's own files first, then what it inherits, each in file order
        kept = [m for m in model.modules if m.decls or self._own(m)]
        self.modules = [m for m in kept if self._own(m)] + [m for m in kept if not self._own(m)]
        self.page_of: dict[str, str] = {}  # module path → page name (without .md)
        used: set[str] = {"index", "fortolkninger", "kilde"}
        for m in self.modules:
            name = self._page_name(m, used)
            used.add(name)
            self.page_of[m.path] = name
        self.where: dict[tuple[str, str], tuple[str, str]] = {}  # (kind, name) → (page, anchor)
        for m in self.modules:
            for d in m.decls:
                kind, name = _key(d)
                self.where.setdefault((kind, name), (self.page_of[m.path], anchor(kind, name)))
        self.notes: list[tuple[str, str, str, str]] = []  # (page, anchor, label, note) for the register

    # ---- names and links

    def _own(self, m: n.Module) -> bool:
        return Path(m.path).resolve().parent == self.root

    def _page_name(self, m: n.Module, used: set[str]) -> str:
        p = Path(m.path).resolve()
        base = p.stem if self._own(m) else f"{p.parent.name}-{p.stem}"
        name, i = base, 2
        while name in used:
            name, i = f"{base}-{i}", i + 1
        return name

    def file_label(self, m: n.Module) -> str:
        p = Path(m.path)
        return p.name if self._own(m) else f"{p.parent.name}/{p.name}"

    def source_link(self, span: n.Span, from_page: str = "") -> str:
        """`[06_hjul.almen:41](…)`: the file and line an element is written on."""
        p = Path(span.path).resolve()
        module = next((m for m in self.modules if Path(m.path).resolve() == p), None)
        label = f"{p.name if module is None else self.file_label(module)}:{span.line}"
        if self.source_pages and module is not None:
            depth = "../" * from_page.count("/")
            href = f"{depth}kilde/{self.page_of[module.path]}.md#L-{span.line}"
        else:
            base = (self.out_dir / from_page).parent.resolve() if from_page else self.out_dir.resolve()
            href = Path(os.path.relpath(p, base)).as_posix() + f"#L{span.line}"
        return f"[{md(label)}]({href})"

    def link(self, kind: str, name: str, page: str, text: str | None = None) -> str:
        target = self.where.get((kind, name))
        label = text if text is not None else md(name)
        if target is None:
            return label
        where, anc = target
        href = f"#{anc}" if where == page else f"{where}.md#{anc}"
        return f"[{label}]({href})"

    # ---- pages

    def pages(self) -> list[tuple[str, str]]:
        out = [("index.md", self.index())]
        for m in self.modules:
            out.append((self.page_of[m.path] + ".md", self.module_page(m)))
        out.append(("fortolkninger.md", self.register()))
        if self.source_pages:
            for m in self.modules:
                out.append((f"kilde/{self.page_of[m.path]}.md", self.source_page(m)))
        return out

    def index(self) -> str:
        h = self.header
        title = (h.title if h and h.title else None) or (h.name if h else self.root.name)
        lines = [f"# {md(title)}", ""]
        if h is not None:
            lines += ["| aftalen | |", "|---|---|"]
            rows = [
                ("Politik", code(h.name)),
                ("Kommune", md(h.municipality or "")),
                ("Parter", md(", ".join(h.parties))),
                ("Version", md(h.version or "")),
                ("Gyldig", f"fra {h.valid_from} til og med {h.valid_to}" if h.valid_from else ""),
                ("Afløser", md(h.supersedes or "")),
                ("Ændrer", md(h.amends or "")),
                ("Kildedokument", md(h.document or "")),
                ("Månedsregel", f"{code(h.month_rule)}: {MONTH_RULES.get(h.month_rule, '')}" if h.month_rule else ""),
            ]
            lines += [f"| {k} | {cell(v)} |" for k, v in rows if v]
            lines += ["", f"Aftalens hoved står i {self.source_link(h.span)}.", ""]
            if h.amends:
                lines += [
                    f"Denne version ændrer versionen {md(h.amends)}: siderne nedenfor viser politikken, som den "
                    "gælder med ændringerne; sider fra den tidligere version er markeret med dens mappe.",
                    "",
                ]
            if h.notes:
                lines += [f'## <a id="{anchor("politik", h.name)}"></a>Fortolkninger i aftalens hoved', ""]
                for note in h.notes:
                    lines += self.note(note, "index", anchor("politik", h.name), "aftalens hoved")
        decisions = list(self.model.decisions.items())
        if decisions:
            lines += ["## Beslutninger", "", "Hvad politikken kan besvare (`almen decide POLITIK BESLUTNING`):", ""]
            lines += ["| beslutning | spørgsmål | type |", "|---|---|---|"]
            for name, dec in sorted(decisions):
                typ = type_text(dec.type) if dec.type is not None else _short_type(self.inferred(name))
                lines.append(
                    f"| {cell(self.link('beslutning', name, 'index'))} | {cell(md(dec.meta.title or ''))} | "
                    f"{cell(md(typ))} |"
                )
            lines.append("")
        lines += ["## Indhold", ""]
        for m in self.modules:
            page = self.page_of[m.path]
            intro = _intro(m)
            head = f"- **[{md(self.file_label(m))}]({page}.md)**"
            if intro:
                head += f" — {md(' '.join(intro))}"
            lines.append(head)
            items = []
            for d in m.decls:
                kind, name = _key(d)
                if kind == "politik":
                    continue
                items.append(f"{kind} {self.link(kind, name, 'index')}")
            if items:
                lines += ["", "    " + " · ".join(items), ""]
        lines += [
            "- **[Fortolkninger](fortolkninger.md)** — alle fortolkninger af aftalens tekst samlet ét sted",
            "",
        ]
        return "\n".join(lines).rstrip() + "\n"

    def register(self) -> str:
        lines = [
            "# Fortolkninger",
            "",
            "Hvor aftalens tekst er uklar eller selvmodsigende, har politikken valgt en læsning og skrevet den "
            "ved siden af reglen med `fortolkning`. Her er de alle, i filernes rækkefølge.",
            "",
            f"{len(self.notes)} fortolkninger.",
            "",
        ]
        current = None
        for page, anc, label, note in self.notes:
            if page != current:
                module = next(m for m in self.modules if self.page_of[m.path] == page) if page != "index" else None
                title = self.file_label(module) if module is not None else "Aftalens hoved"
                target = f"{page}.md"
                lines += [f"## [{md(title)}]({target})", ""]
                current = page
            lines += [f"- [{md(label)}]({page}.md#{anc}): {md(note)}"]
        return "\n".join(lines).rstrip() + "\n"

    def source_page(self, m: n.Module) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter

        from almen.dsl.highlight import AlmenLexer

        label = self.file_label(m)
        formatter = HtmlFormatter(linenos="inline", linespans="L", wrapcode=True, cssclass="highlight almen-kilde")
        body = highlight(m.source, AlmenLexer(), formatter)
        body = re.sub(r'<span id="L-(\d+)">', r'<span id="L-\1" class="almen-linje">', body)
        # a blank line ends a raw HTML block in some Markdown readers: keep every line non-empty
        body = "\n".join(line if line.strip() else "&#8203;" for line in body.rstrip().splitlines())
        page = self.page_of[m.path]
        return (
            f"# Kildetekst: {md(label)}\n\n"
            f"Den gennemgåede side: [{md(label)}](../{page}.md). Linjenumrene er dem, som "
            "`almen check` og forklaringerne henviser til.\n\n" + body + "\n"
        )

    def note(self, text: str, page: str, anc: str, label: str, what: str = "Fortolkning") -> list[str]:
        self.notes.append((page, anc, label, text))
        return [f"> **{what}:** {md(text)}", ""]

    # ---- one page per file

    def module_page(self, m: n.Module) -> str:
        page = self.page_of[m.path]
        label = self.file_label(m)
        lines = [f"# {md(label)}", ""]
        intro = _intro(m)
        if intro:
            lines += [md(" ".join(intro)), ""]
        lines += [f"Filen: {self.source_link(_file_span(m), page)} · [Til indholdet](index.md)", ""]
        sections = _sections(m)
        in_section = False
        for d in m.decls:
            for title in sections.get(id(d), ()):
                lines += [f"## {md(title)}", ""]
                in_section = True
            level = "###" if in_section else "##"
            lines += self.decl(d, page, level)
        if not m.decls:
            lines += ["*Filen har ingen erklæringer.*", ""]
        return "\n".join(lines).rstrip() + "\n"

    def heading(self, d: Any, level: str, page: str) -> list[str]:
        kind, name = _key(d)
        title = _title(d)
        text = f"{kind} {md(name)}" + (f" — {md(title)}" if title else "")
        what = KIND_WORDS.get(kind, kind)
        if isinstance(d, n.Rule) and d.exception_to:
            what = "Undtagelse (regel)"
        if isinstance(d, n.SlotException):
            what = "Undtagelse til en plads i et hjul"
        return [
            f'{level} <a id="{anchor(kind, name)}"></a>{text}',
            "",
            f"*{what}* · {self.source_link(d.span, page)}",
            "",
        ]

    def decl(self, d: Any, page: str, level: str) -> list[str]:
        """Heading, citations, the element itself, then its interpretation notes."""
        kind, name = _key(d)
        lines = self.heading(d, level, page)
        anc = anchor(kind, name)
        if isinstance(d, n.Policy):
            lines += [f"Aftalens hoved: se [forsiden](index.md) ({md(d.title or d.name)}).", ""]
            for note in d.notes:
                lines += [f"> **Fortolkning:** {md(note)}", ""]
            return lines
        if isinstance(d, n.EnumDecl):
            members = ", ".join(code(x) for x in d.members)
            return [*lines, f"Mulige værdier: {members}.", ""]
        if isinstance(d, n.RecordDecl):
            return lines + self.record(d, page, anc)
        if isinstance(d, n.FactDecl):
            typ = self.type_link(d.type, page)
            lines += [f"Fakta, som udlejningssystemet giver: {code(d.name)}, af typen {typ}.", ""]
            for note in d.notes:
                lines += self.note(note, page, anc, f"fakta {name}")
            return lines
        if isinstance(d, n.Removal):
            what = self.link(d.target_kind, d.name, page, code(d.name))
            return [*lines, f"Denne version fjerner {d.target_kind} {what}.", "", _citation(d.citation), ""]
        bodies: dict[type, Callable[[Any, str, str], list[str]]] = {
            n.ParamDecl: self.parameter,
            n.Definition: self.definition,
            n.Decision: self.decision,
            n.Rule: self.rule,
            n.SlotException: self.slot_exception,
            n.Table: self.table,
            n.Wheel: self.wheel,
            n.Goal: self.goal,
        }
        body = bodies[type(d)]
        for c in d.meta.citations:
            lines += [_citation(c), ""]
        lines += body(d, page, anc)
        for note in d.meta.notes:
            lines += self.note(note, page, anc, f"{kind} {name}")
        return lines

    # ---- declarations

    def type_link(self, ref: n.TypeRef | None, page: str, inferred: str = "?") -> str:
        """A type as text, with the records and choices it names linked to their declarations."""
        text = type_text(ref) if ref is not None else _short_type(inferred)
        parts = re.split(r"(\w+)", text)
        linked = {p for p in parts if ("post", p) in self.where or ("valg", p) in self.where}
        if not linked:
            return code(text)
        out = []
        for part in parts:
            if part in linked:
                kind = "post" if ("post", part) in self.where else "valg"
                out.append(self.link(kind, part, page, code(part)))
            else:
                out.append(md(part))
        return "".join(out)

    def record(self, d: n.RecordDecl, page: str, anc: str) -> list[str]:
        defaults = any(f.default is not None for f in d.fields)
        lines = []
        if defaults:
            lines += ["Felter uden standardværdi skal oplyses, når et svar afhænger af dem.", ""]
            lines += ["| felt | type | standardværdi |", "|---|---|---|"]
        else:
            lines += ["| felt | type |", "|---|---|"]
        for f in d.fields:
            row = f"| {code(f.name)} | {cell(self.type_link(f.type, page))} |"
            if defaults:
                row += f" {cell(code(expr_text(f.default)) if f.default is not None else '—')} |"
            lines.append(row)
        lines.append("")
        for f in d.fields:
            for note in f.notes:
                lines += self.note(note, page, anc, f"post {d.name}, felt {f.name}", f"Fortolkning af `{f.name}`")
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
            source = _citation_inline(v.citation) if v.citation else ""
            lines.append(f"| {v.start} | {code(expr_text(v.value))} | {cell(source)} |")
        lines.append("")
        for v in d.values:
            for note in v.notes:
                lines += self.note(note, page, anc, f"parameter {d.name} fra {v.start}", f"Fortolkning (fra {v.start})")
        return lines

    def inferred(self, name: str) -> str:
        return str(self.model.value_types.get(name, "?"))

    def definition(self, d: n.Definition, page: str, anc: str) -> list[str]:
        params = ", ".join(f"{p.name}: {type_text(p.type)}" for p in d.params)
        head = d.name + (f"({params})" if d.params else "")
        typ = self.type_link(d.type, page, self.inferred(d.name))
        lines = [f"{code(head)} (type {typ}) er:", ""]
        return lines + _value(d.body) + [""]

    def decision(self, d: n.Decision, page: str, anc: str) -> list[str]:
        typ = self.type_link(d.type, page, self.inferred(d.name))
        if d.body is not None:
            return [f"Svaret (type {typ}) er:", "", *_value(d.body), ""]
        lines = [f"Svarets type: {typ}.", ""]
        rules = self.model.rules.get(d.name, [])
        if rules:
            lines += ["Svaret gives af reglerne (en undtagelse går forud for den regel, den er undtagelse til):", ""]
            by_parent: dict[str | None, list[n.Rule]] = {}
            for r in rules:
                by_parent.setdefault(r.exception_to, []).append(r)

            def walk(parent: str | None, depth: int) -> None:
                for r in by_parent.get(parent, []):
                    extra = f" — {md(r.meta.title)}" if r.meta.title else ""
                    word = "undtagelse" if r.exception_to else "regel"
                    lines.append("    " * depth + f"- {word} {self.link('regel', r.name, page)}{extra}")
                    walk(r.label, depth + 1)

            walk(None, 0)
            lines.append("")
        return lines

    def rule(self, r: n.Rule, page: str, anc: str) -> list[str]:
        lines = [f"Regel for beslutningen {self.link('beslutning', r.target, page)}.", ""]
        if r.exception_to:
            parent = f"{r.target}.{r.exception_to}"
            lines += [
                f"Undtagelse til {self.link('regel', parent, page)}: den gælder kun, hvor den regel gælder, og "
                "går da forud for den.",
                "",
            ]
        if r.condition is not None:
            lines += _condition("Hvis", r.condition)
            lines += _labelled("så", r.consequence)
        else:
            lines += _labelled("Altid", r.consequence)
        return lines

    def slot_exception(self, x: n.SlotException, page: str, anc: str) -> list[str]:
        where = f"plads {x.slot}" + (f" i perioden {md(x.period)}" if x.period else " i alle perioder")
        lines = [
            f"Ændrer {where} i hjulet {self.link('hjul', x.wheel, page)}, når betingelsen er opfyldt.",
            "",
        ]
        lines += _condition("Hvis", x.condition)
        lines += [f"**så** bliver pladsen: {md(_slot_plain(x.value))}", ""]
        return lines

    def table(self, tb: n.Table, page: str, anc: str) -> list[str]:
        lines: list[str] = []
        out_type = self.model.value_types.get(tb.name)
        is_date = out_type is not None and t.strip(out_type) == t.DATE
        if tb.schedule:
            lines += [
                f"Skema efter {code(expr_text(tb.inputs[0]))}: præcis én række gælder for hver værdi. "
                "`almen check` afviser skemaet, hvis en værdi ikke er dækket, eller hvis to rækker overlapper.",
                "",
            ]
        elif tb.hit == "unik":
            lines += [
                "Hit-politik **unik**: præcis én række gælder. `almen check` afviser tabellen, hvis en "
                "kombination af input ikke er dækket, eller hvis to rækker overlapper.",
                "",
            ]
        else:
            lines += [
                "Hit-politik **første**: den første række, der passer, gælder. `almen check` afviser tabellen, "
                "hvis en kombination af input ikke er dækket.",
                "",
            ]
        heads = [md(expr_text(e)) for e in tb.inputs]
        result = "værdi" if tb.schedule else "udfald"
        lines.append("| række | " + " | ".join(cell(h) for h in heads) + f" | {result} |")
        lines.append("|---:|" + "---|" * len(heads) + "---|")
        for i, row in enumerate(tb.rows, start=1):
            cells = [cell(_cell_text(c)) for c in row.cells]
            lines.append(f"| {i} | " + " | ".join(cells) + f" | {cell(_output(row.output))} |")
        lines.append("")
        for i, row in enumerate(tb.rows, start=1):
            for note in row.notes:
                lines += self.note(note, page, anc, f"{tb.kind} {tb.name}, række {i}", f"Fortolkning (række {i})")
        if is_date:
            lines += self.timeline(tb)
        return lines

    def timeline(self, tb: n.Table) -> list[str]:
        """The rows of a table that gives dates, in date order."""
        rows = sorted(enumerate(tb.rows, start=1), key=lambda pair: (_sort_date(pair[1].output), pair[0]))
        lines = ["**Tidslinje:**", ""]
        for i, row in rows:
            when = [
                f"{md(expr_text(e))} {_condition_text(c)}"
                for e, c in zip(tb.inputs, row.cells, strict=False)
                if not isinstance(c, n.CellAny)
            ]
            condition = " og ".join(when) if when else "ellers"
            lines.append(f"- **{md(_output(row.output))}** — {condition} (række {i})")
        return [*lines, ""]

    def wheel(self, w: n.Wheel, page: str, anc: str) -> list[str]:
        members = self.model.enums[w.letting_type].members if w.letting_type in self.model.enums else ()
        exceptions = self.model.slot_exceptions.get(w.name, [])
        lines = [f"Udlejningstyper: {self.link('valg', w.letting_type, page, code(w.letting_type))}.", ""]
        footnotes: list[tuple[str, list[str]]] = []  # (text, [where]) in order of first use
        alternating = any(isinstance(s.value, n.Alternating) for p in w.periods for s in p.slots)
        size = max((len(p.slots) for p in w.periods), default=9)
        header = "| " + " | ".join(f"plads {i}" for i in range(1, size + 1)) + " |"
        lines += ["**Hjulet** — den n'te ledige bolig får plads (n − 1) mod 9 + 1:", ""]
        several = len(w.periods) > 1
        for p in sorted(w.periods, key=lambda p: p.start):
            cells = []
            for s in sorted(p.slots, key=lambda s: s.number):
                where = f"plads {s.number}" + (f" ({p.label})" if several else "")
                text = self.slot_cell(s.value, page, footnotes, where)
                hits = [x for x in exceptions if x.slot == s.number and x.period in (None, p.label)]
                for x in hits:
                    label = f"*undtagelse: {_narrow(md(x.label))}*"
                    text += "<br>" + self.link("undtagelse", x.name, page, label)
                cells.append(cell(text))
            lines += [f"Periode **{md(p.label)}**, {p.start} – {p.end}:", ""]
            # the div lets a stylesheet fit nine columns to the page; Markdown readers ignore it
            lines += ['<div class="almen-hjul" lang="da" markdown="1">', "", header, "|" + "---|" * size]
            lines += ["| " + " | ".join(cells) + " |", "", "</div>", ""]
        if footnotes:
            for i, (explained, places) in enumerate(footnotes, start=1):
                lines.append(f"<sup>{i}</sup> {md(', '.join(places))}: {explained}  ")
            lines[-1] = lines[-1].rstrip()
            lines.append("")
        if alternating:
            lines += [
                "«A / B» er *på skift*: pladsen går til A i hjulets første, tredje, … omgang og til B i anden, "
                "fjerde, … omgang; hver tæller 1/18.",
                "",
            ]
        # exact shares
        share_rows = [(p, _period_shares(p, members)) for p in sorted(w.periods, key=lambda p: p.start)]
        conditional = any(cond for _, (_, cond) in share_rows)
        lines += ["**Andele** (eksakte brøker af de ledige boliger):", ""]
        head = "| periode | " + " | ".join(md(_label(m)) for m in members)
        head += " | afhænger af afdelingen |" if conditional else " |"
        lines += [head, "|---|" + "---:|" * len(members) + ("---|" if conditional else "")]
        for p, (fixed, cond) in share_rows:
            denominator = len(p.slots) * (2 if any(isinstance(s.value, n.Alternating) for s in p.slots) else 1)
            row = f"| {md(p.label)} | " + " | ".join(_shown(fixed[m], denominator) for m in members)
            if conditional:
                total = sum((wgt for _, _, wgt in cond), Fraction(0))
                slots = sorted({s for s, _, _ in cond})
                where = ", ".join(str(s) for s in slots)
                row += f" | {_shown(total, denominator)} (plads {where})" if cond else " | –"
            lines.append(row + " |")
        lines.append("")
        if exceptions:
            lines += ["Andelene er hjulets egne, før undtagelser. Undtagelser til pladser i hjulet:", ""]
            for x in exceptions:
                period = f" (periode {md(x.period)})" if x.period else ""
                lines.append(
                    f"- plads {x.slot}{period}: {self.link('undtagelse', x.name, page, md(x.label))} — hvis "
                    f"{code(expr_text(x.condition))} så {md(_slot_plain(x.value))}"
                )
            lines.append("")
        for p in sorted(w.periods, key=lambda p: p.start):
            for s in sorted(p.slots, key=lambda s: s.number):
                for note in s.notes:
                    where = f"plads {s.number}" + (f", periode {p.label}" if len(w.periods) > 1 else "")
                    lines += self.note(note, page, anc, f"hjul {w.name}, {where}", f"Fortolkning ({where})")
        return lines

    def slot_cell(self, value: n.SlotValue, page: str, footnotes: list[tuple[str, list[str]]], where: str) -> str:
        if isinstance(value, n.Alternating):
            first = self.chain_cell(value.first, page, footnotes, where)
            second = self.chain_cell(value.second, page, footnotes, where)
            return f"*på skift:*<br>{first}<br>/&nbsp;{second}"
        return self.chain_cell(value, page, footnotes, where)

    def chain_cell(self, chain: n.Chain, page: str, footnotes: list[tuple[str, list[str]]], where: str) -> str:
        parts = []
        for i, letting in enumerate(chain.lettings):
            text = self.letting_cell(letting, page, footnotes, where)
            parts.append(f"**{text}**" if i == 0 and isinstance(letting, n.Letting) else text)
        return "&nbsp;→<br>".join(parts)

    def letting_cell(self, x: n.LettingChoice, page: str, footnotes: list[tuple[str, list[str]]], where: str) -> str:
        if isinstance(x, n.Letting):
            text = _narrow(md(_label(x.member)))
            if x.payload is not None:
                text += f" ({self.payload(x.payload, page, narrow=True)})"
            return text
        options = " eller ".join(_narrow(md(_label(m))) for m in _members(x))
        explained = _letting_plain(x)
        for i, (known, places) in enumerate(footnotes, start=1):
            if known == explained:
                places.append(where)
                return f"{options}<sup>{i}</sup>"
        footnotes.append((explained, [where]))
        return f"{options}<sup>{len(footnotes)}</sup>"

    def payload(self, e: Any, page: str, narrow: bool = False) -> str:
        if isinstance(e, n.ListLit) and all(isinstance(i, n.Literal) and i.kind == "string" for i in e.items):
            return md(", ".join(str(getattr(i, "value", "")) for i in e.items))
        if isinstance(e, n.Name) and ("definition", e.name) in self.where:
            return self.link("definition", e.name, page, _narrow(md(e.name)) if narrow else None)
        return code(expr_text(e))

    def goal(self, g: n.Goal, page: str, anc: str) -> list[str]:
        direction = g.direction + (f" {expr_text(g.target)}" if g.target is not None else "")
        measure = expr_text(g.measure) if g.measure is not None else ""
        lines = [f"**Måling:** {code(measure)}  ", f"**Retning:** {md(direction)}  "]
        if g.baseline is not None:
            b = g.baseline
            base = f"{code(expr_text(b.value))} pr. {b.date}"
            if b.citation is not None:
                base += f" ({_citation_inline(b.citation)})"
            lines.append(f"**Basislinje:** {base}  ")
        if g.serves:
            lines.append(f"**Tjener:** {md('; '.join(g.serves))}  ")
        lines[-1] = lines[-1].rstrip()
        return [*lines, ""]


# ---------------------------------------------------------------- expressions in readable form


def _value(e: Any, depth: int = 0) -> list[str]:
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
        for key, value in e.items:
            lines += _case(f"{md(key)}", value, depth, sep=":")
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
    return [f"{pad}- {head}{sep}", "", *_value(value, depth + 1), ""]


def _condition(word: str, e: Any) -> list[str]:
    parts = _flatten(e, e.op) if isinstance(e, n.BoolOp) else [e]
    if len(parts) > 1 and len(expr_text(e)) > LONG:
        joiner = "og" if e.op == "og" else "eller"
        lead = "alle disse gælder" if joiner == "og" else "mindst én af disse gælder"
        lines = [f"**{word}** {lead}:", ""]
        lines += [f"- {code(expr_text(parts[0]))}"] + [f"- {joiner} {code(expr_text(p))}" for p in parts[1:]]
        return [*lines, ""]
    return [f"**{word}** {code(expr_text(e))}", ""]


def _labelled(word: str, e: Any) -> list[str]:
    body = _value(e)
    if len(body) == 1 and not body[0].startswith("-"):
        return [f"**{word}** {body[0]}", ""]
    return [f"**{word}:**", "", *body, ""]


def _flatten(e: Any, op: str) -> list[Any]:
    if isinstance(e, n.BoolOp) and e.op == op:
        return _flatten(e.left, op) + _flatten(e.right, op)
    return [e]


def _cell_text(c: n.Cell) -> str:
    if isinstance(c, n.CellAny):
        return "(enhver)"
    if isinstance(c, n.CellValues):
        return " eller ".join(_constant_text(v) for v in c.values)
    if isinstance(c, n.CellCompare):
        return f"{_pretty_op(c.op)} {_constant_text(c.value)}"
    if isinstance(c, n.CellRange):
        upper = "til og med" if c.closed else "til under"
        return f"{_constant_text(c.low)} {upper} {_constant_text(c.high)}"
    return md(cells_text((c,)))


def _condition_text(c: n.Cell) -> str:
    if isinstance(c, n.CellValues):
        return "= " + " eller ".join(_constant_text(v) for v in c.values)
    if isinstance(c, n.CellRange):
        upper = "til og med" if c.closed else "til under"
        return f"fra {_constant_text(c.low)} {upper} {_constant_text(c.high)}"
    return _cell_text(c)


def _constant_text(e: Any) -> str:
    if isinstance(e, n.Literal) and e.kind == "string":
        return md(e.value)
    if isinstance(e, n.Binary) and e.op == "/" and isinstance(constant(e), Fraction):
        return md(f"{expr_text(e.left)}/{expr_text(e.right)}")
    return md(expr_text(e))


def _output(e: Any) -> str:
    return _constant_text(e)


def _sort_date(e: Any) -> dt.date:
    value = constant(e)
    return value if isinstance(value, dt.date) else dt.date.max


def _citation(c: n.Citation) -> str:
    text = f"**Kilde:** {md(c.source)}"
    if c.quote:
        text += f" — «{md(c.quote)}»"
    return text


def _citation_inline(c: n.Citation) -> str:
    return md(c.source) + (f" «{md(c.quote)}»" if c.quote else "")


# ---------------------------------------------------------------- wheels


def _members(x: n.LettingChoice) -> list[str]:
    """The letting types a (conditional) letting can give, in order, once each."""
    if isinstance(x, n.Letting):
        return [x.member]
    out = []
    for m in _members(x.then) + _members(x.else_):
        if m not in out:
            out.append(m)
    return out


def _letting_plain(x: n.LettingChoice) -> str:
    if isinstance(x, n.Letting):
        return md(_label(x.member)) + (f" med {code(expr_text(x.payload))}" if x.payload is not None else "")
    return f"hvis {code(expr_text(x.cond))} så {_letting_plain(x.then)}, ellers {_letting_plain(x.else_)}"


def _chain_plain(c: n.Chain) -> str:
    return " → ".join(_letting_plain(x) for x in c.lettings)


def _slot_plain(v: n.SlotValue) -> str:
    if isinstance(v, n.Alternating):
        return f"på skift {_chain_plain(v.first)} / {_chain_plain(v.second)}"
    return _chain_plain(v)


def _period_shares(
    period: n.Period, members: Iterable[str]
) -> tuple[dict[str, Fraction], list[tuple[int, list[str], Fraction]]]:
    """Each type's exact share from the slots that give it for certain, and the slots that depend."""
    size = len(period.slots)
    fixed = dict.fromkeys(members, Fraction(0))
    conditional: list[tuple[int, list[str], Fraction]] = []
    for s in period.slots:
        chains = [s.value.first, s.value.second] if isinstance(s.value, n.Alternating) else [s.value]
        for chain in chains:
            weight = Fraction(1, size * len(chains))
            options = _members(chain.lettings[0])
            if len(options) == 1:
                fixed[options[0]] = fixed.get(options[0], Fraction(0)) + weight
            else:
                conditional.append((s.number, options, weight))
    return fixed, conditional


# ---------------------------------------------------------------- declarations: keys, titles, comments


def _key(d: Any) -> tuple[str, str]:
    if isinstance(d, n.Policy):
        return "politik", d.name
    if isinstance(d, n.Removal):
        return "fjern", f"{d.target_kind} {d.name}"
    return d.kind, d.name


def _title(d: Any) -> str | None:
    meta = getattr(d, "meta", None)
    if meta is not None:
        return meta.title
    if isinstance(d, n.Policy):
        return d.title
    return None


def _file_span(m: n.Module) -> n.Span:
    return n.Span(m.path, 1, 1, 1, 1, 0, 0)


_COMMENT = re.compile(r'^\s*((?:[^"#]|"[^"\n]*")*)#(.*)$')


def _comment_lines(m: n.Module) -> list[tuple[int, str, bool]]:
    """(line, text, whole line?) of every comment in the file."""
    out = []
    for number, line in enumerate(m.source.splitlines(), start=1):
        match = _COMMENT.match(line)
        if match:
            out.append((number, match.group(2).strip(), not match.group(1).strip()))
    return out


def _intro(m: n.Module) -> list[str]:
    """The file's opening comment lines, before the first declaration and before any section line."""
    first = min((d.span.line for d in m.decls), default=10**9)
    out: list[str] = []
    previous = 0
    for line, text, whole in _comment_lines(m):
        if line >= first or not whole or text.startswith("---") or (out and line != previous + 1):
            break
        out.append(text)
        previous = line
    return [x for x in out if x]


def _sections(m: n.Module) -> dict[int, list[str]]:
    """Section comments (`# ---- Title`) attached to the declaration that follows them."""
    found: dict[int, list[str]] = {}
    decls = sorted(m.decls, key=lambda d: d.span.line)
    for line, text, whole in _comment_lines(m):
        if not whole or not text.startswith("---"):
            continue
        title = text.strip("- ").strip()
        following = next((d for d in decls if d.span.line > line), None)
        if title and following is not None:
            found.setdefault(id(following), []).append(title)
    return found
