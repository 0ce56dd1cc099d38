"""The age of a record's data, said plainly (bot/knowledge/freshness.py) in every channel."""

from __future__ import annotations

from datetime import date

import pytest

from bot.knowledge.freshness import age_notice, distance_text, is_stale
from bot.advisers.fiche import structure_lines
from bot.advisers.script_aid import proposal

OLD_CIO = {
    "id": "dila-cio-14047-01", "network": "cio", "name": "CIO de Bayeux", "address": "1 rue d'essai",
    "postcode": "14400", "commune": "Bayeux", "phone": "02 31 92 09 22", "hours": "",
    "verified": "2019-07-23", "distance_approximate": True,
    "age_notice": "Coordonnées de 2019 : appelez avant de vous déplacer.", "why": "",
}


@pytest.mark.parametrize(
    ("verified", "today", "stale"),
    [
        (date(2019, 7, 23), date(2026, 12, 6), True),
        (date(2025, 12, 6), date(2026, 12, 6), False),  # exactly 12 months
        (date(2025, 12, 5), date(2026, 12, 6), True),
        (None, date(2026, 12, 6), True),
    ],
)
def test_older_than_the_configured_age(verified, today, stale) -> None:
    assert is_stale(verified, today, 12) is stale


def test_the_notice_in_plain_french_phone_first() -> None:
    today = date(2026, 12, 6)
    assert age_notice(date(2019, 7, 23), True, today, 12) == "Coordonnées de 2019 : appelez avant de vous déplacer."
    assert age_notice(date(2019, 7, 23), False, today, 12) == "Coordonnées de 2019 : vérifiez-les avant de vous déplacer."
    assert age_notice(date(2026, 11, 1), True, today, 12) == ""
    assert age_notice(None, True, today, 12) == "Coordonnées non datées : appelez avant de vous déplacer."


def test_the_age_is_configurable(monkeypatch) -> None:
    monkeypatch.setenv("SPRO_KNOWLEDGE_MAX_AGE_MONTHS", "120")
    assert age_notice(date(2019, 7, 23), True, date(2026, 12, 6)) == ""


def test_a_distance_from_the_commune_is_approximate() -> None:
    assert distance_text(4.2, True) == "À environ 4 km de chez vous (distance approximative, depuis le centre de la commune)."
    assert distance_text(0.3, False) == "À moins d'1 km de chez vous."


def test_the_console_script_aid_and_fiche_say_it() -> None:
    orientation = {"network": "cio", "structures": [OLD_CIO]}
    aid = proposal(orientation, lambda code: code)
    assert "Coordonnées de 2019 : appelez avant de vous déplacer." in aid["details"]
    assert aid["details"].index("Tél. 02 31 92 09 22") < aid["details"].index(OLD_CIO["age_notice"])
    assert "Attention : Coordonnées de 2019 : appelez avant de vous déplacer." in structure_lines(OLD_CIO, lambda c: c)


def test_without_local_record_the_adviser_reads_pas_de_fiche_locale() -> None:
    aid = proposal({"network": "cap_emploi", "structures": []}, lambda code: "Cap emploi")
    assert aid["propose"] == "Proposez : Cap emploi (pas de fiche locale près de la personne)"
    assert "site national du réseau" in aid["details"][0]
