"""The orientation payload: the one contract between the dialogue and its readers.

``bot.conversation.orientation`` builds it; Rasa sends it in the REST ``custom`` field
of one bot message; the web chat and the console draw it, the advisers' store keeps it
with the call, the hand-over desk shows it, the indicators and the personas read it.
``knowledge/schema/orientation.schema.json`` is the same contract as JSON Schema (for
the front-ends); ``tests/test_orientation_payload.py`` keeps the two, the builder and
the front-ends' scripts in step.

A payload::

    {"type": "orientation", "public": "jeune_16_25", "need": "emploi",
     "network": "mission_locale", "also": null,
     "commune": {"insee": "45234", "name": "Orléans", "postcode": "45000"},
     "structures": [{"id", "network", "name", "address", "postcode", "commune",
                     "insee", "phone", "email", "website", "hours", "open_now",
                     "next_opening", "distance_km", "why", "recommended"}],
     "remote": [{"label", "phone", "url"}]}

``structures``: the recommended network's nearest structures first, with
``recommended: true``; then the second door's (``also``), ``recommended: false``. When
the recommended network has no local record the list may hold only the second door's:
never present those as recommended (do not rely on ``structures[0]``: read
``recommended_structures`` and ``other_structures``). ``open_now`` is
None when the hours are unknown; ``next_opening`` (e.g. "ouvre lundi à 9 h") is set
only when the structure is closed now. ``remote``: the regional service first, then the
network's official entry points; the entry points first when the recommended network has
no local structure (they are how to find it). Unknown facts are empty strings or null,
never made up.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Final, Literal, Mapping, TypedDict, TypeGuard

from bot.config import PROJECT_ROOT

ORIENTATION: Final = "orientation"
SCHEMA_FILE = PROJECT_ROOT / "knowledge" / "schema" / "orientation.schema.json"


class CommuneRef(TypedDict):
    """The commune the orientation is for."""

    insee: str
    name: str | None  # None only when the knowledge base is unreachable
    postcode: str | None


class StructureItem(TypedDict):
    """One place to go, from the knowledge base (its source's facts only)."""

    id: str
    network: str
    name: str
    address: str
    postcode: str
    commune: str
    insee: str
    phone: str
    email: str
    website: str
    hours: str
    open_now: bool | None
    next_opening: str | None
    distance_km: float | None
    distance_approximate: bool
    verified: str | None
    age_notice: str | None
    why: str
    recommended: bool


class RemoteItem(TypedDict):
    """A way in without going anywhere: the regional line, an official site."""

    label: str
    phone: str
    url: str


class OrientationPayload(TypedDict):
    """The ``custom`` payload of the orientation message."""

    type: Literal["orientation"]
    public: str
    need: str
    network: str
    also: str | None
    commune: CommuneRef | None
    structures: list[StructureItem]
    remote: list[RemoteItem]


def is_orientation(custom: Any) -> TypeGuard[OrientationPayload]:
    """True for a message's ``custom`` field that is an orientation payload."""
    return isinstance(custom, dict) and custom.get("type") == ORIENTATION


def is_recommended(structure: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    """True for a structure of the recommended network.

    Its ``recommended`` flag; for a payload stored before the flag, its network.
    """
    flag = structure.get("recommended")
    if isinstance(flag, bool):
        return flag
    return bool(structure.get("network")) and structure.get("network") == payload.get(
        "network"
    )


def recommended_structures(payload: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The recommended network's structures, nearest first (possibly none)."""
    structures = (payload or {}).get("structures") or []
    return [s for s in structures if is_recommended(s, payload or {})]


def other_structures(payload: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The second door's structures (the other network's), nearest first."""
    structures = (payload or {}).get("structures") or []
    return [s for s in structures if not is_recommended(s, payload or {})]


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The payload's JSON Schema (``knowledge/schema/orientation.schema.json``)."""
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def schema_errors(data: Any) -> list[str]:
    """What makes ``data`` not an orientation payload (empty when it is one)."""
    from jsonschema import Draft7Validator

    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(racine)'}: "
        f"{error.message}"
        for error in Draft7Validator(schema()).iter_errors(data)
    ]


def to_json(payload: OrientationPayload) -> dict[str, Any]:
    """The payload as the JSON object the channels send (a plain ``dict``)."""
    return dict(payload)


def from_json(data: Any) -> OrientationPayload | None:
    """A payload read back (a message's ``custom``, a stored call); None if not one.

    Only the ``type`` is checked, as every reader always did: a payload stored before a
    field was added is still read (readers use ``.get`` for such fields).
    """
    return data if is_orientation(data) else None
