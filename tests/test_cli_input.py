"""Bad input through the command line: a clear message and exit code 2, never a traceback, never
unbounded work; output that shows values as they are; decision logs whose records are whole."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from almen.interpreter import cli

ROOT = Path(__file__).resolve().parent.parent
KBH = str(ROOT / "policies" / "koebenhavn" / "2024-2027")
FACTS = {
    "afdeling": {
        "udpegning": "ingen",
        "ledighed": 41.2,
        "dømte": 2.1,
        "uddannelse": 58.0,
        "indkomst": 60.3,
        "anviste_andel": 22.5,
    }
}
DATE = "2024-03-01"


def _decide(capsys: pytest.CaptureFixture[str], facts: str, *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["decide", KBH, "trappe", "--facts", facts, "--date", DATE, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "facts.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_facts_nested_too_deep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _decide(capsys, _write(tmp_path, "[" * 1000 + "]" * 1000))
    assert code == 2
    assert "nested at most 64 levels deep" in err and "Traceback" not in err


def test_an_integer_of_thousands_of_digits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _decide(capsys, _write(tmp_path, '{"afdeling": {"trin": ' + "9" * 4301 + "}}"))
    assert code == 2
    assert "fact 'afdeling.trin'" in err and "4301 digits" in err


def test_a_lone_surrogate_is_refused_and_no_log_is_left(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "log.jsonl"
    code, _, err = _decide(capsys, _write(tmp_path, '{"afdeling": {"udpegning": "\\ud800"}}'), "--log", str(log))
    assert code == 2
    assert "fact 'afdeling.udpegning'" in err and "valid Unicode" in err
    assert not log.exists()


def test_duplicate_keys_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = '{"afdeling": {"udpegning": "ingen", "udpegning": "forebyggelsesområde"}}'
    code, _, err = _decide(capsys, _write(tmp_path, text))
    assert code == 2
    assert "fact 'afdeling.udpegning'" in err and "given twice" in err


def test_a_facts_file_that_is_no_regular_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _decide(capsys, "/dev/zero")
    assert code == 2
    assert "/dev/zero" in err and "not a regular file" in err


def test_a_fifo_does_not_block(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, _, err = _decide(capsys, str(fifo))
    assert code == 2 and "not a regular file" in err


def test_a_facts_file_over_the_size_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.json"
    path.write_text('{"x": "' + "a" * (10 * 2**20) + '"}', encoding="utf-8")
    code, _, err = _decide(capsys, str(path))
    assert code == 2 and "facts of at most 10 MiB" in err


def test_a_missing_facts_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _decide(capsys, str(tmp_path / "none.json"))
    assert code == 2
    assert "none.json" in err and "Errno" not in err


def test_values_are_shown_as_they_are(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a text that rich would read as an emoji code, and an escape sequence in a key
    code, out, err = _decide(capsys, _write(tmp_path, '{"sag:x:42\\u001b[31m": 1}'))
    assert code == 2
    assert "sag:x:42" in err and "\x1b" not in err and "\\x1b" in err


def test_an_answer_in_json_keeps_its_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _decide(capsys, _write(tmp_path, json.dumps(FACTS)), "--format", "json")
    assert code == 0
    assert json.loads(out)["value"] == {"trappe": "afdelingstrappe", "trin": 2}


def _run(*argv: str, env: dict[str, str] | None = None, stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "almen.interpreter.cli", *argv],
        stdout=stdout,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_a_terminal_that_is_not_utf8(tmp_path: Path) -> None:
    facts = _write(tmp_path, json.dumps(FACTS))
    done = _run("explain", KBH, "trappe", "--facts", facts, "--date", DATE, env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"afdelingstrappe" in done.stdout


def test_a_closed_pipe(tmp_path: Path) -> None:
    facts = _write(tmp_path, json.dumps(FACTS))
    reader, writer = os.pipe()
    os.close(reader)  # the reader went away, as `| head -1` does
    done = _run("explain", KBH, "trappe", "--facts", facts, "--date", DATE, stdout=writer)
    os.close(writer)
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
    assert b"output closed" in done.stderr


# ---------------------------------------------------------------- decision logs


def test_the_log_hashes_facts_with_a_key_of_its_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import hashlib
    import hmac
    import stat

    facts, log = _write(tmp_path, json.dumps(FACTS)), tmp_path / "beslutninger.jsonl"
    assert _decide(capsys, facts, "--log", str(log))[0] == 0
    assert _decide(capsys, facts, "--log", str(log))[0] == 0
    first, second = (json.loads(line) for line in log.read_text(encoding="utf-8").splitlines())
    key = (tmp_path / "beslutninger.jsonl.key").read_bytes()
    assert stat.S_IMODE((tmp_path / "beslutninger.jsonl.key").stat().st_mode) == 0o600
    # the canonical form: keys sorted, UTF-8, each decimal as the text it was written as
    exact = json.loads(json.dumps(FACTS), parse_float=Decimal)
    canonical = json.dumps(exact, sort_keys=True, ensure_ascii=False, default=str).encode()
    assert "facts_sha256" not in first and "facts" not in first
    assert first["facts_hmac"] == hmac.new(key, canonical, hashlib.sha256).hexdigest()
    assert first["facts_hmac"] == second["facts_hmac"]  # one key per log: records compare
    assert first["value"] == {"trappe": "afdelingstrappe", "trin": 2}


def test_a_key_others_can_read_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts, log = _write(tmp_path, json.dumps(FACTS)), tmp_path / "log.jsonl"
    key = tmp_path / "log.jsonl.key"
    key.write_text("hemmelig", encoding="utf-8")
    key.chmod(0o644)
    code, _, err = _decide(capsys, facts, "--log", str(log))
    assert code == 2 and "chmod 600" in err
    assert not log.exists()


def test_a_torn_record_is_closed_before_the_next(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts, log = _write(tmp_path, json.dumps(FACTS)), tmp_path / "log.jsonl"
    log.write_text('{"id": "1"}\n{"id": "2", "deci', encoding="utf-8")  # a crash mid-write
    assert _decide(capsys, facts, "--log", str(log))[0] == 0
    lines = log.read_text(encoding="utf-8").split("\n")
    assert lines[:2] == ['{"id": "1"}', '{"id": "2", "deci'] and lines[-1] == ""
    assert json.loads(lines[2])["decision"] == "trappe"


def test_concurrent_writers_lose_no_record(tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    log = tmp_path / "log.jsonl"
    with ProcessPoolExecutor(4) as pool:
        list(pool.map(_append_many, [str(log)] * 4, range(4)))
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 * 50
    assert len({json.loads(line)["id"] for line in lines}) == 200


def _append_many(path: str, writer: int) -> None:
    from almen.interpreter import log

    for i in range(50):
        log.append(path, {"id": f"{writer}-{i}", "value": "x" * 5000})


def test_a_fact_error_under_redact_names_no_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = _write(tmp_path, '{"afdeling": {"udpegning": "010170-1234"}}')
    code, out, err = _decide(capsys, facts, "--redact")
    assert code == 2
    assert "fact 'afdeling.udpegning': expected one of" in err
    assert "010170" not in err + out
    code, _, err = _decide(capsys, facts)
    assert "010170-1234" in err  # without --redact the value helps the sender find the mistake


# ---------------------------------------------------------------- redaction


def _ranking_facts() -> dict:
    golden = json.loads((ROOT / "tests" / "golden" / "koebenhavn" / "rækkefølge.json").read_text(encoding="utf-8"))
    facts = json.loads(json.dumps(golden["scenarios"][0]["facts"]))
    for i, applicant in enumerate(facts["ansøgere"]):
        applicant["id"] = f"0101{i}0-77{i}1"  # like a CPR number
        applicant["husstand"]["ansøger"]["alder"] = 51 + i
        applicant["husstand"]["ansøger"]["bruttoindkomst_pr_måned"] = 31234 + i
    return facts


PERSONAL = ["0101", "-77", "31234", "31235", "2015-01-01", "2010-05-01", "51", "52", "53"]


@pytest.mark.parametrize("level", ["reason", "failed", "full"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_redact_shows_no_personal_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], level: str, fmt: str
) -> None:
    facts, log = _write(tmp_path, json.dumps(_ranking_facts())), tmp_path / "log.jsonl"
    capsys.readouterr()
    args = ["explain", KBH, "rækkefølge", "--facts", facts, "--date", "2024-06-01", "--level", level]
    code = cli.main([*args, "--format", fmt, "--redact", "--log", str(log)])
    record = json.loads(log.read_text(encoding="utf-8"))
    for key in ("id", "time", "facts_hmac", "policy"):  # random or hexadecimal: digits by chance
        record.pop(key)
    out = capsys.readouterr().out + json.dumps(record, ensure_ascii=False)
    out = re.sub(r"\.almen:\d+|sha256\W+\w+", "", out)  # source lines and the policy's hash
    assert code == 0
    assert "[skjult]" in out
    assert [p for p in PERSONAL if p in out] == []


def test_without_redact_the_ranking_names_the_applicants(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _decide(capsys, _write(tmp_path, json.dumps(_ranking_facts())), "--format", "json")
    capsys.readouterr()
    cli.main(["decide", KBH, "rækkefølge", "--facts", str(tmp_path / "facts.json"), "--date", "2024-06-01"])
    assert "010100-7701" in capsys.readouterr().out  # the test above would catch a leak, not a blank


def test_fmt_does_not_write_through_a_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "andetsteds.almen"
    outside.write_text('beslutning x   =   1\n  kilde "§ 1"\n', encoding="utf-8")
    policy = tmp_path / "samling" / "p"
    policy.mkdir(parents=True)
    (policy / "a.almen").symlink_to(outside)
    before = outside.read_text(encoding="utf-8")
    code = cli.main(["fmt", str(policy)])
    assert code == 2 and "is a link" in capsys.readouterr().err
    assert outside.read_text(encoding="utf-8") == before
