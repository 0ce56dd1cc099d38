"""The servers' environment: one OpenBLAS thread unless the operator says otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.runtime.launcher import Stack

PRINT_SETTING = "import os; print(os.environ.get('OPENBLAS_NUM_THREADS'))"


def spawned_setting(tmp_path: Path, extra_env: dict[str, str]) -> str:
    stack = Stack(model=tmp_path / "none.tar.gz", log_dir=tmp_path, extra_env=extra_env)
    log = f"env-{len(list(tmp_path.glob('env-*.log')))}.log"
    process = stack._spawn([sys.executable, "-c", PRINT_SETTING], log)
    assert process.wait(timeout=30) == 0
    return (tmp_path / log).read_text().strip()


def test_servers_run_one_openblas_thread_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert spawned_setting(tmp_path, {}) == "1"


def test_the_operators_setting_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    assert spawned_setting(tmp_path, {}) == "4"
    assert spawned_setting(tmp_path, {"OPENBLAS_NUM_THREADS": "2"}) == "2"
