"""The structure payload's hours fields and the competent structure's reason."""

from __future__ import annotations

from datetime import datetime

from bot.knowledge.model import StructureMatch
from bot.conversation.orientation import COMPETENT, structure_item, structure_text


def test_next_opening_and_open_now_in_the_payload(repo):
    """Next opening and open now in the payload."""
    ml = repo.structure("ml-a")
    saturday = structure_item(
        StructureMatch(ml, 1.0), "Parce que.", datetime(2026, 11, 28, 10, 0)
    )
    assert (
        saturday["open_now"] is False
        and saturday["next_opening"] == "ouvre lundi à 9 h"
    )
    assert "fermé en ce moment, ouvre lundi à 9 h" in structure_text(saturday)
    monday = structure_item(
        StructureMatch(ml, 1.0), "Parce que.", datetime(2026, 11, 23, 10, 0)
    )
    assert monday["open_now"] is True and monday["next_opening"] == ""
    lunch = structure_item(StructureMatch(ml, 1.0), "", datetime(2026, 11, 23, 12, 45))
    assert lunch["next_opening"] == "ouvre aujourd'hui à 13 h 30"
    christmas_eve = structure_item(
        StructureMatch(ml, 1.0), "", datetime(2026, 12, 24, 18, 0)
    )
    assert (
        christmas_eve["next_opening"] == "ouvre lundi à 9 h"
    )  # 25 closed, then the week-end
    unknown = structure_item(
        StructureMatch(repo.structure("ml-b"), 1.0), "", datetime(2026, 11, 28, 10, 0)
    )
    assert unknown["open_now"] is None and unknown["next_opening"] == ""


def test_competent_structure_is_said_in_why(repo):
    """Competent structure is said in why."""
    matches = repo.nearest_structures(
        "mission_locale", "37122"
    )  # Joué-lès-Tours, in Tours Métropole
    assert matches[0].structure.id == "ml-a" and matches[0].serves_commune
    item = structure_item(matches[0], "Pour l'emploi des jeunes.", None)
    assert item["why"] == f"Pour l'emploi des jeunes. {COMPETENT}"
    nearest = [
        m
        for m in repo.nearest_structures("mission_locale", "37003")
        if not m.serves_commune
    ]
    assert nearest and COMPETENT not in structure_item(nearest[0], "x", None)["why"]
