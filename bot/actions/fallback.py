"""Custom fallback: rephrase first, then offer to talk to a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from bot.fallback import FALLBACK_ACTION, fallback_response


class ActionDefaultFallback(Action):
    """Answer a message that was not understood, and forget it for the dialogue."""

    def name(self) -> str:
        """Replaces Rasa's default fallback action."""
        return FALLBACK_ACTION

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        """Send the rephrase or the human offer; revert the misunderstood message."""
        dispatcher.utter_message(response=fallback_response(tracker.events))
        return [UserUtteranceReverted()]
