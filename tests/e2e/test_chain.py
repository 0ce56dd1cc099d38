"""The whole chain on the real servers: REST channel -> Rasa -> action server."""

from __future__ import annotations

import pytest
import requests

from bot.runtime.launcher import Stack
from tests.conftest import Chat, conversation_id, texts

pytestmark = pytest.mark.e2e


def test_greeting_is_answered_in_french(chat: Chat, sender: str) -> None:
    answer = texts(chat(sender, "Bonjour"))
    assert "Bonjour" in answer
    assert "anonyme" in answer


def test_asking_for_a_person_gives_the_human_option(chat: Chat, sender: str) -> None:
    answer = texts(chat(sender, "je voudrais parler à un conseiller"))
    assert "conseiller" in answer


def test_twice_not_understood_offers_a_person_via_the_action_server(
    chat: Chat, sender: str
) -> None:
    first = texts(chat(sender, "xqzw blorp vrrr"))
    assert "reformuler" in first
    second = chat(sender, "gnagna plif plouf zzz")
    assert "Une personne peut vous aider" in texts(second)
    buttons = [b["payload"] for m in second for b in m.get("buttons", [])]
    assert "/ask_human" in buttons


def test_personal_data_never_reaches_the_tracker(stack: Stack, chat: Chat, sender: str) -> None:
    chat(sender, "bonjour, mon mail est lea.martin@example.org et mon tel 06 12 34 56 78")
    chat(sender, "je suis sophie durand, je cherche une formation")
    stored = stack_tracker_text(stack)
    assert "lea.martin@example.org" not in stored
    assert "06 12 34 56 78" not in stored
    assert "sophie" not in stored.lower() and "durand" not in stored.lower()
    assert "[courriel masqué]" in stored and "je suis [nom masqué]" in stored


def stack_tracker_text(stack: Stack) -> str:
    """Everything the SQLite tracker store holds, as text (Rasa stores JSON with \\u escapes)."""
    import json
    import sqlite3

    database = stack.endpoints.parent / "tracker.sqlite3"
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT data FROM events").fetchall()
    return "\n".join(json.dumps(json.loads(row[0]), ensure_ascii=False) for row in rows)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"sender": "bad-1", "message": ""}', 200),
        (b'{"sender": "bad-2", "message": "   "}', 200),
        ('{"sender": "bad-3", "message": "' .encode() + b"a" * 20000 + b'"}', 200),
        (b'{"sender": "bad-4", "message": "\xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x99\x8f"}', 200),
        (b"{not json", 400),
        (b"\x00\x01\x02\xff\xfe binary", 400),
        (b'["a", "list"]', 400),
        (b'{"message": "no sender"}', 400),
        (b'{"sender": "bad-5", "message": 42}', 400),
        (b"", 400),
    ],
    ids=["empty", "blank", "20000-chars", "emoji-only", "invalid-json", "binary",
         "json-list", "no-sender", "number-message", "no-body"],
)
def test_bad_input_never_crashes_nor_returns_5xx(stack: Stack, body: bytes, status: int) -> None:
    for name in (b"bad-1", b"bad-2", b"bad-3", b"bad-4", b"bad-5"):  # server-issued ids
        body = body.replace(b'"' + name + b'"',
                            b'"' + conversation_id(stack.url, name.decode()).encode() + b'"')
    answer = requests.post(
        f"{stack.url}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert answer.status_code == status
    payload = answer.json()
    if status == 400:
        assert payload["error"]  # a French explanation
    else:
        assert texts(payload), "the person always gets an answer"
    # the server still answers afterwards
    assert texts(requests.post(
        f"{stack.url}/webhooks/rest/webhook",
        json={"sender": conversation_id(stack.url, "after-bad-input"), "message": "bonjour"},
        timeout=60,
    ).json())
