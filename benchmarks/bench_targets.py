"""Speed and memory targets, before and after, back to back on this machine.

Usage: ``.venv/bin/python benchmarks/bench_targets.py [--before REV]
[--open-messages 10000] [--write]`` (``make bench`` writes).

"after" is this checkout; "before" is a git worktree of ``REV`` (default
``BEFORE_REVISION``: main before the speed and memory work of issue 25) kept under
``var/bench/``, with its own model (this checkout's when the training data are the
same, else trained once by its own code). Each side runs its own
``benchmarks/bench_startup.py`` and ``benchmarks/bench_load.py``, before then after
for each measure so that both meet the same machine:

1. start-up: REST answers, RSS when ready;
2. one instance: one person, then 20 people at once (closed loop, ``--duration``
   seconds each), then random arrivals at 20 messages/s (``--open-messages``), then
   RSS after all those conversations;
3. two instances behind HAProxy (PostgreSQL, Redis), 20 people at once.

The figures are read from the tables those scripts print. Then the profile after: where
the Rasa server of this checkout spends its time with 20 people at once (``py-spy``,
installed with the project, samples it for ``--duration`` seconds; its samples sorted
into the parts of a message's handling by ``PARTS``). Prints both tables; ``--write``
puts them in docs/performance.md's ``targets`` block.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.reports import write_block  # noqa: E402

BEFORE_REVISION = "ac300ab"  # main when issue 25 began (2026-12-06)
TRAINING_INPUTS = ("data", "domain.yml", "config.yml")
ROW = re.compile(r"^\| (?P<label>[^|]+?) \| (?P<rest>.+) \|$")
# Parts of a message's handling, by a file path met in a sample's stack (first match).
PARTS = (
    ("NLU: DIET (TensorFlow)", ("nlu/classifiers/diet_classifier.py",)),
    ("NLU: spaCy (tokens, lemmas, vectors)", ("site-packages/spacy/", "thinc/")),
    (
        "NLU: featurizers and checks",
        ("rasa/nlu/", "bot/nlu.py", "bot/conversation/", "bot/places/"),
    ),
    ("dialogue: TED (TensorFlow)", ("core/policies/ted_policy.py",)),
    ("dialogue: other policies", ("rasa/core/policies/", "bot/rasa_patches/policy")),
    ("action server calls", ("rasa/core/actions/action.py", "action_endpoint.py")),
    ("tracker store", ("tracker_store.py", "tracker_cache.py")),
    ("lock store", ("lock_store.py",)),
    ("hand-over check", ("bot/handover/",)),
    (
        "Rasa graph, processor and trackers",
        ("rasa/engine/", "rasa/core/processor.py", "rasa/shared/core/"),
    ),
    ("HTTP and channels", ("site-packages/sanic", "channels/", "aiohttp/")),
)


@dataclass
class Side:
    """One checkout under test and the figures read from its benchmarks."""

    name: str
    root: Path
    figures: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)

    def run(self, script: str, *arguments: str) -> str:
        """Run one of this checkout's benchmarks; its printed output."""
        command = [sys.executable, f"benchmarks/{script}", *arguments]
        print(f"[{self.name}] {' '.join(command[1:])}", flush=True)
        # The checkout's own code, not the one installed in the environment.
        path = os.pathsep.join(
            filter(None, (str(self.root), os.environ.get("PYTHONPATH")))
        )
        done = subprocess.run(
            command,
            cwd=self.root,
            env={**os.environ, "PYTHONPATH": path},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(
                f"{self.name}: {script} failed ({done.returncode}):\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        print(done.stdout, flush=True)
        return done.stdout


def table_rows(output: str) -> dict[str, list[str]]:
    """The cells of every Markdown row of a benchmark's output, by first cell."""
    rows = {}
    for line in output.splitlines():
        match = ROW.match(line.strip())
        if match:
            rows[match["label"]] = [cell.strip() for cell in match["rest"].split("|")]
    return rows


def number(cell: str) -> float:
    """The first number of a cell ("1,139 MB" -> 1139.0)."""
    found = re.search(r"-?\d[\d,]*(?:\.\d+)?", cell)
    if not found:
        raise ValueError(f"no number in {cell!r}")
    return float(found.group().replace(",", ""))


def read_startup(side: Side, output: str) -> None:
    """Start-up time and RSS when ready."""
    rows = table_rows(output)
    side.numbers["startup"] = number(rows["Rasa REST endpoint answers after"][0])
    rasa, actions = rows["RSS when ready: Rasa / action server"][0].split("/")
    side.numbers["rasa ready"], side.numbers["actions ready"] = (
        number(rasa),
        number(actions),
    )


def load_row(rows: dict[str, list[str]], prefix: str) -> list[str]:
    """The row of the run whose label starts with ``prefix``."""
    return next(cells for label, cells in rows.items() if label.startswith(prefix))


def read_load(side: Side, output: str, warm_up: int) -> None:
    """Latency, throughput, errors and RSS of the one-instance runs."""
    rows = table_rows(output)
    one, twenty = load_row(rows, "closed loop, 1 "), load_row(rows, "closed loop, 20 ")
    arrivals = load_row(rows, "open loop")
    side.numbers["one p50"], side.numbers["one p95"] = number(one[1]), number(one[2])
    side.numbers["one cpu"] = number(one[6])
    side.numbers["twenty rate"], side.numbers["twenty cpu"] = (
        number(twenty[0]),
        number(twenty[6]),
    )
    side.numbers["open p95"], side.numbers["open rate"] = (
        number(arrivals[2]),
        number(arrivals[0]),
    )
    errors, sent = (number(part) for part in arrivals[4].split("/"))
    side.numbers["open errors"], side.numbers["open messages"] = errors, sent
    side.numbers["conversations"] = warm_up + sum(
        number(cells[5].split("/")[1])
        for label, cells in rows.items()
        if label.startswith(("closed loop", "open loop"))
    )
    side.numbers["rasa after"] = number(rows["rasa"][1])
    side.numbers["actions after"] = number(rows["actions"][1])


def read_cluster(side: Side, output: str) -> None:
    """Throughput of two instances behind HAProxy."""
    side.numbers["two rate"] = number(
        load_row(table_rows(output), "closed loop, 20 ")[0]
    )


def before_checkout(revision: str) -> Path:
    """A worktree of ``revision`` with a model (made once, kept under var/bench)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", revision],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    root = ROOT / "var" / "bench" / f"before-{commit}"
    if not root.exists():
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(root), commit],
            cwd=ROOT,
            check=True,
        )
    same_data = (
        subprocess.run(
            ["git", "diff", "--quiet", commit, "HEAD", "--", *TRAINING_INPUTS],
            cwd=ROOT,
            check=False,
        ).returncode
        == 0
    )
    if same_data and not (root / "models").exists() and (ROOT / "models").exists():
        subprocess.run(["cp", "-r", str(ROOT / "models"), str(root)], check=True)
    print(f"[before] {commit}: model (trained by its own code if missing)", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from bot.runtime.launcher import ensure_model; print(ensure_model())",
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
    )
    return root


def met(value: bool) -> str:
    """Yes or no, in the table."""
    return "yes" if value else "**no**"


def targets_table(before: Side, after: Side, command: str) -> str:
    """The Markdown table of the targets, before and after."""
    b, a = before.numbers, after.numbers

    def both(template: str) -> tuple[str, str]:
        return template.format(**_keys(b)), template.format(**_keys(a))

    lines = [
        f"Measured on {date.today():%Y-%m-%d} with `{command}`: before = "
        f"`{before.name}`, after = `{after.name}`, each measure before then after; "
        f"machine load average at the end: {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores.",
        "",
        "| target | before | after | met |",
        "|---|---:|---:|---|",
    ]
    rows = [
        (
            "one person: p50 ≤ 20 ms, p95 ≤ 30 ms",
            both("{one_p50:.0f} ms, {one_p95:.0f} ms"),
            a["one p50"] <= 20 and a["one p95"] <= 30,
        ),
        (
            "20 people, one instance: ≥ 50 messages/s",
            both("{twenty_rate:.1f}"),
            a["twenty rate"] >= 50,
        ),
        (
            "two instances behind HAProxy, 20 people: ≥ 70 messages/s",
            both("{two_rate:.1f}"),
            a["two rate"] >= 70,
        ),
        (
            "random arrivals at 20 messages/s: p95 ≤ 100 ms, 0 errors over "
            "10,000 messages",
            both(
                "p95 {open_p95:.0f} ms, {open_errors:.0f} errors in "
                "{open_messages:,.0f}"
            ),
            a["open p95"] <= 100
            and a["open errors"] == 0
            and a["open messages"] >= 10_000,
        ),
        (
            "Rasa server RSS ≤ 1,000 MB when ready and after 2,000 conversations",
            both(
                "{rasa_ready:,.0f} MB; {rasa_after:,.0f} MB after {conversations:,.0f}"
            ),
            a["rasa ready"] <= 1000
            and a["rasa after"] <= 1000
            and a["conversations"] >= 2000,
        ),
        (
            "action server RSS ≤ 150 MB",
            both("{actions_ready:.0f} MB; {actions_after:.0f} MB after"),
            a["actions ready"] <= 150 and a["actions after"] <= 150,
        ),
        (
            "REST answers ≤ 15 s after start",
            both("{startup:.1f} s"),
            a["startup"] <= 15,
        ),
    ]
    lines += [
        f"| {target} | {before_cell} | {after_cell} | {met(ok)} |"
        for target, (before_cell, after_cell), ok in rows
    ]
    cpu_before, cpu_after = both("{one_cpu:.1f} ms; {twenty_cpu:.1f} ms")
    lines.append(
        "| *Rasa server CPU per message: one person; 20 people* "
        f"| {cpu_before} | {cpu_after} | |"
    )
    return "\n".join(lines)


def part_of(stack: str) -> str:
    """The part of a message's handling a sampled stack belongs to."""
    for part, markers in PARTS:
        if any(marker in stack for marker in markers):
            return part
    return "other (Python, asyncio, TensorFlow dispatch)"


def profile_after(seconds: int) -> str:
    """Sample this checkout's Rasa server under 20 people at once; the parts' shares."""
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if py_spy is None:
        return "Profile not taken: py-spy is not installed (`make setup`)."
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_load import Personas, closed_loop, single_stack

    from bot.runtime.launcher import ensure_model
    from channels.rate_limits import UNLIMITED

    os.environ.setdefault(
        "SPRO_RATE_LIMITS", UNLIMITED
    )  # the load comes from one address
    with (
        tempfile.TemporaryDirectory() as work_dir,
        single_stack(ensure_model(), Path(work_dir)) as target,
    ):
        personas = Personas()
        asyncio.run(closed_loop(target.url, 4, 600, personas, max_conversations=40))
        samples = Path(work_dir) / "samples.txt"
        sampler = subprocess.Popen(
            [
                py_spy, "record", "--pid", str(target.processes["rasa"]),
                "--duration", str(seconds), "--rate", "200", "--nonblocking",
                "--format", "raw", "--output", str(samples),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        run = asyncio.run(closed_loop(target.url, 20, seconds, personas))
        _, error = sampler.communicate(timeout=seconds + 60)
        if not samples.exists():
            return f"Profile not taken: py-spy failed ({error.strip()[-300:]})."
        parts: Counter[str] = Counter()
        for line in samples.read_text(encoding="utf-8").splitlines():
            stack, _, count = line.rpartition(" ")
            parts[part_of(stack)] += int(count)
    total = sum(parts.values()) or 1
    lines = [
        f"Profile after: the Rasa server sampled by py-spy for {seconds} s with 20 "
        f"people at once ({len(run.latencies_ms) / seconds:.1f} messages/s during "
        f"the sampling), {total:,} samples of its busy threads.",
        "",
        "| part of a message's handling | share of the samples |",
        "|---|---:|",
        *(f"| {part} | {count * 100 / total:.1f} % |" for part, count in
          parts.most_common()),
    ]  # fmt: skip
    return "\n".join(lines)


def _keys(numbers: dict[str, float]) -> dict[str, float]:
    """The figures with names usable in format strings."""
    return {name.replace(" ", "_"): value for name, value in numbers.items()}


def main() -> int:
    """Measure both sides and print the targets table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE_REVISION, help="git revision")
    parser.add_argument("--duration", type=int, default=30, help="seconds per level")
    parser.add_argument("--open-messages", type=int, default=10_000)
    parser.add_argument(
        "--write", action="store_true", help="write into docs/performance.md"
    )
    args = parser.parse_args()

    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    before_root = before_checkout(args.before)
    before = Side(before_root.name.removeprefix("before-"), before_root)
    after = Side(head + ("" if _clean() else " + changes"), ROOT)
    sides = (before, after)
    for side in sides:
        read_startup(side, side.run("bench_startup.py"))
    from bot.evaluation.personas import load_personas

    warm_up = len(load_personas())
    one_instance = (
        "--concurrency", "1", "20", "--duration", str(args.duration),
        "--open-rate", "20", "--open-messages", str(args.open_messages),
    )  # fmt: skip
    for side in sides:
        read_load(side, side.run("bench_load.py", *one_instance), warm_up)
    two_instances = (
        "--instances", "2", "--concurrency", "20", "--duration", str(args.duration),
        "--open-messages", "0",
    )  # fmt: skip
    for side in sides:
        read_cluster(side, side.run("bench_load.py", *two_instances))
    command = "python benchmarks/bench_targets.py " + " ".join(sys.argv[1:])
    figures = (
        targets_table(before, after, command.strip())
        + "\n\n"
        + profile_after(args.duration)
    )
    print(figures)
    if args.write:
        write_block(ROOT / "docs" / "performance.md", "targets", figures)
    return 0


def _clean() -> bool:
    """True when this checkout has no uncommitted change to tracked files."""
    return (
        subprocess.run(
            ["git", "diff", "--quiet", "HEAD"], cwd=ROOT, check=False
        ).returncode
        == 0
    )


if __name__ == "__main__":
    sys.exit(main())
