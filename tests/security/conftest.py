"""Databases of the security tests: a SQLite file, or a fresh PostgreSQL database.

PostgreSQL is the server of this machine (127.0.0.1:5432, user ``postgres``, as in
``tests/indicators/test_postgresql.py``): each test gets its own uniquely named
database, dropped afterwards; the PostgreSQL cases are skipped when it is not running.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest
from rasa.core.run import configure_app
from sanic import Sanic

from tests.sanic_server import served

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


PASSWORDS = {
    "cmartin": "un mot de passe solide",
    "pdurand": "un autre mot de passe",
    "rlefevre": "le mot de passe du pilotage",
}


@pytest.fixture
def accounts_file(tmp_path: Path) -> Path:
    """Two advisers and a pilotage account."""
    from bot.advisers.accounts import hash_password

    path = tmp_path / "accounts.yml"
    path.write_text(
        "advisers:\n"
        "  - username: cmartin\n    name: Claire Martin\n"
        f'    password_hash: "{hash_password(PASSWORDS["cmartin"])}"\n'
        "  - username: pdurand\n    name: Paul Durand\n"
        f'    password_hash: "{hash_password(PASSWORDS["pdurand"])}"\n'
        "  - username: rlefevre\n    name: Rémi Lefèvre\n    role: pilotage\n"
        f'    password_hash: "{hash_password(PASSWORDS["rlefevre"])}"\n',
        encoding="utf-8",
    )
    return path


def every_channel(tmp_path: Path, accounts_file: Path) -> tuple[list[Any], Any]:
    """Every channel of credentials.yml, on test databases; and the desk."""
    from bot.advisers.accounts import AccountBook
    from bot.advisers.store import ConsoleStore
    from bot.handover.desk import HandoverDesk
    from bot.handover.store import HandoverStore
    from bot.indicators.store import IndicatorStore
    from bot.runtime.rasa_server import RasaPatches
    from channels.console.channel import ConsoleInput
    from channels.dashboard.channel import DashboardInput
    from channels.handover.desk import HandoverDeskInput
    from channels.handover.public import HandoverInput
    from channels.public_rest import PublicRestInput
    from channels.webchat import WebChatInput

    console = ConsoleStore(f"sqlite:///{tmp_path / 'console.sqlite3'}")
    desk = HandoverDesk(HandoverStore(f"sqlite:///{tmp_path / 'desk.sqlite3'}"))
    accounts = AccountBook(accounts_file)
    channels = [
        PublicRestInput(),
        WebChatInput(),
        ConsoleInput(store=console, accounts=accounts),
        HandoverInput(desk),
        HandoverDeskInput(desk, console, accounts),
        DashboardInput(
            sessions=console,
            accounts=AccountBook(accounts_file, role="pilotage"),
            indicators=IndicatorStore(f"sqlite:///{tmp_path / 'indicators.sqlite3'}"),
        ),
        RasaPatches(),  # serves no route; its from_credentials installs the patches
    ]
    return channels, desk


@pytest.fixture
def namespace(monkeypatch: pytest.MonkeyPatch) -> str:
    """A Redis namespace of this test alone (others may share the server)."""
    name = f"spro-test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("SPRO_REDIS_NAMESPACE", name)
    return name


@pytest.fixture
async def full_server(
    tmp_path: Path,
    accounts_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    namespace: str,
) -> AsyncIterator[tuple[str, Any, Any]]:
    """The Rasa server as ``rasa run`` builds it with credentials.yml (no model).

    Yields its URL, the Sanic app and the desk. Client addresses are read from
    ``X-Forwarded-For`` (one proxy), so a test can speak from several addresses.
    """
    monkeypatch.setenv("SPRO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SPRO_CONVERSATION_SECRET", "une clé de test")
    monkeypatch.delenv("SPRO_REDIS_HOST", raising=False)
    monkeypatch.delenv("SPRO_RATE_LIMITS", raising=False)  # the real limits here
    channels, desk = every_channel(tmp_path, accounts_file)
    monkeypatch.setattr("bot.handover.relay.get_desk", lambda: desk)
    Sanic.test_mode = True
    app = configure_app(channels, enable_api=False)
    app.config.PROXIES_COUNT = 1
    try:
        async with served(app) as url:
            yield url, app, desk
    finally:
        desk.store.dispose()
