"""From a misunderstood message to a better model in service, in Chromium; rollback.

Real servers (Rasa with the dashboard, action server) on a copy of the project's
model; the training folder (``SPRO_TRAINING_ROOT``) is a copy of config, domain, data
and the held-out sets, so nothing of the project changes. One retrain in all (the
NLU and the policies; Rasa's cache restores it for the cluster test); the harmful
label is refused before it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import PROJECT_ROOT
from bot.evaluation.rest import conversation_id, load_knowledge, post_message
from bot.review.decision import Tolerance
from bot.runtime.gate import model_digest
from bot.runtime.launcher import Stack
from tests.browser.conftest import (  # noqa: F401 - shared fixtures
    DESKTOP,
    SCREENSHOTS,
    browser,
    new_page,
    run_axe,
)
from tests.indicators.conftest import accounts_text  # noqa: F401
from tests.indicators.test_dashboard_browser import serious, sign_in
from tests.review.gate_project import (
    RIGHT_INTENT,
    WRONG,
    training_copy,
)
from tests.stacks import running_stack

pytestmark = pytest.mark.browser

# A greeting staff label as a job request: the words of training greetings.
HARMFUL = "Bonjour bonjour !"
RUNS = "section[aria-labelledby=gate] li"


def intent_of(stack: Stack, work: Path, text: str) -> str:
    """What the serving model understands of ``text`` in a new conversation."""
    name = f"gate-{uuid.uuid4().hex[:8]}"
    post_message(stack.url, name, text)
    sender = conversation_id(stack.url, name)
    with sqlite3.connect(work / "tracker.sqlite3") as db:
        row = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' "
            "ORDER BY id DESC LIMIT 1",
            (sender,),
        ).fetchone()
    return str(json.loads(row[0])["parse_data"]["intent"]["name"])


def wait_for_intent(stack: Stack, work: Path, text: str, intent: str) -> float:
    """Seconds until the servers understand ``text`` as ``intent`` (model reloaded)."""
    started = time.monotonic()
    while intent_of(stack, work, text) != intent:
        assert time.monotonic() - started < 180, f"« {text} » never became {intent}"
        time.sleep(2)
    return time.monotonic() - started


async def unsure_greeting(path: Path) -> None:
    """A past conversation whose greeting the model was unsure of (into the inbox)."""
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    at = time.time() - 3600
    events = [
        ActionExecuted("action_session_start", timestamp=at - 1),
        UserUttered(
            HARMFUL,
            {"name": "greet", "confidence": 0.55},
            timestamp=at,
            input_channel="webchat",
        ),
    ]
    await store.save(DialogueStateTracker.from_events("seeded-greeting", events))


@pytest.fixture(scope="module")
def served(
    trained_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
    accounts_text: str,  # noqa: F811
) -> Iterator[tuple[Stack, Path, Path]]:
    """Servers on a copy of the model: the stack, its var folder, its models folder."""
    base = tmp_path_factory.mktemp("gate")
    root, models, work = base / "root", base / "models", base / "var"
    training_copy(root)
    models.mkdir()
    shutil.copy2(trained_model, models / "spro.tar.gz")
    work.mkdir()
    (work / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    load_knowledge(work)
    with running_stack(
        models / "spro.tar.gz",
        work,
        SPRO_TRAINING_ROOT=str(root),
        SPRO_REVIEW_PERSONAS="0",
        SPRO_MODEL_CHECK_SECONDS="1",
        SPRO_INDICATORS_MIN_CELL="1",
    ) as stack:
        yield stack, work, models


def wait_for_run(page: Any, review: str, runs_before: int) -> str:
    """Reload the review page until a new run is over; its state."""
    deadline = time.monotonic() + 2400
    while True:
        page.goto(review)
        state = page.locator(RUNS).first
        done = page.locator(RUNS).count() > runs_before
        if done and "en cours" not in state.inner_text():
            return state.inner_text()
        assert time.monotonic() < deadline, "the gate never finished"
        time.sleep(5)


def test_label_retrain_serve_refuse_then_roll_back(
    served: tuple[Stack, Path, Path],
    new_page: Any,  # noqa: F811
) -> None:
    """Labelled in the browser, the message is understood; harm is refused; rollback."""
    stack, work, models = served
    first_model = model_digest(models / "spro.tar.gz")
    assert intent_of(stack, work, WRONG) != RIGHT_INTENT
    # Playwright runs an event loop in this thread: the store is written in another.
    seeding = threading.Thread(
        target=asyncio.run, args=(unsure_greeting(work / "tracker.sqlite3"),)
    )
    seeding.start()
    seeding.join()

    page = new_page(viewport=DESKTOP)
    dashboard = f"{stack.url}/webhooks/dashboard/"
    review = dashboard + "review"
    sign_in(page, dashboard)
    page.goto(review)
    card = page.get_by_role("region", name=WRONG)
    assert any(
        reason in card.inner_text()
        for reason in ("Message non compris", "assurance", "hors champ")
    )
    card.get_by_label("Intention").select_option(RIGHT_INTENT)
    card.get_by_role("button", name="Enregistrer l'étiquette").click()
    page.get_by_text("Étiquette enregistrée.").wait_for()
    assert "1 étiquette(s) en attente" in page.inner_text("#contenu")
    assert not serious(run_axe(page))
    page.get_by_role("button", name="Entraîner et contrôler un nouveau modèle").click()
    page.get_by_text("Contrôle de qualité lancé").wait_for()
    assert "en service" in wait_for_run(page, review, 0)

    page.locator(f"{RUNS} a").first.click()
    assert page.locator("#decision").inner_text() == (
        "Le nouveau modèle est en service."
    )
    assert WRONG in page.inner_text("main")
    page.screenshot(path=str(SCREENSHOTS / "review-gate-report.png"), full_page=True)
    run = json.loads(
        next((work / "review" / "runs").glob("*/run.json")).read_text("utf-8")
    )
    # Served at the default tolerance: the held-out answers it moved are within
    # retraining noise (sign test), none near the label, no set beyond its safety net.
    default = Tolerance()
    lost, gained = run["regressed_sentences"], run["improved_sentences"]
    assert len(lost) <= len(gained) or run["sign_test_p"] >= default.significance
    assert not any(r["near_label"] for r in lost)
    for name in ("test_nlu.yml", "test_nlu_2.yml", "test_nlu_blind.yml"):
        before, after = run["before"][name], run["after"][name]
        assert after["intent_macro_f1"] >= before["intent_macro_f1"] - default.intent_f1
        assert after["intent_accuracy"] >= (
            before["intent_accuracy"] - default.intent_accuracy
        )
    assert f"Bilan : {len(lost)} devenue(s) fausse(s)" in page.inner_text("main")
    assert run["after"]["exemples relus"]["wrong"] == {}
    wait_for_intent(stack, work, WRONG, RIGHT_INTENT)
    served_model = model_digest(models / "spro.tar.gz")
    assert served_model != first_model

    # A greeting labelled as a job request: refused, back marked refused, model kept.
    page.goto(review)
    greeting = page.get_by_role("region", name=HARMFUL)
    greeting.get_by_label("Intention").select_option("inform")
    greeting.get_by_role("button", name="Enregistrer l'étiquette").click()
    page.get_by_text("Étiquette enregistrée.").wait_for()
    page.get_by_role("button", name="Entraîner et contrôler un nouveau modèle").click()
    assert "refusé" in wait_for_run(page, review, 1)
    refused = page.get_by_role("region", name=HARMFUL)
    assert "Étiquette refusée" in refused.inner_text()
    assert not serious(run_axe(page))
    page.locator(f"{RUNS} a").first.click()
    assert "a les mots de la phrase d'entraînement" in page.inner_text("main")
    assert model_digest(models / "spro.tar.gz") == served_model
    assert intent_of(stack, work, WRONG) == RIGHT_INTENT
    reviewed = work.parent / "root" / "data" / "nlu" / "reviewed.yml"
    assert WRONG in reviewed.read_text("utf-8")
    assert HARMFUL not in reviewed.read_text("utf-8")

    # Rolling back serves the first model again: its answers come back.
    rollback = subprocess.run(
        [sys.executable, "-m", "bot", "review", "rollback", "--models", str(models)],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "SPRO_VAR_DIR": str(work),
            "SPRO_TRAINING_ROOT": str(work.parent / "root"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    assert model_digest(models / "spro.tar.gz") == first_model
    started = time.monotonic()
    while intent_of(stack, work, WRONG) == RIGHT_INTENT:
        assert time.monotonic() - started < 180, "the first model never came back"
        time.sleep(2)
    assert not reviewed.exists()
