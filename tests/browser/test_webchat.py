"""The web chat in a real headless Chromium, against the real channel with a replayed dialogue.

Covers the full page and the embedded widget: conversation, structure cards,
reload, "recommencer", keyboard-only use, XSS, server down, zoom, reduced motion,
the axe-core audit and the screenshots in docs/screenshots/.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import pytest

from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, ReplayServer, run_axe, start_replay

pytestmark = pytest.mark.browser

NewPage = Callable[..., Any]
COOK = "J'ai 17 ans, j'habite à Tours et je voudrais devenir cuisinier en apprentissage"
XSS = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'


def full_page(new_page: NewPage, server: ReplayServer, **options: Any) -> Any:
    page = new_page(**options)
    page.goto(f"{server.url}/webhooks/webchat/")
    page.locator(".spro-msg--bot").first.wait_for()  # the greeting
    return page


def open_widget(new_page: NewPage, server: ReplayServer, **options: Any) -> Any:
    page = new_page(**options)
    page.goto(f"{server.url}/webhooks/webchat/demo")
    page.get_by_role("button", name="Une question sur votre orientation ?").click()
    page.locator(".spro-msg--bot").first.wait_for()
    return page


def say(page: Any, text: str) -> None:
    page.get_by_label("Votre message").fill(text)
    page.get_by_label("Votre message").press("Enter")


def show_orientation(page: Any) -> None:
    say(page, COOK)
    page.locator(".spro-card").first.wait_for()


def test_full_page_conversation_reaches_a_structure_card(new_page: NewPage, replay: ReplayServer) -> None:
    page = full_page(new_page, replay)
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Bonjour" in page.locator(".spro-msg--bot").first.inner_text()
    replies = page.get_by_role("group", name="Réponses proposées").get_by_role("button")
    assert replies.count() == 3

    show_orientation(page)
    assert page.locator(".spro-msg--user").last.inner_text().endswith("apprentissage")
    first = page.locator(".spro-card").first
    assert "Chambre de métiers et de l'artisanat (CMA) - Indre-et-Loire" in first.inner_text()
    assert "Proposé en premier" in first.inner_text()
    assert "36-42 route de Saint-Avertin" in first.inner_text()
    assert "À environ 3,4 km" in first.inner_text()
    assert first.get_by_role("link", name="Appeler le 02 47 25 24 00").get_attribute("href") == "tel:0247252400"
    map_link = first.get_by_role("link", name="Voir sur une carte")
    assert map_link.get_attribute("href").startswith("https://www.openstreetmap.org/search?query=")
    assert "Pourquoi : Pour devenir cuisinier" in first.inner_text()
    assert page.locator(".spro-card").count() == 2
    remote = page.locator(".spro-remote")
    assert remote.get_by_role("link", name="appeler le 3949").get_attribute("href") == "tel:3949"
    # Quick replies belong to the last message only.
    assert page.get_by_role("group", name="Réponses proposées").count() == 1
    # Nothing was loaded from another host.
    hosts = page.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).host)")
    assert set(hosts) <= {f"127.0.0.1:{replay.port}"}


def test_reload_keeps_the_conversation_and_recommencer_clears_it(
    new_page: NewPage, replay: ReplayServer
) -> None:
    page = full_page(new_page, replay)
    show_orientation(page)
    page.get_by_label("Votre message").fill("brouillon pas encore envoyé")
    sender = page.evaluate("JSON.parse(Object.values(sessionStorage)[0]).sender")
    before = page.locator(".spro-log").inner_text()

    page.reload()
    page.locator(".spro-card").first.wait_for()
    assert page.locator(".spro-log").inner_text() == before
    assert page.evaluate("JSON.parse(Object.values(sessionStorage)[0]).sender") == sender
    assert page.get_by_label("Votre message").input_value() == "brouillon pas encore envoyé"

    page.locator(".spro-panel__tools").get_by_role("button", name="Recommencer").click()
    page.locator(".spro-msg--bot").first.wait_for()
    assert page.locator(".spro-card").count() == 0
    assert page.locator(".spro-msg--user").count() == 0
    assert page.evaluate("JSON.parse(Object.values(sessionStorage)[0]).sender") != sender
    assert page.get_by_label("Votre message").input_value() == ""


def test_widget_with_the_keyboard_only(new_page: NewPage, replay: ReplayServer) -> None:
    page = new_page()
    page.goto(f"{replay.url}/webhooks/webchat/demo")
    launcher = page.get_by_role("button", name="Une question sur votre orientation ?")
    page.keyboard.press("Tab")
    assert launcher.evaluate("b => b === document.activeElement")
    # Visible focus: a 3 px outline.
    assert launcher.evaluate("b => getComputedStyle(b).outlineWidth") == "3px"
    page.keyboard.press("Enter")
    assert launcher.get_attribute("aria-expanded") == "true"
    dialog = page.get_by_role("dialog", name="Orientation : posez votre question")
    assert dialog.is_visible()
    textarea = page.get_by_label("Votre message")
    assert textarea.evaluate("t => t === document.activeElement")
    page.locator(".spro-reply").first.wait_for()

    page.keyboard.type(COOK)
    page.keyboard.press("Enter")
    page.locator(".spro-card").first.wait_for()
    assert textarea.evaluate("t => t === document.activeElement")
    # Shift+Tab from the input reaches the quick replies of the last message.
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.classList.contains('spro-reply')"):
            break
    assert page.evaluate("document.activeElement.textContent") == "Parler à une personne"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent") == "Recommencer"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator(".spro-msg--user", has_text="Parler à une personne").wait_for()
    # The used quick replies are gone; focus went back to the input.
    assert textarea.evaluate("t => t === document.activeElement")

    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert launcher.get_attribute("aria-expanded") == "false"
    assert launcher.evaluate("b => b === document.activeElement")


def test_dangerous_text_is_shown_not_run(new_page: NewPage, replay: ReplayServer) -> None:
    page = full_page(new_page, replay)
    say(page, XSS)
    echo = page.locator(".spro-msg--bot", has_text="Vous avez écrit")
    echo.wait_for()
    assert page.locator(".spro-msg--user").last.inner_text().endswith(XSS)
    assert echo.inner_text().endswith(XSS)
    assert page.locator(".spro-log img, .spro-log script").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    # Personal data is masked by the channel before the bot sees it.
    say(page, "écrivez-moi à lea.martin@example.org")
    page.locator(".spro-msg--bot", has_text="[courriel masqué]").wait_for()


def test_only_safe_links_from_the_payload(new_page: NewPage, replay: ReplayServer) -> None:
    """javascript: and data: links in a payload are dropped; text fields stay text."""
    page = full_page(new_page, replay)
    page.route(
        "**/webhooks/webchat/webhook",
        lambda route: route.fulfill(json=[{"custom": {
            "type": "orientation",
            "structures": [{"name": "<b>Structure d'essai</b>", "network": "cio",
                            "website": "javascript:window.__xss=3", "email": "x@y.fr",
                            "phone": "javascript:1", "hours": {"lundi": "9 h – 12 h (essai)"},
                            "open_now": True, "address": "1 rue d'essai", "postcode": "00000",
                            "commune": "Essai", "why": "<i>essai</i>"}],
            "remote": [{"label": "En ligne", "url": "data:text/html,<script>1</script>"}],
        }}]),
    )
    say(page, "essai")
    card = page.locator(".spro-card")
    card.wait_for()
    assert card.locator(".spro-card__name").inner_text() == "<b>Structure d'essai</b>"
    assert "Ouvert maintenant" in card.inner_text()
    assert "Horaires : lundi : 9 h – 12 h (essai)" in card.inner_text()
    hrefs = page.locator(".spro-orientation a").evaluate_all("links => links.map(a => a.href)")
    assert all(h.startswith(("https://www.openstreetmap.org/", "mailto:")) for h in hrefs), hrefs
    assert page.evaluate("window.__xss") is None


def test_the_card_says_when_a_closed_structure_opens(new_page: NewPage, replay: ReplayServer) -> None:
    """``next_opening`` of the payload is one line of the card, after "Fermé en ce moment"."""
    page = full_page(new_page, replay)
    page.route(
        "**/webhooks/webchat/webhook",
        lambda route: route.fulfill(json=[{"custom": {
            "type": "orientation",
            "structures": [{"name": "Structure d'essai", "network": "cio", "open_now": False,
                            "next_opening": "ouvre demain à 9 h", "hours": "Du lundi au vendredi : 9 h – 17 h.",
                            "address": "1 rue d'essai", "postcode": "00000", "commune": "Essai"}],
            "remote": [],
        }}]),
    )
    say(page, "essai")
    card = page.locator(".spro-card")
    card.wait_for()
    assert "Fermé en ce moment" in card.inner_text()
    assert card.locator(".spro-card__next").inner_text() == "Ouvre demain à 9 h."


def test_the_card_says_how_old_the_data_is(new_page: NewPage, replay: ReplayServer) -> None:
    """``age_notice`` and ``distance_approximate`` of the payload are shown; no open/closed without hours."""
    page = full_page(new_page, replay)
    page.route(
        "**/webhooks/webchat/webhook",
        lambda route: route.fulfill(json=[{"custom": {
            "type": "orientation",
            "structures": [{"name": "CIO d'essai", "network": "cio", "open_now": None, "hours": "",
                            "phone": "02 31 92 09 22", "verified": "2019-07-23",
                            "age_notice": "Coordonnées de 2019 : appelez avant de vous déplacer.",
                            "distance_km": 4.2, "distance_approximate": True,
                            "address": "1 rue d'essai", "postcode": "14400", "commune": "Bayeux"}],
            "remote": [],
        }}]),
    )
    say(page, "essai")
    card = page.locator(".spro-card")
    card.wait_for()
    assert card.locator(".spro-card__age").inner_text() == "Coordonnées de 2019 : appelez avant de vous déplacer."
    assert "distance approximative" in card.locator(".spro-card__distance").inner_text()
    text = card.inner_text()
    assert "Ouvert" not in text and "Fermé" not in text
    assert text.index("Coordonnées de 2019") < text.index("Appeler le 02 31 92 09 22")
    serious = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def test_a_crashed_server_is_waited_for_and_the_message_sent_again(
    new_page: NewPage, tmp_path: Any
) -> None:
    """Issue 21: the server is killed; the person is told it restarts, with the regional
    line, keeps their message, and it leaves by itself once the server is back."""
    server = start_replay(tmp_path, {"human_phone": "01 23 45 67 89"})
    try:
        page = full_page(new_page, server)
        server.process.kill()  # kill -9: a crash, not a clean stop
        server.process.wait()
        say(page, "Je cherche une formation de soudeur")
        alert = page.get_by_role("alert")
        alert.get_by_role("button", name="Renvoyer le message").wait_for()
        told = alert.inner_text()
        assert "Le service ne répond pas pour le moment. Il redémarre" in told
        assert "la ligne régionale : 01 23 45 67 89" in told
        assert "Votre message n'est pas perdu" in told
        assert page.get_by_label("Votre message").input_value() == "Je cherche une formation de soudeur"
        assert page.locator(".spro-msg--user").count() == 0
        page.wait_for_timeout(3000)  # still down: the widget keeps waiting
        assert page.locator(".spro-msg--user").count() == 0
        # The server is back (the launcher restarts it): the message leaves by itself.
        server.start()
        page.locator(".spro-msg--bot", has_text="Vous avez écrit : Je cherche une formation").wait_for(
            timeout=15_000
        )
        assert page.get_by_label("Votre message").input_value() == ""
        assert page.get_by_role("button", name="Renvoyer le message").count() == 0
        assert page.locator(".spro-msg--user").count() == 1
    finally:
        server.stop()


def test_resend_button_after_a_failure(new_page: NewPage, replay: ReplayServer) -> None:
    page = full_page(new_page, replay)
    page.route("**/webhooks/webchat/webhook", lambda route: route.abort())
    say(page, "Je veux changer de métier")
    resend = page.get_by_role("button", name="Renvoyer le message")
    resend.wait_for()
    # The greeting's quick replies are back, since it is the last message again.
    assert page.locator(".spro-reply").count() == 3
    page.unroute("**/webhooks/webchat/webhook")
    resend.click()
    page.locator(".spro-msg--bot", has_text="Vous avez écrit : Je veux changer de métier").wait_for()
    assert page.locator(".spro-msg--user").count() == 1


def test_zoom_200_percent_and_reduced_motion(new_page: NewPage, replay: ReplayServer) -> None:
    """A 1280×800 screen at 200 % is a 640×400 CSS viewport: no horizontal scrolling."""
    page = open_widget(new_page, replay, viewport={"width": 640, "height": 400},
                       reduced_motion="reduce")
    show_orientation(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    panel = page.locator(".spro-panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= 640
    page.get_by_label("Votre message").scroll_into_view_if_needed()
    assert page.get_by_label("Votre message").is_visible()
    assert page.get_by_role("button", name="Envoyer").is_visible()
    animation = page.evaluate(
        "(() => { const t = document.querySelector('.spro-typing'); t.classList.add('spro-typing--on');"
        " return getComputedStyle(t, '::after').animationName; })()"
    )
    assert animation == "none"


def test_regional_line_and_privacy_notice(new_page: NewPage, replay: ReplayServer) -> None:
    page = full_page(new_page, replay)
    assert "anonyme" in page.locator(".spro-notice").inner_text()
    page.get_by_text("Vos données").click()
    privacy = page.locator(".spro-details").first.inner_text()
    assert "pour une durée limitée" in privacy and "masqués" in privacy
    page.get_by_text("Parler à une personne", exact=True).first.click()
    human = page.locator(".spro-details--human")
    assert human.get_by_role("link", name="appeler le 01 23 45 67 89").get_attribute("href") == "tel:0123456789"
    assert "du lundi au vendredi" in human.inner_text()


def test_unknown_regional_line_says_where_to_find_it(new_page: NewPage, tmp_path: Any) -> None:
    server = start_replay(tmp_path, {"retention_days": "30"})
    try:
        page = full_page(new_page, server)
        page.get_by_text("Parler à une personne", exact=True).first.click()
        human = page.locator(".spro-details--human").inner_text()
        assert "indiqués sur le site de votre région" in human
        assert page.locator(".spro-details--human a").count() == 0
        page.get_by_text("Vos données").click()
        assert "pendant 30 jours au plus" in page.locator(".spro-details").first.inner_text()
    finally:
        server.stop()


@pytest.mark.parametrize("where", ["page", "widget"])
def test_axe_audit_with_a_structure_card(new_page: NewPage, replay: ReplayServer, where: str) -> None:
    opener = full_page if where == "page" else open_widget
    page = opener(new_page, replay)
    show_orientation(page)
    page.get_by_text("Vos données").click()
    violations = run_axe(page)
    for violation in violations:
        print(f"axe {where}: {violation['impact']} {violation['id']}: {violation['nodes']}")
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


@pytest.mark.parametrize(("name", "viewport"), [("phone-360", PHONE), ("desktop", DESKTOP)])
def test_screenshots(new_page: NewPage, replay: ReplayServer, name: str, viewport: dict) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = open_widget(new_page, replay, viewport=viewport, reduced_motion="reduce")
    page.screenshot(path=str(SCREENSHOTS / f"widget-{name}-greeting.png"))
    show_orientation(page)
    page.locator(".spro-card").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"widget-{name}-structure-card.png"))
    page = full_page(new_page, replay, viewport=viewport, reduced_motion="reduce")
    show_orientation(page)
    page.locator(".spro-card").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"page-{name}-structure-card.png"))


def test_embedded_on_another_site_and_slow_server(new_page: NewPage, replay: ReplayServer) -> None:
    """One <script> tag on a regional site (another origin); a slow answer is given up in French."""
    body = (
        '<!DOCTYPE html><html lang="fr"><head><title>Région</title></head><body><main>'
        "<h1>Site régional</h1></main>"
        f'<script src="{replay.url}/webhooks/webchat/static/spro-chat.js" data-region="24" '
        'data-title="Orientation en région" data-color="#00615c" data-timeout="2"></script>'
        "</body></html>"
    ).encode()

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", replay.embedding_site_port), Site)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    page = new_page()
    try:
        page.goto(f"http://127.0.0.1:{site.server_port}/orientation")
        page.get_by_role("button", name="Une question sur votre orientation ?").click()
        page.locator(".spro-msg--bot").first.wait_for()
        assert page.get_by_role("dialog", name="Orientation en région").is_visible()
        assert page.locator(".spro-panel__header").evaluate(
            "h => getComputedStyle(h).backgroundColor") == "rgb(0, 97, 92)"
        say(page, "/slow 5")
        page.locator(".spro-typing", has_text="plus de temps que d'habitude").wait_for()
        alert = page.get_by_role("alert")
        alert.get_by_role("button", name="Renvoyer le message").wait_for()
        assert "Le service met trop de temps à répondre" in alert.inner_text()
        assert page.get_by_label("Votre message").input_value() == "/slow 5"
    finally:
        site.shutdown()
