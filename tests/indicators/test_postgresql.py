"""The same code on PostgreSQL (production): counts upserted, windows derived once.

Uses the PostgreSQL server of this machine (127.0.0.1:5432, as in
tests/e2e/test_scale_out.py); skipped when it is not reachable.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.indicators.aggregate import Filters, compute
from bot.indicators.store import IndicatorStore
from tests.indicators.conftest import race, record
from tests.indicators.test_derive import abandoned_at_the_age, oriented_in_dreux

PG = ("127.0.0.1", 5432)


@pytest.fixture
def pg_store() -> Iterator[IndicatorStore]:
    """An indicators store in a fresh PostgreSQL database, dropped afterwards."""
    try:
        socket.create_connection(PG, timeout=1).close()
    except OSError:
        pytest.skip("PostgreSQL on 127.0.0.1:5432 is needed")
    import psycopg2

    name = f"spro_indicators_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    store = IndicatorStore(f"postgresql://postgres@{PG[0]}:{PG[1]}/{name}")
    try:
        yield store
    finally:
        store.dispose()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_counts_add_up_on_postgresql(pg_store: IndicatorStore) -> None:
    """Two batches on the same cells are added, not replaced."""
    pg_store.add([record(day=date(2026, 5, 4)) for _ in range(4)])
    pg_store.add([record(day=date(2026, 5, 5)) for _ in range(3)])
    pg_store.add([record(day=date(2026, 6, 1), satisfaction="oui") for _ in range(5)])
    indicators = compute(pg_store, Filters.for_year(2026, departement="28"), min_cell=5)
    assert indicators.total == 12
    assert {c.value: c.count for c in indicators.months if c.count} == {
        "2026-05-01": 7,
        "2026-06-01": 5,
    }
    assert {c.value: c.count for c in indicators.breakdowns["satisfaction"]} == {
        "oui": 5
    }


async def test_a_window_is_derived_once_on_postgresql(
    pg_store: IndicatorStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two instances deriving at the same moment write the window's records once."""
    now = time.time()
    tracker = SQLTrackerStore(
        Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db")
    )
    for sender, events in (
        ("a", oriented_in_dreux(now - 86_400)),
        ("b", abandoned_at_the_age(now - 7_200)),
    ):
        await tracker.save(DialogueStateTracker.from_events(sender, events))
    url = f"sqlite:///{tmp_path / 't.db'}"
    assert race(monkeypatch, url, pg_store) == (0, 2)
    assert pg_store.record_count() == 2
