"""What to answer when the assistant did not understand: never a dead end."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

FALLBACK_ACTION = "action_default_fallback"
# Actions that are not an answer to the person and so don't end a run of fallbacks.
_NEUTRAL_ACTIONS = frozenset({"action_listen", "action_unlikely_intent", FALLBACK_ACTION})


def previous_fallbacks(events: Iterable[Mapping[str, Any]]) -> int:
    """Count the fallbacks since the assistant last gave a real answer."""
    count = 0
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "session_started":
            break
        if kind != "action":
            continue
        name = event.get("name")
        if name == FALLBACK_ACTION:
            count += 1
        elif name not in _NEUTRAL_ACTIONS:
            break
    return count


def fallback_response(events: Iterable[Mapping[str, Any]]) -> str:
    """Ask to rephrase the first time; from the second time on, offer a person."""
    return "utter_offer_human" if previous_fallbacks(events) >= 1 else "utter_default"
