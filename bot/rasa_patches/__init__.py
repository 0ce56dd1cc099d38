"""Patches to Rasa Open Source internals, kept in this one package.

Each module of this package patches one thing and exposes ``install()``. A patch is
applied only when the installed Rasa is a version it was checked against
(``rasa_version_checked``); with any other version Rasa's own code runs unchanged and
a warning says so. ``bot.nlu`` (imported by Rasa before the pipeline loads) installs
them. ``SPRO_RASA_PATCHES_OFF`` (comma-separated patch names, or ``all``) leaves
patches off, for the tests that compare behaviour with and without them.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)

CHECKED_RASA_VERSIONS = frozenset({"3.6.21"})


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
