"""Public conversations are purged from Rasa's own SQL tracker store after N days."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime.cli import main as cli_main
from bot.config import PROJECT_ROOT
from bot.runtime.conversation_retention import RetentionError, purge_conversations
from bot.tracker_db import TrackerStoreError, tracker_store_url

DAY = 86_400.0
NOW = time.time()


def conversation(sender: str, last_message_days_ago: float) -> DialogueStateTracker:
    """A two-event conversation whose last event is ``last_message_days_ago`` days old."""
    last = NOW - last_message_days_ago * DAY
    return DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen", timestamp=last - 60),
        UserUttered("bonjour", {"name": "greet", "confidence": 1.0}, timestamp=last),
    ])


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SQLTrackerStore:
    return SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.sqlite3"))


async def test_old_conversations_go_whole_recent_ones_stay(sqlite_store: SQLTrackerStore, tmp_path: Path) -> None:
    for sender, age in [("ancienne", 45), ("a-la-limite", 29), ("recente", 0.01)]:
        await sqlite_store.save(conversation(sender, age))
    # A conversation that started long ago but is still going on is kept whole.
    ongoing = conversation("en-cours", 60)
    ongoing.update(UserUttered("et ensuite ?", timestamp=NOW - 3600))
    await sqlite_store.save(ongoing)

    result = purge_conversations(f"sqlite:///{tmp_path / 'tracker.sqlite3'}", days=30, now=NOW)

    assert (result.conversations, result.events) == (1, 2)
    assert sorted(await sqlite_store.keys()) == ["a-la-limite", "en-cours", "recente"]
    kept = await sqlite_store.retrieve("en-cours")
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == ["bonjour", "et ensuite ?"]


def test_an_empty_or_missing_store_is_not_an_error(tmp_path: Path) -> None:
    assert purge_conversations(f"sqlite:///{tmp_path / 'none.sqlite3'}", days=30).conversations == 0


def test_a_non_positive_period_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RetentionError, match="positif"):
        purge_conversations(f"sqlite:///{tmp_path / 'x.sqlite3'}", days=0)


def test_url_of_the_embedded_sqlite_store_is_the_projects_file() -> None:
    assert tracker_store_url(PROJECT_ROOT / "endpoints.yml") == f"sqlite:///{PROJECT_ROOT / 'var/tracker.sqlite3'}"


def test_url_of_the_production_store_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    production = PROJECT_ROOT / "deploy" / "endpoints.production.yml"
    for name, value in {"SPRO_PG_HOST": "db.example", "SPRO_PG_PORT": "5433", "SPRO_PG_DB": "rasa",
                        "SPRO_PG_USER": "spro", "SPRO_PG_PASSWORD": "s3cret"}.items():
        monkeypatch.setenv(name, value)
    assert tracker_store_url(production) == "postgresql://spro:s3cret@db.example:5433/rasa"
    monkeypatch.delenv("SPRO_PG_HOST")
    with pytest.raises(TrackerStoreError, match="SPRO_PG_HOST"):
        tracker_store_url(production)


def test_a_store_that_is_not_sql_is_explained(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: redis\n")
    with pytest.raises(TrackerStoreError, match="SQL"):
        tracker_store_url(endpoints)


async def test_staff_command_purges_and_reports_in_french(
    sqlite_store: SQLTrackerStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await sqlite_store.save(conversation("ancienne", 10))
    await sqlite_store.save(conversation("recente", 1))
    url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"

    assert cli_main(["purge-conversations", "--days", "7", "--tracker", url]) == 0
    assert "effacées : 1 (2 événements)" in capsys.readouterr().out
    assert await sqlite_store.keys() == ["recente"]

    assert cli_main(["purge-conversations", "--endpoints", str(tmp_path / "absent.yml")]) == 1
    assert "Purge impossible" in capsys.readouterr().out


def test_the_launcher_purges_conversations_and_the_desk_s_call_back_contacts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `make run` does at start and daily: both purges, in child processes."""
    from datetime import datetime, timedelta

    from sqlalchemy import select

    from bot.handover.desk import HandoverDesk
    from bot.handover.store import HandoverStore, requests_table
    from bot.runtime.launcher import purge_expired_data, write_endpoints

    desk_url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    monkeypatch.setenv("SPRO_HANDOVER_DATABASE_URL", desk_url)
    monkeypatch.setenv("SPRO_CALLBACK_RETENTION_DAYS", "7")
    closed_days_ago = 10
    store = HandoverStore(desk_url)
    desk = HandoverDesk(store, now=lambda: datetime.utcnow() - timedelta(days=closed_days_ago))
    snapshot = {"profile": {"public": "jeune_16_25", "need": "emploi"}}
    request = desk.request_callback("web-a", snapshot, consent=True, contact_kind="email",
                                    contact="lea@example.org", slot="afternoon", note="le matin")
    desk.close_callback(request.id, "cmartin", "reached")
    kept = desk.request_callback("web-b", snapshot, consent=True, contact_kind="email",
                                 contact="sam@example.org", slot="morning", note="")
    endpoints = write_endpoints(tmp_path / "endpoints.yml", 5055, tmp_path / "tracker.sqlite3")

    purge_expired_data(endpoints)

    out = capsys.readouterr().out
    assert "Coordonnées effacées : 1 ; conversations supprimées : 0." in out
    assert "effacées : 0" in out  # the tracker store's purge ran too
    with store.engine.connect() as db:
        contacts = dict(db.execute(select(requests_table.c.id, requests_table.c.contact)).all())
    assert contacts == {request.id: None, kept.id: "sam@example.org"}
    store.dispose()
