"""Cost of ``bot.nlu.EntityRepair``: its creation (once per Rasa process) and per message.

Usage: ``.venv/bin/python benchmarks/bench_entities.py [--rounds 5] [--write]``. Creates the
component as Rasa does when it loads the model (the communes gazetteer, its typo index and
the profile rules are read then) and measures the time and the resident memory it adds;
then checks the entities of every training example of ``data/nlu/`` (its annotations
standing for DIET's spans, ``--rounds`` times) and reports p50 / p95 / max per message.
Compare with the Rasa start-up and REST latency of the ``performance`` block of
docs/performance.md. ``--write`` puts the table in docs/performance.md's ``entities`` block.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from bot.nlu import EntityRepair  # noqa: E402
from bot.reports import write_block  # noqa: E402


def rss_mb() -> float:
    """Resident memory of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="write the table into docs/performance.md")
    args = parser.parse_args()
    examples = [m for path in sorted((ROOT / "data" / "nlu").glob("*.yml"))
                for m in load_data(str(path)).training_examples]
    before, started = rss_mb(), time.perf_counter()
    repair = EntityRepair.create({}, None, None, None)  # type: ignore[arg-type]
    created, after = time.perf_counter() - started, rss_mb()
    timings = []
    for _ in range(args.rounds):
        for example in examples:
            message = Message.build(text=example.get("text"))
            message.set("entities", [dict(e) for e in example.get("entities") or []])
            started = time.perf_counter()
            repair.process([message])
            timings.append((time.perf_counter() - started) * 1000)
    table = "\n".join([
        f"Measured on {date.today().isoformat()} with `python benchmarks/bench_entities.py`.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| creation (gazetteer, typo index, profile rules), once per Rasa process | {created:.2f} s |",
        f"| resident memory added by the creation | {after - before:.0f} MB |",
        f"| per message, p50 / p95 / max ({len(timings)} messages) | "
        f"{statistics.median(timings):.3f} / {percentile(timings, 0.95):.3f} / {max(timings):.3f} ms |",
        "",
    ])
    print(table)
    if args.write:
        write_block(ROOT / "docs" / "performance.md", "entities", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
