"""Personas played against a model on servers of their own (evaluation, the gate)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.evaluation.personas import PersonaResult, load_personas, play
from bot.evaluation.rest import load_knowledge, post_message
from bot.runtime.launcher import Stack, stack_in_folder

# Every persona speaks from 127.0.0.1, one conversation after another: the flood
# limits of the routes they use (``SPRO_RATE_LIMITS``, read by the public channels)
# are off on these servers, or the personas would meet 429s.
PERSONAS_RATE_LIMITS = "conversations=0/0/60,messages=0/0/60"

Played = tuple[list[dict[str, Any]], list[PersonaResult]]


def play_files(
    model: Path, files: Sequence[Path], timeout: float = 600
) -> list[Played]:
    """Each file's personas and what happened to them, on one fresh stack."""
    with tempfile.TemporaryDirectory(prefix="spro-personas-") as folder:
        work = Path(folder)
        load_knowledge(work)
        settings = stack_in_folder(
            model, work, {"SPRO_RATE_LIMITS": PERSONAS_RATE_LIMITS}
        )
        stack = Stack(**settings)
        stack.start()
        try:
            stack.wait_ready(timeout=timeout)
            played: list[Played] = []
            for file in files:
                personas = load_personas(file)
                results = [
                    play(lambda s, t: post_message(stack.url, s, t), persona)
                    for persona in personas
                ]
                played.append((personas, results))
        finally:
            stack.stop()
    return played
