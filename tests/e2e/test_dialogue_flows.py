"""Conversation-level behaviour over REST: corrections, skips, restart, questions, never a dead end."""

from __future__ import annotations

import pytest

from tests.conftest import Chat, texts
from tests.e2e.persona_runner import orientation_payload, question_asked

pytestmark = pytest.mark.e2e


def test_a_correction_changes_the_orientation(chat: Chat, sender: str) -> None:
    chat(sender, "je suis au chômage et je cherche du travail")
    chat(sender, "22 ans")
    first = orientation_payload(chat(sender, "Chartres"))
    assert first and first["network"] == "mission_locale"
    corrected = orientation_payload(chat(sender, "non, j'ai 27 ans"))
    assert corrected and corrected["network"] == "france_travail"
    assert corrected["public"] == "demandeur_emploi" and corrected["commune"]["name"] == "Chartres"


def test_everything_in_one_message_gives_the_orientation_at_once(chat: Chat, sender: str) -> None:
    answer = chat(sender, "Bonjour, j'ai 17 ans, j'ai arrêté le lycée et j'habite à Vierzon")
    payload = orientation_payload(answer)
    assert payload and payload["network"] == "cio" and payload["commune"]["insee"] == "18279"
    assert "0 800 222 100" in texts(answer), "the regional line where no local CIO is recorded"


def test_questions_can_be_skipped_and_the_commune_refused(chat: Chat, sender: str) -> None:
    assert question_asked(chat(sender, "je veux changer de métier")) == "situation"
    assert question_asked(chat(sender, "je préfère ne pas répondre")) == "age"
    assert question_asked(chat(sender, "je ne sais pas")) == "commune_insee"
    payload = orientation_payload(chat(sender, "je ne veux pas donner ma commune"))
    assert payload and payload["commune"] is None and payload["remote"]


def test_restart_forgets_everything(chat: Chat, sender: str) -> None:
    chat(sender, "je suis salarié et je veux changer de métier")
    assert "reparti de zéro" in texts(chat(sender, "recommencer"))
    assert question_asked(chat(sender, "je veux trouver un emploi")) == "situation"


def test_a_first_level_question_is_answered_with_its_source_then_orientation_offered(
    chat: Chat, sender: str
) -> None:
    answer = texts(chat(sender, "c'est quoi le CEP ?"))
    assert "Source" in answer and "http" in answer
    assert question_asked(chat(sender, "oui")) in ("need", "situation")


def test_a_question_during_the_form_is_answered_and_the_form_goes_on(chat: Chat, sender: str) -> None:
    chat(sender, "je veux changer de métier")
    answer = chat(sender, "c'est quoi la VAE ?")
    assert "Source" in texts(answer)
    assert question_asked(answer) == "situation"


@pytest.mark.parametrize("text", ["t'es vraiment nul", "hello, do you speak english?",
                                  "donne moi la météo de demain", "qsdfqsdfqsdf"])
def test_never_a_dead_end(chat: Chat, sender: str, text: str) -> None:
    answer = texts(chat(sender, text))
    assert answer
    assert any(word in answer for word in ("personne", "reformuler", "conseiller", "cherchez"))


def test_a_girl_asking_about_mechanics_is_oriented_like_anyone(chat: Chat, sender: str) -> None:
    chat(sender, "je suis une fille de 15 ans, en 3e, et je veux devenir mécanicienne")
    payload = orientation_payload(chat(sender, "Pithiviers"))
    assert payload and payload["network"] == "cio"
    assert "fille" not in " ".join(str(v) for v in payload.values())
