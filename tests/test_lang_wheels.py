"""Letting wheels: slots by vacancy number, 'på skift', fallback chains, conditional lettings,
payloads, slot exceptions, exact shares and periods chosen by date."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from almen.interpreter import ConflictingRules, EvaluationError, load_policy
from almen.interpreter.api import Policy

HEADER = 'politik p {\n  version "1"\n  gyldig fra 2024-01-01 til 2027-12-31\n}\n'
P1 = "2024-05-01"  # in period "2024"
P2 = "2026-05-01"  # in period "2026"

WHEEL = """
valg U { venteliste, fleksibel, kommunal, genhusning }
post Afd {
  ledig_nr: heltal fra 1
  kriterier: liste af tekst
  sikring: sandhed = falsk
  indrettet: sandhed = falsk
  a_valgt: sandhed
}
fakta afd: Afd
hjul h "Udlejningshjul" {
  kilde "Bilag 4"
  typer U
  periode "2024" fra 2024-01-01 til 2025-12-31 {
    1: fleksibel med ["A1", "A2"] -> venteliste
    2: venteliste
    3: kommunal -> venteliste
    4: hvis afd.a_valgt så fleksibel med ["A3"] ellers venteliste
    5: venteliste
    6: på skift(kommunal, fleksibel -> venteliste)
    7: fleksibel med afd.kriterier
    8: kommunal
    9: genhusning -> kommunal -> venteliste
  }
  periode "2026" fra 2026-01-01 til 2027-06-30 {
    1: venteliste
    2: venteliste
    3: venteliste
    4: venteliste
    5: venteliste
    6: venteliste
    7: venteliste
    8: venteliste
    9: kommunal
  }
}
undtagelse sikring til hjul h periode "2024" plads 2
  kilde "§ 6.2.1"
  hvis afd.sikring
  så kommunal
undtagelse indrettet til hjul h plads 2
  kilde "§ 8.4"
  hvis afd.indrettet
  så kommunal -> venteliste
beslutning næste = plads(h, afd.ledig_nr)
  kilde "Bilag 4"
beslutning fordeling = andele(h)
  kilde "Bilag 4"
beslutning nul = plads(h, 0)
  kilde "Bilag 4"
"""

# slot → (type, fallback, kriterier) in period "2024" with A chosen, on turn 0
SLOTS_2024 = {
    1: ("fleksibel", ["venteliste"], ["A1", "A2"]),
    2: ("venteliste", [], []),
    3: ("kommunal", ["venteliste"], []),
    4: ("fleksibel", [], ["A3"]),
    5: ("venteliste", [], []),
    6: ("kommunal", [], []),
    7: ("fleksibel", [], ["B1"]),
    8: ("kommunal", [], []),
    9: ("genhusning", ["kommunal", "venteliste"], []),
}
SKIFT_ODD_TURN = ("fleksibel", ["venteliste"], [])  # slot 6 on turns 1, 3, …


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    d = tmp_path_factory.mktemp("hjul")
    (d / "00_aftale.almen").write_text(HEADER, encoding="utf-8")
    (d / "01_hjul.almen").write_text(textwrap.dedent(WHEEL).lstrip("\n"), encoding="utf-8")
    return load_policy(d)


def afd(**fields: object) -> dict:
    return {"afd": {"a_valgt": True, "kriterier": ["B1"], **fields}}


def place(p: Policy, nr: int, date: str = P1, **fields: object) -> dict:
    a = p.decide("næste", afd(ledig_nr=nr, **fields), date)
    assert a.status == "determined", a.needs
    return a.value


@pytest.mark.parametrize("nr", range(1, 21))
def test_vacancy_n_falls_in_slot_n_minus_1_mod_9_plus_1(wheel: Policy, nr: int) -> None:
    slot = (nr - 1) % 9 + 1
    turn = (nr - 1) // 9
    expected = SKIFT_ODD_TURN if slot == 6 and turn % 2 == 1 else SLOTS_2024[slot]
    value = place(wheel, nr)
    assert value == {
        "plads": slot,
        "periode": "2024",
        "type": expected[0],
        "fallback": expected[1],
        "kriterier": expected[2],
    }


@pytest.mark.parametrize(("nr", "first"), [(6, True), (15, False), (24, True), (33, False), (42, True)])
def test_paa_skift_alternates_on_successive_turns(wheel: Policy, nr: int, first: bool) -> None:
    value = place(wheel, nr)
    assert value["plads"] == 6
    assert (value["type"], value["fallback"]) == (("kommunal", []) if first else ("fleksibel", ["venteliste"]))


def test_fallback_chain_lists_the_types_in_order(wheel: Policy) -> None:
    value = place(wheel, 9)
    assert (value["type"], value["fallback"]) == ("genhusning", ["kommunal", "venteliste"])


def test_conditional_letting_follows_its_condition(wheel: Policy) -> None:
    assert place(wheel, 4, a_valgt=True)["type"] == "fleksibel"
    assert place(wheel, 4, a_valgt=False) == {
        "plads": 4,
        "periode": "2024",
        "type": "venteliste",
        "fallback": [],
        "kriterier": [],
    }


def test_conditional_letting_with_a_missing_fact_is_undetermined(wheel: Policy) -> None:
    a = wheel.decide("næste", {"afd": {"ledig_nr": 4}}, P1)
    assert (a.status, a.needs) == ("undetermined", ("afd.a_valgt",))


def test_slots_that_do_not_depend_on_a_fact_do_not_ask_for_it(wheel: Policy) -> None:
    a = wheel.decide("næste", {"afd": {"ledig_nr": 5}}, P1)
    assert (a.status, a.value["type"]) == ("determined", "venteliste")


def test_payload_can_come_from_the_facts(wheel: Policy) -> None:
    assert place(wheel, 7, kriterier=["B1", "B3"])["kriterier"] == ["B1", "B3"]


def test_vacancy_number_below_one_is_an_error(wheel: Policy) -> None:
    with pytest.raises(EvaluationError) as info:
        wheel.decide("nul", {}, P1)
    assert info.value.message == "vacancy number 0 is not 1 or more"


# ---------------------------------------------------------------- slot exceptions


def test_slot_exception_replaces_the_slot_when_its_condition_holds(wheel: Policy) -> None:
    assert place(wheel, 2, sikring=True)["type"] == "kommunal"
    assert place(wheel, 11, sikring=True)["type"] == "kommunal"
    assert place(wheel, 2, sikring=False)["type"] == "venteliste"


def test_slot_exception_brings_its_own_fallback(wheel: Policy) -> None:
    value = place(wheel, 2, indrettet=True)
    assert (value["plads"], value["type"], value["fallback"]) == (2, "kommunal", ["venteliste"])


def test_slot_exception_for_one_period_does_not_apply_in_another(wheel: Policy) -> None:
    assert place(wheel, 2, P2, sikring=True)["type"] == "venteliste"
    assert place(wheel, 2, P2, indrettet=True)["type"] == "kommunal"


def test_two_applicable_slot_exceptions_conflict(wheel: Policy) -> None:
    with pytest.raises(ConflictingRules) as info:
        wheel.decide("næste", afd(ledig_nr=2, sikring=True, indrettet=True), P1)
    e = info.value
    assert e.message == "conflicting rules apply to slot 2 of wheel 'h': 'h.sikring' and 'h.indrettet'"
    assert (Path(e.path).name, e.line, e.column) == ("01_hjul.almen", 36, 1)
    ((span, note, _),) = e.diagnostics[0].related
    assert (span.line, note) == (40, "'h.indrettet' also applies")


@pytest.mark.usefixtures("danish")
def test_applying_exception_appears_in_the_explanation(wheel: Policy) -> None:
    text = wheel.decide("næste", afd(ledig_nr=2, sikring=True), P1).explain("full")
    assert "undtagelse h.sikring = sand  [§ 6.2.1]" in text
    assert "plads h: periode 2024, plads 2, tur 1 = kommunal  [Bilag 4]" in text


# ---------------------------------------------------------------- shares


def test_shares_are_exact_and_paa_skift_counts_half_a_slot_each(wheel: Policy) -> None:
    a = wheel.decide("fordeling", afd(), P1)
    # venteliste: 2, 5 → 2/9; fleksibel: 1, 4, 7 → 3/9 + 1/18; kommunal: 3, 8 → 2/9 + 1/18; genhusning: 9 → 1/9
    assert a.value == {"venteliste": "2/9", "fleksibel": "7/18", "kommunal": "5/18", "genhusning": "1/9"}


def test_shares_follow_conditional_lettings(wheel: Policy) -> None:
    value = wheel.decide("fordeling", afd(a_valgt=False), P1).value
    assert value == {"venteliste": "1/3", "fleksibel": "5/18", "kommunal": "5/18", "genhusning": "1/9"}


def test_shares_follow_an_applying_slot_exception(wheel: Policy) -> None:
    value = wheel.decide("fordeling", afd(sikring=True), P1).value
    assert value == {"venteliste": "1/9", "fleksibel": "7/18", "kommunal": "7/18", "genhusning": "1/9"}


def test_shares_sum_to_one(wheel: Policy) -> None:
    from fractions import Fraction

    raw = wheel.decide("fordeling", afd(), P1).raw
    assert sum(raw.values()) == Fraction(1)


def test_shares_need_the_facts_their_conditions_read(wheel: Policy) -> None:
    a = wheel.decide("fordeling", {"afd": {}}, P1)
    assert (a.status, a.needs) == ("undetermined", ("afd.a_valgt",))


def test_shares_list_members_that_get_nothing_as_zero(wheel: Policy) -> None:
    value = wheel.decide("fordeling", {"afd": {}}, P2).value
    assert value == {"venteliste": "8/9", "fleksibel": "0", "kommunal": "1/9", "genhusning": "0"}


# ---------------------------------------------------------------- periods by date


def test_last_day_of_period_one_and_first_day_of_period_two(wheel: Policy) -> None:
    assert place(wheel, 1, "2025-12-31")["periode"] == "2024"
    assert place(wheel, 1, "2026-01-01")["periode"] == "2026"
    assert place(wheel, 9, "2025-12-31")["type"] == "genhusning"
    assert place(wheel, 9, "2026-01-01")["type"] == "kommunal"


def test_no_period_on_the_date_is_an_evaluation_error(wheel: Policy) -> None:
    with pytest.raises(EvaluationError) as info:
        wheel.decide("næste", afd(ledig_nr=1), "2027-07-01")
    e = info.value
    assert e.message == (
        "wheel 'h' has no period on 2027-07-01 (it covers 2024-01-01–2025-12-31, 2026-01-01–2027-06-30)"
    )
    assert (Path(e.path).name, e.line, e.column) == ("01_hjul.almen", 10, 1)
    assert '    10 | hjul h "Udlejningshjul" {' in str(e)
