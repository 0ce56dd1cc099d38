"""Another language is detected offline and never read as a French intent."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.conversation.language import detect_language
from bot.nlu import DETECTED_LANGUAGE, LanguageGuard
from bot.conversation.profile import slot_updates


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hello, I am looking for a job", "en"),
        ("I'm unemployed", "en"),
        ("Hola, busco trabajo", "es"),
        ("Olá, procuro emprego em Tours", "pt"),
        ("Guten Tag, ich suche eine Ausbildung", "de"),
        ("مرحبا أبحث عن عمل", "ar"),
        ("jcherche du taf", "fr"),
        ("bonjour je cherche", "fr"),
        ("22 ans Tours", "fr"),
    ],
)
def test_the_language_of_a_message(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "Tours",
        "ok",
        "hello",
        "cdi",
        "22",
        "tagada tsoin tsoin",
        "bot de merde",
        "evolution de carriere",
        "Saint-Amand-Montrond",
        "xqzw blorp vrrr",  # keyboard noise is not a language, whatever py3langid says
        "azertyuiop qsdfgh",
    ],
)
def test_short_or_unclear_texts_are_left_to_the_french_understanding(text: str) -> None:
    assert detect_language(text) in (None, "fr")


def test_a_message_in_english_is_read_in_english_never_as_a_french_intent() -> None:
    message = Message.build(text="hello, I need to find a job", intent="goodbye")
    message.set("intent", {"name": "goodbye", "confidence": 0.9})
    LanguageGuard().process([message])
    assert message.get("intent") == {"name": "inform", "confidence": 1.0}
    assert message.get(DETECTED_LANGUAGE) == "en"
    french = Message.build(text="je cherche un emploi à Tours")
    french.set("intent", {"name": "inform", "confidence": 0.9})
    LanguageGuard().process([french])
    assert (
        french.get("intent")["name"] == "inform"
        and french.get(DETECTED_LANGUAGE) == "fr"
    )


def test_english_is_understood_for_the_orientation_other_languages_are_not_read() -> (
    None
):
    english = slot_updates(
        "Hello, I am 22, unemployed and looking for a job",
        "other_language",
        [],
        {},
        None,
        language="en",
    )
    assert (
        english["language"],
        english["need"],
        english["situation"],
        english["age"],
    ) == ("en", "emploi", "sans_emploi", 22.0)
    spanish = slot_updates(
        "Hola, busco trabajo, tengo 22 años",
        "other_language",
        [],
        {},
        None,
        language="es",
    )
    assert spanish == {"language": "es"}
    back_to_french = slot_updates(
        "je cherche un emploi", "inform", [], {"language": "en"}, None, language="fr"
    )
    assert back_to_french["language"] is None


def test_the_language_words_are_data_checked_by_their_schema() -> None:
    import yaml

    from bot.config import knowledge_dir
    from bot.conversation.language import LanguageWords

    data = yaml.safe_load((knowledge_dir() / "languages.yml").read_text(encoding="utf-8"))
    assert LanguageWords.from_data(data).words["en"]
    data["words"]["en"].append("Hello World")
    with pytest.raises(ValueError, match=r"languages\.yml"):
        LanguageWords.from_data(data)


def _guarded(text: str, intent: str, confidence: float = 0.9) -> Message:
    message = Message.build(text=text)
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set(
        "intent_ranking",
        [{"name": intent, "confidence": confidence}, {"name": "inform", "confidence": 0.1}],
    )
    LanguageGuard().process([message])
    return message


@pytest.mark.parametrize(
    "text",
    ["🔥💯", "🔥💯🔥💯🔥💯", "🇫🇷🇬🇧", "👨‍👩‍👧‍👦" * 200, "!!! ???", "pas au revoir", "non pas au revoir"],
)
def test_emoji_only_and_negated_goodbyes_are_not_understood_never_a_goodbye(
    text: str,
) -> None:
    message = _guarded(text, "goodbye")
    expected = "nlu_fallback" if "revoir" in text else "gibberish"
    assert message.get("intent") == {"name": expected, "confidence": 1.0}
    # no "Vouliez-vous dire… ?" between readings that were never there
    assert [r["name"] for r in message.get("intent_ranking")] == [expected]


@pytest.mark.parametrize(
    "text", ["au revoir", "merci, au revoir !", "bonne journée", "bye", "à plus", "see you"]
)
def test_a_clear_goodbye_in_words_stays_a_goodbye(text: str) -> None:
    assert _guarded(text, "goodbye").get("intent")["name"] == "goodbye"


@pytest.mark.parametrize("text", ["{__import__('os').system('id')}", "<!--", "<script>alert(1)</script>"])
def test_code_is_no_language_so_a_first_fallback_stays_in_french(text: str) -> None:
    assert detect_language(text) is None
    assert "language" not in slot_updates(text, "nlu_fallback", [], {}, None, None)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Can I talk to a person please?", "ask_human"),
        ("I would like to speak to an adviser", "ask_human"),
        ("start again", "restart"),
        ("yes, that's right", "affirm"),
        ("no, it's not", "deny"),
        ("thank you so much", "thank"),
        ("I am looking for a job", "inform"),
        ("Hola, busco trabajo", "other_language"),
    ],
)
def test_english_requests_are_understood(text: str, intent: str) -> None:
    assert _guarded(text, "inform").get("intent")["name"] == intent


def test_french_words_in_an_english_sentence_keep_it_english() -> None:
    assert detect_language("I live in Joué-lès-Tours") == "en"
    assert detect_language("I'm a student à la fac in Nantes") == "en"
    assert detect_language("je cherche un job à Tours") == "fr"
    # once in English, "oui" or a commune does not switch the conversation back
    assert "language" not in slot_updates("oui", "affirm", [], {"language": "en"}, None, "fr")
    said_in_french = slot_updates(
        "je préfère continuer en français", "inform", [], {"language": "en"}, None, "fr"
    )
    assert said_in_french["language"] is None


def test_an_english_first_message_gives_its_facts_like_a_french_one() -> None:
    updates = slot_updates(
        "Hi, I am an international student at the University of Tours and I need help "
        "choosing my master",
        "other_language",
        [],
        {},
        None,
        "en",
    )
    assert (updates["situation"], updates["need"], updates["commune_name"]) == (
        "etudiant",
        "orientation_scolaire",
        "Tours",
    )


@pytest.mark.parametrize(
    ("answer", "slot", "value"),
    [
        ("student at the university", "situation", "etudiant"),
        ("unemployed", "situation", "sans_emploi"),
        ("I'm 24 years old", "age", 24.0),
        ("aged 31", "age", 31.0),
    ],
)
def test_english_answers_to_the_english_questions(answer: str, slot: str, value: object) -> None:
    updates = slot_updates(answer, "other_language", [], {"language": "en"}, slot, "en")
    assert updates[slot] == value and not updates.get("misunderstood")


def test_an_english_answer_can_skip_the_question() -> None:
    updates = slot_updates(
        "I'd prefer not to say", "other_language", [], {"language": "en"}, "age", "en"
    )
    assert updates["skipped"] == ["age"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("passez-moi un humain", "ask_human"),
        ("je voudrais parler à une conseillère svp", "ask_human"),
        ("ferme-la", "insult"),
        ("sale robot de merde", "insult"),
        ("xcvbn,;", "gibberish"),
    ],
)
def test_a_person_asked_for_insults_and_keyboard_mashes_whatever_the_model_says(
    text: str, intent: str
) -> None:
    assert _guarded(text, "out_of_scope").get("intent")["name"] == intent


@pytest.mark.parametrize(
    "text",
    [
        "je veux parler à un conseiller de la mission locale",  # a structure: orientation
        "un boulot de merde, je veux changer de métier",  # venting, not an insult
        "cdd",
        "bts",
    ],
)
def test_the_french_reading_is_left_to_the_model_otherwise(text: str) -> None:
    assert _guarded(text, "inform").get("intent")["name"] == "inform"


@pytest.mark.parametrize("text", ["aide", "Aide !", "j'ai besoin d'aide", "au secours", "aidez-moi svp"])
def test_a_bare_call_for_help_starts_an_orientation_never_an_opinion(text: str) -> None:
    """Issue 20 item 4: « aide » was read as ``give_feedback`` (« Merci, c'est noté »)."""
    assert _guarded(text, "give_feedback").get("intent") == {"name": "inform", "confidence": 1.0}


def test_help_within_a_longer_message_is_left_to_the_model() -> None:
    assert _guarded("merci pour votre aide", "thank").get("intent")["name"] == "thank"
    assert _guarded("ça m'aide beaucoup", "give_feedback").get("intent")["name"] == "give_feedback"


@pytest.mark.parametrize(
    "text",
    ["reprendre un commerce", "je voudrais reprendre un bar tabac", "reprendre mes études",
     "je reprends le travail lundi", "repartir dans le commerce"],
)
def test_a_restart_without_a_word_of_restarting_is_about_the_person(text: str) -> None:
    """« Recommencer » erases the conversation: « reprendre un commerce » is a need."""
    assert _guarded(text, "restart").get("intent") == {"name": "inform", "confidence": 1.0}


@pytest.mark.parametrize(
    "text",
    ["recommencer", "on recommence", "je veux tout reprendre à zéro", "repartons du début",
     "efface tout", "reset", "nouvelle demande", "Start over please"],
)
def test_a_restart_in_words_stays_a_restart(text: str) -> None:
    assert _guarded(text, "restart").get("intent")["name"] == "restart"
