"""End to end: an imported structure reaches a REST conversation, with its hours.

The DILA fixture (tests/knowledge/data/directories, invented structures in real
communes) is imported into a copy of the knowledge files, loaded into this test stack's
own database, and a person of Joué-lès-Tours who left school is sent to the imported
CIO, competent for her commune according to the fixture.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from bot import config
from bot.knowledge.importers import import_source
from bot.knowledge.store import load_directory
from bot.runtime.launcher import Stack
from bot.conversation.orientation import COMPETENT
from bot.places import get_gazetteer
from tests.conftest import post_message, texts
from tests.stacks import running_stack
from bot.evaluation.personas import orientation_payload

pytestmark = pytest.mark.e2e

FIXTURE = (
    config.PROJECT_ROOT
    / "tests"
    / "knowledge"
    / "data"
    / "directories"
    / "dila_export.json"
)
IMPORTED_CIO = "dila-0a1b2c3d-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def imported_stack(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Rasa and actions on a database holding the imported fixture."""
    work = tmp_path_factory.mktemp("imported")
    knowledge = work / "knowledge"
    shutil.copytree(config.knowledge_dir(), knowledge)
    report = import_source("dila", FIXTURE, knowledge, get_gazetteer())
    assert report.ok and IMPORTED_CIO in {c.id for c in report.added}
    outcome = load_directory(knowledge, f"sqlite:///{work / 'knowledge.sqlite3'}")
    assert outcome.snapshot_id is not None, [str(p) for p in outcome.check.errors]
    with running_stack(trained_model, work) as servers:
        yield servers


def test_an_imported_structure_is_presented_with_hours_and_next_opening(
    imported_stack: Stack,
) -> None:
    """An imported structure is presented with hours and next opening."""
    answer = post_message(
        imported_stack.url,
        "test-import-e2e",
        "Bonjour, j'ai 17 ans, j'ai arrêté le lycée et j'habite à Joué-lès-Tours",
    )
    payload = orientation_payload(answer)
    assert (
        payload
        and payload["network"] == "cio"
        and payload["commune"]["insee"] == "37122"
    )
    first = payload["structures"][0]
    assert (
        first["id"] == IMPORTED_CIO
        and first["address"] == "Bâtiment Essai, 1 rue de l'Essai"
    )
    assert first["hours"].startswith(
        "Le lundi et le mardi : 9 h – 12 h 30 et 13 h 30 – 17 h"  # noqa: RUF001 - French typography
    )
    assert isinstance(first["open_now"], bool) and "next_opening" in first
    if first["open_now"]:
        assert first["next_opening"] == ""
    else:
        assert first["next_opening"].startswith("ouvre ")
    assert COMPETENT in first["why"]
    said = texts(answer)
    assert "(CIO) de Test - Tours" in said and "Horaires : Le lundi et le mardi" in said
