"""A copy of what the quality gate reads of the project, for tests that train."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.config import PROJECT_ROOT

# Typed by the public, misunderstood by the model of main's data (tests check first):
# read as out of scope (0.86 on 2026-12-06). « chui o chomdu », the earlier choice,
# is understood by the model of that date's data (inform 0.51, at the fallback line).
WRONG = "mon patron ma viré"
RIGHT_INTENT = "inform"
TRAINING_FILES = ("config.yml", "domain.yml", "bot/nlu.py")


def training_copy(root: Path) -> None:
    """Config, domain, data and held-out sets under ``root`` (SPRO_TRAINING_ROOT)."""
    for name in TRAINING_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / name, root / name)
    shutil.copytree(PROJECT_ROOT / "data", root / "data")
    (root / "tests").mkdir()
    for held_out in (PROJECT_ROOT / "tests").glob("test_nlu*.yml"):
        shutil.copy2(held_out, root / "tests" / held_out.name)
