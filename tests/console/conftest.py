"""Fixtures of the console tests: accounts file, store with a movable clock, case data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.advisers.accounts import AccountBook, hash_password
from bot.advisers.store import ConsoleStore
from tests.clock import Clock

PASSWORDS = {"cmartin": "un mot de passe solide", "pdurand": "un autre mot de passe"}


@pytest.fixture(scope="session")
def accounts_text() -> str:
    """Two advisers, with hashed passwords."""
    return (
        "advisers:\n"
        f"  - username: cmartin\n    name: Claire Martin\n"
        f"    password_hash: \"{hash_password(PASSWORDS['cmartin'])}\"\n"
        f"  - username: pdurand\n    name: Paul Durand\n"
        f"    password_hash: \"{hash_password(PASSWORDS['pdurand'])}\"\n"
    )


@pytest.fixture
def accounts_file(tmp_path: Path, accounts_text: str) -> Path:
    path = tmp_path / "console-accounts.yml"
    path.write_text(accounts_text, encoding="utf-8")
    return path


@pytest.fixture
def accounts(accounts_file: Path) -> AccountBook:
    return AccountBook(accounts_file)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> ConsoleStore:
    console_store = ConsoleStore(f"sqlite:///{tmp_path / 'console.sqlite3'}", now=clock)
    yield console_store
    console_store.dispose()


# The Centre seed's case: "Une jeune salariée de moins de 26 ans, interpellée par la fin
# prochaine de son CDD, appelle le n° de conseil professionnel [...] l'adresse au Fongécif
# pour qu'elle puisse bénéficier du Conseil en Evolution Professionnelle." Today the CEP
# for employed people is given by the operator financed by France compétences.
YOUNG_WOMAN_WORDS = (
    "Bonjour, j'ai 24 ans, je suis en CDD jusqu'à fin juin à Tours et je ne sais pas "
    "quoi faire après, je voudrais faire le point sur mon avenir professionnel"
)
YOUNG_WOMAN_PROFILE = {
    "age": 24.0, "age_band": "18_25", "situation": "employee", "need": "career_advice",
    "commune_insee": "37261", "commune_name": "Tours", "postcode": "37000",
    "disability": False, "cadre": False, "sector": None, "public": "employed",
}
CEP_ORIENTATION = {
    "type": "orientation", "public": "employed", "need": "career_advice",
    "network": "cep_actifs_occupes", "also": "mission_locale",
    "commune": {"insee": "37261", "name": "Tours", "postcode": "37000"},
    "structures": [
        {"id": "cep-centre-tours", "network": "cep_actifs_occupes",
         "name": "Conseil en évolution professionnelle — agence de Tours",
         "address": "10 rue Exemple", "postcode": "37000", "commune": "Tours",
         "insee": "37261", "phone": "02 00 00 00 00", "email": "", "website": "",
         "hours": "du lundi au vendredi de 9 h à 17 h", "open_now": True,
         "distance_km": 1.2,
         "why": "Vous êtes salariée et voulez préparer la suite de votre parcours : "
                "le conseil en évolution professionnelle est gratuit.", "recommended": True},
        {"id": "ml-tours", "network": "mission_locale", "name": "Mission locale de Tours",
         "address": "", "postcode": "37000", "commune": "Tours", "insee": "37261",
         "phone": "", "email": "", "website": "", "hours": "", "open_now": None,
         "distance_km": 2.0, "why": "Vous avez moins de 26 ans.", "recommended": False},
    ],
    "remote": [{"label": "Mon CEP (service en ligne)", "phone": "", "url": "https://mon-cep.org"}],
}
