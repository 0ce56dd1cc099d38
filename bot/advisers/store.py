"""Storage of the console.

Adviser sessions, calls, and anonymous outcomes for statistics.

SQLAlchemy 1.4 with the 2.0-style API; SQLite file by default
(``config.console_database_url()``), PostgreSQL in production by URL only.
A call keeps only what the handover needs (profile, the caller's words as typed by
the adviser with personal data masked, the orientation, an optional name/contact
given with consent) and is deleted by ``purge`` after the retention period. Closing a
call writes an anonymous outcome row (day, outcome, public, need, network, duration)
that statistics read and that purge keeps.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    select,
    update,
)

from bot import config
from bot.conversation.orientation_payload import recommended_structures
from bot.db import LazyEngine, token_hash, utcnow

OUTCOMES = {
    "oriented": "Personne orientée vers une deuxième porte",
    "information": "Information donnée",
    "call_back": "À rappeler",
    "out_of_scope": "Hors du champ de l'orientation",
}

metadata = MetaData()

sessions_table = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

calls_table = Table(
    "console_calls",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("sender_id", String(64), nullable=False, unique=True),
    Column("started_at", DateTime, nullable=False, index=True),
    Column("ended_at", DateTime),
    Column("outcome", String(32)),
    Column("consent", Boolean, nullable=False, default=False),
    Column("caller_name", String(200), nullable=False, default=""),
    Column("caller_contact", String(200), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("profile", JSON, nullable=False, default=dict),
    Column("orientation", JSON),
    Column("chosen_structure", JSON),
    Column("transcript", JSON, nullable=False, default=list),
    Column("corrections", JSON, nullable=False, default=list),
)

outcomes_table = Table(
    "console_outcomes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False, index=True),
    Column("outcome", String(32), nullable=False),
    Column("public", String(64), nullable=False, default=""),
    Column("need", String(64), nullable=False, default=""),
    Column("network", String(64), nullable=False, default=""),
    Column("duration_s", Integer, nullable=False),
)


@dataclass
class CallRecord:
    """One call as stored; the channel changes its fields and saves it."""

    id: str
    username: str
    sender_id: str
    started_at: datetime
    ended_at: datetime | None = None
    outcome: str | None = None
    consent: bool = False
    caller_name: str = ""
    caller_contact: str = ""
    note: str = ""
    profile: dict[str, Any] = field(default_factory=dict)
    # JSON as stored (possibly from an older payload: read with .get); the contract is
    # bot.conversation.orientation_payload.
    orientation: dict[str, Any] | None = None
    chosen_structure: dict[str, Any] | None = None
    transcript: list[dict[str, Any]] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """False once the adviser closed the call with an outcome."""
        return self.ended_at is None

    def second_door(self) -> dict[str, Any] | None:
        """The structure the caller is sent to.

        The adviser's choice, else the recommended network's nearest (None when it
        has no local structure: the other network's is never taken for it).
        """
        if self.chosen_structure:
            return self.chosen_structure
        mains = recommended_structures(self.orientation)
        return mains[0] if mains else None

    def second_door_network(self) -> str:
        """Network code of the second door.

        From the structure, else from the orientation.
        """
        door = self.second_door() or {}
        return str(door.get("network") or (self.orientation or {}).get("network") or "")

    def duration_seconds(self, now: datetime | None = None) -> int:
        """Seconds from start to end (or to now for an open call)."""
        end = self.ended_at or now or utcnow()
        return max(0, int((end - self.started_at).total_seconds()))


_MUTABLE = (
    "ended_at",
    "outcome",
    "consent",
    "caller_name",
    "caller_contact",
    "note",
    "profile",
    "orientation",
    "chosen_structure",
    "transcript",
    "corrections",
)


class ConsoleStore(LazyEngine):
    """Sessions, calls and outcomes in one database; one connection per operation."""

    metadata = metadata

    def __init__(
        self, url: str | None = None, now: Callable[[], datetime] = utcnow
    ) -> None:
        """``url`` defaults to ``config.console_database_url()``.

        ``now`` is the clock.
        """
        super().__init__(url or config.console_database_url())
        self.now = now

    # Sessions -------------------------------------------------------------------------
    def create_session(self, username: str) -> tuple[str, datetime]:
        """Open a session; return its secret token and its end time."""
        token = secrets.token_urlsafe(32)
        now = self.now()
        expires = now + timedelta(minutes=config.console_session_minutes())
        with self.engine.begin() as connection:
            connection.execute(
                sessions_table.insert().values(
                    token_hash=token_hash(token),
                    username=username,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=expires,
                )
            )
        return token, expires

    def session_user(self, token: str) -> str | None:
        """The username of a live session, or None when expired or unknown.

        The session is marked used.
        """
        now = self.now()
        idle_limit = now - timedelta(minutes=config.console_idle_minutes())
        key = token_hash(token)
        with self.engine.begin() as connection:
            row = connection.execute(
                select(sessions_table).where(sessions_table.c.token_hash == key)
            ).first()
            if row is None:
                return None
            if row.expires_at <= now or row.last_seen_at <= idle_limit:
                connection.execute(
                    delete(sessions_table).where(sessions_table.c.token_hash == key)
                )
                return None
            connection.execute(
                update(sessions_table)
                .where(sessions_table.c.token_hash == key)
                .values(last_seen_at=now)
            )
            return str(row.username)

    def delete_session(self, token: str) -> None:
        """Sign out."""
        with self.engine.begin() as connection:
            connection.execute(
                delete(sessions_table).where(
                    sessions_table.c.token_hash == token_hash(token)
                )
            )

    # Calls ----------------------------------------------------------------------------
    def create_call(self, username: str) -> CallRecord:
        """Start a call.

        Its id and its Rasa conversation id are random and unrelated.
        """
        call = CallRecord(
            id=secrets.token_urlsafe(16),
            username=username,
            sender_id=f"console-{secrets.token_urlsafe(24)}",
            started_at=self.now(),
        )
        with self.engine.begin() as connection:
            connection.execute(
                calls_table.insert().values(
                    id=call.id,
                    username=username,
                    sender_id=call.sender_id,
                    started_at=call.started_at,
                    consent=False,
                    caller_name="",
                    caller_contact="",
                    note="",
                    profile={},
                    transcript=[],
                    corrections=[],
                )
            )
        return call

    def get_call(self, call_id: str, username: str) -> CallRecord | None:
        """The call if it exists *and* belongs to ``username``; None otherwise."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(calls_table).where(
                    calls_table.c.id == call_id, calls_table.c.username == username
                )
            ).first()
        return CallRecord(**row._asdict()) if row else None

    def list_calls(self, username: str, limit: int = 20) -> list[CallRecord]:
        """The adviser's latest calls, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(calls_table)
                .where(calls_table.c.username == username)
                .order_by(calls_table.c.started_at.desc())
                .limit(limit)
            ).all()
        return [CallRecord(**row._asdict()) for row in rows]

    def save_call(self, call: CallRecord) -> bool:
        """Write the changeable fields of a call still open; False once it is closed.

        Conditional on ``ended_at IS NULL`` in the database: a write that arrives
        after the closing (a message still in the dialogue) cannot reopen the call.
        """
        with self.engine.begin() as connection:
            return bool(
                connection.execute(
                    update(calls_table)
                    .where(
                        calls_table.c.id == call.id, calls_table.c.ended_at.is_(None)
                    )
                    .values({name: getattr(call, name) for name in _MUTABLE})
                ).rowcount
            )

    def close_call(self, call: CallRecord, outcome: str) -> bool:
        """End an open call with an outcome and record the anonymous statistics row.

        False, and nothing written, when the call was already closed: of two
        closings, one only counts.
        """
        if outcome not in OUTCOMES:
            raise ValueError(outcome)
        ended_at = self.now()
        with self.engine.begin() as connection:
            closed = connection.execute(
                update(calls_table)
                .where(calls_table.c.id == call.id, calls_table.c.ended_at.is_(None))
                .values(
                    {name: getattr(call, name) for name in _MUTABLE}
                    | {"ended_at": ended_at, "outcome": outcome}
                )
            ).rowcount
            if not closed:
                return False
            call.ended_at, call.outcome = ended_at, outcome
            connection.execute(
                outcomes_table.insert().values(
                    day=call.ended_at.date(),
                    outcome=outcome,
                    public=str(call.profile.get("public") or ""),
                    need=str(call.profile.get("need") or ""),
                    network=call.second_door_network() if outcome == "oriented" else "",
                    duration_s=call.duration_seconds(),
                )
            )
        return True

    # Retention and statistics ---------------------------------------------------------
    def purge(self, days: int | None = None) -> dict[str, int]:
        """Delete calls started more than ``days`` ago and expired sessions."""
        days = config.console_retention_days() if days is None else days
        now = self.now()
        with self.engine.begin() as connection:
            calls = connection.execute(
                delete(calls_table).where(
                    calls_table.c.started_at < now - timedelta(days=days)
                )
            ).rowcount
            sessions = connection.execute(
                delete(sessions_table).where(sessions_table.c.expires_at <= now)
            ).rowcount
        return {"calls": calls, "sessions": sessions}

    def outcome_counts(self, since: date | None = None) -> dict[str, int]:
        """Number of closed calls per outcome (all outcomes listed, zero included)."""
        query = select(outcomes_table.c.outcome, func.count()).group_by(
            outcomes_table.c.outcome
        )
        if since is not None:
            query = query.where(outcomes_table.c.day >= since)
        with self.engine.connect() as connection:
            counts = dict(connection.execute(query).all())
        return {outcome: int(counts.get(outcome, 0)) for outcome in OUTCOMES}

    def network_counts(self, since: date | None = None) -> dict[str, int]:
        """Oriented calls per network of the second door."""
        query = (
            select(outcomes_table.c.network, func.count())
            .where(outcomes_table.c.outcome == "oriented")
            .group_by(outcomes_table.c.network)
        )
        if since is not None:
            query = query.where(outcomes_table.c.day >= since)
        with self.engine.connect() as connection:
            return {
                network or "inconnu": int(n)
                for network, n in connection.execute(query).all()
            }
