"""What follows « Non » to « Cette réponse vous aide-t-elle ? »: never the same answer.

The reason (a ``bot.indicators.feedback`` theme code) chooses the next message: the
remote ways in when it is too far or hard to reach, the other network when it is the
wrong one, a person when nothing else fits; without a reason yet, the question « what
is wrong? » with one button per reason.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from bot.conversation.dialogue import human_contact
from bot.conversation.orientation import nearest_text, remote_text, second_door
from bot.conversation.orientation_payload import (
    OrientationPayload,
    other_structures,
    recommended_structures,
)
from bot.conversation.wording import Utterance

REASON_QUESTION = "utter_feedback_ask_reason"
FAR = frozenset({"distance", "joignable"})
WRONG_NETWORK = frozenset({"situation", "deja_connu"})


def remote_lines(payload: OrientationPayload) -> list[str]:
    """Phone and e-mail of the proposed structures first, then the remote ways in."""
    lines = []
    for item in recommended_structures(payload):
        ways = [
            f"tél. {item['phone']}" if item.get("phone") else "",
            f"courriel {item['email']}" if item.get("email") else "",
        ]
        if any(ways):
            lines.append(f"- {item['name']} : {', '.join(w for w in ways if w)}")
    lines.extend(f"- {remote_text(item)}" for item in payload["remote"])
    return lines


def follow_up(
    theme: str | None,
    slots: dict[str, Any],
    payload: OrientationPayload | None,
    region_code: str | None = None,
) -> list[Utterance]:
    """The message after « Non » (or « En partie ») for this reason."""
    if theme is None:
        return [Utterance("utter_feedback_ask_reason")]
    if theme in FAR and payload and payload["remote"]:
        return [
            Utterance(
                "utter_feedback_remote",
                {"remote_list": "\n".join(remote_lines(payload))},
            )
        ]
    if theme in WRONG_NETWORK and payload:
        from bot.conversation.routing import Decision
        from bot.knowledge import get_repository

        decision = Decision(
            payload["public"], payload["need"], payload["network"], "", payload["also"]
        )
        also = second_door(decision, get_repository())
        if not also:
            return [Utterance("utter_feedback_correct")]
        others = other_structures(payload)
        nearest = f"\nLe plus proche : {nearest_text(others[0])}" if others else ""  # type: ignore[arg-type]
        return [
            Utterance(
                "utter_feedback_other_door",
                {
                    "also_name": also[0],
                    "also_summary": also[1],
                    "also_nearest": nearest,
                },
            )
        ]
    contact = human_contact(slots, region_code)
    return contact.said + ([contact.site] if contact.site is not None else [])


def answers_the_reason_question(events: Iterable[Mapping[str, Any]]) -> bool:
    """True when the person's last message answers « Qu'est-ce qui ne va pas ? ».

    The assistant's last message before it asked that question, whatever the
    classifier made of the answer (« c'est trop loin, 100 km sans voiture » may be
    read as ``inform``).
    """
    seen_user = False
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind in ("restart", "session_started"):
            return False
        if kind == "user":
            if seen_user:
                return False
            seen_user = True
        elif kind == "bot" and seen_user:
            return (event.get("metadata") or {}).get("utter_action") == REASON_QUESTION
    return False


def same_orientation(
    new: Mapping[str, Any] | None, old: Mapping[str, Any] | None
) -> bool:
    """True when ``new`` proposes what ``old`` did (same networks, commune, places)."""

    def key(payload: Mapping[str, Any]) -> tuple[Any, ...]:
        commune = payload.get("commune") or {}
        return (
            payload.get("network"),
            payload.get("also"),
            commune.get("insee"),
            [s.get("id") for s in payload.get("structures") or []],
        )

    return new is not None and old is not None and key(new) == key(old)
