"""Message ids become visible in the order they were given, also on PostgreSQL.

The event streams read ``id > last id seen``: if a smaller id committed after a larger
one, that message would never reach the screen (seen once in twenty simultaneous
hand-overs across two instances). Skipped when PostgreSQL does not answer locally.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import Iterator

import pytest
from sqlalchemy import select, text

from bot.handover.desk import HandoverDesk
from bot.handover.store import (
    HandoverStore,
    messages_table,
    take_turn_for_message_id,
)
from tests.handover.conftest import Hours
from tests.knowledge.conftest import POSTGRES_URL, _postgres_available


@pytest.fixture
def pg_desk() -> Iterator[HandoverDesk]:
    if not _postgres_available():
        pytest.skip("PostgreSQL n'est pas joignable sur 127.0.0.1:5432")
    schema = f"desk_test_{uuid.uuid4().hex[:10]}"
    admin = HandoverStore(POSTGRES_URL)
    with admin.engine.begin() as db:
        db.execute(text(f"CREATE SCHEMA {schema}"))
    store = HandoverStore(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        yield HandoverDesk(store, now=datetime.utcnow, hours=Hours())
    finally:
        store.dispose()
        with admin.engine.begin() as db:
            db.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_a_message_written_meanwhile_waits_for_the_earlier_id_to_commit(
    pg_desk: HandoverDesk,
) -> None:
    engine = pg_desk.store.engine
    earlier = engine.connect()
    transaction = earlier.begin()
    take_turn_for_message_id(earlier)
    earlier_id = earlier.execute(
        messages_table.insert().values(
            request_id="r1",
            who="adviser",
            first_name="Anne",
            text="premier",
            at=datetime.utcnow(),
        )
    ).inserted_primary_key[0]

    later_ids: list[int] = []
    writer = threading.Thread(
        target=lambda: later_ids.append(
            pg_desk._add_message("r2", "person", "", "second").id
        )
    )
    writer.start()
    writer.join(timeout=0.5)
    assert writer.is_alive(), "the second insert should wait for the first commit"
    with engine.connect() as reader:  # what a poller sees meanwhile
        assert reader.execute(select(messages_table.c.id)).all() == []
    transaction.commit()
    earlier.close()
    writer.join(timeout=10)
    assert later_ids and later_ids[0] > earlier_id
    with engine.connect() as reader:
        ids = [row.id for row in reader.execute(select(messages_table.c.id))]
    assert sorted(ids) == [earlier_id, later_ids[0]]
