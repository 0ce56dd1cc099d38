"""The never-silent patch of Rasa's custom actions, against a scripted action server."""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator

import pytest
from aiohttp import web
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.config import ACTION_SECRET_HEADER, PROJECT_ROOT
from bot.runtime.launcher import free_port
from bot.rasa_patches import action_failure
from bot.conversation.service_problem import SERVICE_PROBLEM

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


class ActionServer:
    """A scripted action server: ``mode`` says how it answers; it records the calls."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.calls: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(body)
        self.headers.append(dict(request.headers))
        if self.mode == "slow":
            await asyncio.sleep(30)
        if self.mode == "error":
            return web.json_response({"error": "boom"}, status=500)
        if self.mode == "reject":
            return web.json_response({"action_name": body["next_action"], "error": "no"},
                                     status=400)
        text = body["tracker"]["latest_message"]["text"]
        age = "".join(ch for ch in text if ch.isdigit())
        events = [{"event": "slot", "name": "age", "value": float(age)}] if age else []
        if "commune" in text:
            events.append({"event": "slot", "name": "commune_insee", "value": "28134"})
        return web.json_response({"events": events, "responses": [{"text": "Bien noté."}]})


@pytest.fixture
async def server() -> AsyncIterator[tuple[ActionServer, str]]:
    scripted = ActionServer()
    app = web.Application()
    app.router.add_post("/webhook", scripted.webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield scripted, f"http://127.0.0.1:{port}/webhook"
    await runner.cleanup()


@pytest.fixture(autouse=True)
def patched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPRO_ACTION_TIMEOUT_SECONDS", "0.5")
    monkeypatch.setenv("SPRO_ACTION_RETRY_SECONDS", "30")
    action_failure.install()
    action_failure.BREAKER.succeeded()


def tracker(*texts: str, failed: tuple[int, ...] = ()) -> DialogueStateTracker:
    """A conversation of user messages; those whose index is in ``failed`` got the apology."""
    events: list[Any] = []
    for index, text in enumerate(texts):
        events.append(UserUttered(text, {"name": "inform", "confidence": 1.0}))
        if index in failed:
            events.append(BotUttered("Pardon…", metadata={action_failure.SERVICE_PROBLEM: True}))
    return DialogueStateTracker.from_events("someone", events, slots=DOMAIN.slots)


async def run(action: RemoteAction, conversation: DialogueStateTracker) -> list[Any]:
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
    return await action.run(CollectingOutputChannel(), nlg, conversation, DOMAIN)


def dicts(events: list[Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in events]


async def test_a_healthy_action_server_gives_exactly_rasas_events(server: Any) -> None:
    _, url = server
    action = RemoteAction("action_validate_slot_mappings", EndpointConfig(url))
    conversation = tracker("j'ai 22 ans")
    rasa_run = getattr(RemoteAction, action_failure._RASA_RUN)
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
    expected = await rasa_run(action, CollectingOutputChannel(), nlg, conversation, DOMAIN)
    assert dicts(await run(action, conversation)) == dicts(expected)
    assert [e.key for e in expected if isinstance(e, SlotSet)] == ["age"]


@pytest.mark.parametrize("mode", ["down", "slow", "error"])
async def test_a_failing_action_server_gets_a_french_answer_quickly(
    server: Any, mode: str
) -> None:
    scripted, url = server
    scripted.mode = mode
    if mode == "down":
        url = f"http://127.0.0.1:{free_port()}/webhook"
    started = time.monotonic()
    events = await run(RemoteAction("action_ask_commune_insee", EndpointConfig(url)),
                       tracker("j'ai 22 ans"))
    assert time.monotonic() - started < 2
    assert len(events) == 1 and action_failure.is_service_problem(events[0])
    assert events[0].text.startswith(SERVICE_PROBLEM)
    assert "conseiller ou une conseillère" in events[0].text


async def test_after_a_failure_the_server_is_left_alone_and_the_answer_not_repeated(
    server: Any,
) -> None:
    scripted, url = server
    scripted.mode = "error"
    action = RemoteAction("action_ask_commune_insee", EndpointConfig(url))
    conversation = tracker("bonjour")
    first = await run(action, conversation)
    conversation.update(first[0])
    assert await run(action, conversation) == []  # once per turn
    assert len(scripted.calls) == 1  # the second action did not call the server
    scripted.mode = "ok"
    assert await run(action, tracker("encore")) != []  # still open: the apology again
    action_failure.BREAKER.succeeded()
    assert [e.text for e in await run(action, tracker("encore"))] == ["Bien noté."]


async def test_what_failed_turns_said_is_read_when_the_server_is_back(server: Any) -> None:
    scripted, url = server
    action = RemoteAction("action_validate_slot_mappings", EndpointConfig(url))
    conversation = tracker("j'ai 22 ans", "ma commune est Dreux", "bonjour", failed=(0, 1))
    events = await run(action, conversation)
    texts = [call["tracker"]["latest_message"]["text"] for call in scripted.calls]
    assert texts == ["j'ai 22 ans", "ma commune est Dreux", "bonjour"]
    slots = {e.key: e.value for e in events if isinstance(e, SlotSet)}
    assert slots == {"age": 22.0, "commune_insee": "28134"}
    # A turn that worked ends the replay: nothing older is read again.
    scripted.calls.clear()
    await run(action, tracker("j'ai 22 ans", "bonjour", "merci", failed=(0,)))
    assert [c["tracker"]["latest_message"]["text"] for c in scripted.calls] == ["merci"]


async def test_a_rejection_is_still_rasas(server: Any) -> None:
    scripted, url = server
    scripted.mode = "reject"
    with pytest.raises(ActionExecutionRejection):
        await run(RemoteAction("validate_orientation_form", EndpointConfig(url)),
                  tracker("bonjour"))
    assert action_failure.BREAKER.allows_call()


async def test_the_shared_secret_is_sent(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    scripted, url = server
    monkeypatch.setenv("SPRO_ACTIONS_SECRET", "s3cret")
    await run(RemoteAction("action_talk_to_human", EndpointConfig(url)), tracker("bonjour"))
    assert scripted.headers[-1][ACTION_SECRET_HEADER] == "s3cret"
