"""Custom fallback: "Vouliez-vous dire… ?" or rephrase, then offer a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation.dialogue import with_buttons
from bot.conversation.fallback import FALLBACK_ACTION, did_you_mean, fallback_response
from bot.conversation.wording import choose

DID_YOU_MEAN = "utter_did_you_mean"


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
        """Send the two readings, the rephrase or the human offer.

        Then revert the message.
        """
        response = fallback_response(tracker.events)
        channel = tracker.get_latest_input_channel()
        if response == "utter_default":
            variant = choose(
                domain.get("responses", {}).get(DID_YOU_MEAN, []),
                channel,
                tracker.current_slot_values(),
            )
            options = did_you_mean(
                (tracker.latest_message or {}).get("intent_ranking") or [],
                variant.get("buttons", []),
            )
            if options and with_buttons(channel):
                dispatcher.utter_message(text=variant["text"], buttons=options)
                return [UserUtteranceReverted()]
        dispatcher.utter_message(response=response)
        return [UserUtteranceReverted()]
