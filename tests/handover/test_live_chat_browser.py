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
UNAVAILABLE = '{"error": "Le service est momentanément indisponible."}'


@dataclass
class Balanced:
    """HAProxy's address in front of the instances."""

    url: str
    servers: list[ReplayServer]
    stats_socket: Path
    config: Path
    haproxy: subprocess.Popen[bytes] | None = None

    def start_balancer(self) -> None:
        """Start HAProxy and wait until both instances are in service."""
        with open(self.config.with_suffix(".log"), "ab") as log:
            self.haproxy = subprocess.Popen(
                [haproxy_executable(), "-db", "-f", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                rows = haproxy_servers(self.stats_socket)
            except OSError:
                rows = {}
            if len(rows) == 2 and all(r["status"] == "UP" for r in rows.values()):
                break
            assert time.monotonic() < deadline, f"HAProxy not ready: {rows}"
            time.sleep(0.2)

    def stop_balancer(self) -> None:
        """Stop HAProxy: every connection through it is cut."""
        if self.haproxy is not None:
            self.haproxy.kill()
            self.haproxy.wait(timeout=10)
            self.haproxy = None


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
    balanced = Balanced(
        f"http://127.0.0.1:{port}", servers, socket, work / "haproxy.cfg"
    )
    try:
        for server in servers:
            server.start()
        balanced.start_balancer()
        yield balanced
    finally:
        balanced.stop_balancer()
        for server in servers:
            server.stop()


class Adviser:
    """Claire, signed in through the balancer, talking through the desk's API."""

    def __init__(self, browser: Any, url: str) -> None:  # noqa: F811
        self.context = browser.new_context(base_url=url)
        self.api = self.context.request
        self.call(
            "post",
            "/webhooks/console/api/login",
            username="cmartin",
            password=PASSWORDS["cmartin"],
        )
        self.call("post", f"{DESK}/availability", available=True, capacity=1)
        self.request_id = ""

    def call(self, method: str, path: str, **body: Any) -> Any:
        answer = (
            getattr(self.api, method)(path, data=body)
            if body
            else getattr(self.api, method)(path)
        )
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

    def say(self, text: str, via: str = "") -> None:
        """Send a message, through the balancer or ``via`` one instance's address."""
        path = f"{via}{DESK}/conversations/{self.request_id}/say"
        self.call("post", path, text=text)

    def person_said(self) -> list[str]:
        view = self.call("get", f"{DESK}/conversations/{self.request_id}")
        return [m["text"] for m in view["messages"] if m["who"] == "person"]

    def close(self) -> None:
        if self.request_id:
            self.api.post(
                f"{DESK}/conversations/{self.request_id}/hand-back",
                data={"confirm": True},
            )
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
    balanced: Balanced,
    adviser: Adviser,
    new_page: Any,  # noqa: F811
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
    assert page.locator(".spro-msg--bot").count() == bot_messages, (
        "the assistant is silent"
    )

    # Messages written while the page is away arrive once, in order, when it is back.
    page.goto("about:blank")
    adviser.say("Je regarde les formations près de chez vous.")
    adviser.say("Voici une piste.")
    page.goto(f"{balanced.url}/webhooks/webchat/")
    wait_for_texts(
        page,
        [
            "Bonjour, je suis Claire.",
            "Vous êtes toujours là ?",
            "Je regarde les formations près de chez vous.",
            "Voici une piste.",
        ],
    )
    page.wait_for_timeout(1500)
    assert len(adviser_texts(page)) == 4, "nothing twice"
    assert handover_status(page) == "taken"


def test_a_network_drop_of_30_seconds_loses_nothing(
    balanced: Balanced,
    adviser: Adviser,
    new_page: Any,  # noqa: F811
) -> None:
    """15 s without network, then 15 s of errors from the balancer, then all is back."""
    page = new_page()
    start_live_chat(page, balanced.url, adviser)
    adviser.say("Bonjour, je suis Claire.")
    wait_for_texts(page, ["Bonjour, je suis Claire."])

    page.context.set_offline(True)
    balanced.stop_balancer()  # the open stream is cut
    page.wait_for_timeout(2000)
    adviser.say("Avez-vous un diplôme ?", via=balanced.servers[1].url)
    person_writes(page, "J'ai un CAP.")
    page.locator(".spro-error", has_text="n'est pas perdu").wait_for()
    assert page.get_by_label("Votre message").input_value() == "J'ai un CAP."
    page.wait_for_timeout(14_000)
    # Then the network comes back before the service: the balancer answers 503.
    page.route(
        "**/webhooks/**",
        lambda route: route.fulfill(
            status=503, content_type="application/json; charset=utf-8", body=UNAVAILABLE
        ),
    )
    balanced.start_balancer()
    page.context.set_offline(False)
    adviser.say("Un CAP ouvre beaucoup de portes.")
    page.wait_for_timeout(14_000)
    page.unroute("**/webhooks/**")

    wait_for_texts(
        page,
        [
            "Bonjour, je suis Claire.",
            "Avez-vous un diplôme ?",
            "Un CAP ouvre beaucoup de portes.",
        ],
        seconds=30,
    )
    assert "interrompue" not in page.locator(".spro-log").inner_text()
    page.locator(".spro-deskbar", has_text="Vous échangez avec Claire").wait_for()
    page.get_by_role("button", name="Renvoyer le message").click()
    deadline = time.monotonic() + 10
    while adviser.person_said() != ["J'ai un CAP."]:
        assert time.monotonic() < deadline, adviser.person_said()
        time.sleep(0.2)
    page.wait_for_timeout(1500)
    assert len(adviser_texts(page)) == 3, "nothing twice"
    assert handover_status(page) == "taken"


def test_a_second_tab_joins_the_live_chat(
    balanced: Balanced,
    adviser: Adviser,
    new_page: Any,  # noqa: F811
) -> None:
    first = new_page()
    start_live_chat(first, balanced.url, adviser)
    adviser.say("Bonjour, je suis Claire.")
    wait_for_texts(first, ["Bonjour, je suis Claire."])

    second = first.context.new_page()  # same browser: another tab, its own session
    second.goto(f"{balanced.url}/webhooks/webchat/")
    second.locator(".spro-deskbar", has_text="Vous échangez avec Claire").wait_for()
    wait_for_texts(second, ["Bonjour, je suis Claire."])
    adviser.say("Que puis-je faire pour vous ?")
    for tab in (first, second):
        wait_for_texts(
            tab, ["Bonjour, je suis Claire.", "Que puis-je faire pour vous ?"]
        )
    person_writes(second, "Je cherche un stage.")
    deadline = time.monotonic() + 10
    while adviser.person_said() != ["Je cherche un stage."]:
        assert time.monotonic() < deadline, adviser.person_said()
        time.sleep(0.2)
    assert second.locator(".spro-msg--bot").count() == 0, (
        "no greeting sent to the adviser"
    )
    first.wait_for_timeout(1500)
    for tab in (first, second):
        assert len(adviser_texts(tab)) == 2, "nothing twice"
        assert handover_status(tab) == "taken"
