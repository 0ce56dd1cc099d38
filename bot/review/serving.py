"""A running Rasa server loads the model that replaced its model file, no restart.

The quality gate (``bot.runtime.gate``) and ``rollback`` replace ``models/spro.tar.gz``
atomically. Every Rasa server (one, or each instance of ``bot.runtime.cluster``)
checks its model file every ``SPRO_MODEL_CHECK_SECONDS`` (5 s) and, when it changed,
loads it beside the serving one (Rasa's ``Agent.load_model``, in a worker thread) and
switches: messages in progress end with the old model, the next ones get the new one,
and no conversation is dropped (the tracker store keeps them). This is what Rasa's
``PUT /model`` does, without opening Rasa's HTTP API.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any, Callable

logger = logging.getLogger(__name__)


def check_seconds() -> float:
    """How often a server looks at its model file."""
    return float(os.environ.get("SPRO_MODEL_CHECK_SECONDS", "5"))


def file_state(path: Path) -> tuple[int, int, int] | None:
    """What changes when the file is replaced: inode, size, modification time."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns


async def follow_model(agent_of: Callable[[], Any], interval: float) -> None:
    """Load the agent's model file again each time it is replaced (runs forever)."""
    path: Path | None = None
    seen: tuple[int, int, int] | None = None
    while True:
        await asyncio.sleep(interval)
        agent = agent_of()
        processor = getattr(agent, "processor", None)
        if processor is None or not getattr(processor, "model_path", None):
            continue
        if path is None:
            path, seen = Path(processor.model_path), file_state(processor.model_path)
            continue
        state = file_state(path)
        if state is None or state == seen:
            continue
        seen = state
        logger.info("Model file %s replaced: loading it", path)
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, agent.load_model, str(path)
            )
        except Exception:  # a broken file: keep serving the loaded model
            logger.exception("The new model %s could not be loaded", path)
            continue
        logger.info("Now serving the model %s (%s)", path, agent.model_id)
