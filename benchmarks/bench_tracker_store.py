"""CPU time of the SQL tracker store per message: two reads and one save.

Usage: ``.venv/bin/python benchmarks/bench_tracker_store.py [--conversations 20]
[--turns 10]``. Plays ``--conversations`` conversations of ``--turns`` turns on a
temporary SQLite store with the project's domain, as the Rasa server does for each
message: read the conversation (the processor), add one turn's events (a message with
its full NLU result, a slot, a custom action, the bot's question, listen), save, read
again (the public REST channel). Made-up events, shaped like the real ones. The
patches of ``bot.rasa_patches`` that concern the store are installed as the server
does; ``SPRO_RASA_PATCHES_OFF=tracker_cache`` measures Rasa's way of reading.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def turn(slot: str, n: int, at: float) -> list[Any]:
    """One turn's events, with an NLU result as DIET gives it."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    text = f"j'ai {20 + n} ans et je cherche un emploi"
    parse_data = {
        "intent": {"name": "inform", "confidence": 0.93},
        "entities": [
            {
                "entity": "age",
                "value": str(20 + n),
                "start": 5,
                "end": 7,
                "extractor": "DIETClassifier",
                "confidence_entity": 0.99,
            }
        ],
        "text": text,
        "message_id": f"m{n}",
        "metadata": {"region": "centre-val-de-loire"},
        "intent_ranking": [
            {"name": f"intent_{k}", "confidence": 0.01} for k in range(10)
        ],
    }
    return [
        UserUttered(
            text,
            parse_data["intent"],
            parse_data["entities"],
            parse_data,
            timestamp=at,
            input_channel="rest",
        ),
        ActionExecuted("action_validate_slot_mappings", timestamp=at + 0.01),
        SlotSet(slot, "oui", timestamp=at + 0.02),
        ActionExecuted("action_ask_situation", timestamp=at + 0.03),
        BotUttered(
            "Quelle est votre situation aujourd'hui ?",
            {"buttons": [{"title": "En emploi", "payload": "/inform"}] * 3},
            {"utter_action": "utter_ask_situation"},
            timestamp=at + 0.04,
        ),
        ActionExecuted("action_listen", timestamp=at + 0.05),
    ]


async def run(conversations: int, turns: int) -> tuple[float, int]:
    """CPU ms per message, and events per conversation at the end."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_patches import event_types, tracker_cache, tracker_store

    for patch in (tracker_store, tracker_cache, event_types):
        patch.install()
    domain = Domain.load(ROOT / "domain.yml")
    slots = [slot.name for slot in domain.slots if slot.type_name == "text"]
    with tempfile.TemporaryDirectory() as work:
        store = SQLTrackerStore(domain, dialect="sqlite", db=f"{work}/t.sqlite3")
        for c in range(conversations):
            start = [
                ActionExecuted("action_session_start", timestamp=1000.0),
                SessionStarted(timestamp=1000.001),
                ActionExecuted("action_listen", timestamp=1000.002),
            ]
            await store.save(
                DialogueStateTracker.from_events(f"c{c}", start, domain.slots)
            )
        cpu = time.process_time()
        for n in range(turns):
            for c in range(conversations):
                tracker = await store.retrieve(f"c{c}")
                for event in turn(slots[n % len(slots)], n, 1001.0 + n):
                    tracker.update(event)
                await store.save(tracker)
                tracker = await store.retrieve(f"c{c}")
        cpu = time.process_time() - cpu
    return 1000 * cpu / (turns * conversations), len(tracker.events)


def main() -> None:
    """Print the CPU time per message."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args()
    per_message, events = asyncio.run(run(args.conversations, args.turns))
    print(
        f"{per_message:.2f} ms of CPU per message (two reads, one save), "
        f"{events} events per conversation at the end"
    )


if __name__ == "__main__":
    main()
