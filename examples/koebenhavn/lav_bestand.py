"""Writes bestand.json: a SYNTHETIC Copenhagen housing stock matching the agreement's baseline.

Bilag 15, 1. Baseline: department steps 4/3/2/1 with 16/21/20/307 departments and
3324/4202/3968/27253 dwellings; 38 departments (about 13,400 dwellings) in 13 prevention
areas (area step 1) and 1 department (about 560 dwellings) in a transformation area (area
step 2); turnover 9.5 % across family dwellings. Department sizes are spread evenly and the
organisations' choice of flexible criteria on step 1 is invented: the file is synthetic.
Last year's vacancies are 9.5 % of the dwellings, and the realised assignment a quarter of them
(invented, below every third), so no department is exempt from the extra assignment (§ 6.2.2).
"""

import json
from pathlib import Path

GROUPS = [
    # (prefix, count, dwellings, facts)
    ("områdetrappe trin 1", 38, 13400, {"trappe": "områdetrappe", "trin": 1}),
    ("områdetrappe trin 2", 1, 560, {"trappe": "områdetrappe", "trin": 2}),
    ("afdelingstrappe trin 1", 307, 27253, {"trappe": "afdelingstrappe", "trin": 1}),
    ("afdelingstrappe trin 2", 20, 3968, {"trappe": "afdelingstrappe", "trin": 2}),
    ("afdelingstrappe trin 3", 21, 4202, {"trappe": "afdelingstrappe", "trin": 3}),
    ("afdelingstrappe trin 4", 16, 3324, {"trappe": "afdelingstrappe", "trin": 4}),
]
CHOICES = [["A"], ["A", "B"], ["B"], []]  # invented: step 1 organisations' choice, in rotation


def main() -> None:
    departments = []
    for prefix, count, dwellings, facts in GROUPS:
        base, extra = divmod(dwellings, count)
        for i in range(count):
            size = base + (1 if i < extra else 0)
            vacancies = round(size * 0.095)
            afdeling = {
                "boligtype": "familie",
                **facts,
                "anviste_forrige_år": vacancies // 4,
                "ledige_forrige_år": vacancies,
            }
            if facts == {"trappe": "afdelingstrappe", "trin": 1}:
                afdeling["fleksible_kriterier"] = CHOICES[i % len(CHOICES)]
            departments.append(
                {
                    "navn": f"{prefix} nr. {i + 1}",
                    "afdeling": afdeling,
                    "familieboliger": size,
                    "fraflytningsprocent": 9.5,
                }
            )
    out = {
        "syntetisk": True,
        "beskrivelse": __doc__.strip(),
        "afdelinger": departments,
    }
    path = Path(__file__).with_name("bestand.json")
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
