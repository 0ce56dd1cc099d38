"""Another language: French and that language; English goes on in English."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.conversation.profile import UNDERSTOOD_LANGUAGES

ORIENTATION_FORM = "orientation_form"
NOTICE = "utter_other_language"


def notice_given(events: list[dict]) -> bool:
    """True when the language notice was already sent since the conversation began."""
    for event in reversed(events):
        if event.get("event") in ("restart", "session_started"):
            return False
        if (
            event.get("event") == "bot"
            and (event.get("metadata") or {}).get("utter_action") == NOTICE
        ):
            return True
    return False


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
        """Say which language we answer in; English speakers are oriented in English.

        In a conversation already going on in English the notice is not repeated.
        """
        language = tracker.get_slot("language")
        if not (language == "en" and notice_given(tracker.events)):
            dispatcher.utter_message(response=NOTICE)
        if language in UNDERSTOOD_LANGUAGES and tracker.active_loop_name is None:
            return [FollowupAction(ORIENTATION_FORM)]
        return []
