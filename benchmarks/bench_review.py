"""Benchmark of the review inbox page: how long staff wait with a full tracker store.

Run: ``.venv/bin/python benchmarks/bench_review.py [--days 365 --per-day 200]``.
Fills a temporary SQLite tracker store (Rasa's own ``events`` table, rows made by
Rasa's events) with ``per-day`` conversations a day for ``days`` days (one in five
has a misunderstood or unsure message, as the review inbox proposes), then times:

- the inbox's derivation (``bot.review.inbox_derivation.derive_inbox``): the first
  run over the whole store, a run after one more day of conversations (what the
  periodic derivation does), a run with nothing new;
- the page as its route runs it: the derivation of what is new, the query
  (``bot.review.inbox.inbox``) and the HTML, for the default 30 days and for the whole
  period; and the page with one conversation opened.

``--postgresql`` does the same on a temporary database of the PostgreSQL server of
127.0.0.1:5432. ``--write`` puts the figures in docs/review.md's ``review`` (or
``review-postgresql``) block. The tracker keeps
30 days by default (retention): a year is the worst case, with
``SPRO_CONVERSATION_RETENTION_DAYS=365``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.advisers.accounts import Adviser  # noqa: E402
from bot.reports import write_block  # noqa: E402
from bot.review.inbox import Inbox, InboxFilters, inbox  # noqa: E402
from bot.review.inbox_derivation import derive_inbox  # noqa: E402
from bot.review.labelling import sheets  # noqa: E402
from channels.dashboard.review_pages import GateState, inbox_html  # noqa: E402

PHRASES = [
    ("g pa de boulo a dreux", "nlu_fallback", 0.3),
    ("c koi le cep", "ask_info", 0.52),
    ("je veux faire un truc avec les animaux", "inform", 0.61),
    ("kestion de la meteo", "nlu_fallback", 0.2),
    ("mon fils il sait pas quoi faire apres la 3e", "inform", 0.66),
]
PG = ("127.0.0.1", 5432)
USER = Adviser("rlefevre", "Rémi Lefèvre", "", role="pilotage")
TITLES = sheets()


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


@contextmanager
def tracker_store(postgresql: bool) -> Iterator[str]:
    """An empty tracker store with Rasa's tables; its URL.

    A temporary SQLite file, or a temporary database of the PostgreSQL server of
    127.0.0.1:5432.
    """
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    if not postgresql:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "tracker.sqlite3"
            SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
            yield f"sqlite:///{path}"
        return
    import psycopg2

    name = f"spro_bench_review_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        store = SQLTrackerStore(
            Domain.empty(),
            dialect="postgresql",
            host=PG[0],
            port=PG[1],
            db=name,
            username="postgres",
        )
        store.engine.dispose()
        yield f"postgresql://postgres@{PG[0]}:{PG[1]}/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def fill(url: str, days: int, per_day: int, first_day: int = 1) -> float:
    """Write the conversations, ``first_day`` days ago and before; the seconds."""
    from sqlalchemy import MetaData, Table, create_engine

    engine = create_engine(url, future=True)
    events = Table("events", MetaData(), autoload_with=engine)
    rng = random.Random(7 + first_day)
    started = time.perf_counter()
    today = time.time()
    with engine.begin() as connection:
        for day in range(first_day, first_day + days):
            rows = []
            for number in range(per_day):
                at = today - day * 86_400 - rng.random() * 80_000
                rows += conversation_rows(f"c-{day}-{number}", at, rng)
            connection.execute(events.insert(), rows)
    engine.dispose()
    return time.perf_counter() - started


def timed(action: Callable[[], object]) -> float:
    """Milliseconds ``action`` took."""
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 of ``samples``."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def page_load(url: str, filters: InboxFilters, opened: int = 0) -> Inbox:
    """What the page's route does: derive what is new, read a page, draw it."""
    derive_inbox(url)
    found = inbox(url, filters, opened=opened)
    inbox_html(USER, filters, found, TITLES, GateState())
    return found


def main() -> None:
    """Fill, time, print (and write) the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--write", action="store_true")
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="a PostgreSQL tracker store (127.0.0.1:5432, user postgres)",
    )
    args = parser.parse_args()
    load = os.getloadavg()[0]
    kind = "PostgreSQL" if args.postgresql else "SQLite"
    with tracker_store(args.postgresql) as url:
        seconds = fill(url, args.days, args.per_day)
        today = date.today()
        first = timed(lambda: derive_inbox(url))
        fill(url, 1, args.per_day, first_day=0)  # one more day, up to now
        day_more = timed(lambda: derive_inbox(url))
        idle = percentiles(
            [timed(lambda: derive_inbox(url)) for _ in range(args.repeat)]
        )
        lines = [
            f"Measured on {today.isoformat()} with `benchmarks/bench_review.py "
            f"--days {args.days} --per-day {args.per_day}"
            f"{' --postgresql' if args.postgresql else ''}`: "
            f"{args.days * args.per_day:,} conversations in a {kind} tracker store "
            f"(written in {seconds:.0f} s), then one more day's {args.per_day}; "
            f"{args.repeat} page loads each; load average {load:.1f} on "
            f"{os.cpu_count()} cores at the start.",
            "",
            "| Derivation of the inbox (`derive_inbox`) | time |",
            "|---|---:|",
            f"| first run: the {args.days} days | {first / 1000:,.1f} s |",
            f"| next run: one more day ({args.per_day} conversations) "
            f"| {day_more:,.0f} ms |",
            f"| a run with nothing new (p50 / p95) | {idle[0]:,.0f} / "
            f"{idle[1]:,.0f} ms |",
            "",
            "| Inbox page (derive what is new, query, HTML) | p50 | p95 |",
            "|---|---:|---:|",
        ]
        for name, start in (
            ("last 30 days (default)", today - timedelta(days=30)),
            (f"last {args.days} days", today - timedelta(days=args.days)),
        ):
            filters = InboxFilters(start, today)
            samples = [
                timed(lambda: page_load(url, filters)) for _ in range(args.repeat)
            ]
            p50, p95 = percentiles(samples)
            lines.append(f"| {name} | {p50:,.0f} ms | {p95:,.0f} ms |")
        filters = InboxFilters(today - timedelta(days=args.days), today)
        opened = page_load(url, filters).groups[0].first
        p50, p95 = percentiles(
            [timed(lambda: page_load(url, filters, opened)) for _ in range(args.repeat)]
        )
        lines.append(
            f"| last {args.days} days, one conversation opened | {p50:,.0f} ms "
            f"| {p95:,.0f} ms |"
        )
    text = "\n".join(lines)
    print(text)
    if args.write:
        root = Path(__file__).resolve().parent.parent
        block = "review-postgresql" if args.postgresql else "review"
        write_block(root / "docs" / "review.md", block, text)


if __name__ == "__main__":
    main()
