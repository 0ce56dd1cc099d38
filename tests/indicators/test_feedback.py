"""The satisfaction answer and its optional word become codes, never free text."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.feedback import ActionRecordFeedback, ask_feedback_once
from bot.indicators.feedback import feedback_theme, feedback_value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("oui ça m'aide", "oui"),
        ("en partie", "en_partie"),
        ("pas vraiment utile", "non"),
        ("non ça ne m'aide pas", "non"),
        ("un peu utile", "en_partie"),
        ("c'est trop loin", None),
    ],
)
def test_typed_answers(text: str, value: str | None) -> None:
    """Typed answers."""
    assert feedback_value(text) == value


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("non, c'est trop loin de chez moi", "distance"),
        ("je n'ai pas le permis", "distance"),  # cannot get there: the remote ways in
        ("il n'y a pas de bus pour y aller", "distance"),
        ("personne ne répond au téléphone", "joignable"),
        ("il manque les horaires", "information"),
        ("je la connaissais déjà", "deja_connu"),
        ("ça ne correspond pas à ma situation", "situation"),
        ("oui", None),
        ("en partie", None),
        ("Je m'appelle Léa Martin et j'habite rue des Lilas", "autre"),
    ],
)
def test_the_word_becomes_a_theme(text: str, theme: str | None) -> None:
    """The word becomes a theme."""
    assert feedback_theme(text) == theme


def tracker(
    text: str, slots: dict, entities: list | None = None, channel: str = "webchat"
) -> Tracker:
    """Tracker."""
    return Tracker(
        "s",
        slots,
        {"text": text, "intent": {"name": "give_feedback"}, "entities": entities or []},
        [{"event": "user", "input_channel": channel, "text": text}],
        False,
        None,
        {},
        "action_listen",
    )


def test_the_question_is_asked_once_and_never_on_the_phone() -> None:
    """The question is asked once and never on the phone."""
    dispatcher = CollectingDispatcher()
    events = ask_feedback_once(dispatcher, tracker("", {}), {"type": "orientation"})
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_feedback"]
    assert events[0]["name"] == "feedback_asked" and events[0]["value"] is True
    again = CollectingDispatcher()
    assert (
        ask_feedback_once(again, tracker("", {"feedback_asked": True}), {"type": "x"})
        == []
    )
    assert (
        ask_feedback_once(again, tracker("", {}, channel="console"), {"type": "x"})
        == []
    )
    assert ask_feedback_once(again, tracker("", {}), None) == []
    assert again.messages == []


async def test_recording_keeps_codes_only() -> None:
    """Recording keeps codes only."""
    dispatcher = CollectingDispatcher()
    events = await ActionRecordFeedback().run(
        dispatcher,
        tracker(
            '/give_feedback{"feedback": "non"}',
            {},
            [{"entity": "feedback", "value": "non"}],
        ),
        {},
    )
    assert {e["name"]: e["value"] for e in events} == {
        "feedback_asked": True,
        "feedback": "non",
    }
    assert dispatcher.messages[0]["response"] == "utter_feedback_ask_reason"
    dispatcher = CollectingDispatcher()
    events = await ActionRecordFeedback().run(
        dispatcher,
        tracker("c'est trop loin, appelez-moi au 06 12 34 56 78", {"feedback": "non"}),
        {},
    )
    values = {e["name"]: e["value"] for e in events}
    assert values == {
        "feedback_asked": True,
        "feedback": "non",
        "feedback_theme": "distance",
    }
    assert "06" not in str(events)
