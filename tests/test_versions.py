"""Versions of the Copenhagen policy: the semantic diff, its golden results, and its impact.

- `almen diff` of 2024–2027 against a reformatted, reordered copy of itself finds nothing; one
  changed parameter value or wheel slot in a copy is exactly one change naming it.
- Golden: the diff 2019-2023 → 2024-2027 (the reconstruction, policies/koebenhavn/2019-2023)
  and 2024-2027 → the illustrative draft (policies/koebenhavn/udkast-forlængelse), pinned as
  the exact set of (kind, name, part, change), plus some texts and citations.
- Impact: simulating the draft against 2024-2027 on the synthetic stock moves vacancies between
  letting types without creating or losing any; 2024-2027 against itself moves nothing.
- Formats: HTML is one self-contained page; Markdown and JSON carry the changes.

If someone changes policies/koebenhavn/2024-2027, the golden sets below change with it: that is
the point of pinning them. Regenerate them with `python tests/test_versions.py` (it prints the sets
as they are now) and review the difference before pasting.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from almen import dsl
from almen.interpreter import cli
from almen.interpreter.api import Policy
from almen.interpreter.tools.diff import Change, diff
from almen.interpreter.tools.simulate import load_stock, simulate

ROOT = Path(__file__).resolve().parent.parent
KBH = ROOT / "policies" / "koebenhavn"
CURRENT = KBH / "2024-2027"
OLD = KBH / "2019-2023"
DRAFT = KBH / "udkast-forlængelse"
STOCK = ROOT / "examples" / "koebenhavn" / "bestand.json"
START, END = dt.date(2024, 1, 1), dt.date(2028, 6, 30)


def _tuples(changes: list[Change]) -> set[tuple[str, str, str, str]]:
    return {(c.kind, c.name, c.part, c.change) for c in changes}


def _one(changes: list[Change], kind: str, name: str, part: str) -> Change:
    found = [c for c in changes if (c.kind, c.name, c.part) == (kind, name, part)]
    assert len(found) == 1, f"{kind} {name} · {part}: {found}"
    return found[0]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def current_model() -> dsl.Model:
    return dsl.load(CURRENT)


@pytest.fixture(scope="module")
def old_to_current(current_model: dsl.Model) -> list[Change]:
    return diff(dsl.load(OLD), current_model)


@pytest.fixture(scope="module")
def current_to_draft(current_model: dsl.Model) -> list[Change]:
    return diff(current_model, dsl.load(DRAFT))


# ---------------------------------------------------------------- the new policies themselves


@pytest.mark.parametrize("policy", [OLD, DRAFT], ids=["2019-2023", "udkast"])
def test_new_versions_check_and_are_formatted(policy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "check", str(policy))
    assert code == 0, out
    code, out = _run(capsys, "fmt", "--check", str(policy))
    assert code == 0, out


def test_reconstruction_is_a_full_policy_superseding_nothing() -> None:
    model = dsl.load(OLD)
    header = model.policy
    assert header is not None
    assert header.amends is None and header.supersedes is None
    assert (header.valid_from, header.valid_to) == (dt.date(2019, 1, 1), dt.date(2023, 12, 31))
    assert any("REKONSTRUKTION" in note for note in header.notes)
    assert "rekonstruktion" in (header.title or "")
    source = (OLD / "00_aftale.almen").read_text(encoding="utf-8")
    assert source.startswith("# REKONSTRUKTION")
    assert "ikke den oprindelige aftale" in source


def test_draft_amends_2024_and_runs_every_wheel_to_1_july_2028() -> None:
    model = dsl.load(DRAFT)
    header = model.policy
    assert header is not None
    assert header.amends == "../2024-2027"
    assert header.valid_to == dt.date(2028, 6, 30)
    assert "ILLUSTRATIV" in (header.title or "") and "udkast" in (header.version or "")
    assert header.municipality == "Københavns Kommune"  # inherited from 2024-2027
    for wheel in model.wheels.values():
        assert max(p.end for p in wheel.periods) == dt.date(2028, 6, 30), wheel.name
    values = model.params["indkomstgrænse"].values
    assert [v.start for v in values] == [dt.date(2022, 12, 1), dt.date(2024, 12, 1)]
    assert any("ILLUSTRATIV" in note for note in values[-1].notes)
    assert any("ILLUSTRATIV" in note for note in header.notes)


# ---------------------------------------------------------------- (a) layout never shows as a change


def _reformat(source: str, path: str, reverse: bool) -> str:
    """The same declarations with other comments, indentation and blank lines; reversed if asked."""
    if reverse:
        module = dsl.parse(source, path)
        chunks = [source[d.span.start : d.span.end] for d in module.decls][::-1]
        body = "\n\n\n# ---- en anden kommentar\n\n".join(chunks)
    else:
        body = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
    body = re.sub(r"(?m)^( +)", lambda m: "\t" + " " * len(m.group(1)), body)  # other indentation
    body = re.sub(r"\n(?=\S)", "\n\n", body)  # more blank lines
    return "# omformateret kopi til test\n\n" + body + "\n\n\n"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "2024-2027"
    shutil.copytree(CURRENT, target)
    return target


def test_reformatted_and_reordered_copy_is_no_change(
    tmp_path: Path, current_model: dsl.Model, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = _copy(tmp_path)
    for f in sorted(copy.glob("*.almen")):
        source = f.read_text(encoding="utf-8")
        f.write_text(_reformat(source, str(f), reverse=f.name in ("06_trapper.almen", "06_hjul.almen")), "utf-8")
    # rename files so they load in another order (header last, deadlines early)
    renames = {"00_aftale.almen": "98_aftale.almen", "14_frister.almen": "02_frister.almen"}
    renames |= {"06_trapper.almen": "99_trapper.almen", "09_udfasning.almen": "03_udfasning.almen"}
    for old_name, new_name in renames.items():
        (copy / old_name).rename(copy / new_name)
    assert [f.name for f in dsl.policy_files(copy)] != [f.name for f in dsl.policy_files(CURRENT)]
    assert (copy / "99_trapper.almen").read_text(encoding="utf-8") != (CURRENT / "06_trapper.almen").read_text(
        encoding="utf-8"
    )

    assert diff(current_model, dsl.load(copy)) == []
    code, out = _run(capsys, "diff", str(CURRENT), str(copy))
    assert code == 0, out
    assert "0 ændringer" in out
    code, out = _run(capsys, "diff", str(CURRENT), str(copy), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["changes"] == [] and data["equivalent"] is True


def test_one_parameter_value_is_one_change(
    tmp_path: Path, current_model: dsl.Model, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = _copy(tmp_path)
    f = copy / "06_trapper.almen"
    source = f.read_text(encoding="utf-8")
    changed, count = re.subn(
        r"(parameter udsat_ledighed: procent \{.*?fra 2022-12-01: )40 %", r"\g<1>41.5 %", source, flags=re.S
    )
    assert count == 1
    f.write_text(changed, encoding="utf-8")

    changes = diff(current_model, dsl.load(copy))
    assert _tuples(changes) == {("parameter", "udsat_ledighed", "fra 2022-12-01", "changed")}
    (c,) = changes
    assert (c.old, c.new) == ("40 %", "41.5 %")
    assert "trappe" in c.decisions
    code, out = _run(capsys, "diff", str(CURRENT), str(copy))
    assert code == 1
    assert "1 ændring" in out and "udsat_ledighed" in out and "fra 2022-12-01" in out
    assert "40 %" in out and "41.5 %" in out


def test_one_wheel_slot_is_one_change(
    tmp_path: Path, current_model: dsl.Model, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = _copy(tmp_path)
    f = copy / "06_hjul.almen"
    source = f.read_text(encoding="utf-8")
    start = source.index("hjul afdelingstrappe_trin_4")
    slot = source.index('2: fleksibel med ["A1", "A2"]', start)
    f.write_text(source[:slot] + "2: venteliste" + source[slot + len('2: fleksibel med ["A1", "A2"]') :], "utf-8")

    changes = diff(current_model, dsl.load(copy))
    assert _tuples(changes) == {("hjul", "afdelingstrappe_trin_4", "periode 2024-2027, plads 2", "changed")}
    (c,) = changes
    assert (c.old, c.new) == ('fleksibel med ["A1", "A2"]', "venteliste")
    assert set(c.decisions) >= {"andele", "hjul"}
    code, out = _run(capsys, "diff", str(CURRENT), str(copy))
    assert code == 1
    assert "afdelingstrappe_trin_4" in out and "periode 2024-2027, plads 2" in out


# ---------------------------------------------------------------- (b) golden diffs

OLD_TO_2024 = {
    ("beslutning", "flygtningedelebolig", "", "added"),
    ("beslutning", "gangkollegium", "", "added"),
    ("beslutning", "nøgletal", "", "added"),
    ("beslutning", "tilskud", "", "added"),
    ("beslutning", "tilskudsbolig_genudlejning", "", "added"),
    ("beslutning", "tilskudsbolig_mulig", "", "added"),
    ("beslutning", "udfasning", "fortolkning", "removed"),
    ("beslutning", "udfasning", "kilde", "changed"),
    ("beslutning", "udfasning", "type", "changed"),
    ("beslutning", "udfasning", "værdi", "changed"),
    ("definition", "B", "fortolkning", "changed"),
    ("definition", "C", "fortolkning", "changed"),
    ("definition", "almindelige_kriterier", "fortolkning", "changed"),
    ("definition", "almindelige_kriterier", "kilde", "changed"),
    ("definition", "almindelige_kriterier", "værdi", "changed"),
    ("definition", "anvisningsloft", "", "added"),
    ("definition", "behov", "fortolkning", "removed"),
    ("definition", "behov", "kilde", "changed"),
    ("definition", "behov", "værdi", "changed"),
    ("definition", "familiehjul", "fortolkning", "changed"),
    ("definition", "familiehjul", "kilde", "changed"),
    ("definition", "familiehjul", "værdi", "changed"),
    ("definition", "i_arbejde", "fortolkning", "changed"),
    ("definition", "kriterier_i_risikozonen", "", "added"),
    ("definition", "opfylder", "kilde", "changed"),
    ("definition", "opfylder", "værdi", "changed"),
    ("definition", "opfylder_A1", "fortolkning", "changed"),
    ("definition", "opfylder_A1", "kilde", "changed"),
    ("definition", "opfylder_A1", "værdi", "changed"),
    ("definition", "opfylder_senior", "", "removed"),
    ("definition", "ordnede_ansøgere", "fortolkning", "changed"),
    ("definition", "partner_tæller", "fortolkning", "changed"),
    ("definition", "rang", "fortolkning", "changed"),
    ("definition", "senior", "", "removed"),
    ("definition", "skærpede_kriterier", "fortolkning", "removed"),
    ("definition", "trin_1_kriterier", "fortolkning", "removed"),
    ("definition", "trin_1_kriterier", "kilde", "changed"),
    ("definition", "trin_1_kriterier", "værdi", "changed"),
    ("definition", "udpegningskriterier_opfyldt", "", "added"),
    ("fakta", "deleboliger", "", "added"),
    ("fakta", "kollegium", "", "added"),
    ("fakta", "nøgletalsdata", "", "added"),
    ("fakta", "tilskudsbolig", "", "added"),
    ("fakta", "tilskudsår", "", "added"),
    ("hjul", "afdelingstrappe_trin_1", "fortolkning", "changed"),
    ("hjul", "afdelingstrappe_trin_1", "kilde", "changed"),
    ("hjul", "afdelingstrappe_trin_1", "periode 2019-2023 → 2024-2027", "changed"),
    ("hjul", "afdelingstrappe_trin_1", "periode 2019-2023 → 2024-2027, plads 1, fortolkning", "added"),
    ("hjul", "afdelingstrappe_trin_1", "periode 2019-2023 → 2024-2027, plads 4, fortolkning", "added"),
    ("hjul", "afdelingstrappe_trin_1", "periode 2019-2023 → 2024-2027, plads 7", "changed"),
    ("hjul", "afdelingstrappe_trin_1", "periode 2019-2023 → 2024-2027, plads 7, fortolkning", "changed"),
    ("hjul", "afdelingstrappe_trin_1", "titel", "changed"),
    ("hjul", "afdelingstrappe_trin_2", "", "added"),
    ("hjul", "afdelingstrappe_trin_3", "", "added"),
    ("hjul", "afdelingstrappe_trin_4", "", "added"),
    ("hjul", "områdetrappe_trin_1", "fortolkning", "removed"),
    ("hjul", "områdetrappe_trin_1", "periode 2019-2023 → 2024-2027", "changed"),
    ("hjul", "områdetrappe_trin_1", "periode 2019-2023 → 2024-2027, plads 1, fortolkning", "added"),
    ("hjul", "områdetrappe_trin_2", "periode 2019-2023 → 2024-2027", "changed"),
    ("hjul", "ungdomsboliger", "fortolkning", "changed"),
    ("hjul", "ungdomsboliger", "kilde", "changed"),
    ("hjul", "ungdomsboliger", "periode 2019-2023 → 2024-2027", "changed"),
    ("hjul", "ungdomsboliger", "periode 2019-2023 → 2024-2027, plads 3", "changed"),
    ("hjul", "ungdomsboliger", "periode 2019-2023 → 2024-2027, plads 4", "changed"),
    ("hjul", "ungdomsboliger", "periode 2019-2023 → 2024-2027, plads 6", "changed"),
    ("mål", "afdelinger_på_statens_lister", "", "added"),
    ("mål", "afdelinger_trin_3_og_4", "", "added"),
    ("mål", "anvendte_anvisningsboliger", "", "added"),
    ("mål", "anviste_husstande", "", "added"),
    ("mål", "billige_familieboliger", "", "added"),
    ("mål", "billige_ungdomsboliger", "", "added"),
    ("mål", "boliger_på_statens_lister", "", "added"),
    ("mål", "boliger_trin_3_og_4", "", "added"),
    ("mål", "familieboliger_3500_til_5000_kr", "", "added"),
    ("mål", "forebyggelsesområder", "", "added"),
    ("mål", "gennemførte_udsættelser", "", "added"),
    ("mål", "restanceunderretninger", "", "added"),
    ("mål", "udsatte_områder", "", "added"),
    ("mål", "varslede_udsættelser", "", "added"),
    ("mål", "ventetid_gennemsnitlig", "", "added"),
    ("mål", "ventetid_lav_betalingsevne", "", "added"),
    ("parameter", "udsat_dømte", "", "added"),
    ("parameter", "udsat_indkomst", "", "added"),
    ("parameter", "udsat_ledighed", "fortolkning", "removed"),
    ("parameter", "udsat_ledighed", "fra 2019-01-01", "removed"),
    ("parameter", "udsat_ledighed", "fra 2022-12-01", "added"),
    ("parameter", "udsat_ledighed", "kilde", "changed"),
    ("parameter", "udsat_uddannelse", "", "added"),
    ("politik", "koebenhavn", "afløser", "added"),
    ("politik", "koebenhavn", "titel", "changed"),
    ("politik", "koebenhavn", "gyldig fra", "changed"),
    ("politik", "koebenhavn", "gyldig til", "changed"),
    ("politik", "koebenhavn", "version", "changed"),
    ("post", "Afdeling", "felt anviste_andel_ved_start", "added"),
    ("post", "Afdeling", "felt første_tre_anvisninger_realiseret", "added"),
    ("post", "Afdeling", "felt særlig_sikring", "added"),
    ("post", "Afdeling", "felt trin_ved_start", "added"),
    ("post", "Deleboliger", "", "added"),
    ("post", "Flygtningedelebolig", "", "added"),
    ("post", "Gangkollegium", "", "added"),
    ("post", "Genudlejning", "", "added"),
    ("post", "Kollegium", "", "added"),
    ("post", "Nøgletalsdata", "", "added"),
    ("post", "Tilskudsbolig", "", "added"),
    ("post", "Tilskudsboligvurdering", "", "added"),
    ("regel", "anvisning_tilladt.forebyggelsesområde", "fortolkning", "removed"),
    ("regel", "anvisning_tilladt.udsat_område", "fortolkning", "changed"),
    ("regel", "hjul.indrettet_bolig", "", "added"),
    ("regel", "nybyggeri.førstegangsudlejning", "fortolkning", "removed"),
    ("regel", "nybyggeri.førstegangsudlejning", "kilde", "changed"),
    ("regel", "nybyggeri.førstegangsudlejning", "så", "changed"),
    ("regel", "nybyggeri.genudlejning_fire_år", "fortolkning", "changed"),
    ("regel", "nybyggeri.genudlejning_fire_år", "kilde", "changed"),
    ("regel", "nybyggeri.genudlejning_fire_år", "så", "changed"),
    ("regel", "tilskudsbolig_genudlejning.efter_to_år", "", "added"),
    ("regel", "tilskudsbolig_genudlejning.husordensbrud", "", "added"),
    ("regel", "tilskudsbolig_genudlejning.inden_for_to_år", "", "added"),
    ("regel", "tilskudsbolig_mulig.husleje", "", "added"),
    ("regel", "tilskudsbolig_mulig.udpeget_område", "", "added"),
    ("regel", "trappe.afdelingstrappe", "fortolkning", "removed"),
    ("regel", "trappe.afdelingstrappe", "kilde", "changed"),
    ("regel", "trappe.afdelingstrappe", "så", "changed"),
    ("regel", "trappe.områdetrappe_trin_1", "fortolkning", "removed"),
    ("tabel", "figur_12", "", "added"),
    ("tabel", "figur_5", "", "added"),
    ("tabel", "tilskudsplan", "", "added"),
    ("tabel", "udfasningsstart", "", "added"),
    ("undtagelse", "afdelingstrappe_trin_1.fritagelse", "", "added"),
    ("undtagelse", "afdelingstrappe_trin_1.særlig_sikring", "", "added"),
    ("undtagelse", "afdelingstrappe_trin_2.fritagelse", "", "added"),
    ("politik", "koebenhavn", "fortolkning", "changed"),
    ("post", "Afdeling", "felt anviste_andel, fortolkning", "removed"),
    ("post", "Afdeling", "felt dømte, fortolkning", "removed"),
    ("post", "Afdeling", "felt første_tre_anvisninger_realiseret, standardværdi", "added"),
    ("post", "Afdeling", "felt ledighed, fortolkning", "removed"),
    ("post", "Afdeling", "felt særlig_sikring, fortolkning", "added"),
    ("post", "Afdeling", "felt særlig_sikring, standardværdi", "added"),
    ("post", "Afdeling", "felt trin, fortolkning", "removed"),
    ("valg", "Kriterium", "værdi senior", "removed"),
    # issue 12: negotiated numbers as parameters, rules evaluated from figures
    ("beslutning", "C_udpegning", "", "added"),
    ("beslutning", "udslusningsbolig", "", "added"),
    ("definition", "B", "værdi", "changed"),
    ("definition", "dømtekriterium_6_1_6", "", "added"),
    ("definition", "fritaget", "", "added"),
    ("definition", "i_arbejde", "værdi", "changed"),
    ("definition", "i_risikozonen", "", "added"),
    ("definition", "inden_for_afstanden", "", "added"),
    ("definition", "inden_for_personer", "", "added"),
    ("definition", "indretning_giver_bytte", "", "added"),
    ("definition", "partner_tæller", "værdi", "changed"),
    ("definition", "placeret_af_samarbejdsforum", "", "added"),
    ("definition", "realiseret_over_grænsen", "", "added"),
    ("definition", "risiko_dømte", "", "added"),
    ("definition", "risiko_indkomst", "", "added"),
    ("definition", "risiko_ledighed", "", "added"),
    ("definition", "risiko_uddannelse", "", "added"),
    ("definition", "skærpede_i_risikozonen", "værdi", "changed"),
    ("definition", "skærpede_kriterier", "værdi", "changed"),
    ("definition", "skærpet_beskæftigelse", "fortolkning", "changed"),
    ("definition", "skærpet_beskæftigelse", "værdi", "changed"),
    ("definition", "skærpet_dømte", "værdi", "changed"),
    ("definition", "skærpet_indkomst", "fortolkning", "changed"),
    ("definition", "skærpet_indkomst", "kilde", "changed"),
    ("definition", "skærpet_indkomst", "værdi", "changed"),
    ("definition", "skærpet_uddannelse", "værdi", "changed"),
    ("definition", "særlig_sikring_gælder", "", "added"),
    ("fakta", "tilgængelighed", "", "added"),
    ("fakta", "udslusning", "", "added"),
    ("parameter", "B_fortrinsperiode", "", "added"),
    ("parameter", "C_andel_højst", "", "added"),
    ("parameter", "anvisning_højst", "", "added"),
    ("parameter", "anviste_pr_fælleskøkken", "", "added"),
    ("parameter", "beskæftigelse_alder_fra", "", "added"),
    ("parameter", "beskæftigelse_alder_til", "", "added"),
    ("parameter", "dømte_forudgående_år", "", "added"),
    ("parameter", "flygtningedeleboliger_pr_år", "", "added"),
    ("parameter", "forebyggelse_dømte", "", "added"),
    ("parameter", "indkomst_alder_fra", "", "added"),
    ("parameter", "indkomst_alder_til", "", "added"),
    ("parameter", "indretning_beløb", "", "added"),
    ("parameter", "indretning_efter", "", "added"),
    ("parameter", "kriterier_for_udpegning", "", "added"),
    ("parameter", "nybyggeri_billige_anvisning", "", "added"),
    ("parameter", "nybyggeri_særlige_år", "", "added"),
    ("parameter", "risikozone_afstand", "", "added"),
    ("parameter", "risikozone_afstand_ledighed", "", "added"),
    ("parameter", "risikozone_personer", "", "added"),
    ("parameter", "saf_beboergrænse", "", "added"),
    ("parameter", "samlivsperiode_A", "", "added"),
    ("parameter", "samlivsperiode_B", "", "added"),
    ("parameter", "senioralder", "", "added"),
    ("parameter", "særlig_sikring_mindst", "", "added"),
    ("parameter", "tilsagnsramme", "", "added"),
    ("parameter", "tilsagnsramme_udløber", "", "added"),
    ("parameter", "tilskud_fraflytning_periode", "", "added"),
    ("parameter", "tilskud_husleje_fra", "", "added"),
    ("parameter", "tilskud_husleje_til", "", "added"),
    ("parameter", "tilskud_pr_år", "", "added"),
    ("parameter", "timer_fast_arbejde", "", "added"),
    ("parameter", "uddannelse_alder_fra", "", "added"),
    ("parameter", "uddannelse_alder_til", "", "added"),
    ("parameter", "udslusningsboliger_pr_år", "", "added"),
    ("post", "Afdeling", "felt anvist_2019_23", "added"),
    ("post", "Afdeling", "felt anvist_2019_23, fortolkning", "added"),
    ("post", "Afdeling", "felt anviste_forrige_år", "added"),
    ("post", "Afdeling", "felt anviste_forrige_år, fortolkning", "added"),
    ("post", "Afdeling", "felt beboere_i_området", "added"),
    ("post", "Afdeling", "felt beregnede_anvisninger_første_år", "added"),
    ("post", "Afdeling", "felt beregnede_anvisninger_første_år, fortolkning", "added"),
    ("post", "Afdeling", "felt fritaget_ekstra_anvisning, fortolkning", "changed"),
    ("post", "Afdeling", "felt genanvist_indretning", "added"),
    ("post", "Afdeling", "felt genanvist_indretning, fortolkning", "added"),
    ("post", "Afdeling", "felt genanvist_indretning, standardværdi", "added"),
    ("post", "Afdeling", "felt genhuset_ved_renovering", "added"),
    ("post", "Afdeling", "felt genhuset_ved_renovering, standardværdi", "added"),
    ("post", "Afdeling", "felt grundlag_dømte", "added"),
    ("post", "Afdeling", "felt grundlag_dømte, fortolkning", "added"),
    ("post", "Afdeling", "felt grundlag_ledighed", "added"),
    ("post", "Afdeling", "felt grundlag_ledighed, fortolkning", "added"),
    ("post", "Afdeling", "felt grundlag_uddannelse", "added"),
    ("post", "Afdeling", "felt grundlag_uddannelse, fortolkning", "added"),
    ("post", "Afdeling", "felt ledige_forrige_år", "added"),
    ("post", "Afdeling", "felt ledige_forrige_år, fortolkning", "added"),
    ("post", "Afdeling", "felt risikozone", "removed"),
    ("post", "Afdeling", "felt saf_placering", "added"),
    ("post", "Afdeling", "felt saf_placering, fortolkning", "added"),
    ("post", "Afdeling", "felt saf_placering, standardværdi", "added"),
    ("post", "Afdeling", "felt saf_tilslutning_fritagelse", "added"),
    ("post", "Afdeling", "felt saf_tilslutning_fritagelse, fortolkning", "added"),
    ("post", "Afdeling", "felt stillet_til_rådighed_2019_23", "added"),
    ("post", "Afdeling", "felt stillet_til_rådighed_2019_23, fortolkning", "added"),
    ("post", "Indretning", "", "added"),
    ("post", "Område", "felt dømte", "added"),
    ("post", "Område", "felt dømte, fortolkning", "added"),
    ("post", "Person", "felt skattepligtig_i_danmark", "added"),
    ("post", "Person", "felt skattepligtig_i_danmark, fortolkning", "added"),
    ("post", "Person", "felt skattepligtig_i_danmark, standardværdi", "added"),
    ("post", "Tilgængelighed", "", "added"),
    ("post", "Udslusning", "", "added"),
    ("regel", "anvisning_tilladt.udviklingsplan", "fortolkning", "removed"),
    ("regel", "nybyggeri.genudlejning_fire_år", "betingelse", "changed"),
    ("regel", "nybyggeri.trappemodel", "betingelse", "changed"),
    ("regel", "trappe.afdelingstrappe", "betingelse", "changed"),
    ("regel", "trappe.områdetrappe_efter_beslutning", "", "added"),
    ("beslutning", "andele", "fortolkning", "changed"),
    ("beslutning", "andele", "kilde", "changed"),
    ("beslutning", "andele", "værdi", "changed"),
    ("definition", "suspenderet_til_fleksibel", "", "added"),
    ("regel", "hjul.anvisning_suspenderet", "", "added"),
    ("definition", "beskæftigelseskriteriet", "fortolkning", "added"),
    ("definition", "beskæftigelseskriteriet", "kilde", "changed"),
    ("definition", "beskæftigelseskriteriet", "værdi", "changed"),
    ("definition", "fortrinsret_efter", "", "added"),
    ("definition", "fortrinsret_for", "fortolkning", "removed"),
    ("definition", "fortrinsret_for", "værdi", "changed"),
    ("definition", "fortrinsret_til_pladsen", "", "added"),
    ("definition", "grund", "værdi", "changed"),
    ("definition", "kriterier_for_pladsen", "", "added"),
    ("definition", "rang", "værdi", "changed"),
    ("definition", "øvrige_kriterier", "", "added"),
    ("beslutning", "intern_oprykning", "", "added"),
    ("beslutning", "opsigelse", "", "added"),
    ("fakta", "oprykning", "", "added"),
    ("fakta", "opsigelse_varslet", "", "added"),
    ("parameter", "opsigelse_tidligst", "", "added"),
    ("parameter", "opsigelsesvarsel", "", "added"),
    ("post", "Oprykning", "", "added"),
    ("post", "Opsigelse", "", "added"),
    ("regel", "intern_oprykning.anden_afdeling_trin_1_2", "", "added"),
    ("regel", "intern_oprykning.anden_afdeling_trin_3_4", "", "added"),
    ("regel", "intern_oprykning.egen_afdeling", "", "added"),
    ("regel", "intern_oprykning.områdetrappe_indefra", "", "added"),
    ("regel", "intern_oprykning.områdetrappe_udefra", "", "added"),
    ("definition", "overgangsperiode_6_1_6", "fortolkning", "changed"),
    ("parameter", "bilag5_husorden", "fra 2019-01-01", "removed"),
    ("parameter", "bilag5_husorden", "fra 2024-01-01", "added"),
    ("parameter", "bilag5_kontanthjælp", "fra 2019-01-01", "removed"),
    ("parameter", "bilag5_kontanthjælp", "fra 2024-01-01", "added"),
    ("parameter", "bilag5_løsladelse", "fra 2019-01-01", "removed"),
    ("parameter", "bilag5_løsladelse", "fra 2024-01-01", "added"),
    ("parameter", "bilag5_overgangsydelse", "fra 2019-01-01", "removed"),
    ("parameter", "bilag5_overgangsydelse", "fra 2024-01-01", "added"),
    ("parameter", "indflytningsfrist", "fra 2019-01-01", "removed"),
    ("parameter", "indflytningsfrist", "fra 2024-01-01", "added"),
    ("parameter", "kommunens_anvisningsfrist", "fra 2019-01-01", "removed"),
    ("parameter", "kommunens_anvisningsfrist", "fra 2024-01-01", "added"),
    ("parameter", "overgang_senest", "fra 2019-01-01", "removed"),
    ("parameter", "overgang_senest", "fra 2024-01-01", "added"),
    ("parameter", "overgang_år_uden_udpegning", "fra 2019-01-01", "removed"),
    ("parameter", "overgang_år_uden_udpegning", "fra 2024-01-01", "added"),
    ("parameter", "rettidige_dage", "fra 2019-01-01", "removed"),
    ("parameter", "rettidige_dage", "fra 2024-01-01", "added"),
    ("parameter", "returfrist_hverdage", "fra 2019-01-01", "removed"),
    ("parameter", "returfrist_hverdage", "fra 2024-01-01", "added"),
    ("parameter", "tomgangsleje_højst", "fra 2019-01-01", "removed"),
    ("parameter", "tomgangsleje_højst", "fra 2024-01-01", "added"),
    ("post", "Afdeling", "felt hidtidigt_trin", "added"),
    ("post", "Afdeling", "felt hidtidigt_trin, fortolkning", "added"),
    ("post", "Afdeling", "felt udgået_uden_afdelingsdata", "added"),
    ("post", "Afdeling", "felt udgået_uden_afdelingsdata, fortolkning", "added"),
    ("post", "Afdeling", "felt udgået_uden_afdelingsdata, standardværdi", "added"),
    ("regel", "trappe.videreført_udlejning", "", "added"),
    ("definition", "områdetrappe_uden_udpegning", "", "added"),
    ("beslutning", "tilbud_til_flygtning", "", "added"),
    ("beslutning", "udfasning_ved_fraflytning", "", "added"),
    ("beslutning", "ung_målgruppe", "", "added"),
    ("definition", "udfasning_begyndt", "", "added"),
    ("fakta", "flygtningetilbud", "", "added"),
    ("fakta", "fraflytning", "", "added"),
    ("fakta", "ung", "", "added"),
    ("parameter", "ung_alder_fra", "", "added"),
    ("parameter", "ung_alder_til", "", "added"),
    ("post", "Flygtningetilbud", "", "added"),
    ("post", "Fraflytning", "", "added"),
    ("post", "Udfasningsfølge", "", "added"),
    ("post", "Ung", "", "added"),
    ("valg", "Udfasningsbolig", "", "added"),
    ("parameter", "figur_12_10_til_15", "", "added"),
    ("parameter", "figur_12_15_til_20", "", "added"),
    ("parameter", "figur_12_under_10", "", "added"),
    ("definition", "ordnede_ansøgere", "værdi", "changed"),
}

TO_DRAFT = {
    ("hjul", "afdelingstrappe_trin_1", "periode 2024-2027", "changed"),
    ("hjul", "afdelingstrappe_trin_2", "fortolkning", "changed"),
    ("hjul", "afdelingstrappe_trin_2", "periode 2026-2027", "changed"),
    ("hjul", "afdelingstrappe_trin_2", "periode 2026-2027, plads 9", "changed"),
    ("hjul", "afdelingstrappe_trin_2", "periode 2026-2027, plads 9, fortolkning", "changed"),
    ("hjul", "afdelingstrappe_trin_3", "periode 2026-2027", "changed"),
    ("hjul", "afdelingstrappe_trin_4", "periode 2024-2027", "changed"),
    ("hjul", "områdetrappe_trin_1", "periode 2024-2027", "changed"),
    ("hjul", "områdetrappe_trin_2", "periode 2024-2027", "changed"),
    ("hjul", "ungdomsboliger", "periode 2024-2027", "changed"),
    ("parameter", "indkomstgrænse", "fra 2024-12-01", "added"),
    ("parameter", "indkomstgrænse", "fra 2024-12-01, fortolkning", "added"),
    ("parameter", "indkomstgrænse", "fra 2024-12-01, kilde", "added"),
    ("politik", "koebenhavn", "fortolkning", "changed"),
    ("politik", "koebenhavn", "ændrer", "added"),
    ("politik", "koebenhavn", "afløser", "changed"),
    ("politik", "koebenhavn", "titel", "changed"),
    ("politik", "koebenhavn", "gyldig til", "changed"),
    ("politik", "koebenhavn", "version", "changed"),
}


def test_golden_diff_2019_2023_to_2024_2027(old_to_current: list[Change]) -> None:
    assert _tuples(old_to_current) == OLD_TO_2024
    assert len(old_to_current) == len(OLD_TO_2024)  # no part reported twice


def test_golden_2019_texts_and_citations(old_to_current: list[Change]) -> None:
    c = _one(old_to_current, "regel", "trappe.afdelingstrappe", "så")
    assert c.old == '{trappe: "afdelingstrappe", trin: 1}'
    assert c.new == '{trappe: "afdelingstrappe", trin: figur_5}'
    assert c.old_citation is not None and c.old_citation.startswith("§ 5.1; § 6, pkt. 2; Bilag 15, afsnit 3")
    assert c.new_citation == "§ 6, pkt. 2; § 6.2, Figur 5"
    assert c.decisions == ("trappe",)

    c = _one(old_to_current, "definition", "opfylder_A1", "værdi")
    assert c.old == "i_arbejde(p)"
    assert c.new is not None and "p.alder >= senioralder" in c.new
    assert c.old_citation is not None and "det hidtidige seniorkriterium udgår" in c.old_citation

    c = _one(old_to_current, "valg", "Kriterium", "værdi senior")
    assert (c.change, c.old, c.new) == ("removed", "senior", None)

    c = _one(old_to_current, "definition", "behov", "værdi")
    assert c.old == 'hvis afdeling.ledighed > udsat_ledighed så "højt" ellers "lavt"'
    assert (
        c.old_citation is not None
        and "hvor fokus hidtil alene har været på beboernes arbejdsmarkedstilknytning" in (c.old_citation)
    )

    c = _one(old_to_current, "beslutning", "udfasning", "værdi")
    assert (c.old, c.new) == ("intet", "udfasningsstart")
    assert (_one(old_to_current, "beslutning", "udfasning", "type").old) == "dato?"

    # a renamed period is matched in date order, so the diff goes slot by slot
    period = _one(old_to_current, "hjul", "afdelingstrappe_trin_1", "periode 2019-2023 → 2024-2027")
    assert (period.old, period.new) == ("2019-2023: 2019-01-01 – 2023-12-31", "2024-2027: 2024-01-01 – 2027-12-31")
    slot = _one(old_to_current, "hjul", "afdelingstrappe_trin_1", "periode 2019-2023 → 2024-2027, plads 7")
    assert slot.old == "byfornyelsesgenhusning -> venteliste"
    assert slot.new == "kommunal_anvisning -> byfornyelsesgenhusning -> venteliste"
    assert slot.old_citation is not None and "§ 12.1" in slot.old_citation

    youth = _one(old_to_current, "hjul", "ungdomsboliger", "periode 2019-2023 → 2024-2027, plads 3")
    assert (youth.old, youth.new) == ("kommunal_anvisning -> venteliste", "venteliste")

    c = _one(old_to_current, "politik", "koebenhavn", "afløser")
    assert (c.change, c.new) == ("added", "2019-2023")
    for name in ("afdelingstrappe_trin_2", "afdelingstrappe_trin_3", "afdelingstrappe_trin_4"):
        assert _one(old_to_current, "hjul", name, "").change == "added"
    assert _one(old_to_current, "tabel", "figur_5", "").change == "added"


def test_golden_diff_2024_2027_to_draft(current_to_draft: list[Change]) -> None:
    assert _tuples(current_to_draft) == TO_DRAFT
    assert len(current_to_draft) == len(TO_DRAFT)


def test_golden_draft_texts_and_citations(current_to_draft: list[Change]) -> None:
    c = _one(current_to_draft, "hjul", "afdelingstrappe_trin_2", "periode 2026-2027, plads 9")
    assert c.old == "på skift(venteliste, kommunal_anvisning -> byfornyelsesgenhusning -> venteliste)"
    assert c.new == "kommunal_anvisning -> byfornyelsesgenhusning -> venteliste"
    assert c.new_citation is not None and c.new_citation.startswith("§ 6.2.2, Figur 7")
    assert set(c.decisions) >= {"andele", "hjul"}

    c = _one(current_to_draft, "hjul", "afdelingstrappe_trin_2", "periode 2026-2027")
    assert (c.old, c.new) == ("2026-01-01 – 2027-12-31", "2026-01-01 – 2028-06-30")
    c = _one(current_to_draft, "hjul", "ungdomsboliger", "periode 2024-2027")
    assert (c.old, c.new) == ("2024-01-01 – 2027-12-31", "2024-01-01 – 2028-06-30")

    c = _one(current_to_draft, "parameter", "indkomstgrænse", "fra 2024-12-01")
    assert (c.change, c.old, c.new) == ("added", None, "23750 kr")
    assert c.new_citation is not None and "§ 5.2.4, Figur 2" in c.new_citation
    assert set(c.decisions) >= {"fortrinsret"}

    assert _one(current_to_draft, "politik", "koebenhavn", "gyldig til").new == "2028-06-30"
    assert _one(current_to_draft, "politik", "koebenhavn", "version").new == "2024-2028 udkast"
    assert _one(current_to_draft, "politik", "koebenhavn", "ændrer").new == "../2024-2027"


# ---------------------------------------------------------------- (c) impact on the synthetic stock


@pytest.fixture(scope="module")
def stock() -> list[dict]:
    return load_stock(STOCK)


def test_draft_impact_conserves_vacancies(stock: list[dict]) -> None:
    before = simulate(Policy(CURRENT), stock, START, END)
    after = simulate(Policy(DRAFT), stock, START, END)
    assert sum(before.total.values()) == sum(after.total.values())  # exact fractions
    for year in before.per_year.keys() | after.per_year.keys():
        assert sum(before.per_year[year].values()) == sum(after.per_year[year].values()), year
    delta = {k: after.total.get(k, Fraction(0)) - before.total.get(k, Fraction(0)) for k in before.total}
    assert delta["fleksibel"] == 0
    assert delta["kommunal_anvisning"] == -delta["venteliste"] > 0
    assert abs(float(delta["kommunal_anvisning"]) - 52.3) < 0.05  # slot 9 on step 2, 2026 – mid 2028
    assert all(
        delta_year == 0
        for delta_year in (
            after.per_year[y].get("kommunal_anvisning", 0) - before.per_year[y].get("kommunal_anvisning", 0)
            for y in (2024, 2025)
        )
    )


def test_current_against_itself_has_zero_delta(stock: list[dict], capsys: pytest.CaptureFixture[str]) -> None:
    a = simulate(Policy(CURRENT), stock, START, END)
    b = simulate(Policy(CURRENT), stock, START, END)
    assert a.total == b.total and a.per_year == b.per_year
    code, out = _run(
        capsys, "diff", str(CURRENT), str(CURRENT), "--impact", str(STOCK), "--to", "2028-06-30", "--format", "json"
    )
    assert code == 0
    delta = json.loads(out)["impact"]["delta"]
    assert delta["total"] and all(Fraction(v) == 0 for v in delta["total"].values())


# ---------------------------------------------------------------- (d) formats


def test_html_is_one_self_contained_page(capsys: pytest.CaptureFixture[str]) -> None:
    code, page = _run(capsys, "diff", str(CURRENT), str(DRAFT), "--format", "html", "--impact", str(STOCK))
    assert code == 1
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert page.count("<html") == 1 and page.rstrip().endswith("</html>")
    assert "<table" in page and "afdelingstrappe_trin_2" in page
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}|<link\b|<script\b[^>]*\bsrc=|@import|url\(", page, re.I)


def test_markdown_and_json_carry_the_changes(
    current_to_draft: list[Change], capsys: pytest.CaptureFixture[str]
) -> None:
    code, md = _run(capsys, "diff", str(CURRENT), str(DRAFT), "--format", "markdown", "--impact", str(STOCK))
    assert code == 1
    assert md.startswith("# ")
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| ændring")]
    assert len(rows) >= len(current_to_draft)
    for c in current_to_draft:
        assert f"`{c.name}`" in md and c.part in md
    assert "Virkning" in md  # the impact table

    code, out = _run(capsys, "diff", str(CURRENT), str(DRAFT), "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["equivalent"] is False
    assert {(c["kind"], c["name"], c["part"], c["change"]) for c in data["changes"]} == TO_DRAFT
    assert len(data["changes"]) == len(TO_DRAFT)
    assert "impact" not in data  # only with --impact


def _print_golden_sets() -> None:  # pragma: no cover - a maintenance helper
    """Print the golden sets as they are now: `python tests/test_versions.py`, then review and paste."""
    for name, (a, b) in {"OLD_TO_2024": (OLD, CURRENT), "TO_DRAFT": (CURRENT, DRAFT)}.items():
        print(f"{name} = {{")
        for t in sorted(_tuples(diff(dsl.load(a), dsl.load(b)))):
            print(f"    {t!r},".replace("'", '"'))
        print("}\n")


if __name__ == "__main__":  # pragma: no cover
    _print_golden_sets()
