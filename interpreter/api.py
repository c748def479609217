"""The embedding API: load a policy once, ask it for decisions."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from almen import dsl
from almen.dsl import types as t
from almen.dsl.i18n import _
from almen.interpreter import modelcache
from almen.interpreter.env import Env
from almen.interpreter.errors import EvaluationError, FactError, Unknown, UnknownDecision
from almen.interpreter.explanation import STATE_WORDS, Node, Status, Trace, render
from almen.interpreter.facts import convert_facts
from almen.interpreter.program import Program
from almen.interpreter.redaction import Redactor
from almen.interpreter.values import to_json

if TYPE_CHECKING:  # the generated tier is imported when first used: `almen check` never needs it
    from almen.interpreter.fastpath import Facts, FastPath


@attrs.frozen
class Answer:
    decision: str
    date: dt.date
    status: Status  # determined or undetermined
    value: Any  # the exact JSON form; None while undetermined
    needs: tuple[str, ...]
    explanation: Node | None
    policy: dict[str, str]
    raw: Any = attrs.field(default=None, repr=False)  # the run-time value (Fractions, dates)
    facts: Any = attrs.field(default=None, repr=False, eq=False)  # as given: what redaction hides

    def redactor(self) -> Redactor:
        return Redactor(self.facts)

    def explain(self, level: str = "full", redact: bool = False) -> str:
        if self.explanation is None:
            return f"{self.decision}: " + _(STATE_WORDS[self.status])
        text = render(self.explanation, level, self.redactor() if redact else None)
        if self.status == Status.UNDETERMINED:
            text += "\n" + _("needs: {facts}").format(facts=", ".join(self.needs))
        return text

    def to_dict(self, level: str = "full", redact: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"decision": self.decision, "date": self.date.isoformat(), "status": self.status}
        r = self.redactor() if redact else None
        d["value"] = r.json(self.value) if r else self.value
        if self.status == Status.UNDETERMINED:
            d["needs"] = list(self.needs)
        if self.explanation is not None:
            d["reason"] = render(self.explanation, "reason", r)
            if level != "reason":
                d["explanation"] = self.explanation.to_dict(r)
        d["policy"] = dict(self.policy)
        return d


class Policy:
    """A loaded, checked and compiled policy."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.model = modelcache.load(self.path)
        self.program = Program(self.model)
        header = self.model.policy
        self.id = header.name if header else self.path.name
        self.version = (header.version if header else None) or ""
        self.valid = (header.valid_from, header.valid_to) if header else (None, None)
        self.sha256 = _digest(self.path, self.model)
        self.schema = dict(self.model.fact_types)
        self.defaults = {
            name: {f.name: self.program.literal_value(f.default) for f in decl.fields if f.default is not None}
            for name, decl in self.model.record_decls.items()
        }

    @functools.cached_property
    def fast(self) -> FastPath:
        """The generated-code tier, compiled on first use and kept (see interpreter/codegen.py)."""
        from almen.interpreter.fastpath import FastPath

        return FastPath(self)

    def facts(self, given: dict[str, Any]) -> Facts:
        """The household's facts validated once, for any number of `decide` calls (FactError as `decide` gives)."""
        from almen.interpreter.fastpath import Facts

        return Facts(self, given)

    @property
    def decisions(self) -> list[str]:
        return sorted(self.model.decisions)

    def stamp(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version, "sha256": self.sha256}

    def decide(self, name: str, facts: dict[str, Any] | Facts, date: str | dt.date, explain: bool = True) -> Answer:
        if name not in self.model.decisions:
            raise UnknownDecision(self.id, name, list(self.model.decisions))
        day = _date(date)
        low, high = self.valid
        if low is not None and high is not None and not (low <= day <= high):
            raise FactError(
                "date",
                _("a date within the policy's validity, {low} – {high}").format(low=low, high=high),
                day.isoformat(),
            )
        validated = not isinstance(facts, dict) and _is_facts(facts)
        if validated and facts.sha256 != self.sha256:  # type: ignore[union-attr]
            raise FactError("(facts)", _("facts validated for this policy ({0})").format(self.id), facts)
        given = facts.given if validated else facts  # type: ignore[union-attr]
        if not explain:  # the generated tier; None when the three-valued evaluator must answer
            fast = self.fast.answer(name, facts, day)
            if fast is not None:
                return Answer(name, day, Status.DETERMINED, fast[1], (), None, self.stamp(), fast[0], given)
        converted = facts.converted if validated else convert_facts(facts, self.schema, self.defaults)  # type: ignore[union-attr]
        trace = Trace(Node("svar", name)) if explain else None
        env = Env(self.program, converted, day, trace)
        try:
            raw = self.program.values[name](env)
            status, needs = Status.DETERMINED, tuple[str, ...]()
        except Unknown as u:
            raw, status, needs = None, Status.UNDETERMINED, tuple(sorted(u.needs))
        except EvaluationError as e:
            raise e.quoted(self.model.sources) from None
        root = trace.root.children[0] if trace is not None and trace.root.children else None
        if root is not None and self.model.policy is not None:
            root.notes = self.model.policy.notes + root.notes  # the policy's own interpretations
        value = None
        if status == Status.DETERMINED:
            try:
                value = to_json(raw, self.model.value_types.get(name, t.UNKNOWN))
            except Unknown as u:  # the value would show a fact that was not given
                raw, status, needs = None, Status.UNDETERMINED, tuple(sorted(u.needs))
        return Answer(name, day, status, value, needs, root, self.stamp(), raw, given)

    def decide_many(
        self,
        name: str,
        rows: Any,
        fixed: dict[str, Any] | None = None,
        date: str | dt.date | None = None,
        **options: Any,
    ) -> Any:
        """`name` for every household of `rows`, in SQL (DuckDB in-process); see almen.interpreter.batch."""
        from almen.interpreter.batch import decide_many  # sqlglot and duckdb: the `batch` extra

        return decide_many(self, name, rows, fixed, date, **options)


def load_policy(path: str | Path) -> Policy:
    return Policy(path)


def _is_facts(value: Any) -> bool:
    global _FACTS
    if _FACTS is None:
        from almen.interpreter.fastpath import Facts

        _FACTS = Facts
    return isinstance(value, _FACTS)


_FACTS: type | None = None  # the Facts class, once imported


def _date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise FactError("date", _("a date (YYYY-MM-DD)"), value) from None


def _digest(path: Path, model: dsl.Model) -> str:
    """sha256 over every file the policy was built from (a predecessor's too), by relative path."""
    h = hashlib.sha256()
    root = path if path.is_dir() else path.parent
    for module in sorted(model.modules, key=lambda m: os.path.relpath(m.path, root)):
        h.update(os.path.relpath(module.path, root).encode() + b"\0" + module.source.encode() + b"\0")
    return h.hexdigest()
