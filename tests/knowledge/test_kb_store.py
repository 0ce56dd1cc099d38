"""Loading into SQL: snapshots, atomic swap, reload by the running bot; SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.exc import IntegrityError

from bot.knowledge import store
from bot.knowledge.repository import KnowledgeUnavailable, SqlRepository
from bot.knowledge.store import Snapshot, StructureRow, load_directory, live_snapshot_id, read_snapshot


def by_key(items, key="code"):
    return {getattr(item, key): item for item in items}


def test_load_then_read_back_the_same_knowledge(database_url, small_knowledge):
    outcome = load_directory(small_knowledge, database_url)
    assert outcome.check.errors == [] and outcome.snapshot_id and outcome.changed
    snapshot_id, knowledge = read_snapshot(database_url)
    assert snapshot_id == outcome.snapshot_id == live_snapshot_id(database_url)
    original = outcome.check.knowledge
    assert by_key(knowledge.structures, "id") == by_key(original.structures, "id")
    assert by_key(knowledge.networks) == by_key(original.networks)
    assert by_key(knowledge.regions) == by_key(original.regions)
    assert by_key(knowledge.sheets) == by_key(original.sheets)
    again = load_directory(small_knowledge, database_url)
    assert again.snapshot_id != snapshot_id and not again.changed


def test_invalid_files_change_nothing(database_url, small_knowledge):
    first = load_directory(small_knowledge, database_url).snapshot_id
    path = small_knowledge / "structures" / "test.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('insee: "37003"', 'insee: "00000"'), encoding="utf-8")
    outcome = load_directory(small_knowledge, database_url)
    assert outcome.snapshot_id is None and outcome.check.errors
    assert live_snapshot_id(database_url) == first
    assert read_snapshot(database_url)[1].structures[2].insee == "37003"


def test_failure_during_the_write_rolls_back(database_url, small_knowledge, monkeypatch):
    first = load_directory(small_knowledge, database_url).snapshot_id
    rows_of = store.knowledge_rows

    def duplicated(knowledge):  # the database refuses the second copy of a primary key
        rows = rows_of(knowledge)
        rows[StructureRow] = rows[StructureRow] + rows[StructureRow][:1]
        return rows

    monkeypatch.setattr(store, "knowledge_rows", duplicated)
    with pytest.raises(IntegrityError):
        load_directory(small_knowledge, database_url)
    assert live_snapshot_id(database_url) == first
    engine = store.engine_for(database_url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Snapshot)).scalar() == 1
        assert connection.execute(select(func.count(func.distinct(StructureRow.snapshot_id)))).scalar() == 1


def test_readers_see_the_old_knowledge_until_the_swap_commits(database_url, small_knowledge):
    first = load_directory(small_knowledge, database_url).snapshot_id
    seen = []
    reader = create_engine(database_url, future=True)

    def before_commit(_connection):
        with reader.connect() as connection:
            seen.append(connection.execute(select(store.State.snapshot_id)).scalar())

    engine = store.engine_for(database_url)
    event.listen(engine, "commit", before_commit)
    try:
        second = load_directory(small_knowledge, database_url).snapshot_id
    finally:
        event.remove(engine, "commit", before_commit)
        reader.dispose()
    assert seen and set(seen) == {first} and live_snapshot_id(database_url) == second


def test_only_the_live_and_previous_snapshots_are_kept(database_url, small_knowledge):
    ids = [load_directory(small_knowledge, database_url).snapshot_id for _ in range(3)]
    with store.engine_for(database_url).connect() as connection:
        kept = connection.execute(select(Snapshot.id).order_by(Snapshot.id)).scalars().all()
        rows = connection.execute(select(func.distinct(StructureRow.snapshot_id))).scalars().all()
    assert kept == ids[1:] and sorted(rows) == ids[1:]


def test_running_bot_picks_up_a_new_load_without_restart(database_url, small_knowledge):
    load_directory(small_knowledge, database_url)
    repo = SqlRepository(database_url, refresh_seconds=0)
    slow = SqlRepository(database_url, refresh_seconds=3600)
    assert repo.structure("ml-a").name == slow.structure("ml-a").name == "Mission locale test A"
    path = small_knowledge / "structures" / "test.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Mission locale test A", "Mission locale A renommée"),
                    encoding="utf-8")
    new_id = load_directory(small_knowledge, database_url).snapshot_id
    assert repo.structure("ml-a").name == "Mission locale A renommée" and repo.snapshot_id == new_id
    assert slow.structure("ml-a").name == "Mission locale test A"  # checks at most every refresh_seconds
    assert slow.refresh(force=True) and slow.structure("ml-a").name == "Mission locale A renommée"


def test_database_failure_keeps_the_last_good_knowledge(sqlite_url, small_knowledge, monkeypatch):
    load_directory(small_knowledge, sqlite_url)
    repo = SqlRepository(sqlite_url, refresh_seconds=0)
    assert repo.structure("ml-a")

    def broken(_url):
        raise OSError("disque indisponible")

    monkeypatch.setattr(store, "live_snapshot_id", broken)
    assert repo.structure("ml-a").name == "Mission locale test A"
    assert [m.structure.id for m in repo.nearest_structures("mission_locale", "37261")] == ["ml-a", "ml-c"]


def test_empty_database_says_what_to_do(sqlite_url):
    with pytest.raises(KnowledgeUnavailable, match="python -m bot load"):
        SqlRepository(sqlite_url).networks()


def test_sql_repository_answers_like_memory(database_url, small_knowledge, repo):
    load_directory(small_knowledge, database_url)
    sql = SqlRepository(database_url)
    for insee in ("37261", "41194", "18279", "37122"):
        assert sql.nearest_structures("mission_locale", insee) == repo.nearest_structures("mission_locale", insee)
    assert sql.region_for("37261") == repo.region_for("37261")
    assert sql.network("cio") == repo.network("cio") and sql.sheet("cpf") == repo.sheet("cpf")
    assert sql.find_sheets("mon CPF") == repo.find_sheets("mon CPF")
    assert sql.find_network("Pôle emploi") == repo.find_network("Pôle emploi")


def test_structure_table_and_file_reading_derive_from_the_model():
    import json

    from bot import config
    from dataclasses import fields

    from bot.knowledge.model import Structure, file_key
    from bot.knowledge.store import StructureRow

    names = [f.name for f in fields(Structure)]
    assert [c.name for c in StructureRow.__table__.columns if c.name != "snapshot_id"] == names
    schema = json.loads((config.knowledge_schema_dir() / "structures.schema.json").read_text(encoding="utf-8"))
    in_files = set(schema["properties"]["structures"]["items"]["properties"])
    derived = {"departement"}  # computed from the INSEE code, never written in the files
    assert {file_key(f) for f in fields(Structure)} - derived == in_files


def test_a_database_made_before_a_new_field_gets_its_column_at_the_next_load(sqlite_url, small_knowledge):
    """``location`` and ``verified_by`` came with issue 19: an older SQLite base is completed, not broken."""
    from sqlalchemy import text

    assert load_directory(small_knowledge, sqlite_url).snapshot_id
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE kb_structure DROP COLUMN location"))
        connection.execute(text("ALTER TABLE kb_structure DROP COLUMN verified_by"))
    engine.dispose()
    outcome = load_directory(small_knowledge, sqlite_url)
    assert outcome.check.errors == [] and outcome.snapshot_id
    assert SqlRepository(sqlite_url).structure("ml-a").location == ""
