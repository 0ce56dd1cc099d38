"""The orientation form.

It asks only what routing still needs, each question at most twice.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.feedback import ask_feedback_once, last_orientation, reply_to_reason
from bot.actions.language import NOTICE, notice_given
from bot.actions.say import say
from bot.conversation.after_feedback import (
    answers_the_reason_question,
    same_orientation,
)
from bot.conversation.dialogue import home_region, orientation_messages, with_buttons
from bot.conversation.language import ENGLISH
from bot.conversation.profile import asks_for_help, get_rules
from bot.conversation.questions import (
    MAX_ASKS,
    asks_now,
    facts_noted,
    just_answered,
    last_question,
    move_forward,
    question,
    times_asked,
    welcome,
)
from bot.conversation.routing import Profile, get_table, next_question

log = logging.getLogger(__name__)


class ValidateOrientationForm(FormValidationAction):
    """Computes the next question from the routing table.

    Never the same question a third time.
    """

    def name(self) -> str:
        """Validation action of ``orientation_form``."""
        return "validate_orientation_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Only the slot routing still needs (none once the orientation is possible)."""
        question_slot = next_question(Profile.from_slots(tracker.current_slot_values()))
        return [question_slot] if question_slot else []

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Acknowledge the answer; move forward if the next question was asked twice."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        set_now = tracker.slots_to_validate()
        if tracker.get_slot("language") == ENGLISH and not notice_given(tracker.events):
            # the first English message: say once what goes on in English, what does not
            dispatcher.utter_message(response=NOTICE)
        if just_answered(tracker.events):
            if not set_now.keys() & set(self.domain_slots(domain)):
                # nothing for the form in the message: Rasa lets the rules answer it
                return events
            self._acknowledge(dispatcher, tracker, set_now)
        slots = tracker.current_slot_values()
        next_slot = next_question(Profile.from_slots(slots))
        if next_slot and times_asked(tracker.events, next_slot) >= MAX_ASKS:
            updates, utterance = move_forward(next_slot, slots)
            say(dispatcher, [utterance])
            events = [e for e in events if e.get("name") not in updates]
            events += [SlotSet(name, value) for name, value in updates.items()]
        return events

    @staticmethod
    def _acknowledge(
        dispatcher: CollectingDispatcher, tracker: Tracker, set_now: dict[str, Any]
    ) -> None:
        """An answer not understood, or facts given instead of the answer."""
        if set_now.get("misunderstood"):
            dispatcher.utter_message(response="utter_answer_not_understood")
            return
        if set_now.get("commune_insee"):
            set_now = {**set_now, "commune_name": tracker.get_slot("commune_name")}
        rules, language = get_rules(), tracker.get_slot("language")
        facts = facts_noted(
            set_now,
            tracker.get_slot("requested_slot"),
            rules.need_labels(language, get_table().needs),
            rules.labels(language),
            language,
        )
        if facts:
            dispatcher.utter_message(response="utter_noted", facts=facts)


class ActionAskQuestion(Action, metaclass=abc.ABCMeta):
    """Ask the form's question for ``slot``.

    Reworded the second time, with buttons except on the phone.
    """

    @property
    @abc.abstractmethod
    def slot(self) -> str:
        """The form slot this action asks for."""

    def name(self) -> str:
        """``action_ask_<slot>``: Rasa's form calls it to ask for the slot."""
        return f"action_ask_{self.slot}"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """One short question; none right after the person asked for a person."""
        if not asks_now(tracker.events):
            return []
        channel = tracker.get_latest_input_channel()
        rules = get_rules()
        last_asked = last_question(tracker.events)
        utterance = question(
            self.slot,
            tracker.current_slot_values(),
            last_asked,
            with_buttons(channel),
            rules.labels(tracker.get_slot("language")),
            {status.code: status.choices for status in rules.statuses},
        )
        text = (tracker.latest_message or {}).get("text") or ""
        say(
            dispatcher,
            [*welcome(self.slot, last_asked, asks_for_help(text)), utterance],
        )
        return []


class ActionAskNeed(ActionAskQuestion):
    """What the person wants to do."""

    slot = "need"


class ActionAskSituation(ActionAskQuestion):
    """The person's situation, or confirming a situation guessed from a weak cue."""

    slot = "situation"


class ActionAskAge(ActionAskQuestion):
    """The person's age."""

    slot = "age"


class ActionAskSector(ActionAskQuestion):
    """The business sector (chamber of a project)."""

    slot = "sector"


class ActionAskCommuneInsee(ActionAskQuestion):
    """The commune, or which one among homonyms."""

    slot = "commune_insee"


class ActionPresentOrientation(Action):
    """Send the second door.

    The proposal, the ``orientation`` payload, then the other messages.
    """

    def name(self) -> str:
        """Run when the orientation form is complete."""
        return "action_present_orientation"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Route, look up the structures, send."""
        # Knowledge-base and gazetteer queries: off the event loop.
        before, payload, after = await asyncio.to_thread(
            orientation_messages,
            tracker.current_slot_values(),
            tracker.get_latest_input_channel(),
            home_region(tracker.latest_message),
        )
        if answers_the_reason_question(tracker.events) and same_orientation(
            payload, last_orientation(tracker.events)
        ):
            # « Qu'est-ce qui ne va pas ? » answered in words read as ``inform``, with
            # nothing corrected: the reply by reason, never the same answer again.
            return await reply_to_reason(dispatcher, tracker)
        say(dispatcher, before)
        if payload:
            dispatcher.utter_message(json_message=payload)
        say(dispatcher, after)
        network = payload.get("network") if payload else None
        return [
            SlotSet("network", network),
            SlotSet("misunderstood", 0.0),
            *ask_feedback_once(dispatcher, tracker, payload),
        ]
