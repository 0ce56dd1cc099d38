"""A whole call through the console on the real servers (Rasa + action server).

The console is served by the Rasa server started by the ``stack`` fixture (credentials.yml);
its accounts file is the stack's var dir's ``console-accounts.yml``, read at sign-in.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import requests

from bot.runtime.launcher import Stack
from tests.console.conftest import PASSWORDS, YOUNG_WOMAN_WORDS

pytestmark = pytest.mark.e2e

# Answers a caller on a fixed-term contract gives to the questions the dialogue may ask.
FOLLOW_UPS = {
    "âge": "24 ans", "age": "24 ans", "commune": "Tours", "situation": "elle est salariée en CDD",
    "souhaite": "faire le point, changer peut-être de métier", "domaine": "commerce",
    "handicap": "non", "cadre": "non",
}


class Adviser:
    """An adviser's browser session on the console API."""

    def __init__(self, base: str) -> None:
        self.api = f"{base}/webhooks/console/api"
        self.http = requests.Session()

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.http.request(method, self.api + path, json=body, timeout=90)
        assert answer.ok, (answer.status_code, answer.text)
        return answer.json() if "json" in answer.headers.get("Content-Type", "") else answer.text


@pytest.fixture
def adviser(stack: Stack, accounts_text: str) -> Iterator[Adviser]:
    (stack.log_dir / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    claire = Adviser(stack.url)
    claire("POST", "/login", {"username": "cmartin", "password": PASSWORDS["cmartin"]})
    yield claire
    claire.http.close()


def test_unauthenticated_on_the_real_server(stack: Stack) -> None:
    answer = requests.post(f"{stack.url}/webhooks/console/api/calls", json={}, timeout=30)
    assert answer.status_code == 401


def test_typed_words_reach_the_dialogue_masked(adviser: Adviser) -> None:
    call = adviser("POST", "/calls", {})
    call = adviser("POST", f"/calls/{call['id']}/say",
                   {"text": "Bonjour, je m'appelle Léa Martin, mon numéro est le 06 12 34 56 78"})
    said = call["transcript"][0]
    assert said["who"] == "caller"
    assert "06 12 34 56 78" not in said["text"] and "Léa" not in said["text"]
    assert call["suggestion"], "the assistant suggests what to say next"
    assert all(turn["who"] == "assistant" for turn in call["suggestion"])


def test_young_woman_on_a_fixed_term_contract_is_oriented_to_the_cep(adviser: Adviser) -> None:
    fields = {f["name"] for f in adviser("GET", "/fields")["fields"]}
    assert "need" in fields, "the console can correct the need the dialogue keeps"
    call = adviser("POST", "/calls", {})
    url = f"/calls/{call['id']}"
    call = adviser("POST", f"{url}/say", {"text": YOUNG_WOMAN_WORDS})
    for _ in range(5):
        if call["orientation"]:
            break
        question = call["suggestion"][-1]["text"].lower()
        answer = next((a for key, a in FOLLOW_UPS.items() if key in question), "je ne sais pas")
        call = adviser("POST", f"{url}/say", {"text": answer})
    assert call["orientation"], call["suggestion"]
    # Phone wording: the dialogue's questions come without quick replies on this channel.
    assert not [t for t in call["transcript"] if t["who"] == "assistant" and t["options"]]
    assert call["orientation"]["network"] == "cep_actifs_occupes", call["orientation"]
    for structure in call["orientation"]["structures"]:
        # Only the recommended network's structures are shown as recommended; the
        # second door's (Transitions Pro) follow, never first and biggest.
        expected = "cep_actifs_occupes" if structure["recommended"] else "transitions_pro"
        assert structure["network"] == expected, structure
    profile = {row["name"]: row for row in call["profile"]}
    assert profile["commune"]["text"].startswith("Tours")
    # The adviser's corrections go through the dialogue: the conversation's slots change.
    call = adviser("POST", f"{url}/profile", {"field": "age", "value": "25"})
    assert {r["name"]: r for r in call["profile"]}["age"]["text"] == "25"
    call = adviser("POST", f"{url}/profile", {"field": "disability", "value": "oui"})
    assert {r["name"]: r for r in call["profile"]}["disability"]["text"] == "oui"
    assert [c["label"] for c in call["corrections"]] == ["Âge", "Handicap (RQTH)"]
    call = adviser("POST", f"{url}/caller", {"consent": False, "note": "CEP expliqué."})
    call = adviser("POST", f"{url}/close", {"outcome": "oriented"})
    fiche = adviser("GET", f"{url}/fiche")
    assert "Conseiller ou conseillère : Claire Martin" in fiche
    assert "Anonyme" in fiche
    assert "CDD" in fiche and "Commune : Tours" in fiche
    assert "Deuxième porte proposée :" in fiche or "Réseau proposé : " in fiche
    assert "CEP expliqué." in fiche
    assert "Issue : Personne orientée vers une deuxième porte" in fiche
