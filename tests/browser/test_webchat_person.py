"""Asking for a person in the web chat, and the phone layout (issue 20, items 5 and 7).

Real channel with a replayed dialogue (``replay``); the chat desk's answers are given by
``page.route`` as ``channels/handover/public.py`` gives them, so that the page's
rendering is tested without the Rasa server (tests/handover/test_handover_browser.py
runs the real desk).
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from bot.conversation.orientation import CARD_PARTS, build_orientation
from bot.conversation.routing import Profile, route
from bot.conversation.wording import render
from bot.knowledge import MemoryRepository
from tests.browser.conftest import DESKTOP, PHONE_390, SCREENSHOTS, ReplayServer, run_axe

pytestmark = pytest.mark.browser

NewPage = Callable[..., Any]
WAITING = {"token": "t-test", "status": "waiting", "ahead": 0, "wait_minutes": 2, "live": True}
CALLBACK = {"callback": {"open_now": None, "hours": "", "retention_days": 7, "open_days": 30,
                         "slots": [{"value": "morning", "label": "Le matin"},
                                   {"value": "afternoon", "label": "L'après-midi"}]}}


def desk_answers(page: Any, request: tuple[int, dict[str, Any]]) -> None:
    """The desk's ``request`` answer, and an event stream that stays quiet."""
    status, body = request
    page.route("**/webhooks/handover/request", lambda r: r.fulfill(
        status=status, content_type="application/json", body=json.dumps(body)))
    page.route("**/webhooks/handover/events*", lambda r: r.fulfill(
        status=200, content_type="text/event-stream", body="retry: 60000\n\n"))


def open_chat(new_page: NewPage, server: ReplayServer, where: str = "page", **options: Any) -> Any:
    page = new_page(**options)
    if where == "page":
        page.goto(f"{server.url}/webhooks/webchat/")
    else:
        page.goto(f"{server.url}/webhooks/webchat/demo")
        page.get_by_role("button", name="Une question sur votre orientation ?").click()
    page.locator(".spro-msg--bot").first.wait_for()
    return page


def say(page: Any, text: str) -> None:
    page.get_by_label("Votre message").fill(text)
    page.get_by_label("Votre message").press("Enter")


def box(page: Any, selector: str) -> dict[str, float]:
    return page.locator(selector).first.bounding_box()


def test_asking_for_a_person_is_one_message_with_its_links_then_the_queue_notice(
    new_page: NewPage, replay: ReplayServer
) -> None:
    page = open_chat(new_page, replay, viewport=PHONE_390, reduced_motion="reduce")
    desk_answers(page, (201, WAITING))
    say(page, "je veux parler à quelqu'un")
    page.locator(".spro-msg--desk").wait_for()
    after = page.locator(".spro-log > *").evaluate_all(
        "nodes => nodes.slice(nodes.findIndex(n => n.matches('.spro-msg--user')) + 1)"
        ".map(n => n.matches('.spro-msg--desk') ? 'desk' : n.innerText)")
    assert len(after) == 2 and after[1] == "desk", after  # one message, then the queue notice
    said = page.locator(".spro-msg--bot").last
    text = said.inner_text()
    assert "SPRO Centre-Val de Loire" in text and "(SPRO) (" not in text
    assert "Site :" not in text
    call = said.get_by_role("link", name="Appeler le 0 800 222 100")
    assert call.get_attribute("href") == "tel:0800222100"
    site = said.get_by_role("link", name="Site du SPRO Centre-Val de Loire : etoile.regioncentre.fr")
    assert site.get_attribute("href") == "http://www.etoile.regioncentre.fr/"
    assert "prochaine personne en attente" in page.locator(".spro-msg--desk").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "handover-webchat-phone-390-person.png"))
    assert not [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]

    page.reload()  # the links are part of the message, kept in the tab
    page.locator(".spro-msg--bot").last.get_by_role("link", name="Appeler le 0 800 222 100").wait_for()


def test_on_a_phone_the_call_back_form_takes_the_panel(new_page: NewPage, replay: ReplayServer) -> None:
    page = open_chat(new_page, replay, "widget", viewport=PHONE_390, reduced_motion="reduce")
    desk_answers(page, (409, CALLBACK))
    say(page, "je veux parler à quelqu'un")
    form = page.locator("form.spro-callback")
    form.wait_for()
    area = box(page, ".spro-callback-area")
    assert area["height"] >= 0.6 * PHONE_390["height"], area
    assert page.locator(".spro-log").is_hidden() and page.locator("form.spro-form").is_hidden()
    page.get_by_label("Votre numéro ou votre adresse").focus()  # reachable without a tiny box
    page.screenshot(path=str(SCREENSHOTS / "handover-webchat-phone-390-callback.png"))
    assert not [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
    page.get_by_role("button", name="Annuler").click()
    assert page.locator(".spro-log").is_visible() and page.get_by_label("Votre message").is_visible()


def test_on_a_desktop_the_call_back_form_stays_under_the_conversation(
    new_page: NewPage, replay: ReplayServer
) -> None:
    page = open_chat(new_page, replay, viewport=DESKTOP)
    desk_answers(page, (409, CALLBACK))
    say(page, "je veux parler à quelqu'un")
    page.locator("form.spro-callback").wait_for()
    assert page.locator(".spro-log").is_visible()


@pytest.mark.parametrize(("where", "top_at_most", "log_share"), [("widget", 140, 0.68), ("page", 165, 0.62)])
def test_on_a_phone_the_conversation_has_most_of_the_screen(
    new_page: NewPage, replay: ReplayServer, where: str, top_at_most: int, log_share: float
) -> None:
    """Header, notice and the two « details » links: about 130 px of 740 (they took 218)."""
    page = open_chat(new_page, replay, where, viewport=PHONE_390)
    infos = box(page, ".spro-infos")
    assert infos["y"] + infos["height"] <= top_at_most, infos
    assert box(page, ".spro-log")["height"] >= log_share * PHONE_390["height"]
    restart = box(page, ".spro-panel__tools .spro-button")
    assert restart["height"] >= 40 and restart["width"] >= 44  # still easy to touch


def refused_commune_answer() -> list[dict[str, Any]]:
    """What the web chat gets when the commune is refused on a page of no region."""
    decision = route(Profile(need="reconversion", commune_refused=True))
    orientation = build_orientation(decision, None, MemoryRepository.from_directory())
    before, after = orientation.around_payload(CARD_PARTS)
    text = [{"text": render(p.response, p.variables)["text"]} for p in before]
    return [*text, {"custom": orientation.payload},
            *({"text": render(p.response, p.variables)["text"]} for p in after)]


def test_a_refused_commune_gives_no_other_regions_service(new_page: NewPage, replay: ReplayServer) -> None:
    page = open_chat(new_page, replay)
    answer = refused_commune_answer()
    page.route("**/webhooks/webchat/webhook", lambda r: r.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer)))
    say(page, "je préfère ne pas le dire")
    page.get_by_text("Sans votre commune").wait_for()
    text = page.locator(".spro-log").inner_text()
    assert "Pas encore d'adresse proche" not in text
    assert "Centre-Val de Loire" not in text and "Pays de la Loire" not in text
    assert "site de votre Région" in text
