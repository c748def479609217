"""The checker: names, types and units, enum literals, citations, cycles, duplicates, rules,
decision tables (overlap, completeness, constant cells) and letting wheels."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from almen import dsl
from almen.dsl import PolicyError

HEADER = 'politik p {\n  version "1"\n  gyldig fra 2024-01-01 til 2027-12-31\n}\n'


def write_policy(tmp_path: Path, *bodies: str) -> Path:
    """A policy directory: 00_aftale.almen holds the header, 01.almen, 02.almen … the bodies."""
    d = tmp_path / "politik"
    d.mkdir()
    (d / "00_aftale.almen").write_text(HEADER, encoding="utf-8")
    for i, body in enumerate(bodies, 1):
        (d / f"{i:02d}.almen").write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return d


def check_error(tmp_path: Path, *bodies: str) -> PolicyError:
    d = write_policy(tmp_path, *bodies)
    with pytest.raises(PolicyError) as info:
        dsl.load(d)
    return info.value


def where(e: PolicyError) -> tuple[str, int, int]:
    return Path(e.path).name, e.line, e.column


def test_a_clean_policy_checks(tmp_path: Path) -> None:
    model = dsl.load(write_policy(tmp_path, 'fakta alder: heltal\ndefinition voksen = alder >= 18\n  kilde "§ 1"\n'))
    assert sorted(model.definitions) == ["voksen"]
    assert model.policy is not None and model.policy.name == "p"


# ---------------------------------------------------------------- names and types


def test_unknown_name_suggests_the_close_one(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        fakta alder: heltal
        definition voksen = aldr >= 18
          kilde "§ 1"
        """,
    )
    assert where(e) == ("01.almen", 2, 21)
    assert e.message == "unknown name 'aldr'"
    assert e.diagnostics[0].hint == "did you mean 'alder'?"
    text = str(e)
    assert text.startswith(f"{e.path}:2:21: error: unknown name 'aldr'")
    assert "     2 | definition voksen = aldr >= 18" in text
    assert "       |                     ^^^^" in text
    assert "hint: did you mean 'alder'?" in text


def test_unknown_field_suggests_the_close_one(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        post Person {
          alder: heltal
        }
        fakta person: Person
        definition voksen = person.aldre >= 18
          kilde "§ 1"
        """,
    )
    assert where(e) == ("01.almen", 5, 21)
    assert e.message == "Person has no field 'aldre'"
    assert e.diagnostics[0].hint == "did you mean 'alder'?"


def test_unknown_type_suggests_the_close_one(tmp_path: Path) -> None:
    e = check_error(tmp_path, "fakta alder: heltl\n")
    assert where(e) == ("01.almen", 1, 14)
    assert e.message == "unknown type 'heltl'"
    assert e.diagnostics[0].hint == "did you mean 'heltal'?"


def test_comparing_kr_with_percent_is_a_unit_error(tmp_path: Path) -> None:
    e = check_error(tmp_path, 'fakta leje: kr\ndefinition x = leje > 25 %\n  kilde "§ 1"\n')
    assert where(e) == ("01.almen", 2, 16)
    assert e.message == "cannot compare a kr with a procent"
    assert e.diagnostics[0].hint == "the units differ: write an amount (1500 kr)"


def test_adding_kr_and_percent_is_a_unit_error(tmp_path: Path) -> None:
    e = check_error(tmp_path, 'fakta leje: kr\ndefinition x = leje + 25 %\n  kilde "§ 1"\n')
    assert where(e) == ("01.almen", 2, 16)
    assert e.message == "cannot compute kr + procent"


def test_declared_type_mismatch_names_both_types(tmp_path: Path) -> None:
    e = check_error(tmp_path, 'beslutning b: kr = 25 %\n  kilde "§ 1"\n')
    assert where(e) == ("01.almen", 1, 20)
    assert e.message == "'b' should be a kr, not a procent"


def test_enum_literal_typo_suggests_the_member(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        valg Udpegning { "ingen", "forebyggelsesområde" }
        fakta u: Udpegning
        definition x = u = "forebyggelsesomrde"
          kilde "§ 1"
        """,
    )
    assert where(e) == ("01.almen", 3, 20)
    assert e.message == '"forebyggelsesomrde" is not a value of Udpegning'
    assert e.diagnostics[0].hint == "did you mean 'forebyggelsesområde'?"


def test_enum_literal_typo_in_a_list_is_found(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        valg Udpegning { "ingen", "parallelsamfund" }
        fakta u: Udpegning
        definition x = u i ["ingen", "paralelsamfund"]
          kilde "§ 1"
        """,
    )
    assert where(e) == ("01.almen", 3, 30)
    assert e.message == '"paralelsamfund" is not a value of Udpegning'


# ---------------------------------------------------------------- citations


def test_missing_citation_is_reported_at_the_declaration(tmp_path: Path) -> None:
    e = check_error(tmp_path, "# kommentar\n\ndefinition x = 1\n")
    assert where(e) == ("01.almen", 3, 1)
    assert e.message == "definition 'x' cites no source"
    assert 'kilde "§ 6.2.1"' in (e.diagnostics[0].hint or "")


def test_missing_citation_on_a_rule_names_the_rule(tmp_path: Path) -> None:
    e = check_error(tmp_path, 'beslutning d: heltal\n  kilde "§ 1"\nregel d.a\n  så 1\n')
    assert where(e) == ("01.almen", 3, 1)
    assert e.message == "regel 'd.a' cites no source"


def test_citation_that_names_no_section_is_reported_at_the_citation(tmp_path: Path) -> None:
    e = check_error(tmp_path, 'definition x = 1\n  kilde "aftalen"\n')
    assert where(e) == ("01.almen", 2, 3)
    assert e.message == "citation 'aftalen' names no section, figure or appendix"


@pytest.mark.parametrize("source", ["§ 6.2.1", "Figur 5", "Bilag 14", "lov om almene boliger § 59", "Tema 2"])
def test_citations_that_point_into_the_agreement_are_accepted(tmp_path: Path, source: str) -> None:
    model = dsl.load(write_policy(tmp_path, f'definition x = 1\n  kilde "{source}"\n'))
    assert model.definitions["x"].meta.citations[0].source == source


# ---------------------------------------------------------------- cycles and duplicates


def test_cycle_between_two_definitions_shows_the_path(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        definition a = b + 1
          kilde "§ 1"
        definition b = a + 1
          kilde "§ 2"
        """,
    )
    assert where(e) == ("01.almen", 1, 1)
    assert e.message == "'a' depends on itself: a → b → a"


def test_cycle_through_a_rule_consequence(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        beslutning d: heltal
          kilde "§ 1"
        regel d.a
          kilde "§ 1"
          så e + 1
        definition e = d
          kilde "§ 2"
        """,
    )
    assert e.message == "'d' depends on itself: d → e → d"
    assert where(e) == ("01.almen", 1, 1)


def test_duplicate_declaration_across_two_files_shows_both(tmp_path: Path) -> None:
    e = check_error(tmp_path, 'definition a = 1\n  kilde "§ 1"\n', '# to\n\ndefinition a = 2\n  kilde "§ 2"\n')
    assert where(e) == ("02.almen", 3, 1)
    assert e.message == "'a' is declared twice"
    ((span, note, _),) = e.diagnostics[0].related
    assert (Path(span.path).name, span.line, span.column) == ("01.almen", 1, 1)
    assert note == "'a' is first declared here"
    text = str(e)
    assert f"{span.path}:1:1: note: 'a' is first declared here" in text
    assert "error: 'a' is declared twice" in text


def test_two_headers_are_an_error(tmp_path: Path) -> None:
    e = check_error(tmp_path, 'politik q {\n  version "2"\n}\n')
    assert where(e) == ("01.almen", 1, 1)
    assert e.message == "the policy has two headers"


# ---------------------------------------------------------------- rules


def test_exception_to_an_unknown_label_suggests_the_rule(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        fakta a: heltal
        beslutning d: heltal
          kilde "§ 1"
        regel d.grund
          kilde "§ 1"
          så 1
        regel d.undt undtagelse til grnd
          kilde "§ 2"
          hvis a > 1
          så 2
        """,
    )
    assert where(e) == ("01.almen", 7, 1)
    assert e.message == "'d.undt' is an exception to 'grnd', which is not a rule of 'd'"
    assert e.diagnostics[0].hint == "did you mean 'grund'?"


def test_rule_for_an_unknown_decision_suggests_the_decision(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        beslutning trappe: heltal
          kilde "§ 1"
        regel trappe.a
          kilde "§ 1"
          så 1
        regel trape.b
          kilde "§ 1"
          så 1
        """,
    )
    assert where(e) == ("01.almen", 6, 1)
    assert e.message == "rule for unknown decision 'trape'"
    assert e.diagnostics[0].hint == "did you mean 'trappe'?"


def test_decision_without_body_or_rules(tmp_path: Path) -> None:
    e = check_error(tmp_path, 'beslutning d: heltal\n  kilde "§ 1"\n')
    assert where(e) == ("01.almen", 1, 1)
    assert e.message == "decision 'd' has no body and no rules"


def test_rule_value_of_the_wrong_type(tmp_path: Path) -> None:
    e = check_error(tmp_path, 'beslutning d: heltal\n  kilde "§ 1"\nregel d.a\n  kilde "§ 1"\n  så "en"\n')
    assert where(e) == ("01.almen", 5, 6)
    assert e.message == "the value of 'd' should be a heltal, not a tekst"


# ---------------------------------------------------------------- decision tables


def test_overlapping_rows_of_a_unique_table(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        fakta x: procent
        tabel t {
          kilde "Figur 5"
          hit unik
          input x
          række < 20 % => 1
          række 10 % .. 30 % => 2
          række > 30 % => 3
        }
        """,
    )
    assert where(e) == ("01.almen", 7, 3)
    assert e.message == "rows of table 't' overlap (hit policy 'unik')"
    ((span, note, _),) = e.diagnostics[0].related
    assert (span.line, span.column, note) == (6, 3, "overlaps this row")


def test_overlap_is_allowed_with_hit_first(tmp_path: Path) -> None:
    model = dsl.load(
        write_policy(
            tmp_path,
            """
            fakta x: procent
            tabel t {
              kilde "Figur 5"
              hit første
              input x
              række < 20 % => 1
              række 10 % .. 30 % => 2
              række - => 3
            }
            """,
        )
    )
    assert model.tables["t"].hit == "første"


def test_incomplete_table_names_the_uncovered_combination(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        valg Behov { "høj", "lav" }
        fakta b: Behov
        fakta x: procent
        tabel t {
          kilde "Figur 5"
          hit unik
          input b, x
          række "høj", < 20 % => 1
          række "høj", >= 20 % => 2
          række "lav", < 20 % => 3
        }
        """,
    )
    assert where(e) == ("01.almen", 4, 1)
    assert e.message == "table 't' is incomplete: no row covers b = \"lav\", x = 20"
    assert e.diagnostics[0].hint == "add a row for it"


def test_incomplete_table_over_a_bounded_integer(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        fakta trin: heltal fra 1 til 4
        tabel t {
          kilde "Figur 5"
          hit unik
          input trin
          række 1 .. 2 => "lav"
          række 4 => "høj"
        }
        """,
    )
    assert e.message == "table 't' is incomplete: no row covers trin = 3"


def test_non_constant_cell_is_an_error(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        fakta x: procent
        fakta y: procent
        tabel t {
          kilde "Figur 5"
          hit unik
          input x
          række < y => 1
          række >= y => 2
        }
        """,
    )
    assert where(e) == ("01.almen", 7, 11)
    assert e.message == "a table cell must be a constant"
    assert len(e.diagnostics) == 2
    assert (e.diagnostics[1].span.line, e.diagnostics[1].span.column) == (8, 12)


def test_row_with_the_wrong_number_of_cells(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        fakta x: procent
        tabel t {
          kilde "Figur 5"
          hit unik
          input x
          række < 20 %, 1 => 1
          række >= 20 % => 2
        }
        """,
    )
    found = [(d.span.line, d.span.column, d.message) for d in e.diagnostics]
    assert (6, 3, "the row has 2 cells but the table has 1 inputs") in found


def test_bare_enum_member_is_a_constant_table_cell(tmp_path: Path) -> None:
    model = dsl.load(
        write_policy(
            tmp_path,
            """
            valg Behov { høj, lav }
            fakta b: Behov
            tabel t {
              kilde "Figur 5"
              hit unik
              input b
              række høj => 1
              række lav => 2
            }
            """,
        )
    )
    assert "t" in model.tables


# ---------------------------------------------------------------- letting wheels

WHEEL = """
valg U { venteliste, fleksibel, kommunal }
hjul h {
  kilde "Bilag 4"
  typer U
  periode "1" fra 2024-01-01 til 2025-12-31 {
    1: venteliste
    2: fleksibel
    3: kommunal
    4: venteliste
    5: venteliste
    6: venteliste
    7: venteliste
    8: venteliste
    9: venteliste
  }
}
"""


def test_wheel_without_problems_checks(tmp_path: Path) -> None:
    model = dsl.load(write_policy(tmp_path, WHEEL))
    assert [s.number for s in model.wheels["h"].periods[0].slots] == list(range(1, 10))


def test_wheel_slot_numbering_gap(tmp_path: Path) -> None:
    e = check_error(tmp_path, WHEEL.replace("3: kommunal", "4: kommunal"))
    assert where(e) == ("01.almen", 5, 3)
    assert e.message == "the slots of period '1' of wheel 'h' must be numbered 1 to 9, once each"
    assert e.diagnostics[0].hint == "found 1, 2, 4, 4, 5, 6, 7, 8, 9; missing 3"


def test_wheel_unknown_letting_type_member(tmp_path: Path) -> None:
    e = check_error(tmp_path, WHEEL.replace("3: kommunal", "3: komunal"))
    assert where(e) == ("01.almen", 8, 8)
    assert e.message == "'komunal' is not a letting type of U"
    assert e.diagnostics[0].hint == "did you mean 'kommunal'?"


def test_wheel_unknown_member_inside_a_fallback_chain(tmp_path: Path) -> None:
    e = check_error(tmp_path, WHEEL.replace("2: fleksibel", "2: fleksibel -> ventelist"))
    assert where(e) == ("01.almen", 7, 21)
    assert e.message == "'ventelist' is not a letting type of U"


def test_wheel_overlapping_periods(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        valg U { venteliste, fleksibel }
        hjul h {
          kilde "Bilag 4"
          typer U
          periode "a" fra 2024-01-01 til 2025-12-31 {
            1: venteliste
            2: venteliste
            3: venteliste
            4: venteliste
            5: venteliste
            6: venteliste
            7: venteliste
            8: venteliste
            9: venteliste
          }
          periode "b" fra 2025-06-01 til 2027-12-31 {
            1: fleksibel
            2: fleksibel
            3: fleksibel
            4: fleksibel
            5: fleksibel
            6: fleksibel
            7: fleksibel
            8: fleksibel
            9: fleksibel
          }
        }
        """,
    )
    assert where(e) == ("01.almen", 16, 3)
    assert e.message == "periods 'a' and 'b' of wheel 'h' overlap"
    ((span, note, _),) = e.diagnostics[0].related
    assert (span.line, note) == (5, "the other period")


def test_wheel_unknown_letting_type_enum(tmp_path: Path) -> None:
    e = check_error(tmp_path, WHEEL.replace("typer U", "typer V"))
    assert where(e) == ("01.almen", 2, 1)
    assert e.message == "unknown letting type 'V'"


def test_wheel_periods_with_different_slot_counts(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        WHEEL.replace(
            "  }\n}",
            '  }\n  periode "2" fra 2026-01-01 til 2027-12-31 {\n    1: venteliste\n  }\n}',
        ),
    )
    assert where(e) == ("01.almen", 16, 3)
    assert e.message == "period '2' of wheel 'h' lacks slots 2 to 9"


def test_slot_exception_to_a_missing_slot(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        WHEEL + 'fakta f: sandhed\nundtagelse u til hjul h plads 10\n  kilde "§ 8.4"\n  hvis f\n  så kommunal\n',
    )
    assert where(e) == ("01.almen", 18, 1)
    assert e.message == "wheel 'h' has no slot 10 in '1'"


def test_every_problem_is_reported_at_once_in_source_order(tmp_path: Path) -> None:
    e = check_error(
        tmp_path,
        """
        definition a = ukendt1
          kilde "§ 1"
        definition b = ukendt2
        """,
    )
    messages = [(d.span.line, d.message) for d in e.diagnostics]
    assert messages == [
        (1, "unknown name 'ukendt1'"),
        (3, "definition 'b' cites no source"),
        (3, "unknown name 'ukendt2'"),
    ]
