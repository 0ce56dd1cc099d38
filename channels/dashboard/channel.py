"""The steering dashboard: a Rasa input channel with pages for "pilotage" accounts.

Served by the Rasa server under ``/webhooks/dashboard/``. Accounts come from the
console's accounts file with ``role: pilotage`` (advisers cannot sign in here, nor
pilotage accounts in the console); sessions are the console's (HttpOnly, SameSite=Strict
cookie, lifetime and idle timeout) under their own cookie. Pages are drawn on the server
(SVG charts and their tables), so they work without JavaScript and print as they look.
The channel also starts the derivation of the indicator records from the tracker store
(``bot.indicators.periodic``, docs/indicators.md).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.advisers.accounts import AccountBook, AccountsError, Adviser
from bot.advisers.sign_in_throttle import SignInThrottle
from bot.advisers.store import ConsoleStore
from bot.indicators.aggregate import Filters, Indicators, compute
from bot.indicators.periodic import derive_periodically
from bot.indicators.render import csv_text, pdf_bytes, report_filename, report_html
from bot.indicators.store import IndicatorStore, get_store
from bot.review.serving import check_seconds, follow_model
from channels import guard, rate_limits
from channels.adviser_session import clear_session_cookie, set_session_cookie
from channels.dashboard.filters import default_filters, filters_from, report_filters
from channels.dashboard.pages import PREFIX, dashboard_html, login_html
from channels.dashboard.requests import form_fields
from channels.dashboard.review import add_review_routes

logger = logging.getLogger(__name__)

COOKIE = "spro_pilotage"
STATIC_DIR = Path(__file__).parent / "static"
CSS = STATIC_DIR / "dashboard.css"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not "no-referrer": under it a browser sends « Origin: null » with the pages' own
    # form posts (sign-in), which the guard refuses; "same-origin" still sends nothing
    # to other sites.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


# The report's formats: a header value is only ever one of these (never the query).
REPORT_FORMATS = {"html": "html", "pdf": "pdf", "csv": "csv"}


class DashboardInput(InputChannel):
    """Steering dashboard of the orientation service (no conversation of its own)."""

    @classmethod
    def name(cls) -> str:
        """URL prefix ``/webhooks/dashboard``."""
        return "dashboard"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "DashboardInput":
        """Options from credentials.yml (all optional)."""
        credentials = credentials or {}
        return cls(
            secure_cookie=bool(credentials.get("secure_cookie", False)),
            region=str(credentials.get("region") or ""),
        )

    def __init__(
        self,
        secure_cookie: bool = False,
        region: str = "",
        sessions: ConsoleStore | None = None,
        accounts: AccountBook | None = None,
        indicators: IndicatorStore | None = None,
    ) -> None:
        """Cookie ``Secure`` flag; the region shown first (INSEE code; empty: all)."""
        self.secure_cookie = secure_cookie
        self.region = region
        self._sessions = sessions
        self._indicators = indicators
        self.accounts = accounts or AccountBook(role="pilotage")

    @property
    def sessions(self) -> ConsoleStore:
        """The console's session table (built on first use)."""
        if self._sessions is None:
            self._sessions = ConsoleStore()
        return self._sessions

    @property
    def indicators(self) -> IndicatorStore:
        """The indicators database."""
        return self._indicators or get_store()

    # Authentication -------------------------------------------------------------------
    def user_for(self, request: Request) -> Adviser | None:
        """The signed-in pilotage account, or None."""
        token = request.cookies.get(COOKIE)
        username = self.sessions.session_user(token) if token else None
        return self.accounts.get(username) if username else None

    async def sign_in(self, request: Request) -> HTTPResponse:
        """Check the password (form or JSON) and open a session."""
        fields = form_fields(request)
        username = fields.get("username", "").strip().lower()[:64]
        password = fields.get("password", "")
        if not username or not password:
            return self.login_page(
                "Saisissez votre identifiant et votre mot de passe.", 400
            )
        address = rate_limits.client_address(request)
        throttle = SignInThrottle(lambda: self.sessions.engine, now=self.sessions.now)
        wait = throttle.claim(username, address)
        if wait is not None:
            answer = self.login_page(wait.message, 429)
            answer.headers["Retry-After"] = str(wait.seconds)
            return answer
        try:
            user = await asyncio.get_running_loop().run_in_executor(
                None, self.accounts.authenticate, username, password
            )
        except AccountsError as error:
            logger.error("Dashboard accounts file unusable: %s", error)
            return self.login_page(
                "Les comptes sont mal configurés : prévenez l'équipe technique.", 503
            )
        if user is None:
            throttle.failed(address)
            return self.login_page("Identifiant ou mot de passe incorrect.", 401)
        throttle.succeeded(username, address)
        token, _ = self.sessions.create_session(user.username)
        answer = response.redirect(f"{PREFIX}/", status=303)
        secure = self.secure_cookie or request.scheme == "https"
        set_session_cookie(answer, COOKIE, token, PREFIX, secure)
        return answer

    # Pages ----------------------------------------------------------------------------
    def login_page(self, error: str = "", status: int = 200) -> HTTPResponse:
        """The sign-in form."""
        return response.html(login_html(error), status=status)

    async def compute(self, filters: Filters) -> Indicators:
        """The indicators, computed off the event loop (the chat keeps answering)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, compute, self.indicators, filters)

    async def dashboard_page(
        self, user: Adviser, filters: Filters, error: str = ""
    ) -> HTTPResponse:
        """Filters, key figures, charts with tables, report buttons."""
        indicators = await self.compute(filters)
        return response.html(dashboard_html(user, filters, indicators, error))

    # Routes ---------------------------------------------------------------------------
    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Pages, report downloads, JSON API and the periodic derivation."""
        bp = Blueprint(f"dashboard_{type(self).__name__}", __name__)
        guard.protect(bp)

        @bp.middleware("response")
        async def headers(request: Request, answer: HTTPResponse) -> None:
            for name, value in SECURITY_HEADERS.items():
                answer.headers.setdefault(name, value)

        @bp.listener("after_server_start")
        async def start_deriving(app: Any, _: Any) -> None:
            app.ctx.indicators_task = asyncio.create_task(
                derive_periodically(
                    lambda: getattr(app.ctx, "agent", None), lambda: self.indicators
                )
            )
            # A model put into service by the quality gate is loaded here too.
            app.ctx.model_task = asyncio.create_task(
                follow_model(lambda: getattr(app.ctx, "agent", None), check_seconds())
            )

        @bp.listener("before_server_stop")
        async def stop_deriving(app: Any, _: Any) -> None:
            for name in ("indicators_task", "model_task"):
                task = getattr(app.ctx, name, None)
                if task is not None:
                    task.cancel()

        @bp.route("/", methods=["GET"])
        async def home(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                return response.redirect(request.path + "/")
            user = self.user_for(request)
            if user is None:
                return self.login_page()
            try:
                filters = filters_from(request.args, self.region)
            except ValueError as error:  # shown with the error's fallback filters
                shown = getattr(error, "fallback", None) or default_filters(self.region)
                return await self.dashboard_page(user, shown, str(error))
            return await self.dashboard_page(user, filters)

        add_review_routes(bp, self)

        @bp.route("/static/dashboard.css", methods=["GET"])
        async def static(_: Request) -> HTTPResponse:
            return await response.file(CSS, mime_type="text/css; charset=utf-8")

        @bp.route("/login", methods=["POST"])
        async def login(request: Request) -> HTTPResponse:
            # Posted from another site (or ``Origin: null``): refused by channels.guard.
            return await self.sign_in(request)

        @bp.route("/logout", methods=["POST"])
        async def logout(request: Request) -> HTTPResponse:
            token = request.cookies.get(COOKIE)
            if token:
                self.sessions.delete_session(token)
            answer = response.redirect(f"{PREFIX}/", status=303)
            clear_session_cookie(answer, COOKIE, PREFIX)
            return answer

        @bp.route("/api/indicators", methods=["GET"])
        async def api_indicators(request: Request) -> HTTPResponse:
            if self.user_for(request) is None:
                return response.json(
                    {"error": "Connectez-vous avec un compte pilotage."}, status=401
                )
            try:
                filters = filters_from(request.args, self.region)
            except ValueError as error:
                return response.json({"error": str(error)}, status=400)
            return response.json((await self.compute(filters)).as_json())

        @bp.route("/report", methods=["GET"])
        async def report(request: Request) -> HTTPResponse:
            if self.user_for(request) is None:
                return self.login_page(
                    "Connectez-vous pour télécharger le rapport.", 401
                )
            try:
                filters = report_filters(request.args, self.region)
            except ValueError as error:
                return response.text(str(error), status=400)
            kind = str(request.args.get("format", "html"))
            if kind not in REPORT_FORMATS:
                return response.text(
                    "Format de rapport inconnu : choisissez html, pdf ou csv.",
                    status=400,
                )
            return await self.report_response(filters, REPORT_FORMATS[kind])

        return bp

    async def report_response(self, filters: Filters, kind: str) -> HTTPResponse:
        """The annual report as HTML, PDF (Chromium) or CSV of the aggregated table."""
        indicators = await self.compute(filters)
        if kind == "csv":
            answer = response.text(
                csv_text(indicators), content_type="text/csv; charset=utf-8"
            )
        else:
            html = report_html(indicators, CSS.read_text(encoding="utf-8"))
            if kind == "pdf":
                try:
                    pdf = await asyncio.get_running_loop().run_in_executor(
                        None, pdf_bytes, html
                    )
                except Exception as error:
                    logger.error("Dashboard: Chromium failed: %s", error)
                    return response.text(
                        "Le PDF n'a pas pu être produit ; téléchargez le rapport "
                        "HTML et imprimez-le.",
                        status=503,
                    )
                answer = response.raw(pdf, content_type="application/pdf")
            else:
                answer = response.html(html)
                answer.headers["Content-Security-Policy"] = (
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
                )
        answer.headers["Content-Disposition"] = (
            f'attachment; filename="{report_filename(filters, kind)}"'
        )
        return answer
