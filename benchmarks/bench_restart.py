"""Crash restart: ``kill -9`` of the Rasa server under the launcher, until it answers.

Starts ``python -m bot.runtime.launcher`` on free ports (as ``make run`` does), opens a
conversation, kills the Rasa server with SIGKILL, and measures the seconds until the
webhook answers again in the same conversation. Run:
``.venv/bin/python benchmarks/bench_restart.py`` (prints the figures).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.runtime.launcher import PROJECT_ROOT, child_environment, free_port


def post(url: str, body: Any = None, timeout: float = 10.0) -> Any:
    """POST JSON; the decoded answer."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else b"",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read())


def until_answered(call: Any, limit: float = 600.0) -> tuple[float, Any]:
    """Seconds until ``call()`` succeeds, and its result."""
    started = time.monotonic()
    while True:
        try:
            return time.monotonic() - started, call()
        except Exception:
            if time.monotonic() - started > limit:
                raise
            time.sleep(0.2)


def main() -> int:
    """Start, kill -9 Rasa, print how long the person waits."""
    work = Path(tempfile.mkdtemp(prefix="spro-bench-restart-"))
    rasa_port, actions_port = free_port(), free_port()
    launcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.runtime.launcher",
            "--port",
            str(rasa_port),
            "--actions-port",
            str(actions_port),
        ],
        cwd=PROJECT_ROOT,
        env=child_environment({"SPRO_VAR_DIR": str(work)}),
        stdout=open(work / "launcher.out", "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{rasa_port}/webhooks/rest"
    try:
        ready, opened = until_answered(lambda: post(f"{base}/conversations"))
        sender = opened["sender"]
        post(f"{base}/webhook", {"sender": sender, "message": "bonjour"}, timeout=60)
        status = json.loads((work / "status.json").read_text())
        os.killpg(status["servers"]["rasa"]["pid"], signal.SIGKILL)
        back, _ = until_answered(
            lambda: post(
                f"{base}/webhook", {"sender": sender, "message": "j'ai 20 ans"}
            )
        )
        load = os.getloadavg()[0]
        print(
            f"first start: {ready:.1f} s; answered again {back:.1f} s after kill -9 "
            f"(load average {load:.1f})"
        )
    finally:
        os.killpg(launcher.pid, signal.SIGINT)
        launcher.wait(timeout=120)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
