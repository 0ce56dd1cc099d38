"""Settings read from the environment at call time (never at import time).

Every setting has an embedded default so the assistant runs on one machine with
nothing else installed; production overrides them with environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Header carrying ``actions_secret()`` from Rasa to the action server.
ACTION_SECRET_HEADER = "X-SPRO-Action-Secret"


def var_dir() -> Path:
    """Folder for run-time files (databases, pid files, logs); never committed."""
    path = Path(os.environ.get("SPRO_VAR_DIR", PROJECT_ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def knowledge_dir() -> Path:
    """Folder of the knowledge files that staff edit."""
    return Path(os.environ.get("SPRO_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge"))


def shared_data_dir() -> Path:
    """Folder of the open data the import commands read (communes, structures)."""
    return Path(
        os.environ.get("SPRO_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data")
    )


def database_url() -> str:
    """SQLAlchemy URL of the knowledge base (SQLite file by default)."""
    default = f"sqlite:///{var_dir() / 'knowledge.sqlite3'}"
    return os.environ.get("SPRO_DATABASE_URL", default)


def places_file() -> Path:
    """Compact communes gazetteer built by ``python -m bot import-shared``.

    The file is committed.
    """
    default = PROJECT_ROOT / "knowledge" / "places" / "communes.csv.gz"
    return Path(os.environ.get("SPRO_PLACES_FILE", default))


def knowledge_schema_dir() -> Path:
    """JSON Schema files of the knowledge files (part of the code, never overridden)."""
    return PROJECT_ROOT / "knowledge" / "schema"


def knowledge_max_age_months() -> int:
    """Age (months) past which a record's data is said to be old (default 12)."""
    return int(os.environ.get("SPRO_KNOWLEDGE_MAX_AGE_MONTHS", "12"))


def knowledge_refresh_seconds() -> float:
    """How often, at most, the running bot checks the database for a newer load."""
    return float(os.environ.get("SPRO_KNOWLEDGE_REFRESH_SECONDS", "5"))


def console_database_url() -> str:
    """SQLAlchemy URL of the tele-adviser console's calls and sessions.

    SQLite by default.
    """
    default = f"sqlite:///{var_dir() / 'console.sqlite3'}"
    return os.environ.get("SPRO_CONSOLE_DATABASE_URL", default)


def console_accounts_file() -> Path:
    """YAML file of the console's adviser accounts (hashed passwords).

    Never committed.
    """
    default = var_dir() / "console-accounts.yml"
    return Path(os.environ.get("SPRO_CONSOLE_ACCOUNTS", default))


def console_session_minutes() -> float:
    """Lifetime of an adviser's console session; signing in again is needed after it."""
    return float(os.environ.get("SPRO_CONSOLE_SESSION_MINUTES", "480"))


def console_idle_minutes() -> float:
    """A console session unused for this long expires (a forgotten open browser)."""
    return float(os.environ.get("SPRO_CONSOLE_IDLE_MINUTES", "30"))


def console_retention_days() -> int:
    """Days a call (profile, typed words, fiche) is kept before ``purge`` deletes it."""
    return int(os.environ.get("SPRO_CONSOLE_RETENTION_DAYS", "30"))


def conversation_retention_days() -> float:
    """Days a public conversation is kept in the tracker after its last message."""
    return float(os.environ.get("SPRO_CONVERSATION_RETENTION_DAYS", "30"))


def quick_model_loading() -> bool:
    """Load DIET and TED without Rasa's one-step training.

    See bot/rasa_patches/model_loading.py.

    Set it to 0 to disable.
    """
    return os.environ.get("SPRO_QUICK_MODEL_LOADING", "1") != "0"


def action_timeout_seconds() -> float:
    """Longest wait for one custom action before the person is told of a problem."""
    return float(os.environ.get("SPRO_ACTION_TIMEOUT_SECONDS", "3"))


def action_retry_seconds() -> float:
    """After an action server failure, how long actions fail at once before a retry."""
    return float(os.environ.get("SPRO_ACTION_RETRY_SECONDS", "5"))


def actions_secret() -> str:
    """Shared secret between Rasa and the action server (multi-host); empty: none."""
    return os.environ.get("SPRO_ACTIONS_SECRET", "")


def actions_interface() -> str:
    """Address the action server listens on (localhost unless a deployment says so)."""
    return os.environ.get("SPRO_ACTIONS_INTERFACE", "127.0.0.1")


def allowed_origins() -> tuple[str, ...]:
    """Other sites whose pages may call the public chat routes.

    Each as ``https://host[:port]``.
    """
    value = os.environ.get("SPRO_ALLOWED_ORIGINS", "")
    return tuple(
        origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()
    )


def conversation_secret_file() -> Path:
    """Key that signs public conversation ids, created on first use (mode 600)."""
    return Path(
        os.environ.get(
            "SPRO_CONVERSATION_SECRET_FILE", var_dir() / "conversation-secret.key"
        )
    )


def messages_per_minute() -> int:
    """Messages one public conversation may send per minute before a polite wait."""
    return int(os.environ.get("SPRO_MESSAGES_PER_MINUTE", "20"))


def indicators_database_url() -> str:
    """SQLAlchemy URL of the anonymous indicators.

    SQLite by default, PostgreSQL by URL.
    """
    default = f"sqlite:///{var_dir() / 'indicators.sqlite3'}"
    return os.environ.get("SPRO_INDICATORS_DATABASE_URL", default)


def indicators_min_cell() -> int:
    """Smallest count the dashboard and reports show.

    Smaller cells are merged or hidden.
    """
    return max(1, int(os.environ.get("SPRO_INDICATORS_MIN_CELL", "5")))


def indicators_idle_minutes() -> float:
    """A conversation silent for this long is over and becomes an indicator record."""
    return float(os.environ.get("SPRO_INDICATORS_IDLE_MINUTES", "90"))


def redis_address() -> tuple[str, int] | None:
    """The Redis server the instances share (``SPRO_REDIS_HOST``), or None."""
    host = os.environ.get("SPRO_REDIS_HOST", "")
    if not host:
        return None
    return host, int(os.environ.get("SPRO_REDIS_PORT", "6379") or 6379)


def rate_limit_overrides() -> dict[str, tuple[int, int, int]]:
    """Overrides of the rate limits: ``SPRO_RATE_LIMITS``.

    ``name=per_address/per_conversation/seconds``, comma-separated, for
    example ``callbacks=10/2/3600,conversations=120/0/60`` (0: no limit).
    """
    overrides = {}
    for item in os.environ.get("SPRO_RATE_LIMITS", "").split(","):
        name, _, value = item.strip().partition("=")
        numbers = value.split("/")
        if name and len(numbers) == 3 and all(n.strip().isdigit() for n in numbers):
            address, conversation, seconds = (int(n) for n in numbers)
            overrides[name] = (address, conversation, max(1, seconds))
    return overrides


def redis_namespace() -> str:
    """Prefix of this deployment's keys in Redis (``SPRO_REDIS_NAMESPACE``)."""
    return os.environ.get("SPRO_REDIS_NAMESPACE", "spro")
