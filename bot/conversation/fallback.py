"""What to answer when the assistant did not understand: never a dead end.

Rasa's two-stage fallback, as data-driven as the rest: the first time, "Vouliez-vous
dire… ?" with the two readings the understanding hesitated between (or a request to
rephrase when it had no two readings); from the second time on, a person.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

FALLBACK_ACTION = "action_default_fallback"
NLU_FALLBACK = "nlu_fallback"
# Actions that are not an answer to the person and so don't end a run of fallbacks.
_NEUTRAL_ACTIONS = frozenset(
    {"action_listen", "action_unlikely_intent", FALLBACK_ACTION}
)


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


def did_you_mean(
    intent_ranking: Iterable[Mapping[str, Any]],
    buttons: Iterable[Mapping[str, str]],
    count: int = 2,
) -> list[dict[str, str]]:
    """The buttons of the two intents the understanding hesitated between.

    Empty if not two. ``buttons`` are those of ``utter_did_you_mean`` in domain.yml
    (payload ``/<intent>``); intents without a button there (greetings, noise) are
    never offered.
    """
    by_intent = {b["payload"].lstrip("/"): dict(b) for b in buttons}
    ranked = [r.get("name") for r in intent_ranking if r.get("name") != NLU_FALLBACK]
    chosen = [by_intent[name] for name in ranked[:count] if name in by_intent]
    return chosen if len(chosen) == count else []
