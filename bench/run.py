"""Benchmark of the almen interpreter against hand-written Python and GoRules zen-engine.

    python bench/run.py            # full run (about a minute on 2 cores)
    python bench/run.py --quick    # short run (a few seconds of timing per figure less)
    python bench/run.py --json out.json

Everything in-process runs in this one process on the same inputs: the determined
scenarios of tests/golden/koebenhavn/trappe.json and fortrinsret.json, cycled through.
Before anything is timed, the policy, the hand-written reference (bench/reference.py) and
the zen-engine graph (bench/placement.jdm.json) must give the same answers on every input;
if they do not, the run stops with exit code 1 — a benchmark of different answers is worthless.

Figures are decisions per second, the median of several repeats, each repeat one batch of
decisions timed with time.perf_counter. `almen check` and `almen simulate` are timed as whole
processes (new Python process each run, median wall time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import reference  # noqa: E402  (bench/reference.py)

from interpreter import load_policy  # noqa: E402

POLICY = "policies/koebenhavn/2024-2027"
GOLDEN = ROOT / "tests" / "golden" / "koebenhavn"
TIMED_FILES = {"trappe": ["trappe.json"], "fortrinsret": ["fortrinsret.json"]}
CHECKED_ONLY = {"fortrinsret": ["fortrinsret_b.json"]}  # agreement is asserted on these too, not timed
JDM = BENCH / "placement.jdm.json"

# `almen simulate` for four years on the synthetic Copenhagen stock (403 departments)
SIMULATE_ARGS = [POLICY, "--stock", "examples/koebenhavn/bestand.json", "--from", "2024-01-01", "--to", "2027-12-31"]

TARGETS = {
    "explain_false_vs_reference": 2.0,  # policy explain=False at most 2x slower than hand-written Python
    "check_cold_s": 0.5,
    "simulate_4y_s": 1.0,
}


# --------------------------------------------------------------------------- inputs


class Case:
    __slots__ = ("date", "decision", "facts", "name")

    def __init__(self, decision: str, name: str, facts: dict[str, Any], date: str):
        self.decision, self.name, self.facts, self.date = decision, name, facts, date


def load_cases(files: dict[str, list[str]]) -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = {}
    for decision, names in files.items():
        for fname in names:
            data = json.loads((GOLDEN / fname).read_text(encoding="utf-8"))
            for s in data["scenarios"]:
                if s["decision"] == decision and s["expect"]["status"] == "determined":
                    out.setdefault(decision, []).append(Case(decision, f"{fname}: {s['name']}", s["facts"], s["date"]))
    return out


# --------------------------------------------------------------------------- agreement


class Disagreement(Exception):
    pass


def same(a: Any, b: Any) -> bool:
    """Equal as JSON, including the order of object keys (the answers are JSON-shaped)."""
    return json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)


def assert_agreement(policy: Any, zen_eval: Callable[[dict[str, Any]], Any] | None, cases: dict[str, list[Case]],
                     extra: dict[str, list[Case]]) -> dict[str, int]:  # fmt: skip
    ref = {"trappe": reference.trappe, "fortrinsret": reference.fortrinsret}
    counts = {"reference": 0, "explain": 0, "zen": 0}
    problems: list[str] = []
    for group in (cases, extra):
        for decision, items in group.items():
            for c in items:
                quiet = policy.decide(decision, c.facts, c.date, explain=False)
                loud = policy.decide(decision, c.facts, c.date, explain=True)
                if quiet.status != "determined":
                    problems.append(f"{c.name}: policy says {quiet.status}")
                    continue
                if not same(loud.value, quiet.value):
                    problems.append(f"{c.name}: explain=True {loud.value} != explain=False {quiet.value}")
                counts["explain"] += 1
                try:
                    mine = ref[decision](c.facts, c.date)
                except Exception as e:  # a reference that cannot answer is a disagreement too
                    mine = f"{type(e).__name__}: {e}"
                if not same(mine, quiet.value):
                    problems.append(f"{c.name}: reference {mine} != policy {quiet.value}")
                counts["reference"] += 1
                if zen_eval is not None and decision == "trappe" and c.facts["afdeling"].get("udpegning") == "ingen":
                    z = zen_eval(c.facts)
                    if z.get("trin") != quiet.value["trin"]:
                        problems.append(f"{c.name}: zen-engine trin {z.get('trin')} != policy {quiet.value['trin']}")
                    counts["zen"] += 1
    if problems:
        raise Disagreement("\n".join(problems))
    return counts


# --------------------------------------------------------------------------- in-process timing


Call = Callable[[dict[str, Any], str], Any]


def measure_all(runs: dict[str, tuple[str, Call, list[Case]]], repeats: int, batch_s: float) -> dict[str, Any]:
    """Decisions per second for every candidate: the median over `repeats` batches.

    A batch cycles through the candidate's cases as many times as fill about `batch_s`
    seconds. The repeats are interleaved (round-robin over the candidates), so that a busy
    spell on this shared machine hits every candidate alike rather than one of them.
    """
    prepared = {}
    for key, (_, call, cases) in runs.items():
        items = [(c.facts, c.date) for c in cases]
        _batch(call, items, 1)  # warm up: first-call costs, caches
        one = max(_batch(call, items, 1), 1e-6)
        prepared[key] = (call, items, max(1, round(batch_s / one)))
    rates: dict[str, list[float]] = {key: [] for key in runs}
    for _ in range(repeats):
        for key, (call, items, passes) in prepared.items():
            gc.collect()
            rates[key].append(passes * len(items) / _batch(call, items, passes))
    out = {}
    for key, (label, _, cases) in runs.items():
        median = statistics.median(rates[key])
        out[key] = {
            "label": label,
            "inputs": len(cases),
            "decisions_per_s": median,
            "us_per_decision": 1e6 / median,
            "best_decisions_per_s": max(rates[key]),
            "spread": (max(rates[key]) - min(rates[key])) / median,
            "decisions_per_batch": prepared[key][2] * len(cases),
            "repeats": rates[key],
        }
    return out


def _batch(call: Call, items: list[tuple[dict[str, Any], str]], passes: int) -> float:
    start = time.perf_counter()
    for _ in range(passes):
        for facts, date in items:
            call(facts, date)
    return time.perf_counter() - start


# --------------------------------------------------------------------------- whole-process timing


def almen_cmd() -> list[str]:
    """`almen` from this source tree (the console script runs interpreter.cli:main the same way)."""
    return [sys.executable, "-m", "interpreter.cli"]


def run_env(pycache: str | None, tmpdir: str | None = None) -> dict[str, str]:
    """The child's environment. With `pycache`, bytecode is written to and read from that folder
    (PYTHONPYCACHEPREFIX), as an installed almen has its .pyc files; nothing is written into the
    source tree. Without it, the environment is inherited as it is."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    if tmpdir is not None:
        env["TMPDIR"] = tmpdir  # tempfile.gettempdir() and so Lark's cache file follow TMPDIR
    return env


def wall(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc


def time_process(cmd: list[str], runs: int, env: dict[str, str]) -> dict[str, Any]:
    times = []
    for _ in range(runs):
        seconds, proc = wall(cmd, env)
        if proc.returncode != 0:
            return {"ok": False, "exit": proc.returncode, "stderr": proc.stderr.strip()[-500:]}
        times.append(seconds)
    return {"ok": True, "median_s": statistics.median(times), "runs_s": times}


def bench_check(runs: int, pycache: str) -> dict[str, Any]:
    cmd = [*almen_cmd(), "check", POLICY]
    # One run first, not timed: it writes the bytecode and makes sure Lark's grammar cache exists.
    # "Cold" here means a new process each time, as a user or a CI step starts almen.
    wall(cmd, run_env(pycache))
    cold = time_process(cmd, runs, run_env(pycache))
    # Lark caches the grammar analysis in tempfile.gettempdir() (cache=True in dsl/parser.py);
    # an empty TMPDIR for the child is the same as a cleared cache, without deleting anyone's file.
    fresh = tempfile.mkdtemp(prefix="almen-bench-tmp-")
    try:
        cleared = time_process(cmd, 1, run_env(pycache, fresh))
        cleared["cache_written"] = sorted(p.name for p in Path(fresh).glob(".lark_cache*"))
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    inherited = time_process(cmd, runs, run_env(None))
    inherited["PYTHONDONTWRITEBYTECODE"] = os.environ.get("PYTHONDONTWRITEBYTECODE")
    startup = time_process([sys.executable, "-c", "pass"], runs, run_env(pycache))
    return {
        "command": "almen check " + POLICY,
        "cold": cold,
        "lark_cache_cleared": cleared,
        "inherited_env": inherited,
        "lark_cache_files": sorted(str(p) for p in Path(tempfile.gettempdir()).glob(".lark_cache*")),
        "python_startup": startup,
    }


def bench_simulate(runs: int, repeats: int, pycache: str) -> dict[str, Any]:
    _, helped = wall([*almen_cmd(), "simulate", "--help"], run_env(pycache))
    if helped.returncode != 0:
        return {"available": False, "reason": "almen simulate --help failed"}
    stock = ROOT / SIMULATE_ARGS[SIMULATE_ARGS.index("--stock") + 1]
    if not stock.exists():
        return {"available": False, "reason": f"no stock file {stock.relative_to(ROOT)}"}
    cmd = [*almen_cmd(), "simulate", *SIMULATE_ARGS]
    out: dict[str, Any] = {"available": True, "command": "almen simulate " + " ".join(SIMULATE_ARGS)}
    out["process"] = time_process(cmd, runs, run_env(pycache))
    try:  # the same four years in-process, after the policy is loaded (interpreter.simulate, if it is there)
        from interpreter.simulate import load_stock, simulate

        policy = load_policy(ROOT / POLICY)
        departments = load_stock(stock)
        start, end = dt.date(2024, 1, 1), dt.date(2027, 12, 31)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            simulate(policy, departments, start, end)
            times.append(time.perf_counter() - t0)
        out["in_process"] = {"ok": True, "median_s": statistics.median(times), "runs_s": times,
                             "departments": len(departments)}  # fmt: skip
    except Exception as e:  # the hook must not break the benchmark while simulate is being built
        out["in_process"] = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    return out


# --------------------------------------------------------------------------- report


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ")


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "MISSED")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and shorter batches")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    ap.add_argument("--no-process", action="store_true", help="skip the whole-process timings (check, simulate)")
    args = ap.parse_args(argv)
    repeats, batch_s, runs = (3, 0.05, 3) if args.quick else (7, 0.3, 7)

    t0 = time.perf_counter()
    policy = load_policy(ROOT / POLICY)
    load_s = time.perf_counter() - t0

    try:
        import zen

        # The fastest synchronous way found: an engine with a static loader caches the compiled
        # graph (about 15 µs a call here); create_decision(...).evaluate is ~30x slower per call
        # and is timed too, for comparison. Both are in the package's own stubs (zen/__init__.pyi).
        graph = json.loads(JDM.read_text(encoding="utf-8"))
        engine = zen.ZenEngine({"loader": {"type": "static", "content": {"placement": graph}}})
        placement = zen.ZenEngine().create_decision(JDM.read_text(encoding="utf-8"))
        zen_version = _version("zen-engine")

        def zen_eval(facts: dict[str, Any]) -> Any:
            via_engine = engine.evaluate("placement", facts)["result"]
            via_decision = placement.evaluate(facts)["result"]
            return via_engine if via_engine == via_decision else {"engine": via_engine, "decision": via_decision}
    except ImportError:
        engine = placement = zen_version = None
        zen_eval = None  # type: ignore[assignment]

    cases = load_cases(TIMED_FILES)
    extra = load_cases(CHECKED_ONLY)
    placement_cases = [c for c in cases["trappe"] if c.facts["afdeling"].get("udpegning") == "ingen"]
    try:
        agreed = assert_agreement(policy, zen_eval, cases, extra)
    except Disagreement as e:
        print("DISAGREEMENT — not benchmarking different answers:\n" + str(e), file=sys.stderr)
        return 1
    print(f"agreement: reference = policy on {agreed['reference']} inputs, explain=True = explain=False on "
          f"{agreed['explain']}, zen-engine = policy on {agreed['zen']} placements")  # fmt: skip

    decide = policy.decide
    runs_in: dict[str, tuple[str, Call, list[Case]]] = {
        "policy_trappe_explain_false": ("policy trappe, explain=False",
                                        lambda f, d: decide("trappe", f, d, explain=False), cases["trappe"]),
        "policy_trappe_explain_true": ("policy trappe, explain=True",
                                       lambda f, d: decide("trappe", f, d, explain=True), cases["trappe"]),
        "reference_trappe": ("hand-written Python trappe", reference.trappe, cases["trappe"]),
        "policy_placement_explain_false": ("policy trappe, explain=False, udpegning 'ingen' only",
                                           lambda f, d: decide("trappe", f, d, explain=False), placement_cases),
        "policy_fortrinsret_explain_false": ("policy fortrinsret, explain=False",
                                             lambda f, d: decide("fortrinsret", f, d, explain=False),
                                             cases["fortrinsret"]),
        "policy_fortrinsret_explain_true": ("policy fortrinsret, explain=True",
                                            lambda f, d: decide("fortrinsret", f, d, explain=True),
                                            cases["fortrinsret"]),
        "reference_fortrinsret": ("hand-written Python fortrinsret", reference.fortrinsret, cases["fortrinsret"]),
    }  # fmt: skip
    if engine is not None:
        run_engine, run_decision = engine.evaluate, placement.evaluate
        runs_in["zen_placement"] = ("zen-engine placement graph, engine.evaluate",
                                    lambda f, d: run_engine("placement", f), placement_cases)
        runs_in["zen_placement_create_decision"] = ("zen-engine placement graph, create_decision().evaluate",
                                                    lambda f, d: run_decision(f), placement_cases)  # fmt: skip

    print(f"  timing {len(runs_in)} candidates, {repeats} interleaved repeats …", file=sys.stderr)
    results = measure_all(runs_in, repeats, batch_s)

    rate = {k: v["decisions_per_s"] for k, v in results.items()}
    ratios: dict[str, Any] = {
        "trappe_slowdown_vs_reference": rate["reference_trappe"] / rate["policy_trappe_explain_false"],
        "fortrinsret_slowdown_vs_reference": rate["reference_fortrinsret"] / rate["policy_fortrinsret_explain_false"],
        "trappe_explain_true_cost": rate["policy_trappe_explain_false"] / rate["policy_trappe_explain_true"],
        "fortrinsret_explain_true_cost": rate["policy_fortrinsret_explain_false"]
        / rate["policy_fortrinsret_explain_true"],
    }
    if "zen_placement" in rate:
        ratios["policy_vs_zen"] = rate["policy_placement_explain_false"] / rate["zen_placement"]
        ratios["policy_vs_zen_create_decision"] = (
            rate["policy_placement_explain_false"] / rate["zen_placement_create_decision"]
        )

    process: dict[str, Any] = {}
    if not args.no_process:
        pycache = tempfile.mkdtemp(prefix="almen-bench-pycache-")
        try:
            print("  timing almen check as whole processes …", file=sys.stderr)
            process["check"] = bench_check(runs, pycache)
            print("  timing almen simulate …", file=sys.stderr)
            process["simulate"] = bench_simulate(runs, repeats, pycache)
        finally:
            shutil.rmtree(pycache, ignore_errors=True)

    targets = []
    worst = max(ratios["trappe_slowdown_vs_reference"], ratios["fortrinsret_slowdown_vs_reference"])
    targets.append({"target": "explain=False within 2x of hand-written Python (both decisions)",
                    "figure": f"{worst:.1f}x slower (worse of the two)",
                    "met": worst <= TARGETS["explain_false_vs_reference"]})  # fmt: skip
    if "policy_vs_zen" in ratios:
        r = ratios["policy_vs_zen"]
        targets.append({"target": "ahead of zen-engine on the placement table",
                        "figure": f"policy {r:.2f}x faster" if r >= 1 else f"policy {1 / r:.1f}x slower",
                        "met": r > 1})  # fmt: skip
    else:
        targets.append({"target": "ahead of zen-engine on the placement table", "figure": "zen-engine not installed",
                        "met": None})  # fmt: skip
    if "check" in process:
        cold = process["check"]["cold"]
        targets.append({"target": "almen check under 0.5 s cold (whole process, median)",
                        "figure": f"{cold['median_s']:.3f} s" if cold["ok"] else f"failed (exit {cold['exit']})",
                        "met": cold["ok"] and cold["median_s"] < TARGETS["check_cold_s"]})  # fmt: skip
        sim = process["simulate"]
        if sim["available"] and sim["process"]["ok"]:
            s = sim["process"]["median_s"]
            targets.append({"target": "four-year simulation under 1 s (whole process, median)",
                            "figure": f"{s:.3f} s", "met": s < TARGETS["simulate_4y_s"]})  # fmt: skip
        else:
            why = sim.get("reason") or f"failed (exit {sim['process'].get('exit')})"
            targets.append({"target": "four-year simulation under 1 s", "figure": why, "met": None})

    report = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "implementation": platform.python_implementation(),
                    "platform": platform.platform(), "cpus": os.cpu_count(), "zen_engine": zen_version},  # fmt: skip
        "mode": "quick" if args.quick else "full",
        "settings": {"repeats": repeats, "batch_seconds": batch_s, "process_runs": runs},
        "inputs": {"trappe": len(cases["trappe"]), "fortrinsret": len(cases["fortrinsret"]),
                   "placement": len(placement_cases)},  # fmt: skip
        "agreement": agreed,
        "policy_load_s": load_s,
        "in_process": results,
        "ratios": ratios,
        "process": process,
        "targets": targets,
    }
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    return 0


def print_report(r: dict[str, Any]) -> None:
    m = r["machine"]
    print(f"\nalmen benchmark ({r['mode']}) — Python {m['python']}, {m['cpus']} cores, zen-engine {m['zen_engine']}")
    print(f"inputs: {r['inputs']['trappe']} trappe, {r['inputs']['fortrinsret']} fortrinsret, "
          f"{r['inputs']['placement']} placements (udpegning 'ingen'); median of {r['settings']['repeats']} batches")  # fmt: skip
    print(f"policy load (parse, check, compile, in-process): {r['policy_load_s'] * 1000:.0f} ms\n")
    print(f"{'in-process':<64}{'decisions/s':>13}{'µs/decision':>13}{'spread':>8}")
    for v in r["in_process"].values():
        print(f"{v['label']:<64}{fmt_rate(v['decisions_per_s']):>13}{v['us_per_decision']:>13.1f}"
              f"{v['spread'] * 100:>7.0f}%")  # fmt: skip
    print("(spread: (fastest - slowest repeat) / median; this machine is shared, so expect some)")
    q = r["ratios"]
    print("\nratios")
    print(f"  trappe:      policy explain=False is {q['trappe_slowdown_vs_reference']:.1f}x slower than hand-written")
    print(f"  fortrinsret: policy explain=False is {q['fortrinsret_slowdown_vs_reference']:.1f}x slower than hand-written")
    print(f"  trappe:      explain=True costs {q['trappe_explain_true_cost']:.2f}x explain=False")
    print(f"  fortrinsret: explain=True costs {q['fortrinsret_explain_true_cost']:.2f}x explain=False")
    if "policy_vs_zen" in q:
        z = q["policy_vs_zen"]
        word = f"{z:.2f}x faster than" if z >= 1 else f"{1 / z:.1f}x slower than"
        print(f"  placement:   policy is {word} zen-engine (engine.evaluate, the fastest way)")
        z = q["policy_vs_zen_create_decision"]
        word = f"{z:.2f}x faster than" if z >= 1 else f"{1 / z:.1f}x slower than"
        print(f"  placement:   policy is {word} zen-engine's create_decision().evaluate")
    p = r["process"]
    if p:
        c = p["check"]
        print("\nwhole process (new Python process each run, wall time; bytecode cached as for an installed almen)")
        if c["cold"]["ok"]:
            runs = ", ".join(f"{x:.3f}" for x in c["cold"]["runs_s"])
            print(f"  {c['command']}: median {c['cold']['median_s']:.3f} s  (runs: {runs})")
        else:
            print(f"  {c['command']}: FAILED exit {c['cold']['exit']}: {c['cold']['stderr']}")
        if c["lark_cache_cleared"]["ok"]:
            print(f"  same, Lark grammar cache cleared (empty TMPDIR), 1 run: {c['lark_cache_cleared']['median_s']:.3f} s")
        inh = c["inherited_env"]
        if inh["ok"]:
            note = f"PYTHONDONTWRITEBYTECODE={inh['PYTHONDONTWRITEBYTECODE']}" if inh["PYTHONDONTWRITEBYTECODE"] else ""
            print(f"  same, environment as inherited {note}: median {inh['median_s']:.3f} s")
        print(f"  python -c pass (interpreter start-up alone): median {c['python_startup']['median_s']:.3f} s")
        s = p["simulate"]
        if not s["available"]:
            print(f"  simulate: not available ({s['reason']})")
        elif not s["process"]["ok"]:
            print(f"  {s['command']}: FAILED exit {s['process']['exit']}: {s['process']['stderr']}")
        else:
            print(f"  {s['command']}: median {s['process']['median_s']:.3f} s")
            ip = s.get("in_process", {})
            if ip.get("ok"):
                print(f"    in-process simulate() alone, {ip['departments']} departments: "
                      f"median {ip['median_s'] * 1000:.0f} ms")  # fmt: skip
    print("\ntargets")
    for t in r["targets"]:
        print(f"  [{verdict(t['met']):>6}] {t['target']}: {t['figure']}")


def _version(dist: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return None


if __name__ == "__main__":
    sys.exit(main())
