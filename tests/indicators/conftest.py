"""Fixtures of the indicator tests: a store in a temporary file, accounts, records."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.indicators.store import IndicatorRecord, IndicatorStore
from channels.console.accounts import hash_password

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
