"""The public side of the chat desk, served by the Rasa server: ``/webhooks/handover``.

- ``GET  /status?region=24``  can a person talk to an adviser now; the line's hours;
- ``POST /request``           ``{"sender", "region"}``: join the queue; answers a secret
  ``token`` and the place in the queue, or 409 with what the call-back form needs;
- ``GET  /events?token=…``    server-sent events: the adviser's messages and the state;
- ``GET  /state?token=…``     the person's request now (a page rejoining it), else 404;
- ``POST /message``           ``{"token", "text"}``: the person writes to the adviser;
- ``POST /leave``             ``{"token"}``: leave the queue or the conversation;
- ``POST /callback``          ``{"sender", "consent", "contact_kind", "contact", "slot",
  "note", "region"}``: a call-back request (explicit consent required).

Nothing a person sends can make a message appear as an adviser's: the person's messages
are always stored as ``person``; advisers write only through the signed-in console.
Contact data goes from this route to the desk's table only: never through Rasa, so never
into the tracker store, and never logged.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.conversation.orientation_payload import is_orientation
from bot.handover.desk import (
    SLOTS,
    DeskError,
    HandoverDesk,
    callback_open_days,
    callback_retention_days,
)
from bot.handover.store import HandoverRequest
from channels import conversation_ids, guard
from channels.handover.base import DeskChannel, json_object
from channels.handover.hub import hub_for, stream_conversation
from channels.public_rest import add_public_cors

_REGION = re.compile(r"^\d{2}$")
FINAL = ("returned", "closed", "left")
TRANSCRIPT_TURNS = 40
# Dialogue slots copied into a request for the adviser (nothing else from the tracker).
PROFILE_SLOTS = (
    "age",
    "age_band",
    "situation",
    "need",
    "commune_name",
    "postcode",
    "commune_insee",
    "disability",
    "cadre",
    "sector",
    "public",
)


def sender_of(body: dict[str, Any]) -> str:
    """The conversation id the web chat uses, checked like the webhook does."""
    sender = body.get("sender")
    if not isinstance(sender, str) or not conversation_ids.is_valid(sender):
        raise DeskError(
            403, "Conversation inconnue : rechargez la page pour en commencer une."
        )
    return sender


def region_of(value: Any) -> str:
    """A 2-digit region code, or empty."""
    return value if isinstance(value, str) and _REGION.match(value) else ""


async def person_request(
    request: Request,
) -> tuple[dict[str, Any], str, str, dict[str, Any]]:
    """A person's request: its body, conversation id, region and snapshot."""
    body = json_object(request)
    sender = sender_of(body)
    agent = getattr(request.app.ctx, "agent", None)
    snapshot = await conversation_snapshot(agent, sender)
    return body, sender, region_of(body.get("region")), snapshot


def person_state(desk: HandoverDesk, token: str) -> dict[str, Any]:
    """The person's view of their request, ``final`` once it is over."""
    request = desk.by_token(token)
    view = desk.person_view(request)
    view["final"] = request.status in FINAL
    return view


def callback_expectation(hours_text: str) -> str:
    """When the person can expect to be contacted, honestly."""
    days = f"{callback_retention_days():g}"
    open_days = f"{callback_open_days():g}"
    when = (
        f"pendant les horaires de la ligne ({hours_text.rstrip('.')})"
        if hours_text
        else "dès que possible, pendant les horaires d'ouverture du service "
        "(nous ne les connaissons pas ici)"
    )
    return (
        "Votre demande est enregistrée. Un conseiller ou une conseillère vous "
        f"recontactera {when}, en tenant compte du moment choisi. Vos coordonnées "
        "seront effacées au "
        f"plus tard {days} jours après le rappel, et {open_days} jours après votre "
        "demande si personne n'a pu vous rappeler."
    )


async def conversation_snapshot(agent: Any, sender_id: str) -> dict[str, Any]:
    """What the assistant understood: profile, last orientation, masked transcript."""
    snapshot: dict[str, Any] = {"profile": {}, "orientation": None, "transcript": []}
    if agent is None or agent.tracker_store is None:
        return snapshot
    tracker = await agent.tracker_store.retrieve(sender_id)
    if tracker is None:
        return snapshot
    slots = tracker.current_slot_values()
    snapshot["profile"] = {
        k: slots.get(k) for k in PROFILE_SLOTS if slots.get(k) is not None
    }
    transcript = []
    for event in tracker.events:
        if (
            isinstance(event, UserUttered)
            and event.text
            and not event.text.startswith("/")
        ):
            transcript.append({"who": "person", "text": event.text})
        elif isinstance(event, BotUttered):
            custom = (event.data or {}).get("custom")
            if is_orientation(custom):
                snapshot["orientation"] = custom
            if event.text:
                transcript.append({"who": "assistant", "text": event.text})
    snapshot["transcript"] = transcript[-TRANSCRIPT_TURNS:]
    return snapshot


class HandoverInput(DeskChannel):
    """Public routes of the chat desk (no Rasa message handling of their own)."""

    def __init__(self, desk: HandoverDesk | None = None) -> None:
        """``desk`` defaults to the configured one (``bot.handover.get_desk()``)."""
        self._desk = desk

    @classmethod
    def name(cls) -> str:
        """URL prefix ``/webhooks/handover``."""
        return "handover"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "HandoverInput":
        """No options: the desk is configured by environment variables."""
        return cls()

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The public routes."""
        bp = Blueprint(f"handover_{type(self).__name__}", __name__)
        guard.protect(bp)

        add_public_cors(bp, paths=None)

        def guarded(
            handler: Callable[..., Awaitable[HTTPResponse | None]],
        ) -> Callable[..., Awaitable[HTTPResponse | None]]:
            async def wrapped(request: Request) -> HTTPResponse | None:
                if request.method == "OPTIONS":
                    return response.empty(status=204)
                try:
                    return await handler(request)
                except DeskError as error:
                    return response.json({"error": error.message}, status=error.status)

            wrapped.__name__ = handler.__name__
            return wrapped

        @bp.route("/status", methods=["GET"])
        @guarded
        async def status(request: Request) -> HTTPResponse:
            line = await self.run(
                self.desk.line_status, region_of(request.args.get("region"))
            )
            return response.json(
                public_line(line), headers={"Cache-Control": "no-store"}
            )

        @bp.route("/request", methods=["POST", "OPTIONS"])
        @guarded
        async def ask(request: Request) -> HTTPResponse:
            _, sender, region, snapshot = await person_request(request)
            try:
                handover, token = await self.run(
                    self.desk.request_live, sender, snapshot, region
                )
            except DeskError as error:
                if error.status != 409:
                    raise
                line = await self.run(self.desk.line_status, region)
                return response.json(
                    {"error": error.message, "callback": public_line(line)}, status=409
                )
            view = await self.run(self.desk.person_view, handover)
            return response.json({"token": token, **view}, status=201)

        @bp.route("/events", methods=["GET"])
        @guarded
        async def events(request: Request) -> HTTPResponse | None:
            token = str(request.args.get("token", ""))
            handover: HandoverRequest = await self.run(self.desk.by_token, token)
            after = last_event_id(request)
            await stream_conversation(
                request,
                hub_for(self.desk),
                handover.id,
                after,
                partial(person_state, self.desk, token),
                lambda message: message.who != "person",
            )
            return None

        @bp.route("/state", methods=["GET"])
        @guarded
        async def state(request: Request) -> HTTPResponse:
            token = str(request.args.get("token", ""))
            view = await self.run(person_state, self.desk, token)
            return response.json(view, headers={"Cache-Control": "no-store"})

        @bp.route("/message", methods=["POST", "OPTIONS"])
        @guarded
        async def message(request: Request) -> HTTPResponse:
            body = json_object(request)
            handover = await self.run(self.desk.by_token, str(body.get("token", "")))
            sent = await self.run(self.desk.person_message, handover, body.get("text"))
            return response.json({"id": sent.id}, status=201)

        @bp.route("/leave", methods=["POST", "OPTIONS"])
        @guarded
        async def leave(request: Request) -> HTTPResponse:
            body = json_object(request)
            handover = await self.run(self.desk.by_token, str(body.get("token", "")))
            await self.run(self.desk.leave, handover)
            return response.json({"left": True})

        @bp.route("/callback", methods=["POST", "OPTIONS"])
        @guarded
        async def callback(request: Request) -> HTTPResponse:
            body, sender, region, snapshot = await person_request(request)
            await self.run(
                partial(
                    self.desk.request_callback,
                    sender,
                    snapshot,
                    consent=body.get("consent"),
                    contact_kind=str(body.get("contact_kind", "")),
                    contact=str(body.get("contact", ""))[:200],
                    slot=str(body.get("slot", "")),
                    note=str(body.get("note", "")),
                    region=region,
                )
            )
            line = await self.run(self.desk.line_status, region)
            return response.json(
                {"text": callback_expectation(line["hours"])}, status=201
            )

        return bp


def public_line(line: dict[str, Any]) -> dict[str, Any]:
    """What the public may know of the desk: no adviser names, no counts."""
    return {
        "live": line["live"],
        "open_now": line["open_now"],
        "hours": line["hours"],
        "phone": line["phone"],
        "service_name": line["service_name"],
        "slots": [{"value": k, "label": v} for k, v in SLOTS.items()],
        "retention_days": callback_retention_days(),
        "open_days": callback_open_days(),
    }


def last_event_id(request: Request) -> int:
    """Where a reconnecting stream resumes (``Last-Event-ID`` header or ``after``)."""
    raw = request.headers.get("last-event-id") or request.args.get("after") or "0"
    try:
        return max(0, int(raw))
    except ValueError:
        return 0
