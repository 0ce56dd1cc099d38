"""With several instances behind HAProxy, the gate's new model reaches every one.

The cluster of ``bot.runtime.cluster`` (PostgreSQL, Redis, two Rasa instances) serves
a copy of the project's model; persons talk through HAProxy without pause while the
gate (``python -m bot review retrain``) puts a fine-tuned model into service. Every
instance then understands the labelled message, and no message failed during the
switch (the scale-out test's way: tests/e2e/test_scale_out.py).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from benchmarks.bench_load import Personas, Run, client_session, send
from bot.config import PROJECT_ROOT
from bot.evaluation.rest import conversation_id, post_message
from bot.review.labelling import Label, write_label
from bot.runtime.cluster import Cluster, tracker_events
from bot.runtime.gate import model_digest
from tests.e2e.test_scale_out import PG, REDIS, reachable
from tests.review.gate_project import (
    RIGHT_INTENT,
    WRONG,
    training_copy,
)

pytestmark = pytest.mark.e2e
PEOPLE = 3
GATE = (sys.executable, "-m", "bot", "review", "retrain", "--sans-personas")


def intent_on(cluster: Cluster, url: str, text: str) -> str:
    """What the instance at ``url`` understands of ``text`` (a new conversation)."""
    name = f"gate-{uuid.uuid4().hex[:8]}"
    post_message(url, name, text)
    events = tracker_events(cluster.database_url, conversation_id(url, name))
    user = [data for kind, data in events if kind == "user"][-1]
    return str(user["parse_data"]["intent"]["name"])


def trained(runs: Path) -> bool:
    """Whether the gate's candidate is trained (then measured, then served)."""
    logs = list(runs.glob("*/train.log"))
    return bool(logs) and "Your Rasa model is trained" in logs[0].read_text("utf-8")


async def talk(url: str, stop: threading.Event, run: Run) -> None:
    """``PEOPLE`` persons playing whole conversations until ``stop`` is set."""
    personas = Personas()

    async def person(session) -> None:  # type: ignore[no-untyped-def]
        while not stop.is_set():
            conversation = personas.conversation()
            run.conversations.append(conversation)
            while not conversation.done and not stop.is_set():
                if not await send(session, url, conversation, run):
                    break

    async with client_session(PEOPLE) as session:
        await asyncio.gather(*(person(session) for _ in range(PEOPLE)))


def test_every_instance_serves_the_new_model_and_no_message_fails(
    trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Messages sent through the switch: 0 failed; both instances answer anew."""
    if not (reachable(PG) and reachable(REDIS)):
        pytest.skip("PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379")
    root, models, work = tmp_path / "root", tmp_path / "models", tmp_path / "var"
    training_copy(root)
    models.mkdir()
    shutil.copy2(trained_model, models / "spro.tar.gz")
    monkeypatch.setenv("SPRO_VAR_DIR", str(work))
    monkeypatch.setenv("SPRO_TRAINING_ROOT", str(root))
    monkeypatch.delenv("SPRO_GATE_TOLERANCE", raising=False)  # the default
    write_label(Label(WRONG, RIGHT_INTENT, "rlefevre"))
    settings = {"SPRO_MODEL_CHECK_SECONDS": "1", "SPRO_TRAINING_ROOT": str(root)}
    model, cluster_dir = models / "spro.tar.gz", tmp_path / "cluster"
    with Cluster.temporary(model, 2, cluster_dir, extra_env=settings) as cluster:
        urls = [stack.url for stack in cluster.stacks]
        assert [intent_on(cluster, url, WRONG) for url in urls] != [RIGHT_INTENT] * 2
        first = model_digest(models / "spro.tar.gz")
        gate = subprocess.Popen(
            [*GATE, "--models", str(models), "--by", "rlefevre"],
            cwd=PROJECT_ROOT,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # Talk from the end of the candidate's training to after the switch.
        runs = work / "review" / "runs"
        while not trained(runs) and gate.poll() is None:
            time.sleep(2)
        stop, run = threading.Event(), Run("switch")
        talking = threading.Thread(
            target=asyncio.run,
            args=(talk(f"{cluster.url}/webhooks/rest/webhook", stop, run),),
        )
        talking.start()
        try:
            output, _ = gate.communicate(timeout=1800)
            assert gate.returncode == 0, output
            assert model_digest(models / "spro.tar.gz") != first
            deadline = time.monotonic() + 120
            for url in urls:
                while intent_on(cluster, url, WRONG) != RIGHT_INTENT:
                    assert time.monotonic() < deadline, f"{url} kept the old model"
                    time.sleep(1)
            time.sleep(3)
        finally:
            stop.set()
            talking.join(timeout=120)
    print(
        f"\n{len(run.latencies_ms)} messages answered through the switch, "
        f"{run.errors} failed, slowest {max(run.latencies_ms):.0f} ms"
    )
    assert len(run.latencies_ms) > 20, "too few messages went through the switch"
    assert run.errors == 0, run.error_kinds
