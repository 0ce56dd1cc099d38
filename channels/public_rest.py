"""The public REST channel: ``POST /webhooks/rest/webhook``, hardened.

Same contract as Rasa's ``RestInput`` (``{"sender", "message"}`` in, a JSON list
of bot messages out), with what a public endpoint needs on top:

- bad requests (invalid JSON, binary, missing sender) get a 400 with a French
  explanation, never a 5xx;
- empty or over-long messages get a French answer without reaching the NLU;
- e-mails, phone numbers and self-given names are masked before the text is
  parsed, stored in the tracker or logged;
- if handling the message fails, the person still gets a polite answer and a way
  forward, and the failure is logged (without the text).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.privacy import mask_personal_data

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
_SENDER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
# Metadata a client may attach; anything else is dropped (stored data stays minimal).
ALLOWED_METADATA_KEYS = frozenset({"region", "channel_page"})

EMPTY_MESSAGE = "Votre message est vide. Écrivez votre question en quelques mots."
FAILURE_MESSAGE = (
    "Pardon, un problème technique m'empêche de répondre pour le moment. "
    "Réessayez dans quelques instants. Vous pouvez aussi joindre un conseiller "
    "ou une conseillère du service régional de l'orientation de votre région."
)


def too_long_message(length: int) -> str:
    """French answer to a message over the length limit."""
    return (
        f"Votre message est très long ({length} caractères). Pouvez-vous le résumer "
        f"en quelques phrases ({MAX_MESSAGE_CHARS} caractères au plus) ?"
    )


class BadRequest(ValueError):
    """A request the channel cannot read; its message is shown to the client."""


@dataclass(frozen=True)
class IncomingMessage:
    """A checked request: who speaks, the masked text and the kept metadata."""

    sender_id: str
    text: str
    metadata: dict[str, Any]


def read_request(request: Request) -> IncomingMessage:
    """Parse and check a webhook request body; raise ``BadRequest`` in French."""
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest(
            "La requête doit être un objet JSON encodé en UTF-8, par exemple "
            '{"sender": "abc123", "message": "Bonjour"}.'
        ) from None
    if not isinstance(payload, dict):
        raise BadRequest('La requête doit être un objet JSON : {"sender": …, "message": …}.')
    sender = payload.get("sender")
    if not isinstance(sender, str) or not _SENDER_ID.match(sender):
        raise BadRequest(
            "Le champ « sender » est obligatoire : un identifiant de conversation "
            "de 1 à 128 caractères (lettres, chiffres, « - », « _ », « . », « : »)."
        )
    text = payload.get("message", "")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise BadRequest("Le champ « message » doit être un texte.")
    metadata = payload.get("metadata")
    kept = (
        {k: v for k, v in metadata.items() if k in ALLOWED_METADATA_KEYS and isinstance(v, str)}
        if isinstance(metadata, dict)
        else {}
    )
    return IncomingMessage(sender_id=sender, text=text.strip(), metadata=kept)


def bot_text(text: str, recipient_id: str) -> dict[str, Any]:
    """A bot message in the REST channel's output format."""
    return {"recipient_id": recipient_id, "text": text}


class PublicRestInput(RestInput):
    """REST channel for the public, answering at ``/webhooks/rest/webhook``."""

    @classmethod
    def name(cls) -> str:
        """Channel name; also the URL prefix ``/webhooks/rest``."""
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Health check and webhook routes."""
        webhook = Blueprint(f"public_webhook_{type(self).__name__}", __name__)
        self.add_message_routes(webhook, on_new_message, health_path="/")
        return webhook

    def add_message_routes(
        self,
        blueprint: Blueprint,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        health_path: str,
    ) -> None:
        """Add the health check and the checked ``POST /webhook`` to ``blueprint``."""

        @blueprint.route(health_path, methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                incoming = read_request(request)
            except BadRequest as error:
                return response.json({"error": str(error)}, status=400)
            return response.json(await self.answer(incoming, on_new_message))

    async def answer(
        self,
        incoming: IncomingMessage,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> list[dict[str, Any]]:
        """Run one checked message through Rasa and collect the bot's messages."""
        if not incoming.text:
            return [bot_text(EMPTY_MESSAGE, incoming.sender_id)]
        if len(incoming.text) > MAX_MESSAGE_CHARS:
            return [bot_text(too_long_message(len(incoming.text)), incoming.sender_id)]
        collector = CollectingOutputChannel()
        message = UserMessage(
            mask_personal_data(incoming.text),
            collector,
            incoming.sender_id,
            input_channel=self.name(),
            metadata=incoming.metadata or None,
        )
        try:
            await on_new_message(message)
        except Exception:  # noqa: BLE001 - the person must still get an answer
            logger.exception("Handling a message failed (sender %s)", incoming.sender_id)
            return [*collector.messages, bot_text(FAILURE_MESSAGE, incoming.sender_id)]
        return collector.messages
