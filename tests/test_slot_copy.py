"""Slots copied by ``Slot.__copy__`` exactly as ``copy.copy`` did (bot/rasa_patches/slot_copy.py)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.slots import AnySlot, Slot, TextSlot
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_patches import slot_copy

ROOT = Path(__file__).resolve().parent.parent
VALUES: dict[str, Any] = {
    "age": 17.0,
    "commune_choices": [{"insee": "28085", "postcode": "28000"}],
    "disability": True,
    "need": "emploi",
    "skipped": ["sector"],
}


class GetstateSlot(TextSlot):
    """A slot that changes what is copied (its own ``__getstate__``)."""

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["copied"] = True
        return state


class SlottedSlot(TextSlot):
    """A slot with ``__slots__`` besides its ``__dict__``."""

    __slots__ = ("extra",)


@pytest.fixture
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def patched() -> Iterator[None]:
    slot_copy.install()
    try:
        yield
    finally:
        slot_copy.uninstall()


def slots_with_values(domain: Domain) -> list[Slot]:
    slots = [copy.copy(slot) for slot in domain.slots]
    for slot in slots:
        if slot.name in VALUES:
            slot.value = VALUES[slot.name]
    odd = SlottedSlot("slotted", mappings=[{"type": "custom"}])
    odd.extra = "x"
    return [
        *slots,
        GetstateSlot("custom", mappings=[{"type": "custom"}]),
        odd,
        AnySlot("any", [{"type": "custom"}]),
    ]


def described(original: Slot, twin: Slot) -> tuple[Any, ...]:
    """What a copy is: class, attributes, which are the original's own objects."""
    return (
        type(twin),
        twin is original,
        twin.__dict__ == original.__dict__ or twin.__dict__,
        sorted(k for k, v in vars(twin).items() if v is vars(original).get(k)),
        getattr(twin, "extra", None),
    )


def test_each_slot_is_copied_as_copy_copy_did(domain: Domain) -> None:
    slot_copy.uninstall()  # another test may have installed every patch
    slots = slots_with_values(domain)
    assert "__copy__" not in vars(Slot)
    rasas = [described(slot, copy.copy(slot)) for slot in slots]
    slot_copy.install()
    try:
        assert "__copy__" in vars(Slot)
        assert [described(slot, copy.copy(slot)) for slot in slots] == rasas
    finally:
        slot_copy.uninstall()
    assert rasas[-3][2]["copied"] is True  # GetstateSlot went through copy's path
    assert rasas[-2][4] == "x"  # copy.copy copies __slots__ values too
    assert not slot_copy.copied_as_plain_object(GetstateSlot)
    assert not slot_copy.copied_as_plain_object(SlottedSlot)
    assert slot_copy.copied_as_plain_object(TextSlot)


def test_a_copy_is_changed_alone(domain: Domain, patched: None) -> None:
    slot = next(s for s in domain.slots if s.name == "need")
    twin = copy.copy(slot)
    twin.value = "formation"
    assert slot.value is None and twin.value == "formation"


def test_trackers_are_the_same(domain: Domain) -> None:
    def state() -> dict[str, Any]:
        tracker = DialogueStateTracker.from_events(
            "c-1",
            [
                UserUttered("j'ai 17 ans", {"name": "inform"}, timestamp=1.0),
                *(SlotSet(n, v, timestamp=2.0) for n, v in VALUES.items()),
            ],
            domain.slots,
        )
        return {
            "state": tracker.current_state(),
            "copy": tracker.copy().current_state(),
            "past": [tracker.past_states(domain)],
        }

    slot_copy.uninstall()  # another test may have installed every patch
    rasas = state()
    slot_copy.install()
    try:
        assert state() == rasas
    finally:
        slot_copy.uninstall()
    assert all(s.value is None for s in domain.slots if s.name in VALUES)
