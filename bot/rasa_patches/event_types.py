"""Event classes looked up by type name once, not at every event read.

Rasa 3.6's ``Event.resolve_by_type`` walks the whole tree of ``Event`` subclasses
(``all_subclasses``, with an ``inspect.isabstract`` check on each class) for every event
it reads: each event of a tracker loaded from the tracker store, each event an action
returns. That walk was about 3 % of the Rasa server's time under load. Its answer only
changes when a new ``Event`` subclass is defined, so here it is kept per type name and
forgotten whenever a subclass is created (``Event.__init_subclass__``). Same class for
each name, ``None`` for the old ``topic`` events, the given default or the same
``ValueError`` for an unknown name.

``install()`` applies it when the installed Rasa is a checked version, unless
``SPRO_RASA_PATCHES_OFF`` names ``event_types`` (or ``all``).
"""

from __future__ import annotations

from typing import Any

from bot.rasa_patches import (
    patch_enabled,
    rasa_version_checked,
    replace_attributes,
    restore_attributes,
)

NAME = "event_types"
_NOT_LOOKED_UP = object()
_classes: dict[str, Any] = {}


def forget_classes(cls: Any, **kwargs: Any) -> None:
    """``Event.__init_subclass__``: a new event class may answer a type name."""
    from rasa.shared.core.events import Event

    _classes.clear()
    super(Event, cls).__init_subclass__(**kwargs)


def resolve_by_type(type_name: str, default: Any = None) -> Any:
    """``Event.resolve_by_type`` with the class of each type name kept."""
    found = _classes.get(type_name, _NOT_LOOKED_UP)
    if found is _NOT_LOOKED_UP:
        import rasa.shared.utils.common
        from rasa.shared.core.events import Event

        found = next(
            (
                cls
                for cls in rasa.shared.utils.common.all_subclasses(Event)
                if cls.type_name == type_name
            ),
            None,
        )
        _classes[type_name] = found
    if found is not None:
        return found
    if type_name == "topic":
        return None  # Rasa's backwards compatibility with old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def install() -> None:
    """Patch ``Event.resolve_by_type`` (idempotent)."""
    if not patch_enabled(NAME) or not rasa_version_checked(NAME):
        return
    from rasa.shared.core.events import Event

    replace_attributes(
        Event,
        {
            "__init_subclass__": classmethod(forget_classes),
            "resolve_by_type": staticmethod(resolve_by_type),
        },
    )


def uninstall() -> None:
    """Put Rasa's own ``resolve_by_type`` back (for the equality tests)."""
    from rasa.shared.core.events import Event

    restore_attributes(Event, ["__init_subclass__", "resolve_by_type"])
    _classes.clear()
