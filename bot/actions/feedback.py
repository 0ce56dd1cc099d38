"""The satisfaction question after an orientation, and the recording of its answer."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.say import say
from bot.conversation.after_feedback import (
    FAR,
    WRONG_NETWORK,
    answers_the_reason_question,
    follow_up,
)
from bot.conversation.channel_differences import channel_profile
from bot.conversation.dialogue import home_region
from bot.conversation.orientation_payload import OrientationPayload, from_json
from bot.indicators.feedback import (
    FEEDBACK_THEMES,
    FEEDBACK_VALUES,
    feedback_theme,
    feedback_value,
)

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
        entities = {
            str(e.get("entity")): str(e.get("value"))
            for e in message.get("entities") or []
        }
        from_button = entities.get("feedback")
        value = from_button if from_button in FEEDBACK_VALUES else None
        theme = entities.get("feedback_theme")
        theme = theme if theme in FEEDBACK_THEMES else None
        theme = theme or (None if value else feedback_theme(text))
        value = value or feedback_value(text) or tracker.get_slot("feedback")
        if theme and value is None:
            value = "non"
        events: list[EventType] = [SlotSet("feedback_asked", True)]
        if value in FEEDBACK_VALUES:
            events.append(SlotSet("feedback", value))
        if theme:
            events.append(SlotSet("feedback_theme", theme))
        if value == "oui" or (value is None and not theme):
            dispatcher.utter_message(response="utter_feedback_word_thanks")
            return events
        await say_follow_up(dispatcher, tracker, theme)
        return events


class ActionAnswerNo(Action):
    """« Non » said outside a question.

    After « Qu'est-ce qui ne va pas ? » it is the reason (« je ne peux pas aller
    jusque là-bas »): the reply by reason. Elsewhere: « Puis-je vous aider pour autre
    chose ? ».
    """

    def name(self) -> str:
        """Run on the ``deny`` intent outside the form."""
        return "action_answer_no"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """The reply by reason, or the offer of something else."""
        if answers_the_reason_question(tracker.events):
            return await reply_to_reason(dispatcher, tracker)
        dispatcher.utter_message(response="utter_anything_else")
        return []


async def reply_to_reason(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[EventType]:
    """The reply to the reason the person typed after « Qu'est-ce qui ne va pas ? »."""
    text = str((tracker.latest_message or {}).get("text") or "")
    theme = feedback_theme(text) or "autre"
    await say_follow_up(dispatcher, tracker, theme)
    return [SlotSet("feedback_theme", theme)]


async def say_follow_up(
    dispatcher: CollectingDispatcher, tracker: Tracker, theme: str | None
) -> None:
    """The message after « Non » for this reason (``follow_up``), and the hand-over."""
    payload = from_json(last_orientation(tracker.events))
    said = await asyncio.to_thread(
        follow_up,
        theme,
        tracker.current_slot_values(),
        payload,
        home_region(tracker.latest_message),
    )
    say(dispatcher, said)
    if (
        theme
        and theme not in FAR | WRONG_NETWORK
        and channel_profile(tracker.get_latest_input_channel()).offers_handover
    ):
        dispatcher.utter_message(json_message={"type": "handover"})


def last_orientation(events: list[dict[str, Any]]) -> Any:
    """The ``custom`` payload of the last orientation sent, if any."""
    for event in reversed(events):
        custom = (
            (event.get("data") or {}).get("custom")
            if event.get("event") == "bot"
            else None
        )
        if custom:
            return custom
    return None
