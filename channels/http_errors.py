"""French answers for whatever no route handles, on the whole Rasa server.

Sanic's own 404, 405, 413 and 500 pages are English HTML, and Rasa's ``GET /`` says
its version. ``install(app)`` (called by the public channels when the server starts)
answers them as ``{"error": "<French>"}`` JSON and ``GET /`` as ``{"status": "ok"}``.
Errors of 500 and above are logged with their traceback, never shown.
"""

from __future__ import annotations

import logging
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

MESSAGES = {
    400: "Requête invalide.",
    404: "Adresse introuvable sur ce serveur.",
    405: "Méthode non autorisée pour cette adresse.",
    408: "La requête a mis trop de temps à arriver. Réessayez.",
    413: "Requête trop volumineuse.",
    415: "Type de contenu non accepté.",
    429: "Trop de requêtes. Patientez un instant, puis réessayez.",
    503: "Service momentanément indisponible. Réessayez dans quelques instants.",
}
INTERNAL = "Erreur interne du serveur. Réessayez dans quelques instants."


def french_error(request: Request, exception: Exception) -> HTTPResponse:
    """The French JSON answer to an exception no route handled."""
    status = getattr(exception, "status_code", None) or 500
    if status >= 500:
        logger.error(
            "Unhandled error on %s %s", request.method, request.path, exc_info=exception
        )
    message = MESSAGES.get(status, INTERNAL if status >= 500 else MESSAGES[400])
    return response.json({"error": message}, status=status)


async def root_without_version(request: Request) -> HTTPResponse | None:
    """``GET /``: a health answer that tells nothing about the software."""
    if request.path == "/" and request.method in ("GET", "HEAD"):
        return response.json({"status": "ok"})
    return None


def install(app: Sanic, *_: Any) -> None:
    """Use the French answers on ``app`` (idempotent; a server-start listener)."""
    if getattr(app.ctx, "spro_french_errors", False):
        return
    app.error_handler.add(Exception, french_error)
    app.register_middleware(root_without_version, "request")
    app.ctx.spro_french_errors = True
