"""The console's rules without HTTP or Rasa: a scripted dialogue stands in for it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from bot.advisers.accounts import AccountBook
from bot.advisers.service import ConsoleError, ConsoleService, DialogueTurn
from bot.advisers.store import ConsoleStore
from tests.console.conftest import (
    CEP_ORIENTATION,
    PASSWORDS,
    YOUNG_WOMAN_PROFILE,
)

SLOT_TYPES = {
    "age": {"type": "float", "values": []},
    "situation": {"type": "text", "values": []},
    "need": {"type": "text", "values": []},
    "disability": {"type": "bool", "values": []},
    "cadre": {"type": "bool", "values": []},
    "sector": {"type": "text", "values": []},
    "commune_insee": {"type": "text", "values": []},
}


class ScriptedDialogue:
    """Records what the console sends; applies ``/inform{...}`` like the dialogue."""

    def __init__(self, understands: bool = True) -> None:
        self.sent: list[tuple[str, str]] = []
        self.slots: dict[str, Any] = {}
        self.understands = understands

    def ready(self) -> bool:
        return True

    def slot_types(self) -> dict[str, dict[str, Any]]:
        return SLOT_TYPES

    async def turn(self, conversation_id: str, text: str) -> DialogueTurn:
        self.sent.append((conversation_id, text))
        if text.startswith("/inform{") and self.understands:
            for name, value in json.loads(text[len("/inform") :]).items():
                if name == "age":
                    self.slots["age"] = float(value)
                elif name in ("disability", "cadre"):
                    self.slots[name] = value == "oui"
                else:
                    self.slots[name] = value
        return DialogueTurn(
            messages=[{"text": "Quelle est la situation de la personne ?"}],
            slots=dict(self.slots),
        )


@pytest.fixture
def service(store: ConsoleStore, accounts: AccountBook) -> ConsoleService:
    return ConsoleService(store, accounts, network_names=lambda code: code)


async def sign_in(service: ConsoleService, username: str = "cmartin") -> Any:
    return (await service.sign_in(username, PASSWORDS[username])).adviser


async def test_a_correction_is_a_message_to_the_dialogue(
    service: ConsoleService,
) -> None:
    adviser = await sign_in(service)
    call = service.start_call(adviser)
    dialogue = ScriptedDialogue()
    call = await service.correct(adviser, call.id, "age", "25", dialogue)
    assert dialogue.sent == [(call.sender_id, '/inform{"age": "25"}')]
    assert call.profile["age"] == 25.0
    assert call.corrections[-1]["text"] == "25"
    await service.correct(adviser, call.id, "disability", "oui", dialogue)
    assert dialogue.sent[-1][1] == '/inform{"disability": "oui"}'
    assert service.call(adviser, call.id).profile["disability"] is True


async def test_a_correction_the_dialogue_ignores_is_reported(
    service: ConsoleService,
) -> None:
    adviser = await sign_in(service)
    call = service.start_call(adviser)
    with pytest.raises(ConsoleError) as refused:
        await service.correct(
            adviser, call.id, "age", "25", ScriptedDialogue(understands=False)
        )
    assert refused.value.status == 502
    assert service.call(adviser, call.id).corrections == []


async def test_bad_corrections_are_refused_in_french(service: ConsoleService) -> None:
    adviser = await sign_in(service)
    call = service.start_call(adviser)
    dialogue = ScriptedDialogue()
    for field, value, status in [
        ("age", "cent", 422),
        ("age", "", 422),
        ("public", "x", 400),
        ("age_band", "16_25", 400),
    ]:
        with pytest.raises(ConsoleError) as refused:
            await service.correct(adviser, call.id, field, value, dialogue)
        assert refused.value.status == status, field
    assert dialogue.sent == []


async def test_a_closed_call_cannot_be_changed(service: ConsoleService) -> None:
    adviser = await sign_in(service)
    call = service.start_call(adviser)
    service.record_caller(
        adviser, call.id, True, "Léa", "06 12 34 56 78", "À rappeler demain."
    )
    service.close(adviser, call.id, "call_back")
    attempts = [
        lambda: service.record_caller(adviser, call.id, False, "", "", "changé"),
        lambda: service.choose_structure(adviser, call.id, None),
        lambda: service.close(adviser, call.id, "oriented"),
    ]
    for attempt in attempts:
        with pytest.raises(ConsoleError) as refused:
            attempt()
        assert refused.value.status == 409
    for coroutine in (
        service.say(adviser, call.id, "bonjour", ScriptedDialogue()),
        service.correct(adviser, call.id, "age", "30", ScriptedDialogue()),
    ):
        with pytest.raises(ConsoleError) as refused:
            await coroutine
        assert refused.value.status == 409
    stored = service.call(adviser, call.id)
    assert (stored.consent, stored.caller_name, stored.note) == (
        True,
        "Léa",
        "À rappeler demain.",
    )


async def test_the_note_is_masked_without_consent(service: ConsoleService) -> None:
    adviser = await sign_in(service)
    call = service.start_call(adviser)
    note = "Je m'appelle Jean Dupont, rappeler au 06 12 34 56 78 ou jean@example.org"
    call = service.record_caller(adviser, call.id, False, "Jean Dupont", "x", note)
    assert "06 12" not in call.note and "example.org" not in call.note
    assert "Dupont" not in call.note
    assert (call.caller_name, call.caller_contact) == ("", "")
    call = service.record_caller(adviser, call.id, True, "Jean Dupont", "x", note)
    assert call.note == note


async def test_sign_out_needs_a_session(service: ConsoleService) -> None:
    for token in (None, "", "forged"):
        with pytest.raises(ConsoleError) as refused:
            service.sign_out(token)
        assert refused.value.status == 401


async def test_the_adviser_types_words_not_commands(service: ConsoleService) -> None:
    adviser = await sign_in(service)
    call = service.start_call(adviser)
    dialogue = ScriptedDialogue()
    for text in ("/restart", '/inform{"age": 99}', "\ud800", "   "):
        with pytest.raises(ConsoleError) as refused:
            await service.say(adviser, call.id, text, dialogue)
        assert refused.value.status == 400
    call = await service.say(adviser, call.id, "ｊ'ａｉ ２２ ａｎｓ", dialogue)
    assert dialogue.sent == [(call.sender_id, "j'ai 22 ans")]


async def test_a_closed_call_counts_as_an_anonymous_phone_call_indicator(
    service: ConsoleService, store: ConsoleStore
) -> None:
    """Outcome, public, need and territory; never a name, a note, an id."""
    from sqlalchemy import select

    from bot.indicators.aggregate import Filters, compute
    from bot.indicators.store import IndicatorStore, records_table

    adviser = await sign_in(service)
    call = service.start_call(adviser)
    call.profile = dict(YOUNG_WOMAN_PROFILE, need=None, public=None)
    call.orientation = CEP_ORIENTATION
    store.save_call(call)
    service.record_caller(
        adviser, call.id, True, "Léa Dupont", "06 12 34 56 78", "Rappeler lundi."
    )
    service.close(adviser, call.id, "oriented")

    indicators = IndicatorStore()
    with indicators.engine.connect() as connection:
        rows = [row._asdict() for row in connection.execute(select(records_table))]
    assert len(rows) == 1
    row = rows[0]
    # The need and public of the orientation, the territory of Tours, never the commune.
    assert (row["kind"], row["channel"], row["outcome"]) == (
        "phone_call",
        "console",
        "oriented",
    )
    assert (row["public"], row["need"]) == ("employed", "career_advice")
    assert (row["region"], row["departement"], row["epci"]) == ("24", "37", "243700754")
    assert row["day"] == date(2026, 3, 12)
    secrets = {call.id, call.sender_id, "37261", "Tours", "Léa", "06 12", "lundi"}
    assert not [v for v in row.values() for s in secrets if s in str(v)]
    # Shown apart: the conversation itself is counted once, by the tracker store.
    counts = compute(indicators, Filters.for_year(2026), min_cell=1)
    assert counts.total == 0 and counts.phone_calls == 1
    # Breakdowns come with conversations only.
    assert "phone_call_outcome" not in counts.breakdowns
    # A call that cannot be closed records nothing.
    with pytest.raises(ConsoleError):
        service.close(adviser, call.id, "information")
    assert indicators.record_count() == 1
    indicators.dispose()
