"""Keep conversations only for a limited time: purge Rasa's SQL tracker store.

Rasa's ``SQLTrackerStore`` keeps every event of every conversation in one ``events``
table (``sender_id``, ``timestamp`` in seconds since the epoch). A conversation is
deleted whole once its last event is older than the retention period, so that no
conversation is ever left half-erased.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import MetaData, Table, create_engine, delete, func, inspect, select

from bot.config import PROJECT_ROOT

EVENTS_TABLE = "events"
_ENV_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class RetentionError(ValueError):
    """The tracker store cannot be purged as configured (message in French)."""


@dataclass(frozen=True)
class PurgeResult:
    """What a purge deleted."""

    conversations: int
    events: int


def _expand(value: Any) -> Any:
    """Replace ``${VAR}`` by the environment's value, as Rasa does for endpoints.yml."""
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise RetentionError(
                f"La variable d'environnement {name} n'est pas définie."
            )
        return os.environ[name]

    return _ENV_VARIABLE.sub(replace, value)


def tracker_store_url(endpoints_file: Path, root: Path = PROJECT_ROOT) -> str:
    """The SQLAlchemy URL of the SQL tracker store declared in ``endpoints_file``.

    Only the ``tracker_store`` section is read (its ``${VAR}`` expanded); the URL is
    built by Rasa's own ``SQLTrackerStore.get_db_url``, so every form Rasa accepts
    (host with port or scheme, ``query`` options) reaches the same database. A relative
    SQLite path is taken from the project folder, where the servers run.
    """
    from rasa.core.tracker_store import SQLTrackerStore

    try:
        endpoints = yaml.safe_load(endpoints_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RetentionError(f"Lecture impossible de {endpoints_file} : {exc}") from exc
    store = {
        key: _expand(value)
        for key, value in (endpoints.get("tracker_store") or {}).items()
    }
    if str(store.get("type", "")).upper() != "SQL":
        raise RetentionError(
            f"{endpoints_file} ne déclare pas de tracker store SQL (type: SQL) : "
            "la purge ne sait effacer que celui-là."
        )
    dialect = store.get("dialect") or "sqlite"
    database = store.get("db") or "rasa.db"
    if dialect == "sqlite" and not Path(database).is_absolute():
        database = str(root / database)
    port = store.get("port")
    url = SQLTrackerStore.get_db_url(
        dialect=dialect,
        host=store.get("url"),
        port=int(port) if port else None,
        db=database,
        username=store.get("username"),
        password=store.get("password"),
        query=store.get("query"),
    )
    return url if isinstance(url, str) else url.render_as_string(hide_password=False)


def purge_conversations(url: str, days: float, now: float | None = None) -> PurgeResult:
    """Delete every conversation whose last event is more than ``days`` days old.

    The indicator records of the ended conversations are derived first
    (``bot.indicators``).
    """
    if days <= 0:
        raise RetentionError(
            "La durée de conservation doit être un nombre de jours positif."
        )
    cutoff = (time.time() if now is None else now) - days * 86_400
    # Anonymous indicator records outlive the conversations: derive them first.
    from bot import config
    from bot.indicators.derive import derive_indicators

    idle_cutoff = (
        time.time() if now is None else now
    ) - config.indicators_idle_minutes() * 60
    derive_indicators(url, until=max(cutoff, idle_cutoff))
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table(EVENTS_TABLE):
            return PurgeResult(conversations=0, events=0)
        events = Table(EVENTS_TABLE, MetaData(), autoload_with=engine)
        stale = (
            select(events.c.sender_id)
            .group_by(events.c.sender_id)
            .having(func.max(events.c.timestamp) < cutoff)
        )
        with engine.begin() as connection:
            senders = [row[0] for row in connection.execute(stale)]
            deleted = 0
            for start in range(0, len(senders), 500):
                batch = senders[start : start + 500]
                deleted += connection.execute(
                    delete(events).where(events.c.sender_id.in_(batch))
                ).rowcount
        return PurgeResult(conversations=len(senders), events=deleted)
    finally:
        engine.dispose()
