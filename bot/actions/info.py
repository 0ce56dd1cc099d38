"""First-level information: answer a question from the knowledge base's sheets."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.dialogue import info_answer, with_buttons

log = logging.getLogger(__name__)


class ActionAnswerInfo(Action):
    """Answer "c'est quoi le CEP ?", "comment utiliser mon CPF ?", then offer orientation."""

    def name(self) -> str:
        """Run on the ``ask_info`` intent."""
        return "action_answer_info"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """The sheet's answer and source, or where to find out."""
        text = (tracker.latest_message or {}).get("text") or ""
        try:
            answer = info_answer(text)
        except Exception:  # noqa: BLE001 - knowledge unavailable: still a way forward
            log.exception("information sheets unavailable")
            answer = []
        if answer:
            for line in answer:
                dispatcher.utter_message(text=line)
        else:
            dispatcher.utter_message(response="utter_no_sheet")
        if tracker.active_loop_name is None:
            buttons = ([{"title": "Oui", "payload": "/affirm"}, {"title": "Non merci", "payload": "/deny"}]
                       if with_buttons(tracker.get_latest_input_channel()) else [])
            dispatcher.utter_message(
                text="Voulez-vous que je vous indique la structure qui peut vous accompagner ?",
                buttons=buttons)
        return []
