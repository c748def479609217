"""The almen command: exit codes (0 ok, 1 findings, 2 usage or input errors) and what it prints."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from almen.interpreter.cli import main

HEADER = 'politik p {\n  version "1"\n  gyldig fra 2024-01-01 til 2027-12-31\n}\n'
BODY = """\
fakta alder: heltal
beslutning gruppe: tekst
  kilde "§ 1"
regel gruppe.voksen
  kilde "§ 1"
  hvis alder >= 18
  så "voksen"
regel gruppe.barn
  kilde "§ 2"
  hvis alder < 18
  så "barn"
"""


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    d = tmp_path / "politik"
    d.mkdir()
    (d / "00_aftale.almen").write_text(HEADER, encoding="utf-8")
    (d / "01_regler.almen").write_text(BODY, encoding="utf-8")
    return d


@pytest.fixture
def facts(tmp_path: Path) -> Path:
    f = tmp_path / "fakta.json"
    f.write_text('{"alder": 30}', encoding="utf-8")
    return f


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- check


def test_check_ok(capsys: pytest.CaptureFixture[str], policy_dir: Path) -> None:
    code, out, err = run(capsys, "check", str(policy_dir))
    assert code == 0
    assert out.strip() == "ok: 2 files, 1 decision, 2 rules, 0 tables, 0 wheels"
    assert err == ""


def test_check_ok_as_json(capsys: pytest.CaptureFixture[str], policy_dir: Path) -> None:
    code, out, _ = run(capsys, "check", str(policy_dir), "--format", "json")
    assert code == 0
    assert json.loads(out) == {"ok": True, "files": 2, "decisions": ["gruppe"], "rules": 2, "tables": 0, "wheels": 0}


def test_check_error_exits_1_and_shows_the_location(capsys: pytest.CaptureFixture[str], policy_dir: Path) -> None:
    (policy_dir / "01_regler.almen").write_text(BODY.replace("hvis alder >= 18", "hvis aldr >= 18"), encoding="utf-8")
    code, out, err = run(capsys, "check", str(policy_dir))
    assert code == 1
    path = policy_dir / "01_regler.almen"
    assert f"{path}:6:8: error: unknown name 'aldr'" in err
    assert "     6 |   hvis aldr >= 18" in err
    assert "hint: did you mean 'alder'?" in err
    assert out == ""


def test_check_error_as_json_lists_the_diagnostics(capsys: pytest.CaptureFixture[str], policy_dir: Path) -> None:
    (policy_dir / "01_regler.almen").write_text(BODY.replace("hvis alder >= 18", "hvis aldr >= 18"), encoding="utf-8")
    code, out, _ = run(capsys, "check", str(policy_dir), "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    assert data["errors"] == [
        {
            "path": str(policy_dir / "01_regler.almen"),
            "line": 6,
            "column": 8,
            "message": "unknown name 'aldr'",
            "hint": "did you mean 'alder'?",
        }
    ]


def test_check_syntax_error_exits_1(capsys: pytest.CaptureFixture[str], policy_dir: Path) -> None:
    (policy_dir / "01_regler.almen").write_text("fakta alder heltal\n", encoding="utf-8")
    code, _, err = run(capsys, "check", str(policy_dir))
    assert code == 1
    assert f'{policy_dir / "01_regler.almen"}:1:13: error: unexpected "heltal"' in err


def test_check_of_a_missing_policy_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "check", str(tmp_path / "findes_ikke"))
    assert code == 2
    assert "error: no policy at" in err


def test_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["tjek"])
    assert info.value.code == 2
    assert "almen: error:" in capsys.readouterr().err


# ---------------------------------------------------------------- decide


def test_decide_prints_the_reason(capsys: pytest.CaptureFixture[str], policy_dir: Path, facts: Path) -> None:
    code, out, _ = run(capsys, "decide", str(policy_dir), "gruppe", "--facts", str(facts), "--date", "2024-05-01")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "gruppe = voksen because gruppe.voksen (§ 1)"
    assert re.fullmatch(r"policy p 1 sha256 [0-9a-f]{12}…", lines[-1])


def test_decide_json_output(capsys: pytest.CaptureFixture[str], policy_dir: Path, facts: Path) -> None:
    code, out, _ = run(
        capsys, "decide", str(policy_dir), "gruppe", "--facts", str(facts), "--date", "2024-05-01", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert (data["status"], data["value"]) == ("determined", "voksen")
    assert (data["policy"]["id"], data["policy"]["version"]) == ("p", "1")
    assert re.fullmatch(r"[0-9a-f]{64}", data["policy"]["sha256"])
    assert data["reason"] == "gruppe = voksen because gruppe.voksen (§ 1)"
    assert "explanation" not in data  # --level reason is the default for decide


def test_decide_json_full_level_has_the_tree(capsys: pytest.CaptureFixture[str], policy_dir: Path, facts: Path) -> None:
    code, out, _ = run(
        capsys,
        "decide", str(policy_dir), "gruppe", "--facts", str(facts), "--date", "2024-05-01",
        "--format", "json", "--level", "full",
    )  # fmt: skip
    assert code == 0
    tree = json.loads(out)["explanation"]
    assert (tree["kind"], tree["rule"], tree["outcome"]) == ("beslutning", "gruppe", "voksen")


def test_decide_undetermined_lists_needs(capsys: pytest.CaptureFixture[str], policy_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "tom.json"
    empty.write_text("{}", encoding="utf-8")
    code, out, _ = run(
        capsys, "decide", str(policy_dir), "gruppe", "--facts", str(empty), "--date", "2024-05-01", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert (data["status"], data["value"], data["needs"]) == ("undetermined", None, ["alder"])
    code, out, _ = run(capsys, "decide", str(policy_dir), "gruppe", "--facts", str(empty), "--date", "2024-05-01")
    assert out.splitlines()[:2] == ["gruppe: undetermined", "needs: alder"]  # said once, not twice


def test_decide_with_a_missing_facts_file_exits_2(
    capsys: pytest.CaptureFixture[str], policy_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "findes_ikke.json"
    code, out, err = run(capsys, "decide", str(policy_dir), "gruppe", "--facts", str(missing), "--date", "2024-05-01")
    assert code == 2
    assert "findes_ikke.json" in err
    assert out == ""


def test_decide_with_a_bad_fact_exits_2(capsys: pytest.CaptureFixture[str], policy_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"alder": "tredive"}', encoding="utf-8")
    code, _, err = run(capsys, "decide", str(policy_dir), "gruppe", "--facts", str(bad), "--date", "2024-05-01")
    assert code == 2
    assert err.strip() == "error: fact 'alder': expected a number (heltal), got the text \"tredive\""


def test_decide_with_invalid_json_exits_2(capsys: pytest.CaptureFixture[str], policy_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"alder": ', encoding="utf-8")
    code, _, err = run(capsys, "decide", str(policy_dir), "gruppe", "--facts", str(bad), "--date", "2024-05-01")
    assert code == 2
    assert err.startswith("error: ")


def test_decide_date_outside_validity_exits_2(
    capsys: pytest.CaptureFixture[str], policy_dir: Path, facts: Path
) -> None:
    code, _, err = run(capsys, "decide", str(policy_dir), "gruppe", "--facts", str(facts), "--date", "2030-01-01")
    assert code == 2
    assert err.strip() == "error: --date 2030-01-01 is outside the policy's validity, 2024-01-01 – 2027-12-31"


def test_decide_unknown_decision_exits_2(capsys: pytest.CaptureFixture[str], policy_dir: Path, facts: Path) -> None:
    code, _, err = run(capsys, "decide", str(policy_dir), "grupe", "--facts", str(facts), "--date", "2024-05-01")
    assert code == 2
    assert "policy 'p' has no decision 'grupe'; did you mean 'gruppe'?" in err


def test_decide_on_a_broken_policy_exits_1(capsys: pytest.CaptureFixture[str], policy_dir: Path, facts: Path) -> None:
    (policy_dir / "01_regler.almen").write_text(BODY + "definition x = 1\n", encoding="utf-8")
    code, _, err = run(capsys, "decide", str(policy_dir), "gruppe", "--facts", str(facts), "--date", "2024-05-01")
    assert code == 1
    assert f"{policy_dir / '01_regler.almen'}:12:1: error: definition 'x' cites no source" in err


def test_decide_no_rule_applies_exits_1_with_location(
    capsys: pytest.CaptureFixture[str], policy_dir: Path, facts: Path
) -> None:
    (policy_dir / "01_regler.almen").write_text(BODY.replace("alder < 18", "alder < 10"), encoding="utf-8")
    facts.write_text('{"alder": 12}', encoding="utf-8")
    code, _, err = run(capsys, "decide", str(policy_dir), "gruppe", "--facts", str(facts), "--date", "2024-05-01")
    assert code == 1
    assert f"{policy_dir / '01_regler.almen'}:2:1: error: no rule of 'gruppe' applies to these facts" in err


def test_explain_prints_the_tree(capsys: pytest.CaptureFixture[str], policy_dir: Path, facts: Path) -> None:
    args = ["explain", str(policy_dir), "gruppe", "--facts", str(facts), "--date", "2024-05-01", "--lang", "da"]
    code, out, _ = run(capsys, *args)
    assert code == 0
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert any(line.endswith("beslutning gruppe = voksen [§ 1]") for line in lines)
    assert any(line.endswith("regel gruppe.voksen = voksen [§ 1]") for line in lines)
    assert any(line.endswith("betingelse gruppe.barn: alder < 18 = falsk [§ 2]") for line in lines)


# ---------------------------------------------------------------- fmt


def test_fmt_check_on_an_unformatted_copy_exits_1(capsys: pytest.CaptureFixture[str], policy_dir: Path) -> None:
    messy = policy_dir / "01_regler.almen"
    messy.write_text(BODY.replace("fakta alder: heltal", "fakta   alder :heltal"), encoding="utf-8")
    code, out, _ = run(capsys, "fmt", str(policy_dir), "--check")
    assert code == 1
    assert out.strip() == f"would reformat {messy}"
    assert messy.read_text(encoding="utf-8").startswith("fakta   alder :heltal")  # --check never writes


def test_fmt_rewrites_then_check_passes(capsys: pytest.CaptureFixture[str], policy_dir: Path) -> None:
    messy = policy_dir / "01_regler.almen"
    messy.write_text(BODY.replace("fakta alder: heltal", "fakta   alder :heltal"), encoding="utf-8")
    code, out, _ = run(capsys, "fmt", str(policy_dir))
    assert (code, out.strip()) == (0, "reformatted 1 of 2 files")
    assert messy.read_text(encoding="utf-8").startswith("fakta alder: heltal\n")
    code, out, _ = run(capsys, "fmt", str(policy_dir), "--check")
    assert (code, out.strip()) == (0, "all 2 files already formatted")


def test_fmt_of_a_file_that_does_not_parse_exits_1(capsys: pytest.CaptureFixture[str], policy_dir: Path) -> None:
    (policy_dir / "01_regler.almen").write_text("fakta alder heltal\n", encoding="utf-8")
    code, _, err = run(capsys, "fmt", str(policy_dir), "--check")
    assert code == 1
    assert ":1:13: error: unexpected" in err


# ---------------------------------------------------------------- test (golden scenarios)


def golden_file(tmp_path: Path, policy_dir: Path, scenarios: list[dict]) -> Path:
    g = tmp_path / "golden"
    g.mkdir(exist_ok=True)
    f = g / "gruppe.json"
    f.write_text(json.dumps({"policy": f"../{policy_dir.name}", "scenarios": scenarios}), encoding="utf-8")
    return f


SCENARIOS = [
    {
        "name": "voksen",
        "decision": "gruppe",
        "date": "2024-05-01",
        "facts": {"alder": 30},
        "expect": {"status": "determined", "value": "voksen"},
    },
    {
        "name": "barn",
        "decision": "gruppe",
        "date": "2024-05-01",
        "facts": {"alder": 7},
        "expect": {"status": "determined", "value": "barn"},
    },
    {
        "name": "ukendt alder",
        "decision": "gruppe",
        "date": "2024-05-01",
        "facts": {},
        "expect": {"status": "undetermined", "needs": ["alder"]},
    },
]


def test_golden_scenarios_pass_and_report_coverage(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, policy_dir: Path
) -> None:
    f = golden_file(tmp_path, policy_dir, SCENARIOS)
    code, out, _ = run(capsys, "test", str(f))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "3 passed, 0 failed"
    assert re.fullmatch(r"rule coverage .*politik: 3/3 \(100\.0 %\)", lines[1])


def test_golden_directory_is_searched_for_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, policy_dir: Path
) -> None:
    f = golden_file(tmp_path, policy_dir, SCENARIOS[:1])
    code, out, _ = run(capsys, "test", str(f.parent))
    assert code == 0
    assert out.splitlines()[0] == "1 passed, 0 failed"


def test_golden_failure_exits_1_and_says_why(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, policy_dir: Path
) -> None:
    wrong = dict(SCENARIOS[0], expect={"status": "determined", "value": "barn"})
    f = golden_file(tmp_path, policy_dir, [wrong, SCENARIOS[1]])
    code, out, _ = run(capsys, "test", str(f))
    assert code == 1
    assert f"FAIL {f}: voksen" in out
    assert 'value "voksen", expected "barn"' in out
    assert "1 passed, 1 failed" in out


def test_golden_min_coverage(capsys: pytest.CaptureFixture[str], tmp_path: Path, policy_dir: Path) -> None:
    (policy_dir / "02_ubrugt.almen").write_text('definition ubrugt = 1\n  kilde "§ 3"\n', encoding="utf-8")
    f = golden_file(tmp_path, policy_dir, SCENARIOS)
    code, out, _ = run(capsys, "test", str(f), "--min-coverage", "100")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "3 passed, 0 failed"
    assert re.fullmatch(r"rule coverage .*politik: 3/4 \(75\.0 %\)", lines[1])
    assert lines[2] == "  not covered: ubrugt"
    code, _, _ = run(capsys, "test", str(f), "--min-coverage", "75")
    assert code == 0
