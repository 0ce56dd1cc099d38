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

from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.advisers.accounts import AccountBook, Adviser
from bot.advisers.service import ConsoleService, iso
from bot.advisers.store import ConsoleStore
from channels import guard, rate_limits
from channels.adviser_session import (
    COOKIE,
    add_static_files,
    clear_session_cookie,
    set_session_cookie,
    staff_headers,
)
from channels.console.dialogue import OnNewMessage, RasaDialogue
from channels.console.requests import (
    adviser_json,
    api,
    calls_json,
    fiche_answer,
    fields_json,
    json_body,
)

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
        add_static_files(bp, STATIC_DIR, STATIC_FILES)

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
            staff_headers(answer, SECURITY_HEADERS)
            answer.headers["Cache-Control"] = "no-store"

        @bp.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):  # relative links need the trailing slash
                return response.redirect(request.path + "/")
            return await response.file(
                STATIC_DIR / "console.html", mime_type="text/html; charset=utf-8"
            )

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
            secure = self.secure_cookie or request.scheme == "https"
            set_session_cookie(answer, COOKIE, signed_in.token, COOKIE_PATH, secure)
            return answer

        @bp.route("/api/logout", methods=["POST", "OPTIONS"])
        @api
        async def logout(request: Request) -> HTTPResponse:
            self.service.sign_out(request.cookies.get(COOKIE))
            answer = response.json({"signed_out": True})
            clear_session_cookie(answer, COOKIE, COOKIE_PATH)
            return answer

        @bp.route("/api/me", methods=["GET", "OPTIONS"])
        @api
        async def me(request: Request) -> HTTPResponse:
            return response.json({"adviser": adviser_json(adviser(request))})

        @bp.route("/api/fields", methods=["GET", "OPTIONS"])
        @api
        async def fields(request: Request) -> HTTPResponse:
            adviser(request)
            return response.json(fields_json(self.service.fields(dialogue(request))))

        @bp.route("/api/calls", methods=["GET", "OPTIONS"])
        @api
        async def list_calls(request: Request) -> HTTPResponse:
            return response.json(calls_json(self.service.calls(adviser(request))))

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
            started_at = self.service.call(who, call_id).started_at
            return fiche_answer(request, sections, started_at)

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
