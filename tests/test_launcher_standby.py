"""The launcher's standby Rasa server, with small stand-in servers (no Rasa).

A stand-in behaves as ``bot.rasa_patches.standby`` makes Rasa behave: started as a
standby it writes its id in the ready file and waits for a line before it "serves".
The real servers: tests/e2e/test_launcher.py; timings: benchmarks/bench_restart.py.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.runtime import launcher
from bot.runtime.launcher import Stack, Supervisor

STAND_IN = """
import os, pathlib, sys, time
ready = os.environ.get("SPRO_RASA_STANDBY_READY_FILE")
if ready:
    time.sleep(0.3)  # loading the model
    pathlib.Path(ready).write_text(str(os.getpid()))
    if not sys.stdin.readline():
        sys.exit(0)
print("serving", os.getpid(), flush=True)
time.sleep(120)
"""


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """A stack whose Rasa server is the stand-in; stopped afterwards."""
    monkeypatch.setattr(
        Stack, "_rasa_command", lambda self: [sys.executable, "-c", STAND_IN]
    )
    servers = Stack(model=tmp_path / "none.tar.gz", log_dir=tmp_path)
    servers.start_rasa()
    try:
        yield servers
    finally:
        servers.stop()


def until(condition: Callable[[], bool], supervisor: Supervisor) -> None:
    """Run the launcher's watch until ``condition()`` holds (10 s at most)."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        supervisor.tick()
        time.sleep(0.05)


def serving(log: Path, process_id: int) -> bool:
    return f"serving {process_id}" in log.read_text()


def test_the_standby_serves_at_once_and_a_new_one_loads(
    stack: Stack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status_file = tmp_path / "status.json"
    supervisor = Supervisor(stack, status_file, standby=True)
    assert stack.rasa is not None and stack.standby is not None
    first, standby = stack.rasa, stack.standby
    until(lambda: supervisor.servers["standby"].state == "ready", supervisor)
    log = tmp_path / "rasa.log"
    assert serving(log, first.pid) and not serving(log, standby.pid)

    os.killpg(first.pid, signal.SIGKILL)
    assert stack.first_exit(timeout=5) is first
    supervisor.restart(first)
    assert stack.rasa is standby
    until(lambda: serving(log, standby.pid), supervisor)
    status = json.loads(status_file.read_text())["servers"]
    assert status["rasa"]["pid"] == standby.pid
    assert status["rasa"]["restarts"] == 1 and status["rasa"]["last_exit"] == -9
    assert status["standby"]["state"] == "loading"
    assert status["standby"]["pid"] not in (first.pid, standby.pid)

    # make status shows it.
    monkeypatch.setenv("SPRO_VAR_DIR", str(tmp_path))
    (tmp_path / "launcher.pid").write_text(str(os.getpid()))
    until(lambda: supervisor.servers["standby"].state == "ready", supervisor)
    assert launcher.print_status(status_file) == 0
    shown = capsys.readouterr().out
    assert f"Rasa server  : running, process {standby.pid}" in shown
    assert "restarted 1 time(s), last exit -9" in shown
    assert f"Rasa standby : ready, process {stack.standby.pid}" in shown


def test_a_stopped_standby_is_started_again_without_stopping_the_watch(
    stack: Stack, tmp_path: Path
) -> None:
    supervisor = Supervisor(stack, tmp_path / "status.json", standby=True)
    assert stack.standby is not None
    lost = stack.standby
    os.killpg(lost.pid, signal.SIGKILL)
    assert stack.first_exit(timeout=5) is lost
    started = time.monotonic()
    supervisor.restart(lost)
    assert time.monotonic() - started < 0.5  # the serving Rasa server is still watched
    assert supervisor.servers["standby"].state == "restarting"
    until(lambda: supervisor.servers["standby"].state == "ready", supervisor)
    assert stack.standby is not None and stack.standby.pid != lost.pid
    assert supervisor.servers["standby"].restarts == 1


def test_without_a_standby_rasa_starts_again_from_scratch(
    stack: Stack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    supervisor = Supervisor(stack, tmp_path / "status.json")
    assert stack.rasa is not None and stack.standby is None
    first = stack.rasa
    os.killpg(first.pid, signal.SIGKILL)
    assert stack.first_exit(timeout=5) is first
    supervisor.restart(first)  # after its 1 s back-off
    restarted = stack.rasa
    assert restarted is not None and restarted is not first
    assert "standby" not in supervisor.servers
    until(lambda: serving(tmp_path / "rasa.log", restarted.pid), supervisor)
    monkeypatch.setenv("SPRO_VAR_DIR", str(tmp_path))
    (tmp_path / "launcher.pid").write_text(str(os.getpid()))
    assert launcher.print_status(tmp_path / "status.json") == 0
    assert "Rasa standby : none (SPRO_RASA_STANDBY=0" in capsys.readouterr().out


def test_the_standby_is_wanted_unless_switched_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SPRO_RASA_STANDBY", raising=False)
    monkeypatch.setenv("SPRO_RASA_PATCHES_OFF", "")
    assert launcher.standby_wanted()
    monkeypatch.setenv("SPRO_RASA_STANDBY", "0")
    assert not launcher.standby_wanted()
    monkeypatch.setenv("SPRO_RASA_STANDBY", "1")
    monkeypatch.setenv("SPRO_RASA_PATCHES_OFF", "standby")
    assert not launcher.standby_wanted()
