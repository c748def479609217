"""Evaluation: exact numbers, default logic, missing facts and Kleene logic, quantifiers, record
defaults, fact errors, dated parameters, schedules, explanations and the answer's JSON form."""

from __future__ import annotations

import re
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from almen.interpreter import (
    ConflictingRules,
    EvaluationError,
    FactError,
    NoRuleApplies,
    UnknownDecision,
    load_policy,
)
from almen.interpreter.api import Policy

HEADER = 'politik p {\n  version "1"\n  gyldig fra 2024-01-01 til 2027-12-31\n}\n'
DATE = "2024-05-01"


def write_policy(tmp_path: Path, *bodies: str) -> Path:
    d = tmp_path / "politik"
    d.mkdir(parents=True)
    (d / "00_aftale.almen").write_text(HEADER, encoding="utf-8")
    for i, body in enumerate(bodies, 1):
        (d / f"{i:02d}.almen").write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return d


def policy(tmp_path: Path, *bodies: str) -> Policy:
    return load_policy(write_policy(tmp_path, *bodies))


# ---------------------------------------------------------------- exact arithmetic

ARITHMETIC = """
fakta indkomst: kr
beslutning andel: brøk = 1/9 + 1/18
  kilde "Bilag 4"
beslutning beløb: kr = 22904.30 kr
  kilde "§ 1"
beslutning husleje: kr = 55 % * indkomst
  kilde "§ 1"
beslutning husleje_omvendt: kr = indkomst * 55 %
  kilde "§ 1"
beslutning tredjedel: kr = 100 kr / 3
  kilde "§ 1"
beslutning procentsum: procent = 10 % + 2.5 %
  kilde "§ 1"
beslutning dobbelt: procent = 2 * 25 %
  kilde "§ 1"
beslutning deling: kr = indkomst / 0
  kilde "§ 1"
"""


@pytest.fixture
def arithmetic(tmp_path: Path) -> Policy:
    return policy(tmp_path, ARITHMETIC)


def test_fractions_are_exact(arithmetic: Policy) -> None:
    a = arithmetic.decide("andel", {}, DATE)
    assert (a.status, a.value, a.raw) == ("determined", "1/6", Fraction(1, 6))


def test_money_literal_keeps_its_oere(arithmetic: Policy) -> None:
    assert arithmetic.decide("beløb", {}, DATE).value == "22904.30"


def test_percent_of_an_amount(arithmetic: Policy) -> None:
    assert arithmetic.decide("husleje", {"indkomst": "41644"}, DATE).value == "22904.20"
    assert arithmetic.decide("husleje_omvendt", {"indkomst": 41644}, DATE).value == "22904.20"


def test_money_is_shown_to_the_oere_but_kept_exact(arithmetic: Policy) -> None:
    a = arithmetic.decide("tredjedel", {}, DATE)
    assert (a.value, a.raw) == ("33.33", Fraction(100, 3))


def test_percent_points_add(arithmetic: Policy) -> None:
    assert arithmetic.decide("procentsum", {}, DATE).value == "12.5"


def test_number_times_percent_is_a_percentage(arithmetic: Policy) -> None:
    assert arithmetic.decide("dobbelt", {}, DATE).value == "50"


def test_division_by_zero_points_at_the_division(arithmetic: Policy) -> None:
    with pytest.raises(EvaluationError) as info:
        arithmetic.decide("deling", {"indkomst": 1}, DATE)
    e = info.value
    assert (Path(e.path).name, e.line, e.column) == ("01.almen", 16, 25)
    assert e.message == "division by zero"
    assert "    16 | beslutning deling: kr = indkomst / 0" in str(e)


def test_float_facts_are_read_as_the_decimal_written(arithmetic: Policy) -> None:
    assert arithmetic.decide("husleje", {"indkomst": 0.1}, DATE).raw == Fraction(11, 200)


# ---------------------------------------------------------------- default logic

TILSKUD = """
fakta alder: heltal
fakta handicap: sandhed
fakta barn: sandhed
beslutning tilskud: kr
  kilde "§ 1"
regel tilskud.grund
  kilde "§ 1"
  hvis alder >= 18
  så 1000 kr
regel tilskud.handicap undtagelse til grund
  kilde "§ 2"
  hvis handicap
  så 2000 kr
regel tilskud.barn undtagelse til grund
  kilde "§ 3"
  hvis barn
  så 3000 kr
"""


@pytest.fixture
def tilskud(tmp_path: Path) -> Policy:
    return policy(tmp_path, TILSKUD)


def test_rule_applies_when_no_exception_does(tilskud: Policy) -> None:
    a = tilskud.decide("tilskud", {"alder": 30, "handicap": False, "barn": False}, DATE)
    assert (a.status, a.value) == ("determined", "1000.00")


def test_exception_overrides_its_rule(tilskud: Policy) -> None:
    a = tilskud.decide("tilskud", {"alder": 30, "handicap": True, "barn": False}, DATE)
    assert a.value == "2000.00"


def test_two_applicable_exceptions_conflict_naming_both(tilskud: Policy) -> None:
    with pytest.raises(ConflictingRules) as info:
        tilskud.decide("tilskud", {"alder": 30, "handicap": True, "barn": True}, DATE)
    e = info.value
    assert e.message == "conflicting rules apply to 'tilskud': 'tilskud.handicap' and 'tilskud.barn'"
    assert (Path(e.path).name, e.line, e.column) == ("01.almen", 10, 1)
    ((span, note, _),) = e.diagnostics[0].related
    assert (span.line, note) == (14, "'tilskud.barn' also applies")
    assert "    10 | regel tilskud.handicap undtagelse til grund" in str(e)


def test_no_rule_applies_points_at_the_decision(tilskud: Policy) -> None:
    with pytest.raises(NoRuleApplies) as info:
        tilskud.decide("tilskud", {"alder": 10, "handicap": False, "barn": False}, DATE)
    e = info.value
    assert (Path(e.path).name, e.line, e.column) == ("01.almen", 4, 1)
    assert e.message == "no rule of 'tilskud' applies to these facts"
    ((span, note, _),) = e.diagnostics[0].related
    assert (span.line, note) == (6, "'tilskud.grund' does not apply")
    assert "     4 | beslutning tilskud: kr" in str(e)


def test_undecided_exception_leaves_the_answer_undetermined(tilskud: Policy) -> None:
    a = tilskud.decide("tilskud", {"alder": 30, "handicap": False}, DATE)
    assert (a.status, a.value, a.needs) == ("undetermined", None, ("barn",))
    a = tilskud.decide("tilskud", {"alder": 30}, DATE)
    assert (a.status, a.needs) == ("undetermined", ("barn", "handicap"))


def test_exceptions_are_only_consulted_where_their_rule_applies(tilskud: Policy) -> None:
    a = tilskud.decide("tilskud", {}, DATE)
    assert (a.status, a.needs) == ("undetermined", ("alder",))
    with pytest.raises(NoRuleApplies):
        tilskud.decide("tilskud", {"alder": 10, "handicap": True, "barn": True}, DATE)


def test_two_rules_of_equal_rank_conflict(tmp_path: Path) -> None:
    p = policy(
        tmp_path,
        """
        fakta a: heltal
        beslutning d: heltal
          kilde "§ 1"
        regel d.x
          kilde "§ 1"
          hvis a > 1
          så 1
        regel d.y
          kilde "§ 2"
          hvis a > 2
          så 2
        """,
    )
    assert p.decide("d", {"a": 2}, DATE).value == 1
    with pytest.raises(ConflictingRules, match=r"'d\.x' and 'd\.y'"):
        p.decide("d", {"a": 3}, DATE)


# ---------------------------------------------------------------- missing facts, Kleene logic, quantifiers

HUSSTAND = """
post Person {
  alder: heltal fra 0 til 130
  studerende: sandhed
  handicap: sandhed = falsk
}
post Husstand {
  ansøger: Person
  partner: Person?
  øvrige: liste af Person
}
fakta h: Husstand
fakta flag: sandhed
beslutning ung: sandhed = h.ansøger.alder < 30
  kilde "§ 1"
beslutning voksne_arbejder: sandhed = alle p i h.øvrige hvor p.alder mellem 18 og 64: ikke p.studerende
  kilde "§ 2"
beslutning nogen_studerende: sandhed = nogen p i h.øvrige: p.studerende
  kilde "§ 2"
beslutning ingen_børn: sandhed = ingen p i h.øvrige: p.alder < 18
  kilde "§ 2"
beslutning voksne: heltal = antal p i h.øvrige hvor p.alder >= 18
  kilde "§ 2"
beslutning falsk_og: sandhed = falsk og flag
  kilde "§ 3"
beslutning og_falsk: sandhed = flag og falsk
  kilde "§ 3"
beslutning sand_eller: sandhed = sand eller flag
  kilde "§ 3"
beslutning eller_sand: sandhed = flag eller sand
  kilde "§ 3"
beslutning begge: sandhed = flag og h.ansøger.studerende
  kilde "§ 3"
beslutning ikke_flag: sandhed = ikke flag
  kilde "§ 3"
beslutning handicap: sandhed = h.ansøger.handicap
  kilde "§ 4"
beslutning har_partner: sandhed = h.partner ≠ intet
  kilde "§ 4"
"""


@pytest.fixture
def husstand(tmp_path: Path) -> Policy:
    return policy(tmp_path, HUSSTAND)


def decide(p: Policy, name: str, facts: dict) -> tuple:
    a = p.decide(name, facts, DATE)
    return a.status, a.value, a.needs


def test_missing_nested_fact_is_named_by_its_dotted_path(husstand: Policy) -> None:
    assert decide(husstand, "ung", {}) == ("undetermined", None, ("h.ansøger.alder",))
    assert decide(husstand, "ung", {"h": {"ansøger": {"alder": 20}}}) == ("determined", True, ())


def test_missing_list_element_field_is_named_by_its_index(husstand: Policy) -> None:
    facts = {"h": {"øvrige": [{"alder": 30}, {}, {"alder": 20}]}}
    assert decide(husstand, "voksne", facts) == ("undetermined", None, ("h.øvrige[1].alder",))


def test_missing_list_is_named(husstand: Policy) -> None:
    assert decide(husstand, "voksne", {"h": {}}) == ("undetermined", None, ("h.øvrige",))


def test_both_missing_operands_are_needed(husstand: Policy) -> None:
    assert decide(husstand, "begge", {}) == ("undetermined", None, ("flag", "h.ansøger.studerende"))


def test_negation_of_a_missing_fact_is_undetermined(husstand: Policy) -> None:
    assert decide(husstand, "ikke_flag", {}) == ("undetermined", None, ("flag",))


@pytest.mark.parametrize(
    ("name", "value"), [("falsk_og", False), ("og_falsk", False), ("sand_eller", True), ("eller_sand", True)]
)
def test_kleene_logic_decides_without_the_missing_fact(husstand: Policy, name: str, value: bool) -> None:
    assert decide(husstand, name, {}) == ("determined", value, ())


def test_a_false_operand_decides_og_and_the_other_is_not_asked_for(husstand: Policy) -> None:
    assert decide(husstand, "begge", {"flag": False}) == ("determined", False, ())


def test_quantifier_over_a_filtered_list(husstand: Policy) -> None:
    facts = {"h": {"øvrige": [{"alder": 30, "studerende": False}, {"alder": 10}, {"alder": 70, "studerende": True}]}}
    assert decide(husstand, "voksne_arbejder", facts) == ("determined", True, ())
    facts["h"]["øvrige"][0]["studerende"] = True
    assert decide(husstand, "voksne_arbejder", facts) == ("determined", False, ())


def test_quantifier_element_with_unknown_filter_that_cannot_change_the_result(husstand: Policy) -> None:
    facts = {"h": {"øvrige": [{"alder": 30, "studerende": False}, {"studerende": False}]}}
    assert decide(husstand, "voksne_arbejder", facts) == ("determined", True, ())


def test_quantifier_element_with_unknown_filter_that_could_change_the_result(husstand: Policy) -> None:
    facts = {"h": {"øvrige": [{"alder": 30, "studerende": False}, {"studerende": True}]}}
    assert decide(husstand, "voksne_arbejder", facts) == ("undetermined", None, ("h.øvrige[1].alder",))


def test_quantifier_decided_by_one_element_despite_an_unknown_one(husstand: Policy) -> None:
    facts = {"h": {"øvrige": [{"alder": 30, "studerende": True}, {"studerende": False}]}}
    assert decide(husstand, "voksne_arbejder", facts) == ("determined", False, ())
    facts = {"h": {"øvrige": [{"alder": 30}, {"studerende": True}]}}
    assert decide(husstand, "nogen_studerende", facts) == ("determined", True, ())


def test_quantifier_body_unknown_is_needed(husstand: Policy) -> None:
    facts = {"h": {"øvrige": [{"alder": 30, "studerende": False}, {"alder": 40}]}}
    assert decide(husstand, "voksne_arbejder", facts) == ("undetermined", None, ("h.øvrige[1].studerende",))


def test_quantifiers_over_the_empty_list(husstand: Policy) -> None:
    facts = {"h": {"øvrige": []}}
    assert decide(husstand, "voksne_arbejder", facts) == ("determined", True, ())
    assert decide(husstand, "nogen_studerende", facts) == ("determined", False, ())
    assert decide(husstand, "ingen_børn", facts) == ("determined", True, ())
    assert decide(husstand, "voksne", facts) == ("determined", 0, ())


def test_ingen_and_antal(husstand: Policy) -> None:
    facts = {"h": {"øvrige": [{"alder": 30}, {"alder": 3}, {"alder": 20}]}}
    assert decide(husstand, "ingen_børn", facts) == ("determined", False, ())
    assert decide(husstand, "voksne", facts) == ("determined", 2, ())


def test_record_field_default_is_used_when_the_key_is_absent(husstand: Policy) -> None:
    assert decide(husstand, "handicap", {"h": {"ansøger": {}}}) == ("determined", False, ())
    assert decide(husstand, "handicap", {}) == ("determined", False, ())
    assert decide(husstand, "handicap", {"h": {"ansøger": {"handicap": True}}}) == ("determined", True, ())


def test_optional_record_given_as_null_is_intet(husstand: Policy) -> None:
    assert decide(husstand, "har_partner", {"h": {"partner": None}}) == ("determined", False, ())
    assert decide(husstand, "har_partner", {"h": {"partner": {"alder": 40}}}) == ("determined", True, ())


def test_absent_optional_record_is_undetermined(husstand: Policy) -> None:
    assert decide(husstand, "har_partner", {"h": {}}) == ("undetermined", None, ("h.partner",))


def test_facts_an_answer_does_not_depend_on_are_not_asked_for(husstand: Policy) -> None:
    assert decide(husstand, "sand_eller", {}) == ("determined", True, ())
    assert decide(husstand, "ung", {"h": {"ansøger": {"alder": 50}}}) == ("determined", False, ())


# ---------------------------------------------------------------- fact errors


def fact_error(p: Policy, name: str, facts: dict, date: str = DATE) -> FactError:
    with pytest.raises(FactError) as info:
        p.decide(name, facts, date)
    return info.value


def test_wrong_fact_type_names_path_and_expected_type(tmp_path: Path) -> None:
    p = policy(
        tmp_path,
        """
        post Afdeling {
          ledighed: procent
        }
        fakta afdeling: Afdeling
        beslutning høj: sandhed = afdeling.ledighed > 40 %
          kilde "§ 5"
        """,
    )
    e = fact_error(p, "høj", {"afdeling": {"ledighed": "abc"}})
    assert (e.path, e.expected) == ("afdeling.ledighed", "a number (procent)")
    assert str(e) == "fact 'afdeling.ledighed': expected a number (procent), got the text \"abc\""
    assert p.decide("høj", {"afdeling": {"ledighed": "41.5"}}, DATE).value is True


def test_boolean_is_not_a_number(husstand: Policy) -> None:
    e = fact_error(husstand, "ung", {"h": {"ansøger": {"alder": True}}})
    assert str(e) == "fact 'h.ansøger.alder': expected a number (heltal), got true"


def test_integer_bounds_and_whole_numbers(husstand: Policy) -> None:
    e = fact_error(husstand, "ung", {"h": {"øvrige": [{}, {"alder": 200}]}})
    assert (e.path, e.expected) == ("h.øvrige[1].alder", "a whole number ≤ 130")
    e = fact_error(husstand, "ung", {"h": {"ansøger": {"alder": 1.5}}})
    assert (e.path, e.expected) == ("h.ansøger.alder", "a whole number")


def test_unknown_fact_key_suggests_the_declared_one(husstand: Policy) -> None:
    e = fact_error(husstand, "ung", {"hh": {}})
    assert e.path == "hh"
    assert e.expected == "a declared fact (did you mean 'h'?)"


def test_unknown_record_field_suggests_the_declared_one(husstand: Policy) -> None:
    e = fact_error(husstand, "ung", {"h": {"ansøger": {"aldr": 3}}})
    assert e.path == "h.ansøger.aldr"
    assert e.expected == "a field of Person (did you mean 'alder'?)"


def test_list_fact_given_as_object(husstand: Policy) -> None:
    e = fact_error(husstand, "ung", {"h": {"øvrige": {"alder": 20}}})
    assert str(e) == "fact 'h.øvrige': expected a list (liste af Person), got an object"


def test_null_for_a_required_record(husstand: Policy) -> None:
    e = fact_error(husstand, "ung", {"h": None})
    assert str(e) == "fact 'h': expected a Husstand (not null), got null"


@pytest.mark.parametrize("date", ["2023-12-31", "2028-01-01"])
def test_date_outside_the_policy_validity(husstand: Policy, date: str) -> None:
    e = fact_error(husstand, "ung", {}, date)
    assert e.path == "date"
    assert e.expected == "a date within the policy's validity, 2024-01-01 – 2027-12-31"
    assert str(e).endswith(f'got the text "{date}"')


def test_validity_bounds_are_inclusive(husstand: Policy) -> None:
    for date in ("2024-01-01", "2027-12-31"):
        assert husstand.decide("sand_eller", {}, date).value is True


def test_date_that_is_not_a_date(husstand: Policy) -> None:
    e = fact_error(husstand, "ung", {}, "2024-13-01")
    assert (e.path, e.expected) == ("date", "a date (YYYY-MM-DD)")


def test_unknown_decision_suggests_the_close_one(husstand: Policy) -> None:
    with pytest.raises(UnknownDecision, match=r"policy 'p' has no decision 'ugn'; did you mean 'ung'\?"):
        husstand.decide("ugn", {}, DATE)


# ---------------------------------------------------------------- parameters and schedules

PARAMETER = """
fakta ledighed: procent
fakta start: dato
parameter grænse: procent {
  kilde "Bilag 15, Figur 1"
  fra 2024-06-01: 40 %
  fra 2025-01-01: 38.5 % kilde "Bilag 15, Figur 1 (2025)"
    fortolkning "Tallet for 2025 er offentliggjort i december 2024."
}
beslutning udsat: sandhed = ledighed > grænse
  kilde "§ 5.2.4"
  fortolkning "Strengt større end grænsen."
skema udfasning "Udfasning" {
  kilde "§ 8, Figur 7"
  efter start
  række < 2025-01-01 => 50 %
  række 2025-01-01 ..< 2026-01-01 => 40 %
  række >= 2026-01-01 => 30 %
}
beslutning andel: procent = udfasning
  kilde "§ 8"
"""


@pytest.fixture
def parameter(tmp_path: Path) -> Policy:
    return policy(tmp_path, PARAMETER)


@pytest.mark.parametrize(
    ("date", "value"), [("2024-06-01", False), ("2024-12-31", False), ("2025-01-01", True), ("2027-12-31", True)]
)
def test_parameter_value_is_chosen_by_the_decision_date(parameter: Policy, date: str, value: bool) -> None:
    assert parameter.decide("udsat", {"ledighed": 39}, date).value is value


def test_parameter_before_its_first_value_is_an_error(parameter: Policy) -> None:
    with pytest.raises(EvaluationError) as info:
        parameter.decide("udsat", {"ledighed": 39}, "2024-05-31")
    e = info.value
    assert (Path(e.path).name, e.line, e.column) == ("01.almen", 3, 1)
    assert e.message == "parameter 'grænse' has no value on 2024-05-31 (its first value is from 2024-06-01)"
    assert "     3 | parameter grænse: procent {" in str(e)


@pytest.mark.parametrize(
    ("start", "value"),
    [("2024-12-31", "50"), ("2025-01-01", "40"), ("2025-12-31", "40"), ("2026-01-01", "30"), ("2030-01-01", "30")],
)
def test_schedule_picks_the_row_for_the_date(parameter: Policy, start: str, value: str) -> None:
    assert parameter.decide("andel", {"start": start}, DATE).value == value


def test_schedule_with_missing_date_is_undetermined(parameter: Policy) -> None:
    assert decide(parameter, "andel", {}) == ("undetermined", None, ("start",))


@pytest.mark.usefixtures("danish")
def test_parameter_value_citation_and_note_in_the_explanation(parameter: Policy) -> None:
    text = parameter.decide("udsat", {"ledighed": 39}, "2025-01-01").explain("full")
    assert text.splitlines() == [
        "beslutning udsat = sand  [§ 5.2.4]",
        "  fortolkning: Strengt større end grænsen.",
        "  · ledighed = 39",
        "  parameter grænse: fra 2025-01-01 = 38.5  [Bilag 15, Figur 1 (2025)]",
        "    fortolkning: Tallet for 2025 er offentliggjort i december 2024.",
    ]


# ---------------------------------------------------------------- decision tables at run time


def test_table_row_is_chosen_even_if_an_irrelevant_input_is_missing(tmp_path: Path) -> None:
    p = policy(
        tmp_path,
        """
        valg Behov { "høj", "lav" }
        fakta behov: Behov
        fakta andel: procent
        tabel figur {
          kilde "Figur 5"
          hit unik
          input behov, andel
          række "høj", >= 25 % => 4
          række "høj", < 25 % => 2
          række "lav", >= 25 % => 1
          række "lav", < 25 % => 1
        }
        beslutning trin: heltal = figur
          kilde "§ 6.2"
        """,
    )
    assert decide(p, "trin", {"behov": "lav"}) == ("determined", 1, ())
    assert decide(p, "trin", {"behov": "høj"}) == ("undetermined", None, ("andel",))
    assert decide(p, "trin", {"behov": "høj", "andel": 25}) == ("determined", 4, ())
    assert decide(p, "trin", {"behov": "høj", "andel": "24.9"}) == ("determined", 2, ())


# ---------------------------------------------------------------- explanations

FORKLARING = """
post Person {
  alder: heltal
}
fakta person: Person
fakta handicap: sandhed
beslutning tilskud: kr
  kilde "§ 1"
regel tilskud.voksen
  kilde "§ 1, stk. 1" citat "voksne får 1000 kr."
  fortolkning "Voksen betyder fyldt 18."
  hvis person.alder >= 18
  så 1000 kr
regel tilskud.barn
  kilde "§ 1, stk. 2"
  hvis person.alder < 18
  så 500 kr
regel tilskud.handicap undtagelse til voksen
  kilde "§ 2"
  hvis handicap
  så 2000 kr
"""


@pytest.fixture
def forklaring(tmp_path: Path) -> Policy:
    return policy(tmp_path, FORKLARING)


def test_reason_names_the_deciding_rule_with_its_citation(forklaring: Policy) -> None:
    a = forklaring.decide("tilskud", {"person": {"alder": 30}, "handicap": False}, DATE)
    assert a.explain("reason") == "tilskud = 1000.00 because tilskud.voksen (§ 1, stk. 1 «voksne får 1000 kr.»)"


def test_reason_names_the_exception_that_won(forklaring: Policy) -> None:
    a = forklaring.decide("tilskud", {"person": {"alder": 30}, "handicap": True}, DATE)
    assert a.explain("reason") == "tilskud = 2000.00 because tilskud.handicap (§ 2)"


def test_failed_lists_the_conditions_that_were_false(forklaring: Policy) -> None:
    a = forklaring.decide("tilskud", {"person": {"alder": 30}, "handicap": False}, DATE)
    assert a.explain("failed").splitlines() == [
        "tilskud = 1000.00 because tilskud.voksen (§ 1, stk. 1 «voksne får 1000 kr.»)",
        "  ✗ handicap  [tilskud.handicap, § 2]",
        "  ✗ person.alder < 18  [tilskud.barn, § 1, stk. 2]",
    ]


@pytest.mark.usefixtures("danish")
def test_full_tree_has_citations_notes_conditions_and_inputs(forklaring: Policy) -> None:
    a = forklaring.decide("tilskud", {"person": {"alder": 30}, "handicap": False}, DATE)
    assert a.explain("full").splitlines() == [
        "beslutning tilskud = 1000.00  [§ 1]",
        "  regel tilskud.voksen = 1000.00  [§ 1, stk. 1 «voksne får 1000 kr.»]",
        "    fortolkning: Voksen betyder fyldt 18.",
        "    betingelse tilskud.voksen: person.alder >= 18 = sand  [§ 1, stk. 1 «voksne får 1000 kr.»]",
        "      · person.alder = 30",
        "    undtagelse tilskud.handicap (gælder ikke)  [§ 2]",
        "      betingelse tilskud.handicap: handicap = falsk  [§ 2]",
        "        · handicap = falsk",
        "  regel tilskud.barn (gælder ikke)  [§ 1, stk. 2]",
        "    betingelse tilskud.barn: person.alder < 18 = falsk  [§ 1, stk. 2]",
        "      · person.alder = 30",
    ]


@pytest.mark.usefixtures("danish")
def test_full_tree_marks_the_rule_an_exception_overrode(forklaring: Policy) -> None:
    text = forklaring.decide("tilskud", {"person": {"alder": 30}, "handicap": True}, DATE).explain("full")
    assert "  regel tilskud.voksen (tilsidesat)  [§ 1, stk. 1 «voksne får 1000 kr.»]" in text
    assert "undtagelse tilskud.handicap = 2000.00  [§ 2]" in text


@pytest.mark.usefixtures("danish")
def test_undetermined_explanation_ends_with_needs(forklaring: Policy) -> None:
    a = forklaring.decide("tilskud", {"person": {"alder": 30}}, DATE)
    assert a.explain("reason") == "tilskud: uafgjort\nmangler: handicap"
    assert "betingelse tilskud.handicap: handicap (uafgjort)  [§ 2]" in a.explain("full")


def test_without_explain_there_is_no_tree(forklaring: Policy) -> None:
    a = forklaring.decide("tilskud", {"person": {"alder": 30}, "handicap": False}, DATE, explain=False)
    assert (a.value, a.explanation) == ("1000.00", None)
    assert a.explain("full") == "tilskud: determined"
    assert set(a.to_dict()) == {"decision", "date", "status", "value", "policy"}


# ---------------------------------------------------------------- determinism and the JSON form


def test_two_runs_give_identical_answers(tmp_path: Path) -> None:
    d = write_policy(tmp_path, FORKLARING)
    facts = {"person": {"alder": 30}, "handicap": True}
    first = load_policy(d).decide("tilskud", facts, DATE).to_dict()
    second = load_policy(d).decide("tilskud", facts, DATE).to_dict()
    assert first == second
    again = load_policy(d)
    assert again.decide("tilskud", facts, DATE).to_dict() == again.decide("tilskud", facts, DATE).to_dict()


def test_to_dict_of_a_determined_answer(forklaring: Policy) -> None:
    d = forklaring.decide("tilskud", {"person": {"alder": 30}, "handicap": False}, DATE).to_dict()
    assert set(d) == {"decision", "date", "status", "value", "reason", "explanation", "policy"}
    assert (d["decision"], d["date"], d["status"], d["value"]) == ("tilskud", DATE, "determined", "1000.00")
    assert "needs" not in d
    assert d["explanation"]["kind"] == "beslutning"
    assert d["explanation"]["citation"] == "§ 1"
    voksen = next(c for c in d["explanation"]["children"] if c["rule"] == "tilskud.voksen")
    assert voksen["interpretation"] == ["Voksen betyder fyldt 18."]
    assert voksen["citation"] == "§ 1, stk. 1 «voksne får 1000 kr.»"
    assert voksen["outcome"] == "1000.00"
    assert set(d["policy"]) == {"id", "version", "sha256"}
    assert (d["policy"]["id"], d["policy"]["version"]) == ("p", "1")
    assert re.fullmatch(r"[0-9a-f]{64}", d["policy"]["sha256"])


def test_to_dict_of_an_undetermined_answer_lists_needs(forklaring: Policy) -> None:
    d = forklaring.decide("tilskud", {"person": {"alder": 30}}, DATE).to_dict()
    assert (d["status"], d["value"], d["needs"]) == ("undetermined", None, ["handicap"])
    assert d["explanation"]["status"] == "undetermined"


def test_to_dict_reason_level_has_no_tree(forklaring: Policy) -> None:
    d = forklaring.decide("tilskud", {"person": {"alder": 30}, "handicap": False}, DATE).to_dict("reason")
    assert "explanation" not in d
    assert d["reason"].startswith("tilskud = 1000.00 because tilskud.voksen")


def test_sha256_changes_with_the_policy_text(tmp_path: Path) -> None:
    a = load_policy(write_policy(tmp_path / "a", FORKLARING)).stamp()["sha256"]
    b = load_policy(write_policy(tmp_path / "b", FORKLARING + "# en kommentar\n")).stamp()["sha256"]
    assert a != b
