"""Importers of the national directories, on fixtures in each source's format."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from bot.runtime.cli import main
from bot.knowledge.files import check_directory
from bot.knowledge.importers import ImportInputError, import_source
from bot.knowledge.importers.merge import address_key, dump_structures
from bot.knowledge.repository import MemoryRepository

DATA = Path(__file__).parent / "data" / "directories"
TODAY = date(2026, 11, 29)


def run(source: str, name: str, folder: Path, gazetteer, dry_run: bool = False):
    """Import one fixture of the directories folder."""
    return import_source(
        source, DATA / name, folder, gazetteer, dry_run=dry_run, today=TODAY
    )


def records(folder: Path, network: str) -> dict[str, dict]:
    """The records of one structures file, by id."""
    path = folder / "structures" / f"{network}.yaml"
    if not path.exists():
        return {}
    return {
        r["id"]: r
        for r in yaml.safe_load(path.read_text(encoding="utf-8"))["structures"]
    }


def test_dila_export(knowledge_copy, gazetteer):
    """Dila export."""
    report = run("dila", "dila_export.json", knowledge_copy, gazetteer)
    assert report.ok and report.read == 7
    assert sorted(c.id for c in report.added) == [
        "dila-0a1b2c3d-0000-4000-8000-000000000001",
        "dila-0a1b2c3d-0000-4000-8000-000000000002",
        "dila-0a1b2c3d-0000-4000-8000-000000000006",
    ]
    assert report.ignored == {"mairie": 1}
    reasons = {r.position.split(" (")[0]: r.reason for r in report.rejected}
    assert (
        "futur" in reasons["enregistrement n° 4"]
        and "commune introuvable" in reasons["enregistrement n° 5"]
    )
    cio = records(knowledge_copy, "cio")["dila-0a1b2c3d-0000-4000-8000-000000000001"]
    # the physical address, not the postal one with its CEDEX postcode and BP
    assert (cio["address"], cio["postcode"], cio["insee"]) == (
        "Bâtiment Essai, 1 rue de l'Essai",
        "37000",
        "37261",
    )
    assert cio["area_served"] == {"communes": ["37122", "37214", "37261"]}
    assert (
        cio["hours"]["lundi"] == "09:00-12:30, 13:30-17:00"
        and "mercredi" not in cio["hours"]
    )
    assert (
        cio["verified"] == date(2025, 3, 12)
        and "fiche 0a1b2c3d-0000-4000-8000-000000000001" in cio["source"]
    )
    assert (
        cio["phone"] == "02 00 00 00 01"
        and cio["website"] == "https://cio-test.example.fr"
    )
    ml = records(knowledge_copy, "mission_locale")[
        "dila-0a1b2c3d-0000-4000-8000-000000000002"
    ]
    assert (
        "latitude" not in ml
    )  # missing coordinates: the commune's point is used at load
    repo = MemoryRepository.from_directory(knowledge_copy, gazetteer)
    loaded = repo.structure("dila-0a1b2c3d-0000-4000-8000-000000000002")
    assert loaded.latitude == gazetteer.commune("41018").latitude


def test_dila_dedup_keeps_newest_data_and_both_sources(knowledge_copy, gazetteer):
    """Dila dedup keeps newest data and both sources."""
    report = run("dila", "dila_export.json", knowledge_copy, gazetteer)
    assert [c.id for c in report.changed] == ["cidff-37261-01"]
    cidff = records(knowledge_copy, "cidff")["cidff-37261-01"]
    assert cidff["phone"] == "02 00 00 00 07" and cidff["verified"] == date(2025, 6, 20)
    assert (
        "fiche 0a1b2c3d-0000-4000-8000-000000000007" in cidff["source"]
        and "cidf-37261-01" in cidff["source"]
    )
    # no e-mail in the new source: the old one stays; the old note went with old data
    assert cidff["email"] == "cidf37@wanadoo.fr" and "note" not in cidff
    again = run("dila", "dila_export.json", knowledge_copy, gazetteer)
    assert not again.added and not again.changed and again.unchanged == 4


def test_staff_verified_record_is_never_overwritten(knowledge_copy, gazetteer):
    """Staff verified record is never overwritten."""
    path = knowledge_copy / "structures" / "cidff.yaml"
    cidff = list(records(knowledge_copy, "cidff").values())
    cidff[[r["id"] for r in cidff].index("cidff-37261-01")].update(
        verified=date(2026, 2, 1), note="vérifié par téléphone"
    )
    path.write_text(dump_structures(cidff, "cidff"), encoding="utf-8")
    before = records(knowledge_copy, "cidff")["cidff-37261-01"]
    assert before["verified"] == date(2026, 2, 1)
    report = run("dila", "dila_export.json", knowledge_copy, gazetteer)
    assert not report.changed and any(
        k.startswith("cidff-37261-01") for k in report.kept
    )
    assert records(knowledge_copy, "cidff")["cidff-37261-01"] == before


def test_dila_api_answer_reads_json_encoded_fields(knowledge_copy, gazetteer):
    """Dila api answer reads json encoded fields."""
    report = run("dila", "dila_api_page1.json", knowledge_copy, gazetteer)
    assert [c.id for c in report.added] == ["dila-0a1b2c3d-0000-4000-8000-000000000001"]
    assert records(knowledge_copy, "cio")["dila-0a1b2c3d-0000-4000-8000-000000000001"][
        "area_served"
    ]


def test_dry_run_writes_nothing(knowledge_copy, gazetteer):
    """Dry run writes nothing."""
    before = {p.name: p.read_bytes() for p in (knowledge_copy / "structures").iterdir()}
    report = run("dila", "dila_export.json", knowledge_copy, gazetteer, dry_run=True)
    assert len(report.added) == 3 and not report.written
    assert {
        p.name: p.read_bytes() for p in (knowledge_copy / "structures").iterdir()
    } == before


def test_education_csv_and_json(knowledge_copy, gazetteer):
    """Education csv and json."""
    report = run("education", "education_cio.csv", knowledge_copy, gazetteer)
    assert sorted(c.id for c in report.added) == ["educ-0289999b", "educ-0379999a"]
    assert [str(r) for r in report.rejected] == [
        "ligne 4 : 73 colonnes au lieu de 72 (colonnes décalées : "
        "un « ; » en trop ou manquant dans une valeur ?)"
    ]
    assert report.ignored == {"Collège": 1, "CIO a fermer": 1}
    cio = records(knowledge_copy, "cio")["educ-0379999a"]
    assert (
        cio["insee"] == "37261"
        and cio["email"] == "ce.0379999a@example.fr"
        and cio["latitude"] == 47.3901
    )
    again = run("education", "education_cio.json", knowledge_copy, gazetteer)
    assert again.unchanged == 2 and not again.added and not again.rejected


def test_same_cio_from_two_sources_is_one_record(knowledge_copy, gazetteer):
    """Same cio from two sources is one record."""
    run("dila", "dila_export.json", knowledge_copy, gazetteer)
    report = run("education", "education_cio.csv", knowledge_copy, gazetteer)
    assert [c.id for c in report.changed] == [
        "dila-0a1b2c3d-0000-4000-8000-000000000001"
    ]
    cio = records(knowledge_copy, "cio")
    assert "educ-0379999a" not in cio
    merged = cio["dila-0a1b2c3d-0000-4000-8000-000000000001"]
    assert "Annuaire de l'éducation" in merged["source"] and "DILA" in merged["source"]
    assert (
        merged["verified"] == date(2025, 9, 30) and merged["area_served"]
    )  # competence kept


def test_data_inclusion_rules_and_osm_hours(knowledge_copy, gazetteer):
    """Data inclusion rules and osm hours."""
    run("dila", "dila_export.json", knowledge_copy, gazetteer)
    report = run(
        "data-inclusion", "data_inclusion_structures.json", knowledge_copy, gazetteer
    )
    rejected = {r.position: r.reason for r in report.rejected}
    assert "OpenStreetMap" in rejected["structure n° 3 (id « ml-test-bad-hours »)"]
    assert "point" in rejected["structure n° 4 (id « ml-test-bad-name »)"]
    assert "5 chiffres" in rejected["structure n° 4 (id « ml-test-bad-name »)"]
    assert report.ignored == {"ccas-cias": 1}
    # the Mission locale and Cap emploi of the DILA fixture, newer in data·inclusion
    assert sorted(c.id for c in report.changed) == [
        "dila-0a1b2c3d-0000-4000-8000-000000000002",
        "dila-0a1b2c3d-0000-4000-8000-000000000006",
    ]
    assert not report.added
    repo = MemoryRepository.from_directory(knowledge_copy, gazetteer)
    ml = repo.structure("dila-0a1b2c3d-0000-4000-8000-000000000002")
    assert "data·inclusion" in ml.source and "DILA" in ml.source
    assert ml.hours.osm.startswith("Mo-Tu,Th-Fr")
    assert ml.hours_text.startswith(
        "Le lundi et le mardi : 8 h 30 – 12 h 30 et 13 h 30 – 17 h ; le mercredi"  # noqa: RUF001 - French typography
    )
    assert ml.open_now(datetime(2026, 12, 2, 15, 0)) is False  # Wednesday afternoon
    assert ml.next_opening(datetime(2026, 12, 2, 15, 0)) == "ouvre demain à 8 h 30"
    assert ml.open_now(datetime(2026, 12, 25, 10, 0)) is False  # Christmas (PH off)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"service": [{"id": "x", "nom": "tronqu', "tronqué"),
        ('{"service": [{"nom": "Mission locale \xe9"}]}'.encode("latin-1"), "UTF-8"),
        (b'{"autre": []}', "ni un export"),
    ],
)
def test_unreadable_input_changes_nothing(
    knowledge_copy, gazetteer, tmp_path, content, expected
):
    """Unreadable input changes nothing."""
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    before = {p.name: p.read_bytes() for p in (knowledge_copy / "structures").iterdir()}
    with pytest.raises(ImportInputError, match=expected):
        import_source("dila", bad, knowledge_copy, gazetteer)
    assert {
        p.name: p.read_bytes() for p in (knowledge_copy / "structures").iterdir()
    } == before


def test_data_inclusion_unknown_network_code_is_refused_with_its_position(
    knowledge_copy, gazetteer, tmp_path
):
    """A ``reseaux_porteurs`` value outside the referential's shape is named."""
    items = json.loads((DATA / "data_inclusion_structures.json").read_text("utf-8"))
    items[1]["reseaux_porteurs"] = ["Cap Emploi"]
    bad = tmp_path / "structures.json"
    bad.write_text(json.dumps(items), encoding="utf-8")
    report = import_source(
        "data-inclusion", bad, knowledge_copy, gazetteer, today=TODAY
    )
    assert str(report.rejected[0]).startswith(
        "structure n° 2 (id « cap-test-18 ») : code de réseau « Cap Emploi » inconnu"
    )


def test_csv_without_expected_columns(knowledge_copy, gazetteer, tmp_path):
    """Csv without expected columns."""
    bad = tmp_path / "bad.csv"
    bad.write_text("nom;adresse\nCIO;1 rue\n", encoding="utf-8")
    with pytest.raises(
        ImportInputError, match=r"colonne.*identifiant_de_l_etablissement"
    ):
        import_source("education", bad, knowledge_copy, gazetteer)


def test_address_key_ignores_punctuation_order_and_abbreviations():
    """Address key ignores punctuation order and abbreviations."""
    assert address_key("cio", "37261", "Bâtiment A, 1 bd de l'Essai") == address_key(
        "cio",
        "37261",
        "1 boulevard de l’Essai - bâtiment A",  # noqa: RUF001 - French typography
    )


def test_cli_import_dry_run_and_report(knowledge_copy, tmp_path, capsys):
    """Cli import dry run and report."""
    report_path = tmp_path / "report.json"
    code = main(
        [
            "import",
            "dila",
            str(DATA / "dila_export.json"),
            "--dir",
            str(knowledge_copy),
            "--dry-run",
            "--report",
            str(report_path),
        ]
    )
    out = capsys.readouterr().out
    assert (
        code == 0
        and "essai à blanc" in out
        and "Ajoutés : 3" in out
        and "Refusés :" in out
    )
    logged = json.loads(report_path.read_text(encoding="utf-8"))
    assert len(logged["added"]) == 3 and logged["rejected"][0]["position"].startswith(
        "enregistrement n° "
    )
    assert check_directory(knowledge_copy).ok


def test_cli_import_refuses_unreadable_file(knowledge_copy, tmp_path, capsys):
    """Cli import refuses unreadable file."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"service": [', encoding="utf-8")
    assert main(["import", "dila", str(bad), "--dir", str(knowledge_copy)]) == 1
    assert "Import refusé : JSON illisible ligne 1" in capsys.readouterr().out


def test_transitions_pro_from_shared_data(knowledge_copy, gazetteer):
    """Transitions pro from shared data."""
    from bot import config

    source = (
        config.shared_data_dir() / "sources" / "transitions_pro_associations_2022.js"
    )
    if not source.exists():
        pytest.skip("données partagées absentes")
    report = import_source(
        "transitions-pro", source, knowledge_copy, gazetteer, today=TODAY
    )
    assert report.ok and not report.rejected
    cvl = records(knowledge_copy, "transitions_pro")["transitions-pro-24-45160"]
    assert cvl["area_served"] == {"departements": ["18", "28", "36", "37", "41", "45"]}


def test_no_fixture_reaches_the_knowledge_files():
    """No fixture reaches the knowledge files."""
    from bot import config

    for path in (config.PROJECT_ROOT / "knowledge" / "structures").glob("*.y*ml"):
        text = path.read_text(encoding="utf-8")
        assert (
            "rue de l'Essai" not in text
            and "example.fr" not in text
            and "de Test" not in text
        ), path


def test_an_import_that_breaks_the_check_writes_nothing(
    knowledge_copy, tmp_path, capsys
):
    """An import that breaks the check writes nothing."""
    service = json.loads((DATA / "dila_export.json").read_text(encoding="utf-8"))[
        "service"
    ][1]
    service["adresse"][0]["code_postal"] = "45000"  # Blois (41) with a Loiret postcode
    bad = tmp_path / "export.json"
    bad.write_text(json.dumps({"service": [service]}), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in (knowledge_copy / "structures").iterdir()}
    assert main(["import", "dila", str(bad), "--dir", str(knowledge_copy)]) == 1
    out = capsys.readouterr().out
    assert "Import annulé" in out and "mission_locale.yaml" in out and "45000" in out
    assert {
        p.name: p.read_bytes() for p in (knowledge_copy / "structures").iterdir()
    } == before
