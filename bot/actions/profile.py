"""After every user message: read the profile from what the person wrote."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from bot.conversation.language import DETECTED_LANGUAGE
from bot.conversation.profile import slot_updates

ORIENTATION_FORM = "orientation_form"


class ActionValidateSlotMappings(ValidationAction):
    """Fills the profile slots (custom mappings) from each message.

    Corrections overwrite.
    """

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        """Extract with ``bot.conversation.profile`` and return the slot changes."""
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        intent = (message.get("intent") or {}).get("name")
        requested = (
            tracker.get_slot("requested_slot")
            if tracker.active_loop_name == ORIENTATION_FORM
            else None
        )
        # Place look-ups read the communes gazetteer: off the event loop.
        updates = await asyncio.to_thread(
            slot_updates,
            text,
            intent,
            message.get("entities") or [],
            dict(tracker.current_slot_values()),
            requested,
            message.get(DETECTED_LANGUAGE),
        )
        return [SlotSet(name, value) for name, value in updates.items()]
