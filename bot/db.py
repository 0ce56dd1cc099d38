"""Database helpers shared by the project's SQL stores.

The console, desk, indicators and knowledge stores.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.pool import QueuePool

_CREATE_ATTEMPTS = 5


def utcnow() -> datetime:
    """Now in UTC, without tzinfo (how the tables store times)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def token_hash(token: str) -> str:
    """A secret token as stored: its hash, so a copy of the database opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_tables(metadata: MetaData, engine: Engine) -> None:
    """Create the missing tables, tolerating another process creating them too.

    Two instances starting together (or two stores in one process) may both see a table
    missing and both create it; the loser gets "already exists" from SQLite or
    PostgreSQL. Checking again then finds every table.
    """
    for attempt in range(_CREATE_ATTEMPTS):
        try:
            metadata.create_all(engine)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == _CREATE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def engine_options(url: str) -> dict[str, Any]:
    """``create_engine`` options for ``url``: an SQLite file keeps its connections.

    SQLAlchemy 1.4 opens a new connection to an SQLite file at every use (``NullPool``):
    about a millisecond each time, on every message for the desk's check of a hand-over
    in progress. A pool keeps them, as SQLAlchemy 2.0 does by default; each use still
    starts its own transaction, which sees what other connections and processes
    committed. In-memory databases and other databases keep SQLAlchemy's defaults.
    """
    parsed = make_url(url)
    memory = parsed.database in (None, "", ":memory:") or "mode=memory" in str(parsed)
    if parsed.get_backend_name() != "sqlite" or memory:
        return {}
    return {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}


class LazyEngine:
    """A database URL whose engine is created, with ``metadata``'s tables, on first use.

    The base of the SQL stores: one engine per store, thread-safe creation, and
    ``dispose`` to close the connections (the next use opens them again).
    """

    metadata: MetaData

    def __init__(self, url: str) -> None:
        """``url``: any SQLAlchemy URL."""
        self.url = url
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The engine, created with the tables on first use."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = create_engine(
                        self.url, future=True, **engine_options(self.url)
                    )
                    create_tables(self.metadata, engine)
                    self._engine = engine
        return self._engine

    def dispose(self) -> None:
        """Close the database connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
