"""``bot.rasa_patches.tracker_cache``: every read equals Rasa's own full read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.rasa_patches import rasa_attribute, tracker_cache

DOMAIN = """
intents: [inform, greet]
slots:
  age:
    type: float
    mappings: [{type: custom}]
  besoin:
    type: text
    mappings: [{type: custom}]
"""


@pytest.fixture
def patched() -> Iterator[None]:
    tracker_cache.uninstall()
    tracker_cache.install()
    try:
        yield
    finally:
        tracker_cache.uninstall()


def new_store(path: Path) -> Any:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    return SQLTrackerStore(Domain.from_yaml(DOMAIN), dialect="sqlite", db=str(path))


def state(tracker: Any) -> Any:
    from rasa.shared.core.trackers import EventVerbosity

    return None if tracker is None else tracker.current_state(EventVerbosity.ALL)


async def rasas_read(store: Any, sender: str) -> Any:
    """Rasa's own full read of the latest session (``_retrieve`` is not patched)."""
    return state(await store._retrieve(sender, fetch_events_from_all_sessions=False))


async def rasas_save(store: Any, tracker: Any) -> None:
    """Another instance saving with Rasa's own code."""
    from rasa.core.tracker_store import SQLTrackerStore

    await rasa_attribute(SQLTrackerStore, "save")(store, tracker)


def turn(text: str, age: float, at: float) -> list[Any]:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    return [
        UserUttered(text, {"name": "inform", "confidence": 0.9}, timestamp=at),
        SlotSet("age", age, timestamp=at + 0.1),
        ActionExecuted("utter_merci", timestamp=at + 0.2),
        BotUttered("Merci", {"buttons": None}, timestamp=at + 0.3),
        ActionExecuted("action_listen", timestamp=at + 0.4),
    ]


def counts(store: Any) -> tuple[int, int]:
    """Rows of conversation "c"'s session as Rasa's save counts them; all rows."""
    with store.session_scope() as session:
        query = store._event_query(session, "c", fetch_events_from_all_sessions=False)
        everything = session.execute(sa.text("SELECT count(*) FROM events")).scalar()
        return query.count(), everything


def no_full_read(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the whole conversation was read again")

    monkeypatch.setattr(store, "_event_query", refuse)


async def test_kept_reads_equal_rasas_through_every_change(
    patched: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    path = tmp_path / "tracker.sqlite3"
    store, other = new_store(path), new_store(path)
    start = [
        ActionExecuted("action_session_start", timestamp=1.0),
        SessionStarted(timestamp=1.1),
        ActionExecuted("action_listen", timestamp=1.2),
    ]
    await store.save(DialogueStateTracker.from_events("c", start, store.domain.slots))
    assert state(await store.retrieve("c")) == await rasas_read(store, "c")

    # This instance's own turns: read from memory, equal to Rasa's read.
    for n in range(3):
        tracker = await store.retrieve("c")
        for event in turn(f"j'ai {20 + n} ans", 20.0 + n, 2.0 + n):
            tracker.update(event)
        await store.save(tracker)
        with monkeypatch.context() as m:
            no_full_read(store, m)
            kept = state(await store.retrieve("c"))
        assert kept == await rasas_read(store, "c")
        assert kept["slots"]["age"] == 20.0 + n

    # A tracker changed but not saved (a failed turn) changes nothing kept.
    (await store.retrieve("c")).update(SlotSet("age", 99.0, timestamp=9.0))
    assert state(await store.retrieve("c")) == await rasas_read(store, "c")

    # Another instance appends a turn: only its rows are read.
    tracker = await other._retrieve("c", fetch_events_from_all_sessions=False)
    for event in turn("j'ai 30 ans", 30.0, 10.0):
        tracker.update(event)
    await rasas_save(other, tracker)
    with monkeypatch.context() as m:
        no_full_read(store, m)
        kept = state(await store.retrieve("c"))
    assert kept == await rasas_read(store, "c") and kept["slots"]["age"] == 30.0

    # Another instance writes between this instance's read and save: the save
    # counts the stored rows as Rasa does, and the next read is Rasa's.
    mine = await store.retrieve("c")
    theirs = await other._retrieve("c", fetch_events_from_all_sessions=False)
    for event in turn("j'ai 31 ans", 31.0, 11.0):
        theirs.update(event)
    await rasas_save(other, theirs)
    for event in turn("j'ai 32 ans", 32.0, 12.0) + turn("merci", 33.0, 13.0):
        mine.update(event)
    stored, rows_before = counts(store)
    await store.save(mine)
    assert counts(store)[1] - rows_before == len(mine.events) - stored  # Rasa's slice
    assert state(await store.retrieve("c")) == await rasas_read(store, "c")

    # A row older than the session start is left out, as Rasa's query does.
    tracker.update(SlotSet("besoin", "emploi", timestamp=0.5))
    await rasas_save(other, tracker)
    assert state(await store.retrieve("c")) == await rasas_read(store, "c")

    # A new session started elsewhere: Rasa's read of the new session only.
    tracker = await other._retrieve("c", fetch_events_from_all_sessions=False)
    for event in [
        ActionExecuted("action_session_start", timestamp=20.0),
        SessionStarted(timestamp=20.1),
        ActionExecuted("action_listen", timestamp=20.2),
    ]:
        tracker.update(event)
    await rasas_save(other, tracker)
    kept = state(await store.retrieve("c"))
    assert kept == await rasas_read(store, "c") and len(kept["events"]) == 2

    # Purged (bot.runtime.conversation_retention deletes a conversation whole).
    with store.session_scope() as session:
        session.execute(sa.text("DELETE FROM events WHERE sender_id = 'c'"))
        session.commit()
    assert await store.retrieve("c") is None
    assert await rasas_read(store, "c") is None


async def test_rows_written_are_rasas(patched: None, tmp_path: Path) -> None:
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    trackers = {}
    for name, save in (("patched", None), ("rasa", rasas_save)):
        store = new_store(tmp_path / f"{name}.sqlite3")
        tracker = DialogueStateTracker.from_events(
            "c", [ActionExecuted("action_listen", timestamp=1.0)], store.domain.slots
        )
        await (save(store, tracker) if save else store.save(tracker))
        for n in range(2):
            tracker = await store.retrieve("c")
            for event in turn("bonjour", 18.0 + n, 2.0 + n):
                tracker.update(event)
            await (save(store, tracker) if save else store.save(tracker))
        with store.session_scope() as session:
            trackers[name] = session.execute(
                sa.text("SELECT * FROM events ORDER BY id")
            ).fetchall()
    assert trackers["patched"] == trackers["rasa"] and len(trackers["rasa"]) == 11


async def test_kept_conversations_are_bounded(
    patched: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    monkeypatch.setattr(tracker_cache, "KEPT_CONVERSATIONS", 3)
    store = new_store(tmp_path / "tracker.sqlite3")
    for n in range(5):
        await store.save(
            DialogueStateTracker.from_events(
                f"c{n}", [ActionExecuted("action_listen", timestamp=1.0)]
            )
        )
        await store.retrieve(f"c{n}")
    assert list(tracker_cache.kept_trackers(store)) == ["c2", "c3", "c4"]
    assert state(await store.retrieve("c0")) == await rasas_read(store, "c0")
