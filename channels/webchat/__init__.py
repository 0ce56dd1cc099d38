"""The public web chat: a Rasa input channel that also serves its page and widget.

Mounted by Rasa at ``/webhooks/webchat`` (see ``credentials.yml``):

- ``GET  /webhooks/webchat/``            the full-page chat (French, accessible);
- ``GET  /webhooks/webchat/demo``        a sample regional page with the floating
  widget;
- ``GET  /webhooks/webchat/static/<f>``  the widget (``spro-chat.js``,
  ``spro-chat.css``);
- ``GET  /webhooks/webchat/config``      the widget's settings (title, regional line,
  retention);
- ``GET  /webhooks/webchat/health``      ``{"status": "ok"}``;
- ``POST /webhooks/webchat/conversations``  a new signed conversation id;
- ``POST /webhooks/webchat/webhook``     the same contract and protections as the public
  REST channel (``{"sender", "message", "metadata"}`` in, a list of bot messages out).

Everything is served by the Rasa server itself: nothing comes from another host. Other
sites embedding the widget must be listed in ``SPRO_ALLOWED_ORIGINS`` (CORS for the
chat routes only, never with credentials).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.public_rest import PublicRestInput
from channels.webchat.settings import WebChatSettings

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The only files served, with their content types (no directory listing, no traversal).
STATIC_FILES = {
    "spro-chat.js": "application/javascript; charset=utf-8",
    "spro-chat.css": "text/css; charset=utf-8",
}
PAGES = {"": "page.html", "demo": "demo.html"}
# Pages run only their own script and style, and talk only to their own server.
PAGE_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
    # The widget is embedded on the region's own site (``<script>`` and ``<link>``).
    "Cross-Origin-Resource-Policy": "cross-origin",
}


class WebChatInput(PublicRestInput):
    """Public REST channel named ``webchat`` that also serves the web chat."""

    def __init__(self, settings: WebChatSettings | None = None) -> None:
        """Keep the channel's settings (from ``credentials.yml``)."""
        self.settings = settings or WebChatSettings()

    @classmethod
    def name(cls) -> str:
        """Channel name; also the URL prefix ``/webhooks/webchat``."""
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "WebChatInput":
        """Build the channel from its ``credentials.yml`` entry (may be empty)."""
        return cls(WebChatSettings.from_mapping(credentials or {}))

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Page, widget files, settings, health check and webhook routes."""
        webchat = Blueprint(f"webchat_{type(self).__name__}", __name__)

        @webchat.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                # The page's links are relative to /webhooks/webchat/.
                return response.redirect(request.path + "/")
            return await _page("")

        @webchat.route("/demo", methods=["GET"])
        async def demo(_: Request) -> HTTPResponse:
            return await _page("demo")

        async def _page(key: str) -> HTTPResponse:
            body = (STATIC_DIR / PAGES[key]).read_text(encoding="utf-8")
            return response.html(body, headers=PAGE_SECURITY_HEADERS)

        @webchat.route("/static/<filename>", methods=["GET"])
        async def static(_: Request, filename: str) -> HTTPResponse:
            content_type = STATIC_FILES.get(filename)
            if content_type is None:
                return response.text("Fichier introuvable.", status=404)
            return response.raw(
                (STATIC_DIR / filename).read_bytes(),
                content_type=content_type,
                headers=STATIC_HEADERS,
            )

        @webchat.route("/config", methods=["GET", "OPTIONS"])
        async def config(request: Request) -> HTTPResponse:
            if request.method == "OPTIONS":
                return response.empty(status=204)
            region = request.args.get("region") or self.settings.region
            return response.json(
                self.settings.public_config(region),
                headers={"Cache-Control": "no-cache"},
            )

        self.add_message_routes(webchat, on_new_message, health_path="/health")
        return webchat
