"""Patches to Rasa Open Source internals, kept in this one package.

Each module of this package patches one thing and exposes ``install()``. A patch is
applied only when the installed Rasa is a version it was checked against
(``rasa_version_checked``); with any other version Rasa's own code runs unchanged and
a warning says so. The server's entry point installs them, explicitly
(``bot.runtime.rasa_server.install_patches``, list ``PATCHES``).
``SPRO_RASA_PATCHES_OFF`` (comma-separated patch names, or ``all``) leaves patches
off, for the tests that compare behaviour with and without them.
``replace_attributes`` / ``restore_attributes`` put a patch's functions on a Rasa class
and Rasa's own back, keeping the originals in the class (``rasa_attribute``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)

CHECKED_RASA_VERSIONS = frozenset({"3.6.21"})
ORIGINALS = "_spro_rasa_originals"


def rasa_version_checked(patch_name: str) -> bool:
    """True when the installed Rasa is one the patches were checked against."""
    import rasa

    if rasa.__version__ in CHECKED_RASA_VERSIONS:
        return True
    logger.warning(
        "Rasa %s is not a version %s was checked against (%s): "
        "Rasa's own code is used.",
        rasa.__version__,
        patch_name,
        ", ".join(sorted(CHECKED_RASA_VERSIONS)),
    )
    return False


def patch_enabled(patch_name: str) -> bool:
    """False when ``SPRO_RASA_PATCHES_OFF`` names the patch (or says ``all``)."""
    off = {
        name.strip() for name in os.environ.get("SPRO_RASA_PATCHES_OFF", "").split(",")
    }
    return patch_name not in off and "all" not in off


def replace_attributes(cls: type, replacements: dict[str, Any]) -> None:
    """Set ``replacements`` on ``cls``, keeping Rasa's own (idempotent per attribute).

    An attribute ``cls`` only inherits is kept as ``None`` and deleted on restore.
    """
    originals = vars(cls).get(ORIGINALS)
    if originals is None:
        originals = {}
        setattr(cls, ORIGINALS, originals)
    for name, replacement in replacements.items():
        if name not in originals:
            originals[name] = vars(cls).get(name)
            setattr(cls, name, replacement)


def rasa_attribute(cls: type, name: str) -> Any:
    """Rasa's own ``name`` of ``cls``, as ``replace_attributes`` kept it."""
    return vars(cls)[ORIGINALS][name]


def restore_attributes(cls: type, names: Iterable[str]) -> None:
    """Put Rasa's own ``names`` back on ``cls`` (those that were replaced)."""
    originals = vars(cls).get(ORIGINALS, {})
    for name in names:
        if name not in originals:
            continue
        original = originals.pop(name)
        if original is None:
            delattr(cls, name)
        else:
            setattr(cls, name, original)
    if ORIGINALS in vars(cls) and not originals:
        delattr(cls, ORIGINALS)
