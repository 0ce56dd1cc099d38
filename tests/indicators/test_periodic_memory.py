"""The periodic derivation gives the memory it freed back (bot/indicators/periodic.py)."""

from __future__ import annotations

import threading

from bot.indicators.periodic import release_free_memory

BUFFERS = 4000
BUFFER_BYTES = 32 * 1024


def resident_mb() -> float:
    """This process's resident memory, in MB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6


def test_memory_freed_in_a_worker_thread_goes_back_to_the_system() -> None:
    kept: list[bytearray] = []

    def peak() -> None:
        # 128 MB in a worker thread, as a derivation reads conversations; one buffer in
        # ten stays, so the freed pages lie between used ones and stay resident.
        buffers = [bytearray(BUFFER_BYTES) for _ in range(BUFFERS)]
        kept.extend(buffers[::10])

    worker = threading.Thread(target=peak)
    worker.start()
    worker.join()
    before = resident_mb()
    assert release_free_memory()
    after = resident_mb()
    freed = BUFFERS * BUFFER_BYTES * 0.9 / 1e6
    assert before - after > freed / 2, (before, after)
    assert len(kept) == BUFFERS // 10
