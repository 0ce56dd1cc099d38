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


def post_message(base_url: str, sender: str, text: str) -> list[dict[str, Any]]:
    """Send one message to the REST channel and return the bot's messages."""
    answer = requests.post(
        f"{base_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=60,
    )
    answer.raise_for_status()
    return answer.json()
