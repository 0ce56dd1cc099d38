"""`rasa test` on the trained model: every held-out NLU set and the test stories (no retraining)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.runtime.launcher import RASA_COMMAND, child_environment

pytestmark = pytest.mark.e2e


def rasa_test(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*RASA_COMMAND, "test", *args], cwd=PROJECT_ROOT, env=child_environment(),
                          capture_output=True, text=True, timeout=1200, check=False)


def test_test_stories_pass_including_the_four_centre_situations(trained_model: Path, tmp_path: Path) -> None:
    run = rasa_test("core", "--stories", "tests/test_stories.yml", "--model", str(trained_model),
                    "--out", str(tmp_path), "--fail-on-prediction-errors", "--no-plot")
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]


# Every held-out set, the blind one included (tests/blind/README.md).
HELD_OUT = sorted(str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / "tests").glob("test_nlu*.yml"))


@pytest.mark.parametrize("held_out", HELD_OUT)
def test_held_out_intent_macro_f1_is_at_least_095_and_entity_f1_085(trained_model: Path, tmp_path: Path,
                                                                   held_out: str) -> None:
    run = rasa_test("nlu", "--nlu", held_out, "--model", str(trained_model), "--out", str(tmp_path))
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    report = json.loads((tmp_path / "intent_report.json").read_text())
    assert report["macro avg"]["f1-score"] >= 0.95, {
        k: v["f1-score"] for k, v in report.items() if isinstance(v, dict) and "f1-score" in v}
    # the pipeline's age and commune entities: DIET's, as bot.nlu.EntityRepair checked them
    entities = json.loads((tmp_path / "EntityRepair_report.json").read_text())
    assert entities["micro avg"]["f1-score"] >= 0.85, entities
