"""``python -m bot sync`` against a local server replaying recorded API answers.

Never the internet.
"""

from __future__ import annotations

import json
import threading
import typing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlparse

import pytest

from bot.runtime.cli import main
from bot.knowledge.repository import SqlRepository
from bot.knowledge.store import live_snapshot_id

DATA = Path(__file__).parent / "data" / "directories"


class Replay(BaseHTTPRequestHandler):
    """Serves the DILA pages by offset and the data·inclusion page; records queries."""

    pages: typing.ClassVar[dict[str, str]] = {
        "0": "dila_api_page1.json",
        "2": "dila_api_page2.json",
    }
    queries: typing.ClassVar[list[dict]] = []
    fail_offset = ""

    def do_GET(self) -> None:
        """Answer one request from the recorded files."""
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        type(self).queries.append({"path": url.path, **query})
        if url.path.endswith("/records"):
            offset = query.get("offset", "0")
            if offset == self.fail_offset:
                self.send_error(503)
                return
            body = (DATA / self.pages[offset]).read_bytes()
        elif url.path.endswith("/api/v0/structures"):
            assert self.headers["Authorization"] == "Bearer jeton-de-test"
            items = json.loads(
                (DATA / "data_inclusion_structures.json").read_text(encoding="utf-8")
            )
            body = json.dumps(
                {
                    "items": items,
                    "total": len(items),
                    "page": 1,
                    "size": 100,
                    "pages": 1,
                }
            ).encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        """Keep the test output quiet."""
        return


@pytest.fixture
def api(monkeypatch) -> Iterator[str]:
    """A local server replaying the recorded API answers; its URL."""
    Replay.queries, Replay.fail_offset = [], ""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv(
        "SPRO_DILA_API_URL",
        f"{base}/api/explore/v2.1/catalog/datasets/api-lannuaire-administration/records",
    )
    monkeypatch.delenv("SPRO_DATA_INCLUSION_API_URL", raising=False)
    yield base
    server.shutdown()
    server.server_close()


def sync_37(knowledge_dir: Path, database_url: str) -> int:
    """``python -m bot sync`` for département 37 into these files and database."""
    return main(
        [
            "sync",
            "--departement",
            "37",
            "--dir",
            str(knowledge_dir),
            "--database",
            database_url,
        ]
    )


def test_sync_fetches_every_page_imports_and_loads(
    api, knowledge_copy, sqlite_url, gazetteer, capsys
):
    """Sync fetches every page imports and loads."""
    code = sync_37(knowledge_copy, sqlite_url)
    out = capsys.readouterr().out
    assert code == 0, out
    assert [q.get("offset") for q in Replay.queries] == ["0", "2"]
    assert Replay.queries[0]["where"] == 'startswith(code_insee_commune,"37")'
    assert "Ajoutés : 2" in out and "mairie (1)" in out
    repo = SqlRepository(sqlite_url, refresh_seconds=0, gazetteer=gazetteer)
    cio = repo.structure("dila-0a1b2c3d-0000-4000-8000-000000000001")
    assert cio is not None and cio.area.communes == ("37122", "37214", "37261")
    matches = repo.nearest_structures("cio", "37122")
    assert matches[0].structure.id == cio.id and matches[0].serves_commune


def test_sync_with_data_inclusion(api, knowledge_copy, sqlite_url, monkeypatch, capsys):
    """Sync with data inclusion."""
    monkeypatch.setenv("SPRO_DATA_INCLUSION_API_URL", api)
    monkeypatch.setenv("SPRO_DATA_INCLUSION_TOKEN", "jeton-de-test")
    assert sync_37(knowledge_copy, sqlite_url) == 0
    out = capsys.readouterr().out
    assert "data·inclusion (API)" in out and "ccas-cias (1)" in out
    assert any(
        q["path"] == "/api/v0/structures" and q["code_departement"] == "37"
        for q in Replay.queries
    )


def test_sync_failure_changes_nothing(api, knowledge_copy, sqlite_url, capsys):
    """Sync failure changes nothing."""
    before = {p.name: p.read_bytes() for p in (knowledge_copy / "structures").iterdir()}
    Replay.fail_offset = "2"
    assert sync_37(knowledge_copy, sqlite_url) == 1
    assert "Synchronisation interrompue" in capsys.readouterr().out
    assert {
        p.name: p.read_bytes() for p in (knowledge_copy / "structures").iterdir()
    } == before
    assert live_snapshot_id(sqlite_url) is None
