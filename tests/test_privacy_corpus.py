"""Personal data is masked wherever a text is stored; ordinary messages are untouched.

The corpus is ``tests/data/personal_data.yml`` (issue 21 E). Stores checked here: the
tracker store (what the public REST and web chat channels hand to Rasa), the hand-over
desk's messages and the call-back notes. The console (caller's words, adviser's note)
is checked in ``tests/console/test_privacy_console.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
import pytest
import yaml
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from sqlalchemy import select

from bot.handover.desk import HandoverDesk
from bot.handover.store import HandoverStore, messages_table, requests_table
from bot.runtime.launcher import free_port
from bot import privacy
from bot.privacy import mask_personal_data
from bot.text import fold
from channels.public_rest import PublicRestInput
from channels.webchat import WebChatInput
from tests.clock import Clock
from tests.handover.conftest import SNAPSHOT, Hours
from tests.sanic_server import served

CORPUS = yaml.safe_load(
    (Path(__file__).parent / "data" / "personal_data.yml").read_text(encoding="utf-8")
)
MASKED: list[dict[str, Any]] = CORPUS["masked"]
KEPT: list[str] = CORPUS["kept"]


def leaks(item: dict[str, Any], stored: str) -> list[str]:
    """The secrets of ``item`` still readable in ``stored`` (no case, no accents)."""
    left = [str(s) for s in item["secrets"] if fold(str(s)) in fold(stored)]
    return left or (["(rien de masqué)"] if stored == item["text"] else [])


def assert_all_masked(stored: list[str]) -> None:
    """``stored[i]`` is what a store kept of ``MASKED[i]``: no secret left."""
    assert len(stored) == len(MASKED)
    failures = {
        item["text"]: (text, leaks(item, text))
        for item, text in zip(MASKED, stored)
        if leaks(item, text)
    }
    assert not failures, failures


def test_the_corpus_covers_at_least_100_forms() -> None:
    assert len(MASKED) >= 100 and len(KEPT) >= 60
    assert len({item["text"] for item in MASKED}) == len(MASKED)


@pytest.mark.parametrize("item", MASKED, ids=[item["text"][:50] for item in MASKED])
def test_each_form_is_masked(item: dict[str, Any]) -> None:
    masked = mask_personal_data(item["text"])
    assert not leaks(item, masked), masked


@pytest.mark.parametrize("text", KEPT, ids=[text[:50] for text in KEPT])
def test_ordinary_messages_are_untouched(text: str) -> None:
    assert mask_personal_data(text) == text


def test_masking_is_idempotent() -> None:
    for item in MASKED:
        once = mask_personal_data(item["text"])
        assert mask_personal_data(once) == once, item["text"]


def nlu_examples(path: Path) -> list[str]:
    """The example texts of a Rasa NLU file, entity annotations removed."""
    texts = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
        for line in str(block.get("examples", "")).splitlines():
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.lstrip("- ").strip())
            if text:
                texts.append(text)
    return texts


def test_first_names_change_no_nlu_or_held_out_message() -> None:
    """The first-name list masks none of the ~1,500 NLU and held-out test messages."""
    root = Path(__file__).parent.parent
    paths = sorted((root / "data" / "nlu").glob("*.yml")) + sorted(
        Path(__file__).parent.glob("test_nlu*.yml")
    )
    texts = [text for path in paths for text in nlu_examples(path)] + KEPT
    with_names = [mask_personal_data(text) for text in texts]
    privacy._FIRST_NAMES.set(frozenset({"(aucun)"}))
    try:
        without_names = [mask_personal_data(text) for text in texts]
    finally:
        privacy._FIRST_NAMES.set(None)
    assert len(texts) > 1400
    changed = [t for t, a, b in zip(texts, with_names, without_names) if a != b]
    assert not changed


def test_first_names_are_insee_names_without_ordinary_words() -> None:
    names = privacy._FIRST_NAMES.get()
    assert {"lea", "sophie", "paul", "jean", "ines", "julien", "kevin"} <= names
    assert not {"claire", "rose", "marin", "papa", "noel", "france", "aimee"} & names


@pytest.fixture
def desk(tmp_path: Path) -> HandoverDesk:
    return HandoverDesk(
        HandoverStore(f"sqlite:///{tmp_path / 'desk.sqlite3'}"),
        now=Clock(),
        hours=Hours(),
    )


def test_desk_messages_and_call_back_notes_are_stored_masked(desk: HandoverDesk) -> None:
    desk.set_availability("cmartin", "Claire", available=True)
    request, _ = desk.request_live("web-a", SNAPSHOT)
    for item in MASKED:
        desk.person_message(request, item["text"])
        desk.request_callback(
            "web-b",
            SNAPSHOT,
            consent=True,
            contact_kind="email",
            contact="lea@example.org",
            slot="any",
            note=item["text"],
        )
    with desk.store.engine.connect() as db:
        messages = db.execute(
            select(messages_table.c.text).order_by(messages_table.c.id)
        ).all()
        notes = db.execute(
            select(requests_table.c.note)
            .where(requests_table.c.kind == "callback")
            .order_by(requests_table.c.created_at, requests_table.c.id)
        ).all()
    assert_all_masked([text for (text,) in messages])
    by_text = {mask_personal_data(item["text"]) for item in MASKED}
    assert {note for (note,) in notes} == by_text  # every note, masked


SEEN: list[UserMessage] = []


async def recording_dialogue(message: UserMessage) -> None:
    """Stands for Rasa: what it receives is what its tracker store keeps."""
    SEEN.append(message)
    await message.output_channel.send_response(message.sender_id, {"text": "Reçu."})


@pytest.fixture
async def public_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> AsyncIterator[str]:
    monkeypatch.setenv("SPRO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SPRO_MESSAGES_PER_MINUTE", "100000")
    SEEN.clear()
    Sanic.test_mode = True
    app = Sanic(f"privacy_{free_port()}")
    for channel in (PublicRestInput(), WebChatInput()):
        app.blueprint(
            channel.blueprint(recording_dialogue),
            url_prefix=f"/webhooks/{channel.url_prefix()}",
        )
    async with served(app) as url:
        yield url


async def _post(session: aiohttp.ClientSession, url: str, body: Any) -> Any:
    async with session.post(url, json=body) as answer:
        assert answer.status in (200, 201), await answer.text()
        return json.loads(await answer.text())


@pytest.mark.parametrize("channel", ["rest", "webchat"])
async def test_the_tracker_store_receives_masked_text(
    public_server: str, channel: str
) -> None:
    base = f"{public_server}/webhooks/{channel}"
    async with aiohttp.ClientSession() as session:
        sender = (await _post(session, f"{base}/conversations", None))["sender"]
        for item in MASKED:
            await _post(
                session, f"{base}/webhook", {"sender": sender, "message": item["text"]}
            )
        for text in KEPT:
            await _post(session, f"{base}/webhook", {"sender": sender, "message": text})
    received = [message.text for message in SEEN]
    assert_all_masked(received[: len(MASKED)])
    assert received[len(MASKED) :] == KEPT
