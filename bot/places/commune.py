"""A commune, and the outcome of a place lookup."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune (or a municipal arrondissement of Paris, Lyon, Marseille).

    With ``__slots__``: some 35,000 of them live in every process.
    """

    insee: str
    name: str
    postcodes: tuple[str, ...]
    departement_code: str
    departement_name: str
    region_code: str
    region_name: str
    latitude: float | None
    longitude: float | None
    population: int = 0
    epci_siren: str = ""
    epci_name: str = ""
    parent_insee: str = ""
    kind: str = "commune"  # "commune" or "arrondissement"

    @property
    def postcode(self) -> str:
        """Main postcode (the first one)."""
        return self.postcodes[0] if self.postcodes else ""

    @property
    def label(self) -> str:
        """Short label that tells homonyms apart.

        E.g. "Saint-Denis (Seine-Saint-Denis, 93)".
        """
        return f"{self.name} ({self.departement_name}, {self.departement_code})"


@dataclass(frozen=True)
class PlaceResolution:
    """Outcome of a place lookup; ``communes`` is empty when not found."""

    status: str  # "found" | "ambiguous" | "not_found"
    communes: tuple[Commune, ...] = ()
    query: str = ""
    matched_text: str = ""  # the part of the text taken as the place
    method: str = ""  # "insee", "postcode", "name", "prefix", "fuzzy"

    @property
    def commune(self) -> Commune | None:
        """The commune when found, else None."""
        return self.communes[0] if self.status == "found" else None


@dataclass(frozen=True)
class PlaceMention:
    """A place named in a sentence, and where: ``text[start:end]``."""

    resolution: PlaceResolution
    start: int
    end: int


NOT_FOUND = "not_found"
