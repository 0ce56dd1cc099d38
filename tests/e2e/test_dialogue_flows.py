"""Conversation-level behaviour over REST: corrections, skips, restart, questions, never a dead end."""

from __future__ import annotations

import pytest

from tests.conftest import Chat, texts
from bot.evaluation.personas import orientation_payload, question_asked

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
    answer = chat(sender, "je ne veux pas donner ma commune")
    payload = orientation_payload(answer)
    assert payload and payload["commune"] is None
    # No commune and no site region: no region's service is guessed (issue 20 item 5),
    # the text says where to find one.
    assert payload["remote"] or "site de votre Région" in texts(answer), texts(answer)


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
    assert any(word in answer for word in ("personne", "person", "reformuler", "conseiller", "cherchez", "Vouliez-vous dire"))


def test_a_girl_asking_about_mechanics_is_oriented_like_anyone(chat: Chat, sender: str) -> None:
    chat(sender, "je suis une fille de 15 ans, en 3e, et je veux devenir mécanicienne")
    payload = orientation_payload(chat(sender, "Pithiviers"))
    assert payload and payload["network"] == "cio"
    assert "fille" not in " ".join(str(v) for v in payload.values())


def test_a_question_is_never_asked_a_third_time(chat: Chat, sender: str) -> None:
    assert question_asked(chat(sender, "j'ai besoin d'aide")) == "need"
    assert question_asked(chat(sender, "des conseils")) == "need"
    third = chat(sender, "des conseils")
    assert question_asked(third) != "need"
    assert "un service qui vous écoute" in texts(third)


def test_an_ambiguous_postcode_twice_gives_its_most_populous_commune(chat: Chat, sender: str) -> None:
    chat(sender, "je suis au chômage, j'ai 40 ans et je cherche un emploi")
    assert "Plusieurs communes" in texts(chat(sender, "36100"))
    answer = chat(sender, "36100")
    assert "Je retiens Issoudun" in texts(answer)
    payload = orientation_payload(answer)
    assert payload and payload["commune"]["insee"] == "36088"


def test_facts_given_out_of_turn_are_acknowledged_and_the_question_reworded(chat: Chat, sender: str) -> None:
    assert question_asked(chat(sender, "je cherche du travail")) == "situation"
    answer = texts(chat(sender, "22 ans"))
    assert "C'est noté : 22 ans." in answer and "Quelle est votre situation" not in answer
    assert "vous êtes plutôt" in answer


def test_english_goes_on_to_an_orientation_in_english(chat: Chat, sender: str) -> None:
    first = texts(chat(sender, "Hello, I am 22 and I am looking for a job"))
    assert "Let's go on in English" in first and "Au revoir" not in first
    assert "In which town do you live" in first, "age, situation and need understood in English"
    payload = orientation_payload(chat(sender, "Tours"))
    assert payload and payload["network"] == "mission_locale"


def test_another_language_is_answered_in_french_and_in_that_language(chat: Chat, sender: str) -> None:
    answer = texts(chat(sender, "Hola, busco trabajo en Tours"))
    assert "Je réponds en français" in answer and "Respondo en francés" in answer


def test_after_the_cpf_sheet_an_employee_is_sent_to_the_cep(chat: Chat, sender: str) -> None:
    assert "Source" in texts(chat(sender, "comment utiliser mon CPF ?"))
    assert question_asked(chat(sender, "oui")) == "situation"
    chat(sender, "je suis salariée")
    payload = orientation_payload(chat(sender, "Blois"))
    assert payload and (payload["network"], payload["also"]) == ("cep_actifs_occupes", "transitions_pro")


@pytest.mark.parametrize("text", ["🔥💯", "🇫🇷🇫🇷🇫🇷", "👨‍👩‍👧‍👦" * 200, "pas au revoir"])
def test_no_goodbye_without_a_goodbye_in_words(chat: Chat, sender: str, text: str) -> None:
    answer = texts(chat(sender, text))
    assert "Au revoir" not in answer and "n'ai pas bien compris" in answer, answer


@pytest.mark.parametrize("text", ["{__import__('os').system('id')}", "<!--"])
def test_a_first_message_not_understood_is_answered_in_french(chat: Chat, sender: str, text: str) -> None:
    answer = texts(chat(sender, text))
    assert "Sorry" not in answer and "Je n'ai pas" in answer, answer


def test_an_employee_on_parental_leave_is_asked_before_being_routed(chat: Chat, sender: str) -> None:
    answer = chat(sender, "je suis en congé parental et je voudrais changer de voie quand je reprendrai, j'habite Tours")
    assert orientation_payload(answer) is None
    assert "congé parental : c'est bien ça ?" in texts(answer)
    payload = orientation_payload(chat(sender, "oui"))
    if payload is None:  # the age may still be needed
        payload = orientation_payload(chat(sender, "34 ans"))
    assert payload and payload["network"] == "cep_actifs_occupes"


def test_an_international_student_writing_english_is_oriented_in_english(chat: Chat, sender: str) -> None:
    answer = chat(sender, "Hi, I'm an international student at the university in Tours and I need advice on choosing my master")
    payload = orientation_payload(answer)
    assert payload and payload["network"] == "suio" and payload["commune"]["name"] == "Tours"
    assert "I suggest" in texts(answer)


@pytest.mark.parametrize(("reason", "expected"), [
    ("c'est trop loin, 100 km sans voiture", "Sans vous déplacer"),
    ("je n'ai pas le permis", "Sans vous déplacer"),  # read as inform: the same orientation came back
    ("pas de bus pour y aller", "Sans vous déplacer"),  # read as skip: the same
    ("ça ne correspond pas à ma situation", "Autre possibilité : Transitions Pro"),
    ("rien ne va, je voudrais en parler avec un conseiller", "0 800 222 100"),
])
def test_after_no_the_reason_in_words_gets_its_own_answer(
    chat: Chat, sender: str, reason: str, expected: str
) -> None:
    """Issue 20 item 3: « Non », then the reason typed (often read as inform): never the same answer."""
    first = chat(sender, "je suis salarié, j'ai 45 ans, j'habite à Tours et je veux changer de métier")
    assert orientation_payload(first) and "Cette réponse vous aide-t-elle" in texts(first)
    asked = chat(sender, '/give_feedback{"feedback": "non"}')
    assert "Qu'est-ce qui ne va pas" in texts(asked)
    answer = chat(sender, reason)
    assert orientation_payload(answer) is None, texts(answer)
    assert texts(answer) != texts(first) and "Je vous propose" not in texts(answer)
    assert expected in texts(answer), texts(answer)


@pytest.mark.parametrize("text", ["aide", "j'ai besoin d'aide", "Aide !"])
def test_a_bare_call_for_help_gets_a_warm_line_then_the_need_question(
    chat: Chat, sender: str, text: str
) -> None:
    """Issue 20 item 4: « aide » first is not an opinion (« Merci, c'est noté »)."""
    answer = texts(chat(sender, text))
    assert answer.startswith("Bien sûr, je suis là pour vous aider"), answer
    assert "Que souhaitez-vous faire" in answer and "c'est noté" not in answer
