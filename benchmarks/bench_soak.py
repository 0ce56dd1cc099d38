"""Soak: many conversations for minutes; is the memory flat once warm, is nothing lost?

Usage: ``.venv/bin/python benchmarks/bench_soak.py [--minutes 60] [--people 20]
[--sample 30] [--warm-up 2] [--write]`` (``make bench`` writes).

Starts the servers as ``make run`` does (``bench_load.single_stack``: one Rasa instance
with its SQLite tracker store, one action server), plays every persona once (warm-up of
first-call costs), then ``--people`` scripted conversations at once for ``--minutes``.
Every ``--sample`` seconds it reads the RSS of the Rasa server and of the action server.

Reports messages, conversations, errors, conversations routed as the persona expects,
conversations lost or duplicated in the tracker store (each one's stored user messages
must be the ones answered, once each, in order), and the memory: RSS when ready, at
the end of the ``--warm-up`` minutes, at the end, and the growth after warm-up as a
least-squares slope in MB per hour. Memory is called flat when that slope, kept up for
a day (``FLAT_HOURS``), would add less than ``FLAT_SHARE`` of the Rasa server's RSS
after warm-up. An hour by default: it takes in the periodic derivations, after which
the memory the allocators hold free is given back (``bot.indicators.periodic``); ten
minutes take in none, and their slope, kept up for a day, calls the allocators'
settling a leak (docs/performance.md, "The soak").
Prints a Markdown table; ``--write`` also puts it in docs/performance.md's ``soak``
block.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_load import (  # noqa: E402
    Personas,
    Run,
    Target,
    closed_loop,
    measured,
    single_stack,
    tracker_problems,
)

from bot.evaluation.personas import load_personas  # noqa: E402
from bot.reports import write_block  # noqa: E402
from bot.runtime.launcher import ensure_model  # noqa: E402
from channels.rate_limits import UNLIMITED  # noqa: E402

FLAT_HOURS = 24
FLAT_SHARE = 0.05
Sample = tuple[float, dict[str, float]]  # seconds since the load began, RSS per process


def slope_mb_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) points, in MB per hour (0 below 2)."""
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_mb = sum(mb for _, mb in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if not spread:
        return 0.0
    covariance = sum((t - mean_t) * (mb - mean_mb) for t, mb in points)
    return covariance / spread * 3600


def is_flat(slope_per_hour: float, rss_mb: float) -> bool:
    """True when the growth, kept up for ``FLAT_HOURS``, stays under ``FLAT_SHARE``."""
    return slope_per_hour * FLAT_HOURS < FLAT_SHARE * rss_mb


async def sample_memory(
    target: Target, every: float, samples: list[Sample], stop: asyncio.Event
) -> None:
    """Append every watched process's RSS every ``every`` seconds until ``stop``."""
    started = time.monotonic()
    while True:
        samples.append((time.monotonic() - started, target.rss()))
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
            samples.append((time.monotonic() - started, target.rss()))
            return
        except asyncio.TimeoutError:
            continue


async def soak(target: Target, args: argparse.Namespace, samples: list[Sample]) -> Run:
    """Warm-up, then ``args.people`` at once for ``args.minutes`` while sampling RSS."""
    personas = Personas()
    await closed_loop(
        target.url, 4, 600, personas, max_conversations=len(load_personas())
    )
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(target, args.sample, samples, stop))
    try:
        run = await measured(
            target,
            closed_loop(target.url, args.people, args.minutes * 60, personas),
        )
    finally:
        stop.set()
        await sampler
    run.label = f"{args.minutes:g} minutes, {args.people} at once"
    return run


def memory_rows(
    samples: list[Sample],
    ready: dict[str, float],
    warm_up_seconds: float,
    messages_per_second: float,
) -> tuple[list[str], bool]:
    """One table row per process, and whether the Rasa server's memory is flat."""
    messages_per_hour = max(messages_per_second, 1e-9) * 3600
    rows, flat = [], True
    for name, ready_mb in ready.items():
        series = [(t, rss[name]) for t, rss in samples if name in rss]
        warm = [(t, mb) for t, mb in series if t >= warm_up_seconds] or series[-1:]
        slope = slope_mb_per_hour(warm)
        process_flat = is_flat(slope, warm[0][1])
        if name == "rasa":
            flat = process_flat
        rows.append(
            f"| {name} | {ready_mb:.0f} MB | {warm[0][1]:.0f} MB "
            f"| {series[-1][1]:.0f} MB | {slope:+.1f} MB "
            f"| {slope / messages_per_hour * 10_000:+.2f} MB "
            f"| {'yes' if process_flat else 'no'} |"
        )
    return rows, flat


def table(
    run: Run,
    samples: list[Sample],
    ready: dict[str, float],
    problems: list[str],
    args: argparse.Namespace,
) -> str:
    """The Markdown figures."""
    finished = [c for c in run.conversations if c.done]
    routed = sum(c.routed_as_expected for c in finished)
    rows, flat = memory_rows(samples, ready, args.warm_up * 60, run.rate)
    command = "python benchmarks/bench_soak.py " + " ".join(sys.argv[1:])
    return "\n".join(
        [
            f"Measured on {date.today():%Y-%m-%d} with `{command.strip()}` (one Rasa "
            "instance + action server, SQLite tracker store); machine load average at "
            f"the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
            "",
            "| soak | messages | messages/s | errors "
            "| conversations routed as expected | conversations lost or duplicated |",
            "|---|---:|---:|---:|---:|---:|",
            f"| {run.label} | {len(run.latencies_ms)} | {run.rate:.1f} "
            f"| {run.errors} | {routed} / {len(finished)} "
            f"| {len(problems)} / {len(run.conversations)} |",
            "",
            f"| process | RSS when ready | after {args.warm_up:g} min | at the end "
            f"| growth per hour after {args.warm_up:g} min | per 10,000 messages "
            f"| flat (< {FLAT_SHARE:.0%} in {FLAT_HOURS} h) |",
            "|---|---:|---:|---:|---:|---:|---|",
            *rows,
            "",
            f"Rasa server memory after warm-up: **{'flat' if flat else 'not flat'}**. "
            f"RSS read every {args.sample:g} s: "
            + ", ".join(f"{rss.get('rasa', 0):.0f}" for _, rss in samples)
            + " MB.",
        ]
    )


def main() -> int:
    """Run the soak and print the table; 1 when a conversation is lost or errors."""
    os.environ.setdefault("SPRO_RATE_LIMITS", UNLIMITED)  # the load is one address
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--sample", type=float, default=30.0, help="seconds")
    parser.add_argument("--warm-up", type=float, default=2.0, help="minutes")
    parser.add_argument(
        "--write", action="store_true", help="write the table into docs/performance.md"
    )
    args = parser.parse_args()

    model = ensure_model()
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory() as work_dir:
        with single_stack(model, Path(work_dir)) as target:
            ready = target.rss()
            run = asyncio.run(soak(target, args, samples))
            assert target.check_trackers is not None
            problems = tracker_problems(
                run, target.check_trackers([c.sender for c in run.conversations])
            )
    for problem in problems[:10]:
        print("  ", problem)
    figures = table(run, samples, ready, problems, args)
    print(figures)
    if args.write:
        write_block(ROOT / "docs" / "performance.md", "soak", figures)
    return 1 if problems or run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
