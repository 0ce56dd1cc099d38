"""Keep conversations only for a limited time: purge Rasa's SQL tracker store.

Rasa's ``SQLTrackerStore`` keeps every event of every conversation in one ``events``
table (``sender_id``, ``timestamp`` in seconds since the epoch). A conversation is
deleted whole once its last event is older than the retention period, so that no
conversation is ever left half-erased; the review inbox's rows derived from it
(``bot.review.inbox_derivation``, same database) go in the same transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import MetaData, Table, create_engine, delete, func, inspect, select

from bot import config
from bot.indicators.derive import derive_indicators
from bot.review.inbox import messages_table
from bot.review.inbox_derivation import forget_orphans, forget_senders
from bot.tracker_db import TrackerStoreError

EVENTS_TABLE = "events"


class RetentionError(TrackerStoreError):
    """The tracker store cannot be purged as configured (message in French)."""


@dataclass(frozen=True)
class PurgeResult:
    """What a purge deleted."""

    conversations: int
    events: int


def purge_conversations(url: str, days: float, now: float | None = None) -> PurgeResult:
    """Delete every conversation whose last event is more than ``days`` days old.

    The indicator records of the ended conversations are derived first
    (``bot.indicators``).
    """
    if days <= 0:
        raise RetentionError(
            "La durée de conservation doit être un nombre de jours positif."
        )
    cutoff = (time.time() if now is None else now) - days * 86_400
    # Anonymous indicator records outlive the conversations: derive them first.
    idle_cutoff = (
        time.time() if now is None else now
    ) - config.indicators_idle_minutes() * 60
    derive_indicators(url, until=max(cutoff, idle_cutoff))
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table(EVENTS_TABLE):
            return PurgeResult(conversations=0, events=0)
        events = Table(EVENTS_TABLE, MetaData(), autoload_with=engine)
        stale = (
            select(events.c.sender_id)
            .group_by(events.c.sender_id)
            .having(func.max(events.c.timestamp) < cutoff)
        )
        derived = inspect(engine).has_table(messages_table.name)
        with engine.begin() as connection:
            senders = [row[0] for row in connection.execute(stale)]
            deleted = 0
            for start in range(0, len(senders), 500):
                batch = senders[start : start + 500]
                deleted += connection.execute(
                    delete(events).where(events.c.sender_id.in_(batch))
                ).rowcount
                if derived:
                    forget_senders(connection, batch)
            if derived:
                forget_orphans(connection)
        return PurgeResult(conversations=len(senders), events=deleted)
    finally:
        engine.dispose()
