"""The review inbox in Chromium: masked messages, labels, rollback, axe.

Labels by keyboard and by selecting text; the rollback by keyboard.

The dashboard channel runs alone (tests/indicators/dashboard_server.py) on a real SQL
tracker store holding a few conversations of the last days, and a served model file
that a run of the gate replaced (the previous one kept).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import PROJECT_ROOT
from bot.review.decision import Run
from bot.runtime import gate
from bot.runtime.launcher import free_port
from tests.browser.conftest import (  # noqa: F401 - shared fixtures
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    browser,
    new_page,
    run_axe,
)
from tests.indicators.conftest import PASSWORDS, accounts_text  # noqa: F401
from tests.indicators.test_dashboard_browser import serious, sign_in

pytestmark = pytest.mark.browser


def conversation(at: float, text: str, intent: str, confidence: float) -> list[Event]:
    """A conversation in Dreux whose second message is ``text``."""
    return [
        ActionExecuted("action_session_start", timestamp=at - 1),
        UserUttered(
            "bonjour",
            {"name": "greet", "confidence": 0.99},
            timestamp=at,
            input_channel="webchat",
        ),
        BotUttered("Bonjour ! Que cherchez-vous ?", timestamp=at + 1),
        UserUttered(
            text,
            {"name": intent, "confidence": confidence},
            timestamp=at + 2,
            input_channel="webchat",
        ),
        BotUttered(
            "Je n'ai pas bien compris : pouvez-vous reformuler ?", timestamp=at + 3
        ),
        SlotSet("commune_insee", "28134", timestamp=at + 3),
    ]


async def fill(path: Path) -> None:
    """Three conversations of yesterday: two alike, not understood; one unsure."""
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    yesterday = time.time() - 86_400
    talks = {
        "a": conversation(yesterday, "g pa de boulo a dreux", "nlu_fallback", 0.3),
        "b": conversation(
            yesterday + 60, "G pa de boulo à Dreux !", "nlu_fallback", 0.2
        ),
        "c": conversation(
            yesterday + 120, "moi c'est [nom masqué], tu sers a quoi", "ask_info", 0.51
        ),
        "d": conversation(yesterday + 180, "kestion de la meteo", "inform", 0.4),
    }
    for sender, events in talks.items():
        await store.save(DialogueStateTracker.from_events(sender, events))


def replaced_model(work: Path) -> Path:
    """A models folder whose model a gate run replaced on 6 December 2026 at 14:30."""
    root, models = work / "root", work / "models"
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "bot").mkdir()
    for name in ("config.yml", "domain.yml", "bot/nlu.py"):
        (root / name).write_text(name, encoding="utf-8")
    models.mkdir()
    (models / "spro.tar.gz").write_bytes(b"model one")
    (work / "labels.yml").write_text('version: "3.1"\nnlu:\n', encoding="utf-8")
    (work / "candidate.tar.gz").write_bytes(b"model two")
    paths = gate.GatePaths(root, models, work / "review")
    run = Run("20261206-143000", "rlefevre", "complet")
    gate.promote(paths, run, work / "labels.yml", work / "candidate.tar.gz")
    (paths.runs / run.id).mkdir(parents=True)
    (paths.runs / run.id / "state").write_text("en service", encoding="utf-8")
    return models


@pytest.fixture(scope="module")
def inbox_server(
    tmp_path_factory: pytest.TempPathFactory,
    accounts_text: str,  # noqa: F811
) -> Iterator[tuple[str, Path]]:
    """The dashboard with a tracker store on a free port: its URL and var folder."""
    work = tmp_path_factory.mktemp("review")
    (work / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    asyncio.run(fill(work / "tracker.sqlite3"))
    port = free_port()
    env = dict(
        os.environ,
        SPRO_VAR_DIR=str(work),
        SPRO_TRAINING_ROOT=str(work / "root"),
        SPRO_INDICATORS_DATABASE_URL=f"sqlite:///{work / 'indicators.sqlite3'}",
        SPRO_INDICATORS_MIN_CELL="1",
        SPRO_MODEL_CHECK_SECONDS="3600",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    models = replaced_model(work)
    command = [
        sys.executable,
        "-m",
        "tests.indicators.dashboard_server",
        "--port",
        str(port),
        "--tracker-url",
        f"sqlite:///{work / 'tracker.sqlite3'}",
        "--model",
        str(models / "spro.tar.gz"),
    ]
    with open(work / "server.log", "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}/webhooks/dashboard/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base, timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert process.poll() is None, (work / "server.log").read_text()
                assert time.monotonic() < deadline, "dashboard server not ready"
                time.sleep(0.2)
        yield base, work
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def select_words(page: Any, heading: str, words: str) -> None:
    """Select ``words`` in the message of the group titled ``heading``."""
    page.evaluate(
        """([heading, words]) => {
          const card = [...document.querySelectorAll('.card')]
            .find(c => c.querySelector('h2').textContent.includes(heading));
          const node = card.querySelector('.message-text').firstChild;
          const at = node.data.indexOf(words);
          const range = document.createRange();
          range.setStart(node, at);
          range.setEnd(node, at + words.length);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
        }""",
        [heading, words],
    )


def test_label_by_selection_and_keyboard_then_gone(
    inbox_server: tuple[str, Path],
    new_page: Any,  # noqa: F811
) -> None:
    """Grouped and masked with the prediction; labelled; never proposed again."""
    base, work = inbox_server
    page = new_page(viewport=DESKTOP)
    sign_in(page, base)
    page.get_by_role("link", name="Messages à relire").click()
    page.get_by_role("heading", name="Messages à relire").wait_for()
    first = page.get_by_role("region", name="Message 1 : g pa de boulo a dreux")
    assert "2 messages ; Message non compris." in first.inner_text()
    assert (
        "nlu_fallback" in first.inner_text()
        and "confiance 25\u00a0%" in first.inner_text()
    )
    assert "Assistant :" not in first.inner_text()  # read only when opened
    page.screenshot(path=str(SCREENSHOTS / "review-desktop.png"), full_page=False)
    first.get_by_role("link", name="Conversation autour du message 1 (masquée)").click()
    page.get_by_role("heading", name="Conversation autour du message 1").wait_for()
    assert "Assistant : Bonjour ! Que cherchez-vous ?" in first.inner_text()
    unsure = page.get_by_role("region", name="moi c'est [nom masqué]")
    assert "Compris avec peu d'assurance" in unsure.inner_text()
    assert not serious(run_axe(page))

    # Words selected with the mouse become the commune; the intent is chosen.
    select_words(page, "Message 1", "dreux")
    first.get_by_role("button", name="Sélection = commune").click()
    assert first.get_by_label("Commune citée").input_value() == "dreux"
    first.get_by_label("Intention").select_option("inform")
    first.get_by_role("button", name="Enregistrer l'étiquette").click()
    assert page.get_by_role("status").first.inner_text() == "Étiquette enregistrée."
    assert not page.get_by_text("g pa de boulo").count()

    # With the keyboard only: the intent's list, then « Hors champ ».
    meteo = page.get_by_role("region", name="kestion de la meteo")
    meteo.get_by_label("Intention").focus()
    page.keyboard.press("Tab")  # commune
    page.keyboard.press("Tab")  # age
    page.keyboard.press("Tab")  # sheet
    page.keyboard.press("Tab")  # the selection buttons
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # save
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hors champ"
    page.keyboard.press("Enter")
    page.get_by_text("Étiquette enregistrée.").wait_for()

    pending = (work / "review" / "pending.yml").read_text(encoding="utf-8")
    assert (
        "  - intent: inform\n    examples: |\n"
        "      - g pa de boulo a [dreux](commune)\n" in pending
    )
    assert (
        "  - intent: out_of_scope\n    examples: |\n      - kestion de la meteo\n"
        in pending
    )
    assert pending.count("# relu par rlefevre le ") == 2
    assert "28134" not in pending and "sender" not in pending


def test_a_wrong_entity_is_refused_in_french(
    inbox_server: tuple[str, Path],
    new_page: Any,  # noqa: F811
) -> None:
    """A commune that is not in the message: an alert, nothing written; phone axe."""
    base, work = inbox_server
    page = new_page(viewport=PHONE)
    sign_in(page, base)
    page.goto(base + "review")
    card = page.get_by_role("region", name="moi c'est [nom masqué]")
    card.get_by_label("Commune citée").fill("Blois")
    card.get_by_label("Intention").select_option("inform")
    card.get_by_role("button", name="Enregistrer l'étiquette").click()
    alert = page.get_by_role("alert")
    assert "« Blois » n'est pas dans le message" in alert.inner_text()
    assert "Blois" not in (work / "review" / "pending.yml").read_text(encoding="utf-8")
    assert not serious(run_axe(page))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "no horizontal scrolling on a phone"
    page.screenshot(path=str(SCREENSHOTS / "review-phone-360.png"), full_page=False)


def test_roll_back_with_the_keyboard_after_a_confirmation(
    inbox_server: tuple[str, Path],
    new_page: Any,  # noqa: F811
) -> None:
    """« Revenir au modèle précédent », confirmed, with the keyboard only; axe."""
    base, work = inbox_server
    page = new_page(viewport=DESKTOP)
    sign_in(page, base)
    page.goto(base + "review")
    runs = page.get_by_role("region", name="Réentraînement contrôlé")
    assert "Contrôle de qualité du 6 décembre 2026 à 14 h 30 : en service" in (
        runs.inner_text()
    )
    button = page.get_by_role("button", name="Revenir au modèle précédent")
    button.focus()
    page.keyboard.press("Enter")
    page.get_by_role("group", name="Revenir au modèle précédent ?").wait_for()
    assert (work / "models" / "spro.tar.gz").read_bytes() == b"model two"
    assert not serious(run_axe(page))
    page.screenshot(path=str(SCREENSHOTS / "review-rollback-confirm.png"))
    page.keyboard.press("Tab")  # from the confirmation (the page's target)
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Confirmer le retour au modèle précédent"
    page.keyboard.press("Enter")
    status = page.get_by_role("status").first
    status.wait_for()
    assert status.inner_text().startswith(
        "Le modèle qui servait avant le contrôle de qualité du 6 décembre 2026 à "
        "14 h 30 est de nouveau en service"
    )
    assert (work / "models" / "spro.tar.gz").read_bytes() == b"model one"
    assert "Aucun modèle précédent n'est conservé." in runs.inner_text()
    assert not serious(run_axe(page))
