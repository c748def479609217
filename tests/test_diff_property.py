"""The diff misses no edit that changes an answer, and reports none for layout or order.

Single-token edits of the shipped policies, drawn at random (numbers, comparisons, booleans,
defaults and bounds, enumeration members, connectives): whenever any golden scenario's answer
changes, `diff` must report at least one change naming the edited element. Reformatting every
file and reversing the order of files and of declarations must report nothing.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from almen import AlmenError, PolicyError, dsl, load_policy
from almen.dsl.formatter import format_source
from almen.dsl.identity import key_of
from almen.interpreter.tools.diff import diff

ROOT = Path(__file__).resolve().parent.parent
POLICIES = {
    "koebenhavn": (ROOT / "policies" / "koebenhavn" / "2024-2027", ROOT / "tests" / "golden" / "koebenhavn"),
    "koege": (ROOT / "policies" / "koege" / "2025", ROOT / "tests" / "golden" / "koege"),
}
EDITS_PER_POLICY = {"koebenhavn": 70, "koege": 30}

_COMMENT = re.compile(r"#[^\n]*")
_STRING = re.compile(r'"[^"\n]*"')
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SWAPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "≤": "<", "≥": ">", "=": "≠", "≠": "=", "!=": "="}
_SITES = [
    ("tal", re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")),
    ("sammenligning", re.compile(r"<=|>=|≤|≥|≠|!=|(?<![=<>.!])[<>](?![=>])|(?<![<>=!:.])=(?![=>])")),
    ("sandhed", re.compile(r"(?<!\w)(?:sand|falsk)(?!\w)")),
    ("konnektiv", re.compile(r"(?<!\w)(?:og|eller)(?!\w)")),
    ("tekst", _STRING),
]


def _masked(source: str) -> str:
    """The source with comments blanked, so no edit lands in one."""
    return _COMMENT.sub(lambda m: " " * len(m.group()), _STRING.sub(lambda m: m.group(), source))


def edit_sites(source: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every token an edit may change."""
    text = _masked(source)
    dates = [(m.start(), m.end()) for m in _DATE.finditer(text)]
    strings = [(m.start(), m.end()) for m in _STRING.finditer(text)]
    sites = []
    for kind, pattern in _SITES:
        for m in pattern.finditer(text):
            inside = strings if kind != "tekst" else []
            if any(a <= m.start() < b for a, b in dates + inside):
                continue
            sites.append((kind, m.start(), m.end()))
    return sites


def edited(source: str, kind: str, start: int, end: int, rng: random.Random) -> str:
    token = source[start:end]
    if kind == "tal":
        whole, _, frac = token.partition(".")
        new = f"{int(whole) + 1}" + (f".{frac}" if frac else "") if not frac or rng.random() < 0.5 else token[:-1] + str((int(token[-1]) + 1) % 10)
    elif kind == "sammenligning":
        new = _SWAPS[token]
    elif kind == "sandhed":
        new = "falsk" if token == "sand" else "sand"
    elif kind == "konnektiv":
        new = "eller" if token == "og" else "og"
    else:
        others = sorted({m.group() for m in _STRING.finditer(source)} - {token})
        new = rng.choice(others) if others else token
    return source[:start] + new + source[end:]


def scenarios(golden: Path) -> list[dict[str, Any]]:
    found = []
    for f in sorted(golden.rglob("*.json")):
        found += json.loads(f.read_text(encoding="utf-8"))["scenarios"]
    return found


def answers(policy_dir: Path, cases: list[dict[str, Any]]) -> list[Any]:
    policy = load_policy(policy_dir)
    out = []
    for case in cases:
        try:
            a = policy.decide(case["decision"], case.get("facts", {}), case["date"], explain=False)
            out.append((a.status, json.dumps(a.value, sort_keys=True), a.needs))
        except AlmenError as e:
            out.append(("fejl", type(e).__name__))
    return out


def copy_policy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


@pytest.mark.parametrize("which", sorted(POLICIES))
def test_every_answer_changing_edit_is_reported(which: str, tmp_path: Path) -> None:
    policy_dir, golden = POLICIES[which]
    cases = scenarios(golden)
    before = answers(policy_dir, cases)
    original = dsl.load(policy_dir)
    files = sorted(policy_dir.glob("*.almen"))
    sites = [(f, *s) for f in files for s in edit_sites(f.read_text(encoding="utf-8"))]
    rng = random.Random(f"almen-diff-{which}")  # the same draws on every run
    changed_answers = 0
    for i in range(EDITS_PER_POLICY[which]):
        f, kind, start, end = rng.choice(sites)
        copy = copy_policy(policy_dir, tmp_path / f"{which}-{i}")
        target = copy / f.name
        target.write_text(edited(f.read_text(encoding="utf-8"), kind, start, end, rng), encoding="utf-8")
        try:
            new_model = dsl.load(copy)
            after = answers(copy, cases)
        except PolicyError:
            continue  # the edit made no valid policy: nothing to compare
        if after == before:
            continue
        changed_answers += 1
        module = next(m for m in new_model.modules if Path(m.path).name == f.name)
        decl = next(d for d in module.decls if d.span.start <= start < d.span.end)
        key = key_of(decl)
        name = decl.name if key.kind == "politik" else key.name
        changes = diff(original, new_model)
        where = f"{f.name}:{start} {kind} {f.read_text(encoding='utf-8')[start:end]!r} in {key}"
        assert changes, f"answers changed but the diff reports nothing: {where}"
        assert any((c.kind, c.name) == (key.kind, name) for c in changes), (
            f"the diff does not name the edited element {key}: {where}; it reports {[(c.kind, c.name, c.part) for c in changes]}"
        )
    print(f"{which}: {changed_answers} of {EDITS_PER_POLICY[which]} edits changed an answer")
    assert changed_answers >= EDITS_PER_POLICY[which] // 6, f"only {changed_answers} edits changed an answer"


@pytest.mark.parametrize("which", sorted(POLICIES))
def test_layout_and_order_report_nothing(which: str, tmp_path: Path) -> None:
    policy_dir, _ = POLICIES[which]
    files = sorted(policy_dir.glob("*.almen"))
    copy = tmp_path / "omordnet"
    copy.mkdir()
    for i, f in enumerate(reversed(files)):  # the files in the opposite order …
        source = f.read_text(encoding="utf-8")
        module = dsl.parse(source, str(f))
        chunks = [source[d.span.start : d.span.end] for d in reversed(module.decls)]  # … and so their declarations
        (copy / f"{i:02d}_{f.name}").write_text(format_source("\n\n".join(chunks) + "\n", str(f)), encoding="utf-8")
    assert diff(dsl.load(policy_dir), dsl.load(copy)) == []


# The edits a new user found reported as "0 ændringer" before the diff was generic.
@pytest.mark.parametrize(
    ("old", "new", "part"),
    [
        ("  særlig_sikring: sandhed = falsk", "  særlig_sikring: sandhed = sand", "felt særlig_sikring, standardværdi"),
        ("  trin: heltal fra 1 til 4", "  trin: heltal fra 2 til 4", "felt trin"),
        ("  handicap_behov: sandhed = falsk", "  handicap_behov: sandhed = sand", "felt handicap_behov, standardværdi"),
    ],
)
def test_record_defaults_and_bounds_are_compared(old: str, new: str, part: str, tmp_path: Path) -> None:
    policy_dir, _ = POLICIES["koebenhavn"]
    copy = copy_policy(policy_dir, tmp_path / "kopi")
    facts = copy / "01_fakta.almen"
    source = facts.read_text(encoding="utf-8")
    assert source.count(old + "\n") == 1
    facts.write_text(source.replace(old + "\n", new + "\n"), encoding="utf-8")
    changes = diff(dsl.load(policy_dir), dsl.load(copy))
    assert [(c.kind, c.part, c.change) for c in changes] == [("post", part, "changed")]
    assert changes[0].old is not None and changes[0].new is not None
    assert changes[0].decisions  # a decision reads the record, so its answers can change
