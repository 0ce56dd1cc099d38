"""The review inbox: which messages, masked, grouped, filtered, gone after the purge."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.indicators.derive import PARIS, Session
from bot.indicators.store import IndicatorStore
from bot.review.inbox import InboxFilters, build_inbox, inbox
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


def test_each_reason_with_prediction_context_and_masking() -> None:
    """Not understood, low confidence, « Non », hand-over: masked, with context."""
    sessions = [
        Session(
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
            ]
        ),
        Session(
            [
                *dreux(AT + 100),
                user("c'est trop compliqué", AT + 105, "deny", 0.95),
                action("action_talk_to_human", AT + 106),
            ]
        ),
    ]

    found = build_inbox(sessions, MARCH, min_cell=1)

    by_text = {g.text: g for g in found.groups}
    not_understood = by_text["jsuis [nom masqué] [téléphone masqué] g pa de boulo"]
    assert not_understood.reasons == ["not_understood"]
    assert not_understood.intent == "nlu_fallback"
    context = not_understood.messages[0].context
    assert ("assistant", "Quel âge avez-vous ?") in context
    assert all("06 12" not in text and "Dupont" not in text for _, text in context)
    # Low confidence first; the « Non » adds no second entry for the same message.
    assert by_text["je cherche un taf"].reasons == ["low_confidence"]
    assert by_text["c'est trop compliqué"].reasons == ["handover"]
    assert "bonjour" not in by_text and "/give_feedback" not in by_text
    assert found.conversations == 2


def test_feedback_no_proposes_the_last_typed_message() -> None:
    """A confident message followed by « Non »: proposed for the « Non »."""
    session = Session(
        [
            *dreux(),
            user("je veux faire une formation", AT + 4, "inform", 0.97),
            user("/give_feedback", AT + 8, "give_feedback"),
            slot("feedback", "non", AT + 9),
        ]
    )
    groups = build_inbox([session], MARCH, min_cell=1).groups
    assert [(g.text, g.reasons) for g in groups] == [
        ("je veux faire une formation", ["feedback_no"])
    ]


def fallback_in(at: float, text: str, channel: str = "webchat") -> Session:
    """A conversation in Dreux with one message not understood."""
    return Session(
        [
            *dreux(at, channel),
            user(text, at + 10, "nlu_fallback", 0.2, channel=channel),
        ]
    )


def test_similar_texts_grouped_with_counts_and_filters() -> None:
    """Accents, case and punctuation aside, one group; filters by reason and channel."""
    sessions = [
        fallback_in(AT, "Je cherche un stage !"),
        fallback_in(AT + 200, "je cherche un stâge"),
        fallback_in(AT + 400, "je cherche un stage", channel="rest"),
        fallback_in(AT + 600, "autre chose"),
        fallback_in(AT + 40 * DAY, "je cherche un stage"),  # April: outside the period
    ]
    found = build_inbox(sessions, MARCH, min_cell=1)
    assert [(g.key, g.count) for g in found.groups] == [
        ("je cherche un stage", 3),
        ("autre chose", 1),
    ]
    webchat = InboxFilters(MARCH.start, MARCH.end, channel="webchat")
    assert build_inbox(sessions, webchat, min_cell=1).groups[0].count == 2
    handover = InboxFilters(MARCH.start, MARCH.end, reason="handover")
    assert build_inbox(sessions, handover, min_cell=1).groups == []
    assert [g.key for g in build_inbox(sessions, MARCH, {"autre chose"}, 1).groups] == [
        "je cherche un stage"
    ]


def test_a_territory_with_too_few_conversations_is_hidden() -> None:
    """Eure-et-Loir with 2 conversations and a minimum of 5: nothing shown."""
    sessions = [fallback_in(AT, "un"), fallback_in(AT + 100, "deux")]
    eure_et_loir = InboxFilters(MARCH.start, MARCH.end, departement="28")
    hidden = build_inbox(sessions, eure_et_loir, min_cell=5)
    assert hidden.hidden and hidden.groups == []
    shown = build_inbox(sessions, eure_et_loir, min_cell=2)
    assert not shown.hidden and len(shown.groups) == 2
    loiret = InboxFilters(MARCH.start, MARCH.end, departement="45")
    assert build_inbox(sessions, loiret, min_cell=1).conversations == 0


async def test_read_from_the_tracker_store_and_gone_after_the_purge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real SQL tracker store: the message is proposed, then purged with its talk."""
    monkeypatch.setenv("SPRO_INDICATORS_DATABASE_URL", f"sqlite:///{tmp_path / 'i.db'}")
    tracker = SQLTrackerStore(
        Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db")
    )
    old = time.time() - 40 * DAY
    await tracker.save(
        DialogueStateTracker.from_events(
            "person-a",
            [
                ActionExecuted("action_session_start", timestamp=old - 1),
                UserUttered(
                    "g besoin d'un truc pr mon fils",
                    {"name": "nlu_fallback", "confidence": 0.31},
                    timestamp=old,
                    input_channel="webchat",
                ),
                BotUttered("Pouvez-vous reformuler ?", timestamp=old + 1),
                SlotSet("requested_slot", None, timestamp=old + 1),
            ],
        )
    )
    url = f"sqlite:///{tmp_path / 't.db'}"
    day = datetime.fromtimestamp(old, PARIS).date()
    filters = InboxFilters(day, day)

    groups = inbox(url, filters).groups
    assert [(g.text, g.intent, g.messages[0].confidence) for g in groups] == [
        ("g besoin d'un truc pr mon fils", "nlu_fallback", 0.31)
    ]
    purge_conversations(url, days=30)
    assert inbox(url, filters).groups == []
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
    (group,) = inbox(url, InboxFilters(day, day)).groups
    assert "jean.dupont" not in group.text
    write_label(Label(group.text, "inform", "rlefevre"))
    purge_conversations(url, days=30)
    assert inbox(url, InboxFilters(day, day)).groups == []
    kept = pending_file().read_text(encoding="utf-8")
    assert list(examples(pending_file())) == [("inform", group.text)]
    assert "person-b" not in kept and "jean.dupont" not in kept
    IndicatorStore(f"sqlite:///{tmp_path / 'i.db'}").dispose()
