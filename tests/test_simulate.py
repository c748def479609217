"""`simulate` on any policy with a wheel: the share decision, the stock's figures and the facts
another decision fills in are read from the policy or given as arguments; evaluation goes
through `Policy.decide`, and the stock is left as it was."""

from __future__ import annotations

import copy
import datetime as dt
import json
from fractions import Fraction
from pathlib import Path

import pytest

from almen import FactError, load_policy
from almen.dsl.diagnostics import AlmenError
from almen.interpreter import cli
from almen.interpreter.tools.simulate import Plan, plan, simulate

ROOT = Path(__file__).resolve().parent.parent

# Two wheels of nine; a department on trin 2 lets by h2 (three of nine to the municipality in
# 2024, none in 2025), one on trin 1 by h1 (one of nine). `placering` gives the trin where the
# stock leaves it out.
POLICY = """politik p {
  version "1"
  gyldig fra 2024-01-01 til 2025-12-31
}
valg U { venteliste, kommunal }
post Bolig {
  trin: heltal fra 1 til 2
  navn_på_område: tekst = "x"
}
post Placering {
  trin: heltal
}
fakta bolig: Bolig
fakta område: tekst
hjul h1 "Et hjul" {
  kilde "Bilag 1"
  typer U
  periode "hele" fra 2024-01-01 til 2025-12-31 {
    1: kommunal
    2: venteliste
    3: venteliste
    4: venteliste
    5: venteliste
    6: venteliste
    7: venteliste
    8: venteliste
    9: venteliste
  }
}
hjul h2 "Et andet hjul" {
  kilde "Bilag 2"
  typer U
  periode "første" fra 2024-01-01 til 2024-12-31 {
    1: kommunal
    2: kommunal
    3: kommunal
    4: venteliste
    5: venteliste
    6: venteliste
    7: venteliste
    8: venteliste
    9: venteliste
  }
  periode "andet" fra 2025-01-01 til 2025-12-31 {
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
}
beslutning placering: Placering
  kilde "§ 1"
regel placering.by
  kilde "§ 1"
  hvis område = "by"
  så {trin: 2}
regel placering.land
  kilde "§ 1"
  hvis område != "by"
  så {trin: 1}
beslutning fordeling = hvis bolig.trin = 2 så andele(h2) ellers andele(h1)
  kilde "§ 2"
"""

START, END = dt.date(2024, 1, 1), dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("simulate")
    (d / "p.almen").write_text(POLICY, encoding="utf-8")
    return load_policy(d)


def _stock() -> list[dict]:
    return [
        # 90 dwellings, 10 % a year: 9 vacancies a year; trin from `placering` (område "by" → 2)
        {"navn": "A", "boliger": 90, "omsætning": 10, "område": "by", "bolig": {}},
        # 45 dwellings, 20 %: 9 a year; the stock's trin 1 wins over `placering`'s 2
        {"navn": "B", "boliger": 45, "omsætning": "20", "område": "by", "bolig": {"trin": 1}},
    ]


def test_the_plan_is_read_from_the_policy(policy) -> None:
    assert plan(policy, dwellings="boliger", turnover="omsætning") == Plan(
        "fordeling", "boliger", "omsætning", (("bolig", "placering"),)
    )


def test_expected_vacancies_are_exact(policy) -> None:
    how = plan(policy, dwellings="boliger", turnover="omsætning")
    impact = simulate(policy, _stock(), START, END, how)
    assert impact.per_department["A"] == {"kommunal": Fraction(3), "venteliste": Fraction(6 + 9)}
    assert impact.per_department["B"] == {"kommunal": Fraction(2), "venteliste": Fraction(16)}
    assert impact.per_year[2024] == {"kommunal": Fraction(4), "venteliste": Fraction(14)}
    assert impact.per_year[2025] == {"kommunal": Fraction(1), "venteliste": Fraction(17)}
    assert impact.total == {"kommunal": Fraction(5), "venteliste": Fraction(31)}


def test_a_part_year_is_its_share_of_the_days(policy) -> None:
    how = plan(policy, dwellings="boliger", turnover="omsætning")
    impact = simulate(policy, _stock()[1:], dt.date(2025, 1, 1), dt.date(2025, 3, 31), how)
    assert impact.total == {"kommunal": Fraction(90, 365), "venteliste": Fraction(8 * 90, 365)}


def test_the_stock_is_left_as_it_was(policy) -> None:
    stock = _stock()
    before = copy.deepcopy(stock)
    simulate(policy, stock, START, END, plan(policy, dwellings="boliger", turnover="omsætning"))
    assert stock == before


def test_arguments_override_the_policy(policy) -> None:
    how = plan(policy, "fordeling", {}, "boliger", "omsætning")  # nothing filled in
    with pytest.raises(AlmenError) as e:
        simulate(policy, _stock(), START, END, how)
    assert str(e.value) == "afdelinger[0]: the stock lacks facts for 'fordeling': bolig.trin"


def test_a_stock_key_that_is_no_fact_names_its_path(policy) -> None:
    stock = [{"navn": "A", "boliger": 9, "omsætning": 10, "bolgi": {}}]
    with pytest.raises(FactError) as e:
        simulate(policy, stock, START, END, plan(policy, dwellings="boliger", turnover="omsætning"))
    assert e.value.path == "afdelinger[0].bolgi"
    assert "did you mean 'bolig'" in e.value.expected


def test_a_stock_figure_that_is_no_number_names_its_path(policy) -> None:
    stock = [{"navn": "A", "boliger": "mange", "omsætning": 10, "område": "by"}]
    with pytest.raises(FactError) as e:
        simulate(policy, stock, START, END, plan(policy, dwellings="boliger", turnover="omsætning"))
    assert (e.value.path, e.value.expected) == ("afdelinger[0].boliger", "a number")


def test_a_decision_that_gives_no_shares_is_refused(policy) -> None:
    with pytest.raises(AlmenError, match="the decision 'placering' gives no shares"):
        plan(policy, "placering")


def test_a_policy_without_a_share_decision_says_so() -> None:
    koege = load_policy(ROOT / "policies" / "koege" / "2025")
    with pytest.raises(AlmenError, match="candidates: none"):
        plan(koege)


def test_copenhagen_reads_andele_and_fills_afdelingen_from_trappe() -> None:
    kbh = load_policy(ROOT / "policies" / "koebenhavn" / "2024-2027")
    assert plan(kbh) == Plan("andele", fill=(("afdeling", "trappe"),))


def test_the_command_takes_the_stock_fields(policy, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stock = tmp_path / "bestand.json"
    stock.write_text(json.dumps({"afdelinger": _stock()}), encoding="utf-8")
    args = ["simulate", str(policy.path), "--stock", str(stock), "--from", "2024-01-01", "--to", "2025-12-31"]
    code = cli.main([*args, "--dwellings", "boliger", "--turnover", "omsætning", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["total"] == {"kommunal": "5", "venteliste": "31"}
    assert cli.main([*args, "--dwellings", "boliger", "--turnover", "omsætning", "--fill", "bolig"]) == 2
    assert "--fill expects FACT=DECISION" in capsys.readouterr().err
    cli.main([*args, "--dwellings", "boliger", "--turnover", "omsætning", "--fill", "bolig", "--lang", "da"])
    assert "--fill forventer FAKTUM=BESLUTNING" in capsys.readouterr().err
