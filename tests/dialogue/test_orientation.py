"""The orientation payload and messages (bot/conversation/orientation.py) on the shipped knowledge files."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot import places
from bot.knowledge import MemoryRepository
from bot.conversation.orientation import build_orientation
from bot.conversation.routing import Profile, route

STRUCTURE_KEYS = {"id", "network", "name", "address", "postcode", "commune", "insee", "phone",
                  "email", "website", "hours", "open_now", "next_opening", "distance_km", "why",
                  "distance_approximate", "verified", "age_notice",
                  "recommended"}


@pytest.fixture(scope="module")
def repository() -> MemoryRepository:
    return MemoryRepository.from_directory()


def test_a_network_with_local_records_gives_the_nearest_structure_first(repository) -> None:
    decision = route(Profile(situation="sans_emploi", age=40, need="emploi"))
    vierzon = places.commune("18279")
    result = build_orientation(decision, vierzon, repository, at=datetime(2026, 11, 23, 10, 0))
    payload = result.payload
    assert payload["type"] == "orientation"
    assert (payload["public"], payload["need"], payload["network"]) == ("demandeur_emploi", "emploi", "france_travail")
    assert payload["commune"] == {"insee": "18279", "name": "Vierzon", "postcode": "18100"}
    first = payload["structures"][0]
    assert set(first) == STRUCTURE_KEYS
    assert first["network"] == "france_travail" and first["commune"] == "Vierzon"
    distances = [s["distance_km"] for s in payload["structures"] if s["network"] == "france_travail"]
    assert distances == sorted(distances)
    assert first["name"] in "\n".join(result.texts)
    assert any(item["phone"] == "0 800 222 100" for item in payload["remote"]), "regional line of Centre-Val de Loire"


def test_without_local_record_the_official_entry_point_and_the_regional_service(repository) -> None:
    # Cap emploi has no open data here: no local record in any of the four regions.
    decision = route(Profile(situation="sans_emploi", age=40, need="emploi", disability=True))
    result = build_orientation(decision, places.commune("18279"), repository)
    assert result.payload["network"] == "cap_emploi"
    assert all(s["network"] != "cap_emploi" for s in result.payload["structures"])
    urls = [item["url"] for item in result.payload["remote"]]
    assert "https://www.agefiph.fr" in urls
    text = "\n".join(result.texts)
    assert "Je n'ai pas encore d'adresse pour ce service près de Vierzon" in text and "0 800 222 100" in text
    assert "France Travail" in text, "the other door is offered"


def test_old_data_is_dated_in_the_payload_and_the_text(repository) -> None:
    """A 2019 record carries its date and the plain notice; phone first, no open/closed."""
    decision = route(Profile(situation="decrocheur", age=17))
    result = build_orientation(decision, places.commune("14047"), repository)  # Bayeux
    first = result.payload["structures"][0]
    assert first["network"] == "cio" and first["verified"] == "2019-07-23"
    assert first["age_notice"] == "Coordonnées de 2019 : appelez avant de vous déplacer."
    assert first["open_now"] is None and first["distance_approximate"] is True
    text = "\n".join(result.texts)
    assert "Coordonnées de 2019 : appelez avant de vous déplacer." in text
    assert "distance approximative" in text


def test_the_commune_may_be_refused(repository) -> None:
    decision = route(Profile(situation="salarie", need="reconversion", commune_refused=True))
    result = build_orientation(decision, None, repository)
    assert result.payload["commune"] is None and result.payload["structures"] == []
    assert result.payload["remote"], "remote options are still given"
    assert "Sans votre commune" in "\n".join(result.texts)


def test_without_a_commune_the_sites_region_gives_the_regional_service(repository) -> None:
    decision = route(Profile(need="reconversion", commune_refused=True))
    on_centre_site = build_orientation(decision, None, repository, home_region="24")
    labels = [item["label"] for item in on_centre_site.payload["remote"]]
    assert labels and all("Pays de la Loire" not in label for label in labels)
    assert any("Centre-Val de Loire" in label for label in labels)
    assert "0 800 222 100" in "\n".join(on_centre_site.texts)


def test_with_no_region_at_all_no_regions_service_is_listed(repository) -> None:
    """A refused commune on a site of no region: no other region's line, nothing invented."""
    decision = route(Profile(need="reconversion", commune_refused=True))
    assert decision.network == "region"
    result = build_orientation(decision, None, repository)
    assert result.payload["remote"] == []
    text = "\n".join(result.texts)
    assert "Centre-Val de Loire" not in text and "Pays de la Loire" not in text
    assert "0 800 222 100" not in text
    assert "Sans votre commune" in text and "site de votre Région" in text


def test_a_commune_in_an_undescribed_region_lists_no_other_region(repository) -> None:
    decision = route(Profile(need="reconversion"))
    result = build_orientation(decision, places.commune("69123"), repository)
    assert result.payload["remote"] == []
    assert "site de votre Région" in "\n".join(result.texts)


def test_no_invented_facts_structures_come_from_the_knowledge_base(repository) -> None:
    decision = route(Profile(need="creation_entreprise", sector="artisanat"))
    result = build_orientation(decision, places.commune("37261"), repository)
    for item in result.payload["structures"]:
        known = repository.structure(item["id"])
        assert known is not None
        assert (item["address"], item["phone"]) == (known.address, known.phone)


def test_messages_are_short_and_use_vous(repository) -> None:
    decision = route(Profile(situation="etudiant", need="orientation_scolaire"))
    result = build_orientation(decision, places.commune("45234"), repository)
    assert all(len(text) < 600 for text in result.texts)
    joined = " ".join(result.texts).lower()
    assert " tu " not in joined and " ton " not in joined


def employee_near(insee: str, repository: MemoryRepository):
    """Issue 20: the CEP operator has no local record; Transitions Pro has one in Olivet."""
    decision = route(Profile(situation="salarie", age=35, need="reconversion"))
    assert (decision.network, decision.also) == ("cep_actifs_occupes", "transitions_pro")
    return build_orientation(decision, places.commune(insee), repository)


@pytest.mark.parametrize("insee", ["37261", "41018"])  # Tours, Blois
def test_without_a_local_record_how_to_reach_the_network_comes_first(insee, repository) -> None:
    result = employee_near(insee, repository)
    structures = result.payload["structures"]
    assert [s["network"] for s in structures] == ["transitions_pro"]
    assert not any(s["recommended"] for s in structures)
    assert not structures[0]["why"].startswith("Autre possibilité"), "the card is labelled by its place"
    # the national locator first, then the regional line
    assert result.payload["remote"][0]["url"] == "https://mon-cep.org"
    assert result.payload["remote"][1]["phone"] == "0 800 222 100"
    texts = result.texts
    assert texts[0].startswith("Je vous propose : Conseil en évolution professionnelle")
    assert "Je n'ai pas encore d'adresse pour ce service près de" in texts[1]
    assert texts[1].index("https://mon-cep.org") < texts[1].index("0 800 222 100")
    assert "Transitions Pro" not in texts[0] + texts[1]
    second = next(t for t in texts if "Transitions Pro" in t)
    assert second.startswith("En second choix, autre possibilité : Transitions Pro.")
    assert texts.index(second) > 1
    assert "Le plus proche : Transitions Pro Centre-Val de Loire, 931 rue de Bourges, 45160 Olivet" in second


def test_the_no_address_sentence_elides_de(repository) -> None:
    assert "près d'Orléans" in "\n".join(employee_near("45234", repository).texts)


def test_a_structure_without_phone_is_not_told_to_be_called() -> None:
    from bot.conversation.orientation import structure_text

    item = {"name": "X", "address": "1 rue A", "postcode": "45160", "commune": "Olivet",
            "phone": "", "email": "contact@example.org", "website": "https://example.org",
            "hours": "", "open_now": None, "next_opening": None, "distance_km": 3.0,
            "distance_approximate": False, "age_notice": ""}
    text = structure_text(item)  # type: ignore[arg-type]
    assert "appelez" not in text and "Site : https://example.org" in text
