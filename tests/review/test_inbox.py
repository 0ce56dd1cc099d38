"""The review inbox: which messages, masked, grouped, filtered, gone after the purge.

The messages are derived into the tracker store's database (``derive_inbox``), once
and incrementally; the page reads them (``inbox``).
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import MetaData, Table, create_engine, func, select

from bot.indicators.derive import PARIS, paris_today
from bot.indicators.store import IndicatorStore
from bot.review import inbox_derivation
from bot.review.inbox import (
    PAGE_SIZE,
    Inbox,
    InboxFilters,
    conversations_table,
    inbox,
    messages_table,
    windows_table,
)
from bot.review.inbox_derivation import OVERLAP_SECONDS, derive_inbox
from bot.runtime.conversation_retention import purge_conversations

DAY = 86_400.0
AT = datetime(2026, 3, 10, 10, 0, tzinfo=PARIS).timestamp()
MARCH = InboxFilters(date(2026, 3, 1), date(2026, 3, 31))


def user(
    text: str, at: float, intent: str = "inform", confidence: float = 0.99, **more: Any
) -> dict[str, Any]:
    """A user event as the tracker store keeps it."""
    return {
        "event": "user",
        "text": text,
        "timestamp": at,
        "input_channel": more.pop("channel", "webchat"),
        "metadata": more.pop("metadata", {}),
        "parse_data": {
            "intent": {"name": intent, "confidence": confidence},
            "entities": more.pop("entities", []),
        },
    }


def bot(text: str, at: float) -> dict[str, Any]:
    """An answer of the assistant."""
    return {"event": "bot", "text": text, "timestamp": at}


def slot(name: str, value: Any, at: float) -> dict[str, Any]:
    """A slot set."""
    return {"event": "slot", "name": name, "value": value, "timestamp": at}


def action(name: str, at: float) -> dict[str, Any]:
    """An action run."""
    return {"event": "action", "name": name, "timestamp": at}


def dreux(at: float = AT, channel: str = "webchat") -> list[dict[str, Any]]:
    """A conversation located in Dreux (28, Centre-Val de Loire)."""
    return [
        action("action_session_start", at - 1),
        user("bonjour", at, "greet", channel=channel),
        bot("Bonjour, que puis-je pour vous ?", at + 1),
        user(
            "j'habite Dreux", at + 2, entities=[{"entity": "commune", "value": "Dreux"}]
        ),
        slot("commune_insee", "28134", at + 3),
    ]


@pytest.fixture
def tracker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite tracker store with Rasa's tables, empty; its URL."""
    monkeypatch.setenv("SPRO_INDICATORS_MIN_CELL", "1")
    SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    return f"sqlite:///{tmp_path / 't.db'}"


def write(
    url: str, sender: str, events: list[dict[str, Any]], first_id: int = 0
) -> None:
    """Append ``events`` to ``sender``'s conversation as Rasa stores them.

    ``first_id``: the events' ids from there (a transaction that commits late).
    """
    engine = create_engine(url)
    table = Table("events", MetaData(), autoload_with=engine)
    rows = [
        {
            "sender_id": sender,
            "type_name": event["event"],
            "timestamp": event["timestamp"],
            "data": json.dumps(event),
            **({"id": first_id + n} if first_id else {}),
        }
        for n, event in enumerate(events)
    ]
    with engine.begin() as connection:
        connection.execute(table.insert(), rows)
    engine.dispose()


def shown(url: str, filters: InboxFilters = MARCH, **more: Any) -> Inbox:
    """The inbox page's data: derive what is new, then read."""
    derive_inbox(url)
    return inbox(url, filters, **more)


def rows_of(url: str, sender: str) -> int:
    """Derived rows (conversations and messages) of ``sender``."""
    engine = create_engine(url)
    with engine.connect() as connection:
        count = sum(
            connection.execute(
                select(func.count())
                .select_from(table)
                .where(table.c.sender_id == sender)
            ).scalar_one()
            for table in (conversations_table, messages_table)
        )
    engine.dispose()
    return count


def test_each_reason_with_prediction_context_and_masking(tracker: str) -> None:
    """Not understood, low confidence, « Non », hand-over: masked, context on demand."""
    write(
        tracker,
        "a",
        [
            *dreux(),
            bot("Quel âge avez-vous ?", AT + 4),
            user(
                "jsuis Jean Dupont 06 12 34 56 78 g pa de boulo",
                AT + 5,
                "nlu_fallback",
                0.3,
            ),
            bot("Je n'ai pas compris.", AT + 6),
            user("je cherche un taf", AT + 7, "inform", 0.52),
            user("/give_feedback", AT + 8, "give_feedback"),
            slot("feedback", "non", AT + 9),
        ],
    )
    write(
        tracker,
        "b",
        [
            *dreux(AT + 100),
            user("c'est trop compliqué", AT + 105, "deny", 0.95),
            action("action_talk_to_human", AT + 106),
        ],
    )

    found = shown(tracker)

    by_text = {g.text: g for g in found.groups}
    not_understood = by_text["jsuis [nom masqué] [téléphone masqué] g pa de boulo"]
    assert not_understood.reasons == ("not_understood",)
    assert not_understood.intent == "nlu_fallback"
    assert found.context == ()  # read only when staff open it
    opened = inbox(tracker, MARCH, opened=not_understood.first)
    assert ("assistant", "Quel âge avez-vous ?") in opened.context
    assert ("person", "jsuis [nom masqué] [téléphone masqué] g pa de boulo") in (
        opened.context
    )
    assert all(
        "06 12" not in text and "Dupont" not in text for _, text in opened.context
    )
    # Low confidence first; the « Non » adds no second entry for the same message.
    assert by_text["je cherche un taf"].reasons == ("low_confidence",)
    assert by_text["c'est trop compliqué"].reasons == ("handover",)
    assert "bonjour" not in by_text and "/give_feedback" not in by_text
    assert found.conversations == 2
    # A message of another period, or an id that is no group's, opens nothing.
    assert inbox(tracker, MARCH, opened=not_understood.first + 1).context == ()
    april = InboxFilters(date(2026, 4, 1), date(2026, 4, 30))
    assert inbox(tracker, april, opened=not_understood.first).context == ()


def test_a_message_answered_out_of_scope_is_proposed(tracker: str) -> None:
    """« Hors champ » even with confidence: a person turned away is worth a look."""
    write(
        tracker,
        "c",
        [*dreux(), user("mon patron ma viré", AT + 5, "out_of_scope", 0.86)],
    )
    (group,) = [g for g in shown(tracker).groups if g.text == "mon patron ma viré"]
    assert group.reasons == ("out_of_scope",) and group.intent == "out_of_scope"


def test_feedback_no_proposes_the_last_typed_message(tracker: str) -> None:
    """A confident message followed by « Non »: proposed for the « Non »."""
    write(
        tracker,
        "a",
        [
            *dreux(),
            user("je veux faire une formation", AT + 4, "inform", 0.97),
            user("/give_feedback", AT + 8, "give_feedback"),
            slot("feedback", "non", AT + 9),
        ],
    )
    groups = shown(tracker).groups
    assert [(g.text, g.reasons) for g in groups] == [
        ("je veux faire une formation", ("feedback_no",))
    ]


def fallback_in(
    url: str, sender: str, at: float, text: str, channel: str = "webchat"
) -> None:
    """A conversation in Dreux with one message not understood."""
    write(
        url,
        sender,
        [
            *dreux(at, channel),
            user(text, at + 10, "nlu_fallback", 0.2, channel=channel),
        ],
    )


def test_similar_texts_grouped_with_counts_and_filters(tracker: str) -> None:
    """Accents, case and punctuation aside, one group; filters by reason and channel."""
    fallback_in(tracker, "a", AT, "Je cherche un stage !")
    fallback_in(tracker, "b", AT + 200, "je cherche un stâge")
    fallback_in(tracker, "c", AT + 400, "je cherche un stage", channel="rest")
    fallback_in(tracker, "d", AT + 600, "autre chose")
    fallback_in(tracker, "e", AT + 40 * DAY, "je cherche un stage")  # April
    found = shown(tracker)
    assert [(g.key, g.count) for g in found.groups] == [
        ("je cherche un stage", 3),
        ("autre chose", 1),
    ]
    assert found.groups[0].text == "Je cherche un stage !"  # the first one written
    assert found.groups[0].confidence == 0.2
    webchat = InboxFilters(MARCH.start, MARCH.end, channel="webchat")
    assert inbox(tracker, webchat).groups[0].count == 2
    handover = InboxFilters(MARCH.start, MARCH.end, reason="handover")
    assert inbox(tracker, handover).groups == []
    assert [g.key for g in inbox(tracker, MARCH, {"autre chose"}).groups] == [
        "je cherche un stage"
    ]


def test_a_territory_with_too_few_conversations_is_hidden(
    tracker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eure-et-Loir with 2 conversations and a minimum of 5: nothing shown."""
    fallback_in(tracker, "a", AT, "un")
    fallback_in(tracker, "b", AT + 100, "deux")
    eure_et_loir = InboxFilters(MARCH.start, MARCH.end, departement="28")
    monkeypatch.setenv("SPRO_INDICATORS_MIN_CELL", "5")
    hidden = shown(tracker, eure_et_loir)
    assert hidden.hidden and hidden.groups == []
    assert inbox(tracker, eure_et_loir, opened=1).context == ()
    monkeypatch.setenv("SPRO_INDICATORS_MIN_CELL", "2")
    visible = inbox(tracker, eure_et_loir)
    assert not visible.hidden and len(visible.groups) == 2
    loiret = InboxFilters(MARCH.start, MARCH.end, departement="45")
    assert inbox(tracker, loiret).conversations == 0


def test_a_conversation_going_on_is_updated_and_never_counted_twice(
    tracker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Derived again as it goes on: the « Non » comes later; one entry per message."""
    write(tracker, "a", [*dreux(), user("je veux un metier", AT + 4, "inform", 0.97)])
    assert shown(tracker).groups == []  # understood, nothing to review yet
    write(
        tracker,
        "a",
        [
            user("/give_feedback", AT + 8, "give_feedback"),
            slot("feedback", "non", AT + 9),
        ],
    )
    fallback_in(tracker, "b", AT + 100, "je veux un métier !")
    (group,) = shown(tracker).groups
    assert (group.key, group.count, group.reasons) == (
        "je veux un metier",
        2,
        ("feedback_no", "not_understood"),
    )
    for _ in range(3):  # runs with nothing new change nothing
        assert derive_inbox(tracker).messages <= 2
    assert [g.count for g in shown(tracker).groups] == [2]
    assert shown(tracker).conversations == 2
    # A run reads the senders written to since, and those of the last MARGIN_IDS
    # events of each run within OVERLAP_SECONDS before the latest (late commits).
    monkeypatch.setattr(inbox_derivation, "MARGIN_IDS", 2)
    fallback_in(tracker, "c", AT + 200, "autre chose")
    later = time.time() + 10 * OVERLAP_SECONDS
    # The two first runs were seconds apart: from 2 below the first one's last event
    # (a's), so a, b and c.
    assert derive_inbox(tracker, now=later).senders == 3
    fallback_in(tracker, "d", AT + 300, "encore autre chose")
    again = derive_inbox(tracker, now=later + 10 * OVERLAP_SECONDS)
    assert again.senders == 2  # c (below the last run's last event) and d


def test_a_late_commit_is_derived_by_the_next_run(tracker: str) -> None:
    """Ids allocated before a run but committed after it (PostgreSQL): not lost."""
    fallback_in(tracker, "early", AT, "premier message")
    write(
        tracker,
        "quick",
        [*dreux(AT + 10), user("rapide", AT + 20, "nlu_fallback")],
        100,
    )
    assert [g.key for g in shown(tracker).groups] == ["premier message", "rapide"]
    # A transaction that held ids 50-55 commits now, below the last id derived.
    write(tracker, "slow", [*dreux(AT + 5), user("lent", AT + 6, "nlu_fallback")], 50)
    assert "lent" in [g.key for g in shown(tracker).groups]


def test_pages_of_groups(tracker: str) -> None:
    """More groups than a page: the largest first, the rest on the next page."""
    fallback_in(tracker, "big-1", AT, "le plus frequent")
    fallback_in(tracker, "big-2", AT + 1, "le plus frequent")
    engine = create_engine(tracker)
    table = Table("events", MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            [
                {
                    "sender_id": f"s-{n}",
                    "type_name": "user",
                    "timestamp": AT + n,
                    "data": json.dumps(user(f"message {n}", AT + n, "nlu_fallback")),
                }
                for n in range(PAGE_SIZE + 9)
            ],
        )
    engine.dispose()
    first = shown(tracker)
    assert (first.total, first.pages, len(first.groups)) == (PAGE_SIZE + 10, 2, 50)
    assert first.groups[0].key == "le plus frequent"
    second = inbox(tracker, MARCH, page=2)
    assert (second.page, second.offset, len(second.groups)) == (2, PAGE_SIZE, 10)
    assert not {g.key for g in first.groups} & {g.key for g in second.groups}
    assert inbox(tracker, MARCH, page=99).page == 2


def test_a_large_store_is_derived_in_windows(
    tracker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run over many events writes them window by window, all of them."""
    monkeypatch.setattr(inbox_derivation, "WINDOW_EVENTS", 7)
    for number in range(6):  # 6 events each
        fallback_in(tracker, f"s-{number}", AT + number, f"message {number % 3}")
    run = derive_inbox(tracker)
    assert run.last_event == 36
    assert [(g.key, g.count) for g in inbox(tracker, MARCH).groups] == [
        ("message 0", 2),
        ("message 1", 2),
        ("message 2", 2),
    ]
    engine = create_engine(tracker)
    with engine.connect() as connection:
        windows = connection.execute(
            select(windows_table.c.after_event, windows_table.c.last_event)
        ).all()
    engine.dispose()
    assert windows == [(0, 7), (7, 14), (14, 21), (21, 28), (28, 35), (35, 36)]
    # Read again: the last ids of the run (where transactions were in flight) only.
    monkeypatch.setattr(inbox_derivation, "MARGIN_IDS", 2)
    assert derive_inbox(tracker).senders == 1


def test_an_unreadable_event_is_skipped(tracker: str) -> None:
    """A broken row in the tracker store does not stop the derivation."""
    fallback_in(tracker, "a", AT, "lisible")
    engine = create_engine(tracker)
    table = Table("events", MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            [
                {
                    "sender_id": "a",
                    "type_name": "user",
                    "timestamp": AT + 50,
                    "data": "{",
                }
            ],
        )
    engine.dispose()
    (group,) = shown(tracker).groups
    assert group.key == "lisible"
    assert inbox(tracker, MARCH, opened=group.first).context[-1] == (
        "person",
        "lisible",
    )


def test_two_instances_deriving_at_once_write_once(
    tracker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another instance derives the same events meanwhile: its rows, not twice."""
    fallback_in(tracker, "a", AT, "un message")
    read_sender = inbox_derivation.sender_rows
    other: list[int] = []

    def the_other_runs_meanwhile(*args: Any) -> Any:
        if not other:  # another process: its own run, the same events
            other.append(-1)
            engine = create_engine(tracker)
            other[0] = inbox_derivation._derive(engine, time.time()).messages
            engine.dispose()
        return read_sender(*args)

    monkeypatch.setattr(inbox_derivation, "sender_rows", the_other_runs_meanwhile)
    assert derive_inbox(tracker).messages == 0
    assert other == [1]
    assert [g.count for g in inbox(tracker, MARCH).groups] == [1]


async def test_read_from_the_tracker_store_and_gone_after_the_purge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real SQL tracker store: proposed, then purged with its talk, rows included."""
    monkeypatch.setenv("SPRO_INDICATORS_DATABASE_URL", f"sqlite:///{tmp_path / 'i.db'}")
    tracker = SQLTrackerStore(
        Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db")
    )
    old = time.time() - 40 * DAY
    for sender, at in (("person-a", old), ("person-b", time.time() - DAY)):
        await tracker.save(
            DialogueStateTracker.from_events(
                sender,
                [
                    ActionExecuted("action_session_start", timestamp=at - 1),
                    UserUttered(
                        "g besoin d'un truc pr mon fils",
                        {"name": "nlu_fallback", "confidence": 0.31},
                        timestamp=at,
                        input_channel="webchat",
                    ),
                    BotUttered("Pouvez-vous reformuler ?", timestamp=at + 1),
                    SlotSet("requested_slot", None, timestamp=at + 1),
                ],
            )
        )
    url = f"sqlite:///{tmp_path / 't.db'}"
    day = datetime.fromtimestamp(old, PARIS).date()
    filters = InboxFilters(day, paris_today())

    groups = shown(url, filters).groups
    assert [(g.text, g.intent, g.count, g.confidence) for g in groups] == [
        ("g besoin d'un truc pr mon fils", "nlu_fallback", 2, 0.31)
    ]
    assert rows_of(url, "person-a") == 2
    purge_conversations(url, days=30)
    assert rows_of(url, "person-a") == 0 and rows_of(url, "person-b") == 2
    assert [g.count for g in shown(url, filters).groups] == [1]
    IndicatorStore(f"sqlite:///{tmp_path / 'i.db'}").dispose()


def test_rows_written_back_by_a_run_during_the_purge_go_at_the_next(
    tracker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that read a conversation just before the purge deleted it: no orphan."""
    monkeypatch.setenv("SPRO_INDICATORS_DATABASE_URL", f"sqlite:///{tmp_path / 'i.db'}")
    fallback_in(tracker, "a", time.time() - 40 * DAY, "ancien")
    read_sender = inbox_derivation.sender_rows

    def purged_meanwhile(*args: Any) -> Any:
        found = read_sender(*args)
        purge_conversations(tracker, days=30)
        return found

    monkeypatch.setattr(inbox_derivation, "sender_rows", purged_meanwhile)
    derive_inbox(tracker)
    assert rows_of(tracker, "a") == 2  # written back after the purge
    monkeypatch.setattr(inbox_derivation, "sender_rows", read_sender)
    purge_conversations(tracker, days=30)
    assert rows_of(tracker, "a") == 0
    IndicatorStore(f"sqlite:///{tmp_path / 'i.db'}").dispose()


async def test_a_labelled_message_outlives_the_purge_without_its_conversation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The label is a copy: masked text and intent, no conversation id, kept."""
    from bot.review.labelling import Label, examples, pending_file, write_label

    monkeypatch.setenv("SPRO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SPRO_INDICATORS_DATABASE_URL", f"sqlite:///{tmp_path / 'i.db'}")
    tracker = SQLTrackerStore(
        Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db")
    )
    old = time.time() - 40 * DAY
    typed = "moi c jean.dupont@mail.fr g pa de boulo"
    await tracker.save(
        DialogueStateTracker.from_events(
            "person-b",
            [
                ActionExecuted("action_session_start", timestamp=old - 1),
                UserUttered(
                    typed,
                    {"name": "nlu_fallback", "confidence": 0.2},
                    timestamp=old,
                    input_channel="webchat",
                ),
            ],
        )
    )
    url = f"sqlite:///{tmp_path / 't.db'}"
    day = datetime.fromtimestamp(old, PARIS).date()
    (group,) = shown(url, InboxFilters(day, day)).groups
    assert "jean.dupont" not in group.text
    write_label(Label(group.text, "inform", "rlefevre"))
    purge_conversations(url, days=30)
    assert shown(url, InboxFilters(day, day)).groups == []
    kept = pending_file().read_text(encoding="utf-8")
    assert list(examples(pending_file())) == [("inform", group.text)]
    assert "person-b" not in kept and "jean.dupont" not in kept
    IndicatorStore(f"sqlite:///{tmp_path / 'i.db'}").dispose()


def test_the_stored_rows_hold_only_masked_text(tracker: str) -> None:
    """The derived table keeps the masked text, as the page shows it."""
    fallback_in(tracker, "a", AT, "mon mail c jean.dupont@mail.fr")
    derive_inbox(tracker)
    engine = create_engine(tracker)
    with engine.connect() as connection:
        texts = connection.execute(select(messages_table.c.text)).scalars().all()
    engine.dispose()
    assert texts and all("jean.dupont" not in text for text in texts)
