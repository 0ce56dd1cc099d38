"""One orientation contract: the typed model, its JSON Schema, the builder, the pages.

``bot/conversation/orientation_payload.py`` (``OrientationPayload``) and
``knowledge/schema/orientation.schema.json`` describe the same payload; what the
builder sends validates against the schema, and every field the web chat and the
console's scripts read from it is one the contract defines.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, get_type_hints

import pytest

from bot import places
from bot.config import PROJECT_ROOT
from bot.conversation.dialogue import orientation_messages
from bot.conversation.orientation import build_orientation
from bot.conversation.orientation_payload import (
    CommuneRef,
    OrientationPayload,
    RemoteItem,
    StructureItem,
    from_json,
    is_orientation,
    schema,
    schema_errors,
    to_json,
)
from bot.conversation.routing import Profile, route
from bot.knowledge import MemoryRepository

WEBCHAT_JS = PROJECT_ROOT / "channels" / "webchat" / "static" / "spro-chat.js"
CONSOLE_JS = PROJECT_ROOT / "channels" / "console" / "static" / "console.js"


@pytest.fixture(scope="module")
def repository() -> MemoryRepository:
    return MemoryRepository.from_directory()


def properties(path: str) -> set[str]:
    """Property names of the schema at ``path`` (``""``, ``structures``, ``remote``…)."""
    node = schema()
    for step in [s for s in path.split("/") if s]:
        node = node["properties"][step]
        node = node.get("items") or next(
            (o for o in node.get("oneOf", []) if o.get("type") == "object"), node
        )
    return set(node["properties"])


def test_the_typed_model_and_the_schema_name_the_same_fields() -> None:
    assert set(get_type_hints(OrientationPayload)) == properties("")
    assert set(get_type_hints(StructureItem)) == properties("structures")
    assert set(get_type_hints(RemoteItem)) == properties("remote")
    assert set(get_type_hints(CommuneRef)) == properties("commune")


@pytest.mark.parametrize(
    ("profile", "insee"),
    [
        (Profile(situation="sans_emploi", age=40, need="emploi"), "18279"),
        (Profile(situation="salarie", age=35, need="reconversion"), "45234"),
        (Profile(situation="etudiant", age=19, need="orientation_scolaire"), None),
        (Profile(situation="sans_emploi", age=20, need="emploi"), "35238"),
    ],
)
def test_what_the_builder_sends_validates_against_the_schema(
    repository, profile: Profile, insee: str | None
) -> None:
    commune = places.commune(insee) if insee else None
    result = build_orientation(
        route(profile), commune, repository, at=datetime(2026, 11, 23, 19, 0)
    )
    sent = to_json(result.payload)
    assert schema_errors(sent) == []
    assert from_json(sent) == sent and is_orientation(sent)


def test_the_payload_without_the_knowledge_base_validates_too(monkeypatch) -> None:
    def unavailable() -> None:
        raise RuntimeError("knowledge base down")

    monkeypatch.setattr("bot.knowledge.get_repository", unavailable)
    slots = {"situation": "sans_emploi", "age": 40, "need": "emploi",
             "commune_insee": "18279", "commune_name": None, "postcode": None}
    _before, payload, _after = orientation_messages(slots, "rest")
    assert schema_errors(to_json(payload)) == []


def test_the_schema_refuses_what_the_pages_could_not_draw() -> None:
    assert schema_errors({"type": "orientation"})
    broken = {"type": "orientation", "public": "p", "need": "n", "network": "x",
              "also": None, "commune": None, "remote": [],
              "structures": [{"id": "1", "name": "A", "recommended": "yes"}]}
    errors = schema_errors(broken)
    assert any(error.startswith("structures/0") for error in errors), errors
    assert from_json({"type": "text"}) is None and not is_orientation(None)


def fields_read(script: str, start: str, end: str, names: tuple[str, ...]) -> set[str]:
    """Properties read as ``name.field`` between two markers of a front-end script."""
    text = script[script.index(start) : script.index(end, script.index(start))]
    found: set[str] = set()
    for name in names:
        found |= set(re.findall(rf"\b{name}\.([a-z_]+)\b", text))
    return found


@pytest.mark.parametrize(
    ("script", "start", "end", "variables", "path"),
    [
        (WEBCHAT_JS, "function renderOrientation", "\n  function ", ("o",), ""),
        (WEBCHAT_JS, "function renderOrientation", "\n  function ", ("r",), "remote"),
        (WEBCHAT_JS, "function renderCard", "\n  }\n", ("s",), "structures"),
        (CONSOLE_JS, "function structureCard", "\n  }\n", ("structure",), "structures"),
        (CONSOLE_JS, "orientation.structures", "\n  }\n", ("orientation",), ""),
        (CONSOLE_JS, "orientation.remote", "\n  }\n", ("option",), "remote"),
    ],
)
def test_the_front_ends_read_only_fields_of_the_contract(
    script, start: str, end: str, variables: tuple[str, ...], path: str
) -> None:
    read = fields_read(script.read_text(encoding="utf-8"), start, end, variables)
    assert read, "the markers no longer find the drawing code"
    known = properties(path) | {"length", "forEach", "map", "filter"}
    assert read <= known, read - known


def fields_listed(document: str) -> set[str]:
    """The quoted field names of the payload example in a Markdown document."""
    text = (PROJECT_ROOT / document).read_text(encoding="utf-8")
    block = text[text.index('{"type": "orientation"') :]
    block = block[: block.index("```")]
    return set(re.findall(r'"([a-z_]+)"', block)) - {"orientation"}


def test_the_docs_describe_the_payload_of_the_contract() -> None:
    every = properties("") | properties("structures") | properties("remote")
    every |= properties("commune")
    listed = fields_listed("docs/dialogue.md")
    assert every <= listed | {"type"}, every - listed
