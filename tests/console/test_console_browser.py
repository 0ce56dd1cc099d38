"""A whole call in the console page, in Debian's headless Chromium (Playwright).

Reuses the web chat's browser set-up (tests/browser/conftest.py, scripts/setup-browser.sh)
and the real servers of the ``stack`` fixture.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.runtime.launcher import Stack
from tests.browser.conftest import browser, new_page, run_axe  # noqa: F401 - shared fixtures
from tests.console.conftest import PASSWORDS, YOUNG_WOMAN_WORDS

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def sign_in(page: Any, stack: Stack) -> None:
    page.goto(f"{stack.url}/webhooks/console/")
    page.get_by_label("Identifiant").fill("cmartin")
    page.get_by_label("Mot de passe").fill(PASSWORDS["cmartin"])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_text("Connecté·e : Claire Martin").wait_for()


def test_a_whole_call_from_first_words_to_the_fiche(
    stack: Stack, accounts_text: str, new_page: Any  # noqa: F811
) -> None:
    (stack.log_dir / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    page = new_page()
    page.goto(f"{stack.url}/webhooks/console/")
    assert page.get_by_role("heading", name="Connexion").is_visible()
    sign_in(page, stack)

    page.get_by_role("button", name="Nouvel appel").click()
    page.get_by_text("Appel en cours").wait_for()
    page.get_by_label("Tapez ou reformulez").fill(YOUNG_WOMAN_WORDS)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # keyboard only: the "Envoyer" button
    page.get_by_text("Suggestion mise à jour.").wait_for(timeout=90_000)
    suggestion = page.locator("#suggestion").inner_text()
    assert suggestion.strip(), "the assistant suggests the next question"
    assert page.locator("#transcript li.caller").first.text_content() == YOUNG_WOMAN_WORDS
    assert "Tours" in page.locator("#profile").inner_text()

    # Correct a field in one click.
    page.get_by_role("button", name="Corriger : Âge").click()
    page.get_by_label("Nouvelle valeur : Âge").fill("25")
    page.get_by_role("button", name="Valider").click()
    page.get_by_text("Âge corrigé.").wait_for(timeout=90_000)
    assert "25" in page.locator("#profile").inner_text()

    # Consent: name and contact can only be typed once ticked.
    assert page.get_by_label("Nom (facultatif)").is_disabled()
    page.get_by_label("Ce qui a été dit et fait pendant l'appel").fill("CEP expliqué.")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Informations de la fiche enregistrées.").wait_for()

    page.get_by_label("Issue de l'appel").select_option("information")
    page.get_by_role("button", name="Clore l'appel").click()
    page.get_by_text("Appel clos : Information donnée").wait_for()
    fiche = page.locator("#fiche")
    fiche.wait_for()
    text = fiche.inner_text()
    assert "Fiche de liaison" in text and "Conseiller ou conseillère : Claire Martin" in text
    assert "Anonyme" in text and "CEP expliqué." in text and YOUNG_WOMAN_WORDS in text
    assert page.locator("#say-text").is_disabled()

    violations = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
    assert not violations, violations


def test_typed_html_is_shown_as_text(stack: Stack, accounts_text: str, new_page: Any) -> None:  # noqa: F811
    (stack.log_dir / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    page = new_page()
    sign_in(page, stack)
    page.get_by_role("button", name="Nouvel appel").click()
    page.get_by_label("Tapez ou reformulez").fill("<img src=x onerror=window.pwned=1>")
    page.get_by_role("button", name="Envoyer à l'assistant").click()
    page.get_by_text("Suggestion mise à jour.").wait_for(timeout=90_000)
    assert page.locator("#transcript img").count() == 0
    assert page.evaluate("window.pwned") is None


def test_a_structure_from_old_data_says_so(stack: Stack, accounts_text: str, new_page: Any) -> None:  # noqa: F811
    """Issue 19: the adviser reads the data's age on the card, the distance as approximate."""
    (stack.log_dir / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    page = new_page()
    sign_in(page, stack)
    page.get_by_role("button", name="Nouvel appel").click()
    page.get_by_text("Appel en cours").wait_for()
    page.get_by_label("Réseau", exact=True).select_option("cio")
    page.get_by_label("Commune, code postal ou code INSEE").fill("Bayeux")
    page.get_by_role("button", name="Chercher").click()
    page.get_by_text("structure(s) près de Bayeux").wait_for()
    card = page.locator("#search-results .card").first
    assert card.locator(".age").inner_text() == "Coordonnées de 2019 : appelez avant de vous déplacer."
    assert "approximatif" in card.inner_text()
