"""What an adviser sees of the chat desk's requests.

The desk's state (availability, queue, call-backs, line), a taken conversation with
the script aid, its fiche de liaison.

Plain Python over ``bot.handover``'s requests and this package's script aid and fiche;
the desk's routes (``channels.handover.desk``) turn it into JSON responses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.advisers import script_aid
from bot.advisers.accounts import Adviser
from bot.advisers.fiche import Section, build_sections
from bot.advisers.service import network_name
from bot.advisers.store import CallRecord
from bot.conversation.channel_differences import CHANNEL_PROFILES
from bot.handover.desk import CALLBACK_OUTCOMES, LIVE_OUTCOMES, SLOTS
from bot.handover.store import AdviserState, HandoverRequest, Message

STATUS_LABELS = {
    "waiting": "En attente",
    "taken": "Avec vous",
    "returned": "Rendue à l'assistant",
    "closed": "Close",
    "left": "La personne est partie",
}
CHANNEL_LABELS = {
    name: profile.desk_label
    for name, profile in CHANNEL_PROFILES.items()
    if profile.desk_label
}


def iso(moment: datetime | None) -> str | None:
    """A stored UTC time as ISO 8601 with ``Z``."""
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def first_name(adviser: Adviser) -> str:
    """What the person sees of the adviser: the first name only."""
    return (adviser.name.split() or [adviser.username])[0]


def snapshot_profile(request: HandoverRequest) -> dict[str, Any]:
    """The profile the assistant gathered, completed by its orientation."""
    snapshot = request.snapshot or {}
    return script_aid.profile_with_orientation(
        snapshot.get("profile") or {}, snapshot.get("orientation")
    )


def queue_item(request: HandoverRequest) -> dict[str, Any]:
    """A line of the queue: no transcript, enough to choose."""
    profile = snapshot_profile(request)
    return {
        "id": request.id,
        "status": request.status,
        "status_label": STATUS_LABELS.get(request.status, request.status),
        "created_at": iso(request.created_at),
        "need": script_aid.label("need", profile.get("need")),
        "public": script_aid.label("public", profile.get("public")),
        "channel": CHANNEL_LABELS.get(request.channel, request.channel),
    }


def callback_item(request: HandoverRequest) -> dict[str, Any]:
    """A call-back request as the list shows it (with the contact, to call back)."""
    snapshot = request.snapshot or {}
    profile = snapshot_profile(request)
    return {
        "id": request.id,
        "created_at": iso(request.created_at),
        "contact_kind": "Téléphone" if request.contact_kind == "phone" else "Courriel",
        "contact": request.contact or "",
        "slot": SLOTS.get(request.slot or "", ""),
        "note": request.note,
        "profile": script_aid.profile_lines(profile),
        "proposal": script_aid.proposal(snapshot.get("orientation"), network_name),
    }


def desk_state(
    adviser: Adviser,
    me: AdviserState | None,
    queue: list[HandoverRequest],
    callbacks: list[HandoverRequest],
    line: dict[str, Any],
) -> dict[str, Any]:
    """What the desk shows: the adviser's availability, queue, call-backs, line."""
    return {
        "me": {
            "first_name": first_name(adviser),
            "available": bool(me and me.available),
            "capacity": me.capacity if me else 1,
        },
        "queue": [queue_item(r) for r in queue],
        "callbacks": [callback_item(r) for r in callbacks],
        "line": {
            "open_now": line["open_now"],
            "hours": line["hours"],
            "advisers": line["advisers"],
        },
        "outcomes": [{"value": k, "label": v} for k, v in LIVE_OUTCOMES.items()],
        "callback_outcomes": [
            {"value": k, "label": v} for k, v in CALLBACK_OUTCOMES.items()
        ],
    }


def conversation_json(
    request: HandoverRequest, messages: list[dict[str, Any]], username: str
) -> dict[str, Any]:
    """A conversation with the script aid; its transcript is the masked one.

    ``messages`` are the desk's messages as the pages show them.
    """
    snapshot = request.snapshot or {}
    orientation = snapshot.get("orientation")
    profile = snapshot_profile(request)
    return {
        "id": request.id,
        "status": request.status,
        "status_label": STATUS_LABELS.get(request.status, request.status),
        "mine": request.adviser == username and request.status == "taken",
        "created_at": iso(request.created_at),
        "taken_at": iso(request.taken_at),
        "channel": CHANNEL_LABELS.get(request.channel, request.channel),
        "profile": script_aid.profile_lines(profile),
        "proposal": script_aid.proposal(orientation, network_name),
        "next_question": script_aid.next_question(profile, orientation),
        "orientation": orientation,
        "transcript": snapshot.get("transcript") or [],
        "messages": messages,
    }


def fiche_sections(
    request: HandoverRequest, messages: list[Message], adviser: Adviser
) -> list[Section]:
    """A chat's fiche de liaison: the call fiche's sections, the channel recorded."""
    snapshot = request.snapshot or {}
    said = [
        {"who": "caller", "text": t["text"]}
        for t in snapshot.get("transcript") or []
        if t.get("who") == "person"
    ]
    said += [{"who": "caller", "text": m.text} for m in messages if m.who == "person"]
    record = CallRecord(
        id=request.id,
        username=adviser.username,
        sender_id="",
        transcript=said,
        started_at=request.taken_at or request.created_at,
        ended_at=request.closed_at,
        outcome=request.outcome if request.outcome in LIVE_OUTCOMES else None,
        profile=snapshot.get("profile") or {},
        orientation=snapshot.get("orientation"),
    )
    sections = build_sections(record, adviser.name, network_name)
    first = sections[0]
    channel = CHANNEL_LABELS.get(request.channel, request.channel)
    sections[0] = Section(
        "Échange", (f"Canal : {channel}, repris de l'assistant", *first.lines[1:])
    )
    return sections
