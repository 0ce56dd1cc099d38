"""Database helpers shared by the project's SQL stores.

The console, desk, indicators and knowledge stores.
"""

from __future__ import annotations

import time

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

_CREATE_ATTEMPTS = 5


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
