"""The chat desk's vocabulary, settings and input checks.

Outcomes and call-back slots as the staff and the public read them, the desk's
settings read from the environment at call time, the refused-operation error and the
checks of a contact and a message.
"""

from __future__ import annotations

import os
import re
from typing import Any

from bot import config

LIVE_OUTCOMES = {
    "oriented": "Personne orientée vers une deuxième porte",
    "information": "Information donnée",
    "call_back": "À rappeler",
    "out_of_scope": "Hors du champ de l'orientation",
}
# Outcomes the desk records by itself.
AUTOMATIC_OUTCOMES = {
    "handed_back": "Rendue à l'assistant",
    "abandoned": "La personne a quitté la file",
    "ended_by_person": "La personne a quitté la conversation",
    "expired": "Non rappelée à temps : coordonnées effacées",
}
CALLBACK_OUTCOMES = {
    "reached": "Personne recontactée",
    "no_answer": "Pas de réponse après plusieurs essais",
    "cancelled": "Demande sans objet ou annulée",
}
SLOTS = {
    "morning": "Le matin",
    "midday": "Entre midi et deux",
    "afternoon": "L'après-midi",
    "any": "Peu importe",
}
CONTACT_KINDS = ("phone", "email")
MAX_TEXT = 2000
MAX_NOTE = 500
MAX_CAPACITY = 3
DEFAULT_HANDLING_MINUTES = 6.0  # rough mean until the desk has its own statistics

_PHONE = re.compile(r"^(?:\+33|0033|0)[1-9]\d{8}$")
_EMAIL = re.compile(r"^[^\s@<>\"]{1,64}@[^\s@<>\".]+(?:\.[^\s@<>\".]+)+$")

NOT_FOUND = "Conversation introuvable."
ACTIVE = ("waiting", "taken")


def database_url() -> str:
    """SQLAlchemy URL of the desk (default: the console's database)."""
    return os.environ.get("SPRO_HANDOVER_DATABASE_URL") or config.console_database_url()


def callback_retention_days() -> float:
    """Days a call-back's contact data is kept after the request is closed."""
    return float(os.environ.get("SPRO_CALLBACK_RETENTION_DAYS", "7"))


def callback_open_days() -> float:
    """Days a call-back's contact data is kept when nobody closes the request."""
    return float(os.environ.get("SPRO_CALLBACK_OPEN_DAYS", "30"))


def presence_seconds() -> float:
    """Seconds after which an adviser's silent console no longer counts as available."""
    return float(os.environ.get("SPRO_HANDOVER_PRESENCE_SECONDS", "90"))


class DeskError(Exception):
    """A refused operation: an HTTP-like status and a French message."""

    def __init__(self, status: int, message: str) -> None:
        """Status (404, 409, 422…) and the French message shown."""
        super().__init__(message)
        self.status = status
        self.message = message


def normalise_contact(kind: str, value: str) -> str:
    """A checked phone number (digits) or e-mail; ``DeskError(422)`` in French."""
    value = str(value or "").strip()
    if kind == "phone":
        digits = re.sub(r"[\s.()-]", "", value)
        if not _PHONE.match(digits):
            raise DeskError(
                422,
                "Ce numéro de téléphone n'est pas valide : écrivez-le par "
                "exemple 06 12 34 56 78.",
            )
        return digits
    if kind == "email":
        if len(value) > 200 or not _EMAIL.match(value):
            raise DeskError(
                422,
                "Cette adresse électronique n'est pas valide : écrivez-la "
                "par exemple prenom@exemple.fr.",
            )
        return value
    raise DeskError(
        422, "Choisissez d'être recontacté·e par téléphone ou par courriel."
    )


def checked_text(text: Any, limit: int = MAX_TEXT) -> str:
    """A non-empty message under ``limit`` characters, else ``DeskError(422)``."""
    value = str(text or "").strip()
    if not value:
        raise DeskError(422, "Le message est vide.")
    if len(value) > limit:
        raise DeskError(422, f"{limit} caractères au plus par message.")
    return value
