"""The `almen` command. Exit codes: 0 ok, 1 findings, 2 usage or input errors."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import re
import stat
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from almen import dsl
from almen.dsl.diagnostics import AlmenError, PolicyError
from almen.interpreter import log
from almen.interpreter.api import Policy
from almen.interpreter.errors import FactError, UnknownDecision
from almen.interpreter.explanation import LEVELS, Node, Status, step
from almen.interpreter.facts import MAX_FACTS_BYTES, read_json
from almen.interpreter.redaction import Redactor
from almen.interpreter.tools import golden
from almen.interpreter.tools.classify import Classification, classifiable, classify_over_time
from almen.interpreter.tools.diff import diff
from almen.interpreter.tools.render import render_policy
from almen.interpreter.tools.report import RENDERERS, DiffReport, approx
from almen.interpreter.tools.schema import decisions_schema, fact_schema
from almen.interpreter.tools.simulate import load_stock, plan, simulate

OK, FINDINGS, USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # usage errors exit 2, as argparse does, but briefly
        self.print_usage(sys.stderr)
        sys.stderr.write(f"almen: error: {message}\n")
        raise SystemExit(USAGE)


class _Console(Console):
    """A console that shows control characters in a value as escapes (\\x1b) instead of sending
    them to the terminal."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(_visible(o) if isinstance(o, str) else o for o in objects), **kwargs)

    def on_broken_pipe(self) -> None:  # rich would exit 1 in silence; `main` says what happened
        self.quiet = True
        raise BrokenPipeError


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


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
        p.add_argument("--log-fsync", action="store_true", help="flush each decision record to disk before exiting")

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
    p.add_argument("--decision", help="the decision that gives the shares (default: the one whose answer is shares)")
    p.add_argument(
        "--fill",
        action="append",
        metavar="FACT=DECISION",
        help="fill the record fact FACT from DECISION's answer where the stock leaves fields out (repeatable)",
    )
    p.add_argument("--dwellings", default="familieboliger", help="the stock field with the number of dwellings")
    p.add_argument("--turnover", default="fraflytningsprocent", help="the stock field with the yearly turnover in %%")

    p = sub.add_parser("docs", help="render a policy as a readable Markdown document")
    p.add_argument("policy")
    p.add_argument("--out", help="output directory (default: <policy>-docs)")
    p.add_argument("--source-pages", action="store_true", help="also write numbered source pages (for a site)")

    p = sub.add_parser("schema", help="JSON Schema of the facts a decision reads")
    p.add_argument("policy")
    p.add_argument("decision", nargs="?", help="one decision; all of them when left out")

    from almen.interpreter.batch import commands as batch  # batch evaluation in SQL: the `batch` extra

    batch.add_parsers(sub)

    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show a letter gets \\xe6, not a crash
        if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower().replace("-", "") != "utf8":
            stream.reconfigure(errors="backslashreplace")
    out = _Console(highlight=False, soft_wrap=True, emoji=False)
    err = _Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
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
            "compile": batch.compile_command,
            "decide-many": batch.decide_many_command,
        }
        code = int(handler[args.command](args, out))
        sys.stdout.flush()  # here, where a closed pipe can still be told
        return code
    except PolicyError as e:
        err.print(escape(e.render()))
        return FINDINGS
    except FactError as e:
        err.print(f"error: {escape(e.redacted() if getattr(args, 'redact', False) else str(e))}")
        return USAGE
    except UnknownDecision as e:
        err.print(f"error: {escape(str(e))}")
        return USAGE
    except AlmenError as e:
        err.print(f"error: {escape(str(e))}")
        return USAGE
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to write there
        err.print("error: output closed before almen was done (broken pipe)")
        return USAGE
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        err.print(f"error: {escape(str(e))}")
        return USAGE


def _check(args: argparse.Namespace, out: Console) -> int:
    files = dsl.policy_files(args.policy)
    if not files or not all(f.exists() for f in files):
        raise AlmenError(f"no policy at {args.policy}")
    try:
        model = dsl.load(args.policy)
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
    if path == "-":
        return read_json(sys.stdin.buffer.read(MAX_FACTS_BYTES + 1))
    try:  # non-blocking, so that a FIFO is refused rather than waited on
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise AlmenError(f"no facts file at {path}") from None
    except OSError as e:
        raise AlmenError(f"cannot read the facts file {path}: {e.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AlmenError(f"{path} is not a regular file; give a facts file, or '-' for standard input")
        return read_json(f.read(MAX_FACTS_BYTES + 1))


def _decide(args: argparse.Namespace, out: Console) -> int:
    policy = Policy(args.policy)
    facts = _read_facts(args.facts)
    answer = policy.decide(args.decision, facts, args.date, explain=True)
    if args.log:
        log.append(
            args.log, log.record(answer, facts, log.key_for(args.log), args.log_facts, args.redact), args.log_fsync
        )
    if args.format == "json":
        out.print(json.dumps(answer.to_dict(args.level, args.redact), ensure_ascii=False, indent=2), markup=False)
        return OK
    tree = args.command == "explain" and args.level == "full" and out.is_terminal
    if tree and answer.explanation is not None:
        out.print(_rich_tree(answer.explanation, answer.redactor() if args.redact else None))
    else:
        out.print(escape(answer.explain(args.level, args.redact)))
    if answer.status == Status.UNDETERMINED:
        out.print(f"[bold yellow]undetermined[/]; needs: {escape(', '.join(answer.needs))}")
    p = answer.policy
    out.print(f"[dim]policy {escape(p['id'])} {escape(p['version'])} sha256 {p['sha256'][:12]}…[/]")
    return OK


def _rich_tree(node: Node, redact: Redactor | None, tree: Tree | None = None) -> Tree:
    s = step(node, redact)
    label = f"[bold]{s.kind}[/] {escape(s.name)}" + (f": {escape(s.text)}" if s.text else "")
    label += f" = [green]{escape(s.value)}[/]" if s.value is not None else f" [yellow]({s.status})[/]"
    if s.cite:
        label += " [cyan]\\[" + escape(s.cite) + "][/]"
    label = _visible(label)
    branch = tree.add(label) if tree is not None else Tree(label)
    for note in s.notes:
        branch.add(_visible(f"[magenta]fortolkning:[/] {escape(note)}"))
    for path, value in s.inputs:
        branch.add(_visible(f"[dim]· {escape(path)} = {escape(value)}[/]"))
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
    affected = sorted({d for c in changes for d in c.decisions})
    out = []
    for decision in affected:
        if decision in old.model.decisions and classifiable(old, decision) and classifiable(new, decision):
            seeds = [s["facts"] for s in _scenarios(examples) if s.get("decision") == decision]
            out.append(classify_over_time(old, new, decision, seeds))
    return out


def _scenarios(paths: list[str]) -> list[dict[str, Any]]:
    found = []
    for f in golden.scenario_files([Path(p) for p in paths]):
        found += json.loads(f.read_text(encoding="utf-8"), parse_float=Decimal).get("scenarios", [])
    return found


def _docs(args: argparse.Namespace, out: Console) -> int:
    target = Path(args.out or f"{Path(args.policy).resolve().name}-docs")
    written = render_policy(args.policy, target, source_pages=args.source_pages)
    out.print(f"wrote {len(written)} files to {escape(str(target))}")
    return OK


def _schema(args: argparse.Namespace, out: Console) -> int:
    policy = Policy(args.policy)
    schema = fact_schema(policy, args.decision) if args.decision else decisions_schema(policy)
    out.print(json.dumps(schema, ensure_ascii=False, indent=2), markup=False)
    return OK


def _simulate(args: argparse.Namespace, out: Console) -> int:
    policy = Policy(args.policy)
    start, end = _period(policy, args.start, args.end)
    fill = dict(_pair(x) for x in args.fill) if args.fill else None
    how = plan(policy, args.decision, fill, args.dwellings, args.turnover)
    impact = simulate(policy, load_stock(args.stock), start, end, how)
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


def _pair(text: str) -> tuple[str, str]:
    fact, sep, decision = text.partition("=")
    if not (sep and fact and decision):
        raise AlmenError(f"--fill forventer FAKTUM=BESLUTNING, fik '{text}'")
    return fact, decision


if __name__ == "__main__":
    sys.exit(main())
