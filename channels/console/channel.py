"""The tele-adviser console as a Rasa input channel: HTTP mapped to ``ConsoleService``.

Served by the Rasa server under ``/webhooks/console/``: the page (``GET /``), its
static files, and a JSON API for signed-in advisers only (session cookie, HttpOnly,
SameSite=Strict, path ``/webhooks/console``). Same-origin only: changes must be JSON
from the console's own origin, and no CORS header ever leaves this blueprint, even
when Rasa runs with ``--cors``. What the console does is in
``bot.advisers.service``; here the dialogue is the Rasa agent, reached with
``input_channel`` and output channel ``console`` so that the dialogue words its
questions for the phone. See docs/console.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import urlparse

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    UserMessage,
)
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.advisers.accounts import AccountBook, Adviser
from bot.advisers.fiche import as_html, as_text
from bot.advisers.service import (
    ConsoleError,
    ConsoleService,
    DialogueTurn,
    iso,
)
from bot.advisers.store import OUTCOMES, ConsoleStore
from channels import guard, rate_limits
from channels.adviser_session import COOKIE

COOKIE_PATH = "/webhooks/console"
STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = {
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "fiche.css": "text/css; charset=utf-8",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}

Handler = Callable[..., Awaitable[HTTPResponse]]
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class ConsoleOutputChannel(CollectingOutputChannel):
    """Collects the bot's messages as channel ``console`` (the phone wording).

    Quick-reply buttons are not offered on the phone: their titles become ``options``,
    a plain list the adviser can read out.
    """

    @classmethod
    def name(cls) -> str:
        """Name the dialogue sees as the output channel."""
        return "console"

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Text plus the buttons' titles as options."""
        options = [str(b.get("title", "")) for b in buttons if b.get("title")]
        await self._persist_message(
            {"recipient_id": recipient_id, "text": text, "options": options}
        )


class RasaDialogue:
    """The ``Dialogue`` of ``ConsoleService`` backed by this server's Rasa agent."""

    def __init__(
        self, agent: Any, on_new_message: OnNewMessage, channel_name: str
    ) -> None:
        """The agent (None while the server starts) and Rasa's message handler."""
        self.agent = agent
        self.on_new_message = on_new_message
        self.channel_name = channel_name

    def ready(self) -> bool:
        """False until the model is loaded."""
        return self.agent is not None and self.agent.is_ready()

    def slot_types(self) -> dict[str, dict[str, Any]]:
        """Type and values of every slot of the domain."""
        return {
            slot.name: {
                "type": slot.type_name,
                "values": list(getattr(slot, "values", []) or []),
            }
            for slot in self.agent.domain.slots
        }

    async def turn(self, conversation_id: str, text: str) -> DialogueTurn:
        """One message through the dialogue; its messages and the slots afterwards."""
        collector = ConsoleOutputChannel()
        await self.on_new_message(
            UserMessage(
                text,
                collector,
                conversation_id,
                input_channel=self.channel_name,
                metadata={"channel_page": "console"},
            )
        )
        tracker = await self.agent.tracker_store.retrieve(conversation_id)
        slots = tracker.current_slot_values() if tracker is not None else {}
        return DialogueTurn(messages=collector.messages, slots=slots)


class ConsoleInput(InputChannel):
    """Console for the tele-advisers of the regional orientation line."""

    @classmethod
    def name(cls) -> str:
        """Channel name: URL prefix ``/webhooks/console``, the dialogue's channel."""
        return "console"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "ConsoleInput":
        """Options from credentials.yml (all optional)."""
        credentials = credentials or {}
        return cls(
            correction_intent=credentials.get("correction_intent") or "inform",
            secure_cookie=bool(credentials.get("secure_cookie", False)),
        )

    def __init__(
        self,
        correction_intent: str = "inform",
        secure_cookie: bool = False,
        store: ConsoleStore | None = None,
        accounts: AccountBook | None = None,
    ) -> None:
        """Intent that carries corrections to the dialogue; cookie ``Secure`` flag.

        ``store`` and ``accounts`` default to the configured database and accounts file
        (the database is opened on first use, not here).
        """
        self.correction_intent = correction_intent
        self.secure_cookie = secure_cookie
        self._store = store
        self.accounts = accounts or AccountBook()
        self._service: ConsoleService | None = None
        self._validate_configuration()

    def _validate_configuration(self) -> None:
        if not str(self.correction_intent).isidentifier():
            raise InvalidConfigException(
                f"console: correction_intent « {self.correction_intent} » "
                "is not an intent name."
            )

    @property
    def service(self) -> ConsoleService:
        """The console's service (built on first use, with the configured database)."""
        if self._service is None:
            self._service = ConsoleService(
                self._store or ConsoleStore(), self.accounts, self.correction_intent
            )
        return self._service

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """The page, its static files and the API."""
        bp = Blueprint(f"console_{type(self).__name__}", __name__)
        guard.protect(bp)

        def dialogue(request: Request) -> RasaDialogue:
            return RasaDialogue(
                getattr(request.app.ctx, "agent", None), on_new_message, self.name()
            )

        def adviser(request: Request) -> Adviser:
            return self.service.adviser(request.cookies.get(COOKIE))

        def call_answer(call: Any, status: int = 200) -> HTTPResponse:
            return response.json(self.service.view(call), status=status)

        @bp.middleware("response")
        async def headers(request: Request, answer: HTTPResponse) -> None:
            for name in [
                h for h in answer.headers if h.lower().startswith("access-control-")
            ]:
                del answer.headers[name]
            for name, value in SECURITY_HEADERS.items():
                answer.headers.setdefault(name, value)
            answer.headers["Cache-Control"] = "no-store"

        def api(handler: Handler) -> Handler:
            async def wrapped(
                request: Request, *args: Any, **kwargs: Any
            ) -> HTTPResponse:
                if request.method == "OPTIONS":
                    # Same-origin pages send no preflight; others get no CORS header.
                    return response.empty(status=204)
                try:
                    if request.method != "GET":
                        check_same_origin(request)
                    return await handler(request, *args, **kwargs)
                except ConsoleError as error:
                    wait = error.extra.get("retry_after")
                    return response.json(
                        {"error": error.message, **error.extra},
                        status=error.status,
                        headers={"Retry-After": str(wait)} if wait else None,
                    )

            wrapped.__name__ = handler.__name__
            return wrapped

        @bp.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):  # relative links need the trailing slash
                return response.redirect(request.path + "/")
            return await response.file(
                STATIC_DIR / "console.html", mime_type="text/html; charset=utf-8"
            )

        @bp.route("/static/<name:str>", methods=["GET"])
        async def static(_: Request, name: str) -> HTTPResponse:
            if name not in STATIC_FILES:
                return response.text("Fichier introuvable.", status=404)
            return await response.file(STATIC_DIR / name, mime_type=STATIC_FILES[name])

        @bp.route("/api/login", methods=["POST", "OPTIONS"])
        @api
        async def login(request: Request) -> HTTPResponse:
            body = json_body(request)
            signed_in = await self.service.sign_in(
                str(body.get("username", "")),
                str(body.get("password", "")),
                rate_limits.client_address(request),
            )
            answer = response.json(
                {
                    "adviser": adviser_json(signed_in.adviser),
                    "expires_at": iso(signed_in.expires_at),
                }
            )
            answer.cookies[COOKIE] = signed_in.token
            cookie = answer.cookies[COOKIE]
            cookie["httponly"] = True
            cookie["samesite"] = "Strict"
            cookie["path"] = COOKIE_PATH
            cookie["secure"] = self.secure_cookie or request.scheme == "https"
            return answer

        @bp.route("/api/logout", methods=["POST", "OPTIONS"])
        @api
        async def logout(request: Request) -> HTTPResponse:
            self.service.sign_out(request.cookies.get(COOKIE))
            answer = response.json({"signed_out": True})
            answer.cookies[COOKIE] = ""
            answer.cookies[COOKIE]["max-age"] = 0
            answer.cookies[COOKIE]["path"] = COOKIE_PATH
            return answer

        @bp.route("/api/me", methods=["GET", "OPTIONS"])
        @api
        async def me(request: Request) -> HTTPResponse:
            return response.json({"adviser": adviser_json(adviser(request))})

        @bp.route("/api/fields", methods=["GET", "OPTIONS"])
        @api
        async def fields(request: Request) -> HTTPResponse:
            adviser(request)
            specs = self.service.fields(dialogue(request))
            return response.json(
                {
                    "fields": [s.as_dict() for s in specs],
                    "outcomes": [{"value": k, "label": v} for k, v in OUTCOMES.items()],
                }
            )

        @bp.route("/api/calls", methods=["GET", "OPTIONS"])
        @api
        async def list_calls(request: Request) -> HTTPResponse:
            calls = self.service.calls(adviser(request))
            return response.json(
                {
                    "calls": [
                        {
                            "id": c.id,
                            "started_at": iso(c.started_at),
                            "open": c.is_open,
                            "outcome_label": OUTCOMES.get(c.outcome or ""),
                        }
                        for c in calls
                    ]
                }
            )

        @bp.route("/api/calls", methods=["POST"])
        @api
        async def start_call(request: Request) -> HTTPResponse:
            return call_answer(self.service.start_call(adviser(request)), status=201)

        @bp.route("/api/calls/<call_id:str>", methods=["GET", "OPTIONS"])
        @api
        async def get_call(request: Request, call_id: str) -> HTTPResponse:
            return call_answer(self.service.call(adviser(request), call_id))

        @bp.route("/api/calls/<call_id:str>/say", methods=["POST", "OPTIONS"])
        @api
        async def say(request: Request, call_id: str) -> HTTPResponse:
            who = adviser(request)
            text = json_body(request).get("text", "")
            return call_answer(
                await self.service.say(
                    who,
                    call_id,
                    text if isinstance(text, str) else "",
                    dialogue(request),
                )
            )

        @bp.route("/api/calls/<call_id:str>/profile", methods=["POST", "OPTIONS"])
        @api
        async def correct(request: Request, call_id: str) -> HTTPResponse:
            who = adviser(request)
            body = json_body(request)
            return call_answer(
                await self.service.correct(
                    who,
                    call_id,
                    str(body.get("field", "")),
                    body.get("value"),
                    dialogue(request),
                )
            )

        @bp.route("/api/calls/<call_id:str>/structure", methods=["POST", "OPTIONS"])
        @api
        async def choose_structure(request: Request, call_id: str) -> HTTPResponse:
            who = adviser(request)
            return call_answer(
                self.service.choose_structure(
                    who, call_id, json_body(request).get("structure_id")
                )
            )

        @bp.route("/api/calls/<call_id:str>/caller", methods=["POST", "OPTIONS"])
        @api
        async def caller(request: Request, call_id: str) -> HTTPResponse:
            who = adviser(request)
            body = json_body(request)
            return call_answer(
                self.service.record_caller(
                    who,
                    call_id,
                    body.get("consent") is True,
                    body.get("name"),
                    body.get("contact"),
                    body.get("note"),
                )
            )

        @bp.route("/api/calls/<call_id:str>/close", methods=["POST", "OPTIONS"])
        @api
        async def close(request: Request, call_id: str) -> HTTPResponse:
            who = adviser(request)
            return call_answer(
                self.service.close(who, call_id, json_body(request).get("outcome"))
            )

        @bp.route("/api/calls/<call_id:str>/fiche", methods=["GET", "OPTIONS"])
        @api
        async def fiche(request: Request, call_id: str) -> HTTPResponse:
            who = adviser(request)
            sections = self.service.fiche(who, call_id)
            as_page = request.args.get("format") == "html"
            if as_page:
                prefix = request.path.rsplit("/api/", 1)[0]
                answer = response.html(as_html(sections, f"{prefix}/static/fiche.css"))
            else:
                answer = response.text(as_text(sections))
            if request.args.get("download") == "1":
                day = self.service.call(who, call_id).started_at.strftime("%Y-%m-%d")
                extension = "html" if as_page else "txt"
                answer.headers["Content-Disposition"] = (
                    f'attachment; filename="fiche-de-liaison-{day}.{extension}"'
                )
            return answer

        @bp.route("/api/networks", methods=["GET", "OPTIONS"])
        @api
        async def networks(request: Request) -> HTTPResponse:
            adviser(request)
            return response.json({"networks": self.service.networks()})

        @bp.route("/api/structures", methods=["GET", "OPTIONS"])
        @api
        async def structures(request: Request) -> HTTPResponse:
            adviser(request)
            return response.json(
                self.service.structures(
                    str(request.args.get("network", "")),
                    str(request.args.get("commune", "")),
                )
            )

        return bp


def adviser_json(adviser: Adviser) -> dict[str, str]:
    """The adviser as the page shows them."""
    return {"username": adviser.username, "name": adviser.name}


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or ``ConsoleError(400)``."""
    try:
        body = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ConsoleError(400, "La requête doit être un objet JSON.") from None
    if not isinstance(body, dict):
        raise ConsoleError(400, "La requête doit être un objet JSON.")
    return body


def check_same_origin(request: Request) -> None:
    """Refuse changes sent from another site (with SameSite cookies, a second lock)."""
    if "application/json" not in request.headers.get("content-type", ""):
        raise ConsoleError(
            415, "La requête doit être envoyée en JSON (application/json)."
        )
    origin = request.headers.get("origin")
    if origin and urlparse(origin).netloc != request.host:
        raise ConsoleError(403, "Requête refusée : elle ne vient pas de la console.")
