"""The staff pages' sessions and HTTP rules: one sign-in for the console and the desk.

``COOKIE`` is set by the console's sign-in (``channels.console.channel``) and read by
the hand-over desk's routes (``channels.handover.desk``); the session itself is
``bot.advisers.service``'s. The dashboard keeps its own cookie, set the same way.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

COOKIE = "spro_console"


def set_session_cookie(
    answer: HTTPResponse, name: str, token: str, path: str, secure: bool
) -> None:
    """Send the session cookie: HttpOnly, SameSite=Strict, limited to ``path``."""
    answer.cookies[name] = token
    cookie = answer.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = path
    cookie["secure"] = secure


def clear_session_cookie(answer: HTTPResponse, name: str, path: str) -> None:
    """Have the browser forget the session cookie."""
    answer.cookies[name] = ""
    answer.cookies[name]["max-age"] = 0
    answer.cookies[name]["path"] = path


def cross_site_refusal(request: Request) -> tuple[int, str] | None:
    """Status and French message refusing a change from another site, else None.

    A second lock beside the SameSite cookie: changes are JSON from the page's origin.
    """
    if "application/json" not in request.headers.get("content-type", ""):
        return 415, "La requête doit être envoyée en JSON (application/json)."
    origin = request.headers.get("origin")
    if origin and urlparse(origin).netloc != request.host:
        return 403, "Requête refusée : elle ne vient pas de la console."
    return None


def staff_headers(answer: HTTPResponse, security_headers: dict[str, str]) -> None:
    """Drop any CORS header (staff pages are never for other sites); add ours."""
    for name in [h for h in answer.headers if h.lower().startswith("access-control-")]:
        del answer.headers[name]
    for name, value in security_headers.items():
        answer.headers.setdefault(name, value)


def add_static_files(bp: Blueprint, directory: Path, files: dict[str, str]) -> None:
    """Serve ``GET /static/<name>`` for ``files`` (name -> type) of ``directory``."""

    @bp.route("/static/<name:str>", methods=["GET"])
    async def static(_: Request, name: str) -> HTTPResponse:
        if name not in files:
            return response.text("Fichier introuvable.", status=404)
        return await response.file(directory / name, mime_type=files[name])
