"""A tracker's slots copied the quick way: the same shallow copy as ``copy.copy``.

Every ``DialogueStateTracker`` Rasa 3.6 creates copies each slot of the domain with
``copy.copy`` (``{slot.name: copy.copy(slot) for slot in slots}``), and Rasa creates
many trackers per message (the conversation read from the store, the copies the rules
and the policies replay): with this project's 25 slots that comprehension was 6 % of
the Rasa server's time under load. For an ordinary object, ``copy.copy`` asks for
``__reduce_ex__(4)`` and rebuilds from it: a new instance (``cls.__new__``) whose
``__dict__`` gets the original's entries. ``Slot.__copy__`` here does exactly that
directly; a slot class that changes how it is copied or pickled (its own
``__reduce_ex__``, ``__reduce__``, ``__getstate__``, ``__setstate__``, slots,
or a ``copyreg`` entry) is copied by ``copy``'s own path. Same class, same attribute
values (the same objects: a shallow copy, as before); tests/test_slot_copy.py.

``install()`` applies it when the installed Rasa is a checked version, unless
``SPRO_RASA_PATCHES_OFF`` names ``slot_copy`` (or ``all``).
"""

from __future__ import annotations

import copy
import copyreg
from typing import Any

from bot.rasa_patches import (
    patch_enabled,
    rasa_version_checked,
    replace_attributes,
    restore_attributes,
)

NAME = "slot_copy"
COPY_HOOKS = ("__reduce_ex__", "__reduce__", "__getstate__")
_plain_classes: dict[type, bool] = {}


def copied_as_plain_object(cls: type) -> bool:
    """True when ``copy.copy`` rebuilds ``cls``'s instances from their ``__dict__``."""
    plain = _plain_classes.get(cls)
    if plain is None:
        plain = (
            cls not in copyreg.dispatch_table
            and all(getattr(cls, hook) is getattr(object, hook) for hook in COPY_HOOKS)
            and not hasattr(cls, "__setstate__")
            and not any(vars(base).get("__slots__") for base in cls.__mro__[:-1])
        )
        _plain_classes[cls] = plain
    return plain


def copy_slot(self: Any) -> Any:
    """``copy.copy(self)``: a new instance of the class with the same ``__dict__``."""
    cls: Any = type(self)
    if not copied_as_plain_object(cls):
        return copy._reconstruct(self, None, *self.__reduce_ex__(4))  # type: ignore[attr-defined]
    twin = cls.__new__(cls)
    twin.__dict__.update(self.__dict__)
    return twin


def install() -> None:
    """Give Rasa's ``Slot`` this ``__copy__`` (idempotent)."""
    if not patch_enabled(NAME) or not rasa_version_checked(NAME):
        return
    from rasa.shared.core.slots import Slot

    replace_attributes(Slot, {"__copy__": copy_slot})


def uninstall() -> None:
    """Take the ``__copy__`` away again (tests)."""
    from rasa.shared.core.slots import Slot

    restore_attributes(Slot, ["__copy__"])
