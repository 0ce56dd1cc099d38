"""Conversation ids of the public channels: issued by the server, signed, unguessable.

An id is ``c-<nonce>.<signature>``: 144 random bits and an HMAC-SHA256 of them (132
bits kept) with the server's key. The public channels accept only ids that verify, so
nobody can continue, read or reset a conversation by guessing or choosing its id. The
key is ``SPRO_CONVERSATION_SECRET`` when set (several Rasa instances must share it),
else a file created on first use with mode 600 (``config.conversation_secret_file()``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path

from bot import config

# Matched in full (``fullmatch``: "$" would accept a trailing newline).
_ID = re.compile(r"c-(?P<nonce>[A-Za-z0-9_-]{24})\.(?P<signature>[A-Za-z0-9_-]{22})")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@lru_cache(maxsize=4)
def _key_from_file(path: Path) -> bytes:
    if not path.exists():
        # Written aside, then linked in place: concurrent first uses agree on one key.
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_bytes()


def signing_key() -> bytes:
    """The key that signs conversation ids."""
    shared = os.environ.get("SPRO_CONVERSATION_SECRET", "")
    if shared:
        return shared.encode()
    return _key_from_file(config.conversation_secret_file())


def _signature(nonce: str) -> str:
    return _b64(hmac.new(signing_key(), nonce.encode(), hashlib.sha256).digest())[:22]


def issue() -> str:
    """A new conversation id."""
    nonce = secrets.token_urlsafe(18)
    return f"c-{nonce}.{_signature(nonce)}"


def is_valid(conversation_id: str) -> bool:
    """True for an id this server (or one sharing its key) issued."""
    match = _ID.fullmatch(conversation_id)
    if match is None:
        return False
    return hmac.compare_digest(
        match.group("signature"), _signature(match.group("nonce"))
    )
