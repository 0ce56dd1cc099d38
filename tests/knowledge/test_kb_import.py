"""Import of the shared open data: gazetteer -> place data, CVL structures -> knowledge files."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot import config
from bot.knowledge.files import check_directory
from bot.knowledge.importer import france_travail_name, import_places, import_structures
from bot.places import Gazetteer

DATA = Path(__file__).parent / "data" / "shared"  # real rows extracted from ../shared/data


@pytest.fixture
def imported(tmp_path: Path):
    places = tmp_path / "communes.csv.gz"
    count = import_places(DATA, places)
    gazetteer = Gazetteer.from_file(places)
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for name in ("networks.yaml", "regions.yaml", "sheets.yaml"):
        shutil.copy(config.PROJECT_ROOT / "knowledge" / name, folder / name)
    counts = import_structures(DATA, folder / "structures", gazetteer)
    return count, gazetteer, folder, counts


def load(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["structures"]


def test_places_file(imported):
    count, gazetteer, _folder, _counts = imported
    assert count == 13
    joue = gazetteer.resolve("joue les tours").commune
    assert (joue.insee, joue.postcodes, joue.departement_name, joue.region_name) == (
        "37122", ("37300",), "Indre-et-Loire", "Centre-Val de Loire")
    assert gazetteer.commune("75115").kind == "arrondissement" and gazetteer.commune("75115").parent_insee == "75056"


def test_structures_are_imported_with_source_and_date(imported, gazetteer):
    _count, _small, folder, counts = imported
    assert counts == {"france_travail": 4, "cci": 1, "cma": 1, "chambre_agriculture": 0, "cidff": 1}
    assert sorted(p.name for p in (folder / "structures").iterdir()) == [
        "cci.yaml", "chambre_agriculture.yaml", "cidff.yaml", "cma.yaml", "france_travail.yaml"]
    ft = {r["id"]: r for r in load(folder / "structures" / "france_travail.yaml")}
    assert {r["name"] for r in ft.values()} == {
        "France Travail Vierzon", "France Travail Amboise", "France Travail Saint-Pierre-des-Corps",
        "France Travail Orléans Ouest"}
    vierzon = next(r for r in ft.values() if r["name"] == "France Travail Vierzon")
    assert vierzon["insee"] == "18279" and vierzon["commune"] == "Vierzon" and vierzon["postcode"] == "18100"
    assert vierzon["verified"] == date(2019, 11, 13) and "Pôle emploi de 2019" in vierzon["source"]
    cma = load(folder / "structures" / "cma.yaml")[0]
    assert cma["id"] == "cma-18033-01" and cma["verified"] == date(2019, 1, 30)
    assert "service-public.fr" in cma["source"] and cma["address"] == "Délégation du Cher, 15 rue Henri-Dunant, CS 80345"
    assert cma["phone"] == "02 48 69 70 71"
    cidff = load(folder / "structures" / "cidff.yaml")[0]
    assert cidff["network"] == "cidff" and cidff["commune"] == "Tours"
    text = "".join(p.read_text(encoding="utf-8") for p in (folder / "structures").iterdir())
    for excluded in ("Afpa", "Cicas", "Maison de justice", "&id"):
        assert excluded not in text
    result = check_directory(folder, gazetteer)
    assert result.errors == [], [str(e) for e in result.errors]
    assert len(result.knowledge.structures) == 7


def test_reimport_keeps_staff_updates_and_additions(imported):
    _count, gazetteer, folder, _counts = imported
    path = folder / "structures" / "cci.yaml"
    records = load(path)
    records[0].update(phone="02 48 00 00 00", verified=date(2026, 2, 1), source="Appel de l'équipe le 01/02/2026")
    records.append({"id": "cci-extra", "network": "cci", "name": "Antenne ajoutée", "address": "1 rue X",
                    "postcode": "18000", "insee": "18033", "source": "Équipe", "verified": date(2026, 2, 1)})
    path.write_text(yaml.safe_dump({"structures": records}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cma = folder / "structures" / "cma.yaml"
    stale = load(cma)
    stale[0]["name"] = "modifié sans vérification"
    cma.write_text(yaml.safe_dump({"structures": stale}, allow_unicode=True, sort_keys=False), encoding="utf-8")

    import_structures(DATA, folder / "structures", gazetteer)
    again = {r["id"]: r for r in load(path)}
    assert again["cci-18033-01"]["phone"] == "02 48 00 00 00"  # staff verified it after the source date
    assert "cci-extra" in again
    assert load(cma)[0]["name"] == "Chambre de métiers et de l'artisanat (CMA) - Cher"  # refreshed from source


def test_france_travail_names(imported):
    gazetteer = imported[1]
    assert france_travail_name("APE VIERZON", "18279", gazetteer) == "France Travail Vierzon"
    assert france_travail_name("DT 45 LOIRET / PE ORLEANS OUEST", "45169", gazetteer) == "France Travail Orléans Ouest"
    assert france_travail_name("POLE EMPLOI VIERZON", "18279", gazetteer) == "France Travail Vierzon"


def test_committed_place_data_matches_the_shared_gazetteer(gazetteer):
    """The committed file is the import of ../shared/data (skipped where that folder is absent)."""
    source = config.shared_data_dir() / "communes_france_2026.csv"
    if not source.exists():
        pytest.skip("données partagées absentes")
    with open(source, encoding="utf-8") as handle:
        assert sum(1 for _ in handle) - 1 == len(gazetteer.communes) == 35014
