"""Queries: ranking by distance with areas served, regions, sheets, networks, opening hours."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import bot.knowledge as knowledge
from bot.knowledge import MemoryRepository, StructureMatch
from bot.knowledge.hours import HoursError, parse_day, parse_hours


def ids(matches: list[StructureMatch]) -> list[str]:
    return [m.structure.id for m in matches]


def test_area_served_comes_first_then_distance(repo):
    # Tours (37261) is in the EPCI of ml-a: it comes first; ml-c (no area) follows by distance.
    matches = repo.nearest_structures("mission_locale", "37261")
    assert ids(matches) == ["ml-a", "ml-c"]
    assert matches[0].serves_commune and not matches[1].serves_commune
    assert matches[0].distance_km < matches[1].distance_km


def test_structure_whose_area_excludes_the_commune_is_never_proposed(repo):
    # Joué-lès-Tours is in Tours Métropole too; Vierzon only gets ml-d (its area) and nothing from 41/37
    assert ids(repo.nearest_structures("mission_locale", "37122"))[0] == "ml-a"
    assert ids(repo.nearest_structures("mission_locale", "18279")) == ["ml-d", "ml-c"]
    # Bourges is not served by ml-d (Vierzon only) nor ml-b (Loir-et-Cher) nor ml-a (Tours Métropole);
    # ml-c (Amboise) is beyond the default 100 km
    assert repo.nearest_structures("mission_locale", "18033") == []
    assert ids(repo.nearest_structures("mission_locale", "18033", max_distance_km=None)) == ["ml-c"]


def test_departement_area(repo):
    # Romorantin-Lanthenay is in Loir-et-Cher: ml-b serves it although it is far from Blois
    matches = repo.nearest_structures("mission_locale", "41194")
    assert ids(matches)[0] == "ml-b" and matches[0].distance_km > 30


def test_distance_limit_and_limit(repo):
    assert repo.nearest_structures("mission_locale", "29019") == []  # Brest: nothing within 100 km
    assert ids(repo.nearest_structures("mission_locale", "29019", max_distance_km=None)) == ["ml-c"]
    assert len(repo.nearest_structures("mission_locale", "37261", limit=1)) == 1


def test_unknown_network_or_commune(repo):
    assert repo.nearest_structures("cio", "37261") == []
    assert repo.nearest_structures("mission_locale", "99999") == []


def test_real_france_travail_ranking(gazetteer):
    real = MemoryRepository.from_directory(None, gazetteer)
    matches = real.nearest_structures("france_travail", "37122")  # Joué-lès-Tours
    assert matches[0].structure.name == "France Travail Joué-lès-Tours"
    distances = [m.distance_km for m in matches]
    assert distances == sorted(distances) and len(matches) == 3
    vierzon = real.nearest_structures("france_travail", "18279")[0].structure
    assert vierzon.commune == "Vierzon" and vierzon.source and vierzon.verified.year == 2019
    assert real.nearest_structures("cap_emploi", "18279") == []  # no open data: entry points instead
    assert real.network("cap_emploi").entry_points[0].url == "https://www.agefiph.fr"


def test_structure_fields(repo):
    ml = repo.structure("ml-a")
    assert (ml.name, ml.postcode, ml.commune, ml.insee, ml.departement) == (
        "Mission locale test A", "37000", "Tours", "37261", "37")
    assert ml.phone == "02 47 00 00 01" and ml.email and ml.website.startswith("https://")
    assert ml.hours_text == ("Le lundi et le mardi : 9 h – 12 h 30 et 13 h 30 – 17 h ; le mercredi : 9 h – 12 h 30 ; "
                             "le jeudi : 13 h 30 – 17 h ; le vendredi : 9 h – 12 h 30 et 13 h 30 – 16 h. "
                             "Sur rendez-vous le jeudi.")
    assert repo.structure("ml-b").hours is None and repo.structure("ml-b").hours_text == ""


def test_open_now_in_paris_time(repo):
    ml = repo.structure("ml-a")
    assert ml.open_now(datetime(2026, 11, 23, 10, 0)) is True  # Monday 10:00, naive = Paris
    assert ml.open_now(datetime(2026, 11, 23, 12, 45)) is False  # lunch break
    assert ml.open_now(datetime(2026, 11, 25, 14, 0)) is False  # Wednesday afternoon
    assert ml.open_now(datetime(2026, 11, 28, 10, 0)) is False  # Saturday
    assert ml.open_now(datetime(2026, 12, 25, 10, 0)) is False  # exceptional closure (Friday)
    # 08:30 UTC in winter is 09:30 in Paris; 07:30 UTC in summer is 09:30 in Paris
    assert ml.open_now(datetime(2026, 11, 23, 8, 30, tzinfo=timezone.utc)) is True
    assert ml.open_now(datetime(2026, 6, 1, 7, 30, tzinfo=timezone.utc)) is True
    assert ml.open_now(datetime(2026, 6, 1, 6, 30, tzinfo=timezone.utc)) is False
    assert repo.structure("ml-b").open_now() is None  # unknown hours


@pytest.mark.parametrize("bad", ["9-12", "09:00", "12:00-09:00", "09:00-12:00, 11:00-14:00", "25:00-26:00"])
def test_bad_day_hours(bad):
    with pytest.raises(HoursError):
        parse_day(bad)


def test_hours_round_trip_and_closed_days():
    hours = parse_hours({"lundi": "9h00-12h00", "samedi": "fermé", "note": "x"})
    assert parse_hours(hours.as_dict()) == hours
    assert hours.week[5] == () and parse_day("09:00-12:00 et 14:00-17:30")[1][1].minute == 30
    with pytest.raises(HoursError):
        parse_hours({"note": "sur rendez-vous"})


def test_region_for(repo):
    centre = repo.region_for("37261")
    assert centre.code == "24" and centre.name == "Centre-Val de Loire"
    assert centre.phone == "0 800 222 100" and centre.source_for("phone").date.year == 2014
    assert "à vérifier" in centre.source_for("phone").note
    assert repo.region_for("29019").first_level_service == "Accueil personnalisé et individualisé (API)"
    assert repo.region_for("76540").name == "Normandie" and repo.region_for("76540").phone == ""
    assert repo.region_for("72181").website  # Le Mans, Pays de la Loire
    assert repo.region_for("13055") is None  # region not described
    assert repo.region_for("99999") is None
    for region in repo.regions():
        assert region.sources and all(s.date for s in region.sources)
        assert all(f.source for f in region.facts)


def test_networks_and_former_names(repo):
    codes = {n.code for n in repo.networks()}
    assert set(knowledge.REQUIRED_NETWORKS) <= codes
    assert repo.network("nope") is None
    assert repo.find_network("je suis inscrit à Pôle emploi").code == "france_travail"
    assert repo.find_network("j'avais fait un Fongecif").code == "transitions_pro"
    assert repo.find_network("quelle Mission locale pour Vierzon ?").code == "mission_locale"
    assert repo.find_network("le BIJ de ma ville").code == "information_jeunesse"
    assert repo.find_network("bonjour") is None
    for network in repo.networks():
        for entry in network.entry_points:
            assert entry.url.startswith("https://") or entry.phone


def test_sheets(repo):
    assert repo.sheet("cpf").source_url == "https://www.moncompteformation.gouv.fr"
    assert repo.find_sheets("comment utiliser mon CPF ?")[0].code == "cpf"
    assert repo.find_sheets("c'est quoi le CEP ?")[0].code == "cep"
    assert repo.find_sheets("je veux faire une VAE")[0].code == "vae"
    assert repo.find_sheets("rien à voir") == []
    for sheet in repo.sheets():
        assert sheet.source_url.startswith("https://") and sheet.reviewed
        assert "vous" in sheet.answer.lower() and " tu " not in f" {sheet.answer.lower()} "
        assert len(sheet.answer) < 900


def test_get_and_set_repository(repo, sqlite_url, monkeypatch):
    monkeypatch.setenv("SPRO_DATABASE_URL", sqlite_url)
    knowledge.set_repository(None)
    try:
        built = knowledge.get_repository()
        assert isinstance(built, knowledge.SqlRepository) and built.url == sqlite_url
        assert knowledge.get_repository() is built
        knowledge.set_repository(repo)
        assert knowledge.get_repository() is repo
    finally:
        knowledge.set_repository(None)


def test_communes_without_coordinates(repo):
    # Celles (Cantal), a 2026 commune without a La Poste point: its postcode neighbours stand in
    assert [m.structure.id for m in repo.nearest_structures("mission_locale", "15031", max_distance_km=None)]
    assert repo.nearest_structures("mission_locale", "98901", max_distance_km=None) == []  # Clipperton


def test_indexed_nearest_matches_a_full_scan(knowledge_copy, small_knowledge, gazetteer):
    import random
    import shutil

    from bot.places.geo import haversine_km

    shutil.copy(small_knowledge / "structures" / "test.yaml", knowledge_copy / "structures" / "test.yaml")
    repo = MemoryRepository.from_directory(knowledge_copy, gazetteer)

    def full_scan(network, insee, limit=3, max_km=100.0):
        commune = gazetteer.commune(insee)
        lat0, lon0 = repo._point(commune)
        ranked = []
        for s in repo.structures(network):
            serves = not s.area.is_empty
            if serves and not s.area.covers(commune):
                continue
            distance = haversine_km(lat0, lon0, s.latitude, s.longitude)
            if serves or max_km is None or distance <= max_km:
                ranked.append((not serves, distance, s.id))
        return [(sid, round(d, 1), not far) for far, d, sid in sorted(ranked)[:limit]]

    random.seed(3)
    communes = [c.insee for c in random.sample(gazetteer.communes, 400)] + ["37122", "18279", "41018", "75115"]
    for network in ("france_travail", "mission_locale", "cidff", "transitions_pro", "cci"):
        for insee in communes:
            for max_km in (100.0, 30.0, None):
                got = [(m.structure.id, m.distance_km, m.serves_commune)
                       for m in repo.nearest_structures(network, insee, 3, max_km)]
                assert got == full_scan(network, insee, 3, max_km), (network, insee, max_km)
