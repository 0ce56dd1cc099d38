"""The orientation form (asks only what routing still needs) and the orientation itself."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.feedback import ask_feedback_once
from bot.dialogue import commune_question, home_region, orientation_messages
from bot.routing import Profile, next_question

log = logging.getLogger(__name__)


class ValidateOrientationForm(FormValidationAction):
    """Computes the next question from the routing table."""

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
        """Only the slot routing still needs (empty when the orientation can be given)."""
        question = next_question(Profile.from_slots(tracker.current_slot_values()))
        return [question] if question else []

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Say so when the last answer was not understood, then go on."""
        if tracker.slots_to_validate().get("misunderstood"):
            dispatcher.utter_message(response="utter_answer_not_understood")
        return await super().run(dispatcher, tracker, domain)


class ActionAskCommuneInsee(Action):
    """Ask for the commune, or which one among homonyms (buttons except on the phone console)."""

    def name(self) -> str:
        """Custom question of the form for ``commune_insee``."""
        return "action_ask_commune_insee"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """One short question."""
        text, buttons = commune_question(tracker.get_slot("commune_choices"),
                                         tracker.get_latest_input_channel())
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionPresentOrientation(Action):
    """Send the second door: the proposal, the ``orientation`` payload, then the other texts."""

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
        before, payload, after = orientation_messages(tracker.current_slot_values(),
                                                      tracker.get_latest_input_channel(),
                                                      home_region(tracker.latest_message))
        for text in before:
            dispatcher.utter_message(text=text)
        if payload:
            dispatcher.utter_message(json_message=payload)
        for text in after:
            dispatcher.utter_message(text=text)
        network = payload.get("network") if payload else None
        return [SlotSet("network", network), SlotSet("misunderstood", 0.0),
                *ask_feedback_once(dispatcher, tracker, payload)]

