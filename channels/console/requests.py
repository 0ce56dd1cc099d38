"""The console API's requests and answers: JSON in, JSON out, errors as JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Awaitable, Callable

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.advisers.accounts import Adviser
from bot.advisers.fiche import Section, as_html, as_text
from bot.advisers.profile_view import FieldSpec
from bot.advisers.service import ConsoleError, iso
from bot.advisers.store import OUTCOMES, CallRecord
from channels.adviser_session import cross_site_refusal

Handler = Callable[..., Awaitable[HTTPResponse]]


def api(handler: Handler) -> Handler:
    """An API route: same-origin changes only, ``ConsoleError`` as a JSON answer."""

    async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
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


def adviser_json(adviser: Adviser) -> dict[str, str]:
    """The adviser as the page shows them."""
    return {"username": adviser.username, "name": adviser.name}


def fields_json(specs: list[FieldSpec]) -> dict[str, Any]:
    """The profile's fields and the calls' outcomes, for the page's forms."""
    return {
        "fields": [s.as_dict() for s in specs],
        "outcomes": [{"value": k, "label": v} for k, v in OUTCOMES.items()],
    }


def calls_json(calls: list[CallRecord]) -> dict[str, Any]:
    """The adviser's calls as the page lists them."""
    return {
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
    refusal = cross_site_refusal(request)
    if refusal is not None:
        raise ConsoleError(*refusal)


def fiche_answer(
    request: Request, sections: list[Section], started_at: datetime
) -> HTTPResponse:
    """The fiche as text or (``format=html``) a page; a file with ``download=1``."""
    as_page = request.args.get("format") == "html"
    if as_page:
        prefix = request.path.rsplit("/api/", 1)[0]
        answer = response.html(as_html(sections, f"{prefix}/static/fiche.css"))
    else:
        answer = response.text(as_text(sections))
    if request.args.get("download") == "1":
        day = started_at.strftime("%Y-%m-%d")
        extension = "html" if as_page else "txt"
        answer.headers["Content-Disposition"] = (
            f'attachment; filename="fiche-de-liaison-{day}.{extension}"'
        )
    return answer
