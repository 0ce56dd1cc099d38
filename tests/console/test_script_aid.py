"""The console's « Proposez » and the call-back items (bot/advisers/script_aid.py)."""

from __future__ import annotations

import pytest

from bot import places
from bot.advisers.script_aid import proposal
from bot.conversation.orientation import build_orientation, network_name
from bot.conversation.routing import Profile, route
from bot.knowledge import MemoryRepository


@pytest.fixture(scope="module")
def repository() -> MemoryRepository:
    return MemoryRepository.from_directory()


def test_the_other_network_is_never_proposed_as_the_recommended_one(repository) -> None:
    """Issue 20: CEP for an employee in Tours, only Transitions Pro has a record near."""
    decision = route(Profile(situation="salarie", age=35, need="reconversion"))
    result = build_orientation(decision, places.commune("37261"), repository)
    aid = proposal(dict(result.payload), lambda code: network_name(repository, code))
    assert aid is not None
    assert aid["propose"].startswith("Proposez : Conseil en évolution professionnelle")
    assert "Transitions Pro" not in aid["propose"] + " ".join(aid["details"]) + aid["why"]
    assert aid["details"][0] == ("Pour le joindre : Mon-CEP.org, pour trouver son conseiller "
                                 "près de chez soi : https://mon-cep.org")
    assert "0 800 222 100" in aid["details"][1]
    assert aid["secondary"] == ("En second choix, si besoin : Transitions Pro — Transitions Pro "
                                "Centre-Val de Loire, 931 rue de Bourges 45160 Olivet, "
                                "à environ 103,3 km")


def test_a_local_recommended_structure_is_proposed_first(repository) -> None:
    decision = route(Profile(situation="sans_emploi", age=40, need="emploi"))
    result = build_orientation(decision, places.commune("18279"), repository)
    aid = proposal(dict(result.payload), lambda code: network_name(repository, code))
    assert aid is not None and aid["propose"].startswith("Proposez : ")
    first = result.payload["structures"][0]
    assert first["recommended"] and first["name"] in aid["propose"]
