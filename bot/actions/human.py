"""The human option: the regional line when we know the person's region."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.say import say
from bot.dialogue import home_region, human_contact


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
        """The number (or where to find it)."""
        say(dispatcher, human_contact(tracker.current_slot_values(), home_region(tracker.latest_message)))
        return []
