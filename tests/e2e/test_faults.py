"""Faults on the real servers: the action server killed, frozen and restarted, Rasa restarted.

Whatever fails, the person gets a French answer with the human option within 5 s, and
what they wrote is used once the service is back. The conversation lives in the SQL
tracker store (SQLite here), so a restarted Rasa goes on where it was.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.runtime.launcher import Stack, free_port, write_endpoints
from tests.conftest import load_knowledge, post_message, texts
from bot.evaluation.personas import orientation_payload, question_asked

pytestmark = pytest.mark.e2e

RETRY_SECONDS = 2.0


@pytest.fixture(scope="module")
def servers(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own: these tests stop and freeze its servers."""
    work = tmp_path_factory.mktemp("faults")
    load_knowledge(work)
    actions_port = free_port()
    stack = Stack(
        model=trained_model, rasa_port=free_port(), actions_port=actions_port,
        endpoints=write_endpoints(work / "endpoints.yml", actions_port, work / "tracker.sqlite3"),
        log_dir=work,
        extra_env={"SPRO_VAR_DIR": str(work), "SPRO_ACTION_RETRY_SECONDS": str(RETRY_SECONDS)},
    )
    stack.start()
    try:
        stack.wait_ready()
        yield stack
    finally:
        for process in (stack.rasa, stack.actions):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGCONT)
        stack.stop()


def timed(stack: Stack, sender: str, text: str) -> tuple[float, list[dict[str, Any]]]:
    started = time.monotonic()
    answer = post_message(stack.url, sender, text)
    return time.monotonic() - started, answer


def assert_told_of_the_problem(seconds: float, answer: list[dict[str, Any]]) -> None:
    said = texts(answer)
    assert seconds < 5, f"answered after {seconds:.1f} s"
    assert "problème technique" in said and "gardé" in said, said
    assert "conseiller ou une conseillère" in said, said


def actions_back(stack: Stack) -> None:
    """Wait until the action server answers, then for Rasa's retry period."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{stack.actions_port}/health", timeout=2):
                break
        except OSError:
            time.sleep(0.3)
    time.sleep(RETRY_SECONDS + 0.5)


def test_action_server_killed_then_restarted(servers: Stack, sender: str) -> None:
    assert question_asked(post_message(
        servers.url, sender, "je suis au chômage et je cherche du travail")) == "age"
    assert servers.actions is not None
    os.killpg(servers.actions.pid, signal.SIGKILL)
    servers.actions.wait()
    assert_told_of_the_problem(*timed(servers, sender, "22 ans"))
    seconds, answer = timed(servers, sender, "vous êtes là ?")
    assert_told_of_the_problem(seconds, answer)
    servers.start_actions()
    actions_back(servers)
    # "22 ans" was kept: with the commune, the orientation is the young person's one.
    payload = orientation_payload(post_message(servers.url, sender, "Chartres"))
    assert payload and payload["network"] == "mission_locale", payload


def test_action_server_frozen(servers: Stack, sender: str) -> None:
    assert question_asked(post_message(
        servers.url, sender, "je suis au chômage et je cherche du travail")) == "age"
    assert servers.actions is not None
    os.killpg(servers.actions.pid, signal.SIGSTOP)
    try:
        assert_told_of_the_problem(*timed(servers, sender, "j'ai 22 ans"))
        other = f"{sender}-other"
        assert_told_of_the_problem(*timed(servers, other, "bonjour"))
    finally:
        os.killpg(servers.actions.pid, signal.SIGCONT)
    actions_back(servers)
    payload = orientation_payload(post_message(servers.url, sender, "Chartres"))
    assert payload and payload["network"] == "mission_locale", payload


def test_rasa_restarted_mid_conversation(servers: Stack, sender: str) -> None:
    post_message(servers.url, sender, "je suis au chômage et je cherche du travail")
    assert question_asked(post_message(servers.url, sender, "22 ans")) == "commune_insee"
    assert servers.rasa is not None
    os.killpg(servers.rasa.pid, signal.SIGTERM)
    servers.rasa.wait(timeout=60)
    servers.start_rasa()
    servers.wait_ready()
    answer = post_message(servers.url, sender, "Chartres")
    payload = orientation_payload(answer)
    assert payload and payload["network"] == "mission_locale", texts(answer)
