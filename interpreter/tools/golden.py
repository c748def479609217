"""Golden scenarios (facts → expected answer) and the rule coverage they reach.

A scenario file is JSON: {"policy": "<path relative to the file>", "scenarios": [{"name",
"decision", "date", "facts", "expect": {"status", "value" | "value_includes" | "needs" |
"error_contains", "explanation_contains"}}]}.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from almen.dsl import i18n
from almen.dsl.diagnostics import AlmenError
from almen.dsl.i18n import _
from almen.interpreter.api import Policy
from almen.interpreter.explanation import Status, render


@attrs.define
class Outcome:
    file: str
    name: str
    ok: bool
    problem: str = ""


@attrs.define
class Report:
    outcomes: list[Outcome] = attrs.Factory(list)
    covered: dict[str, set[str]] = attrs.Factory(dict)  # policy path → element names reached
    elements: dict[str, set[str]] = attrs.Factory(dict)  # policy path → all element names

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def coverage(self, policy: str) -> tuple[int, int, list[str]]:
        every = self.elements.get(policy, set())
        reached = self.covered.get(policy, set()) & every
        return len(reached), len(every), sorted(every - reached)


_policies: dict[Path, Policy] = {}


def policy_at(path: Path) -> Policy:
    path = path.resolve()
    if path not in _policies:
        _policies[path] = Policy(path)
    return _policies[path]


def scenario_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        files += sorted(p.rglob("*.json")) if p.is_dir() else [p]
    return files


def run(paths: list[Path], policy_override: Path | None = None) -> Report:
    report = Report()
    for file in scenario_files(paths):
        data = json.loads(file.read_text(encoding="utf-8"), parse_float=Decimal)
        policy_path = policy_override or (file.parent / data["policy"])
        policy = policy_at(policy_path)
        key = str(policy.path)
        report.elements.setdefault(key, rule_names(policy))
        covered = report.covered.setdefault(key, set())
        for scenario in data["scenarios"]:
            report.outcomes.append(_run_one(policy, file, scenario, covered))
    return report


def rule_names(policy: Policy) -> set[str]:
    """What coverage counts: every element that decides something and cites the agreement."""
    kinds = {"regel", "undtagelse", "definition", "beslutning", "tabel", "skema", "parameter", "hjul", "mål"}
    return {key.name for key, _ in policy.model.members() if key.kind in kinds}


# The texts a scenario expects (an error, a line of the explanation) are compared in Danish, the
# language the officers write scenarios in, whatever the language of this run's report.
SCENARIO_LANGUAGE = "da"


def _run_one(policy: Policy, file: Path, s: dict[str, Any], covered: set[str]) -> Outcome:
    name = s.get("name", "?")
    expect = s.get("expect", {})
    try:
        with i18n.use(SCENARIO_LANGUAGE):
            answer = policy.decide(s["decision"], s.get("facts", {}), s["date"])
    except AlmenError as e:
        with i18n.use(SCENARIO_LANGUAGE):
            error = str(e)
        if expect.get("status") == "error":
            wanted = expect.get("error_contains", "")
            if wanted in error:
                return Outcome(str(file), name, True)
            return Outcome(
                str(file),
                name,
                False,
                _("error {error!r} does not contain {wanted!r}").format(error=error, wanted=wanted),
            )
        return Outcome(str(file), name, False, _("unexpected error: {error}").format(error=error))
    if answer.explanation is not None:
        for node in answer.explanation.walk():
            if node.status != Status.UNDETERMINED:  # exercised: it applied, or was decided not to
                covered.add(node.name)
    problems = []
    if expect.get("status", Status.DETERMINED) != answer.status:
        problems.append(
            _("status {status}, expected {wanted}").format(status=answer.status, wanted=expect.get("status"))
        )
    if "value" in expect and _plain(expect["value"]) != answer.value:
        problems.append(
            _("value {value}, expected {wanted}").format(value=_dump(answer.value), wanted=_dump(expect["value"]))
        )
    if "value_includes" in expect and not _includes(answer.value, _plain(expect["value_includes"])):
        problems.append(
            _("value {value} lacks {wanted}").format(value=_dump(answer.value), wanted=_dump(expect["value_includes"]))
        )
    if "needs" in expect and list(expect["needs"]) != list(answer.needs):
        problems.append(_("needs {needs}, expected {wanted}").format(needs=list(answer.needs), wanted=expect["needs"]))
    if answer.explanation is not None:
        with i18n.use(SCENARIO_LANGUAGE):
            text = render(answer.explanation, "full")
        for snippet in expect.get("explanation_contains", []):
            if snippet not in text:
                problems.append(_("explanation lacks {snippet!r}").format(snippet=snippet))
    return Outcome(str(file), name, not problems, "; ".join(problems))


def _plain(value: Any) -> Any:
    """Expected values as the answer's JSON form: numbers written in JSON compare as exact decimals."""
    if isinstance(value, Decimal):
        return str(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _includes(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(k in actual and _includes(actual[k], v) for k, v in wanted.items())
    return bool(actual == wanted)


def _dump(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False)
