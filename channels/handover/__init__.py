"""Channels of the chat desk: the public side (``public``) and the advisers' side (``desk``).

Both only map HTTP to ``bot.handover.HandoverDesk``; new messages reach the browsers as
server-sent events through ``hub`` (see docs/handover.md).
"""
