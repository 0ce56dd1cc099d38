"""Talk to a running assistant over REST, with its own knowledge database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests


def load_knowledge(var_dir: Path) -> None:
    """Load the shipped knowledge files into the stack's database (``SPRO_VAR_DIR``)."""
    from bot.knowledge.store import load_directory

    outcome = load_directory(url=f"sqlite:///{var_dir / 'knowledge.sqlite3'}")
    if not outcome.check.ok:
        raise ValueError("; ".join(str(p) for p in outcome.check.errors))


_CONVERSATION_IDS: dict[str, str] = {}


def conversation_id(base_url: str, sender: str) -> str:
    """The server-issued conversation id standing for a caller's own ``sender`` name.

    The public REST channel accepts only ids it issued (``POST
    /webhooks/rest/conversations``, docs/security.md); scripts and tests keep naming
    their conversations as they like and this maps each name to one issued id.
    """
    key = sender  # one id per name, whichever instance is asked (they share the key)
    if key not in _CONVERSATION_IDS:
        answer = requests.post(f"{base_url}/webhooks/rest/conversations", timeout=60)
        answer.raise_for_status()
        _CONVERSATION_IDS[key] = answer.json()["sender"]
    return _CONVERSATION_IDS[key]


def post_message(base_url: str, sender: str, text: str) -> list[dict[str, Any]]:
    """Send one message to the REST channel and return the bot's messages."""
    answer = requests.post(
        f"{base_url}/webhooks/rest/webhook",
        json={"sender": conversation_id(base_url, sender), "message": text},
        timeout=60,
    )
    answer.raise_for_status()
    return answer.json()
