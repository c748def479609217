"""Letting wheels and slot exceptions as Markdown: each period's slots, the exact shares, the
exceptions that replace a slot, and the notes on single slots."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from almen.dsl import nodes as n
from almen.dsl.formatter import expr_text
from almen.interpreter.tools.render.declarations import condition_lines
from almen.interpreter.tools.render.markup import cell, code, md, narrow
from almen.interpreter.tools.render.site import Site
from almen.interpreter.tools.wheel_svg import wheel_svgs
from almen.interpreter.tools.wheel_view import (
    denominator,
    letting_label,
    letting_text,
    members_of,
    period_shares,
    shown,
    slot_text,
)

Footnotes = list[tuple[str, list[str]]]  # (text, [where]) in order of first use


def _plain_name(member: str) -> str:
    return md(letting_label(member))


def _plain_expr(e: Any) -> str:
    return code(expr_text(e))


def slot_plain(v: n.SlotValue) -> str:
    """A slot in words, as Markdown."""
    return slot_text(v, _plain_name, _plain_expr)


class Wheels:
    def __init__(self, site: Site):
        self.site = site

    def wheel(self, w: n.Wheel, page: str, anc: str) -> list[str]:
        model = self.site.model
        members = model.enums[w.letting_type].members if w.letting_type in model.enums else ()
        exceptions = model.slot_exceptions.get(w.name, [])
        lines = [f"Udlejningstyper: {self.site.link('valg', w.letting_type, page, code(w.letting_type))}.", ""]
        footnotes: Footnotes = []
        alternating = any(isinstance(s.value, n.Alternating) for p in w.periods for s in p.slots)
        size = max((len(p.slots) for p in w.periods), default=9)
        header = "| " + " | ".join(f"plads {i}" for i in range(1, size + 1)) + " |"
        lines += ["**Hjulet** — den n'te ledige bolig får plads (n − 1) mod 9 + 1:", ""]
        several = len(w.periods) > 1
        pictures = dict((id(p), svg) for p, svg in wheel_svgs(w, members))
        for p in sorted(w.periods, key=lambda p: p.start):
            cells = []
            for s in sorted(p.slots, key=lambda s: s.number):
                where = f"plads {s.number}" + (f" ({p.label})" if several else "")
                text = self.slot_cell(s.value, page, footnotes, where)
                hits = [x for x in exceptions if x.slot == s.number and x.period in (None, p.label)]
                for x in hits:
                    label = f"*undtagelse: {narrow(md(x.label))}*"
                    text += "<br>" + self.site.link("undtagelse", x.name, page, label)
                cells.append(cell(text))
            lines += [f"Periode **{md(p.label)}**, {p.start} – {p.end}:", ""]
            # one line of raw HTML: a blank line would end the block in a Markdown reader
            lines += [f'<figure class="almen-hjulfigur">{pictures[id(p)]}</figure>', ""]
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
        lines += self.shares(w, members)
        if exceptions:
            lines += ["Andelene er hjulets egne, før undtagelser. Undtagelser til pladser i hjulet:", ""]
            for x in exceptions:
                period = f" (periode {md(x.period)})" if x.period else ""
                lines.append(
                    f"- plads {x.slot}{period}: {self.site.link('undtagelse', x.name, page, md(x.label))} — hvis "
                    f"{code(expr_text(x.condition))} så {md(slot_plain(x.value))}"
                )
            lines.append("")
        for p in sorted(w.periods, key=lambda p: p.start):
            for s in sorted(p.slots, key=lambda s: s.number):
                for note in s.notes:
                    where = f"plads {s.number}" + (f", periode {p.label}" if len(w.periods) > 1 else "")
                    lines += self.site.note(note, page, anc, f"hjul {w.name}, {where}", f"Fortolkning ({where})")
        return lines

    def shares(self, w: n.Wheel, members: tuple[str, ...] | list[str]) -> list[str]:
        """The exact shares of every period as one table, with the slots that depend on the facts."""
        share_rows = [(p, period_shares(p, members)) for p in sorted(w.periods, key=lambda p: p.start)]
        conditional = any(cond for _, (_, cond) in share_rows)
        lines = ["**Andele** (eksakte brøker af de ledige boliger):", ""]
        head = "| periode | " + " | ".join(md(letting_label(m)) for m in members)
        head += " | afhænger af afdelingen |" if conditional else " |"
        lines += [head, "|---|" + "---:|" * len(members) + ("---|" if conditional else "")]
        for p, (fixed, cond) in share_rows:
            den = denominator(p)
            row = f"| {md(p.label)} | " + " | ".join(shown(fixed[m], den) for m in members)
            if conditional:
                total = sum((wgt for _, _, wgt in cond), Fraction(0))
                slots = sorted({s for s, _, _ in cond})
                where = ", ".join(str(s) for s in slots)
                row += f" | {shown(total, den)} (plads {where})" if cond else " | –"
            lines.append(row + " |")
        lines.append("")
        return lines

    def slot_exception(self, x: n.SlotException, page: str, anc: str) -> list[str]:
        where = f"plads {x.slot}" + (f" i perioden {md(x.period)}" if x.period else " i alle perioder")
        lines = [
            f"Ændrer {where} i hjulet {self.site.link('hjul', x.wheel, page)}, når betingelsen er opfyldt.",
            "",
        ]
        lines += condition_lines("Hvis", x.condition)
        lines += [f"**så** bliver pladsen: {md(slot_plain(x.value))}", ""]
        return lines

    def slot_cell(self, value: n.SlotValue, page: str, footnotes: Footnotes, where: str) -> str:
        if isinstance(value, n.Alternating):
            first = self.chain_cell(value.first, page, footnotes, where)
            second = self.chain_cell(value.second, page, footnotes, where)
            return f"*på skift:*<br>{first}<br>/&nbsp;{second}"
        return self.chain_cell(value, page, footnotes, where)

    def chain_cell(self, chain: n.Chain, page: str, footnotes: Footnotes, where: str) -> str:
        parts = []
        for i, letting in enumerate(chain.lettings):
            text = self.letting_cell(letting, page, footnotes, where)
            parts.append(f"**{text}**" if i == 0 and isinstance(letting, n.Letting) else text)
        return "&nbsp;→<br>".join(parts)

    def letting_cell(self, x: n.LettingChoice, page: str, footnotes: Footnotes, where: str) -> str:
        if isinstance(x, n.Letting):
            text = narrow(md(letting_label(x.member)))
            if x.payload is not None:
                text += f" ({self.payload(x.payload, page, narrow_text=True)})"
            return text
        options = " eller ".join(narrow(md(letting_label(m))) for m in members_of(x))
        explained = letting_text(x, _plain_name, _plain_expr)
        for i, (known, places) in enumerate(footnotes, start=1):
            if known == explained:
                places.append(where)
                return f"{options}<sup>{i}</sup>"
        footnotes.append((explained, [where]))
        return f"{options}<sup>{len(footnotes)}</sup>"

    def payload(self, e: Any, page: str, narrow_text: bool = False) -> str:
        if isinstance(e, n.ListLit) and all(isinstance(i, n.Literal) and i.kind == "string" for i in e.items):
            return md(", ".join(str(getattr(i, "value", "")) for i in e.items))
        if isinstance(e, n.Name) and ("definition", e.name) in self.site.where:
            return self.site.link("definition", e.name, page, narrow(md(e.name)) if narrow_text else None)
        return code(expr_text(e))
