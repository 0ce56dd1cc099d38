"""SQL storage of the knowledge (SQLAlchemy 1.4, 2.0-style API), with atomic swap.

Every load writes a complete new *snapshot* (all networks, structures, regions and
sheets, tagged with a new snapshot id) and moves the single ``kb_state`` pointer to
it, all in ONE transaction: readers see either the previous knowledge or the new one,
never a mix, and a failed load (invalid files are refused before any write; a crash
during the write is rolled back) leaves the previous knowledge serving. Older
snapshots are deleted in the same transaction (the previous one is kept).

Works with any SQLAlchemy URL (SQLite file by default, PostgreSQL in production).
"""

from __future__ import annotations

import hashlib
import json
import typing
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base

from bot import config
from bot.db import create_tables
from bot.knowledge.files import CheckResult, check_directory
from bot.knowledge.model import (
    EntryPoint,
    InfoSheet,
    KnowledgeSet,
    Network,
    Region,
    Source,
    SourcedFact,
    structure_fields,
    structure_from_plain,
    structure_to_plain,
)

Base: Any = declarative_base()


class Snapshot(Base):
    """One complete load of the knowledge files."""

    __tablename__ = "kb_snapshot"
    id = Column(Integer, primary_key=True, autoincrement=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    digest = Column(String(64), nullable=False)
    counts = Column(JSON, nullable=False)


class State(Base):
    """Single row pointing at the live snapshot (the atomic swap is an UPDATE of it)."""

    __tablename__ = "kb_state"
    id = Column(Integer, primary_key=True)
    snapshot_id = Column(Integer, ForeignKey("kb_snapshot.id"), nullable=False)


def _snapshot_fk() -> Column:
    return Column(
        Integer, ForeignKey("kb_snapshot.id", ondelete="CASCADE"), primary_key=True
    )


class NetworkRow(Base):
    """One network of a snapshot."""

    __tablename__ = "kb_network"
    snapshot_id = _snapshot_fk()
    code = Column(String(64), primary_key=True)
    name = Column(Text, nullable=False)
    summary = Column(Text, nullable=False)
    source = Column(Text, nullable=False)
    verified = Column(Date)
    details = Column(JSON, nullable=False)  # former_names, publics, entry_points


def _structure_column(item, kind) -> Column:
    """The column of one ``Structure`` field.

    Text, number, date, or JSON for structured values.
    """
    if item.name == "id":
        return Column(String(128), primary_key=True)
    if kind is str:
        return Column(Text, nullable=False, default="", index=item.name == "network")
    if kind is float:
        return Column(Float, nullable=False)
    if date in (kind, *typing.get_args(kind)):
        return Column(Date)
    return Column(JSON)


StructureRow: Any = type(
    "StructureRow",
    (Base,),
    {
        "__doc__": "One structure of a snapshot; the columns are the fields of "
        "``model.Structure``.",
        "__tablename__": "kb_structure",
        "snapshot_id": _snapshot_fk(),
        **{
            item.name: _structure_column(item, kind)
            for item, kind in structure_fields()
        },
    },
)


class RegionRow(Base):
    """One region of a snapshot."""

    __tablename__ = "kb_region"
    snapshot_id = _snapshot_fk()
    code = Column(String(3), primary_key=True)
    name = Column(Text, nullable=False)
    details = Column(JSON, nullable=False)


class SheetRow(Base):
    """One information sheet of a snapshot."""

    __tablename__ = "kb_sheet"
    snapshot_id = _snapshot_fk()
    code = Column(String(64), primary_key=True)
    title = Column(Text, nullable=False)
    answer = Column(Text, nullable=False)
    source_url = Column(Text, nullable=False)
    source_label = Column(Text, nullable=False)
    reviewed = Column(Date, nullable=False)
    keywords = Column(JSON, nullable=False)


CONTENT_TABLES = (NetworkRow, StructureRow, RegionRow, SheetRow)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL (SQLite gets foreign keys and a busy timeout)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, future=True, connect_args={"timeout": 30, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # pragma: no cover - trivial
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
    else:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    return engine


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def knowledge_rows(knowledge: KnowledgeSet) -> dict[Any, list[dict]]:
    """Rows to insert for each content table (without snapshot id)."""
    return {
        NetworkRow: [
            {
                "code": n.code,
                "name": n.name,
                "summary": n.summary,
                "source": n.source,
                "verified": n.verified,
                "details": {
                    "former_names": list(n.former_names),
                    "publics": list(n.publics),
                    "entry_points": [vars(e) for e in n.entry_points],
                },
            }
            for n in knowledge.networks
        ],
        StructureRow: [structure_to_plain(s) for s in knowledge.structures],
        RegionRow: [
            {
                "code": r.code,
                "name": r.name,
                "details": {
                    "service_name": r.service_name,
                    "first_level_service": r.first_level_service,
                    "phone": r.phone,
                    "phone_hours": r.phone_hours,
                    "website": r.website,
                    "member_networks": list(r.member_networks),
                    "cep_operator": r.cep_operator,
                    "cep_operator_url": r.cep_operator_url,
                    "facts": [
                        {
                            "text": f.text,
                            "source": f.source,
                            "date": _iso(f.date),
                            "url": f.url,
                        }
                        for f in r.facts
                    ],
                    "sources": [
                        {
                            "label": s.label,
                            "fields": list(s.fields),
                            "date": _iso(s.date),
                            "url": s.url,
                            "note": s.note,
                        }
                        for s in r.sources
                    ],
                },
            }
            for r in knowledge.regions
        ],
        SheetRow: [
            {
                "code": s.code,
                "title": s.title,
                "answer": s.answer,
                "source_url": s.source_url,
                "source_label": s.source_label,
                "reviewed": s.reviewed,
                "keywords": list(s.keywords),
            }
            for s in knowledge.sheets
        ],
    }


def _required_date(value) -> date:
    """A date column that is never empty."""
    found = _date(value)
    assert found is not None
    return found


def add_missing_structure_columns(engine: Engine) -> list[str]:
    """Add the ``Structure`` fields a database made by an older version lacks.

    A new optional field (e.g. ``location``) becomes a column with an empty default;
    older snapshots read it as empty. Return the columns added.
    """
    present = {c["name"] for c in inspect(engine).get_columns("kb_structure")}
    added = []
    with engine.begin() as connection:
        for column in StructureRow.__table__.columns:
            if column.name in present:
                continue
            kind = column.type.compile(dialect=engine.dialect)
            default = " NOT NULL DEFAULT ''" if kind.upper() == "TEXT" else ""
            connection.execute(
                text(
                    f"ALTER TABLE kb_structure ADD COLUMN {column.name} {kind}{default}"
                )
            )
            added.append(column.name)
    return added


def digest_of(knowledge: KnowledgeSet) -> str:
    """Stable fingerprint of the content.

    It tells staff whether a load changed anything.
    """
    rows = knowledge_rows(knowledge)
    payload = json.dumps(
        {t.__tablename__: r for t, r in rows.items()}, sort_keys=True, default=str
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def save_snapshot(url: str, knowledge: KnowledgeSet) -> int:
    """Write ``knowledge`` as a new snapshot and make it live, atomically.

    Return its id.
    """
    engine = engine_for(url)
    create_tables(Base.metadata, engine)
    add_missing_structure_columns(engine)
    rows = knowledge_rows(knowledge)
    with engine.begin() as connection:
        snapshot_id = connection.execute(
            insert(Snapshot).values(
                created_at=datetime.now(timezone.utc),
                digest=digest_of(knowledge),
                counts=knowledge.counts(),
            )
        ).inserted_primary_key[0]
        for table, table_rows in rows.items():
            if table_rows:
                connection.execute(
                    insert(table),
                    [{**row, "snapshot_id": snapshot_id} for row in table_rows],
                )
        previous = connection.execute(
            select(State.snapshot_id).where(State.id == 1).with_for_update()
        ).scalar()
        if previous is None:
            connection.execute(insert(State).values(id=1, snapshot_id=snapshot_id))
        else:
            connection.execute(
                update(State).where(State.id == 1).values(snapshot_id=snapshot_id)
            )
        keep = [snapshot_id] + ([previous] if previous is not None else [])
        stale = select(Snapshot.id).where(Snapshot.id.not_in(keep))
        for table in CONTENT_TABLES:
            connection.execute(delete(table).where(table.snapshot_id.in_(stale)))
        connection.execute(delete(Snapshot).where(Snapshot.id.not_in(keep)))
    return snapshot_id


def live_snapshot_id(url: str) -> int | None:
    """Id of the live snapshot, or None when nothing was ever loaded.

    A one-row read.
    """
    engine = engine_for(url)
    with engine.connect() as connection:
        if not engine.dialect.has_table(connection, State.__tablename__):
            return None
        return connection.execute(
            select(State.snapshot_id).where(State.id == 1)
        ).scalar()


def snapshot_info(url: str) -> dict | None:
    """Id, date, digest and counts of the live snapshot, or None."""
    snapshot_id = live_snapshot_id(url)
    if snapshot_id is None:
        return None
    with engine_for(url).connect() as connection:
        row = (
            connection.execute(select(Snapshot).where(Snapshot.id == snapshot_id))
            .mappings()
            .one()
        )
    return dict(row)


def read_snapshot(
    url: str, snapshot_id: int | None = None
) -> tuple[int, KnowledgeSet] | None:
    """Read the live (or given) snapshot back as a ``KnowledgeSet``.

    In one read transaction.
    """
    engine = engine_for(url)
    with engine.connect() as connection, connection.begin():
        if snapshot_id is None:
            if not engine.dialect.has_table(connection, State.__tablename__):
                return None
            snapshot_id = connection.execute(
                select(State.snapshot_id).where(State.id == 1)
            ).scalar()
            if snapshot_id is None:
                return None

        def rows(table):
            keys = [
                c
                for c in table.__table__.primary_key.columns
                if c.name != "snapshot_id"
            ]
            query = (
                select(table).where(table.snapshot_id == snapshot_id).order_by(*keys)
            )
            return connection.execute(query).mappings().all()

        networks = tuple(
            Network(
                r["code"],
                r["name"],
                tuple(r["details"]["former_names"]),
                r["summary"],
                tuple(r["details"]["publics"]),
                tuple(EntryPoint(**e) for e in r["details"]["entry_points"]),
                r["source"],
                _date(r["verified"]),
            )
            for r in rows(NetworkRow)
        )
        structures = tuple(structure_from_plain(dict(r)) for r in rows(StructureRow))
        regions = []
        for r in rows(RegionRow):
            d = r["details"]
            regions.append(
                Region(
                    code=r["code"],
                    name=r["name"],
                    service_name=d["service_name"],
                    first_level_service=d["first_level_service"],
                    phone=d["phone"],
                    phone_hours=d["phone_hours"],
                    website=d["website"],
                    member_networks=tuple(d["member_networks"]),
                    cep_operator=d["cep_operator"],
                    cep_operator_url=d["cep_operator_url"],
                    facts=tuple(
                        SourcedFact(f["text"], f["source"], _date(f["date"]), f["url"])
                        for f in d["facts"]
                    ),
                    sources=tuple(
                        Source(
                            s["label"],
                            tuple(s["fields"]),
                            _date(s["date"]),
                            s["url"],
                            s["note"],
                        )
                        for s in d["sources"]
                    ),
                )
            )
        sheets = tuple(
            InfoSheet(
                r["code"],
                r["title"],
                r["answer"],
                r["source_url"],
                r["source_label"],
                _required_date(r["reviewed"]),
                tuple(r["keywords"]),
            )
            for r in rows(SheetRow)
        )
    return snapshot_id, KnowledgeSet(networks, structures, tuple(regions), sheets)


@dataclass
class LoadOutcome:
    """Result of ``load_directory``.

    The check, and the new live snapshot when it was written.
    """

    check: CheckResult
    snapshot_id: int | None = None
    changed: bool = False


def load_directory(folder=None, url: str | None = None, gazetteer=None) -> LoadOutcome:
    """Check the knowledge files.

    Only if there is no error, write them as the live snapshot.
    """
    check = check_directory(folder, gazetteer)
    if not check.ok:
        return LoadOutcome(check)
    url = url or config.database_url()
    knowledge = check.knowledge
    assert knowledge is not None  # check.ok
    before = snapshot_info(url)
    snapshot_id = save_snapshot(url, knowledge)
    return LoadOutcome(
        check, snapshot_id, before is None or before["digest"] != digest_of(knowledge)
    )
