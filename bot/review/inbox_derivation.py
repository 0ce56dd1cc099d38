"""The review inbox derived from the tracker store once, then incrementally.

Its tables (``bot.review.inbox``) sit beside Rasa's ``events`` in the tracker store's
database (SQLite or PostgreSQL): what they hold is derived from the conversations,
kept as long as they are and deleted with them. A run reads the senders with events
written since the last run, all their events (a conversation is cut into sessions and
located as the indicators do), and replaces their rows: a conversation still going on
is brought up to date by the next run.

Runs are recorded in ``review_windows`` by the tracker's event ids: reading by id uses
the primary key (Rasa's ``events`` table has no index on time), and the unique start of
a window makes two instances deriving at once write it once. Ids committed late by a
concurrent transaction (PostgreSQL allocates them before the commit: they fall just
below the last id a run saw) are caught by reading again the ``MARGIN_IDS`` events
below the last id of each run of the ``OVERLAP_SECONDS`` before the latest.

Runs come from the dashboard's periodic derivation beside the indicators'
(``bot.indicators.periodic``) and from the inbox page before its query (the few
messages since); the purge of conversations calls ``forget_senders``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import (
    MetaData,
    Table,
    create_engine,
    delete,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy import inspect as inspect_database
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.db import create_tables
from bot.indicators.derive import record_from_session
from bot.privacy import mask_personal_data
from bot.review.inbox import (
    conversations_table,
    group_key,
    messages_table,
    metadata,
    prediction,
    reasons_by_index,
    sessions_with_ids,
    windows_table,
)

log = logging.getLogger(__name__)

# Late commits: the last ids of the runs of the last two minutes are read again.
OVERLAP_SECONDS = 120.0
MARGIN_IDS = 200
# Senders read (and rows replaced) per query.
BATCH = 200
# New events derived per window (one write transaction): a first run over a large
# tracker store holds SQLite's write lock a short time at once.
WINDOW_EVENTS = 50_000
# One run at a time in a process: the page waits for the periodic run, not redoes it.
_RUNNING = threading.Lock()


@dataclass(frozen=True)
class InboxDerivation:
    """What one run did."""

    senders: int  # senders whose conversations were read again
    messages: int  # proposed messages written for them (again included)
    last_event: int  # the tracker's events.id derived up to


def sender_rows(
    sender: str, rows: Iterable[tuple[int, str]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The conversation rows and proposed message rows of one sender's events."""
    conversations = []
    messages = []
    for session, ids in sessions_with_ids(rows):
        record = record_from_session(session)
        if record is None:  # the person wrote nothing
            continue
        place = {
            "day": record.day,
            "channel": record.channel,
            "region": record.region,
            "departement": record.departement,
        }
        conversations.append({"sender_id": sender, "first_event": ids[0], **place})
        for index, reason in sorted(reasons_by_index(session).items()):
            event = session.events[index]
            text = mask_personal_data(str(event["text"]).strip())
            key = group_key(text)
            if not key:
                continue
            intent, confidence, entities = prediction(event)
            messages.append(
                {
                    "event_id": ids[index],
                    "sender_id": sender,
                    **place,
                    "reason": reason,
                    "key": key,
                    "text": text,
                    "intent": intent[:128],
                    "confidence": round(confidence, 3),
                    "entities": json.dumps(entities, ensure_ascii=False),
                }
            )
    return conversations, messages


def forget_senders(connection: Connection, senders: list[str]) -> None:
    """Delete the derived rows of ``senders`` (in the caller's transaction)."""
    for table in (messages_table, conversations_table):
        connection.execute(delete(table).where(table.c.sender_id.in_(senders)))


def forget_orphans(connection: Connection) -> int:
    """Delete the rows whose conversation is no longer in the tracker store.

    After a purge: a run that read a conversation just before the purge deleted it
    may have written its rows back. Returns how many messages went.
    """
    events = Table("events", MetaData(), autoload_with=connection)
    gone = 0
    for table in (messages_table, conversations_table):
        kept = exists().where(events.c.sender_id == table.c.sender_id)
        deleted = connection.execute(delete(table).where(~kept)).rowcount
        gone += deleted if table is messages_table else 0
    return gone


def _ranges(connection: Connection, last: int, top: int) -> list[tuple[int, int]]:
    """The event id ranges ``(after, up to]`` a run reads: new events, late commits.

    A transaction in flight during a run commits ids just below the last one that run
    saw: the ``MARGIN_IDS`` below the last event of every run of the
    ``OVERLAP_SECONDS`` before the latest are read again (a run's windows share its
    time; only its last one ends where transactions were in flight). Overlapping
    ranges are merged.
    """
    latest = connection.execute(select(func.max(windows_table.c.derived_at))).scalar()
    recent = (
        connection.execute(
            select(func.max(windows_table.c.last_event))
            .where(windows_table.c.derived_at >= latest - OVERLAP_SECONDS)
            .group_by(windows_table.c.derived_at)
        )
        .scalars()
        .all()
        if latest is not None
        else []
    )
    ranges = sorted(
        [(max(0, int(end) - MARGIN_IDS), int(end)) for end in recent] + [(last, top)]
    )
    merged = [ranges[0]]
    for low, high in ranges[1:]:
        if low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _read(
    connection: Connection, events: Table, senders: list[str], top: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of ``senders``, from their events up to ``top``."""
    conversations: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for index in range(0, len(senders), BATCH):
        rows: dict[str, list[tuple[int, str]]] = {}
        for row_id, sender, data in connection.execute(
            select(events.c.id, events.c.sender_id, events.c.data)
            .where(
                events.c.sender_id.in_(senders[index : index + BATCH]),
                events.c.id <= top,
            )
            .order_by(events.c.id)
        ):
            rows.setdefault(sender, []).append((row_id, data))
        for sender, sender_events in rows.items():
            found, proposed = sender_rows(sender, sender_events)
            conversations += found
            messages += proposed
    return conversations, messages


def _derive_window(engine: Engine, events: Table, now: float) -> InboxDerivation:
    """One window: at most ``WINDOW_EVENTS`` new events, in one write transaction."""
    with engine.connect() as connection:
        last = int(
            connection.execute(select(func.max(windows_table.c.last_event))).scalar()
            or 0
        )
        newest = int(connection.execute(select(func.max(events.c.id))).scalar() or 0)
        top = min(newest, last + WINDOW_EVENTS) if newest > last else last
        ranges = _ranges(connection, last, top)
        senders = [
            row[0]
            for row in connection.execute(
                select(events.c.sender_id)
                .where(
                    or_(*(events.c.id.between(low + 1, high) for low, high in ranges))
                )
                .group_by(events.c.sender_id)
            )
        ]
        conversations, messages = _read(connection, events, senders, top)
    if not senders:
        return InboxDerivation(0, 0, last)
    try:
        with engine.begin() as connection:
            if top > last:
                connection.execute(
                    windows_table.insert().values(
                        after_event=last,
                        last_event=top,
                        derived_at=now,
                        messages=len(messages),
                    )
                )
            for index in range(0, len(senders), BATCH):
                forget_senders(connection, senders[index : index + BATCH])
            for table, values in (
                (conversations_table, conversations),
                (messages_table, messages),
            ):
                for index in range(0, len(values), 1000):
                    connection.execute(table.insert(), values[index : index + 1000])
    except IntegrityError:
        log.info("review: events after %s already derived by another instance", last)
        return InboxDerivation(0, 0, last)
    return InboxDerivation(len(senders), len(messages), top)


def _derive(engine: Engine, now: float) -> InboxDerivation:
    """Windows until every event written before the run is derived."""
    if not inspect_database(engine).has_table("events"):
        return InboxDerivation(0, 0, 0)
    create_tables(metadata, engine)
    events = Table("events", MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        newest = int(connection.execute(select(func.max(events.c.id))).scalar() or 0)
    senders = messages = 0
    while True:
        run = _derive_window(engine, events, now)
        senders, messages = senders + run.senders, messages + run.messages
        if run.last_event >= newest or not run.senders:
            return InboxDerivation(senders, messages, run.last_event)


def derive_inbox(tracker_url: str, now: float | None = None) -> InboxDerivation:
    """Derive the inbox's rows of the conversations written since the last run."""
    engine = create_engine(tracker_url, future=True)
    try:
        with _RUNNING:
            return _derive(engine, time.time() if now is None else now)
    finally:
        engine.dispose()
