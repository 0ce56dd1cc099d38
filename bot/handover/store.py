"""SQL storage of the chat desk: advisers' availability, requests, messages, statistics.

SQLAlchemy 1.4 with the 2.0-style API, one connection per operation, so that several
Rasa instances share the queue through one database (SQLite file by default, PostgreSQL
in the scale-out of ``deploy/`` by URL only). State changes that two instances could
race for (taking a waiting conversation) are single conditional ``UPDATE`` statements.

Contact data of call-backs lives only in ``handover_requests.contact`` (never in the
tracker store, the messages or the statistics) and is erased by ``purge_contacts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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
    text,
)
from sqlalchemy.engine import Connection

from bot.conversation.channel_differences import HANDOVER_CHANNEL
from bot.db import LazyEngine

metadata = MetaData()

advisers_table = Table(
    "handover_advisers",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("first_name", String(64), nullable=False),
    Column("available", Boolean, nullable=False, default=False),
    Column("capacity", Integer, nullable=False, default=1),
    Column("seen_at", DateTime, nullable=False),
)

requests_table = Table(
    "handover_requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),  # live | callback
    Column("status", String(16), nullable=False, index=True),
    Column("sender_id", String(128), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False),
    Column("region", String(2), nullable=False, default=""),
    Column("channel", String(32), nullable=False, default=HANDOVER_CHANNEL),
    Column("created_at", DateTime, nullable=False, index=True),
    Column("taken_at", DateTime),
    Column("closed_at", DateTime),
    Column("adviser", String(64), index=True),
    Column("adviser_first_name", String(64)),
    Column("outcome", String(32)),
    Column("snapshot", JSON, nullable=False, default=dict),
    Column("consent", Boolean, nullable=False, default=False),
    Column("contact_kind", String(8)),
    Column("contact", String(200)),
    Column("slot", String(32)),
    Column("note", Text, nullable=False, default=""),
    Column("purge_after", DateTime),
)

messages_table = Table(
    "handover_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(32), nullable=False, index=True),
    Column("who", String(16), nullable=False),  # person | adviser | desk
    Column("first_name", String(64), nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("at", DateTime, nullable=False),
)

# Key of the PostgreSQL advisory lock that makes message inserts take turns.
MESSAGES_LOCK_KEY = 0x5350524F  # "SPRO"


def take_turn_for_message_id(db: Connection) -> None:
    """Make the message ids of the current transaction commit in the order given.

    Readers page through ``handover_messages`` with ``id > last id seen``. On
    PostgreSQL two concurrent inserts may commit out of id order, and a reader that
    already saw the larger id would never see the smaller one. A transaction-scoped
    advisory lock makes inserts take turns (a few per second at most: people type);
    SQLite has one writer at a time already.
    """
    if db.dialect.name == "postgresql":
        db.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": MESSAGES_LOCK_KEY}
        )


stats_table = Table(
    "handover_stats",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("day", Date, nullable=False, index=True),
    Column("wait_s", Integer),
    Column("handling_s", Integer),
    Column("outcome", String(32), nullable=False),
    Column("public", String(64), nullable=False, default=""),
    Column("need", String(64), nullable=False, default=""),
    Column("channel", String(32), nullable=False, default=""),
)


@dataclass
class HandoverRequest:
    """One live hand-over or call-back request, as stored."""

    id: str
    kind: str
    status: str
    sender_id: str
    token_hash: str
    created_at: datetime
    region: str = ""
    channel: str = HANDOVER_CHANNEL
    taken_at: datetime | None = None
    closed_at: datetime | None = None
    adviser: str | None = None
    adviser_first_name: str | None = None
    outcome: str | None = None
    snapshot: dict[str, Any] = field(default_factory=dict)
    consent: bool = False
    contact_kind: str | None = None
    contact: str | None = None
    slot: str | None = None
    note: str = ""
    purge_after: datetime | None = None


@dataclass(frozen=True)
class Message:
    """One message of a held conversation."""

    id: int
    request_id: str
    who: str
    first_name: str
    text: str
    at: datetime


@dataclass(frozen=True)
class AdviserState:
    """An adviser's availability on the desk."""

    username: str
    first_name: str
    available: bool
    capacity: int
    seen_at: datetime


class HandoverStore(LazyEngine):
    """The engine of the desk's database, created with its tables on first use."""

    metadata = metadata
