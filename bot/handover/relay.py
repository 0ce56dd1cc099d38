"""While a person waits for or talks with an adviser, their messages go to the desk.

Used by the public chat channels (``channels.webchat``) before the assistant answers.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError

from bot.handover.desk import DeskError, HandoverDesk, get_desk

logger = logging.getLogger(__name__)


async def relay_to_adviser(
    sender_id: str, text: str, desk: HandoverDesk | None = None
) -> bool:
    """While the person waits for or talks with an adviser, their message goes there.

    True when the message was taken by the desk: the assistant must then stay silent.
    """
    desk = desk or get_desk()
    loop = asyncio.get_running_loop()
    try:
        request = await loop.run_in_executor(None, desk.active_for_sender, sender_id)
    except SQLAlchemyError:
        logger.exception(
            "hand-over: the desk's database cannot be read; the assistant answers"
        )
        return False
    if request is None:
        return False
    try:
        await loop.run_in_executor(None, desk.person_message, request, text)
    except DeskError as error:
        logger.info("hand-over: a person's message was refused (%s)", error.status)
    return True
