"""The human option: the regional line; in the web chat, the chat desk's hand-over."""

from __future__ import annotations

import asyncio

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.say import say
from bot.conversation.channel_differences import channel_profile
from bot.conversation.dialogue import home_region, human_contact


class ActionTalkToHuman(Action):
    """Answer "je veux parler à quelqu'un" with the right number, never a dead end."""

    def name(self) -> str:
        """Run on the ``ask_human`` intent."""
        return "action_talk_to_human"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """One message: the number or where to find it; the web chat asks the desk."""
        contact = await asyncio.to_thread(  # knowledge-base query: off the event loop
            human_contact,
            tracker.current_slot_values(),
            home_region(tracker.latest_message),
        )
        say(dispatcher, contact.said)
        if channel_profile(tracker.get_latest_input_channel()).offers_handover:
            # The page draws the links inside the message above, then asks the desk.
            payload = {"type": "handover", "links": contact.links}
            dispatcher.utter_message(json_message=payload)
        elif contact.site is not None:
            say(dispatcher, [contact.site])
        return []
