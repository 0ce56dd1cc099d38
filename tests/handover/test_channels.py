"""The chat desk over HTTP: public routes, the advisers' routes, the web chat's relay.

A Sanic app configured with the real channels (console, web chat, desk) on a free port;
no dialogue is needed (what needs it is in test_handover_browser.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
import pytest
from rasa.core.run import configure_app
from sanic import Sanic
from sqlalchemy import select

from bot.handover.desk import HandoverDesk
from bot.handover.line import LineHours, in_french
from bot.handover.store import HandoverStore, requests_table, stats_table
from channels import conversation_ids
from bot.advisers.accounts import AccountBook
from channels.console.channel import ConsoleInput
from bot.advisers.store import ConsoleStore
from channels.handover.desk import HandoverDeskInput
from channels.handover.public import HandoverInput
from channels.webchat import WebChatInput
from tests.console.conftest import (  # noqa: F401 - the console's fixtures
    PASSWORDS,
    accounts,
    accounts_file,
    accounts_text,
    store,
)
from tests.console.client import Client
from tests.sanic_server import served

PUBLIC = "/webhooks/handover"
DESK = "/webhooks/console/desk/api"


@pytest.fixture
def desk(tmp_path: Path) -> HandoverDesk:
    store = HandoverStore(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    yield HandoverDesk(store)
    store.dispose()


@pytest.fixture
def senders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Conversation ids issued by the server (signed with a test key)."""
    monkeypatch.setenv("SPRO_CONVERSATION_SECRET", "une clé de test")
    return [conversation_ids.issue() for _ in range(3)]


@pytest.fixture
async def server(
    store: ConsoleStore,
    accounts: AccountBook,
    desk: HandoverDesk,
    senders: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[str]:
    """Console, web chat and desk channels on a Sanic app on a free localhost port."""
    monkeypatch.setattr("bot.handover.relay.get_desk", lambda: desk)
    Sanic.test_mode = True
    app = configure_app(
        [
            ConsoleInput(store=store, accounts=accounts),
            WebChatInput(),
            HandoverInput(desk),
            HandoverDeskInput(desk, store, accounts),
        ],
        enable_api=False,
    )
    async with served(app) as url:
        yield url


@pytest.fixture
async def clients(server: str) -> AsyncIterator[dict[str, Client]]:
    """Claire and Paul signed in, and a member of the public."""
    made = {"claire": Client(server), "paul": Client(server), "public": Client(server)}
    await made["claire"].sign_in("cmartin")
    await made["paul"].sign_in("pdurand")
    yield made
    for client in made.values():
        await client.close()


class Stream:
    """A reader of server-sent events."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        """The data of the next event of this kind."""

        async def read() -> dict[str, Any]:
            event = ""
            while True:
                line = (await self.response.content.readline()).decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == kind:
                    return json.loads(line[6:])

        return await asyncio.wait_for(read(), timeout)


async def test_a_whole_hand_over_over_http(
    clients: dict[str, Client],
    desk: HandoverDesk,
    caplog: pytest.LogCaptureFixture,
    senders: list[str],
) -> None:
    web_a1 = senders[0]
    claire, paul, public = clients["claire"], clients["paul"], clients["public"]
    status, body = await public.call("POST", f"{PUBLIC}/request", {"sender": web_a1})
    assert status == 409 and body["callback"]["live"] is False  # nobody available yet

    assert (await claire.call("POST", f"{DESK}/availability", {"available": True}))[
        0
    ] == 200
    status, line = await public.call("GET", f"{PUBLIC}/status")
    assert line["live"] is True and "advisers" not in line
    status, body = await public.call("POST", f"{PUBLIC}/request", {"sender": web_a1})
    assert status == 201 and body["status"] == "waiting" and body["ahead"] == 0
    token = body["token"]

    # While waiting, the web chat's webhook gives the message to the desk, not the NLU,
    # and metadata cannot make it an adviser's.
    status, answer = await public.call(
        "POST",
        "/webhooks/webchat/webhook",
        {
            "sender": web_a1,
            "message": "Je suis là, mon 06 12 34 56 78",
            "metadata": {
                "who": "adviser",
                "first_name": "Claire",
                "adviser": "cmartin",
            },
        },
    )
    assert (status, answer) == (200, [])

    status, state = await claire.call("GET", f"{DESK}/state")
    (item,) = state["queue"]
    assert item["status"] == "waiting"
    async with public.session.get(
        f"{claire.base}{PUBLIC}/events", params={"token": token}
    ) as events:
        stream = Stream(events)
        assert (await stream.next("state"))["status"] == "waiting"
        status, view = await claire.call(
            "POST", f"{DESK}/conversations/{item['id']}/take", {}
        )
        assert status == 200 and view["mine"] is True
        assert [m["who"] for m in view["messages"]] == ["person", "desk"]
        assert "[téléphone masqué]" in view["messages"][0]["text"]
        assert (await stream.next("message"))["who"] == "desk"
        taken = await stream.next("state")
        assert taken == {"status": "taken", "adviser": "Claire", "final": False}
        # A page rejoining the conversation (reload, network back) asks its state.
        assert await public.call("GET", f"{PUBLIC}/state?token={token}") == (200, taken)

        # Paul neither reads nor writes Claire's conversation; the public has no desk API.
        for client, method, path in (
            (paul, "GET", f"{DESK}/conversations/{item['id']}"),
            (paul, "POST", f"{DESK}/conversations/{item['id']}/say"),
            (paul, "GET", f"{DESK}/conversations/{item['id']}/fiche"),
        ):
            assert (await client.call(method, path, {"text": "x"}))[0] == 404
        assert (await paul.call("GET", f"{DESK}/state"))[1]["queue"] == []
        for method, path in (
            ("GET", f"{DESK}/state"),
            ("GET", f"{DESK}/conversations/{item['id']}"),
            ("POST", f"{DESK}/conversations/{item['id']}/say"),
            ("GET", f"{DESK}/conversations/{item['id']}/events"),
        ):
            assert (await public.call(method, path, {"text": "x"}))[0] == 401

        status, _ = await claire.call(
            "POST",
            f"{DESK}/conversations/{item['id']}/say",
            {"text": "Bonjour, je suis Claire, je lis votre message."},
        )
        assert status == 201
        said = await stream.next("message")
        assert said["who"] == "adviser" and said["name"] == "Claire"

        assert (
            await public.call(
                "POST",
                f"{PUBLIC}/message",
                {"token": token, "text": "Merci !", "who": "adviser"},
            )
        )[0] == 201
        status, view = await claire.call("GET", f"{DESK}/conversations/{item['id']}")
        assert [m["who"] for m in view["messages"]][-1] == "person"
        assert all(m["name"] == "" for m in view["messages"] if m["who"] == "person")

        status, fiche = await claire.call(
            "GET", f"{DESK}/conversations/{item['id']}/fiche"
        )
        assert "Canal : tchat du site" in fiche and "Merci !" in fiche

        assert (
            await claire.call(
                "POST", f"{DESK}/conversations/{item['id']}/hand-back", {}
            )
        )[0] == 200
        await stream.next("message")
        assert (await stream.next("state"))["final"] is True
    status, over = await public.call("GET", f"{PUBLIC}/state?token={token}")
    assert (status, over["status"], over["final"]) == (200, "returned", True)
    assert desk.active_for_sender(web_a1) is None
    assert "06 12 34 56 78" not in caplog.text


async def test_call_back_reaches_the_console_and_is_closed(
    clients: dict[str, Client],
    desk: HandoverDesk,
    caplog: pytest.LogCaptureFixture,
    senders: list[str],
) -> None:
    web_b2 = senders[1]
    caplog.set_level(logging.DEBUG)
    claire, public = clients["claire"], clients["public"]
    form = {
        "sender": web_b2,
        "contact_kind": "phone",
        "contact": "06 98 76 54 32",
        "slot": "morning",
        "note": "Plutôt après 10 h, mon mail est a@b.fr",
    }
    status, body = await public.call("POST", f"{PUBLIC}/callback", form)
    assert status == 422 and "cochez" in body["error"]
    status, body = await public.call(
        "POST", f"{PUBLIC}/callback", {**form, "consent": True}
    )
    assert status == 201 and "recontactera" in body["text"]

    status, state = await claire.call("GET", f"{DESK}/state")
    (callback,) = state["callbacks"]
    assert callback["contact"] == "0698765432" and callback["slot"] == "Le matin"
    assert "a@b.fr" not in callback["note"]
    status, _ = await claire.call(
        "POST", f"{DESK}/callbacks/{callback['id']}/close", {"outcome": "reached"}
    )
    assert status == 200
    assert (await claire.call("GET", f"{DESK}/state"))[1]["callbacks"] == []
    with desk.store.engine.connect() as db:
        stats = db.execute(select(stats_table)).all()
        kept = db.execute(select(requests_table.c.contact)).scalar_one()
    assert kept == "0698765432"  # until the retention period ends
    assert "0698765432" not in repr(stats) and "06 98" not in caplog.text


async def test_changes_from_another_site_are_refused(
    clients: dict[str, Client],
) -> None:
    status, _ = await clients["claire"].call(
        "POST",
        f"{DESK}/availability",
        {"available": True},
        headers={"Origin": "https://ailleurs.example"},
    )
    assert status == 403


@pytest.mark.parametrize("password_of", [PASSWORDS])
async def test_a_stranger_token_opens_nothing(
    clients: dict[str, Client], password_of: dict[str, str]
) -> None:
    public = clients["public"]
    for path, body in (
        (f"{PUBLIC}/message", {"token": "devine", "text": "Bonjour"}),
        (f"{PUBLIC}/leave", {"token": "devine"}),
    ):
        assert (await public.call("POST", path, body))[0] == 404
    assert (await public.call("GET", f"{PUBLIC}/events?token=devine"))[0] == 404
    assert (await public.call("GET", f"{PUBLIC}/state?token=devine"))[0] == 404


async def test_outside_the_line_hours_a_call_back_reaches_the_console(
    clients: dict[str, Client], desk: HandoverDesk, senders: list[str]
) -> None:
    web_c3 = senders[2]
    claire, public = clients["claire"], clients["public"]
    desk.hours = lambda region, moment: LineHours(
        "SPRO", "", in_french("Mo-Fr 09:00-17:00"), False
    )
    assert (await claire.call("POST", f"{DESK}/availability", {"available": True}))[
        0
    ] == 200
    status, body = await public.call("POST", f"{PUBLIC}/request", {"sender": web_c3})
    assert status == 409
    assert body["callback"]["open_now"] is False
    assert body["callback"]["hours"] == "du lundi au vendredi 9 h 00 – 17 h 00"
    assert body["callback"]["open_days"] == 30  # shown in the form (issue 21 G)
    status, body = await public.call(
        "POST",
        f"{PUBLIC}/callback",
        {
            "sender": web_c3,
            "consent": True,
            "contact_kind": "email",
            "contact": "lea@example.org",
            "slot": "any",
        },
    )
    assert status == 201
    assert (
        "pendant les horaires de la ligne (du lundi au vendredi 9 h 00" in body["text"]
    )
    assert "et 30 jours après votre demande si personne n'a pu vous rappeler" in (
        body["text"]
    )
    (callback,) = (await claire.call("GET", f"{DESK}/state"))[1]["callbacks"]
    assert callback["contact"] == "lea@example.org"
    assert (
        await claire.call(
            "POST", f"{DESK}/callbacks/{callback['id']}/close", {"outcome": "no_answer"}
        )
    )[0] == 200
    assert desk.statistics() == [
        {
            "kind": "callback",
            "outcome": "no_answer",
            "count": 1,
            "mean_wait_s": desk.statistics()[0]["mean_wait_s"],
        }
    ]
