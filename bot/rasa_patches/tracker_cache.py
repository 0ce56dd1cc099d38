"""The SQL tracker store reads only the events it has not seen yet.

Rasa 3.6's ``SQLTrackerStore.retrieve`` reads, decodes (JSON, then one event object
each) and replays every event of the conversation's session at every message, and
``save`` then counts them again to know which are new. Here the store keeps, for the
conversations it served last (``KEPT_CONVERSATIONS``), the decoded events Rasa's own
``retrieve`` returned, and which rows of the table they stand for: the highest row
id and the number of rows of the conversation. At the next ``retrieve`` one small
query (highest id, number of rows) tells whether the table still holds exactly those
rows:

- unchanged: the tracker is rebuilt by replaying the kept events (Rasa's own
  ``DialogueStateTracker.from_events``, as Rasa's ``tracker.copy`` does), without
  reading or decoding anything;
- only rows appended (another instance, or a writer outside this store): only those
  rows are read and decoded, if they are all there (their number matches) and none
  starts a new session;
- anything else (a purged conversation, a new session, rows missing): Rasa's own full
  read, which then primes the store again. A purged conversation is therefore never
  served, nor written back, from memory.

``save`` writes the same rows as Rasa's (same values, same order, in one INSERT rather
than one ORM object per row), then, when the table holds exactly the kept rows plus
the ones it just wrote, keeps the new events decoded from the JSON it wrote (as Rasa
would read them back). Exact with several instances: rows
are only ever appended (increasing ids) or deleted a whole conversation at a time
(``bot.runtime.conversation_retention``), so the highest id and the count identify the
rows; a commit of another instance landing out of id order changes the count.

``install()`` applies it when the installed Rasa is a checked version, unless
``SPRO_RASA_PATCHES_OFF`` names ``tracker_cache`` (or ``all``).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from bot.rasa_patches import (
    patch_enabled,
    rasa_version_checked,
    replace_attributes,
    restore_attributes,
)

NAME = "tracker_cache"
KEPT_CONVERSATIONS = 256
_KEPT = "_spro_kept_trackers"
_row_stats_statements: dict[Any, Any] = {}


@dataclass(frozen=True)
class KeptEvents:
    """One conversation's events as Rasa's ``retrieve`` returns them, and their rows.

    ``last_id`` and ``rows``: highest id and number of the conversation's rows in the
    table; ``session_rows``: how many of them Rasa's read returns (the latest session);
    ``session_start``: that session's start (None when none was stored).
    """

    events: tuple[Any, ...]
    last_id: int
    rows: int
    session_rows: int
    session_start: float | None


def kept_trackers(store: Any) -> OrderedDict[str, KeptEvents]:
    """The store's kept conversations, least recently used first."""
    kept = vars(store).get(_KEPT)
    if kept is None:
        kept = OrderedDict()
        setattr(store, _KEPT, kept)
    return kept


def keep(store: Any, sender_id: str, entry: KeptEvents | None) -> None:
    """Keep ``entry`` for ``sender_id`` (or forget the conversation when None)."""
    kept = kept_trackers(store)
    kept.pop(sender_id, None)
    if entry is None or not entry.events:
        return
    kept[sender_id] = entry
    while len(kept) > KEPT_CONVERSATIONS:
        kept.popitem(last=False)


def row_stats(store: Any, session: Any, sender_id: str) -> tuple[int | None, int]:
    """Highest row id and number of rows of ``sender_id`` in the events table.

    One statement built once (SQLAlchemy then reuses its compiled form): building an
    ORM query per call cost more than running it.
    """
    import sqlalchemy as sa

    table = store.SQLEvent.__table__
    statement = _row_stats_statements.get(table)
    if statement is None:
        statement = _row_stats_statements[table] = sa.select(
            sa.func.max(table.c.id), sa.func.count(table.c.id)
        ).where(table.c.sender_id == sa.bindparam("sender_id"))
    last_id, rows = session.execute(statement, {"sender_id": sender_id}).one()
    return last_id, rows


def session_start_of(rows: list[Any]) -> float | None:
    """Latest ``session_started`` timestamp among ``rows`` (None when there is none)."""
    from rasa.shared.core.events import SessionStarted

    starts = [r.timestamp for r in rows if r.type_name == SessionStarted.type_name]
    return max(starts) if starts else None


def extend(
    entry: KeptEvents,
    new_rows: list[tuple[str, float | None, str]],
    last_id: int,
    total: int,
) -> KeptEvents | None:
    """``entry`` with appended rows ``(type, timestamp, data)``, or None if unsure.

    ``last_id`` and ``total``: the conversation's highest row id and number of rows
    with them. Rasa's read keeps the rows whose timestamp is at least the latest
    session start; a new session start changes which rows those are: then None.
    """
    from rasa.shared.core.events import SessionStarted, deserialise_events

    if entry.rows + len(new_rows) != total:
        return None
    added = []
    for type_name, timestamp, data in new_rows:
        if type_name == SessionStarted.type_name:
            return None
        if entry.session_start is not None:
            if timestamp is None:
                return None
            if timestamp < entry.session_start:
                continue
        added.append(json.loads(data))
    return KeptEvents(
        events=entry.events + tuple(deserialise_events(added)),
        last_id=last_id,
        rows=total,
        session_rows=entry.session_rows + len(added),
        session_start=entry.session_start,
    )


def appended_rows(
    store: Any, session: Any, sender_id: str, after_id: int
) -> list[tuple[str, float | None, str]]:
    """Rows ``(type, timestamp, data)`` of ``sender_id`` past ``after_id``, by id."""
    event = store.SQLEvent
    return [
        (row.type_name, row.timestamp, row.data)
        for row in session.query(event.type_name, event.timestamp, event.data)
        .filter(event.sender_id == sender_id, event.id > after_id)
        .order_by(event.id)
    ]


def tracker_of(store: Any, sender_id: str, entry: KeptEvents) -> Any:
    """A new tracker replaying the kept events, as Rasa's ``from_dict`` does."""
    from rasa.shared.core.trackers import DialogueStateTracker

    return DialogueStateTracker.from_events(
        sender_id, list(entry.events), store.domain.slots
    )


def read_and_keep(store: Any, session: Any, sender_id: str) -> Any:
    """Rasa's own read of the session's events, kept when the table did not change.

    Rows appended after the count was taken are in the read but not in the count:
    then nothing is kept (the next read is a full one again).
    """
    from rasa.shared.core.events import deserialise_events
    from rasa.shared.core.trackers import DialogueStateTracker

    last_id, count = row_stats(store, session, sender_id)
    rows = store._event_query(
        session, sender_id, fetch_events_from_all_sessions=False
    ).all()
    events = deserialise_events([json.loads(row.data) for row in rows])
    if not (store.domain and rows):
        keep(store, sender_id, None)
        return None
    if last_id is not None and all(row.id <= last_id for row in rows):
        entry = KeptEvents(
            events=tuple(events),
            last_id=last_id,
            rows=count,
            session_rows=len(rows),
            session_start=session_start_of(rows),
        )
        keep(store, sender_id, entry)
    else:
        keep(store, sender_id, None)
    return DialogueStateTracker.from_events(sender_id, events, store.domain.slots)


async def retrieve(self: Any, sender_id: str) -> Any:
    """``SQLTrackerStore.retrieve``: the kept events plus the rows not seen yet."""
    if not self.domain:
        return await self._retrieve(sender_id, fetch_events_from_all_sessions=False)
    with self.session_scope() as session:
        entry = kept_trackers(self).get(sender_id)
        if entry is not None:
            last_id, rows = row_stats(self, session, sender_id)
            if (last_id, rows) == (entry.last_id, entry.rows):
                kept_trackers(self).move_to_end(sender_id)
                return tracker_of(self, sender_id, entry)
            if rows > entry.rows and last_id is not None and last_id > entry.last_id:
                new_rows = appended_rows(self, session, sender_id, entry.last_id)
                # Rows committed after the count make the numbers disagree: None.
                extended = extend(entry, new_rows, last_id, rows)
                if extended is not None:
                    keep(self, sender_id, extended)
                    return tracker_of(self, sender_id, extended)
        return read_and_keep(self, session, sender_id)


async def save(self: Any, tracker: Any) -> None:
    """``SQLTrackerStore.save`` (Rasa 3.6.21's body), then keep the new events.

    Rasa counts the session's stored rows to know which events are new; when the
    table still holds exactly the kept rows, that count is the kept one.
    """
    import itertools
    import logging

    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    await self.stream_events(tracker)
    sender_id = tracker.sender_id
    entry = kept_trackers(self).pop(sender_id, None)
    with self.session_scope() as session:
        if entry is not None and row_stats(self, session, sender_id) != (
            entry.last_id,
            entry.rows,
        ):
            entry = None
        if entry is not None:
            stored = entry.session_rows
        else:
            stored = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=False
            ).count()
        new_rows = []
        for event in itertools.islice(tracker.events, stored, len(tracker.events)):
            data = event.as_dict()
            intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
            new_rows.append(
                {
                    "sender_id": sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": intent,
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                }
            )
        if new_rows:
            # Rasa adds one ORM object per row; one INSERT of the same rows is cheaper.
            session.execute(self.SQLEvent.__table__.insert(), new_rows)
        extended = None
        last_id, total = (
            row_stats(self, session, sender_id) if entry is not None else (None, 0)
        )
        if entry is not None and last_id is not None:
            # The rows Rasa's read would now return: the kept ones and those written,
            # when the conversation's rows are exactly those (counted before commit).
            extended = extend(
                entry,
                [(r["type_name"], r["timestamp"], r["data"]) for r in new_rows],
                last_id,
                total,
            )
        session.commit()
    if extended is not None:
        keep(self, sender_id, extended)
    logging.getLogger("rasa.core.tracker_store").debug(
        f"Tracker with sender_id '{sender_id}' stored to database"
    )


def install() -> None:
    """Patch ``SQLTrackerStore.retrieve`` and ``save`` (idempotent)."""
    if not patch_enabled(NAME) or not rasa_version_checked(NAME):
        return
    from rasa.core.tracker_store import SQLTrackerStore

    replace_attributes(SQLTrackerStore, {"retrieve": retrieve, "save": save})


def uninstall() -> None:
    """Put Rasa's own methods back (for the equality tests)."""
    from rasa.core.tracker_store import SQLTrackerStore

    restore_attributes(SQLTrackerStore, ["retrieve", "save"])
