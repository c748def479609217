"""The explanation tree of an answer, and its three levels: reason, failed conditions, full tree."""

from __future__ import annotations

import enum
import functools
from typing import Any

import attrs

from almen.dsl import nodes as n
from almen.dsl.i18n import N_, _, language, use
from almen.interpreter.errors import Unknown
from almen.interpreter.redaction import REDACTED, Redactor
from almen.interpreter.values import plain_json, show, to_json

LEVELS = ("reason", "failed", "full")


class Status(enum.StrEnum):
    """The state of an answer or of one step of its evaluation. The value is the stable JSON form."""

    DETERMINED = "determined"
    UNDETERMINED = "undetermined"
    NOT_APPLICABLE = "not applicable"  # a rule or slot whose condition does not hold
    OVERRIDDEN = "overridden"  # a rule an exception to it replaced


# A step's kind is the policy's keyword (stable in JSON); people read it in their language.
KIND_WORDS = {
    "svar": N_("answer"),
    "beslutning": N_("decision"),
    "regel": N_("rule"),
    "undtagelse": N_("exception"),
    "definition": N_("definition"),
    "parameter": N_("parameter"),
    "tabel": N_("table"),
    "skema": N_("schedule"),
    "række": N_("row"),
    "hjul": N_("wheel"),
    "plads": N_("slot"),
    "betingelse": N_("condition"),
    "mål": N_("goal"),
}

STATE_WORDS = {
    Status.DETERMINED: N_("determined"),
    Status.UNDETERMINED: N_("undetermined"),
    Status.NOT_APPLICABLE: N_("not applicable"),
    Status.OVERRIDDEN: N_("overridden"),
}


@attrs.define(eq=False)
class Node:
    """One step of an evaluation: a rule, definition, table row, wheel slot or condition."""

    kind: str  # beslutning, regel, definition, tabel, hjul, parameter, betingelse, undtagelse
    name: str
    citations: tuple[n.Citation, ...] = ()
    notes: tuple[str, ...] = ()
    span: n.Span = n.NOWHERE
    text: str = ""  # the condition or row as written
    outcome: Any = None  # the value; for conditions True/False; None while undetermined
    status: Status = Status.DETERMINED
    inputs: dict[str, Any] = attrs.Factory(dict)  # fact path → value read, in reading order
    children: list[Node] = attrs.Factory(list)
    type: Any = None  # the outcome's static type, when known: money shows as 1000.00, a share as 1/4

    def shown(self) -> Any:
        """The outcome's exact JSON form (facts not given left out)."""
        if self.type is not None:
            try:
                return to_json(self.outcome, self.type)
            except Unknown:
                pass
        return plain_json(self.outcome)

    def to_dict(self, redact: Redactor | None = None) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "rule": self.name}
        if self.citations:
            d["citation"] = "; ".join(c.text for c in self.citations)
        if self.span is not n.NOWHERE:
            d["source"] = f"{self.span.path}:{self.span.line}"
        if self.text:
            d["text"] = self.text
        d["status"] = self.status
        if self.status == Status.DETERMINED:
            d["outcome"] = redact.json(self.shown()) if redact else self.shown()
        if self.notes:
            d["interpretation"] = list(self.notes)
        if self.inputs:
            d["inputs"] = {path: REDACTED if redact else plain_json(value) for path, value in self.inputs.items()}
        if self.children:
            d["children"] = [c.to_dict(redact) for c in self.children]
        return d

    def walk(self) -> Any:
        yield self
        for child in self.children:
            yield from child.walk()


class Trace:
    """Builds the tree while evaluating; only exists when an explanation was asked for."""

    def __init__(self, root: Node):
        self.root = root
        self.stack = [root]

    def open(self, node: Node) -> Node:
        self.stack[-1].children.append(node)
        self.stack.append(node)
        return node

    def close(self) -> None:
        self.stack.pop()

    def attach(self, node: Node) -> None:
        self.stack[-1].children.append(node)

    def read(self, path: str, value: Any, notes: tuple[str, ...] = ()) -> None:
        node = self.stack[-1]
        node.inputs.setdefault(path, value)
        for note in notes:
            if note not in node.notes:
                node.notes += (note,)


# ---------------------------------------------------------------- rendering as text


def render(root: Node, level: str = "full", redact: Redactor | None = None) -> str:
    if level == "reason":
        return reason(root, redact)
    if level == "failed":
        return "\n".join([reason(root, redact)] + [f"  ✗ {line}" for line in failed(root)])
    lines: list[str] = []
    _tree(root, "", lines, redact)
    return "\n".join(lines)


def reason(root: Node, redact: Redactor | None = None) -> str:
    """One line: the outcome and the rules that decided it, with their citations."""
    deciding = [
        c for c in root.walk() if c.kind in ("regel", "undtagelse", "række", "plads") and c.status == Status.DETERMINED
    ]
    deciding = [c for c in deciding if c.outcome is not False]
    because = ""
    if deciding:
        last = deciding[:3]
        rules = "; ".join(f"{c.name} ({'; '.join(x.text for x in c.citations) or '—'})" for c in last)
        because = " " + _("because {rules}").format(rules=rules)
    if root.status != Status.DETERMINED:
        return f"{root.name}: " + _("undetermined") + because
    return f"{root.name} = {_shown(root, redact)}{because}"


def failed(root: Node) -> list[str]:
    out = []
    for node in root.walk():
        if node.kind == "betingelse" and node.status == Status.DETERMINED and node.outcome is False:
            cite = "; ".join(c.text for c in node.citations)
            out.append(f"{node.text}  [{node.name}{', ' + cite if cite else ''}]")
    return out


def show_json(value: Any) -> str:
    return show(value) if not isinstance(value, str) else value


def _shown(node: Node, redact: Redactor | None) -> str:
    return show_json(redact.json(node.shown()) if redact else node.shown())


@attrs.frozen
class Step:
    """One node of an explanation as every tree view shows it (plain text here, rich in the CLI)."""

    kind: str
    name: str
    text: str | None
    value: str | None  # the outcome as shown, when determined
    status: Status
    state: str  # the status in words
    cite: str
    notes: tuple[str, ...]
    inputs: tuple[tuple[str, str], ...]  # (fact path, value as shown or REDACTED)


@functools.cache
def _words(lang: str) -> tuple[dict[str, str], dict[Status, str]]:
    """The kinds and states in a language, looked up once: a long explanation has many steps."""
    with use(lang):
        return {k: _(w) for k, w in KIND_WORDS.items()}, {s: _(w) for s, w in STATE_WORDS.items()}


def step(node: Node, redact: Redactor | None) -> Step:
    value = _shown(node, redact) if node.status == Status.DETERMINED else None
    inputs = tuple((path, REDACTED if redact else show(v)) for path, v in node.inputs.items())
    cite = "; ".join(c.text for c in node.citations)
    kinds, states = _words(language())
    kind, state = kinds.get(node.kind, node.kind), states[node.status]
    return Step(kind, node.name, node.text, value, node.status, state, cite, tuple(node.notes), inputs)


def _tree(node: Node, indent: str, lines: list[str], redact: Redactor | None) -> None:
    s = step(node, redact)
    head = f"{indent}{s.kind} {s.name}" + (f": {s.text}" if s.text else "")
    head += f" = {s.value}" if s.value is not None else f" ({s.state})"
    lines.append(head + (f"  [{s.cite}]" if s.cite else ""))
    label = _("interpretation:")
    lines += [f"{indent}  {label} {note}" for note in s.notes]
    lines += [f"{indent}  · {path} = {value}" for path, value in s.inputs]
    for child in node.children:
        _tree(child, indent + "  ", lines, redact)
