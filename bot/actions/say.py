"""Send ``Utterance``s through the dispatcher (Rasa renders the domain.yml response)."""

from __future__ import annotations

from typing import Iterable

from rasa_sdk.executor import CollectingDispatcher

from bot.conversation.wording import Utterance


def say(dispatcher: CollectingDispatcher, utterances: Iterable[Utterance]) -> None:
    """One message per utterance, with its variables and run-time buttons."""
    for utterance in utterances:
        dispatcher.utter_message(
            response=utterance.response,
            buttons=utterance.buttons or None,
            **utterance.variables,
        )
