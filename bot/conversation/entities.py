"""The ``age`` and ``commune`` entities of a message, checked by the project's rules.

DIET tags spans; ``checked_entities`` keeps of them what the dialogue's own rules read,
so that the NLU's entities say what the dialogue will understand (run after DIET by
``bot.nlu.EntityRepair``; testable without Rasa):

- an age stays unless the words just before it say it is not the person's age
  (``not_own_age`` of ``knowledge/profile_rules.yml``: « depuis 15 ans », « mon fils
  a 14 ans », « pas 17 »); when DIET found no age, the numbers the profile's
  ``age_patterns`` read as the person's age are added (« j'ai 34 ans »);
- a commune span that overlaps a commune the gazetteer reads in the sentence
  (``Gazetteer.mentions``: a postcode or an exact name) becomes that name: a cut name
  is completed (« Romorantin » of « Romorantin-Lanthenay »);
- any other commune span must name a commune (``Gazetteer.resolve``); a look-alike of a
  name (« ancien »: Ancier) only when it is the whole message or follows a place cue
  (« à », « habite »… of ``knowledge/places/words.yaml``);
- a commune the gazetteer reads in the sentence that DIET missed (``mentions``; when
  there is none, ``find_in_text``'s reading of a name's start after a cue: « à
  Ancenis ») is added when it is written as a name (a capital, a postcode, several
  words: not « du boulot »), and so is a message that is only a commune's exact name
  or postcode (« Gien », « 37300 »).
"""

from __future__ import annotations

import re
from typing import Any

from bot.conversation.profile import may_be_own_age, reads_as_own_age
from bot.places import NOT_FOUND, Gazetteer
from bot.places.words import normalize, place_words
from bot.text import simplify

AGE = "age"
COMMUNE = "commune"
CHECKED = frozenset({AGE, COMMUNE})
# How the gazetteer read a place exactly: a whole name or code, or a name's start.
EXACT_METHODS = frozenset({"insee", "postcode", "name"})
NAMED_METHODS = EXACT_METHODS | {"prefix"}

Entity = dict[str, Any]


def checked_entities(
    text: str, entities: list[Entity], gazetteer: Gazetteer
) -> list[Entity]:
    """The entities of ``text`` with its ages and communes checked (module docstring).

    Entities of other types are returned unchanged; a new or moved span carries
    ``start``, ``end`` and ``value`` (the text of the span).
    """
    others = [e for e in entities if e.get("entity") not in CHECKED]
    ages = [e for e in entities if e.get("entity") == AGE and _own_age(text, e)]
    if not ages:
        ages = _ages_missed(text)
    spans = [e for e in entities if e.get("entity") == COMMUNE and _located(e)]
    return sorted(
        others + ages + _communes(text, spans, gazetteer),
        key=lambda e: (e.get("start", -1), e.get("entity", "")),
    )


def _located(entity: Entity) -> bool:
    return isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int)


def _own_age(text: str, entity: Entity) -> bool:
    start = entity.get("start")
    return not isinstance(start, int) or may_be_own_age(simplify(text[:start]))


_NUMBER = re.compile(r"(?<!\d)\d{1,2}(?!\d)")


def _ages_missed(text: str) -> list[Entity]:
    """The numbers the profile rules read as the person's age."""
    missed = []
    for number in _NUMBER.finditer(text):
        start, end = number.span()
        before = simplify(text[:start])
        simple = before + number.group() + simplify(text[end:])
        if reads_as_own_age(simple, len(before)):
            missed.append(
                {"entity": AGE, "start": start, "end": end, "value": number.group()}
            )
    return missed


def _communes(text: str, spans: list[Entity], gazetteer: Gazetteer) -> list[Entity]:
    mentions = [(m.start, m.end) for m in gazetteer.mentions(text)]
    kept: dict[tuple[int, int], Entity] = {}
    for span in spans:
        start, end = span["start"], span["end"]
        overlapping = [(s, e) for s, e in mentions if s < end and start < e]
        if overlapping:
            for where in overlapping:
                kept.setdefault(where, _commune(text, *where, like=span))
        elif _names_a_commune(text, start, end, gazetteer):
            kept.setdefault((start, end), _commune(text, start, end, like=span))
    for where in mentions:
        if _written_as_a_name(text, *where) and not any(
            s < where[1] and where[0] < e for s, e in kept
        ):
            kept[where] = _commune(text, *where)
    if not kept and (after_cue := _name_start_after_cue(text, gazetteer)):
        kept[after_cue] = _commune(text, *after_cue)
    if not kept and (whole := _whole_message_place(text, gazetteer)):
        kept[whole] = _commune(text, *whole)
    return list(kept.values())


def _commune(text: str, start: int, end: int, like: Entity | None = None) -> Entity:
    """A commune entity over ``text[start:end]``, with DIET's other fields if any."""
    entity = dict(like or {})
    entity.update(entity=COMMUNE, start=start, end=end, value=text[start:end])
    return entity


def _written_as_a_name(text: str, start: int, end: int) -> bool:
    """A capital, a postcode or several words: not an everyday word (« du boulot »)."""
    return (
        text[start].isupper()
        or text[start].isdigit()
        or " " in normalize(text[start:end])
    )


def _name_start_after_cue(text: str, gazetteer: Gazetteer) -> tuple[int, int] | None:
    """Where a name's start is, written as a name after a cue (« à Ancenis »)."""
    reading = gazetteer.find_in_text(text)
    if reading.status == NOT_FOUND or reading.method != "prefix":
        return None
    words = r"[\W_]+".join(re.escape(word) for word in reading.matched_text.split())
    found = re.search(rf"(?<!\w){words}(?!\w)", text)
    if found is None or not _written_as_a_name(text, *found.span()):
        return None
    return found.span()


def _names_a_commune(text: str, start: int, end: int, gazetteer: Gazetteer) -> bool:
    """Whether a span the gazetteer did not read in the sentence names a commune."""
    resolution = gazetteer.resolve(text[start:end])
    if resolution.status == NOT_FOUND:
        return False
    if resolution.method in NAMED_METHODS:
        return True
    before = normalize(text[:start]).split()
    alone = not before and not normalize(text[end:])
    return alone or (bool(before) and before[-1] in place_words().cues)


_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def _whole_message_place(text: str, gazetteer: Gazetteer) -> tuple[int, int] | None:
    """Where the commune is when the message is only its exact name or postcode."""
    bare = _EDGES.sub("", text)
    if not bare or normalize(bare) in place_words().common_words:
        return None
    resolution = gazetteer.resolve(bare)
    if resolution.status == NOT_FOUND or resolution.method not in EXACT_METHODS:
        return None
    start = text.index(bare)
    return start, start + len(bare)
