"""Hand-written Python for two decisions of the Copenhagen agreement 2024–2027.

This is the yardstick of the benchmark: what a careful developer would write by hand for
`trappe` (§ 6, Figur 5, Bilag 15 Figur 1) and `fortrinsret` (§ 5.2, § 6.1, Bilag 4 IV),
taking the same JSON-shaped facts and returning the same JSON-shaped answer as
`Policy.decide(...).value`. It mirrors policies/koebenhavn/2024-2027/06_trapper.almen,
05_kriterier.almen and 06_fortrinsret.almen rule for rule.

Arithmetic is exact, as in the policy: numbers from JSON become `Decimal` via their shortest
text (`repr` of a float, which is what the sender wrote), and every threshold is a `Decimal`.
No float comparison happens anywhere.

What it deliberately does not do (and the interpreter does): check every fact against the
schema, report missing facts as "undetermined", or build an explanation. It expects complete
facts for what it reads; a missing fact is a KeyError. The benchmark only feeds it scenarios
the policy answers as determined, and asserts first that both give the same answer.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

VALID_FROM = dt.date(2024, 1, 1)  # 00_aftale.almen: gyldig fra 2024-01-01 til 2027-12-31
VALID_TO = dt.date(2027, 12, 31)

# Bilag 15, Figur 1: limits as of 1 December 2022 (one value in the parameter history,
# in force from 2022-12-01, i.e. on every date the agreement is valid).
UDSAT_LEDIGHED = Decimal("40")
UDSAT_DOMTE = Decimal("2.18")
UDSAT_UDDANNELSE = Decimal("60")
UDSAT_INDKOMST = Decimal("55")
RISIKO_LEDIGHED = Decimal("35")
RISIKO_DOMTE = Decimal("2.071")  # Bilag 15 Risikozonen: 5 % from the limit (Figur 1 rounds to 2.07)
RISIKO_UDDANNELSE = Decimal("57")
RISIKO_INDKOMST = Decimal("57.75")  # 5 % from 55 % (Figur 1 rounds to 57.8)

# § 5.2.4, Figur 2; Bilag 4 IV.2 nr. 4 (from 2022-12-01)
INDKOMSTGRAENSE = Decimal("22904.3")

OMRAADE_TRIN_2 = frozenset(("udsat boligområde", "parallelsamfund", "omdannelsesområde"))

# Figur 5: (behov, band of anviste_andel) -> trin; bands: >= 25 %, 20 % ..< 25 %, < 20 %
FIGUR_5 = {
    ("højt", 0): 4, ("mellem", 0): 3, ("lavt", 0): 1,
    ("højt", 1): 3, ("mellem", 1): 2, ("lavt", 1): 1,
    ("højt", 2): 2, ("mellem", 2): 1, ("lavt", 2): 1,
}  # fmt: skip

SKAERPEDE_ALLE = ("beskæftigelse", "dømte", "uddannelse", "indkomst")


def num(x: Any) -> Decimal:
    """A JSON number, exactly: a float by its shortest text, as the sender wrote it."""
    if isinstance(x, float):
        return Decimal(repr(x))
    return Decimal(x)


def decision_date(date: str | dt.date) -> dt.date:
    day = date if isinstance(date, dt.date) else dt.date.fromisoformat(date)
    if not VALID_FROM <= day <= VALID_TO:
        raise ValueError(f"{day} is outside the agreement's validity {VALID_FROM} – {VALID_TO}")
    return day


# ------------------------------------------------------------------------- trappe


def behov(afdeling: dict[str, Any]) -> str:
    """§ 6.2, Figur 5 notes; Bilag 15 Figur 1: the need to strengthen the resident mix."""
    ledighed = num(afdeling["ledighed"])
    domte = num(afdeling["dømte"])
    uddannelse = num(afdeling["uddannelse"])
    indkomst = num(afdeling["indkomst"])
    udsat = (
        (ledighed > UDSAT_LEDIGHED)
        + (domte >= UDSAT_DOMTE)
        + (uddannelse > UDSAT_UDDANNELSE)
        + (indkomst < UDSAT_INDKOMST)
    )
    if udsat >= 2:
        return "højt"
    risiko = (
        (ledighed > RISIKO_LEDIGHED)
        + (domte > RISIKO_DOMTE)
        + (uddannelse > RISIKO_UDDANNELSE)
        + (indkomst < RISIKO_INDKOMST)
    )
    return "mellem" if risiko >= 2 else "lavt"


def figur_5(need: str, anviste_andel: Any) -> int:
    andel = num(anviste_andel)
    band = 0 if andel >= 25 else 1 if andel >= 20 else 2
    return FIGUR_5[need, band]


def trappe(facts: dict[str, Any], date: str | dt.date) -> dict[str, Any]:
    """§ 6: områdetrappe by designation, otherwise afdelingstrappe by Figur 5."""
    decision_date(date)
    afdeling = facts["afdeling"]
    udpegning = afdeling["udpegning"]
    if udpegning == "forebyggelsesområde":
        return {"trappe": "områdetrappe", "trin": 1}
    if udpegning in OMRAADE_TRIN_2:
        return {"trappe": "områdetrappe", "trin": 2}
    if udpegning == "ingen":
        return {"trappe": "afdelingstrappe", "trin": figur_5(behov(afdeling), afdeling["anviste_andel"])}
    raise ValueError(f"unknown udpegning {udpegning!r}")


# ------------------------------------------------------------------------- fortrinsret


def add_years(day: dt.date, years: int) -> dt.date:
    """A calendar year later; 29 February goes to the last day of February (månedsregel sidste_dag)."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def i_arbejde(p: dict[str, Any]) -> bool:
    return p["fleksjob"] or num(p["arbejdstimer_pr_uge"]) >= 25


def opfylder_a1(p: dict[str, Any]) -> bool:
    return i_arbejde(p) or p["alder"] >= 65 or p["pension"] in ("efterløn", "alderspension")


def partner_taeller(h: dict[str, Any]) -> bool:
    partnerskab = h.get("partnerskab")
    return partnerskab == "gift" or (partnerskab == "samlevende" and num(h["samlevende_år"]) >= 2)


def indflyttere(h: dict[str, Any]) -> list[dict[str, Any]]:
    partner = h.get("partner")
    return [h["ansøger"], *([partner] if partner is not None else []), *h["øvrige"]]


def kriterium_a1(h: dict[str, Any]) -> bool:
    if opfylder_a1(h["ansøger"]):
        return True
    partner = h.get("partner")
    return partner is not None and partner_taeller(h) and opfylder_a1(partner)


def kriterium_a2(h: dict[str, Any]) -> bool:
    if h["ansøger"]["under_uddannelse"]:
        return True
    partner = h.get("partner")
    return partner is not None and partner_taeller(h) and partner["under_uddannelse"]


def kriterium_b(h: dict[str, Any], day: dt.date) -> bool:
    if not h.get("bosat_i_kommunen", False):
        return False
    ophoer = h.get("samlivsophør")
    if ophoer is None:
        return False
    d = dt.date.fromisoformat(ophoer) if isinstance(ophoer, str) else ophoer
    if not (add_years(d, 1) >= day and d <= day):
        return False
    return h.get("tidligere_gift", False) or num(h.get("tidligere_samlevet_år", 0)) >= 2


def kriterium_c(afdeling: dict[str, Any], h: dict[str, Any]) -> bool:
    return afdeling.get("tilgængelighedsbolig", False) and h.get("handicap_behov", False)


def skaerpet_beskaeftigelse(h: dict[str, Any]) -> bool:
    return all(i_arbejde(p) or p["under_uddannelse"] for p in indflyttere(h) if 18 <= p["alder"] <= 64)


def skaerpet_domte(h: dict[str, Any], day: dt.date) -> bool:
    first = day.year - 2  # the current year and the two before it
    return not any(dom >= first for p in indflyttere(h) for dom in p["domme"])


def skaerpet_uddannelse(h: dict[str, Any]) -> bool:
    return all(p["uddannelse_over_grundskole"] for p in indflyttere(h) if 30 <= p["alder"] <= 59)


def skaerpet_indkomst(h: dict[str, Any]) -> bool:
    return all(
        num(p["bruttoindkomst_pr_måned"]) >= INDKOMSTGRAENSE
        for p in indflyttere(h)
        if 15 <= p["alder"] <= 64 and not p["under_uddannelse"] and p.get("skattepligtig_i_danmark", True)
    )


def opfylder(k: str, afdeling: dict[str, Any], h: dict[str, Any], day: dt.date) -> bool:
    if k == "A1":
        return kriterium_a1(h)
    if k == "A2":
        return kriterium_a2(h)
    if k == "B":
        return kriterium_b(h, day)
    if k == "C":
        return kriterium_c(afdeling, h)
    if k == "beskæftigelse":
        return skaerpet_beskaeftigelse(h)
    if k == "dømte":
        return skaerpet_domte(h, day)
    if k == "uddannelse":
        return skaerpet_uddannelse(h)
    return skaerpet_indkomst(h)


def risikozone(afdeling: dict[str, Any]) -> list[str]:
    """Bilag 15, Risikozonen on the områdetrappe: within 5 % (5 points for ledighed) or 10 persons."""
    limits = {"ledighed": UDSAT_LEDIGHED, "dømte": UDSAT_DOMTE, "uddannelse": UDSAT_UDDANNELSE}
    near = {"ledighed": RISIKO_LEDIGHED, "dømte": RISIKO_DOMTE, "uddannelse": RISIKO_UDDANNELSE}
    zone = [
        k
        for k in limits
        if num(afdeling[k]) > near[k] or (limits[k] - num(afdeling[k])) * afdeling[f"grundlag_{k}"] / 100 < 10
    ]
    return zone + (["indkomst"] if num(afdeling["indkomst"]) < RISIKO_INDKOMST else [])


def almindelige_kriterier(afdeling: dict[str, Any]) -> list[str]:
    """§ 6.1.2; § 6.2.1–6.2.4; Bilag 4 III.2."""
    trin = afdeling["trin"]
    if afdeling["trappe"] == "områdetrappe":
        if trin == 2 or "ledighed" in risikozone(afdeling):
            return []
        return ["A1", "A2"]
    if trin == 1:
        valgte = afdeling["fleksible_kriterier"]
        return (["A1", "A2"] if "A" in valgte else []) + (["B"] if "B" in valgte else [])
    return ["A1", "A2"]


def skaerpede_kriterier(afdeling: dict[str, Any]) -> list[str]:
    """§ 5.2.2; § 6.1.2–6.1.3; Bilag 4 IV.2."""
    if afdeling["trappe"] == "afdelingstrappe":
        return []
    if afdeling["trin"] == 2:
        return list(SKAERPEDE_ALLE)
    zone = risikozone(afdeling)
    return (["beskæftigelse"] if "ledighed" in zone else []) + [
        k for k in ("dømte", "uddannelse", "indkomst") if k in zone
    ]


def fortrinsret(facts: dict[str, Any], date: str | dt.date) -> dict[str, Any]:
    """§ 5.2, § 6.1, Bilag 4 IV: priority under the department's flexible criteria."""
    day = decision_date(date)
    afdeling, h = facts["afdeling"], facts["husstand"]
    almindelige = almindelige_kriterier(afdeling)
    skaerpede = skaerpede_kriterier(afdeling)
    kriterier = {k: opfylder(k, afdeling, h, day) for k in almindelige + skaerpede}
    har = (
        bool(kriterier)
        and (not almindelige or any(kriterier[k] for k in almindelige))
        and all(kriterier[k] for k in skaerpede)
    )
    return {"fortrinsret": har, "kriterier": kriterier}
