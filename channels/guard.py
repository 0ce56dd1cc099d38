"""One guard in front of every route of the Rasa server, whatever channel added it.

Each channel's blueprint calls ``protect(blueprint)``; when the server starts, the first
of them installs, for the whole app (``install``):

- a body limit for every route (``app.config.REQUEST_MAX_SIZE``, so a larger body is
  refused with 413 from its declared length, before it is read), and the smaller limit
  of the route's family when it has one;
- on JSON bodies: at most ``MAX_JSON_DEPTH`` levels (checked before parsing, so a body
  nested 10,000 deep never reaches a recursive parser), every string checked (lone
  surrogates, control characters, unassigned or private code points: 400), NFKC
  normalised and stripped of invisible format and bidi characters (passwords are
  checked, never changed); the handler reads the cleaned body;
- form bodies and query strings checked the same way;
- path parameters (call, request and file ids) ASCII letters, digits, ``_``, ``-``
  and one extension at most (404 otherwise);
- origin: a state-changing request from a browser must come from the server's own
  origin (or, on public routes, from a site in ``SPRO_ALLOWED_ORIGINS``);
  ``Origin: null`` is refused;
- rate limits on the public routes that create something (``channels.rate_limits``);
- no response header with a line break or NUL leaves the server (500 instead: a
  header built from input is a bug, never sent).

A route whose path belongs to no family of ``FAMILIES`` is refused (404, logged): a
new channel must declare its family here, and ``tests/security/test_route_guard.py``
walks every registered route. Refusals are ``{"error": "<French>"}``.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlparse

from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse

from bot import config
from bot.text_input import INVALID_TEXT, invalid_code_point
from channels import http_errors, rate_limits

logger = logging.getLogger(__name__)

MAX_JSON_DEPTH = 8
MAX_QUERY_CHARS = 2048
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Path parameters: ASCII ids, with one file extension at most (static files).
IDENTIFIER = re.compile(r"[A-Za-z0-9_-]{1,128}(?:\.[A-Za-z0-9]{1,8})?")
# JSON fields whose text is checked but never rewritten.
RAW_FIELDS = frozenset({"password"})

TOO_LARGE = "Requête trop volumineuse ({} ko au plus)."
TOO_DEEP = "La requête est trop imbriquée : un objet JSON simple est attendu."
BAD_JSON = "La requête doit être un objet JSON encodé en UTF-8."
BAD_QUERY = "Paramètres d'adresse invalides."
FOREIGN_ORIGIN = "Cette action n'est possible que depuis les pages du service."
UNKNOWN_ROUTE = "Adresse introuvable sur ce serveur."


@dataclass(frozen=True)
class RouteFamily:
    """What the routes under one path prefix accept."""

    name: str
    public: bool
    max_body_bytes: int = 64 * 1024


PUBLIC = RouteFamily("public", public=True)
STAFF = RouteFamily("staff", public=False, max_body_bytes=32 * 1024)
# By path prefix, longest first; "/" alone is the health check.
FAMILIES: tuple[tuple[str, RouteFamily], ...] = (
    ("/webhooks/console/", STAFF),
    ("/webhooks/dashboard/", STAFF),
    ("/webhooks/rest/", PUBLIC),
    ("/webhooks/webchat/", PUBLIC),
    ("/webhooks/handover/", PUBLIC),
)
HEALTH = RouteFamily("health", public=True, max_body_bytes=0)


class Refused(Exception):
    """A request the guard stops: status and French message."""

    def __init__(self, status: int, message: str) -> None:
        """Status and the French explanation sent as ``{"error": …}``."""
        super().__init__(message)
        self.status = status
        self.message = message


def family_of(path: str) -> RouteFamily | None:
    """The family of a route path (Sanic's, with or without the leading slash)."""
    path = "/" + path.lstrip("/")
    if path == "/":
        return HEALTH
    for prefix, family in FAMILIES:
        if path.startswith(prefix) or path + "/" == prefix:
            return family
    return None


def body_limit() -> int:
    """The largest body any route takes: the server's limit."""
    return max(family.max_body_bytes for _, family in FAMILIES)


def nesting_exceeds(text: str, limit: int) -> bool:
    """True when JSON ``text`` nests arrays or objects deeper than ``limit``."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def clean_text(text: str, raw: bool = False) -> str:
    """NFKC text without invisible format or bidi characters; 400 when invalid."""
    if any(invalid_code_point(char) for char in text):
        raise Refused(400, INVALID_TEXT)
    if raw:
        return text
    text = unicodedata.normalize("NFKC", text)
    return "".join(char for char in text if unicodedata.category(char) != "Cf")


def clean_json(value: Any, raw: bool = False) -> Any:
    """``value`` with every string (keys included) checked and normalised."""
    if isinstance(value, str):
        return clean_text(value, raw)
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, dict):
        return {
            clean_text(key): clean_json(item, raw=key in RAW_FIELDS)
            for key, item in value.items()
        }
    return value


def checked_json(body: bytes) -> bytes:
    """A JSON body, checked and normalised, re-encoded; ``Refused`` otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, BAD_JSON) from None
    if nesting_exceeds(text, MAX_JSON_DEPTH):
        raise Refused(400, TOO_DEEP)
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        raise Refused(400, BAD_JSON) from None
    return json.dumps(clean_json(payload), ensure_ascii=False).encode()


def checked_form(body: bytes) -> None:
    """An urlencoded form: UTF-8 with valid code points (the handler parses it)."""
    try:
        fields = parse_qsl(body.decode("ascii"), errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, BAD_QUERY) from None
    for key, value in fields:
        clean_text(key)
        clean_text(value, raw=key in RAW_FIELDS)


def check_query(request: Request) -> None:
    """Query string: short, UTF-8, valid code points."""
    query = request.query_string or ""
    if len(query) > MAX_QUERY_CHARS:
        raise Refused(400, BAD_QUERY)
    try:
        fields = parse_qsl(query, errors="strict", keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, BAD_QUERY) from None
    for key, value in fields:
        clean_text(key)
        clean_text(value)


def check_origin(request: Request, family: RouteFamily) -> None:
    """A browser's state change comes from this server's pages (or allowed sites)."""
    origin = request.headers.get("origin")
    if origin is None or request.method not in STATE_CHANGING:
        return
    origin = origin.rstrip("/")
    if origin != "null" and urlparse(origin).netloc == request.host:
        return
    if family.public and origin in config.allowed_origins():
        return
    raise Refused(403, FOREIGN_ORIGIN)


def check_body(request: Request, family: RouteFamily) -> None:
    """Size, then JSON or form content; the handler reads the cleaned JSON."""
    body = request.body or b""
    if len(body) > family.max_body_bytes:
        raise Refused(413, TOO_LARGE.format(max(1, family.max_body_bytes // 1024)))
    if not body:
        return
    content_type = request.headers.get("content-type", "").lower()
    if "application/x-www-form-urlencoded" in content_type:
        checked_form(body)
        return
    if "json" in content_type or body.lstrip()[:1] in (b"{", b"["):
        request.body = checked_json(body)
        request.parsed_json = None
        return
    if "multipart/" in content_type:
        raise Refused(415, http_errors.MESSAGES[415])
    try:
        clean_text(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused(400, BAD_JSON) from None


def check_identifiers(request: Request) -> None:
    """Path parameters are ASCII ids (a full match: no trailing newline)."""
    for value in request.match_info.values():
        if not IDENTIFIER.fullmatch(str(value)):
            raise Refused(404, UNKNOWN_ROUTE)


async def guard_request(request: Request) -> HTTPResponse | None:
    """Every request of every route, before its handler."""
    route = getattr(request, "route", None)
    if route is None:
        return None
    family = family_of(route.path)
    try:
        if family is None:
            logger.error("Route %s has no family in channels.guard", route.path)
            raise Refused(404, UNKNOWN_ROUTE)
        check_identifiers(request)
        check_query(request)
        check_origin(request, family)
        if request.method != "OPTIONS":
            check_body(request, family)
            await rate_limits.check(request)
    except Refused as refusal:
        return response.json({"error": refusal.message}, status=refusal.status)
    except rate_limits.Limited as limited:
        return response.json(
            {"error": limited.message},
            status=429,
            headers={"Retry-After": str(limited.retry_after)},
        )
    return None


async def guard_response(
    request: Request, answer: BaseHTTPResponse
) -> HTTPResponse | None:
    """No header value with a line break or NUL is ever sent."""
    for name, value in answer.headers.items():
        if any(char in f"{name}{value}" for char in "\r\n\0"):
            logger.error(
                "Header %r with a line break refused on %s", name, request.path
            )
            return response.json({"error": http_errors.INTERNAL}, status=500)
    return None


def install(app: Sanic, *_: Any) -> None:
    """Put the guard in front of every route of ``app`` (idempotent; at start)."""
    if getattr(app.ctx, "spro_guard", False):
        return
    app.config.REQUEST_MAX_SIZE = body_limit()
    # First of all: before CORS preflight answers and the health check.
    app.request_middleware.appendleft(guard_request)
    app.register_middleware(guard_response, "response")
    http_errors.install(app)
    app.ctx.spro_guard = True


def protect(blueprint: Blueprint) -> None:
    """Have the guard installed on the app that serves ``blueprint``."""
    blueprint.listener("before_server_start")(install)
