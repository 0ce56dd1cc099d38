"""The caller's profile as kept in Rasa slots, for display and correction.

Plain module (no Rasa import): the channel passes slot values and slot descriptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.advisers.script_aid import UNKNOWN, label
from bot.advisers.script_aid import humanize as humanize

# Slots of the dialogue the console shows, in display order, with French labels.
PROFILE_SLOTS: dict[str, str] = {
    "age": "Âge",
    "age_band": "Tranche d'âge",
    "situation": "Situation",
    "need": "Besoin",
    "commune_name": "Commune",
    "postcode": "Code postal",
    "commune_insee": "Code INSEE",
    "disability": "Handicap (RQTH)",
    "cadre": "Cadre",
    "sector": "Secteur d'activité",
    "public": "Public",
}
# What the adviser can correct in one click ("commune" sets the three commune slots; the
# age band follows the age).
CORRECTABLE = ("age", "situation", "need", "commune", "disability", "cadre", "sector")
COMMUNE_SLOTS = ("commune_insee", "commune_name", "postcode")


@dataclass(frozen=True)
class FieldSpec:
    """How a correctable field is edited: free text, yes/no, or one of listed codes."""

    name: str
    label: str
    kind: str  # "text", "number", "boolean", "choice", "commune"
    choices: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the console page."""
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "choices": [
                {"value": c, "label": label(self.name, c)} for c in self.choices
            ],
        }


def profile_from_slots(slots: dict[str, Any]) -> dict[str, Any]:
    """The profile slots' values, nothing else from the tracker.

    Missing ones as None.
    """
    return {name: slots.get(name) for name in PROFILE_SLOTS}


def profile_rows(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for display: name, French label, raw value, value in words."""
    rows = []
    for name in (
        "age",
        "age_band",
        "situation",
        "need",
        "disability",
        "cadre",
        "sector",
        "public",
    ):
        rows.append(
            {
                "name": name,
                "label": PROFILE_SLOTS[name],
                "value": profile.get(name),
                "text": label(name, profile.get(name)),
            }
        )
    rows.insert(
        4,
        {
            "name": "commune",
            "label": "Commune",
            "value": profile.get("commune_insee"),
            "text": commune_text(profile),
        },
    )
    return rows


def commune_text(profile: dict[str, Any]) -> str:
    """The commune as "Tours (37000)", or "non renseigné"."""
    name = profile.get("commune_name")
    if not name:
        return UNKNOWN
    postcode = profile.get("postcode")
    return f"{name} ({postcode})" if postcode else str(name)


def field_specs(slot_descriptions: dict[str, dict[str, Any]]) -> list[FieldSpec]:
    """Editable fields, from the dialogue's slot types.

    ``{"type", "values"}`` per slot.
    """
    specs = []
    for name in CORRECTABLE:
        label = "Commune" if name == "commune" else PROFILE_SLOTS[name]
        if name == "commune":
            specs.append(FieldSpec(name, label, "commune"))
            continue
        description = slot_descriptions.get(name)
        if description is None:
            continue
        kind = description.get("type", "text")
        if kind == "categorical":
            values = tuple(v for v in description.get("values", ()) if v != "__other__")
            specs.append(FieldSpec(name, label, "choice", values))
        elif kind == "bool":
            specs.append(FieldSpec(name, label, "boolean"))
        elif kind == "float":
            specs.append(FieldSpec(name, label, "number"))
        else:
            specs.append(FieldSpec(name, label, "text"))
    return specs


class CorrectionError(ValueError):
    """A correction the console refuses; the message is French."""


def coerce(spec: FieldSpec, value: Any) -> Any:
    """The corrected value in the slot's type, or ``CorrectionError``.

    None clears the field.
    """
    if value is None or value == "":
        return None
    if spec.kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"oui", "true", "1", "yes"}:
            return True
        if text in {"non", "false", "0", "no"}:
            return False
        raise CorrectionError(f"{spec.label} : répondez « oui » ou « non ».")
    if spec.kind == "number":
        try:
            number = float(str(value).replace(",", "."))
        except ValueError:
            raise CorrectionError(f"{spec.label} : un nombre est attendu.") from None
        if spec.name == "age" and not 10 <= number <= 99:
            raise CorrectionError("Âge : un nombre entre 10 et 99 est attendu.")
        return number
    if spec.kind == "choice":
        if value not in spec.choices:
            raise CorrectionError(f"{spec.label} : choisissez une valeur de la liste.")
        return value
    text = str(value).strip()
    if len(text) > 100:
        raise CorrectionError(f"{spec.label} : 100 caractères au plus.")
    return text
