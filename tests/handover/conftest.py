"""Fixtures of the chat desk tests: a desk on a temporary SQLite file with a movable clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Iterator

import pytest

from bot.handover.desk import HandoverDesk
from bot.handover.line import LineHours
from bot.handover.store import HandoverStore
from tests.clock import Clock


class Hours:
    """The line's hours as a test sets them (unknown by default)."""

    def __init__(self) -> None:
        self.open_now: bool | None = None

    def __call__(self, region: str | None, moment: datetime) -> LineHours:
        return LineHours("Service de test", "", "", self.open_now)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hours() -> Hours:
    return Hours()


@pytest.fixture
def desk(tmp_path: Path, clock: Clock, hours: Hours) -> Iterator[HandoverDesk]:
    store = HandoverStore(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    yield HandoverDesk(store, now=clock, hours=hours)
    store.dispose()


SNAPSHOT = {
    "profile": {"public": "jeune_16_25", "need": "emploi", "commune_name": "Dreux"},
    "orientation": {"type": "orientation", "network": "mission_locale"},
    "transcript": [{"who": "person", "text": "je cherche du travail, j'ai 20 ans"}],
}
