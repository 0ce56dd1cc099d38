"""Start-up time, memory and REST latency of the assistant on this machine.

Usage: ``.venv/bin/python benchmarks/bench_startup.py [--messages 60] [--write]``
(``make bench`` writes). Starts the real servers on free ports (model trained first if
needed), measures the time until each answers, the resident memory of each process once
ready and after the messages, and the REST latency of whole conversations (greeting,
a situation, a commune, an information question, thanks) replayed one after the other.
Prints a Markdown table; ``--write`` also puts it in docs/performance.md's ``performance`` block.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

import requests

from bot.evaluation.rest import conversation_id
from bot.runtime.launcher import Stack, ensure_model, free_port, write_endpoints
from bot.reports import write_block

# One conversation as the public has it: every message but the greeting reaches the
# action server (profile, routing, knowledge base).
MESSAGES = [
    "Bonjour",
    "j'ai 24 ans, je suis en CDD et je voudrais changer de métier",
    "Tours",
    "c'est quoi le CPF ?",
    "merci beaucoup",
    "au revoir",
]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total_kb = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            continue
        total_kb += next(int(line.split()[1]) for line in status.splitlines()
                         if line.startswith("VmRSS:"))
        pids.extend(int(c) for c in children)
    return total_kb / 1024


def wait_for(url: str, started: float, timeout: float = 300) -> float:
    """Seconds from ``started`` until ``url`` answers."""
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return time.monotonic() - started
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(url)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--write", action="store_true", help="write the table into docs/performance.md")
    args = parser.parse_args()

    model = ensure_model()
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        actions_port, rasa_port = free_port(), free_port()
        stack = Stack(
            model=model, rasa_port=rasa_port, actions_port=actions_port,
            endpoints=write_endpoints(work / "endpoints.yml", actions_port,
                                      work / "tracker.sqlite3"),
            log_dir=work, extra_env={"SPRO_VAR_DIR": str(work)},
        )
        started = time.monotonic()
        stack.start()
        try:
            actions_ready = wait_for(f"http://127.0.0.1:{actions_port}/health", started)
            rasa_ready = wait_for(f"{stack.url}/webhooks/rest/", started)
            assert stack.rasa and stack.actions
            rss_ready = (rss_mb(stack.rasa.pid), rss_mb(stack.actions.pid))
            latencies = []
            for index in range(args.messages):
                text = MESSAGES[index % len(MESSAGES)]
                # Server-issued id (public REST contract), asked before the timer starts.
                sender = conversation_id(stack.url, f"bench-{index // len(MESSAGES)}")
                sent = time.perf_counter()
                answer = requests.post(f"{stack.url}/webhooks/rest/webhook",
                                       json={"sender": sender, "message": text}, timeout=60)
                latencies.append((time.perf_counter() - sent) * 1000)
                answer.raise_for_status()
            rss_after = (rss_mb(stack.rasa.pid), rss_mb(stack.actions.pid))
        finally:
            stack.stop()

    conversations = -(-args.messages // len(MESSAGES))
    table = "\n".join([
        f"Measured on {date.today():%Y-%m-%d} with `make bench`.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| action server answers after | {actions_ready:.1f} s |",
        f"| Rasa REST endpoint answers after | {rasa_ready:.1f} s |",
        f"| RSS when ready: Rasa / action server | {rss_ready[0]:.0f} MB / {rss_ready[1]:.0f} MB |",
        f"| RSS after {args.messages} messages: Rasa / action server "
        f"| {rss_after[0]:.0f} MB / {rss_after[1]:.0f} MB |",
        f"| REST latency per message, p50 / p95 ({args.messages} messages, {conversations} conversations) "
        f"| {statistics.median(latencies):.0f} ms / {percentile(latencies, 0.95):.0f} ms |",
    ])
    print(table)
    if args.write:
        write_block(Path(__file__).resolve().parent.parent / "docs" / "performance.md", "performance", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
