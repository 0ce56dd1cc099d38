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


def test_a_message_in_english_gets_the_other_language_intent_and_its_language() -> None:
    message = Message.build(text="hello, I need to find a job", intent="goodbye")
    message.set("intent", {"name": "goodbye", "confidence": 0.9})
    LanguageGuard().process([message])
    assert message.get("intent") == {"name": "other_language", "confidence": 1.0}
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
