"""Fixtures of the indicator tests: a store in a temporary file, accounts, records."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.indicators import derive
from bot.indicators.derive import derive_indicators
from bot.indicators.store import IndicatorRecord, IndicatorStore
from bot.advisers.accounts import hash_password

PASSWORDS = {
    "cmartin": "un mot de passe solide",
    "rlefevre": "le mot de passe du pilotage",
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IndicatorStore]:
    """An indicators database in a temporary SQLite file."""
    indicator_store = IndicatorStore(f"sqlite:///{tmp_path / 'indicators.sqlite3'}")
    yield indicator_store
    indicator_store.dispose()


@pytest.fixture(scope="session")
def accounts_text() -> str:
    """An adviser and a pilotage account."""
    return (
        "advisers:\n"
        "  - username: cmartin\n    name: Claire Martin\n"
        f'    password_hash: "{hash_password(PASSWORDS["cmartin"])}"\n'
        "  - username: rlefevre\n    name: Rémi Lefèvre\n    role: pilotage\n"
        f'    password_hash: "{hash_password(PASSWORDS["rlefevre"])}"\n'
    )


def record(**fields: Any) -> IndicatorRecord:
    """An oriented web chat conversation in Dreux (Eure-et-Loir), fields overridable."""
    values: dict[str, Any] = {
        "day": date(2026, 3, 10),
        "channel": "webchat",
        "region": "24",
        "departement": "28",
        "epci": "200040277",
        "public": "jeune_16_25",
        "need": "emploi",
        "network": "mission_locale",
        "structure_network": "mission_locale",
        "local_structure": True,
        "messages": 3,
        "outcome": "oriented",
    }
    values.update(fields)
    return IndicatorRecord(**values)


def race(
    monkeypatch: pytest.MonkeyPatch, url: str, store: IndicatorStore
) -> tuple[int, int]:
    """Records written by a run, and by another run that starts and ends during it."""
    read_events = derive._event_rows
    other = IndicatorStore(store.url)
    inner: list[int] = []

    def events_then_the_other_run(*args: object) -> object:
        if not inner:  # the other instance runs while this one reads the tracker
            inner.append(-1)
            inner[0] = derive_indicators(url, other, until=time.time() - 60).records
        return read_events(*args)

    monkeypatch.setattr(derive, "_event_rows", events_then_the_other_run)
    try:
        outer = derive_indicators(url, store, until=time.time() - 60).records
    finally:
        other.dispose()
    return outer, inner[0]
