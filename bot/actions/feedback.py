"""The satisfaction question after an orientation, and the recording of its answer."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.conversation.channel_differences import channel_profile
from bot.conversation.orientation_payload import OrientationPayload
from bot.indicators.feedback import FEEDBACK_VALUES, feedback_theme, feedback_value

# The phone console's adviser closes the call with an outcome instead.


def ask_feedback_once(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    payload: OrientationPayload | None,
) -> list[EventType]:
    """Ask « Cette réponse vous aide-t-elle ? » after the first orientation only."""
    if not payload or tracker.get_slot("feedback_asked"):
        return []
    if not channel_profile(tracker.get_latest_input_channel()).asks_feedback:
        return []
    dispatcher.utter_message(response="utter_ask_feedback")
    return [SlotSet("feedback_asked", True)]


class ActionRecordFeedback(Action):
    """Keep the answer as a code and the optional word as a theme code only."""

    def name(self) -> str:
        """Run on the ``give_feedback`` intent."""
        return "action_record_feedback"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Thank the person; never ask again."""
        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        from_button = next(
            (
                str(e.get("value"))
                for e in message.get("entities") or []
                if e.get("entity") == "feedback"
            ),
            None,
        )
        value = from_button if from_button in FEEDBACK_VALUES else None
        theme = None if value else feedback_theme(text)
        value = value or feedback_value(text) or tracker.get_slot("feedback")
        events: list[EventType] = [SlotSet("feedback_asked", True)]
        if value in FEEDBACK_VALUES:
            events.append(SlotSet("feedback", value))
        if theme:
            events.append(SlotSet("feedback_theme", theme))
        if from_button and value != "oui":
            dispatcher.utter_message(response="utter_feedback_thanks")
        else:
            dispatcher.utter_message(response="utter_feedback_word_thanks")
        return events
