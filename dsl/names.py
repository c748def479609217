"""Names that only look right: a name mixing scripts (`grænsе`, its `е` Cyrillic) and two names
that look the same but are different (`grænse` and `grænsе`, `a` and Cyrillic `а`). Both are
errors, so that a decision never silently uses the look-alike of the value the reader sees.

What looks like what is Unicode's confusables data (UTS #39), through `confusable_homoglyphs`;
it is loaded only for a source with a letter beyond the Latin blocks, which a Danish policy
rarely has.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

from almen.dsl.diagnostics import Diagnostic
from almen.dsl.i18n import _
from almen.dsl.nodes import Span

LATIN_END = "\u0250"  # below: ASCII, Latin-1 and Latin Extended-A/B: letters of one script, digits 0-9
_NEUTRAL = frozenset(("COMMON", "INHERITED"))  # digits, '_' and combining marks belong to any script


def plain(text: str) -> bool:
    """No character that could make a name mixed-script or a look-alike of another."""
    return not text or max(text) < LATIN_END


def problems(names: Iterable[tuple[str, Span]], line_of: Callable[[Span], str | None]) -> list[Diagnostic]:
    """A diagnostic for each look-alike of an earlier name (naming both places) and each other
    mixed-script name; `names` in source order, a name's first place is the one named."""
    first: dict[str, Span] = {}
    for name, span in names:
        first.setdefault(name, span)
    suspects = [name for name in first if not plain(name)]
    if not suspects:
        return []
    from confusable_homoglyphs import categories

    by_skeleton: dict[str, str] = {}
    for name in first:  # first-seen spelling of each skeleton wins
        by_skeleton.setdefault(skeleton(name), name)
    found = []
    for name, span in first.items():
        twin = by_skeleton[skeleton(name)]
        if twin != name:
            found.append(
                Diagnostic(
                    span,
                    _("'{0}' looks like '{1}' but is another name ({2})").format(name, twin, _foreign(name + twin)),
                    _("write both with the same letters; a look-alike from another alphabet makes a different name"),
                    line_of(span),
                    ((first[twin], f"'{twin}' is here", line_of(first[twin])),),
                )
            )
            continue
        if plain(name):
            continue
        scripts = sorted(categories.unique_aliases(name) - _NEUTRAL)
        if len(scripts) > 1:
            found.append(
                Diagnostic(
                    span,
                    _("the name '{0}' mixes scripts ({1}: {2})").format(name, " and ".join(scripts), _foreign(name)),
                    _("write a name in one script; a look-alike letter from another alphabet makes a different name"),
                    line_of(span),
                )
            )
    return sorted(found, key=lambda d: (d.span.path, d.span.line, d.span.column))


def skeleton(name: str) -> str:
    """The name with each letter beyond the Latin blocks replaced by the Latin letter it looks like."""
    if plain(name):
        return name
    from confusable_homoglyphs.confusables import confusables_data

    out = []
    for ch in name:
        if ch >= LATIN_END:
            latin = [g["c"] for g in confusables_data.get(ch, ()) if plain(g["c"])]
            ch = latin[0] if latin else ch
        out.append(ch)
    return "".join(out)


def _foreign(name: str) -> str:
    return ", ".join(f"'{ch}' is {unicodedata.name(ch, hex(ord(ch)))}" for ch in dict.fromkeys(name) if ch >= LATIN_END)
