"""A live chat with an adviser survives a reload, a network drop and a second tab.

The person is in Debian's headless Chromium; the adviser uses the desk's API with a
signed-in session. Both go through HAProxy (round robin, no stickiness) in front of two
servers with the real web chat, console and chat desk channels sharing one database
(``tests.browser.replay_server --desk``: the dialogue is replayed, no model needed), so
a person's stream, their messages and the adviser's land on either instance.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.runtime.cluster import haproxy_config, haproxy_executable, haproxy_servers
from bot.runtime.launcher import free_port
from tests.browser.conftest import (  # noqa: F401 - shared fixtures
    ReplayServer,
    browser,
    new_page,
)
from tests.console.conftest import PASSWORDS, accounts_text  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

DESK = "/webhooks/console/desk/api"


@dataclass
class Balanced:
    """HAProxy's address in front of the instances."""

    url: str
    servers: list[ReplayServer]
    stats_socket: Path


@pytest.fixture(scope="module")
def balanced(
    tmp_path_factory: pytest.TempPathFactory,
    accounts_text: str,  # noqa: F811
) -> Iterator[Balanced]:
    """Two desk servers sharing their var dir (SQLite, secret, accounts) behind HAProxy."""
    work = tmp_path_factory.mktemp("live-chat")
    (work / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    servers = [
        ReplayServer(port=free_port(), log=work / f"server-{n}.log", desk=True)
        for n in (1, 2)
    ]
    port, socket = free_port(), work / "haproxy.sock"
    config = haproxy_config(port, [s.port for s in servers], socket).replace(
        "GET /webhooks/rest/", "GET /webhooks/webchat/health"
    )
    (work / "haproxy.cfg").write_text(config, encoding="utf-8")
    haproxy: subprocess.Popen[bytes] | None = None
    try:
        for server in servers:
            server.start()
        with open(work / "haproxy.log", "ab") as log:
            haproxy = subprocess.Popen(
                [haproxy_executable(), "-db", "-f", str(work / "haproxy.cfg")],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                rows = haproxy_servers(socket)
            except OSError:
                rows = {}
            if len(rows) == 2 and all(r["status"] == "UP" for r in rows.values()):
                break
            assert time.monotonic() < deadline, f"HAProxy not ready: {rows}"
            time.sleep(0.2)
        url = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{url}/webhooks/webchat/health", timeout=5):
            pass
        yield Balanced(url, servers, socket)
    finally:
        if haproxy is not None:
            haproxy.terminate()
            haproxy.wait(timeout=10)
        for server in servers:
            server.stop()


class Adviser:
    """Claire, signed in through the balancer, talking through the desk's API."""

    def __init__(self, browser: Any, url: str) -> None:  # noqa: F811
        self.context = browser.new_context(base_url=url)
        self.api = self.context.request
        self.call("post", "/webhooks/console/api/login", username="cmartin",
                  password=PASSWORDS["cmartin"])
        self.call("post", f"{DESK}/availability", available=True, capacity=1)
        self.request_id = ""

    def call(self, method: str, path: str, **body: Any) -> Any:
        answer = getattr(self.api, method)(path, data=body) if body else getattr(
            self.api, method
        )(path)
        assert answer.ok, f"{path}: {answer.status} {answer.text()}"
        return answer.json()

    def take(self) -> None:
        deadline = time.monotonic() + 15
        while True:
            queue = self.call("get", f"{DESK}/state")["queue"]
            waiting = [i for i in queue if i["status"] == "waiting"]
            if waiting:
                break
            assert time.monotonic() < deadline, "the request never reached the queue"
            time.sleep(0.2)
        self.request_id = waiting[0]["id"]
        self.call("post", f"{DESK}/conversations/{self.request_id}/take", confirm=True)

    def say(self, text: str) -> None:
        self.call("post", f"{DESK}/conversations/{self.request_id}/say", text=text)

    def person_said(self) -> list[str]:
        view = self.call("get", f"{DESK}/conversations/{self.request_id}")
        return [m["text"] for m in view["messages"] if m["who"] == "person"]

    def close(self) -> None:
        if self.request_id:
            self.api.post(f"{DESK}/conversations/{self.request_id}/hand-back",
                          data={"confirm": True})
        self.call("post", f"{DESK}/availability", available=False, capacity=1)
        self.context.close()


@pytest.fixture
def adviser(browser: Any, balanced: Balanced) -> Iterator[Adviser]:  # noqa: F811
    claire = Adviser(browser, balanced.url)
    yield claire
    claire.close()


def person_writes(page: Any, text: str) -> None:
    page.get_by_label("Votre message").fill(text)
    page.get_by_role("button", name="Envoyer", exact=True).click()


def start_live_chat(page: Any, url: str, adviser: Adviser) -> None:
    """The person asks for a person, Claire takes the conversation."""
    page.goto(f"{url}/webhooks/webchat/")
    page.locator(".spro-msg--bot").first.wait_for()
    page.locator("summary", has_text="Parler à une personne").click()
    page.get_by_role("button", name="Écrire à un conseiller ou une conseillère").click()
    page.locator(".spro-msg--desk").first.wait_for()
    adviser.take()
    page.locator(".spro-deskbar", has_text="Vous échangez avec Claire").wait_for()


def adviser_texts(page: Any) -> list[str]:
    """The adviser's messages the page shows, in order (without the name prefix)."""
    return [
        t.rsplit(":", 1)[-1].strip()
        for t in page.locator(".spro-msg--adviser").all_inner_texts()
    ]


def wait_for_texts(page: Any, expected: list[str], seconds: float = 15.0) -> None:
    """The page shows exactly these adviser messages, in this order (none twice)."""
    deadline = time.monotonic() + seconds
    while True:
        shown = adviser_texts(page)
        if shown == expected:
            return
        assert len(shown) <= len(expected) and time.monotonic() < deadline, (
            f"shown {shown}, expected {expected}"
        )
        page.wait_for_timeout(200)


def handover_status(page: Any) -> str:
    return page.evaluate(
        """() => {
            const key = Object.keys(sessionStorage).find(k => k.startsWith('spro-chat:v1:'));
            const state = JSON.parse(sessionStorage.getItem(key));
            return state.handover ? state.handover.status : '';
        }"""
    )


def test_a_reload_keeps_the_live_chat(
    balanced: Balanced, adviser: Adviser, new_page: Any  # noqa: F811
) -> None:
    page = new_page()
    start_live_chat(page, balanced.url, adviser)
    adviser.say("Bonjour, je suis Claire.")
    wait_for_texts(page, ["Bonjour, je suis Claire."])

    page.reload()
    page.locator(".spro-deskbar", has_text="Vous échangez avec Claire").wait_for()
    assert "interrompue" not in page.locator(".spro-log").inner_text()
    assert handover_status(page) == "taken"
    adviser.say("Vous êtes toujours là ?")
    wait_for_texts(page, ["Bonjour, je suis Claire.", "Vous êtes toujours là ?"])

    bot_messages = page.locator(".spro-msg--bot").count()
    person_writes(page, "Oui, je cherche une formation.")
    deadline = time.monotonic() + 10
    while adviser.person_said() != ["Oui, je cherche une formation."]:
        assert time.monotonic() < deadline, adviser.person_said()
        time.sleep(0.2)
    page.wait_for_timeout(1000)
    assert page.locator(".spro-msg--bot").count() == bot_messages, "the assistant is silent"

    # Messages written while the page is away arrive once, in order, when it is back.
    page.goto("about:blank")
    adviser.say("Je regarde les formations près de chez vous.")
    adviser.say("Voici une piste.")
    page.goto(f"{balanced.url}/webhooks/webchat/")
    wait_for_texts(page, [
        "Bonjour, je suis Claire.", "Vous êtes toujours là ?",
        "Je regarde les formations près de chez vous.", "Voici une piste.",
    ])
    page.wait_for_timeout(1500)
    assert len(adviser_texts(page)) == 4, "nothing twice"
    assert handover_status(page) == "taken"
