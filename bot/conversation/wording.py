"""The assistant's wording as ``domain.yml`` holds it, rendered without Rasa.

Actions send responses by name and Rasa renders them for the channel. This module does
the same choice of variant (``condition`` on slots first, then ``channel``) for the code
that needs the text itself: the tests, and paths without Rasa.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from bot.config import PROJECT_ROOT

_lock = threading.Lock()


@lru_cache(maxsize=1)
def responses() -> dict[str, list[dict[str, Any]]]:
    """The ``responses`` of ``domain.yml``, read once."""
    with _lock:
        domain = yaml.safe_load(
            (PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8")
        )
    return dict(domain["responses"])


def _conditions_hold(variant: dict[str, Any], slots: dict[str, Any]) -> bool:
    return all(slots.get(c["name"]) == c["value"] for c in variant.get("condition", []))


def variant(
    name: str, channel: str | None = None, slots: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The variant Rasa would choose: a matching ``condition``, then the channel's."""
    return choose(responses()[name], channel, slots)


def choose(
    variants: list[dict[str, Any]],
    channel: str | None = None,
    slots: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The variant for these slots and this channel ({} if there is none)."""
    if not variants:
        return {}
    slots = slots or {}
    conditional = [
        v for v in variants if v.get("condition") and _conditions_hold(v, slots)
    ]
    candidates = conditional or [v for v in variants if not v.get("condition")]
    for_channel = [v for v in candidates if v.get("channel") == channel]
    return (
        for_channel or [v for v in candidates if not v.get("channel")] or candidates
    )[0]


def render(
    name: str,
    variables: dict[str, Any] | None = None,
    channel: str | None = None,
    slots: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``{"text", "buttons"}`` of a response, ``{name}`` from variables then slots."""
    chosen = variant(name, channel, slots)
    values = {**(slots or {}), **(variables or {})}
    text = re.sub(
        r"{([^\n{}]+?)}", lambda m: str(values.get(m[1], m[0])), chosen.get("text", "")
    )
    return {"text": text, "buttons": list(chosen.get("buttons", []))}


@dataclass(frozen=True)
class Utterance:
    """A message: a ``domain.yml`` response, its variables, buttons made at run time."""

    response: str
    variables: dict[str, Any] = field(default_factory=dict)
    buttons: list[dict[str, str]] = field(default_factory=list)

    def text(
        self, channel: str | None = None, slots: dict[str, Any] | None = None
    ) -> str:
        """The text Rasa would send, for tests and text-only uses."""
        return render(self.response, self.variables, channel, slots)["text"]
