"""Channels of the chat desk: the public side (``public``), the advisers' (``desk``).

Both only map HTTP to ``bot.handover.HandoverDesk``; new messages reach the browsers as
server-sent events through ``hub`` (see docs/handover.md).
"""
