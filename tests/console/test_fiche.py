"""The fiche de liaison, for the Centre seed's young woman on a fixed-term contract."""

from __future__ import annotations

from bot.advisers.fiche import ANONYMOUS, as_html, as_text, build_sections
from bot.advisers.store import ConsoleStore
from tests.console.conftest import CEP_ORIENTATION, YOUNG_WOMAN_PROFILE, YOUNG_WOMAN_WORDS, Clock

NETWORKS = {"cep_actifs_occupes": "Conseil en évolution professionnelle des actifs occupés",
            "mission_locale": "Mission locale"}


def young_woman_call(store: ConsoleStore, clock: Clock):
    call = store.create_call("cmartin")
    call.transcript = [
        {"who": "caller", "text": YOUNG_WOMAN_WORDS},
        {"who": "assistant", "text": "Demandez à la personne ce qu'elle souhaite."},
    ]
    call.profile = dict(YOUNG_WOMAN_PROFILE)
    call.orientation = CEP_ORIENTATION
    call.note = "Information de premier niveau donnée sur le CEP et le CPF."
    clock.advance(minutes=9)
    store.close_call(call, "oriented")
    return call


def test_fiche_of_the_young_woman_on_a_fixed_term_contract(store: ConsoleStore, clock: Clock) -> None:
    call = young_woman_call(store, clock)
    text = as_text(build_sections(call, "Claire Martin", NETWORKS.get))
    assert "Fiche de liaison" in text
    assert "Date : 12/03/2026 à 10 h 05 (durée : 9 min)" in text  # UTC 9:05 is 10:05 in Paris
    assert "Conseiller ou conseillère : Claire Martin" in text
    assert "Issue : Personne orientée vers une deuxième porte" in text
    assert ANONYMOUS in text
    assert "Besoin : career advice" in text
    assert "Situation : employee" in text
    assert "Âge : 24 ; tranche d'âge : 18 25" in text
    assert "Commune : Tours (37000)" in text
    assert "« " + YOUNG_WOMAN_WORDS + " »" in text  # what was said: the CDD is in her words
    assert "Information de premier niveau donnée sur le CEP" in text  # what was done
    second_door = text.index("Deuxième porte proposée :")
    assert text.index("Conseil en évolution professionnelle — agence de Tours "
                      "(Conseil en évolution professionnelle des actifs occupés)") > second_door
    assert "Pourquoi : Vous êtes salariée" in text
    assert text.index("En second choix (autre réseau) :") < text.index("Mission locale de Tours")
    assert "À distance : Mon CEP (service en ligne) (https://mon-cep.org)" in text
    assert "Demandez à la personne" not in text  # the assistant's script is not handed over


def test_fiche_names_the_caller_only_with_consent(store: ConsoleStore, clock: Clock) -> None:
    call = young_woman_call(store, clock)
    call.caller_name, call.caller_contact = "Léa Martin", "06 12 34 56 78"
    assert "Léa Martin" not in as_text(build_sections(call, "Claire Martin"))
    call.consent = True
    text = as_text(build_sections(call, "Claire Martin"))
    assert ANONYMOUS not in text
    assert "Nom : Léa Martin" in text and "Contact : 06 12 34 56 78" in text


def test_adviser_choice_replaces_the_recommendation(store: ConsoleStore, clock: Clock) -> None:
    call = young_woman_call(store, clock)
    call.chosen_structure = dict(CEP_ORIENTATION["structures"][1],
                                 why="Choisie par le conseiller ou la conseillère.")
    text = as_text(build_sections(call, "Claire Martin", NETWORKS.get))
    assert "Deuxième porte proposée (choisie par le conseiller ou la conseillère) :" in text
    assert text.index("Mission locale de Tours") < text.index("Proposée par l'assistant :")


def test_html_fiche_escapes_everything(store: ConsoleStore, clock: Clock) -> None:
    call = young_woman_call(store, clock)
    call.transcript = [{"who": "caller", "text": "<img src=x onerror=alert(1)>"}]
    page = as_html(build_sections(call, "<b>Claire</b>"), "static/fiche.css")
    assert "<img" not in page and "<b>Claire" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.startswith("<!DOCTYPE html><html lang=\"fr\">")


def test_open_call_without_orientation(store: ConsoleStore, clock: Clock) -> None:
    call = store.create_call("cmartin")
    clock.advance(seconds=20)
    text = as_text(build_sections(call, "Claire Martin"))
    assert "Issue : appel en cours" in text
    assert "Pas encore d'orientation." in text
    assert "Besoin : non renseigné" in text


def test_orientation_without_a_local_structure(store: ConsoleStore, clock: Clock) -> None:
    call = young_woman_call(store, clock)
    call.orientation = dict(CEP_ORIENTATION, network="cep_actifs_occupes", structures=[])
    text = as_text(build_sections(call, "Claire Martin", NETWORKS.get))
    assert ("Réseau proposé : Conseil en évolution professionnelle des actifs occupés "
            "(pas de structure locale connue : le joindre à distance, ci-dessous).") in text
    assert "À distance : Mon CEP (service en ligne) (https://mon-cep.org)" in text
    other = store.create_call("pdurand")
    other.orientation = dict(CEP_ORIENTATION, network="mission_locale", structures=[])
    store.close_call(other, "oriented")
    assert store.network_counts() == {"cep_actifs_occupes": 1, "mission_locale": 1}


def test_without_a_local_structure_the_other_network_is_never_the_second_door(
        store: ConsoleStore, clock: Clock) -> None:
    """Issue 20: the CEP has no local record, only the other network's structure is near."""
    call = young_woman_call(store, clock)
    call.orientation = dict(CEP_ORIENTATION, structures=[CEP_ORIENTATION["structures"][1]])
    assert call.second_door() is None and call.second_door_network() == "cep_actifs_occupes"
    text = as_text(build_sections(call, "Claire Martin", NETWORKS.get))
    assert "Deuxième porte proposée" not in text
    proposed = text.index("Réseau proposé : Conseil en évolution professionnelle")
    reach = text.index("À distance : Mon CEP (service en ligne) (https://mon-cep.org)")
    second = text.index("En second choix (autre réseau) :")
    assert proposed < reach < second < text.index("Mission locale de Tours")
