"""Crash restart: ``kill -9`` of the Rasa server under the launcher, until it answers.

Starts ``python -m bot.runtime.launcher`` on free ports (as ``make run`` does), opens a
conversation, kills the Rasa server with SIGKILL, and measures the seconds until the
webhook answers again in the same conversation, with the answer that conversation
expects (its state survived). Twice, back to back: without the standby Rasa server
(``SPRO_RASA_STANDBY=0``: Rasa restarts from scratch) and with it (the default; the
kill comes once the standby's model is loaded). Run:
``.venv/bin/python benchmarks/bench_restart.py`` (prints the figures);
``--only standby`` or ``--only cold`` runs one of the two.
"""

from __future__ import annotations

import argparse
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


def resident_mb(process_id: int) -> float:
    """Resident memory of a process, in MB (Linux)."""
    status = Path(f"/proc/{process_id}/status").read_text()
    kilobytes = next(line for line in status.splitlines() if line.startswith("VmRSS"))
    return int(kilobytes.split()[1]) / 1024


def standby_ready(status_file: Path) -> None:
    """Return once the launcher's status says the standby's model is loaded."""
    servers = json.loads(status_file.read_text())["servers"]
    if servers.get("standby", {}).get("state", "ready") != "ready":
        raise LookupError("the standby is still loading")


def measure(standby: bool) -> str:
    """Start the launcher, kill -9 Rasa mid-conversation; what the person waited."""
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
        env=child_environment(
            {"SPRO_VAR_DIR": str(work), "SPRO_RASA_STANDBY": "1" if standby else "0"}
        ),
        stdout=open(work / "launcher.out", "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{rasa_port}/webhooks/rest"
    try:
        ready, opened = until_answered(lambda: post(f"{base}/conversations"))
        sender = opened["sender"]
        for text in ("je suis au chômage et je cherche du travail", "22 ans"):
            post(f"{base}/webhook", {"sender": sender, "message": text}, timeout=60)
        status_file = work / "status.json"
        standby_loaded = until_answered(lambda: standby_ready(status_file))[0]
        servers = json.loads(status_file.read_text())["servers"]
        memory = (
            f", standby RSS {resident_mb(servers['standby']['pid']):,.0f} MB"
            if standby
            else ""
        )
        os.killpg(servers["rasa"]["pid"], signal.SIGKILL)
        back, answer = until_answered(
            lambda: post(f"{base}/webhook", {"sender": sender, "message": "Chartres"})
        )
        network = next(
            (
                m["custom"].get("network")
                for m in answer
                if isinstance(m.get("custom"), dict)
            ),
            None,
        )
        load = os.getloadavg()[0]
        return (
            f"{'standby' if standby else 'cold   '}: first start {ready:.1f} s"
            f"{f' (standby loaded {standby_loaded:.1f} s later)' if standby else ''}; "
            f"answered again {back:.1f} s after kill -9, conversation kept: "
            f"{network == 'mission_locale'}{memory} (load average {load:.1f})"
        )
    finally:
        os.killpg(launcher.pid, signal.SIGINT)
        launcher.wait(timeout=120)


def main() -> int:
    """Both ways back to back (or the one ``--only`` names); print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("cold", "standby"))
    args = parser.parse_args()
    for standby in (False, True):
        if args.only in (None, "standby" if standby else "cold"):
            print(measure(standby), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
