"""With ``bot.rasa_patches`` (and spaCy's unused pipes off), nothing changes.

The same trained model is run with every patch left off (``SPRO_RASA_PATCHES_OFF=all``,
Rasa's own code) and with the patches on: DIET's intent ranking and entities on the
held-out NLU set, TED's action probabilities on every test-story prefix, and every
persona's whole conversation over REST on the real servers must be identical.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.runtime.launcher import Stack, child_environment, free_port, write_endpoints
from tests.conftest import load_knowledge, post_message
from bot.evaluation.personas import load_personas, play

pytestmark = pytest.mark.e2e
ALL_OFF = {"SPRO_RASA_PATCHES_OFF": "all"}


def predictions(model: Path, env: dict[str, str]) -> dict[str, Any]:
    """What DIET and TED predict (tests.model_predictions) with ``env``."""
    run = subprocess.run(
        [sys.executable, "-m", "tests.model_predictions", str(model)],
        cwd=PROJECT_ROOT,
        env=child_environment(env),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    lines = [
        line for line in run.stdout.splitlines() if line.startswith("PREDICTIONS ")
    ]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("PREDICTIONS "))


def test_nlu_and_ted_predictions_are_identical(trained_model: Path) -> None:
    rasas = predictions(trained_model, ALL_OFF)
    patched = predictions(trained_model, {"SPRO_RASA_PATCHES_OFF": ""})
    assert len(patched["parses"]) >= 100 and len(patched["ted"]) >= 8
    assert patched["parses"] == rasas["parses"]
    assert patched["ted"] == rasas["ted"]
    # No re-tracing on the per-message path: the prediction graphs traced once the
    # model is loaded serve every later message.
    after_first, after_all = patched["traces"]
    assert len(after_first) == 2 and after_all == after_first


def conversations(model: Path, work: Path, env: dict[str, str]) -> dict[str, Any]:
    """Each persona's transcript and orientation on servers started with ``env``."""
    work.mkdir()
    load_knowledge(work)
    actions_port = free_port()
    stack = Stack(
        model=model,
        rasa_port=free_port(),
        actions_port=actions_port,
        endpoints=write_endpoints(
            work / "endpoints.yml", actions_port, work / "tracker.sqlite3"
        ),
        log_dir=work,
        extra_env={"SPRO_VAR_DIR": str(work), **env},
    )
    stack.start()
    try:
        stack.wait_ready(timeout=300)
        results = [
            play(lambda s, t: post_message(stack.url, s, t), p) for p in load_personas()
        ]
    finally:
        stack.stop()
    return {
        "personas": {r.id: (r.transcript, r.payload) for r in results},
        "stored": stored_conversations(work / "tracker.sqlite3"),
    }


def stored_conversations(path: Path) -> list[list[tuple[Any, ...]]]:
    """Each conversation's stored events (type, intent, action, slot, value), in order.

    Ids, timestamps and message ids differ between runs and are left out.
    """
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT sender_id, type_name, intent_name, action_name, data "
            "FROM events ORDER BY id"
        ).fetchall()
    by_sender: dict[str, list[tuple[Any, ...]]] = {}
    for sender, type_name, intent, action, data in rows:
        event = json.loads(data)
        slot = (event.get("name"), event.get("value")) if type_name == "slot" else None
        by_sender.setdefault(sender, []).append((type_name, intent, action, slot))
    return list(by_sender.values())


def test_persona_conversations_are_identical(
    trained_model: Path, tmp_path: Path
) -> None:
    rasas_run = conversations(trained_model, tmp_path / "rasa", ALL_OFF)
    patched_run = conversations(trained_model, tmp_path / "patched", {})
    # What the tracker store holds at the end (tracker_cache: reads only what is new).
    assert patched_run["stored"] == rasas_run["stored"]
    rasas, patched = rasas_run["personas"], patched_run["personas"]
    assert len(patched) >= 30
    for persona, (transcript, payload) in rasas.items():
        assert patched[persona][0] == transcript, persona
        for found in (payload, patched[persona][1]):
            for structure in (found or {}).get("structures", []):
                structure.pop("open_now", None)  # depends on the minute of the run
        assert patched[persona][1] == payload, persona
