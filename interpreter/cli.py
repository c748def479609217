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
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from almen import dsl
from almen.dsl.diagnostics import AlmenError, PolicyError
from almen.dsl.i18n import LANGUAGES, _, from_environment, ngettext, percent, use
from almen.interpreter import log, modelcache
from almen.interpreter.api import Policy
from almen.interpreter.errors import FactError, UnknownDecision
from almen.interpreter.explanation import LEVELS, Node, Status, step
from almen.interpreter.facts import MAX_FACTS_BYTES, read_json
from almen.interpreter.redaction import Redactor

if TYPE_CHECKING:
    from almen.interpreter.tools.classify import Classification

# The tools (diff, render, report, simulate, …) are imported by the commands that use them, so
# `almen check` and `almen decide` start without them (and without Lark, on a cached model).

OK, FINDINGS, USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # usage errors exit 2, as argparse does, but briefly
        self.print_usage(sys.stderr)
        sys.stderr.write(_("almen: error: {message}").format(message=message) + "\n")
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


_LANG_HELP = "the language of the output: da (Danish, the default) or en; also ALMEN_LANG"


def _error(message: str) -> str:
    return _("error: {message}").format(message=escape(message))


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
    p.add_argument(
        "--min-coverage", type=Decimal, default=Decimal(0), help="fail below this percentage of rules covered"
    )

    p = sub.add_parser("diff", help="what changes between two versions of a policy, rule by rule")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--format", choices=["text", "json", "markdown", "html"], default="text")
    p.add_argument("--impact", metavar="STOCK", help="also simulate both versions on this housing stock (JSON)")
    p.add_argument("--from", dest="start", help="impact period start (default: the new version's validity)")
    p.add_argument("--to", dest="end", help="impact period end")
    p.add_argument("--no-classify", action="store_true", help="skip the permissiveness search of yes/no decisions")
    p.add_argument(
        "--examples",
        nargs="*",
        default=[],
        help="scenario files: answered under both versions, and seeding that search",
    )

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

    p = sub.add_parser("serve", help="serve the policies' decisions over HTTP (needs almen[serve])")
    p.add_argument("policies", nargs="+", metavar="POLICY")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8181)
    p.add_argument("--tokens-file", help="bearer tokens, one a line (also: ALMEN_SERVE_TOKENS)")
    p.add_argument("--log", metavar="FILE", help="append a decision record (JSON line) per answer to FILE")
    p.add_argument("--log-facts", action="store_true", help="include the facts in clear (not for redacted requests)")
    p.add_argument("--log-key-file", help="key of the facts' HMAC in the log (also: ALMEN_SERVE_LOG_KEY)")
    p.add_argument("--max-body", type=int, default=1 << 20, help="bytes of a request body (default 1 MiB)")
    p.add_argument("--max-batch", type=int, default=10_000, help="fact sets in one decide-many request")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds for one evaluation (default 5)")
    p.add_argument("--reload-interval", type=float, default=2.0, help="seconds between looks for edits; 0: never")
    p.add_argument("--grace", type=float, default=10.0, help="seconds to finish requests at shutdown")

    sub.add_parser("lsp", help="run the language server on standard input and output (needs almen[lsp])")

    p = sub.add_parser("compile", help="a decision compiled: the generated Python of the fast path, or SQL")
    p.add_argument("policy")
    p.add_argument("decision", nargs="?", help="one decision; all of them when left out (python)")
    p.add_argument("--emit", choices=["python", "sql"], default="python", help="python: the fast path; sql: one query")
    p.add_argument("--dialect", choices=["duckdb", "postgres", "spark"], default="duckdb", help="with --emit sql")
    p.add_argument("--date", default=None, help="with --emit sql: the decision date (default: today)")
    p.add_argument("--fixed", help="with --emit sql: a JSON file of facts the same for every row (the department)")
    p.add_argument("--max-items", type=int, default=2, help="with --emit sql: the longest list a row may have")

    from almen.interpreter.batch import commands as batch  # batch evaluation in SQL: the `batch` extra

    batch.add_parsers(sub)

    for command in sub.choices.values():  # `--lang` before or after the command
        command.add_argument("--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help=_LANG_HELP)
    parser.add_argument("--lang", choices=LANGUAGES, default=None, help=_LANG_HELP)
    args = parser.parse_args(argv)
    with use(args.lang or from_environment()):  # for this run only: a caller's language is left as it was
        return _run(args)


def _run(args: argparse.Namespace) -> int:
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
            "serve": _serve,
            "lsp": _lsp,
            "compile": _compile,
            "decide-many": _decide_many,
        }
        code = int(handler[args.command](args, out))
        sys.stdout.flush()  # here, where a closed pipe can still be told
        return code
    except PolicyError as e:
        err.print(escape(e.render()))
        return FINDINGS
    except FactError as e:
        err.print(_error(e.redacted() if getattr(args, "redact", False) else str(e)))
        return USAGE
    except UnknownDecision as e:
        err.print(_error(str(e)))
        return USAGE
    except AlmenError as e:
        err.print(_error(str(e)))
        return USAGE
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to write there
        err.print(_error(_("output closed before almen was done (broken pipe)")))
        return USAGE
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        err.print(_error(str(e)))
        return USAGE


def _check(args: argparse.Namespace, out: Console) -> int:
    files = dsl.policy_files(args.policy)
    if not files or not all(f.exists() for f in files):
        raise AlmenError(_("no policy at {path}").format(path=args.policy))
    try:
        model = modelcache.load(args.policy)
    except PolicyError as e:
        if args.format == "json":
            out.print_json(data={"ok": False, "errors": [_diag(d) for d in e.diagnostics]})
            return FINDINGS
        raise
    rules = sum(1 for key, _node in model.members() if key.kind in ("regel", "undtagelse"))
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
        counts = [
            ngettext("{n} file", "{n} files", len(files)).format(n=len(files)),
            ngettext("{n} decision", "{n} decisions", len(model.decisions)).format(n=len(model.decisions)),
            ngettext("{n} rule", "{n} rules", rules).format(n=rules),
            ngettext("{n} table", "{n} tables", len(model.tables)).format(n=len(model.tables)),
            ngettext("{n} wheel", "{n} wheels", len(model.wheels)).format(n=len(model.wheels)),
        ]
        out.print(_("ok: {counts}").format(counts=", ".join(counts)))
    return OK


def _diag(d: Any) -> dict[str, Any]:
    return {"path": d.span.path, "line": d.span.line, "column": d.span.column, "message": d.message, "hint": d.hint}


def _read_facts(path: str) -> Any:
    if path == "-":
        return read_json(sys.stdin.buffer.read(MAX_FACTS_BYTES + 1))
    try:  # non-blocking, so that a FIFO is refused rather than waited on
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise AlmenError(_("no facts file at {path}").format(path=path)) from None
    except OSError as e:
        raise AlmenError(
            _("cannot read the facts file {path}: {reason}").format(path=path, reason=e.strerror)
        ) from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AlmenError(
                _("{path} is not a regular file; give a facts file, or '-' for standard input").format(path=path)
            )
        return read_json(f.read(MAX_FACTS_BYTES + 1))


def _decide(args: argparse.Namespace, out: Console) -> int:
    policy = Policy(args.policy)
    day = _day(args.date, "--date")
    low, high = policy.valid
    if low is not None and high is not None and not low <= day <= high:
        raise AlmenError(
            _("--date {day} is outside the policy's validity, {low} – {high}").format(day=day, low=low, high=high)
        )
    facts = _read_facts(args.facts)
    answer = policy.decide(args.decision, facts, day, explain=True)
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
        if answer.status == Status.UNDETERMINED:
            needs = escape(", ".join(answer.needs))
            undetermined = _("undetermined")
            out.print(f"[bold yellow]{undetermined}[/]; " + _("needs: {facts}").format(facts=needs))
    else:  # the text says undetermined and what it needs already
        out.print(escape(answer.explain(args.level, args.redact)))
    p = answer.policy
    stamp = _("policy {id} {version} sha256 {sha256}…").format(
        id=escape(p["id"]), version=escape(p["version"]), sha256=p["sha256"][:12]
    )
    out.print(f"[dim]{stamp}[/]")
    return OK


def _rich_tree(node: Node, redact: Redactor | None, tree: Tree | None = None) -> Tree:
    s = step(node, redact)
    label = f"[bold]{s.kind}[/] {escape(s.name)}" + (f": {escape(s.text)}" if s.text else "")
    label += f" = [green]{escape(s.value)}[/]" if s.value is not None else f" [yellow]({escape(s.state)})[/]"
    if s.cite:
        label += " [cyan]\\[" + escape(s.cite) + "][/]"
    label = _visible(label)
    branch = tree.add(label) if tree is not None else Tree(label)
    note_label = _("interpretation:")
    for note in s.notes:
        branch.add(_visible(f"[magenta]{note_label}[/] {escape(note)}"))
    for path, value in s.inputs:
        branch.add(_visible(f"[dim]· {escape(path)} = {escape(value)}[/]"))
    for child in node.children:
        _rich_tree(child, redact, branch)
    return branch


def _fmt(args: argparse.Namespace, out: Console) -> int:
    from almen.dsl.formatter import format_source

    unformatted = []
    for f in dsl.policy_files(args.policy):
        if f.is_symlink() and not args.check:  # writing through it would change a file elsewhere
            raise AlmenError(_("{file} is a link: almen fmt writes only the policy's own files").format(file=f))
        source = f.read_text(encoding="utf-8")
        formatted = format_source(source, str(f))
        if formatted != source:
            unformatted.append(f)
            if not args.check:
                f.write_text(formatted, encoding="utf-8")
    if args.check and unformatted:
        for f in unformatted:
            out.print(_("would reformat {file}").format(file=escape(str(f))))
        return FINDINGS
    total = len(dsl.policy_files(args.policy))
    if unformatted:
        out.print(_("reformatted {n} of {total} files").format(n=len(unformatted), total=total))
    else:
        out.print(
            ngettext("the file is already formatted", "all {total} files already formatted", total).format(total=total)
        )
    return OK


def _test(args: argparse.Namespace, out: Console) -> int:
    from almen.interpreter.tools import golden

    report = golden.run([Path(p) for p in args.paths], Path(args.policy) if args.policy else None)
    for o in report.failed:
        fail = _("FAIL")
        out.print(f"[red]{fail}[/] {escape(o.file)}: {escape(o.name)}\n      {escape(o.problem)}")
    passed = len(report.outcomes) - len(report.failed)
    out.print(_("{passed} passed, {failed} failed").format(passed=passed, failed=len(report.failed)))
    below = False
    for policy in sorted(report.elements):
        covered, total, missing = report.coverage(policy)
        share = Fraction(100 * covered, total) if total else Fraction(100)
        pct = percent(share, places=1)
        out.print(
            _("rule coverage {policy}: {covered}/{total} ({percent})").format(
                policy=escape(policy), covered=covered, total=total, percent=pct
            )
        )
        if missing:
            out.print("  " + _("not covered: {elements}").format(elements=escape(", ".join(missing))))
        below = below or share < Fraction(args.min_coverage)
    return FINDINGS if report.failed or below else OK


def _day(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise AlmenError(
            _("{option} must be a date (YYYY-MM-DD), not '{text}'").format(option=what, text=text)
        ) from None


def _period(policy: Policy, start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    low, high = policy.valid
    first = _day(start, "--from") if start else low
    last = _day(end, "--to") if end else high
    if first is None or last is None:
        raise AlmenError(_("give --from and --to: the policy states no validity period"))
    if last < first:
        raise AlmenError(_("--to {last} is before --from {first}").format(last=last, first=first))
    return first, last


def _diff(args: argparse.Namespace, out: Console) -> int:
    from almen.interpreter.tools.answers import compare, scenarios
    from almen.interpreter.tools.diff import diff
    from almen.interpreter.tools.report import RENDERERS, DiffReport
    from almen.interpreter.tools.shrink import counterexamples
    from almen.interpreter.tools.simulate import load_stock, simulate
    from almen.interpreter.tools.summary import pictures, summarise

    old, new = Policy(args.old), Policy(args.new)
    changes = diff(old.model, new.model)
    impact = None
    if args.impact:
        stock = load_stock(args.impact)
        start, end = _period(new, args.start, args.end)
        impact = (simulate(old, stock, start, end), simulate(new, stock, start, end))
    verdicts = [] if args.no_classify else _classifications(old, new, changes, args.examples)
    examples = [c for v in verdicts for c in counterexamples(old, new, v)]
    entries = summarise(old.model, new.model, changes)
    drawn = pictures(old.model, new.model, entries)
    valid = (old.valid, new.valid)
    answers = compare(old, new, scenarios(args.examples)) if args.examples else None
    report = DiffReport(changes, old.stamp(), new.stamp(), impact, verdicts, entries, drawn, examples, valid, answers)
    rendered = RENDERERS[args.format](report)
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
    out.print(_("wrote {n} files to {folder}").format(n=len(written), folder=escape(str(target))))
    return OK


def _lsp(args: argparse.Namespace, out: Console) -> int:
    try:
        from almen.interpreter.lsp.server import serve
    except ImportError as e:
        raise AlmenError(f"sprogserveren kræver pygls ({e.name} mangler): pip install 'almen[lsp]'") from None
    serve()
    return OK


def _schema(args: argparse.Namespace, out: Console) -> int:
    from almen.interpreter.tools.schema import decisions_schema, fact_schema

    policy = Policy(args.policy)
    schema = fact_schema(policy, args.decision) if args.decision else decisions_schema(policy)
    out.print(json.dumps(schema, ensure_ascii=False, indent=2), markup=False)
    return OK


def _serve(args: argparse.Namespace, out: Console) -> int:
    try:
        from almen.interpreter.serve import run, settings
    except ImportError as e:
        raise AlmenError(f"almen serve needs the extra: pip install 'almen[serve]' ({e.name} is missing)") from None
    config = settings.Settings(
        policies=tuple(Path(p) for p in args.policies),
        host=args.host,
        port=args.port,
        tokens=settings.read_tokens(args.tokens_file),
        log=Path(args.log) if args.log else None,
        log_facts=args.log_facts,
        log_key=settings.read_log_key(args.log_key_file),
        max_body=args.max_body,
        max_batch=args.max_batch,
        timeout=args.timeout,
        reload_interval=args.reload_interval,
        grace=args.grace,
    )
    return run.serve(config)


def _simulate(args: argparse.Namespace, out: Console) -> int:
    from almen.interpreter.tools.report import approx
    from almen.interpreter.tools.simulate import load_stock, plan, simulate

    policy = Policy(args.policy)
    start, end = _period(policy, args.start, args.end)
    fill = dict(_pair(x) for x in args.fill) if args.fill else None
    how = plan(policy, args.decision, fill, args.dwellings, args.turnover)
    impact = simulate(policy, load_stock(args.stock), start, end, how)
    if args.format == "json":
        out.print(json.dumps(impact.to_dict(), ensure_ascii=False, indent=2), markup=False)
        return OK
    heading = _("{policy} {version}: expected vacant dwellings {start} – {end} (rounded)")
    out.print(heading.format(policy=policy.id, version=policy.version, start=start, end=end))
    for year, counts in sorted(impact.per_year.items()):
        out.print(f"  {year}: " + ", ".join(f"{k} {approx(v)}" for k, v in counts.items()))
    out.print("  " + _("in all:") + " " + ", ".join(f"{k} {approx(v)}" for k, v in impact.total.items()))
    for note in impact.notes:
        out.print("  " + _("note:") + f" {escape(note)}")
    return OK


def _pair(text: str) -> tuple[str, str]:
    fact, sep, decision = text.partition("=")
    if not (sep and fact and decision):
        raise AlmenError(_("--fill expects FACT=DECISION, not '{text}'").format(text=text))
    return fact, decision


def _decide_many(args: argparse.Namespace, out: Console) -> int:
    from almen.interpreter.batch import commands as batch

    return batch.decide_many_command(args, out)


def _compile(args: argparse.Namespace, out: Console) -> int:
    if args.emit == "sql":
        from almen.interpreter.batch import commands as batch

        if args.decision is None:
            raise AlmenError(_("--emit sql compiles one decision: name it"))
        return batch.compile_command(args, out)
    policy = Policy(args.policy)
    if args.decision is not None and args.decision not in policy.model.decisions:
        raise UnknownDecision(policy.id, args.decision, policy.decisions)
    out.print(policy.fast.compiled.source(args.decision), markup=False)
    return OK


if __name__ == "__main__":
    sys.exit(main())
