"""Where the time of `Policy.decide(..., explain=False)` goes, on the benchmark's inputs.

    python bench/profile_decide.py                 # both decisions
    python bench/profile_decide.py trappe --top 30

First a wall-clock split (best of several rounds, no profiler): fact conversion, evaluation of
the compiled decision, and the rest of `decide`, next to the hand-written reference. Then the
cProfile table of `decide`, sorted by own time. cProfile slows small Python functions down a lot,
so read its table for where, and the split for how much.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference  # noqa: E402
import run  # noqa: E402

from almen.interpreter import load_policy  # noqa: E402
from almen.interpreter.api import _date  # noqa: E402
from almen.interpreter.env import Env  # noqa: E402
from almen.interpreter.facts import convert_facts  # noqa: E402


def best_us(fn: Callable[[Any], Any], items: list[Any], rounds: int = 7, passes: int = 40) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(passes):
            for item in items:
                fn(item)
        best = min(best, (time.perf_counter() - start) / (passes * len(items)))
    return best * 1e6


def report(policy: Any, name: str, cases: list[Any], top: int) -> None:
    items = [(c.facts, c.date) for c in cases]
    converted = [(convert_facts(f, policy.schema, policy.defaults), _date(d)) for f, d in items]
    thunk = policy.program.values[name]
    ref = getattr(reference, name)
    whole = best_us(lambda it: policy.decide(name, it[0], it[1], explain=False), items)
    conv = best_us(lambda it: convert_facts(it[0], policy.schema, policy.defaults), items)
    ev = best_us(lambda it: thunk(Env(policy.program, it[0], it[1], None)), converted)
    hand = best_us(lambda it: ref(it[0], it[1]), items)
    rest = whole - conv - ev
    print(f"\n== {name}: {len(items)} inputs, best-of µs per decision")
    print(f"  decide, explain=False      {whole:7.1f}")
    print(f"    convert_facts            {conv:7.1f}  ({conv / whole:.0%})")
    print(f"    evaluation (Env + thunk) {ev:7.1f}  ({ev / whole:.0%})")
    print(f"    the rest of decide       {rest:7.1f}  ({rest / whole:.0%})")
    print(f"  hand-written reference     {hand:7.1f}  (policy is {whole / hand:.0f}x)")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(200):
        for facts, date in items:
            policy.decide(name, facts, date, explain=False)
    profiler.disable()
    print(f"\n  cProfile of 200 passes of decide({name!r}, explain=False), by own time:")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("decisions", nargs="*", default=["trappe", "fortrinsret"])
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()
    policy = load_policy(ROOT / run.POLICY)
    cases = run.load_cases(run.TIMED_FILES)
    for name in args.decisions:
        report(policy, name, cases[name], args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
