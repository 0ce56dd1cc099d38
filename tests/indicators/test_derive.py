"""Records derived from Rasa's SQL tracker store, kept when conversations are purged."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select

from bot.indicators.derive import Session, derive_indicators, record_from_session
from bot.indicators.store import IndicatorStore, records_table
from bot.runtime.conversation_retention import purge_conversations
from tests.indicators.conftest import race

DAY = 86_400.0
NOW = time.time()
ORIENTATION = {
    "type": "orientation",
    "public": "jeune_16_25",
    "need": "emploi",
    "network": "mission_locale",
    "also": None,
    "commune": {"insee": "28134", "name": "Dreux", "postcode": "28100"},
    "structures": [
        {"id": "ml-dreux", "network": "mission_locale", "name": "Mission locale"}
    ],
    "remote": [],
}


def user(
    text: str, at: float, channel: str = "webchat", **metadata: str
) -> UserUttered:
    """A message of the person, on ``channel``, with optional metadata."""
    return UserUttered(
        text,
        {"name": "inform", "confidence": 1.0},
        timestamp=at,
        input_channel=channel,
        metadata=metadata or None,
    )


def oriented_in_dreux(at: float) -> list[Event]:
    """Two messages, an orientation with a local structure, then « Oui »."""
    return [
        ActionExecuted("action_session_start", timestamp=at - 2),
        ActionExecuted("action_listen", timestamp=at - 1),
        user("jcherche du taf j'ai 20 ans", at),
        SlotSet("public", "jeune_16_25", timestamp=at),
        SlotSet("requested_slot", "commune_insee", timestamp=at + 1),
        user("Dreux", at + 20),
        SlotSet("commune_insee", "28134", timestamp=at + 21),
        SlotSet("requested_slot", None, timestamp=at + 21),
        ActionExecuted("action_present_orientation", timestamp=at + 22),
        BotUttered(None, {"custom": ORIENTATION}, timestamp=at + 22),
        SlotSet("feedback_asked", True, timestamp=at + 22),
        user("/give_feedback", at + 40),
        ActionExecuted("action_record_feedback", timestamp=at + 41),
        SlotSet("feedback", "oui", timestamp=at + 41),
    ]


def abandoned_at_the_age(at: float) -> list[Event]:
    """One message, then the age question left unanswered."""
    return [
        ActionExecuted("action_session_start", timestamp=at - 2),
        user("je veux changer de métier", at, channel="rest", region="24"),
        SlotSet("need", "reconversion", timestamp=at),
        SlotSet("requested_slot", "age", timestamp=at + 1),
    ]


async def save(store: SQLTrackerStore, sender: str, events: list[Event]) -> None:
    """Store a conversation in the tracker store."""
    await store.save(DialogueStateTracker.from_events(sender, events))


async def test_one_record_per_session_with_codes_only(tmp_path: Path) -> None:
    """One record per session with codes only."""
    tracker = SQLTrackerStore(
        Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.sqlite3")
    )
    long_ago = NOW - 3 * DAY
    await save(tracker, "person-a", oriented_in_dreux(long_ago))
    # Same person, a second session two hours later: slots carried over, no new
    # orientation.
    later = long_ago + 2 * 3600
    await save(
        tracker,
        "person-a",
        [
            *oriented_in_dreux(long_ago),
            ActionExecuted("action_session_start", timestamp=later - 1),
            SlotSet("public", "jeune_16_25", timestamp=later - 1),
            SlotSet("feedback", "oui", timestamp=later - 1),
            user("c'est quoi le CEP ?", later),
            ActionExecuted("action_answer_info", timestamp=later + 1),
        ],
    )
    await save(tracker, "person-b", abandoned_at_the_age(long_ago))
    await save(tracker, "ongoing", abandoned_at_the_age(NOW - 60))
    await save(
        tracker,
        "silent",
        [
            ActionExecuted("action_session_start", timestamp=long_ago),
            ActionExecuted("action_listen", timestamp=long_ago),
        ],
    )
    store = IndicatorStore(f"sqlite:///{tmp_path / 'indicators.sqlite3'}")
    url = f"sqlite:///{tmp_path / 't.sqlite3'}"

    result = derive_indicators(url, store, until=NOW - 3600)

    assert result.records == 3
    with store.engine.connect() as connection:
        rows = [
            r._asdict()
            for r in connection.execute(
                select(records_table).order_by(
                    records_table.c.outcome, records_table.c.id
                )
            )
        ]
    by_outcome = {r["outcome"]: r for r in rows}
    oriented = by_outcome["oriented"]
    assert oriented["channel"] == "webchat" and oriented["messages"] == 3
    assert (oriented["region"], oriented["departement"]) == ("24", "28")
    assert oriented["epci"].isdigit() and len(oriented["epci"]) == 9
    assert oriented["network"] == oriented["structure_network"] == "mission_locale"
    assert oriented["local_structure"] is True and oriented["satisfaction"] == "oui"
    assert (
        oriented["day"] == date.fromtimestamp(long_ago)
        or abs((oriented["day"] - date.fromtimestamp(long_ago)).days) <= 1
    )
    information = by_outcome["information"]
    assert information["satisfaction"] == "", (
        "a carried-over answer is not counted twice"
    )
    abandoned = by_outcome["abandoned"]
    assert abandoned["abandoned_at"] == "age" and abandoned["channel"] == "rest"
    assert abandoned["region"] == "24" and abandoned["departement"] == ""
    # Nothing that could lead back to a conversation or a person.
    for row in rows:
        assert not {"sender_id", "text", "commune", "commune_insee"} & set(row)
        assert "person" not in " ".join(str(v) for v in row.values())
    # A second run finds nothing new; the ongoing conversation comes once it has ended.
    assert derive_indicators(url, store, until=NOW - 3000).records == 0
    assert derive_indicators(url, store, until=NOW + 10).records == 1
    assert store.record_count() == 4


async def test_a_window_is_derived_once_even_by_two_instances(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two instances deriving at the same moment write the window's records once."""
    tracker = SQLTrackerStore(
        Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.sqlite3")
    )
    await save(tracker, "a", abandoned_at_the_age(NOW - DAY))
    url = f"sqlite:///{tmp_path / 't.sqlite3'}"
    first = IndicatorStore(f"sqlite:///{tmp_path / 'i.sqlite3'}")
    assert race(monkeypatch, url, first) == (0, 1)
    assert first.record_count() == 1
    assert derive_indicators(url, first, until=NOW).records == 0


async def test_the_purge_derives_before_deleting(tmp_path: Path, monkeypatch) -> None:
    """The purge derives before deleting."""
    indicators_url = f"sqlite:///{tmp_path / 'kept.sqlite3'}"
    monkeypatch.setenv("SPRO_INDICATORS_DATABASE_URL", indicators_url)
    tracker = SQLTrackerStore(
        Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.sqlite3")
    )
    await save(tracker, "old", oriented_in_dreux(NOW - 45 * DAY))
    await save(tracker, "recent", abandoned_at_the_age(NOW - 2 * DAY))
    result = purge_conversations(f"sqlite:///{tmp_path / 't.sqlite3'}", days=30)
    assert result.conversations == 1
    kept = IndicatorStore(indicators_url)
    assert kept.record_count() == 2  # the purged one and the ended recent one
    with kept.engine.connect() as connection:
        outcomes = sorted(
            r[0] for r in connection.execute(select(records_table.c.outcome))
        )
    assert outcomes == ["abandoned", "oriented"]


@pytest.mark.parametrize(
    ("structures", "shown", "local"),
    [
        # The other network's structure first: the recommended one is still the door.
        ([{"network": "france_travail", "recommended": False},
          {"network": "mission_locale", "recommended": True}], "mission_locale", True),
        # Only the other network's (no local record of the recommended one): no local door.
        ([{"network": "france_travail", "recommended": False}], "", False),
    ],
)
def test_the_recommended_door_is_counted_never_the_second_one(
    structures: list[dict], shown: str, local: bool
) -> None:
    orientation = {**ORIENTATION, "also": "france_travail", "structures": structures}
    events = [e.as_dict() for e in oriented_in_dreux(NOW - DAY)]
    for event in events:
        if event.get("event") == "bot":
            event["data"] = {"custom": orientation}
    record = record_from_session(Session(events))
    assert record is not None and record.outcome == "oriented"
    assert (record.structure_network, record.local_structure) == (shown, local)


def test_the_day_is_parisian_when_the_clock_is_utc() -> None:
    """At 23:30 UTC on 6 December it is already 7 December in Paris (and in summer)."""
    from datetime import date, datetime, timezone

    from bot.indicators.derive import paris_today

    late = datetime(2026, 12, 6, 23, 30, tzinfo=timezone.utc)
    assert paris_today(late) == date(2026, 12, 7)
    assert paris_today(datetime(2026, 7, 1, 21, 59, tzinfo=timezone.utc)) == date(
        2026, 7, 1
    )
    assert paris_today(datetime(2026, 7, 1, 22, 0, tzinfo=timezone.utc)) == date(
        2026, 7, 2
    )
