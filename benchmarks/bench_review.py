"""Benchmark of the review inbox page: how long staff wait with a full tracker store.

Run: ``.venv/bin/python benchmarks/bench_review.py [--days 365 --per-day 200]``.
Fills a temporary SQLite tracker store (Rasa's own ``events`` table, rows made by
Rasa's events) with ``per-day`` conversations a day for ``days`` days (one in five
has a misunderstood or unsure message, as the review inbox proposes), then times what
the page does (``bot.review.inbox.inbox`` and the HTML) for the default 30 days and
for the whole year. ``--write`` puts the figures in docs/review.md's ``review``
block. The tracker keeps 30 days by default (retention): a year is the worst case,
with ``SPRO_CONVERSATION_RETENTION_DAYS=365``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.advisers.accounts import Adviser  # noqa: E402
from bot.reports import write_block  # noqa: E402
from bot.review.inbox import InboxFilters, inbox  # noqa: E402
from bot.review.labelling import sheets  # noqa: E402
from channels.dashboard.review_pages import GateState, inbox_html  # noqa: E402

PHRASES = [
    ("g pa de boulo a dreux", "nlu_fallback", 0.3),
    ("c koi le cep", "ask_info", 0.52),
    ("je veux faire un truc avec les animaux", "inform", 0.61),
    ("kestion de la meteo", "nlu_fallback", 0.2),
    ("mon fils il sait pas quoi faire apres la 3e", "inform", 0.66),
]


def conversation_rows(sender: str, at: float, rng: random.Random) -> list[dict]:
    """The events of one conversation, as Rasa stores them."""
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        SlotSet,
        UserUttered,
    )

    text, intent, confidence = (
        rng.choice(PHRASES)
        if rng.random() < 0.2
        else ("je cherche un emploi", "inform", 0.97)
    )
    events = [
        ActionExecuted("action_session_start", timestamp=at),
        UserUttered("bonjour", {"name": "greet", "confidence": 0.99}, timestamp=at + 1),
        BotUttered("Bonjour ! Que cherchez-vous ?", timestamp=at + 2),
        UserUttered(
            f"{text} {rng.randint(1, 50)}",
            {"name": intent, "confidence": confidence},
            timestamp=at + 3,
            input_channel="webchat",
        ),
        BotUttered(
            "Je n'ai pas bien compris : pouvez-vous reformuler ?", timestamp=at + 4
        ),
        SlotSet("commune_insee", "28134", timestamp=at + 4),
    ]
    return [
        {
            "sender_id": sender,
            "type_name": event.type_name,
            "timestamp": event.timestamp,
            "intent_name": getattr(event, "intent_name", None),
            "action_name": getattr(event, "action_name", None),
            "data": json.dumps(event.as_dict()),
        }
        for event in events
    ]


def fill(url: str, days: int, per_day: int) -> float:
    """Write the conversations; the seconds it took."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from sqlalchemy import MetaData, Table, create_engine

    SQLTrackerStore(Domain.empty(), dialect="sqlite", db=url.split("///", 1)[1])
    engine = create_engine(url, future=True)
    events = Table("events", MetaData(), autoload_with=engine)
    rng = random.Random(7)
    started = time.perf_counter()
    today = time.time()
    with engine.begin() as connection:
        for day in range(days):
            rows = []
            for number in range(per_day):
                at = today - (day + 1) * 86_400 + rng.random() * 80_000
                rows += conversation_rows(f"c-{day}-{number}", at, rng)
            connection.execute(events.insert(), rows)
    engine.dispose()
    return time.perf_counter() - started


def page_timings(url: str, filters: InboxFilters, repeat: int) -> tuple[float, float]:
    """p50 and p95 (ms) of the inbox page: read, group, draw."""
    user = Adviser("rlefevre", "Rémi Lefèvre", "", role="pilotage")
    titles = sheets()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        found = inbox(url, filters)
        inbox_html(user, filters, found, titles, GateState())
        samples.append(time.perf_counter() - started)
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[
        int(0.95 * (len(ordered) - 1))
    ] * 1000


def main() -> None:
    """Fill, time, print (and write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'tracker.sqlite3'}"
        seconds = fill(url, args.days, args.per_day)
        today = date.today()
        lines = [
            f"Measured on {today.isoformat()} with `benchmarks/bench_review.py "
            f"--days {args.days} --per-day {args.per_day}`: "
            f"{args.days * args.per_day:,} conversations in a SQLite tracker store "
            f"(written in {seconds:.0f} s), {args.repeat} page loads each.",
            "",
            "| Inbox page (read, group, HTML) | p50 | p95 |",
            "|---|---:|---:|",
        ]
        for name, start in (
            ("last 30 days (default)", today - timedelta(days=30)),
            (f"last {args.days} days", today - timedelta(days=args.days)),
        ):
            p50, p95 = page_timings(url, InboxFilters(start, today), args.repeat)
            lines.append(f"| {name} | {p50:,.0f} ms | {p95:,.0f} ms |")
    text = "\n".join(lines)
    print(text)
    if args.write:
        root = Path(__file__).resolve().parent.parent
        write_block(root / "docs" / "review.md", "review", text)


if __name__ == "__main__":
    main()
