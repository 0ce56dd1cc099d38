"""Fixtures of the knowledge tests: small knowledge folders in temp dirs, SQLite and PostgreSQL URLs."""

from __future__ import annotations

import shutil
import textwrap
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from bot import config
from bot.knowledge.repository import MemoryRepository
from bot.places import Gazetteer, get_gazetteer

POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"

# Test structures (fictitious names; real communes). Mission locale A serves the EPCI of Tours
# Métropole, B the whole Loir-et-Cher, C has no area (nearest), D only Vierzon.
TEST_STRUCTURES = """\
structures:
  - id: ml-a
    network: mission_locale
    name: Mission locale test A
    address: 1 rue de l'Essai
    postcode: "37000"
    insee: "37261"
    latitude: 47.3941
    longitude: 0.6848
    phone: 02 47 00 00 01
    email: contact@ml-a.example.fr
    website: https://ml-a.example.fr
    hours:
      lundi: "09:00-12:30, 13:30-17:00"
      mardi: "09:00-12:30, 13:30-17:00"
      mercredi: "09:00-12:30"
      jeudi: "13:30-17:00"
      vendredi: "09:00-12:30, 13:30-16:00"
      closed_dates: ["2026-12-25"]
      note: Sur rendez-vous le jeudi.
    area_served:
      epci: ["243700754"]
    source: Test
    verified: 2026-01-15
  - id: ml-b
    network: mission_locale
    name: Mission locale test B
    address: 2 rue de l'Essai
    postcode: "41000"
    insee: "41018"
    phone: "0254000002"
    area_served:
      departements: ["41"]
    source: Test
    verified: 2026-01-15
  - id: ml-c
    network: mission_locale
    name: Mission locale test C
    address: 3 rue de l'Essai
    postcode: "37400"
    insee: "37003"
    source: Test
    verified: 2024-01-15
  - id: ml-d
    network: mission_locale
    name: Mission locale test D
    address: 4 rue de l'Essai
    postcode: "18100"
    insee: "18279"
    area_served:
      communes: ["18279"]
    source: Test
    verified: 2026-01-15
"""


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    """The project's gazetteer (knowledge/places/communes.csv.gz), read once."""
    return get_gazetteer()


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A copy of the project's real knowledge files, safe to break."""
    target = tmp_path / "knowledge"
    source = config.PROJECT_ROOT / "knowledge"
    target.mkdir()
    for name in ("networks.yaml", "regions.yaml", "sheets.yaml", "routing.yml"):
        shutil.copy(source / name, target / name)
    shutil.copytree(source / "structures", target / "structures")
    return target


@pytest.fixture
def small_knowledge(tmp_path: Path) -> Path:
    """Real networks, regions and sheets, plus the four test Missions locales only."""
    target = tmp_path / "small"
    source = config.PROJECT_ROOT / "knowledge"
    (target / "structures").mkdir(parents=True)
    for name in ("networks.yaml", "regions.yaml", "sheets.yaml", "routing.yml"):
        shutil.copy(source / name, target / name)
    (target / "structures" / "test.yaml").write_text(TEST_STRUCTURES, encoding="utf-8")
    return target


@pytest.fixture
def repo(small_knowledge: Path, gazetteer: Gazetteer) -> MemoryRepository:
    return MemoryRepository.from_directory(small_knowledge, gazetteer)


def write(path: Path, text: str) -> Path:
    """Write dedented YAML."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kb.sqlite3'}"


def _postgres_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test", connect_timeout=2).close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "no server here"
        return False


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A private schema in the local PostgreSQL ``test`` database; skipped when no server runs."""
    if not _postgres_available():
        pytest.skip("PostgreSQL n'est pas joignable sur 127.0.0.1:5432")
    import psycopg2

    schema = f"kb_test_{uuid.uuid4().hex[:10]}"
    connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
    connection.autocommit = True
    connection.cursor().execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        from bot.knowledge.store import engine_for

        engine_for.cache_clear()
        connection.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
        connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    """Each storage test runs on SQLite and, when available, on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    return request.getfixturevalue("postgres_url")
