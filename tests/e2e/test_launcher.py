"""`make run`'s launcher: starts both servers, refuses a second start, restarts a stopped
server, keeps its files private, Ctrl-C stops both."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.runtime.launcher import child_environment, free_port, port_is_free
from tests.conftest import post_message, texts

pytestmark = pytest.mark.e2e


def read_until(process: subprocess.Popen, marker: str, timeout: float) -> str:
    """Read the process's output until it contains ``marker``.

    Reads the pipe's file descriptor directly: a buffered reader may hold the rest of a
    multi-line print that ``select`` would then never report.
    """
    assert process.stdout is not None
    descriptor = process.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            raise AssertionError(f"{marker!r} not printed; output so far:\n{seen.decode(errors='replace')}")
        ready, _, _ = select.select([descriptor], [], [], remaining)
        if ready:
            seen += os.read(descriptor, 65536)
    return seen.decode(errors="replace")


def test_start_second_start_and_ctrl_c(trained_model: Path, tmp_path: Path) -> None:
    rasa_port, actions_port = free_port(), free_port()
    command = [sys.executable, "-m", "bot.runtime.launcher",
               "--port", str(rasa_port), "--actions-port", str(actions_port)]
    env = child_environment({"SPRO_VAR_DIR": str(tmp_path)})
    # SIGINT ignored at start, as for a background job of a non-interactive shell (CI):
    # Ctrl-C must still stop the launcher.
    first = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, bufsize=0,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        output = read_until(first, "Ctrl-C stops both", timeout=240)
        assert f"http://127.0.0.1:{rasa_port}" in output
        assert "bonjour" in texts(post_message(f"http://127.0.0.1:{rasa_port}", "launcher", "bonjour")).lower()

        second = subprocess.run(command, cwd=PROJECT_ROOT, env=env, text=True,
                                capture_output=True, timeout=60)
        assert second.returncode == 1
        assert "already running" in second.stderr

        # A server that stops is restarted, and the launcher and its status say so.
        status = json.loads((tmp_path / "status.json").read_text())
        os.killpg(status["servers"]["actions"]["pid"], signal.SIGKILL)
        output = read_until(first, "is starting again", timeout=60)
        assert "The action server stopped (exit -9); restarting it in 1 s" in output
        shown = subprocess.run([sys.executable, "-m", "bot.runtime.launcher", "status"], cwd=PROJECT_ROOT,
                               env=env, text=True, capture_output=True, timeout=60)
        assert shown.returncode == 0
        assert "Action server: running" in shown.stdout and "restarted 1 time" in shown.stdout
        # Files the launcher and the servers create are the user's only.
        for name in ("tracker.sqlite3", "rasa.log", "actions.log", "status.json", "launcher.pid"):
            assert (tmp_path / name).stat().st_mode & 0o077 == 0, name

        first.send_signal(signal.SIGINT)  # what Ctrl-C does in a terminal
        assert first.wait(timeout=60) == 0
    finally:
        if first.poll() is None:  # a failed check: stop it as Ctrl-C would, so no server leaks
            first.send_signal(signal.SIGINT)
            try:
                first.wait(timeout=60)
            except subprocess.TimeoutExpired:
                first.kill()
    assert port_is_free(rasa_port) and port_is_free(actions_port)
    assert not (tmp_path / "launcher.pid").exists()
