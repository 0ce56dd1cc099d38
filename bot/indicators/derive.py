"""One indicator record per finished conversation, from Rasa's SQL tracker store.

Why the tracker store and not an event broker: the tracker store already holds every
event of every channel (web chat, REST, console), in the same SQL database on one
machine (SQLite) or several (PostgreSQL); deriving from it needs no broker to run, loses
nothing when the indicators database is down (the next run catches up), and sees a
conversation whole, so the record says how it ended. Derivation runs periodically (the
dashboard channel does it in the Rasa server) and always before the purge of old
conversations (``bot.runtime.conversation_retention``), so records outlive the
conversations.

A conversation is a Rasa session (split at ``action_session_start``); it is derived once
it has been silent for ``config.indicators_idle_minutes()``. Windows of time are derived
once: ``indicator_windows`` records each one, and its unique start makes concurrent runs
(several Rasa instances) write a window only once.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import Any, Iterable, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import MetaData, Table, create_engine, func, inspect, select
from sqlalchemy.exc import IntegrityError

from bot import config
from bot.conversation.orientation_payload import (
    is_orientation,
    recommended_structures,
    to_json,
)
from bot.indicators.store import (
    CHANNELS,
    IndicatorRecord,
    IndicatorStore,
    get_store,
    territory_of,
    windows_table,
)

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
SESSION_START = "action_session_start"
# Actions whose run says how a conversation without an orientation ended.
OUTCOME_ACTIONS = {
    "action_talk_to_human": "handed_to_person",
    "action_answer_info": "information",
}
ORIENTATION_ACTION = "action_present_orientation"
# Slots set after the first message of a session (not carried over from an earlier one).
SESSION_SLOTS = ("feedback", "feedback_theme", "requested_slot")


@dataclass
class Session:
    """The events of one Rasa session, read in order."""

    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last_timestamp(self) -> float:
        """Time of the last event."""
        return max((float(e.get("timestamp") or 0) for e in self.events), default=0.0)


def paris_today(moment: datetime | None = None) -> date:
    """The day in Paris at ``moment`` (now by default): conversations' days are Paris's.

    The machine's clock may be UTC: between midnight in Paris and midnight UTC,
    ``date.today()`` would still be yesterday and hide the day's conversations.
    """
    return (moment or datetime.now(timezone.utc)).astimezone(PARIS).date()


def split_sessions(events: Iterable[dict[str, Any]]) -> list[Session]:
    """A sender's events (in order) cut into sessions at ``action_session_start``."""
    sessions: list[Session] = []
    current = Session()
    for event in events:
        if (
            event.get("event") == "action"
            and event.get("name") == SESSION_START
            and current.events
        ):
            sessions.append(current)
            current = Session()
        current.events.append(event)
    if current.events:
        sessions.append(current)
    return sessions


def record_from_session(session: Session) -> IndicatorRecord | None:
    """The anonymous record of one session; None when the person wrote nothing."""
    slots: dict[str, Any] = {}
    session_slots: dict[str, Any] = {}
    user_events = 0
    channel = ""
    site_region = ""
    first_time: float | None = None
    orientation: dict[str, Any] | None = None
    actions: set[str] = set()
    last_question = ""
    for event in session.events:
        kind = event.get("event")
        if kind == "user":
            user_events += 1
            if first_time is None:
                first_time = float(event.get("timestamp") or 0)
            channel = channel or str(event.get("input_channel") or "")
            metadata = event.get("metadata") or {}
            if isinstance(metadata, dict) and not site_region:
                site_region = str(metadata.get("region") or "")
        elif kind == "slot":
            name, value = str(event.get("name")), event.get("value")
            slots[name] = value
            if user_events and name in SESSION_SLOTS:
                session_slots[name] = value
                if name == "requested_slot" and value:
                    last_question = str(value)
        elif kind == "action":
            actions.add(str(event.get("name")))
        elif kind == "bot":
            custom = (event.get("data") or {}).get("custom")
            if is_orientation(custom):
                orientation = to_json(custom)
    if not user_events or first_time is None:
        return None
    territory = territory_of(slots.get("commune_insee"), site_region[:3])
    base = IndicatorRecord(
        day=datetime.fromtimestamp(first_time, timezone.utc).astimezone(PARIS).date(),
        channel=channel if channel in CHANNELS else "autre",
        messages=user_events,
        satisfaction=str(session_slots.get("feedback") or ""),
        feedback_theme=str(session_slots.get("feedback_theme") or ""),
        region=territory["region"],
        departement=territory["departement"],
        epci=territory["epci"],
    )
    if orientation is not None:
        # The recommended door, never the second one (whatever the payload's order).
        mains = recommended_structures(orientation)
        network = str(orientation.get("network") or "")
        shown = str(mains[0].get("network") or network) if mains else ""
        return replace(
            base,
            outcome="oriented",
            public=str(orientation.get("public") or ""),
            need=str(orientation.get("need") or ""),
            network=network,
            structure_network=shown,
            local_structure=bool(mains),
        )
    outcome = next((o for a, o in OUTCOME_ACTIONS.items() if a in actions), "abandoned")
    return replace(
        base,
        outcome=outcome,
        public=str(slots.get("public") or ""),
        need=str(slots.get("need") or ""),
        abandoned_at=last_question if outcome == "abandoned" else "",
    )


@dataclass(frozen=True)
class DerivationResult:
    """What one run derived."""

    start: float
    end: float
    records: int


def _event_rows(
    engine: Any, start: float, end: float
) -> Iterator[list[dict[str, Any]]]:
    """For each sender with events in (start, end]: all its events, in order."""
    if not inspect(engine).has_table("events"):
        return
    events = Table("events", MetaData(), autoload_with=engine)
    senders_query = (
        select(events.c.sender_id)
        .where(events.c.timestamp > start, events.c.timestamp <= end)
        .group_by(events.c.sender_id)
    )
    with engine.connect() as connection:
        senders = [row[0] for row in connection.execute(senders_query)]
        for index in range(0, len(senders), 200):
            batch = senders[index : index + 200]
            rows = connection.execute(
                select(events.c.sender_id, events.c.data)
                .where(events.c.sender_id.in_(batch))
                .order_by(events.c.id)
            ).all()
            by_sender: dict[str, list[dict[str, Any]]] = {}
            for sender, data in rows:
                try:
                    by_sender.setdefault(sender, []).append(json.loads(data))
                except (TypeError, ValueError):
                    log.warning("indicators: an unreadable event was skipped")
            yield from by_sender.values()


def derive_indicators(
    tracker_url: str,
    store: IndicatorStore | None = None,
    until: float | None = None,
) -> DerivationResult:
    """Derive the conversations ended since the last run, up to ``until`` (epoch s).

    ``until`` defaults to now minus the idle time after which a conversation is over.
    """
    store = store or get_store()
    if until is None:
        until = time.time() - config.indicators_idle_minutes() * 60
    with store.engine.connect() as connection:
        start = float(
            connection.execute(select(func.max(windows_table.c.end))).scalar() or 0.0
        )
    if until <= start:
        return DerivationResult(start, start, 0)
    engine = create_engine(tracker_url, future=True)
    try:
        records = []
        for events in _event_rows(engine, start, until):
            for session in split_sessions(events):
                if start < session.last_timestamp <= until:
                    record = record_from_session(session)
                    if record is not None:
                        records.append(record)
    finally:
        engine.dispose()
    try:
        with store.engine.begin() as connection:
            connection.execute(
                windows_table.insert().values(
                    start=start,
                    end=until,
                    records=len(records),
                    derived_at=datetime.now(timezone.utc).replace(tzinfo=None),
                )
            )
            # Stored in random order: a record's row number says nothing of its sender.
            random.shuffle(records)
            store.add_in(connection, records)
    except IntegrityError:
        log.info(
            "indicators: window from %s already derived by another instance", start
        )
        return DerivationResult(start, start, 0)
    return DerivationResult(start, until, len(records))


def last_derived_day(store: IndicatorStore | None = None) -> date | None:
    """Day (Paris time) up to which conversations are counted; None before any run."""
    store = store or get_store()
    with store.engine.connect() as connection:
        end = connection.execute(select(func.max(windows_table.c.end))).scalar()
    return (
        datetime.fromtimestamp(float(end), timezone.utc).astimezone(PARIS).date()
        if end
        else None
    )
