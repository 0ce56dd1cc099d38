"""Requests to the public REST channel: the body read, parsed and checked.

What ``channels.public_rest`` accepts from the public: a body of at most 64 kB, JSON
nested at most 8 levels, a signed ``sender`` (``channels.conversation_ids``), a text
``message`` (normalised) and a little known ``metadata``; anything else is ``Refused``
with an HTTP status and a French message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sanic.request import Request

from bot.text_input import InvalidText, normalise_text
from channels import conversation_ids, guard

MAX_BODY_BYTES = guard.PUBLIC.max_body_bytes
# « Requête trop volumineuse (64 ko au plus). », the guard's own wording.
TOO_LARGE = guard.TOO_LARGE.format(MAX_BODY_BYTES // 1024)
MAX_METADATA_KEYS = 10
# Metadata a client may attach, with the form of its value; other keys are dropped.
METADATA_FORMATS = {
    "region": re.compile(r"[0-9]{2}"),
    "channel_page": re.compile(r"[A-Za-z0-9_./:#?=&%-]{1,200}"),
}

UNKNOWN_CONVERSATION = (
    "Conversation inconnue : demandez un identifiant de conversation avec "
    "POST /webhooks/rest/conversations, puis envoyez-le dans « sender »."
)
BAD_JSON = (
    "La requête doit être un objet JSON encodé en UTF-8, par exemple "
    '{"sender": "<identifiant reçu>", "message": "Bonjour"}.'
)


class Refused(ValueError):
    """A request the channel does not take: an HTTP status and a French message."""

    def __init__(self, status: int, message: str) -> None:
        """Status and the French explanation sent as ``{"error": …}``."""
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class IncomingMessage:
    """A checked request: who speaks, the normalised text and the kept metadata."""

    sender_id: str
    text: str
    metadata: dict[str, Any]


def checked_metadata(metadata: Any) -> dict[str, str]:
    """The metadata kept: known keys with a value of the expected form."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict) or len(metadata) > MAX_METADATA_KEYS:
        raise Refused(
            400,
            "Le champ « metadata » doit être un petit objet JSON, par "
            'exemple {"region": "24"}.',
        )
    kept = {}
    for key, form in METADATA_FORMATS.items():
        value = metadata.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not form.fullmatch(value):
            expected = " (un code de région à 2 chiffres)" if key == "region" else ""
            raise Refused(400, f"Valeur non acceptée pour metadata.{key}{expected}.")
        kept[key] = value
    return kept


def parse_body(body: bytes) -> IncomingMessage:
    """Parse and check a webhook body; raise ``Refused`` in French."""
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, TOO_LARGE)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, BAD_JSON) from None
    if guard.nesting_exceeds(text, guard.MAX_JSON_DEPTH):
        raise Refused(
            400, "La requête est trop imbriquée : un objet JSON simple est attendu."
        )
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise Refused(400, BAD_JSON) from None
    if not isinstance(payload, dict):
        raise Refused(
            400, 'La requête doit être un objet JSON : {"sender": …, "message": …}.'
        )
    sender = payload.get("sender")
    if not isinstance(sender, str) or not sender:
        raise Refused(
            400,
            "Le champ « sender » est obligatoire : l'identifiant de "
            "conversation reçu de POST /webhooks/rest/conversations.",
        )
    if not conversation_ids.is_valid(sender):
        raise Refused(403, UNKNOWN_CONVERSATION)
    message = payload.get("message", "")
    if message is None:
        message = ""
    if not isinstance(message, str):
        raise Refused(400, "Le champ « message » doit être un texte.")
    try:
        text = normalise_text(message)
    except InvalidText as error:
        raise Refused(400, str(error)) from None
    return IncomingMessage(
        sender_id=sender, text=text, metadata=checked_metadata(payload.get("metadata"))
    )


async def read_body(request: Request) -> bytes:
    """The body of a streamed request, refused (413) as soon as it is too large."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refused(413, TOO_LARGE)
    body = bytearray()
    while True:
        chunk = await request.stream.read() if request.stream else None
        if chunk is None:
            return bytes(body)
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise Refused(413, TOO_LARGE)
