"""The action server stays light: rasa-sdk only, never Rasa nor TensorFlow."""

from __future__ import annotations

import subprocess
import sys

from bot.config import PROJECT_ROOT


def test_the_actions_import_neither_rasa_nor_tensorflow() -> None:
    code = (
        "import sys, bot.actions, bot.runtime.action_server; "
        "print(sorted(m for m in ('rasa', 'tensorflow') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"
