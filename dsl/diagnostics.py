"""Errors and how they are shown: `path:line:col: error: message`, the line, a caret, a hint."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import attrs

from almen.dsl.i18n import _
from almen.dsl.nodes import Span


class AlmenError(Exception):
    """Base of every error almen raises on purpose."""


@attrs.frozen
class Diagnostic:
    span: Span
    message: str
    hint: str | None = None
    source_line: str | None = None
    related: tuple[tuple[Span, str, str | None], ...] = ()  # (span, message, source line)

    def render(self) -> str:
        lines = [_("{where}: error: {message}").format(where=self.span, message=self.message)]
        lines += _excerpt(self.span, self.source_line)
        if self.hint:
            lines.append("  " + _("hint: {hint}").format(hint=self.hint))
        for span, message, source_line in self.related:
            lines.append(_("{where}: note: {message}").format(where=span, message=message))
            lines += _excerpt(span, source_line)
        return "\n".join(lines)


def _excerpt(span: Span, source_line: str | None) -> list[str]:
    if source_line is None or span.line <= 0:
        return []
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    text = source_line.rstrip("\n")
    return [f"  {span.line:>4} | {text}", "       | " + " " * (span.column - 1) + "^" * width]


class PolicyError(AlmenError):
    """An error in a policy's source; carries every diagnostic found, first one first."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        first = self.diagnostics[0]
        self.path = first.span.path
        self.line = first.span.line
        self.column = first.span.column
        self.message = first.message
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


def source_line(source: str, line: int) -> str | None:
    """Line `line` as the parser counts lines: ended by \n alone (not \f, \x85 or U+2028)."""
    lines = source.split("\n")
    return lines[line - 1].removesuffix("\r") if 0 < line <= len(lines) else None


class Reporter:
    """Collects diagnostics for one policy; knows the sources to quote them."""

    def __init__(self, sources: dict[str, str]):
        self.sources = sources
        self.diagnostics: list[Diagnostic] = []

    def error(
        self,
        span: Span,
        message: str,
        hint: str | None = None,
        related: Iterable[tuple[Span, str]] = (),
    ) -> None:
        self.diagnostics.append(
            Diagnostic(
                span,
                message,
                hint,
                self.line_of(span),
                tuple((s, m, self.line_of(s)) for s, m in related),
            )
        )

    def line_of(self, span: Span) -> str | None:
        source = self.sources.get(span.path)
        return None if source is None else source_line(source, span.line)

    def raise_if_any(self) -> None:
        if self.diagnostics:
            ordered = sorted(self.diagnostics, key=lambda d: (d.span.path, d.span.line, d.span.column))
            raise PolicyError(ordered)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return _("did you mean '{name}'?").format(name=close[0]) if close else None
