"""Another language: French and that language; English goes on in English."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.conversation.profile import UNDERSTOOD_LANGUAGES

ORIENTATION_FORM = "orientation_form"


class ActionOtherLanguage(Action):
    """The notice (domain.yml ``utter_other_language``, one variant per language)."""

    def name(self) -> str:
        """Run on the ``other_language`` intent (set by ``bot.nlu.LanguageGuard``)."""
        return "action_other_language"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Say which language we answer in; English speakers are oriented in English."""
        dispatcher.utter_message(response="utter_other_language")
        if (
            tracker.get_slot("language") in UNDERSTOOD_LANGUAGES
            and tracker.active_loop_name is None
        ):
            return [FollowupAction(ORIENTATION_FORM)]
        return []
