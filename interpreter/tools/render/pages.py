"""The pages of a rendered policy: the index, one page per .almen file with every declaration in
file order (heading, citations, the element, its notes), the register of interpretation notes,
and numbered source pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from almen.dsl import nodes as n
from almen.dsl.formatter import type_text
from almen.dsl.identity import HEADER
from almen.interpreter.tools.render.declarations import Declarations
from almen.interpreter.tools.render.markup import anchor, cell, citation_block, code, md, short_type
from almen.interpreter.tools.render.site import Site
from almen.interpreter.tools.render.source import element, file_span, intro, sections, title, words
from almen.interpreter.tools.render.tables import Tables
from almen.interpreter.tools.render.wheels import Wheels

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


class Document:
    def __init__(self, site: Site):
        self.site = site
        self.header = site.model.policy
        declarations, tables, wheels = Declarations(site), Tables(site), Wheels(site)
        self.bodies: dict[type, Callable[[Any, str, str], list[str]]] = {
            n.ParamDecl: declarations.parameter,
            n.Definition: declarations.definition,
            n.Decision: declarations.decision,
            n.Rule: declarations.rule,
            n.SlotException: wheels.slot_exception,
            n.Table: tables.table,
            n.Wheel: wheels.wheel,
            n.Goal: declarations.goal,
        }
        self.record = declarations.record

    def pages(self) -> list[tuple[str, str]]:
        site = self.site
        out = [("index.md", self.index())]
        for m in site.modules:
            out.append((site.page_of[m.path] + ".md", self.module_page(m)))
        out.append(("fortolkninger.md", self.register()))
        if site.source_pages:
            for m in site.modules:
                out.append((f"kilde/{site.page_of[m.path]}.md", self.source_page(m)))
        return out

    def index(self) -> str:
        site, h = self.site, self.header
        heading = (h.title if h and h.title else None) or (h.name if h else site.root.name)
        lines = [f"# {md(heading)}", ""]
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
            lines += ["", f"Aftalens hoved står i {site.source_link(h.span)}.", ""]
            if h.amends:
                lines += [
                    f"Denne version ændrer versionen {md(h.amends)}: siderne nedenfor viser politikken, som den "
                    "gælder med ændringerne; sider fra den tidligere version er markeret med dens mappe.",
                    "",
                ]
            if h.notes:
                lines += [f'## <a id="{anchor(HEADER)}"></a>Fortolkninger i aftalens hoved', ""]
                for note in h.notes:
                    lines += site.note(note, "index", anchor(HEADER), "aftalens hoved")
        decisions = list(site.model.decisions.items())
        if decisions:
            lines += ["## Beslutninger", "", "Hvad politikken kan besvare (`almen decide POLITIK BESLUTNING`):", ""]
            lines += ["| beslutning | spørgsmål | type |", "|---|---|---|"]
            for name, dec in sorted(decisions):
                typ = type_text(dec.type) if dec.type is not None else short_type(site.inferred(name))
                lines.append(
                    f"| {cell(site.link('beslutning', name, 'index'))} | {cell(md(dec.meta.title or ''))} | "
                    f"{cell(md(typ))} |"
                )
            lines.append("")
        lines += ["## Indhold", ""]
        for m in site.modules:
            page = site.page_of[m.path]
            opening = intro(m)
            head = f"- **[{md(site.file_label(m))}]({page}.md)**"
            if opening:
                head += f" — {md(' '.join(opening))}"
            lines.append(head)
            items = []
            for d in m.decls:
                kind, name = words(d)
                if kind == "politik":
                    continue
                items.append(f"{kind} {site.link(kind, name, 'index')}")
            if items:
                lines += ["", "    " + " · ".join(items), ""]
        lines += [
            "- **[Fortolkninger](fortolkninger.md)** — alle fortolkninger af aftalens tekst samlet ét sted",
            "",
        ]
        return "\n".join(lines).rstrip() + "\n"

    def register(self) -> str:
        site = self.site
        lines = [
            "# Fortolkninger",
            "",
            "Hvor aftalens tekst er uklar eller selvmodsigende, har politikken valgt en læsning og skrevet den "
            "ved siden af reglen med `fortolkning`. Her er de alle, i filernes rækkefølge.",
            "",
            f"{len(site.notes)} fortolkninger.",
            "",
        ]
        current = None
        for page, anc, label, note in site.notes:
            if page != current:
                module = next(m for m in site.modules if site.page_of[m.path] == page) if page != "index" else None
                heading = site.file_label(module) if module is not None else "Aftalens hoved"
                lines += [f"## [{md(heading)}]({page}.md)", ""]
                current = page
            lines += [f"- [{md(label)}]({page}.md#{anc}): {md(note)}"]
        return "\n".join(lines).rstrip() + "\n"

    def source_page(self, m: n.Module) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter

        from almen.dsl.highlight import AlmenLexer

        label = self.site.file_label(m)
        formatter = HtmlFormatter(linenos="inline", linespans="L", wrapcode=True, cssclass="highlight almen-kilde")
        body = highlight(m.source, AlmenLexer(), formatter)
        body = re.sub(r'<span id="L-(\d+)">', r'<span id="L-\1" class="almen-linje">', body)
        # a blank line ends a raw HTML block in some Markdown readers: keep every line non-empty
        body = "\n".join(line if line.strip() else "&#8203;" for line in body.rstrip().splitlines())
        page = self.site.page_of[m.path]
        return (
            f"# Kildetekst: {md(label)}\n\n"
            f"Den gennemgåede side: [{md(label)}](../{page}.md). Linjenumrene er dem, som "
            "`almen check` og forklaringerne henviser til.\n\n" + body + "\n"
        )

    def module_page(self, m: n.Module) -> str:
        site = self.site
        page = site.page_of[m.path]
        lines = [f"# {md(site.file_label(m))}", ""]
        opening = intro(m)
        if opening:
            lines += [md(" ".join(opening)), ""]
        lines += [f"Filen: {site.source_link(file_span(m), page)} · [Til indholdet](index.md)", ""]
        titles = sections(m)
        in_section = False
        for d in m.decls:
            for heading in titles.get(id(d), ()):
                lines += [f"## {md(heading)}", ""]
                in_section = True
            level = "###" if in_section else "##"
            lines += self.decl(d, page, level)
        if not m.decls:
            lines += ["*Filen har ingen erklæringer.*", ""]
        return "\n".join(lines).rstrip() + "\n"

    def heading(self, d: Any, level: str, page: str) -> list[str]:
        kind, name = words(d)
        shown_title = title(d)
        text = f"{kind} {md(name)}" + (f" — {md(shown_title)}" if shown_title else "")
        what = KIND_WORDS.get(kind, kind)
        if isinstance(d, n.Rule) and d.exception_to:
            what = "Undtagelse (regel)"
        if isinstance(d, n.SlotException):
            what = "Undtagelse til en plads i et hjul"
        return [
            f'{level} <a id="{anchor(element(d))}"></a>{text}',
            "",
            f"*{what}* · {self.site.source_link(d.span, page)}",
            "",
        ]

    def decl(self, d: Any, page: str, level: str) -> list[str]:
        """Heading, citations, the element itself, then its interpretation notes."""
        site = self.site
        kind, name = words(d)
        lines = self.heading(d, level, page)
        anc = anchor(element(d))
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
            typ = site.type_link(d.type, page)
            lines += [f"Fakta, som udlejningssystemet giver: {code(d.name)}, af typen {typ}.", ""]
            for note in d.notes:
                lines += site.note(note, page, anc, f"fakta {name}")
            return lines
        if isinstance(d, n.Removal):
            what = site.link(d.target_kind, d.name, page, code(d.name))
            return [*lines, f"Denne version fjerner {d.target_kind} {what}.", "", citation_block(d.citation), ""]
        body = self.bodies[type(d)]
        for c in d.meta.citations:
            lines += [citation_block(c), ""]
        lines += body(d, page, anc)
        for note in d.meta.notes:
            lines += site.note(note, page, anc, f"{kind} {name}")
        return lines
