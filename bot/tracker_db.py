"""Where Rasa keeps the conversations: the SQL tracker store of an endpoints.yml.

Read by the purge of old conversations (``bot.runtime.conversation_retention``) and
by the indicators' derivation (``python -m bot.indicators derive``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT

_ENV_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class TrackerStoreError(ValueError):
    """The tracker store's settings cannot be read (message in French)."""


def _expand(value: Any) -> Any:
    """Replace ``${VAR}`` by the environment's value, as Rasa does for endpoints.yml."""
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise TrackerStoreError(
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
        raise TrackerStoreError(
            f"Lecture impossible de {endpoints_file} : {exc}"
        ) from exc
    store = {
        key: _expand(value)
        for key, value in (endpoints.get("tracker_store") or {}).items()
    }
    if str(store.get("type", "")).upper() != "SQL":
        raise TrackerStoreError(
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
