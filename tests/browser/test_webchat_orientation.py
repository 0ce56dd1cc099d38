"""The recommended door first in the web chat, the other network's after it (issue 20, item 2).

When the recommended network has no local record (the CEP operator for an employee in
Tours or Blois), the first card is that network with how to reach it (mon-cep.org, the
regional line); the other network's structure (Transitions Pro, Olivet) comes after,
under « En second choix », with its own distance. Real payloads from the knowledge base,
given to the real page by ``page.route`` (the dialogue is not what is tested here).
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from bot import places
from bot.conversation.orientation import CARD_PARTS, build_orientation
from bot.conversation.routing import Profile, route
from bot.conversation.wording import render
from bot.knowledge import MemoryRepository
from tests.browser.conftest import DESKTOP, PHONE_390, SCREENSHOTS, ReplayServer, run_axe
from tests.browser.test_webchat_person import say

pytestmark = pytest.mark.browser

NewPage = Callable[..., Any]


EMPLOYEE = Profile(situation="salarie", age=45, need="reconversion")
YOUNG_JOB_SEEKER = Profile(situation="sans_emploi", age=20, need="emploi")


def answer_for(insee: str, profile: Profile = EMPLOYEE) -> list[dict[str, Any]]:
    """What the web chat gets for ``profile`` (an employee who wants to change jobs) in ``insee``."""
    decision = route(profile)
    orientation = build_orientation(decision, places.commune(insee), MemoryRepository.from_directory())
    before, after = orientation.around_payload(CARD_PARTS)
    return [*({"text": render(p.response, p.variables)["text"]} for p in before),
            {"custom": orientation.payload},
            *({"text": render(p.response, p.variables)["text"]} for p in after)]


def with_network_names(route: Any) -> None:
    """The channel's settings with the knowledge base's network names (the replay server has none)."""
    settings = route.fetch().json()
    settings["networks"] = {n.code: n.name for n in MemoryRepository.from_directory().networks()}
    route.fulfill(status=200, content_type="application/json", body=json.dumps(settings))


def open_page(new_page: NewPage, server: ReplayServer, **options: Any) -> Any:
    page = new_page(**options)
    page.route("**/webhooks/webchat/config*", with_network_names)
    page.goto(f"{server.url}/webhooks/webchat/")
    page.locator(".spro-msg--bot").first.wait_for()
    return page


def show(page: Any, answer: list[dict[str, Any]]) -> Any:
    page.route("**/webhooks/webchat/webhook", lambda r: r.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer)))
    say(page, "je suis salarié et je veux changer de métier")
    orientation = page.locator(".spro-orientation")
    orientation.wait_for()
    return orientation


@pytest.mark.parametrize(("insee", "town", "km"), [("37261", "Tours", "103,3"), ("41018", "Blois", "53,5")])
def test_without_a_local_record_the_recommended_network_comes_first_with_how_to_reach_it(
    new_page: NewPage, replay: ReplayServer, insee: str, town: str, km: str
) -> None:
    page = open_page(new_page, replay, viewport=PHONE_390, reduced_motion="reduce")
    orientation = show(page, answer_for(insee))
    assert orientation.locator(".spro-orientation__intro").inner_text() == f"Où vous adresser près de {town} :"
    cards = orientation.locator(".spro-card")
    first = cards.first
    assert "Conseil en évolution professionnelle" in first.inner_text()
    assert "Proposé en premier" in first.inner_text()
    assert f"Pas encore d'adresse enregistrée près de {town}" in first.inner_text()
    assert first.get_by_role("link", name="mon-cep.org").get_attribute("href") == "https://mon-cep.org/"
    assert first.get_by_role("link", name="appeler le 0 800 222 100").get_attribute("href") == "tel:0800222100"
    # The other network after it, said to be the second choice, with its own distance.
    texts = orientation.locator(".spro-orientation__intro, .spro-orientation__subtitle, .spro-card__name")
    order = texts.all_inner_texts()
    assert order.index("En second choix : Transitions Pro") == order.index("Transitions Pro Centre-Val de Loire") - 1
    assert order.index("Transitions Pro Centre-Val de Loire") > order.index(first.locator(".spro-card__name").inner_text())
    second = cards.filter(has_text="Transitions Pro Centre-Val de Loire")
    assert f"À environ {km} km" in second.inner_text() and "Proposé en premier" not in second.inner_text()
    assert "par téléphone" not in second.inner_text(), "no phone on this record: never « renseignez-vous par téléphone »"
    said = page.locator(".spro-log").inner_text()
    assert said.count("Proposé en premier") == 1
    assert said.count("pas encore d'adresse") + said.count("Pas encore d'adresse") == 1, "said once, in the card"
    assert page.locator(".spro-card--first").count() == 1
    if town == "Tours":
        orientation.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "page-phone-390-second-door.png"))
        assert not [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]


def test_on_a_desktop_the_second_door_follows_the_first(new_page: NewPage, replay: ReplayServer) -> None:
    page = open_page(new_page, replay, viewport=DESKTOP, reduced_motion="reduce")
    orientation = show(page, answer_for("37261"))
    first = orientation.locator(".spro-card").first.bounding_box()
    second = orientation.locator(".spro-card").nth(1).bounding_box()
    assert second["y"] >= first["y"] + first["height"]
    orientation.locator(".spro-card").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "page-desktop-second-door.png"))


def test_a_recommended_structure_and_the_other_networks_each_under_their_heading(
    new_page: NewPage, replay: ReplayServer
) -> None:
    """A young job-seeker in Orléans: the Mission locale first, France Travail after, one badge."""
    page = open_page(new_page, replay)
    orientation = show(page, answer_for("45234", YOUNG_JOB_SEEKER))
    cards = orientation.locator(".spro-card")
    assert cards.first.locator(".spro-badge").count() == 1
    assert "Mission locale" in cards.first.inner_text()
    assert orientation.locator(".spro-badge").count() == 1
    assert orientation.get_by_text("En second choix : France Travail").count() == 1
    others = orientation.locator(".spro-cards--second .spro-card")
    assert others.count() == 1 and "France Travail" in others.first.inner_text()
    assert orientation.locator(".spro-orientation__subtitle").last.inner_text() == "À distance"
