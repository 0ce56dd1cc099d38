"""The public channels' protections on a Sanic app, with a scripted dialogue (no model)."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any, AsyncIterator

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from rasa.server import add_root_route, configure_cors
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from bot.runtime.launcher import free_port
from channels import conversation_ids
from channels.public_rest import PublicRestInput
from channels.webchat import WebChatInput
from tests.sanic_server import served

SEEN: list[UserMessage] = []
RELEASE_SLOW = asyncio.Event()  # « lent » answers once the test sets it


async def scripted_dialogue(message: UserMessage) -> None:
    """Echo, or misbehave on demand: ``boom`` raises, ``silence`` answers nothing."""
    SEEN.append(message)
    if message.text == "boom":
        raise RuntimeError("the NLU failed")
    if message.text == "lent":
        await RELEASE_SLOW.wait()
    if message.text != "silence":
        await message.output_channel.send_response(message.sender_id,
                                                   {"text": f"Reçu : {message.text}"})


class Agent:
    """The parts of Rasa's agent the channel reads for ``/intent`` messages."""

    def __init__(self) -> None:
        self.domain = SimpleNamespace(responses={
            "utter_offer_human": [{"text": "…", "buttons": [
                {"title": "Parler à une personne", "payload": "/ask_human"},
                {"title": "Reformuler", "payload": "/greet"}]}],
            "utter_ask_need": [{"text": "…", "buttons": [
                {"title": "Me former", "payload": "Me former"}]}],
        })
        self.trackers: dict[str, DialogueStateTracker] = {}
        self.tracker_store = SimpleNamespace(retrieve=self.retrieve)

    async def retrieve(self, sender: str) -> DialogueStateTracker | None:
        return self.trackers.get(sender)

    @staticmethod
    def is_ready() -> bool:
        return True


AGENT = Agent()


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> AsyncIterator[str]:
    """REST and web chat channels on an app started as ``rasa run --cors "*"``."""
    monkeypatch.setenv("SPRO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SPRO_ALLOWED_ORIGINS", "https://www.region.example")
    monkeypatch.setenv("SPRO_MESSAGES_PER_MINUTE", "6")
    SEEN.clear()
    RELEASE_SLOW.set()
    Sanic.test_mode = True
    app = Sanic(f"public_{free_port()}")
    configure_cors(app, "*")
    add_root_route(app)
    for channel in (PublicRestInput(), WebChatInput()):
        app.blueprint(channel.blueprint(scripted_dialogue),
                      url_prefix=f"/webhooks/{channel.url_prefix()}")
    AGENT.trackers.clear()
    app.ctx.agent = AGENT
    async with served(app) as url:
        yield url


async def post(url: str, body: Any = None, data: bytes | None = None,
               headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body if data is None else None, data=data,
                                headers=headers) as answer:
            text = await answer.text()
            try:
                content = json.loads(text)
            except json.JSONDecodeError:
                content = text
            return answer.status, content, answer.headers


async def new_id(server: str, channel: str = "rest") -> str:
    status, body, _ = await post(f"{server}/webhooks/{channel}/conversations")
    assert status == 201
    return body["sender"]


@pytest.mark.parametrize("channel", ["rest", "webchat"])
async def test_only_issued_ids_reach_a_conversation(server: str, channel: str) -> None:
    sender = await new_id(server, channel)
    status, body, _ = await post(f"{server}/webhooks/{channel}/webhook",
                                 {"sender": sender, "message": "bonjour"})
    assert (status, body[0]["text"]) == (200, "Reçu : bonjour")
    forged = sender[:-3] + ("aaa" if not sender.endswith("aaa") else "bbb")
    for other in ("essai", "test-1234", forged, "c-" + "a" * 24 + "." + "b" * 22):
        status, body, _ = await post(f"{server}/webhooks/{channel}/webhook",
                                     {"sender": other, "message": "bonjour"})
        assert status == 403 and "Conversation inconnue" in body["error"], other
    assert [m.sender_id for m in SEEN] == [sender]


def test_ids_are_unguessable_and_verified_with_the_key(tmp_path: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPRO_CONVERSATION_SECRET", "one key")
    ids = {conversation_ids.issue() for _ in range(200)}
    assert len(ids) == 200 and all(conversation_ids.is_valid(i) for i in ids)
    monkeypatch.setenv("SPRO_CONVERSATION_SECRET", "another key")
    assert not any(conversation_ids.is_valid(i) for i in ids)


async def test_limits_are_refused_in_french(server: str) -> None:
    url = f"{server}/webhooks/rest/webhook"
    sender = await new_id(server)
    cases = [
        (b'{"sender": "' + sender.encode() + b'", "message": "' + b"a" * 70_000 + b'"}', 413),
        (b"[" * 100_000, 413),
        (b"[" * 60_000, 400),
        (b'{"sender": "' + sender.encode() + b'", "message": "x", "metadata": '
         + b'{"a": ' * 20 + b"1" + b"}" * 21, 400),
        (json.dumps({"sender": sender, "message": "\ud800 bonjour"}).encode(), 400),
        (json.dumps({"sender": sender, "message": "x",
                     "metadata": {"region": "r" * 1000}}).encode(), 400),
        (json.dumps({"sender": sender, "message": "x",
                     "metadata": {f"k{i}": 1 for i in range(50)}}).encode(), 400),
        (json.dumps({"sender": sender, "message": "a\u0000b"}).encode(), 400),
    ]
    for body, expected in cases:
        status, answer, _ = await post(url, data=body,
                                       headers={"Content-Type": "application/json"})
        assert status == expected, (body[:60], answer)
        assert isinstance(answer, dict) and answer["error"][0].isupper()
    assert SEEN == []


async def test_text_is_normalised_and_metadata_kept_minimal(server: str) -> None:
    sender = await new_id(server)
    status, body, _ = await post(f"{server}/webhooks/rest/webhook", {
        "sender": sender, "message": "ｊ'ａｉ ２２ ａｎｓ\u200b",
        "metadata": {"region": "24", "channel_page": "/orientation", "extra": "x" * 100}})
    assert status == 200
    assert SEEN[-1].text == "j'ai 22 ans"
    assert SEEN[-1].metadata == {"region": "24", "channel_page": "/orientation"}


async def test_one_message_at_a_time_and_a_few_per_minute(server: str) -> None:
    url = f"{server}/webhooks/rest/webhook"
    sender = await new_id(server)
    RELEASE_SLOW.clear()
    first = asyncio.ensure_future(post(url, {"sender": sender, "message": "lent"}))
    while not any(m.text == "lent" for m in SEEN):
        await asyncio.sleep(0.01)
    refused = await asyncio.gather(*(post(url, {"sender": sender, "message": "lent"})
                                     for _ in range(9)))
    RELEASE_SLOW.set()
    assert (await first)[0] == 200
    assert [status for status, _, _ in refused] == [429] * 9
    assert all("message précédent" in body["error"] for _, body, _ in refused)
    for _ in range(5):
        assert (await post(url, {"sender": sender, "message": "vite"}))[0] == 200
    status, body, headers = await post(url, {"sender": sender, "message": "vite"})
    assert status == 429 and "Patientez une minute" in body["error"]
    assert headers["Retry-After"] == "60"
    other = await new_id(server)
    assert (await post(url, {"sender": other, "message": "vite"}))[0] == 200


async def test_intent_messages_only_as_quick_replies(server: str) -> None:
    url = f"{server}/webhooks/rest/webhook"
    sender = await new_id(server)
    for text in ("/restart", "/session_start", '/inform{"age": 99}', "/ask_human@0.1"):
        status, body, _ = await post(url, {"sender": sender, "message": text})
        assert status == 200 and "Je n'ai pas compris cette commande" in body[0]["text"]
    assert SEEN == []
    assert (await post(url, {"sender": sender, "message": "/greet"}))[0] == 200
    assert [m.text for m in SEEN] == ["/greet"]


async def test_a_quick_reply_the_assistant_offered_is_accepted(server: str) -> None:
    url = f"{server}/webhooks/rest/webhook"
    sender = await new_id(server)
    payload = '/inform{"commune_insee": "28134"}'
    assert (await post(url, {"sender": sender, "message": payload}))[1][0]["text"].startswith(
        "Je n'ai pas compris")
    AGENT.trackers[sender] = DialogueStateTracker.from_events(sender, [
        UserUttered("Dreux", {"name": "inform"}),
        BotUttered("Laquelle ?", data={"buttons": [{"title": "Dreux", "payload": payload}]}),
    ])
    status, body, _ = await post(url, {"sender": sender, "message": payload})
    assert (status, body[0]["text"]) == (200, f"Reçu : {payload}")


async def test_never_silent(server: str) -> None:
    url = f"{server}/webhooks/rest/webhook"
    sender = await new_id(server)
    for text, kept in (("boom", False), ("silence", True)):
        status, body, _ = await post(url, {"sender": sender, "message": text,
                                           "metadata": {"region": "24"}})
        assert status == 200
        assert body[-1]["text"].startswith("Pardon, un problème technique")
        assert ("Ce que vous avez écrit est gardé" in body[-1]["text"]) is kept
        assert "conseiller ou une conseillère" in body[-1]["text"]


async def test_cors_only_for_configured_origins_and_the_chat_routes(server: str) -> None:
    allowed, other = "https://www.region.example", "https://evil.example"
    sender = await new_id(server, "webchat")
    async with aiohttp.ClientSession() as session:
        for origin in (allowed, other):
            for method, path, body in [
                ("POST", "/webhooks/webchat/webhook", {"sender": sender, "message": "a"}),
                ("OPTIONS", "/webhooks/webchat/webhook", None),
                ("POST", "/webhooks/webchat/conversations", None),
                ("GET", "/webhooks/webchat/config", None),
            ]:
                async with session.request(method, server + path, json=body, headers={
                        "Origin": origin, "Access-Control-Request-Method": "POST"}) as answer:
                    # A state change from a site not configured is refused (guard).
                    refused = origin == other and method == "POST"
                    assert (answer.status == 403) if refused else answer.status < 300, path
                    given = answer.headers.get("Access-Control-Allow-Origin")
                    assert given == (allowed if origin == allowed else None), (origin, path)
                    assert "Access-Control-Allow-Credentials" not in answer.headers
        for path in ("/webhooks/webchat/static/spro-chat.js", "/webhooks/webchat/"):
            async with session.get(server + path, headers={"Origin": allowed}) as answer:
                assert "Access-Control-Allow-Origin" not in answer.headers, path


async def test_french_errors_and_no_version(server: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server}/") as answer:
            text = await answer.text()
            assert answer.status == 200 and "Rasa" not in text and "3.6" not in text
        async with session.get(f"{server}/nulle-part") as answer:
            assert (answer.status, (await answer.json())["error"]) == (
                404, "Adresse introuvable sur ce serveur.")
        async with session.get(f"{server}/webhooks/rest/webhook") as answer:
            assert answer.status == 405
            assert (await answer.json())["error"] == "Méthode non autorisée pour cette adresse."


def test_the_collector_carries_the_input_channels_name() -> None:
    """Issue 20: domain.yml's `channel: webchat` variants apply (Rasa reads output_channel.name())."""
    from channels.public_rest import collector_for

    first, second = collector_for("webchat"), collector_for("webchat")
    assert first.name() == "webchat" and collector_for("rest").name() == "rest"
    assert first is not second and first.messages is not second.messages


def test_collectors_make_no_new_class_per_message() -> None:
    """Issue 25: a class per message was cyclic garbage that crept between full collections."""
    from channels.public_rest import collector_for

    assert type(collector_for("webchat")) is type(collector_for("webchat"))
    assert type(collector_for("webchat")) is not type(collector_for("rest"))
