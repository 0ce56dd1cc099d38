"""The anonymous indicator records and their counts (SQLAlchemy, SQLite or PostgreSQL).

One ``IndicatorRecord`` per conversation (or hand-over, call-back): a day, a channel, a
territory (region, département, EPCI — never the commune), codes for the public, the
need, the networks, the outcome and the satisfaction. No free text, no conversation id,
no time of day. Each record also increments ``indicator_counts``, one row per (month,
channel, region, département, dimension, value), and ``indicator_daily``, one row per
(day, channel, region, département, kind): the dashboard reads only those counts, so it
answers quickly over years of records (periods are whole months; the daily table gives
the conversations per week). The same code runs on SQLite (default, a file in
``var/``) and PostgreSQL (``SPRO_INDICATORS_DATABASE_URL``).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bot import config
from bot.conversation.channel_differences import CHANNEL_PROFILES
from bot.db import LazyEngine

KINDS = {
    "conversation": "Conversation avec l'assistant",
    "handover": "Conversation passée à une personne (tchat)",
    "call_back": "Demande de rappel",
    "phone_call": "Appel clos à la console (issue donnée par le conseiller)",
}
CHANNELS = {name: profile.label for name, profile in CHANNEL_PROFILES.items()}
OUTCOMES = {
    "oriented": "Orientée vers une structure",
    "information": "Information donnée",
    "handed_to_person": "Dirigée vers une personne",
    "call_back": "Rappel demandé",
    "abandoned": "Abandon avant l'orientation",
}

metadata = MetaData()

records_table = Table(
    "indicator_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("region", String(3), nullable=False),
    Column("departement", String(3), nullable=False),
    Column("epci", String(9), nullable=False),
    Column("public", String(32), nullable=False),
    Column("need", String(32), nullable=False),
    Column("network", String(32), nullable=False),
    Column("structure_network", String(32), nullable=False),
    Column("local_structure", Boolean),
    Column("messages", Integer, nullable=False),
    Column("outcome", String(24), nullable=False),
    Column("abandoned_at", String(32), nullable=False),
    Column("satisfaction", String(12), nullable=False),
    Column("feedback_theme", String(16), nullable=False),
    Column("wait_seconds", Integer),
)

counts_table = Table(
    "indicator_counts",
    metadata,
    Column("month", Date, primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("region", String(3), primary_key=True),
    Column("departement", String(3), primary_key=True),
    Column("dimension", String(24), primary_key=True),
    Column("value", String(32), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("seconds", Integer, nullable=False),
)

daily_table = Table(
    "indicator_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("region", String(3), primary_key=True),
    Column("departement", String(3), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("seconds", Integer, nullable=False),
)

# Derivation windows of the tracker store (bot/indicators/derive.py): the unique start
# makes two instances deriving at once write the same window only once.
windows_table = Table(
    "indicator_windows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("start", Float, nullable=False),
    Column("end", Float, nullable=False),
    Column("derived_at", DateTime, nullable=False),
    Column("records", Integer, nullable=False),
    UniqueConstraint("start", name="uq_indicator_windows_start"),
)


@dataclass(frozen=True)
class IndicatorRecord:
    """One conversation, hand-over or call-back: codes only, never free text."""

    day: date
    kind: str = "conversation"
    channel: str = ""
    region: str = ""
    departement: str = ""
    epci: str = ""
    public: str = ""
    need: str = ""
    network: str = ""
    structure_network: str = ""
    local_structure: bool | None = None
    messages: int = 0
    outcome: str = ""
    abandoned_at: str = ""
    satisfaction: str = ""
    feedback_theme: str = ""
    wait_seconds: int | None = None

    def dimensions(self) -> list[tuple[str, str]]:
        """The (dimension, value) pairs this record counts in."""
        pairs = [("kind", self.kind)]
        if self.kind != "conversation":
            pairs.append((f"{self.kind}_outcome", self.outcome or "inconnu"))
            return pairs
        pairs += [
            ("outcome", self.outcome),
            ("public", self.public or "non_precise"),
            ("need", self.need or "non_precise"),
        ]
        if self.epci:
            pairs.append(("epci", self.epci))
        if self.outcome == "oriented":
            pairs.append(("network", self.network or "inconnu"))
            pairs.append(("local_structure", "oui" if self.local_structure else "non"))
            if not self.local_structure and self.departement:
                # Without a commune there is no local structure to show: not a gap.
                pairs.append(("gap", self.network or "inconnu"))
        if self.outcome == "abandoned":
            pairs.append(("abandoned_at", self.abandoned_at or "avant_question"))
        if self.satisfaction:
            pairs.append(("satisfaction", self.satisfaction))
        if self.feedback_theme:
            pairs.append(("feedback_theme", self.feedback_theme))
        return pairs


def _increment(
    connection: Connection,
    table: Table,
    names: tuple[str, ...],
    increments: Counter[tuple[Any, ...]],
    seconds: Counter[tuple[Any, ...]],
) -> None:
    """Add counts to ``table`` (upsert on its primary key, SQLite or PostgreSQL)."""
    values = [
        dict(zip(names, key), n=n, seconds=seconds[key])
        for key, n in increments.items()
    ]
    dialect = connection.dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = insert.on_conflict_do_update(
        index_elements=list(names),
        set_={
            "n": table.c.n + insert.excluded.n,
            "seconds": table.c.seconds + insert.excluded.seconds,
        },
    )
    for start in range(0, len(values), 500):
        connection.execute(statement, values[start : start + 500])


def _checked(record: IndicatorRecord) -> IndicatorRecord:
    if record.kind not in KINDS:
        raise ValueError(f"unknown indicator kind {record.kind!r}")
    if (
        record.outcome
        and record.outcome not in OUTCOMES
        and record.kind == "conversation"
    ):
        raise ValueError(f"unknown outcome {record.outcome!r}")
    return record


class IndicatorStore(LazyEngine):
    """Records and counts in one database; one transaction per write."""

    metadata = metadata

    def __init__(self, url: str | None = None) -> None:
        """``url`` defaults to ``config.indicators_database_url()``."""
        super().__init__(url or config.indicators_database_url())

    def add(self, records: Iterable[IndicatorRecord]) -> int:
        """Store records and add them to the daily counts; return how many."""
        with self.engine.begin() as connection:
            return self.add_in(connection, records)

    def add_in(self, connection: Connection, records: Iterable[IndicatorRecord]) -> int:
        """``add`` inside the caller's transaction."""
        checked = [_checked(r) for r in records]
        if not checked:
            return 0
        connection.execute(records_table.insert(), [asdict(r) for r in checked])
        increments: Counter[tuple[Any, ...]] = Counter()
        seconds: Counter[tuple[Any, ...]] = Counter()
        daily: Counter[tuple[Any, ...]] = Counter()
        daily_seconds: Counter[tuple[Any, ...]] = Counter()
        for record in checked:
            place = (record.channel, record.region, record.departement)
            key = (record.day.replace(day=1), *place)
            for dimension, value in record.dimensions():
                increments[(*key, dimension, value)] += 1
                seconds[(*key, dimension, value)] += record.wait_seconds or 0
            daily[(record.day, *place, record.kind)] += 1
            daily_seconds[(record.day, *place, record.kind)] += record.wait_seconds or 0
        names = ("channel", "region", "departement")
        _increment(
            connection,
            counts_table,
            ("month", *names, "dimension", "value"),
            increments,
            seconds,
        )
        _increment(
            connection, daily_table, ("day", *names, "kind"), daily, daily_seconds
        )
        return len(checked)

    def record_count(self) -> int:
        """Number of stored records (tests, benchmarks)."""
        from sqlalchemy import func

        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(records_table)
                ).scalar_one()
            )


_DEFAULT_STORE: IndicatorStore | None = None
_DEFAULT_LOCK = threading.Lock()


def get_store() -> IndicatorStore:
    """The store of the configured database, built on first use."""
    global _DEFAULT_STORE
    with _DEFAULT_LOCK:
        if (
            _DEFAULT_STORE is None
            or _DEFAULT_STORE.url != config.indicators_database_url()
        ):
            _DEFAULT_STORE = IndicatorStore()
        return _DEFAULT_STORE


def record_event(
    kind: str,
    channel: str,
    outcome: str = "",
    *,
    day: date | None = None,
    commune_insee: str | None = None,
    region: str = "",
    public: str = "",
    need: str = "",
    wait_seconds: int | None = None,
    store: IndicatorStore | None = None,
) -> IndicatorRecord:
    """Record a hand-over, a call-back or a phone call closed at the console.

    ``kind`` is ``"handover"`` or ``"call_back"`` (the hand-over desk, when it closes
    the item, with the waiting time before an adviser took it) or ``"phone_call"`` (the
    console, when an adviser closes a call); ``outcome`` is the adviser's outcome
    code, ``public`` and ``need`` the profile codes the assistant had.
    Only the commune's département, region and EPCI are kept. Contact data must never be
    passed.
    """
    territory = territory_of(commune_insee, region)
    record = IndicatorRecord(
        day=day or datetime.now(timezone.utc).date(),
        kind=kind,
        channel=channel,
        public=public,
        need=need,
        outcome=outcome,
        wait_seconds=wait_seconds,
        region=territory["region"],
        departement=territory["departement"],
        epci=territory["epci"],
    )
    (store or get_store()).add([record])
    return record


def territory_of(commune_insee: str | None, region: str = "") -> dict[str, str]:
    """Region, département and EPCI of a commune (the commune itself is never kept)."""
    if commune_insee:
        from bot import places

        commune = places.commune(commune_insee)
        if commune is not None:
            return {
                "region": commune.region_code,
                "departement": commune.departement_code,
                "epci": commune.epci_siren,
            }
    return {"region": region or "", "departement": "", "epci": ""}
