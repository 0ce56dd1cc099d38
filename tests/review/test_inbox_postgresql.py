"""The review inbox on a PostgreSQL tracker store (production): derived, read, purged.

Uses the PostgreSQL server of this machine (127.0.0.1:5432, as in
tests/indicators/test_postgresql.py); skipped when it is not reachable.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy import MetaData, Table, create_engine

from bot.indicators.derive import PARIS, paris_today
from bot.indicators.store import IndicatorStore
from bot.review.inbox import InboxFilters, inbox
from bot.review.inbox_derivation import derive_inbox
from bot.runtime.conversation_retention import purge_conversations

PG = ("127.0.0.1", 5432)
DAY = 86_400.0


@pytest.fixture
def pg_tracker(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Rasa tracker store in a fresh PostgreSQL database (dropped after); its URL."""
    try:
        socket.create_connection(PG, timeout=1).close()
    except OSError:
        pytest.skip("PostgreSQL on 127.0.0.1:5432 is needed")
    import psycopg2

    monkeypatch.setenv("SPRO_INDICATORS_MIN_CELL", "1")
    name = f"spro_review_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    store = SQLTrackerStore(
        Domain.empty(),
        dialect="postgresql",
        host=PG[0],
        port=PG[1],
        db=name,
        username="postgres",
    )
    try:
        yield f"postgresql://postgres@{PG[0]}:{PG[1]}/{name}"
    finally:
        store.engine.dispose()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def rows(sender: str, at: float, text: str) -> list[dict[str, object]]:
    """A conversation whose message was not understood, as Rasa's rows."""
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": at - 1},
        {
            "event": "user",
            "text": text,
            "timestamp": at,
            "input_channel": "webchat",
            "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.3}},
        },
        {"event": "bot", "text": "Pouvez-vous reformuler ?", "timestamp": at + 1},
    ]
    return [
        {
            "sender_id": sender,
            "type_name": e["event"],
            "timestamp": e["timestamp"],
            "data": json.dumps(e),
        }
        for e in events
    ]


def test_derived_read_late_commit_and_purged_on_postgresql(
    pg_tracker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same code on PostgreSQL, with a transaction that commits after a run."""
    monkeypatch.setenv("SPRO_INDICATORS_DATABASE_URL", f"sqlite:///{tmp_path / 'i.db'}")
    engine = create_engine(pg_tracker)
    events = Table("events", MetaData(), autoload_with=engine)
    old, recent = time.time() - 40 * DAY, time.time() - DAY
    with engine.begin() as connection:
        connection.execute(events.insert(), rows("ancien", old, "g pa de boulo"))
    late = engine.connect()
    transaction = late.begin()  # its ids are taken now, committed after the run
    late.execute(events.insert(), rows("lent", recent, "G pa de boulo !"))
    with engine.begin() as connection:
        connection.execute(events.insert(), rows("rapide", recent, "autre chose"))
    day = datetime.fromtimestamp(old, PARIS).date()
    period = InboxFilters(day, paris_today())

    derive_inbox(pg_tracker)
    assert [(g.key, g.count) for g in inbox(pg_tracker, period).groups] == [
        ("autre chose", 1),
        ("g pa de boulo", 1),
    ]
    transaction.commit()
    late.close()
    derive_inbox(pg_tracker)
    found = inbox(pg_tracker, period)
    assert [(g.key, g.count) for g in found.groups] == [
        ("g pa de boulo", 2),
        ("autre chose", 1),
    ]
    opened = inbox(pg_tracker, period, opened=found.groups[0].first)
    assert ("assistant", "Pouvez-vous reformuler ?") in opened.context

    purge_conversations(pg_tracker, days=30)
    derive_inbox(pg_tracker)
    assert [(g.key, g.count) for g in inbox(pg_tracker, period).groups] == [
        ("autre chose", 1),
        ("g pa de boulo", 1),
    ]
    assert inbox(pg_tracker, period).conversations == 2
    engine.dispose()
    IndicatorStore(f"sqlite:///{tmp_path / 'i.db'}").dispose()
