"""Places: turn what a person types into a French commune.

Public API (no I/O at import time; the gazetteer is read lazily, once):

- ``resolve(text, region=None) -> PlaceResolution``: the whole text is a place
  ("Joué-lès-Tours", "joue les tours", "St Cyr s/ Loire", "37300", "37261",
  "Paris 15e", "Saint-Denis 93", "Romorantin", "Chateauroux"...).
- ``find_in_text(text, region=None) -> PlaceResolution``: a place mentioned inside
  a longer sentence ("j'habite à joue les tours et je cherche...").
- ``mentions(text, region=None) -> list[PlaceMention]``: every commune a sentence
  names by postcode or exact name, with its place in the text (``start``, ``end``).
- ``commune(insee) -> Commune | None``.
- ``get_gazetteer()`` / ``set_gazetteer()`` for the cached ``Gazetteer``.

``PlaceResolution.status`` is ``"found"`` (one commune), ``"ambiguous"`` (several:
ask the person, e.g. by département; ``communes`` is sorted by population, at most
``MAX_CHOICES``) or ``"not_found"``. ``region`` (INSEE region code, e.g. "24") makes
a name shared by several communes resolve to the only one in that region.

The data is ``knowledge/places/communes.csv.gz`` (config.places_file()), built from
the 2026 COG gazetteer by ``python -m bot import-shared``.

Modules: ``commune`` (``Commune``, ``PlaceResolution``), ``gazetteer`` (the indexes,
lookups and places in sentences), ``typos`` (the typo index of names), ``places_file``
(the compact communes file), ``words`` (the word lists of
``knowledge/places/words.yaml`` and ``normalize``), ``geo`` (``haversine_km``).
"""

from __future__ import annotations

from bot import config
from bot.lazy import Lazy
from bot.places.commune import NOT_FOUND, Commune, PlaceMention, PlaceResolution
from bot.places.gazetteer import MAX_CHOICES, Gazetteer
from bot.places.geo import haversine_km
from bot.places.places_file import PLACE_COLUMNS, write_places_file
from bot.places.words import normalize

_GAZETTEER: Lazy[Gazetteer] = Lazy(lambda: Gazetteer.from_file(config.places_file()))


def get_gazetteer() -> Gazetteer:
    """The cached gazetteer, read from ``config.places_file()`` on first use."""
    return _GAZETTEER.get()


def set_gazetteer(gazetteer: Gazetteer | None) -> None:
    """Replace (or with None, forget) the cached gazetteer."""
    _GAZETTEER.set(gazetteer)


def resolve(text: str, region: str | None = None) -> PlaceResolution:
    """Resolve a text that names a place; see the module docstring."""
    return get_gazetteer().resolve(text, region)


def find_in_text(text: str, region: str | None = None) -> PlaceResolution:
    """Find the commune a sentence mentions; see the module docstring."""
    return get_gazetteer().find_in_text(text, region)


def mentions(text: str, region: str | None = None) -> list[PlaceMention]:
    """Every commune a sentence names, with where; see the module docstring."""
    return get_gazetteer().mentions(text, region)


def commune(insee: str) -> Commune | None:
    """Commune by INSEE code, or None."""
    return get_gazetteer().commune(insee)


__all__ = [
    "MAX_CHOICES",
    "NOT_FOUND",
    "PLACE_COLUMNS",
    "Commune",
    "Gazetteer",
    "PlaceMention",
    "PlaceResolution",
    "commune",
    "find_in_text",
    "get_gazetteer",
    "haversine_km",
    "mentions",
    "normalize",
    "resolve",
    "set_gazetteer",
    "write_places_file",
]
