"""Throughput and latency under load: whole conversations, many at once.

Usage: ``.venv/bin/python benchmarks/bench_load.py [--concurrency 1 5 20 50]
[--duration 30] [--open-rate 20] [--open-messages 1200] [--think 10] [--instances 1]
[--kill-one] [--write]`` (``make bench`` writes).

Starts the real servers on free ports, as ``make run`` does (one Rasa instance with its
SQLite tracker store and one action server), or with ``--instances N`` the cluster of
``python -m bot.runtime.cluster`` (HAProxy in front of N Rasa instances, PostgreSQL tracker
store, Redis lock store). Each simulated person plays a whole scripted conversation:
a greeting, one of the personas of ``tests/e2e/personas.yml`` answering the assistant's
questions until the orientation arrives, then thanks and goodbye.

- Closed loop: N people at once, each sending its next message as soon as the answer
  arrives, for ``--duration`` seconds per level.
- Open loop: messages arrive as a Poisson process at ``--open-rate`` per second, each
  from one of ``rate x think`` people (200 people thinking 10 s between messages by
  default), whatever the latency; ``--open-messages`` messages in all.
- ``--kill-one`` (with ``--instances 2`` or more): a closed-loop run of
  ``--kill-conversations`` conversations during which one Rasa instance is killed
  (SIGKILL) a third of the way through; then every conversation's tracker is checked in
  PostgreSQL (all its messages there, once each, in order).
  A conversation stops at its first error; the message that failed may or may not
  have been handled (an instance killed after saving it, before answering), so it
  may be stored once at the end of the conversation, never twice.

Reports messages/s, p50/p95/p99 latency, errors, conversations routed as the persona
expects, and the RSS of each server process before and after. Prints a Markdown table;
``--write`` also puts it in docs/performance.md's ``load`` block.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_startup import percentile, rss_mb  # noqa: E402

from bot.evaluation.personas import (  # noqa: E402
    PersonaResult,
    load_personas,
    persona_answers,
    read_answer,
)
from bot.runtime.launcher import Stack, ensure_model, free_port, write_endpoints  # noqa: E402
from bot.reports import write_block  # noqa: E402
from channels.rate_limits import UNLIMITED  # noqa: E402

REQUEST_TIMEOUT_SECONDS = 120.0


@dataclass
class Conversation:
    """One person's scripted talk: greeting, persona until orientation, thanks, bye."""

    persona: dict[str, Any]
    sender: str = ""  # issued by the server before the first message
    stage: str = "greet"
    text: str | None = "Bonjour"
    result: PersonaResult | None = None
    sent: list[str] = field(default_factory=list)
    failed: str | None = None
    _answers: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Start the persona's result and answers."""
        self.result = PersonaResult(
            id=self.persona["id"], expected=self.persona["expect"]
        )
        self._answers = persona_answers(self.persona)

    @property
    def done(self) -> bool:
        """True when the person has nothing more to say."""
        return self.text is None

    def answered(self, messages: list[dict[str, Any]]) -> None:
        """Read the assistant's answer to ``self.text`` and choose the next message."""
        assert self.result is not None and self.text is not None
        self.sent.append(self.text)
        if self.stage == "greet":
            self.stage, self.text = "persona", self.persona["first"]
            return
        if self.stage == "persona":
            self.result.turns += 1
            self.text = read_answer(self.persona, self._answers, self.result, messages)
            if self.text is None:
                self.stage, self.text = "thanks", "merci beaucoup"
            return
        if self.stage == "thanks":
            self.stage, self.text = "bye", "au revoir"
            return
        self.stage, self.text = "done", None

    @property
    def routed_as_expected(self) -> bool:
        """The orientation is the one the persona expects."""
        return self.result is not None and not self.result.problems()


@dataclass
class Run:
    """What one load level measured."""

    label: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: Counter[str] = field(default_factory=Counter)
    conversations: list[Conversation] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Answered messages per second."""
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        """One line of the Markdown table."""
        finished = [c for c in self.conversations if c.done]
        routed = sum(c.routed_as_expected for c in finished)
        lat = self.latencies_ms or [0.0]
        answered = max(1, len(self.latencies_ms))
        cpu = " / ".join(
            f"{seconds * 1000 / answered:.1f}" for seconds in self.cpu_seconds.values()
        )
        return (
            f"| {self.label} | {self.rate:.1f} | {statistics.median(lat):.0f} ms "
            f"| {percentile(lat, 0.95):.0f} ms | {percentile(lat, 0.99):.0f} ms "
            f"| {self.errors} / {len(self.latencies_ms) + self.errors} "
            f"| {routed} / {len(finished)} | {cpu} |"
        )


class Personas:
    """Personas handed out in turn, so every level plays the same varied mix."""

    def __init__(self) -> None:
        """Cycle through the personas of tests/e2e/personas.yml."""
        self._cycle = itertools.cycle(load_personas())

    def conversation(self) -> Conversation:
        """A new conversation with the next persona."""
        return Conversation(next(self._cycle))


async def send(
    session: aiohttp.ClientSession, url: str, conversation: Conversation, run: Run
) -> bool:
    """Send the conversation's next message; record latency or error; False on error."""
    assert conversation.text is not None
    started = time.perf_counter()
    status = "no answer"
    try:
        if not conversation.sender:  # the public REST channel issues conversation ids
            base = url.rsplit("/webhooks/", 1)[0]
            async with session.post(f"{base}/webhooks/rest/conversations") as issued:
                status = f"HTTP {issued.status} (id)"
                conversation.sender = (await issued.json(content_type=None))["sender"]
            started = time.perf_counter()
        async with session.post(
            url, json={"sender": conversation.sender, "message": conversation.text}
        ) as answer:
            status = f"HTTP {answer.status}"
            body = await answer.json(content_type=None)
            ok = answer.status == 200 and isinstance(body, list)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError, TypeError) as error:
        ok, body, status = False, None, f"{status}, {type(error).__name__}"
    if not ok:
        run.errors += 1
        run.error_kinds[status] += 1
        conversation.failed = conversation.text
        return False
    run.latencies_ms.append((time.perf_counter() - started) * 1000)
    conversation.answered(body)
    return True


def client_session(connections: int) -> aiohttp.ClientSession:
    """An HTTP client with enough connections for every simulated person."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections + 10),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS),
    )


async def closed_loop(
    url: str,
    people: int,
    seconds: float,
    personas: Personas,
    max_conversations: int | None = None,
    midway: Any = None,
) -> Run:
    """``people`` persons at once, each sending its next message as soon as answered."""
    run = Run(f"closed loop, {people} at once")
    deadline = time.monotonic() + seconds
    started_conversations = itertools.count()
    midway_at = max_conversations // 3 if max_conversations else None

    async def person(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            number = next(started_conversations)
            if max_conversations is not None and number >= max_conversations:
                return
            if midway is not None and number == midway_at:
                midway()
            conversation = personas.conversation()
            run.conversations.append(conversation)
            while not conversation.done:
                if not await send(session, url, conversation, run):
                    break

    async with client_session(people) as session:
        started = time.perf_counter()
        await asyncio.gather(*(person(session) for _ in range(people)))
        run.seconds = time.perf_counter() - started
    return run


async def open_loop(
    url: str,
    rate: float,
    messages: int,
    think_seconds: float,
    personas: Personas,
    seed: int = 7,
) -> Run:
    """Poisson arrivals at ``rate`` messages/s from ``rate * think`` thinking people."""
    people = max(1, round(rate * think_seconds))
    run = Run(f"open loop, {rate:g} msg/s, {people} people")
    rng = random.Random(seed)
    ready = [personas.conversation() for _ in range(people)]
    run.conversations.extend(ready)
    pending: set[asyncio.Task[None]] = set()

    async def one_message(
        session: aiohttp.ClientSession, conversation: Conversation
    ) -> None:
        if await send(session, url, conversation, run) and not conversation.done:
            ready.append(conversation)
            return
        fresh = personas.conversation()
        run.conversations.append(fresh)
        ready.append(fresh)

    async with client_session(people) as session:
        started = time.perf_counter()
        next_at = started
        for _ in range(messages):
            next_at += rng.expovariate(rate)
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            if not ready:  # every person is waiting for an answer: one more arrives
                ready.append(personas.conversation())
                run.conversations.append(ready[-1])
            conversation = ready.pop(rng.randrange(len(ready)))
            task = asyncio.create_task(one_message(session, conversation))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
        run.seconds = time.perf_counter() - started
    return run


@dataclass
class Target:
    """The servers under test: where to send, processes to watch, how to kill one."""

    url: str
    processes: dict[str, int]
    kill_one: Any = None
    check_trackers: Any = None

    def rss(self) -> dict[str, float]:
        """RSS in MB of each watched process (with its children)."""
        return {name: rss_mb(pid) for name, pid in self.processes.items()}

    def cpu(self) -> dict[str, float]:
        """CPU seconds (user + system) used so far by each watched process."""
        return {name: cpu_seconds(pid) for name, pid in self.processes.items()}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, in seconds (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measured(target: Target, load: Any) -> Run:
    """Run one load level and record the CPU time each server process spent on it."""
    before = target.cpu()
    run = await load
    after = target.cpu()
    run.cpu_seconds = {
        name: max(0.0, after.get(name, 0.0) - before[name]) for name in before
    }
    return run


def sqlite_user_texts(database: Path, senders: list[str]) -> dict[str, list[str]]:
    """The user messages of ``senders`` in a SQLite tracker store, in saved order."""
    wanted, stored = set(senders), {}
    with contextlib.closing(sqlite3.connect(database)) as connection:
        for sender, data in connection.execute(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id"
        ):
            if sender in wanted:
                stored.setdefault(sender, []).append(json.loads(data).get("text"))
    return stored


@contextlib.contextmanager
def single_stack(model: Path, work: Path) -> Iterator[Target]:
    """One Rasa instance and one action server, as ``make run`` starts them."""
    from bot.knowledge.store import load_directory

    load_directory(url=f"sqlite:///{work / 'knowledge.sqlite3'}")
    actions_port, rasa_port = free_port(), free_port()
    stack = Stack(
        model=model,
        rasa_port=rasa_port,
        actions_port=actions_port,
        endpoints=write_endpoints(
            work / "endpoints.yml", actions_port, work / "tracker.sqlite3"
        ),
        log_dir=work,
        extra_env={"SPRO_VAR_DIR": str(work)},
    )
    stack.start()
    try:
        stack.wait_ready(timeout=300)
        assert stack.rasa and stack.actions
        yield Target(
            f"{stack.url}/webhooks/rest/webhook",
            {"rasa": stack.rasa.pid, "actions": stack.actions.pid},
            check_trackers=lambda senders: sqlite_user_texts(
                work / "tracker.sqlite3", senders
            ),
        )
    finally:
        stack.stop()


@contextlib.contextmanager
def cluster_target(model: Path, work: Path, instances: int) -> Iterator[Target]:
    """HAProxy in front of ``instances`` Rasa instances on PostgreSQL and Redis."""
    from bot.runtime.cluster import Cluster, tracker_user_texts

    with Cluster.temporary(model=model, instances=instances, work=work) as cluster:
        processes = {"haproxy": cluster.haproxy_pid}
        for index, stack in enumerate(cluster.stacks):
            assert stack.rasa and stack.actions
            processes[f"rasa {index + 1}"] = stack.rasa.pid
            processes[f"actions {index + 1}"] = stack.actions.pid

        def kill_one() -> None:
            victim = cluster.stacks[-1].rasa
            assert victim is not None
            print(
                f"killing Rasa instance {len(cluster.stacks)} (pid {victim.pid})",
                flush=True,
            )
            os.kill(victim.pid, signal.SIGKILL)
            processes.pop(f"rasa {len(cluster.stacks)}", None)

        yield Target(
            f"{cluster.url}/webhooks/rest/webhook",
            processes,
            kill_one,
            lambda senders: tracker_user_texts(cluster.database_url, senders),
        )


def tracker_problems(run: Run, stored: dict[str, list[str]]) -> list[str]:
    """Conversations whose stored user messages are not the ones answered, in order.

    A conversation stopped by an error may also have its failed message stored once,
    after the answered ones (handled, but the answer never came back).
    """
    problems = []
    for conversation in run.conversations:
        found = stored.get(conversation.sender, [])
        allowed = [conversation.sent]
        if conversation.failed is not None:
            allowed.append([*conversation.sent, conversation.failed])
        if found not in allowed:
            problems.append(
                f"{conversation.sender}: answered {conversation.sent}, "
                f"failed {conversation.failed!r}, stored {found}"
            )
    return problems


def table(
    runs: list[Run],
    rss_before: dict[str, float],
    rss_after: dict[str, float],
    setup: str,
    command: str,
) -> str:
    """The Markdown figures."""
    load = os.getloadavg()[0]
    lines = [
        f"Measured on {date.today():%Y-%m-%d} with `{command}` ({setup}); "
        f"machine load average at the end: {load:.1f} on {os.cpu_count()} cores.",
        "",
        "| load | messages/s | p50 | p95 | p99 | errors | routed as expected "
        f"| CPU ms per message ({' / '.join(runs[0].cpu_seconds)}) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *(run.row() for run in runs),
        "",
        "| process | RSS before | RSS after |",
        "|---|---:|---:|",
        *(
            f"| {name} | {rss_before[name]:.0f} MB | {rss_after.get(name, 0):.0f} MB |"
            for name in rss_before
        ),
    ]
    return "\n".join(lines)


async def measure(target: Target, args: argparse.Namespace) -> list[Run]:
    """Every load level of the command line, one after the other."""
    personas = Personas()
    runs = []
    # Warm-up: every persona once; first-call costs (gazetteer, caches) not measured.
    await closed_loop(
        target.url, 4, 600, personas, max_conversations=len(load_personas())
    )
    for people in args.concurrency:
        runs.append(
            await measured(
                target, closed_loop(target.url, people, args.duration, personas)
            )
        )
        print(runs[-1].row(), dict(runs[-1].error_kinds), flush=True)
    if args.open_messages:
        runs.append(
            await measured(
                target,
                open_loop(
                    target.url, args.open_rate, args.open_messages, args.think, personas
                ),
            )
        )
        print(runs[-1].row(), dict(runs[-1].error_kinds), flush=True)
    if args.kill_one:
        run = await measured(
            target,
            closed_loop(
                target.url,
                args.kill_people,
                3600,
                personas,
                max_conversations=args.kill_conversations,
                midway=target.kill_one,
            ),
        )
        run.label = (
            f"{args.kill_conversations} conversations, {args.kill_people} at once, "
            "one instance killed"
        )
        problems = tracker_problems(
            run, target.check_trackers([c.sender for c in run.conversations])
        )
        run.label += f" ({len(problems)} conversations lost or duplicated)"
        for problem in problems[:10]:
            print("  ", problem)
        runs.append(run)
        print(runs[-1].row(), dict(runs[-1].error_kinds), flush=True)
    return runs


def main() -> int:
    """Run the benchmark and print the table."""
    # The load comes from one address: the flood limits would refuse it.
    os.environ.setdefault("SPRO_RATE_LIMITS", UNLIMITED)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 5, 20, 50])
    parser.add_argument(
        "--duration", type=float, default=30.0, help="seconds per closed-loop level"
    )
    parser.add_argument(
        "--open-rate", type=float, default=20.0, help="messages per second"
    )
    parser.add_argument(
        "--open-messages", type=int, default=1200, help="0: no open loop"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=10.0,
        help="mean seconds between two messages of a person",
    )
    parser.add_argument("--instances", type=int, default=1, help="2+: HAProxy cluster")
    parser.add_argument(
        "--kill-one", action="store_true", help="kill one instance during a run"
    )
    parser.add_argument("--kill-conversations", type=int, default=1000)
    parser.add_argument("--kill-people", type=int, default=20)
    parser.add_argument(
        "--write", action="store_true", help="write the table into docs/performance.md"
    )
    args = parser.parse_args()
    if args.kill_one and args.instances < 2:
        parser.error("--kill-one needs --instances 2 or more")

    model = ensure_model()
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        starting = (
            cluster_target(model, work, args.instances)
            if args.instances > 1
            else single_stack(model, work)
        )
        with starting as target:
            rss_before = target.rss()
            runs = asyncio.run(measure(target, args))
            rss_after = target.rss()
    setup = (
        "one Rasa instance + action server, SQLite tracker store"
        if args.instances == 1
        else f"HAProxy + {args.instances} Rasa instances, PostgreSQL + Redis"
    )
    command = "python benchmarks/bench_load.py " + " ".join(sys.argv[1:])
    figures = table(runs, rss_before, rss_after, setup, command.strip())
    print(figures)
    if args.write:
        block = "load" if args.instances == 1 else "load-cluster"
        write_block(ROOT / "docs" / "performance.md", block, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
