"""The console's API on a Sanic app configured with the channel (no dialogue needed).

Authentication, ownership of calls, session expiry, and the call lifecycle up to the
fiche; what needs the dialogue (say, correct) is in test_call_e2e.py.
"""

from __future__ import annotations

from typing import AsyncIterator

import aiohttp
import pytest
from rasa.core.run import configure_app
from sanic import Sanic

from bot.advisers.accounts import AccountBook
from channels.console.channel import COOKIE, ConsoleInput
from bot.advisers.store import ConsoleStore
from tests.console.client import API, Client
from tests.console.conftest import PASSWORDS, Clock
from tests.sanic_server import served


@pytest.fixture
async def server(store: ConsoleStore, accounts: AccountBook) -> AsyncIterator[str]:
    """The console channel on a Sanic app listening on a free localhost port."""
    Sanic.test_mode = True
    app = configure_app([ConsoleInput(store=store, accounts=accounts)], enable_api=False)
    async with served(app) as url:
        yield url


@pytest.fixture
async def claire(server: str) -> AsyncIterator[Client]:
    client = Client(server)
    await client.sign_in("cmartin")
    yield client
    await client.close()


@pytest.fixture
async def anonymous(server: str) -> AsyncIterator[Client]:
    client = Client(server)
    yield client
    await client.close()


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/me"), ("GET", "/calls"), ("POST", "/calls"), ("GET", "/calls/abc"),
    ("POST", "/calls/abc/say"), ("POST", "/calls/abc/profile"), ("POST", "/calls/abc/close"),
    ("POST", "/calls/abc/caller"), ("POST", "/calls/abc/structure"),
    ("GET", "/calls/abc/fiche"), ("GET", "/structures?network=cio&commune=Tours"),
    ("GET", "/networks"), ("GET", "/fields"),
])
async def test_unauthenticated_requests_get_401(anonymous: Client, method: str, path: str) -> None:
    status, body = await anonymous.call(method, API + path, {} if method == "POST" else None)
    assert status == 401
    assert body == {"error": "Connectez-vous pour utiliser la console."}


async def test_a_forged_cookie_gets_401(anonymous: Client, server: str) -> None:
    anonymous.session.cookie_jar.update_cookies({COOKIE: "forged-token"})
    status, _ = await anonymous.call("GET", f"{API}/me")
    assert status == 401


async def test_sign_in_sets_a_strict_http_only_cookie(anonymous: Client) -> None:
    async with anonymous.session.post(f"{anonymous.base}{API}/login", json={
        "username": "cmartin", "password": PASSWORDS["cmartin"]}) as answer:
        assert answer.status == 200
        cookie = answer.cookies[COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        assert cookie["path"] == "/webhooks/console"
        assert (await answer.json())["adviser"] == {"username": "cmartin", "name": "Claire Martin"}
    status, body = await anonymous.call("GET", f"{API}/me")
    assert (status, body["adviser"]["name"]) == (200, "Claire Martin")


async def test_wrong_passwords_then_a_short_wait(anonymous: Client, clock: Clock) -> None:
    """Three wrong passwords, then this address waits 1 s (growing), never a lock."""
    for _ in range(3):
        status, body = await anonymous.call("POST", f"{API}/login",
                                            {"username": "pdurand", "password": "wrong password"})
        assert (status, body["error"]) == (401, "Identifiant ou mot de passe incorrect.")
    status, body = await anonymous.call("POST", f"{API}/login",
                                        {"username": "pdurand", "password": PASSWORDS["pdurand"]})
    assert status == 429 and "réessayez dans 1 seconde" in body["error"]
    clock.advance(seconds=body["retry_after"])
    status, body = await anonymous.call("POST", f"{API}/login",
                                        {"username": "pdurand", "password": PASSWORDS["pdurand"]})
    assert status == 200


async def test_sign_out_ends_the_session(claire: Client) -> None:
    assert (await claire.call("POST", f"{API}/logout", {}))[0] == 200
    assert (await claire.call("GET", f"{API}/me"))[0] == 401


async def test_session_expiry_gives_401(
    claire: Client, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPRO_CONSOLE_IDLE_MINUTES", "30")
    assert (await claire.call("GET", f"{API}/me"))[0] == 200
    clock.advance(minutes=31)
    status, body = await claire.call("GET", f"{API}/me")
    assert status == 401


async def test_another_adviser_cannot_read_a_call_by_its_id(claire: Client, server: str) -> None:
    status, call = await claire.call("POST", f"{API}/calls", {})
    assert status == 201
    paul = Client(server)
    try:
        await paul.sign_in("pdurand")
        for method, path, body in [
            ("GET", "", None), ("GET", "/fiche", None), ("GET", "/fiche?format=html", None),
            ("POST", "/say", {"text": "bonjour"}), ("POST", "/close", {"outcome": "oriented"}),
            ("POST", "/caller", {"consent": True, "name": "x"}),
        ]:
            status, answer = await paul.call(method, f"{API}/calls/{call['id']}{path}", body)
            assert (status, answer) == (404, {"error": "Appel introuvable."}), path
        assert (await paul.call("GET", f"{API}/calls"))[1] == {"calls": []}
    finally:
        await paul.close()
    assert (await claire.call("GET", f"{API}/calls/{call['id']}"))[0] == 200


async def test_changes_must_be_json_from_the_console_origin(claire: Client) -> None:
    status, _ = await claire.call("POST", f"{API}/calls", data="x",
                                  headers={"Content-Type": "text/plain"})
    assert status == 415
    status, _ = await claire.call("POST", f"{API}/calls", {},
                                  headers={"Origin": "https://evil.example"})
    assert status == 403


async def test_call_lifecycle_without_the_dialogue(claire: Client, clock: Clock) -> None:
    status, call = await claire.call("POST", f"{API}/calls", {})
    assert (status, call["open"], call["elapsed_s"]) == (201, True, 0)
    url = f"{API}/calls/{call['id']}"
    clock.advance(minutes=6)
    status, call = await claire.call("GET", url)
    assert call["elapsed_s"] == 360
    # The dialogue is not loaded on this app: the adviser is told, nothing is lost.
    status, body = await claire.call("POST", f"{url}/say", {"text": "bonjour"})
    assert status == 503 and "démarre" in body["error"]
    status, call = await claire.call("POST", f"{url}/caller", {
        "consent": False, "name": "Léa", "contact": "lea@example.org",
        "note": "Information donnée sur le CEP."})
    assert (call["caller_name"], call["caller_contact"]) == ("", "")
    status, text = await claire.call("GET", f"{url}/fiche")
    assert status == 200 and "Anonyme" in text and "Information donnée sur le CEP." in text
    status, body = await claire.call("POST", f"{url}/close", {"outcome": "maybe"})
    assert status == 400 and "Information donnée" in body["error"]
    status, call = await claire.call("POST", f"{url}/close", {"outcome": "information"})
    assert (status, call["open"], call["outcome_label"]) == (200, False, "Information donnée")
    assert (await claire.call("POST", f"{url}/say", {"text": "encore"}))[0] == 409
    assert (await claire.call("POST", f"{url}/close", {"outcome": "oriented"}))[0] == 409
    async with claire.session.get(f"{claire.base}{url}/fiche?format=html&download=1") as answer:
        assert answer.status == 200
        assert answer.headers["Content-Disposition"].startswith(
            'attachment; filename="fiche-de-liaison-2026-03-12.html"')
        assert "Content-Security-Policy" in answer.headers
        page = await answer.text()
        assert "Issue : Information donnée" in page
        assert '<link rel="stylesheet" href="/webhooks/console/static/fiche.css">' in page


async def test_page_and_static_files_are_served(anonymous: Client) -> None:
    async with anonymous.session.get(f"{anonymous.base}/webhooks/console",
                                     allow_redirects=False) as answer:
        assert (answer.status, answer.headers["Location"]) == (302, "/webhooks/console/")
    status, page = await anonymous.call("GET", "/webhooks/console/")
    assert status == 200 and '<html lang="fr">' in page
    for name in ("console.js", "console.css", "fiche.css"):
        assert (await anonymous.call("GET", f"/webhooks/console/static/{name}"))[0] == 200
    assert (await anonymous.call("GET", "/webhooks/console/static/..%2Fchannel.py"))[0] == 404


async def test_sign_out_without_a_session_gets_401(anonymous: Client) -> None:
    status, body = await anonymous.call("POST", f"{API}/logout", {})
    assert (status, body) == (401, {"error": "Connectez-vous pour utiliser la console."})


async def test_a_closed_call_refuses_caller_changes(claire: Client) -> None:
    status, call = await claire.call("POST", f"{API}/calls", {})
    url = f"{API}/calls/{call['id']}"
    await claire.call("POST", f"{url}/caller", {"consent": True, "name": "Léa", "note": "vu"})
    await claire.call("POST", f"{url}/close", {"outcome": "information"})
    status, body = await claire.call("POST", f"{url}/caller", {"consent": False, "note": "changé"})
    assert (status, body) == (409, {"error": "Cet appel est clos : il ne peut plus être modifié."})
    status, body = await claire.call("POST", f"{url}/structure", {"structure_id": None})
    assert status == 409
    status, call = await claire.call("GET", url)
    assert (call["caller_name"], call["note"], call["consent"]) == ("Léa", "vu", True)


async def test_forty_parallel_wrong_passwords_are_not_all_checked(server: str) -> None:
    import asyncio

    async def attempt() -> int:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{server}{API}/login", json={
                    "username": "pdurand", "password": "wrong password"}) as answer:
                return answer.status

    statuses = await asyncio.gather(*(attempt() for _ in range(40)))
    assert statuses.count(401) == 3
    assert statuses.count(429) == 37


@pytest.fixture
async def server_with_open_cors(store: ConsoleStore, accounts: AccountBook) -> AsyncIterator[str]:
    """The console on an app started like ``rasa run --cors "*"``."""
    Sanic.test_mode = True
    app = configure_app([ConsoleInput(store=store, accounts=accounts)], cors="*",
                        enable_api=False)
    async with served(app) as url:
        yield url


async def test_the_console_is_never_readable_cross_origin(server_with_open_cors: str) -> None:
    client = Client(server_with_open_cors)
    try:
        await client.sign_in("cmartin")
        evil = {"Origin": "http://127.0.0.1:9999"}
        for method, path in [("GET", "/me"), ("GET", "/calls"), ("OPTIONS", "/calls")]:
            async with client.session.request(method, f"{client.base}{API}{path}", headers={
                    **evil, "Access-Control-Request-Method": "GET"}) as answer:
                assert not [h for h in answer.headers if h.lower().startswith("access-control")], (
                    path, dict(answer.headers))
    finally:
        await client.close()
