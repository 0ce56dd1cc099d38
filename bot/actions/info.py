"""First-level information: answer a question from the knowledge base's sheets."""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.say import say
from bot.conversation.dialogue import info_answer

log = logging.getLogger(__name__)


class ActionAnswerInfo(Action):
    """Answer "c'est quoi le CEP ?", "comment utiliser mon CPF ?"; offer orientation."""

    def name(self) -> str:
        """Run on the ``ask_info`` intent."""
        return "action_answer_info"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """The sheet's answer and source, or where to find out.

        The sheet is kept as context.
        """
        text = (tracker.latest_message or {}).get("text") or ""
        try:
            answer, sheet = await asyncio.to_thread(info_answer, text)
        except Exception:
            log.exception("information sheets unavailable")
            answer, sheet = [], None
        if answer:
            say(dispatcher, answer)
        else:
            dispatcher.utter_message(response="utter_no_sheet")
        if tracker.active_loop_name is None:
            dispatcher.utter_message(response="utter_offer_orientation")
        return [SlotSet("sheet", sheet)] if sheet else []
