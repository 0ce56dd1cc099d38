"""The SQLite tracker store (the one-machine default) with one kept connection and WAL.

Rasa 3.6's ``SQLTrackerStore`` on SQLite opens a new database connection for every
read and every save (SQLAlchemy 1.4 gives file databases no pool), and each save
waits for two ``fsync`` calls of SQLite's default rollback journal. Here, for SQLite
only, the store keeps one connection per thread (``SingletonThreadPool``; Rasa uses
it from the event loop's thread) and runs SQLite in write-ahead-log mode with
``synchronous=NORMAL``: the same rows are written by the same SQL, a save is still
atomic and survives a crash of the process; only the last saves before a power
failure of the machine may be lost. PostgreSQL (several instances) is untouched.

``install()`` applies it when the installed Rasa is a checked version, unless
``SPRO_RASA_PATCHES_OFF`` names ``tracker_store`` (or ``all``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from bot.rasa_patches import patch_enabled, rasa_version_checked

NAME = "tracker_store"
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
_RASA_SESSION_SCOPE = "_spro_rasa_session_scope"
_CONVERTED = "_spro_sqlite_engine"


def set_pragmas(connection: Any, _record: Any) -> None:
    """Run ``SQLITE_PRAGMAS`` on a new SQLite connection."""
    cursor = connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def use_kept_wal_connection(store: Any) -> None:
    """Give a SQLite store a pooled WAL engine (once; other databases are untouched)."""
    import sqlalchemy as sa

    if vars(store).get(_CONVERTED):
        return
    setattr(store, _CONVERTED, True)
    url = store.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    store.engine.dispose()
    store.engine = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool)
    sa.event.listen(store.engine, "connect", set_pragmas)
    store.sessionmaker = sa.orm.session.sessionmaker(bind=store.engine)


@contextlib.contextmanager
def session_scope(self: Any) -> Iterator[Any]:
    """``SQLTrackerStore.session_scope`` on the kept WAL connection for SQLite."""
    from rasa.core.tracker_store import SQLTrackerStore

    use_kept_wal_connection(self)
    with getattr(SQLTrackerStore, _RASA_SESSION_SCOPE)(self) as session:
        yield session


def install() -> None:
    """Patch ``SQLTrackerStore.session_scope`` (idempotent).

    Rasa creates the tracker store before it loads the model (and this module), so
    the engine is replaced at the store's first use rather than in its constructor.
    """
    if not patch_enabled(NAME) or not rasa_version_checked(NAME):
        return
    from rasa.core.tracker_store import SQLTrackerStore

    if _RASA_SESSION_SCOPE not in vars(SQLTrackerStore):
        setattr(SQLTrackerStore, _RASA_SESSION_SCOPE, SQLTrackerStore.session_scope)
        SQLTrackerStore.session_scope = session_scope


def uninstall() -> None:
    """Put Rasa's own ``session_scope`` back (for the equality tests)."""
    from rasa.core.tracker_store import SQLTrackerStore

    if _RASA_SESSION_SCOPE in vars(SQLTrackerStore):
        original = vars(SQLTrackerStore)[_RASA_SESSION_SCOPE]
        SQLTrackerStore.session_scope = original
        delattr(SQLTrackerStore, _RASA_SESSION_SCOPE)
