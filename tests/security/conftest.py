"""Databases of the security tests: a SQLite file, or a fresh PostgreSQL database.

PostgreSQL is the server of this machine (127.0.0.1:5432, user ``postgres``, as in
``tests/indicators/test_postgresql.py``): each test gets its own uniquely named
database, dropped afterwards; the PostgreSQL cases are skipped when it is not running.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Iterator

import pytest

PG = ("127.0.0.1", 5432)


def postgresql_reachable() -> bool:
    """True when the local PostgreSQL server answers."""
    try:
        socket.create_connection(PG, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL of an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'race.sqlite3'}"
        return
    if not postgresql_reachable():
        pytest.skip("PostgreSQL on 127.0.0.1:5432 is needed")
    import psycopg2

    name = f"spro_security_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@{PG[0]}:{PG[1]}/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
