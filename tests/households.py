"""Generated households and departments for the batch tests and bench: seeded, with the
agreement's boundary values (25 hours a week, age 18/64/65, two years together, the income
limit 22.904,30 kr, a conviction three years back) and facts left out or given as intet."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

_AGES = [15, 17, 18, 29, 30, 40, 59, 60, 62, 64, 65, 66]
_HOURS = [0, 10, Decimal("24.5"), 25, 37]
_INCOME = [0, Decimal("22904.29"), Decimal("22904.30"), 30000]
_YEARS = [Decimal("1.5"), 2, 0, 5]
_CONVICTIONS = [2020, 2021, 2022, 2024]
_LEAVE_OUT = 0.04  # each fact is left out with this chance: the answer may need it


def person(rng: random.Random) -> dict[str, Any]:
    p = {
        "alder": rng.choice(_AGES),
        "arbejdstimer_pr_uge": rng.choice(_HOURS),
        "fleksjob": rng.random() < 0.1,
        "under_uddannelse": rng.random() < 0.2,
        "pension": rng.choice(["ingen", "ingen", "efterløn", "alderspension"]),
        "domme": rng.sample(_CONVICTIONS, rng.choice([0, 0, 0, 1, 2])),
        "uddannelse_over_grundskole": rng.random() < 0.7,
        "bruttoindkomst_pr_måned": rng.choice(_INCOME),
    }
    return _leave_out(rng, p)


def household(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["alone", "gift", "samlevende", "samlevende"])
    h: dict[str, Any] = {
        "ansøger": person(rng),
        "partner": None if kind == "alone" else person(rng),
        "partnerskab": None if kind == "alone" else kind,
        "samlevende_år": rng.choice(_YEARS),
        "øvrige": [person(rng) for _ in range(rng.choice([0, 0, 1, 2, 3]))],
    }
    return {"husstand": _leave_out(rng, h)}


def households(n: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [household(rng) for _ in range(n)]


def department(rng: random.Random) -> dict[str, Any]:
    d = {
        "udpegning": rng.choice(["ingen", "ingen", "forebyggelsesområde", "udsat boligområde", "parallelsamfund"]),
        "ledighed": rng.choice([30, 35, Decimal("35.1"), 40, Decimal("40.1")]),
        "dømte": rng.choice([Decimal("2.06"), Decimal("2.07"), Decimal("2.18"), 3]),
        "uddannelse": rng.choice([50, 57, Decimal("57.5"), 60, 61]),
        "indkomst": rng.choice([50, 55, Decimal("55.1"), Decimal("57.8"), 60]),
        "anviste_andel": rng.choice([10, Decimal("19.9"), 20, Decimal("24.9"), 25, 30]),
    }
    return {"afdeling": _leave_out(rng, d)}


def departments(n: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [department(rng) for _ in range(n)]


def _leave_out(rng: random.Random, facts: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in facts.items() if rng.random() >= _LEAVE_OUT}


# the facts the fortrinsret tests and bench fix, one set per kind of criteria: the department with
# the figures its risk zone is computed from (Bilag 15), and its area (§ 6.1.6)
_AREA = {"udpegning": "ingen", "tidligere_omdannelsesområde": False, "dømte": "0.5"}
_FIGURES = {"udpegning": "ingen", "ledighed": "5", "dømte": "1", "uddannelse": "70", "indkomst": "80"}


def _fixed(afdeling: dict[str, Any], område: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"afdeling": {**_FIGURES, **afdeling}, "område": {**_AREA, **(område or {})}}


FIXED = {
    "afdelingstrappe trin 2": _fixed({"trappe": "afdelingstrappe", "trin": 2}),
    "afdelingstrappe trin 1, A": _fixed({"trappe": "afdelingstrappe", "trin": 1, "fleksible_kriterier": ["A"]}),
    # ledighed 8 % and dømte 1.9 % lie within the risk zone of the state's 9 % and 2.07 %
    "områdetrappe trin 1, risikozone": _fixed(
        {
            "trappe": "områdetrappe",
            "trin": 1,
            "udpegning": "forebyggelsesområde",
            "ledighed": "8",
            "dømte": "1.9",
            "grundlag_ledighed": 1000,
            "grundlag_dømte": 1000,
            "grundlag_uddannelse": 1000,
        },
        {"udpegning": "forebyggelsesområde"},
    ),
    "områdetrappe trin 2": _fixed(
        {"trappe": "områdetrappe", "trin": 2, "udpegning": "udsat boligområde"}, {"udpegning": "udsat boligområde"}
    ),
    "afdelingstrappe trin 1, B": _fixed({"trappe": "afdelingstrappe", "trin": 1, "fleksible_kriterier": ["A", "B"]}),
}
