"""The advisers' side of the chat desk, inside the console: ``/webhooks/console/desk/``.

Signed-in advisers only (the console's session cookie, whose path covers this prefix;
same-origin check on changes, like the console's API). An adviser sees the waiting
queue, the call-back requests and only the conversations they took: any other
conversation answers 404, like one that does not exist.

- ``GET  /static/desk.js|desk.css``            the desk's part of the console page;
- ``GET  /api/state``                          availability, queue, call-backs, line;
- ``POST /api/availability``                   ``{"available", "capacity"}``;
- ``GET  /api/conversations/<id>``             what the assistant understood, the
  script aid and the messages;
- ``GET  /api/conversations/<id>/events``      server-sent events (new messages);
- ``POST /api/conversations/<id>/take|say|hand-back|close``;
- ``GET  /api/conversations/<id>/fiche``       the fiche de liaison, channel recorded;
- ``POST /api/callbacks/<id>/close``           ``{"outcome"}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.advisers.accounts import AccountBook, Adviser
from bot.advisers.fiche import as_html, as_text
from bot.advisers.handover_view import (
    conversation_json,
    desk_state,
    fiche_sections,
    first_name,
)
from bot.advisers.service import ConsoleError, ConsoleService
from bot.advisers.store import ConsoleStore
from bot.handover.desk import DeskError, HandoverDesk
from channels import guard
from channels.adviser_session import (
    COOKIE,
    add_static_files,
    cross_site_refusal,
    staff_headers,
)
from channels.handover.base import DeskChannel, json_object
from channels.handover.hub import hub_for, message_json, stream_conversation
from channels.handover.public import last_event_id

STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = {
    "desk.js": "text/javascript; charset=utf-8",
    "desk.css": "text/css; charset=utf-8",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class HandoverDeskInput(DeskChannel):
    """The desk's routes for signed-in advisers, under the console's prefix."""

    def __init__(
        self,
        desk: HandoverDesk | None = None,
        sessions: ConsoleStore | None = None,
        accounts: AccountBook | None = None,
    ) -> None:
        """Desk, the console's sessions and accounts (configured ones by default)."""
        self._desk = desk
        self._sessions = sessions
        self.accounts = accounts or AccountBook()

    @classmethod
    def name(cls) -> str:
        """Channel name (it handles no Rasa message)."""
        return "handover_desk"

    def url_prefix(self) -> str:
        """Under the console, so that its session cookie (/webhooks/console) applies."""
        return "console/desk"

    @classmethod
    def from_credentials(
        cls, credentials: dict[str, Any] | None
    ) -> "HandoverDeskInput":
        """No options."""
        return cls()

    @property
    def sessions(self) -> ConsoleStore:
        """The console's sessions (built on first use)."""
        if self._sessions is None:
            self._sessions = ConsoleStore()
        return self._sessions

    def signed_in(self, request: Request) -> Adviser:
        """The signed-in adviser, else ``DeskError(401)``; marks their console seen."""
        try:
            adviser = ConsoleService(self.sessions, self.accounts).adviser(
                request.cookies.get(COOKIE)
            )
        except ConsoleError as error:
            raise DeskError(error.status, error.message) from None
        self.desk.seen(adviser.username)
        return adviser

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Static files and the advisers' API."""
        bp = Blueprint(f"handover_desk_{type(self).__name__}", __name__)
        guard.protect(bp)

        add_static_files(bp, STATIC_DIR, STATIC_FILES)

        @bp.middleware("response")
        async def headers(request: Request, answer: HTTPResponse) -> None:
            staff_headers(answer, SECURITY_HEADERS)

        def api(
            handler: Callable[..., Awaitable[HTTPResponse]],
        ) -> Callable[..., Awaitable[HTTPResponse]]:
            async def wrapped(request: Request, **params: Any) -> HTTPResponse:
                try:
                    if request.method != "GET":
                        same_origin(request)
                    adviser = await self.run(self.signed_in, request)
                    return await handler(request, adviser, **params)
                except DeskError as error:
                    return response.json({"error": error.message}, status=error.status)

            wrapped.__name__ = handler.__name__
            return wrapped

        @bp.route("/api/state", methods=["GET"])
        @api
        async def state(request: Request, adviser: Adviser) -> HTTPResponse:
            me = await self.run(self.desk.seen, adviser.username)
            queue = await self.run(self.desk.queue, adviser.username)
            callbacks = await self.run(self.desk.callbacks)
            line = await self.run(self.desk.line_status, None)
            return response.json(desk_state(adviser, me, queue, callbacks, line))

        @bp.route("/api/availability", methods=["POST"])
        @api
        async def availability(request: Request, adviser: Adviser) -> HTTPResponse:
            body = json_object(request)
            try:
                capacity = int(body.get("capacity", 1))
            except (TypeError, ValueError):
                raise DeskError(422, "Nombre de conversations : 1, 2 ou 3.") from None
            me = await self.run(
                self.desk.set_availability,
                adviser.username,
                first_name(adviser),
                body.get("available") is True,
                capacity,
            )
            return response.json({"available": me.available, "capacity": me.capacity})

        async def view(request_id: str, adviser: Adviser) -> HTTPResponse:
            found = await self.run(self.desk.conversation, request_id, adviser.username)
            messages = await self.run(self.desk.messages_after, request_id, 0, 1000)
            return response.json(
                conversation_json(
                    found, [message_json(m) for m in messages], adviser.username
                )
            )

        @bp.route("/api/conversations/<request_id:str>", methods=["GET"])
        @api
        async def conversation(
            request: Request, adviser: Adviser, request_id: str
        ) -> HTTPResponse:
            return await view(request_id, adviser)

        @bp.route("/api/conversations/<request_id:str>/take", methods=["POST"])
        @api
        async def take(
            request: Request, adviser: Adviser, request_id: str
        ) -> HTTPResponse:
            await self.run(self.desk.take, request_id, adviser.username)
            return await view(request_id, adviser)

        @bp.route("/api/conversations/<request_id:str>/say", methods=["POST"])
        @api
        async def say(
            request: Request, adviser: Adviser, request_id: str
        ) -> HTTPResponse:
            sent = await self.run(
                self.desk.adviser_message,
                request_id,
                adviser.username,
                json_object(request).get("text"),
            )
            return response.json(message_json(sent), status=201)

        @bp.route("/api/conversations/<request_id:str>/hand-back", methods=["POST"])
        @api
        async def hand_back(
            request: Request, adviser: Adviser, request_id: str
        ) -> HTTPResponse:
            await self.run(self.desk.hand_back, request_id, adviser.username)
            return response.json({"status": "returned"})

        @bp.route("/api/conversations/<request_id:str>/close", methods=["POST"])
        @api
        async def close(
            request: Request, adviser: Adviser, request_id: str
        ) -> HTTPResponse:
            outcome = str(json_object(request).get("outcome", ""))
            await self.run(self.desk.close, request_id, adviser.username, outcome)
            return response.json({"status": "closed"})

        @bp.route("/api/conversations/<request_id:str>/fiche", methods=["GET"])
        @api
        async def fiche(
            request: Request, adviser: Adviser, request_id: str
        ) -> HTTPResponse:
            found = await self.run(self.desk.conversation, request_id, adviser.username)
            if found.adviser != adviser.username:
                raise DeskError(409, "Prenez la conversation pour préparer sa fiche.")
            messages = await self.run(self.desk.messages_after, request_id, 0, 1000)
            sections = fiche_sections(found, messages, adviser)
            if request.args.get("format") == "html":
                console = request.path.split("/desk/", 1)[0]
                return response.html(as_html(sections, f"{console}/static/fiche.css"))
            return response.text(as_text(sections))

        @bp.route("/api/conversations/<request_id:str>/events", methods=["GET"])
        async def events(request: Request, request_id: str) -> HTTPResponse | None:
            try:
                adviser = await self.run(self.signed_in, request)
                await self.run(self.desk.conversation, request_id, adviser.username)
            except DeskError as error:
                return response.json({"error": error.message}, status=error.status)

            def adviser_state() -> dict[str, Any]:
                try:
                    found = self.desk.conversation(request_id, adviser.username)
                except DeskError:
                    return {"status": "gone", "final": True}
                return {
                    "status": found.status,
                    "mine": found.adviser == adviser.username,
                    "final": found.status not in ("waiting", "taken"),
                }

            await stream_conversation(
                request,
                hub_for(self.desk),
                request_id,
                last_event_id(request),
                adviser_state,
                lambda message: True,
            )
            return None

        @bp.route("/api/callbacks/<request_id:str>/close", methods=["POST"])
        @api
        async def close_callback(
            request: Request, adviser: Adviser, request_id: str
        ) -> HTTPResponse:
            outcome = str(json_object(request).get("outcome", ""))
            await self.run(
                self.desk.close_callback, request_id, adviser.username, outcome
            )
            return response.json({"status": "done"})

        return bp


def same_origin(request: Request) -> None:
    """Refuse changes sent from another site (a second lock beside SameSite cookies)."""
    refusal = cross_site_refusal(request)
    if refusal is not None:
        raise DeskError(*refusal)
