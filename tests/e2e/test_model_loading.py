"""DIET and TED loaded without Rasa's training step predict exactly what Rasa's load predicts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.runtime.launcher import child_environment

pytestmark = pytest.mark.e2e


def predictions(model: Path, quick: bool) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-m", "tests.model_predictions", str(model)], cwd=PROJECT_ROOT,
        env=child_environment({"SPRO_QUICK_MODEL_LOADING": "1" if quick else "0"}),
        capture_output=True, text=True, timeout=900, check=False,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("PREDICTIONS ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("PREDICTIONS "))


def test_quick_loading_predicts_the_same_and_loads_faster(trained_model: Path) -> None:
    rasa_way, quick = predictions(trained_model, quick=False), predictions(trained_model, quick=True)
    assert len(quick["parses"]) >= 100 and len(quick["ted"]) >= 8
    assert quick["parses"] == rasa_way["parses"]
    assert quick["ted"] == rasa_way["ted"]
    print(f"\nmodel load: Rasa's way {rasa_way['load_seconds']:.1f} s, quick {quick['load_seconds']:.1f} s")
    assert quick["load_seconds"] < rasa_way["load_seconds"]
