"""The `almen` command. Exit codes: 0 ok, 1 findings, 2 usage or input errors."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from almen import dsl
from almen.dsl.diagnostics import AlmenError, PolicyError
from almen.interpreter import modelcache
from almen.interpreter.api import Policy, decision_record
from almen.interpreter.errors import FactError, UnknownDecision
from almen.interpreter.explanation import LEVELS, REDACTED, Node
from almen.interpreter.values import show

if TYPE_CHECKING:
    from almen.interpreter.tools.classify import Classification

# The tools (diff, render, report, simulate, …) are imported by the commands that use them, so
# `almen check` and `almen decide` start without them (and without Lark, on a cached model).

OK, FINDINGS, USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # usage errors exit 2, as argparse does, but briefly
        self.print_usage(sys.stderr)
        sys.stderr.write(f"almen: error: {message}\n")
        raise SystemExit(USAGE)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="almen", description="Evaluate and explain Danish social-housing letting policy.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("check", help="check a policy: syntax, names, types, citations, cycles, tables")
    p.add_argument("policy")
    p.add_argument("--format", choices=["text", "json"], default="text")

    for name, helptext in (("decide", "answer one decision"), ("explain", "answer with the full explanation tree")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("policy")
        p.add_argument("decision")
        p.add_argument("--facts", required=True, help="JSON file with the facts ('-' for standard input)")
        p.add_argument("--date", required=True, help="the decision date, YYYY-MM-DD")
        p.add_argument("--format", choices=["text", "json"], default="text")
        p.add_argument("--level", choices=LEVELS, default="full" if name == "explain" else "reason")
        p.add_argument("--redact", action="store_true", help="hide fact values; show the conditions they met")
        p.add_argument("--log", metavar="FILE", help="append a decision record (JSON line) to FILE")
        p.add_argument("--log-facts", action="store_true", help="include the raw facts in the decision record")

    p = sub.add_parser("fmt", help="rewrite policy files in the canonical layout")
    p.add_argument("policy")
    p.add_argument("--check", action="store_true", help="only report files that are not formatted")

    p = sub.add_parser("test", help="run golden scenario files and report rule coverage")
    p.add_argument("paths", nargs="+")
    p.add_argument("--policy", help="run the scenarios against this policy instead of the one each file names")
    p.add_argument("--min-coverage", type=float, default=0.0, help="fail below this percentage of rules covered")

    p = sub.add_parser("diff", help="what changes between two versions of a policy, rule by rule")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--format", choices=["text", "json", "markdown", "html"], default="text")
    p.add_argument("--impact", metavar="STOCK", help="also simulate both versions on this housing stock (JSON)")
    p.add_argument("--from", dest="start", help="impact period start (default: the new version's validity)")
    p.add_argument("--to", dest="end", help="impact period end")
    p.add_argument("--no-classify", action="store_true", help="skip the permissiveness search of yes/no decisions")
    p.add_argument("--examples", nargs="*", default=[], help="scenario files whose facts seed that search")

    p = sub.add_parser("simulate", help="expected vacancies per letting type for a housing stock")
    p.add_argument("policy")
    p.add_argument("--stock", required=True, help="JSON file: {'afdelinger': [{navn, afdeling, familieboliger, …}]}")
    p.add_argument("--from", dest="start", required=True)
    p.add_argument("--to", dest="end", required=True)
    p.add_argument("--format", choices=["text", "json"], default="text")

    p = sub.add_parser("docs", help="render a policy as a readable Markdown document")
    p.add_argument("policy")
    p.add_argument("--out", help="output directory (default: <policy>-docs)")
    p.add_argument("--source-pages", action="store_true", help="also write numbered source pages (for a site)")

    p = sub.add_parser("schema", help="JSON Schema of the facts a decision reads")
    p.add_argument("policy")
    p.add_argument("decision", nargs="?", help="one decision; all of them when left out")

    p = sub.add_parser("compile", help="print a decision as the generated code of the fast path")
    p.add_argument("policy")
    p.add_argument("decision", nargs="?", help="one decision; all of them when left out")
    p.add_argument("--emit", choices=["python"], default="python")

    args = parser.parse_args(argv)
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        handler = {
            "check": _check,
            "decide": _decide,
            "explain": _decide,
            "fmt": _fmt,
            "test": _test,
            "diff": _diff,
            "simulate": _simulate,
            "schema": _schema,
            "docs": _docs,
            "compile": _compile,
        }
        return int(handler[args.command](args, out))
    except PolicyError as e:
        err.print(escape(e.render()))
        return FINDINGS
    except (FactError, UnknownDecision) as e:
        err.print(f"error: {escape(str(e))}")
        return USAGE
    except AlmenError as e:
        err.print(f"error: {escape(str(e))}")
        return USAGE
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        err.print(f"error: {escape(str(e))}")
        return USAGE


def _check(args: argparse.Namespace, out: Console) -> int:
    files = dsl.policy_files(args.policy)
    if not files or not all(f.exists() for f in files):
        raise AlmenError(f"no policy at {args.policy}")
    try:
        model = modelcache.load(args.policy)
    except PolicyError as e:
        if args.format == "json":
            out.print_json(data={"ok": False, "errors": [_diag(d) for d in e.diagnostics]})
            return FINDINGS
        raise
    rules = sum(1 for key, _ in model.members() if key.kind in ("regel", "undtagelse"))
    summary = {
        "ok": True,
        "files": len(files),
        "decisions": sorted(model.decisions),
        "rules": rules,
        "tables": len(model.tables),
        "wheels": len(model.wheels),
    }
    if args.format == "json":
        out.print_json(data=summary)
    else:
        out.print(
            f"ok: {len(files)} files, {len(model.decisions)} decisions, {rules} rules, "
            f"{len(model.tables)} tables, {len(model.wheels)} wheels"
        )
    return OK


def _diag(d: Any) -> dict[str, Any]:
    return {"path": d.span.path, "line": d.span.line, "column": d.span.column, "message": d.message, "hint": d.hint}


def _read_facts(path: str) -> Any:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    return json.loads(text, parse_float=Decimal)


def _decide(args: argparse.Namespace, out: Console) -> int:
    policy = Policy(args.policy)
    facts = _read_facts(args.facts)
    answer = policy.decide(args.decision, facts, args.date, explain=True)
    if args.log:
        with open(args.log, "a", encoding="utf-8") as log:
            log.write(json.dumps(decision_record(answer, facts, args.log_facts), ensure_ascii=False) + "\n")
    if args.format == "json":
        out.print(json.dumps(answer.to_dict(args.level, args.redact), ensure_ascii=False, indent=2), markup=False)
        return OK
    tree = args.command == "explain" and args.level == "full" and out.is_terminal
    if tree and answer.explanation is not None:
        out.print(_rich_tree(answer.explanation, args.redact))
    else:
        out.print(escape(answer.explain(args.level, args.redact)))
    if answer.status == "undetermined":
        out.print(f"[bold yellow]undetermined[/]; needs: {escape(', '.join(answer.needs))}")
    p = answer.policy
    out.print(f"[dim]policy {escape(p['id'])} {escape(p['version'])} sha256 {p['sha256'][:12]}…[/]")
    return OK


def _rich_tree(node: Node, redact: bool, tree: Tree | None = None) -> Tree:
    label = f"[bold]{node.kind}[/] {escape(node.name)}"
    if node.text:
        label += f": {escape(node.text)}"
    if node.status == "determined":
        label += f" = [green]{escape(show(node.outcome))}[/]"
    else:
        label += f" [yellow]({node.status})[/]"
    if node.citations:
        label += " [cyan]\\[" + escape("; ".join(c.source for c in node.citations)) + "][/]"
    branch = tree.add(label) if tree is not None else Tree(label)
    for note in node.notes:
        branch.add(f"[magenta]fortolkning:[/] {escape(note)}")
    for path, value in node.inputs.items():
        branch.add(f"[dim]· {escape(path)} = {REDACTED if redact else escape(show(value))}[/]")
    for child in node.children:
        _rich_tree(child, redact, branch)
    return branch


def _fmt(args: argparse.Namespace, out: Console) -> int:
    from almen.dsl.formatter import format_source

    unformatted = []
    for f in dsl.policy_files(args.policy):
        source = f.read_text(encoding="utf-8")
        formatted = format_source(source, str(f))
        if formatted != source:
            unformatted.append(f)
            if not args.check:
                f.write_text(formatted, encoding="utf-8")
    if args.check and unformatted:
        for f in unformatted:
            out.print(f"would reformat {escape(str(f))}")
        return FINDINGS
    total = len(dsl.policy_files(args.policy))
    if unformatted:
        out.print(f"reformatted {len(unformatted)} of {total} files")
    else:
        out.print(f"all {total} files already formatted")
    return OK


def _test(args: argparse.Namespace, out: Console) -> int:
    from almen.interpreter.tools import golden

    report = golden.run([Path(p) for p in args.paths], Path(args.policy) if args.policy else None)
    for o in report.failed:
        out.print(f"[red]FAIL[/] {escape(o.file)}: {escape(o.name)}\n      {escape(o.problem)}")
    passed = len(report.outcomes) - len(report.failed)
    out.print(f"{passed} passed, {len(report.failed)} failed")
    below = False
    for policy in sorted(report.elements):
        covered, total, missing = report.coverage(policy)
        pct = 100 * covered / total if total else 100.0
        out.print(f"rule coverage {escape(policy)}: {covered}/{total} ({pct:.1f} %)")
        if missing:
            out.print(f"  not covered: {escape(', '.join(missing))}")
        below = below or pct < args.min_coverage
    return FINDINGS if report.failed or below else OK


def _day(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FactError(what, "a date (YYYY-MM-DD)", text) from None


def _period(policy: Policy, start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    low, high = policy.valid
    first = _day(start, "--from") if start else low
    last = _day(end, "--to") if end else high
    if first is None or last is None:
        raise AlmenError("give --from and --to: the policy states no validity period")
    if last < first:
        raise AlmenError(f"--to {last} is before --from {first}")
    return first, last


def _diff(args: argparse.Namespace, out: Console) -> int:
    from almen.interpreter.tools.diff import diff
    from almen.interpreter.tools.report import RENDERERS, DiffReport
    from almen.interpreter.tools.simulate import load_stock, simulate

    old, new = Policy(args.old), Policy(args.new)
    changes = diff(old.model, new.model)
    impact = None
    if args.impact:
        stock = load_stock(args.impact)
        start, end = _period(new, args.start, args.end)
        impact = (simulate(old, stock, start, end), simulate(new, stock, start, end))
    verdicts = [] if args.no_classify else _classifications(old, new, changes, args.examples)
    rendered = RENDERERS[args.format](DiffReport(changes, old.stamp(), new.stamp(), impact, verdicts))
    out.print(rendered, markup=False, highlight=False)
    return FINDINGS if changes else OK


def _classifications(old: Policy, new: Policy, changes: list[Any], examples: list[str]) -> list[Classification]:
    from almen.interpreter.tools.classify import classifiable, classify_over_time

    affected = sorted({d for c in changes for d in c.decisions})
    out = []
    for decision in affected:
        if decision in old.model.decisions and classifiable(old, decision) and classifiable(new, decision):
            seeds = [s["facts"] for s in _scenarios(examples) if s.get("decision") == decision]
            out.append(classify_over_time(old, new, decision, seeds))
    return out


def _scenarios(paths: list[str]) -> list[dict[str, Any]]:
    from almen.interpreter.tools import golden

    found = []
    for f in golden.scenario_files([Path(p) for p in paths]):
        found += json.loads(f.read_text(encoding="utf-8"), parse_float=Decimal).get("scenarios", [])
    return found


def _docs(args: argparse.Namespace, out: Console) -> int:
    from almen.interpreter.tools.render import render_policy

    target = Path(args.out or f"{Path(args.policy).resolve().name}-docs")
    written = render_policy(args.policy, target, source_pages=args.source_pages)
    out.print(f"wrote {len(written)} files to {escape(str(target))}")
    return OK


def _schema(args: argparse.Namespace, out: Console) -> int:
    from almen.interpreter.tools.schema import decisions_schema, fact_schema

    policy = Policy(args.policy)
    schema = fact_schema(policy, args.decision) if args.decision else decisions_schema(policy)
    out.print(json.dumps(schema, ensure_ascii=False, indent=2), markup=False)
    return OK


def _simulate(args: argparse.Namespace, out: Console) -> int:
    from almen.interpreter.tools.report import approx
    from almen.interpreter.tools.simulate import load_stock, simulate

    policy = Policy(args.policy)
    start, end = _period(policy, args.start, args.end)
    impact = simulate(policy, load_stock(args.stock), start, end)
    if args.format == "json":
        out.print(json.dumps(impact.to_dict(), ensure_ascii=False, indent=2), markup=False)
        return OK
    out.print(f"{policy.id} {policy.version}: forventede ledige boliger {start} – {end} (afrundet)")
    for year, counts in sorted(impact.per_year.items()):
        out.print(f"  {year}: " + ", ".join(f"{k} {approx(v)}" for k, v in counts.items()))
    out.print("  i alt: " + ", ".join(f"{k} {approx(v)}" for k, v in impact.total.items()))
    for note in impact.notes:
        out.print(f"  note: {escape(note)}")
    return OK


def _compile(args: argparse.Namespace, out: Console) -> int:
    policy = Policy(args.policy)
    if args.decision is not None and args.decision not in policy.model.decisions:
        raise UnknownDecision(policy.id, args.decision, policy.decisions)
    out.print(policy.fast.compiled.source(args.decision), markup=False)
    return OK


if __name__ == "__main__":
    sys.exit(main())
