"""Rasa's own command line with this project's Rasa patches installed first.

``python -m bot.runtime.rasa_server <command> [options]`` takes the arguments of
``rasa`` (``run``, ``train``, ``shell``, ``test``…): it installs every patch of
``bot.rasa_patches`` (``install_patches``), then hands over to Rasa's CLI. The
launcher, the cluster, ``make shell`` and ``scripts/evaluate.py`` start Rasa this way.

A bare ``rasa run`` or ``rasa shell`` reaches the same start through credentials.yml:
its ``bot.runtime.rasa_server.RasaPatches`` entry is built by Rasa with the input
channels, before the model loads, and installs the patches (it serves no route).
``tests/test_rasa_patch_wiring.py`` fails when either way starts Rasa without them.
``SPRO_RASA_PATCHES_OFF`` still leaves patches off (``bot.rasa_patches``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from bot.rasa_patches import (
    action_endpoint,
    action_failure,
    event_types,
    lock_store,
    model_loading,
    policy_graph,
    slot_copy,
    standby,
    tensor_dealloc,
    tracker_cache,
    tracker_store,
)

# Every patch, in the order they were installed before (model loading first).
PATCHES: tuple[ModuleType, ...] = (
    model_loading,
    tensor_dealloc,
    action_endpoint,
    action_failure,
    tracker_store,
    tracker_cache,
    lock_store,
    policy_graph,
    event_types,
    slot_copy,
    standby,
)
_installed: list[str] = []


def install_patches() -> None:
    """Install every Rasa patch (idempotent; each one checks the Rasa version)."""
    for patch in PATCHES:
        patch.install()
        name = patch.__name__.rsplit(".", 1)[-1]
        if name not in _installed:
            _installed.append(name)


def installed_patches() -> tuple[str, ...]:
    """Names of the patches ``install_patches`` has installed in this process."""
    return tuple(_installed)


class RasaPatches(InputChannel):
    """credentials.yml entry that installs the patches when ``rasa run`` starts."""

    @classmethod
    def name(cls) -> str:
        """URL prefix ``/webhooks/spro_rasa_patches`` (no route is served)."""
        return "spro_rasa_patches"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Install the patches; Rasa calls this before it loads the model."""
        install_patches()
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Any]) -> Blueprint:
        """An empty blueprint: this entry only wires the patches."""
        return Blueprint("spro_rasa_patches", url_prefix="/webhooks/spro_rasa_patches")


def main(argv: list[str] | None = None) -> None:
    """Install the patches, then run Rasa's CLI with ``argv`` (default ``sys.argv``)."""
    install_patches()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
