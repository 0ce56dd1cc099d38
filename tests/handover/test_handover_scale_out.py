"""Twenty simultaneous hand-overs across two Rasa instances sharing PostgreSQL and Redis.

The people talk to the first instance, the advisers to the second: the queue, the
messages and the sessions go only through the database. No message may be lost. Timing
is measured by benchmarks/bench_handover.py, not here. Skipped when PostgreSQL or Redis
does not answer on 127.0.0.1 (the load balancer of deploy/ is not needed for this).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from benchmarks.bench_handover import (
    PG,
    REDIS,
    drop_database,
    reachable,
    run_handovers,
    start_instances,
)

pytestmark = pytest.mark.e2e


def test_twenty_hand_overs_across_two_instances(
    trained_model: Path, tmp_path: Path
) -> None:
    if not (reachable(PG) and reachable(REDIS)):
        pytest.skip(
            "PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 are needed"
        )
    stacks, _, database = start_instances(tmp_path, 20)
    assert len(stacks) == 2
    try:
        for stack in stacks:
            stack.start()
        for stack in stacks:
            stack.wait_ready(timeout=300)
        outcome = asyncio.run(run_handovers(stacks[0].url, stacks[1].url, 20, 3))
    finally:
        for stack in stacks:
            stack.stop()
        drop_database(database)
    assert outcome.conversations_done == 20
    assert outcome.adviser_messages_lost == 0 and outcome.person_messages_lost == 0
    assert len(outcome.latencies_ms) == 60
