"""Køge's social housing strategy and Copenhagen's framework agreement, side by side.

Both policies load, follow up on their goals with `nøgletal = målopfyldelse()` on the example
facts, and keep their own identity; Køge's municipal assignment right and Copenhagen's letting
wheel give the shares their texts give.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from almen.interpreter import load_policy

ROOT = Path(__file__).resolve().parent.parent
KOEGE = ROOT / "policies" / "koege" / "2025"
KBH = ROOT / "policies" / "koebenhavn" / "2024-2027"
EXAMPLES = ROOT / "examples"

ON, OFF, UNDECIDED = "på sporet", "ikke på sporet", "uafklaret"

# The status of every goal on examples/<kommune>/nøgletal.json (see examples/README.md).
EXPECTED = {
    "koege": {
        "eksterne_botilbudspladser": ON,  # 168/240 = 7/10 < 3/4 (Tema 1: 3 ud af 4 i 2024)
        "tidssvarende_botilbud": ON,
        "midlertidige_botilbudspladser": OFF,
        "fra_botilbud_til_egen_bolig": ON,
        "skæve_boliger": ON,
        "boliger_til_unge": OFF,
        "afklarings_og_udslusningspladser": ON,
        "socialt_plejehjem": OFF,  # 0 = basislinjen 0 ('Et sådant tilbud har vi ikke i Køge Kommune')
        "anvisningsret_udnyttet": OFF,  # 176 / (880 × 1/4) = 4/5 < 1
        "udvalg_af_boligtyper": ON,
        "boligudsættelser": ON,
        "støtte_i_egen_bolig": ON,
        "udgifter_botilbud": ON,
        "udgifter_herberg": ON,
        "udgifter_krisecentre": OFF,
        "strategisk_samarbejde": ON,
        "fra_ung_til_voksen": OFF,
        "fællesskab_og_medansvar": ON,
    },
    "koebenhavn": {
        "afdelinger_på_statens_lister": ON,  # 1 + 35 < 1 + 38
        "boliger_på_statens_lister": ON,
        "udsatte_områder": OFF,  # 1 = 1: not a fall
        "forebyggelsesområder": ON,
        "afdelinger_trin_3_og_4": OFF,  # 20 + 17 = 21 + 16
        "boliger_trin_3_og_4": ON,  # 4010 + 3290 < 4202 + 3324
        "ventetid_gennemsnitlig": ON,  # 290 ≤ 302
        "ventetid_lav_betalingsevne": OFF,
        "anvendte_anvisningsboliger": ON,  # 792/1200 = 33/50 > 704/1100 = 16/25
        "anviste_husstande": ON,
        "gennemførte_udsættelser": ON,
        "varslede_udsættelser": OFF,
        "restanceunderretninger": ON,
        "billige_familieboliger": OFF,  # 1490 < 1554 (Bilag 15: under 3.500 kr. i 2022)
        "familieboliger_3500_til_5000_kr": ON,
        "billige_ungdomsboliger": ON,  # 2262 = 2262: 'må ikke falde'
    },
}

DATE = "2026-03-01"


@pytest.fixture(scope="module")
def policies():
    return {"koege": load_policy(KOEGE), "koebenhavn": load_policy(KBH)}


def _example(kommune: str) -> dict:
    return json.loads((EXAMPLES / kommune / "nøgletal.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("kommune", ["koege", "koebenhavn"])
def test_nøgletal_determined_with_expected_statuses(policies, kommune: str) -> None:
    answer = policies[kommune].decide("nøgletal", _example(kommune), DATE)
    assert answer.status == "determined"
    assert answer.needs == ()
    statuses = {goal["mål"]: goal["status"] for goal in answer.value}
    assert statuses == EXPECTED[kommune]
    for goal in answer.value:
        assert goal["mangler"] == []
        assert goal["kilde"]
        assert goal["tjener"]


def test_side_by_side_goal_reports_have_the_same_shape(policies) -> None:
    koege = policies["koege"].decide("nøgletal", _example("koege"), DATE).value
    kbh = policies["koebenhavn"].decide("nøgletal", _example("koebenhavn"), DATE).value
    assert {tuple(sorted(g)) for g in koege} == {tuple(sorted(g)) for g in kbh}
    by_name = {g["mål"]: g for g in koege + kbh}
    assert (by_name["eksterne_botilbudspladser"]["værdi"], by_name["eksterne_botilbudspladser"]["basislinje"]) == (
        "7/10",
        "3/4",
    )
    assert by_name["boliger_trin_3_og_4"]["basislinje"] == "7526"
    assert by_name["ventetid_gennemsnitlig"]["basislinje"] == "302"


@pytest.mark.parametrize(
    ("kommune", "fjern", "mål"),
    [
        ("koege", "boligudsættelser", "boligudsættelser"),
        ("koebenhavn", "boliger_trin_4", "boliger_trin_3_og_4"),
    ],
)
def test_a_missing_figure_leaves_only_its_goal_undetermined(policies, kommune: str, fjern: str, mål: str) -> None:
    facts = _example(kommune)
    del facts["nøgletalsdata"][fjern]
    answer = policies[kommune].decide("nøgletal", facts, DATE)
    assert answer.status == "determined"
    goals = {goal["mål"]: goal for goal in answer.value}
    assert goals[mål]["status"] == UNDECIDED
    assert goals[mål]["mangler"] == [f"nøgletalsdata.{fjern}"]
    others = {name: goal["status"] for name, goal in goals.items() if name != mål}
    assert others == {name: status for name, status in EXPECTED[kommune].items() if name != mål}


def test_koege_anvisningsret_is_one_in_four(policies) -> None:
    answer = policies["koege"].decide("anvisningsret", {}, DATE)
    assert answer.status == "determined"
    assert answer.value == "1/4"


def test_koebenhavn_andele_step_1_gives_four_ninths(policies) -> None:
    facts = {
        "afdeling": {
            "boligtype": "familie",
            "trappe": "afdelingstrappe",
            "trin": 1,
            "fleksible_kriterier": ["A"],
            "anviste_forrige_år": 3,
            "ledige_forrige_år": 12,
        }
    }
    answer = policies["koebenhavn"].decide("andele", facts, "2024-06-01")
    assert answer.status == "determined"
    assert answer.value["kommunal_anvisning"] == "4/9"


def test_policies_have_distinct_identities(policies) -> None:
    koege, kbh = policies["koege"], policies["koebenhavn"]
    assert (koege.id, koege.version) == ("koege", "2025")
    assert kbh.id == "koebenhavn"
    assert koege.id != kbh.id
    assert koege.sha256 != kbh.sha256
    assert len(koege.sha256) == len(kbh.sha256) == 64
    assert koege.stamp() != kbh.stamp()
    assert koege.decide("anvisningsret", {}, DATE).policy["sha256"] == koege.sha256
