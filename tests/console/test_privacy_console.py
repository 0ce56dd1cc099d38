"""The console stores the caller's words and the adviser's note masked (issue 21 E).

Same corpus as ``tests/test_privacy_corpus.py``: what the adviser types of the caller's
words reaches the dialogue (and so Rasa's tracker store) and the call's transcript
masked; the adviser's note is masked when the caller has not agreed to be recontacted.
"""

from __future__ import annotations

from bot.advisers.accounts import AccountBook
from bot.advisers.service import ConsoleService
from bot.advisers.store import ConsoleStore
from tests.console.conftest import PASSWORDS
from tests.console.test_service import ScriptedDialogue
from tests.test_privacy_corpus import MASKED, assert_all_masked


async def test_caller_words_and_adviser_notes_are_stored_masked(
    store: ConsoleStore, accounts: AccountBook
) -> None:
    service = ConsoleService(store, accounts, network_names=lambda code: code)
    adviser = (await service.sign_in("cmartin", PASSWORDS["cmartin"])).adviser
    call = service.start_call(adviser)
    dialogue = ScriptedDialogue()
    notes = []
    for item in MASKED:
        await service.say(adviser, call.id, item["text"], dialogue)
        service.record_caller(adviser, call.id, False, "", "", item["text"])
        notes.append(service.call(adviser, call.id).note)
    stored = service.call(adviser, call.id)
    caller_turns = [turn["text"] for turn in stored.transcript if turn["who"] == "caller"]
    assert_all_masked(caller_turns)
    assert_all_masked([text for _, text in dialogue.sent])
    assert_all_masked(notes)
