"""A person in the web chat and an adviser in the console, both in Debian's headless Chromium.

Real servers (the ``stack`` fixture: Rasa, the action server, the trained model): the
person asks for a person, the adviser takes the conversation, they exchange messages,
the adviser hands back and the assistant answers again; a call-back request reaches the
console and is closed. Contact data is then looked for in the tracker store and the logs.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from bot.runtime.launcher import Stack
from tests.browser.conftest import (  # noqa: F401 - shared fixtures
    SCREENSHOTS, browser, new_page, run_axe,
)
from tests.console.conftest import PASSWORDS, accounts_text  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CONTACT = "06 98 76 54 32"


def sign_in(page: Any, stack: Stack, username: str = "cmartin") -> None:
    page.goto(f"{stack.url}/webhooks/console/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORDS[username])
    page.get_by_role("button", name="Se connecter").click()
    page.locator("#chatdesk").wait_for()


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def person_writes(page: Any, text: str) -> None:
    page.get_by_label("Votre message").fill(text)
    page.get_by_role("button", name="Envoyer", exact=True).click()


def tracker_text(stack: Stack) -> str:
    with sqlite3.connect(stack.log_dir / "tracker.sqlite3") as db:
        return "\n".join(row[0] for row in db.execute("SELECT data FROM events"))


def test_hand_over_both_ways_then_back_to_the_assistant(
    stack: Stack,
    accounts_text: str,
    new_page: Any,  # noqa: F811
) -> None:
    (stack.log_dir / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    adviser = new_page()
    sign_in(adviser, stack)
    adviser.get_by_role("button", name="En pause").click()
    adviser.get_by_role("button", name="Disponible pour le tchat").wait_for()

    person = new_page()
    person.goto(f"{stack.url}/webhooks/webchat/")
    person.locator(".spro-msg--bot").first.wait_for(timeout=60_000)
    person_writes(person, "je veux parler à quelqu'un")
    notice = person.locator(".spro-msg--desk").first
    notice.wait_for(timeout=60_000)
    assert "Vous êtes la prochaine personne en attente" in notice.inner_text()
    # One message with its links, no orientation question, then the queue notice.
    after = person.locator(".spro-log > *").evaluate_all(
        "nodes => nodes.slice(nodes.findIndex(n => n.matches('.spro-msg--user')) + 1)"
        ".map(n => n.matches('.spro-msg--desk') ? 'desk' : n.innerText)")
    assert len(after) == 2 and after[1] == "desk", after
    assert "gratuitement" in after[0]  # the line (here: where to find it, no region known)
    assert person.locator(".spro-log").get_attribute("aria-live") == "polite"
    assert "Attente estimée" in person.locator(".spro-deskbar").inner_text()

    adviser.get_by_role("button", name="Prendre").first.click(timeout=15_000)
    adviser.get_by_text("Conversation prise").wait_for()
    adviser.get_by_label("Votre message à la personne").fill(
        "Bonjour, je m'appelle Claire. Que cherchez-vous ?"
    )
    adviser.get_by_role("button", name="Envoyer à la personne").click()

    said = person.locator(".spro-msg--adviser").last
    said.wait_for(timeout=10_000)
    assert said.inner_text().startswith("Claire, du service d'orientation")
    assert "Martin" not in said.inner_text()  # first name only

    bot_messages = person.locator(".spro-msg--bot").count()
    person_writes(person, f"Une formation de cuisinier, rappelez-moi au {CONTACT}")
    adviser.locator("#chat-messages .m-person").last.wait_for()
    assert "[téléphone masqué]" in adviser.locator("#chat-messages").inner_text()
    person.wait_for_timeout(1500)
    assert person.locator(".spro-msg--bot").count() == bot_messages, (
        "the assistant stays silent"
    )
    assert "formation de cuisinier" not in tracker_text(stack)

    person.screenshot(path=str(SCREENSHOTS / "handover-webchat-adviser.png"))
    adviser.screenshot(path=str(SCREENSHOTS / "handover-console-desk.png"), full_page=True)
    assert not serious(run_axe(person)), "web chat during the hand-over"
    assert not serious(run_axe(adviser)), "console with a conversation"

    adviser.get_by_role("button", name="Voir la fiche de liaison").click()
    adviser.locator("#chat-fiche", has_text="Canal : tchat du site").wait_for()
    adviser.get_by_role("button", name="Rendre à l'assistant").click()
    person.get_by_text("La conversation reprend avec l'assistant").wait_for(
        timeout=10_000
    )
    assert person.locator(".spro-deskbar").is_hidden()

    person_writes(person, "j'ai 20 ans, je cherche un emploi à Dreux")
    person.locator(".spro-msg--bot").nth(bot_messages).wait_for(timeout=60_000)
    assert "je cherche un emploi" in tracker_text(stack)  # the assistant has it again
    text = tracker_text(stack) + (stack.log_dir / "rasa.log").read_text(
        errors="replace"
    )
    assert CONTACT not in text and CONTACT.replace(" ", "") not in text
    adviser.get_by_role("button", name="Disponible pour le tchat").click()
    adviser.get_by_role("button", name="En pause").wait_for()


def test_call_back_when_nobody_is_available_reaches_the_console(
    stack: Stack,
    accounts_text: str,
    new_page: Any,  # noqa: F811
) -> None:
    (stack.log_dir / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    adviser = new_page()
    sign_in(
        adviser, stack, "pdurand"
    )  # Paul stays "en pause"; Claire is not seen any more

    person = new_page()
    person.goto(f"{stack.url}/webhooks/webchat/")
    person.locator(".spro-msg--bot").first.wait_for(timeout=60_000)
    person.get_by_text("Parler à une personne", exact=True).click()
    person.get_by_role(
        "button", name="Écrire à un conseiller ou une conseillère"
    ).click()
    form = person.locator("form.spro-callback")
    form.wait_for(timeout=10_000)
    assert not serious(run_axe(person)), "call-back form"
    person.screenshot(path=str(SCREENSHOTS / "handover-webchat-callback.png"))

    person.get_by_label("Votre numéro ou votre adresse").fill(CONTACT)
    person.get_by_label("Le moment qui vous convient le mieux").select_option(
        "afternoon"
    )
    person.get_by_label("Votre question en quelques mots (facultatif)").fill(
        "Pour une VAE"
    )
    person.get_by_role("button", name="Envoyer ma demande").click()
    assert "Cochez la case" in form.locator(".spro-callback__error").inner_text()
    person.get_by_label("J'accepte que le service garde").check()
    person.get_by_role("button", name="Envoyer ma demande").click()
    person.get_by_text("Votre demande est enregistrée").wait_for()

    item = adviser.locator(".callback-item", has_text="Pour une VAE")
    item.wait_for(timeout=10_000)
    assert "0698765432" in item.inner_text() and "L'après-midi" in item.inner_text()
    assert not serious(run_axe(adviser)), "console with the call-back list"
    assert item.get_by_label("Issue du rappel").input_value() == ""  # « — Choisir — »
    item.get_by_role("button", name="Marquer comme traitée").click()
    adviser.locator("#chat-error", has_text="Choisissez l'issue du rappel.").wait_for()
    item.get_by_label("Issue du rappel").select_option("reached")
    item.get_by_role("button", name="Marquer comme traitée").click()
    adviser.get_by_text("Demande de rappel close.").wait_for()
    adviser.locator(".callback-item", has_text="Pour une VAE").wait_for(state="detached")
    text = tracker_text(stack) + (stack.log_dir / "rasa.log").read_text(
        errors="replace"
    )
    assert CONTACT not in text and "0698765432" not in text


COUNT_BEEPS = """
    window.__beeps = 0;
    const Real = window.AudioContext;
    window.AudioContext = class extends Real {
        createOscillator() { window.__beeps += 1; return super.createOscillator(); }
    };
"""


def test_the_desk_says_who_waits_and_records_no_outcome_by_default(
    stack: Stack,
    accounts_text: str,
    new_page: Any,  # noqa: F811
) -> None:
    (stack.log_dir / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    adviser = new_page()
    adviser.add_init_script(COUNT_BEEPS)
    sign_in(adviser, stack)
    bar = adviser.locator("#chat-alert")
    bar.get_by_text("Tchat : personne n'attend").wait_for()
    assert not adviser.title().startswith("(")
    adviser.get_by_label("Signal sonore quand une personne arrive dans la file").check()
    beeps = adviser.evaluate("window.__beeps")
    assert beeps == 1, "checking the box lets the adviser hear it"
    if adviser.get_by_role("button", name="En pause").count():
        adviser.get_by_role("button", name="En pause").click()
    adviser.get_by_role("button", name="Disponible pour le tchat").wait_for()

    person = new_page()
    person.goto(f"{stack.url}/webhooks/webchat/")
    person.locator(".spro-msg--bot").first.wait_for(timeout=60_000)
    person_writes(person, "je veux parler à quelqu'un")
    person.locator(".spro-msg--desk").first.wait_for(timeout=60_000)

    bar.get_by_text("Tchat : 1 personne attend").wait_for(timeout=10_000)
    assert adviser.title().startswith("(1) Console des téléconseillers")
    assert "Une nouvelle personne attend" in adviser.locator("#chat-announce").inner_text()
    assert adviser.locator("#chat-announce").get_attribute("aria-live") == "assertive"
    assert adviser.evaluate("window.__beeps") == beeps + 1
    # Before the call view in the page, and on screen wherever the adviser has scrolled.
    assert bar.evaluate("b => !!(b.compareDocumentPosition(document.getElementById('desk'))"
                        " & Node.DOCUMENT_POSITION_FOLLOWING)")
    assert bar.is_visible() and 0 <= bar.bounding_box()["y"] <= 1
    adviser.screenshot(path=str(SCREENSHOTS / "handover-console-waiting.png"))
    assert not serious(run_axe(adviser)), "console with the alert bar"

    adviser.get_by_role("button", name="Prendre").first.click(timeout=15_000)
    adviser.get_by_text("Conversation prise").wait_for()
    outcome = adviser.get_by_label("Issue de la conversation")
    assert outcome.locator("option").first.inner_text() == "— Choisir —"
    assert outcome.input_value() == ""
    adviser.get_by_role("button", name="Clore la conversation").click()
    adviser.locator("#chat-error", has_text="Choisissez l'issue de la conversation.").wait_for()
    assert adviser.locator("#chat-conversation").is_visible(), "not closed without a choice"
    outcome.select_option("information")
    adviser.get_by_role("button", name="Clore la conversation").click()
    adviser.get_by_text("Conversation close.").wait_for()
    adviser.locator("#chat-alert", has_text="Tchat : personne n'attend").wait_for()
    assert not adviser.title().startswith("(")
