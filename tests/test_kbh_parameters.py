"""Every number the Copenhagen agreement 2024-2027 negotiates is one named parameter (issue 12).

For each parameter, one edit of its value in a copy of the policy must make `almen diff`
report exactly one change: that parameter, with the old and the new value. A number written
as a literal in two places, or copied into a definition, would show as more than one change
or as a change of something else; a parameter removed from the policy fails the explicit list.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from almen import dsl
from almen.interpreter.tools.diff import diff

POLICY = Path(__file__).resolve().parent.parent / "policies" / "koebenhavn" / "2024-2027"

# The negotiated numbers, dates, shares and durations the policy names; a parameter that
# disappears (or is inlined again as a literal) must fail here, not pass silently.
EXPECTED = {
    # § 5.2.3, Bilag 4 IV.1: the ordinary criteria
    "samlivsperiode_A",
    "timer_fast_arbejde",
    "senioralder",
    "B_fortrinsperiode",
    "samlivsperiode_B",
    "C_andel_højst",
    # § 5.2.4, Figur 2, Bilag 4 IV.2: the strict criteria
    "beskæftigelse_alder_fra",
    "beskæftigelse_alder_til",
    "dømte_forudgående_år",
    "uddannelse_alder_fra",
    "uddannelse_alder_til",
    "indkomst_alder_fra",
    "indkomst_alder_til",
    "indkomstgrænse",
    # § 6, Figur 5, Bilag 15: designation thresholds, the risk zone, placement by SAF
    "udsat_ledighed",
    "udsat_dømte",
    "udsat_uddannelse",
    "udsat_indkomst",
    "forebyggelse_dømte",
    "risikozone_afstand",
    "risikozone_afstand_ledighed",
    "risikozone_personer",
    "kriterier_for_udpegning",
    "saf_beboergrænse",
    # § 6.2.1-6.2.2: exemption and the special safeguard
    "anvisning_højst",
    "særlig_sikring_mindst",
    # § 7.2, § 8.4, § 8.5: municipal assignment
    "anviste_pr_fælleskøkken",
    "indretning_efter",
    "indretning_beløb",
    "tilskud_pr_år",
    "tilskud_husleje_fra",
    "tilskud_husleje_til",
    "tilsagnsramme",
    "tilsagnsramme_udløber",
    "tilskud_fraflytning_periode",
    "flygtningedeleboliger_pr_år",
    "udslusningsboliger_pr_år",
    "ung_alder_fra",
    "ung_alder_til",
    # Bilag 5 and § 6.1.6
    "bilag5_løsladelse",
    "bilag5_husorden",
    "bilag5_overgangsydelse",
    "bilag5_kontanthjælp",
    "overgang_år_uden_udpegning",
    "overgang_senest",
    # § 11, Figur 11 og 12
    "nybyggeri_særlige_år",
    "nybyggeri_billige_anvisning",
    "figur_12_under_10",
    "figur_12_10_til_15",
    "figur_12_15_til_20",
    # Bilag 14
    "returfrist_hverdage",
    "tomgangsleje_højst",
    "kommunens_anvisningsfrist",
    "rettidige_dage",
    "indflytningsfrist",
    # § 19
    "opsigelse_tidligst",
    "opsigelsesvarsel",
}

MODEL = dsl.load(POLICY)


def test_every_expected_parameter_is_declared() -> None:
    assert set(MODEL.params) >= EXPECTED, sorted(EXPECTED - set(MODEL.params))


def test_no_parameter_is_left_out_of_the_list() -> None:
    # a new parameter is added to EXPECTED with its section, so the list stays the inventory
    assert set(MODEL.params) <= EXPECTED, sorted(set(MODEL.params) - EXPECTED)


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def edited(text: str) -> str:
    """Another value of the same type: a date a day later, else the last number plus one."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return (dt.date.fromisoformat(text) + dt.timedelta(days=1)).isoformat()
    last = list(_NUMBER.finditer(text))[-1]
    number = last.group()
    bumped = str(int(number) + 1) if "." not in number else f"{float(number) + 1:.{len(number.split('.')[1])}f}"
    return text[: last.start()] + bumped + text[last.end() :]


def test_edit_changes_the_value() -> None:
    assert edited("35000 kr") == "35001 kr"
    assert edited("2.18 %") == "3.18 %"
    assert edited("1 / 3") == "1 / 4"
    assert edited("[2, 16]") == "[2, 17]"
    assert edited("2019-07-01") == "2019-07-02"
    assert edited("6 måneder") == "7 måneder"


@pytest.mark.parametrize("name", sorted(MODEL.params))
def test_one_edit_is_one_change(name: str, tmp_path: Path) -> None:
    copy = tmp_path / "2024-2027"
    shutil.copytree(POLICY, copy)
    value = MODEL.params[name].values[-1].value
    source_file = Path(value.span.path)
    file = copy / source_file.name
    source = file.read_text(encoding="utf-8")
    old = source[value.span.start : value.span.end]
    new = edited(old)
    file.write_text(source[: value.span.start] + new + source[value.span.end :], encoding="utf-8")

    changes = diff(MODEL, dsl.load(copy))

    assert len(changes) == 1, [(c.kind, c.name, c.part) for c in changes]
    (change,) = changes
    assert (change.kind, change.name, change.change) == ("parameter", name, "changed")
    assert change.old is not None and old in change.old
    assert change.new is not None and new in change.new


@pytest.mark.parametrize("name", sorted(MODEL.params))
def test_every_parameter_is_read_by_a_decision(name: str) -> None:
    # a parameter nothing reads would change in the diff but in no answer
    assert any(name in MODEL.closure(d) for d in MODEL.decisions), name
