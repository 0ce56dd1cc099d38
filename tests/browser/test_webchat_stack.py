"""The web chat in headless Chromium against the real Rasa and action servers."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from bot.runtime.launcher import Stack
from tests.browser.conftest import SCREENSHOTS, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

MAX_TURNS = 5


def test_real_conversation_to_a_structure_card(new_page: Callable[..., Any], stack: Stack) -> None:
    page = new_page()
    page.goto(f"{stack.url}/webhooks/webchat/")
    greeting = page.locator(".spro-msg--bot").first
    greeting.wait_for(timeout=60_000)
    assert "anonyme" in greeting.inner_text()

    textarea = page.get_by_label("Votre message")

    def say(text: str) -> None:
        textarea.fill(text)
        textarea.press("Enter")

    def press_first_reply() -> None:
        page.locator(".spro-reply").first.focus()
        page.keyboard.press("Enter")

    answer(page, lambda: say(
        "Bonjour, j'ai 17 ans, j'habite à Tours et je voudrais devenir cuisinier en apprentissage"
    ))
    for _ in range(MAX_TURNS):
        if page.locator(".spro-card").count():
            break
        # A question: answer with its first quick reply (keyboard), or in words.
        answer(page, press_first_reply if page.locator(".spro-reply").count()
               else lambda: say("je ne sais pas"))
    card = page.locator(".spro-card").first
    card.wait_for()
    text = card.inner_text()
    assert "Tours" in text or "km" in text, text
    assert card.locator("a[href^='tel:']").count() >= 1 or "Appeler" not in text

    card.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "page-desktop-real-orientation.png"))

    # Reload: the conversation and its card are still there.
    log_before = page.locator(".spro-log").inner_text()
    page.reload()
    page.locator(".spro-card").first.wait_for()
    assert page.locator(".spro-log").inner_text() == log_before

    serious = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious

    # Recommencer, then a vaguer request: the bot asks with quick replies, answered by keyboard.
    page.locator(".spro-panel__tools").get_by_role("button", name="Recommencer").click()
    page.locator(".spro-msg--bot").first.wait_for(timeout=60_000)
    assert page.locator(".spro-card").count() == 0
    answer(page, lambda: say("je cherche une formation"))
    replies = page.locator(".spro-reply")
    assert replies.count() >= 2, page.locator(".spro-log").inner_text()
    chosen = replies.first.inner_text()
    answer(page, press_first_reply)
    assert page.locator(".spro-msg--user").last.inner_text().endswith(chosen)


def answer(page: Any, act: Callable[[], None]) -> None:
    """Do ``act`` and wait for the bot's answer to be rendered."""
    before = page.locator(".spro-msg--bot").count()
    act()
    page.wait_for_function(
        "n => document.querySelectorAll('.spro-msg--bot').length > n"
        " && !document.querySelector('.spro-typing--on')",
        arg=before, timeout=60_000,
    )
